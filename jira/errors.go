package jira

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// Sentinel errors of the Jira client, checked with errors.Is. Each message is
// one line that says what is wrong and what to do next; the errors a request
// returns (*APIError) carry advice for the kind of site (Cloud, Data Center
// with or without personal access tokens) instead of these generic lines.
var (
	// ErrUnauthorized: Jira did not accept the credentials: a 401, or a 200
	// that is Jira's anonymous view (X-AUSERNAME: anonymous) or carries
	// X-Seraph-LoginReason: AUTHENTICATED_FAILED.
	ErrUnauthorized = errors.New("the token was refused (wrong, expired or revoked): run gitjira jira login again")
	// ErrForbidden: Jira answered 403, the user lacks a permission.
	ErrForbidden = errors.New("Jira refused the request (403 Forbidden): the user lacks the permission; ask a Jira administrator for it, or log in as another user")
	// ErrCaptcha: Jira wants a CAPTCHA after too many failed logins
	// (X-Seraph-LoginReason: AUTHENTICATION_DENIED or
	// X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE); no REST call works
	// until the user logs in through the web page once.
	ErrCaptcha = errors.New("Jira asks for a CAPTCHA after failed logins: log in to Jira in a browser once to clear the CAPTCHA, then retry")
	// ErrNotJira: the URL answered, but not like a Jira site (an HTML page, a
	// 404 on /rest/api/2/serverInfo, a redirect).
	ErrNotJira = errors.New("the URL does not look like a Jira site: check the base URL, e.g. https://jira.example.com or https://SITE.atlassian.net")
	// ErrTimeout: Jira did not answer within the client's timeout (see *TimeoutError).
	ErrTimeout = errors.New("Jira did not answer in time")
	// ErrTLS: the TLS handshake failed (see *TLSError).
	ErrTLS = errors.New("TLS handshake with Jira failed")
	// ErrNoSite: no Jira site has been configured with gitjira jira login.
	ErrNoSite = errors.New("no Jira site configured: run gitjira jira login --url URL")
	// ErrInsecureHTTP: an http:// URL to another machine would send the
	// credentials in clear on every request; refused unless the site was
	// logged in with --insecure-http (store.Site.InsecureHTTP).
	ErrInsecureHTTP = errors.New("an http:// Jira URL sends the credentials in clear on every request: use the https:// URL, or add --insecure-http to jira login if this network path is trusted")
	// ErrLinkingForbidden: Jira refused to create remote links (403): issue
	// linking is disabled on the site, or the user lacks the Link Issues
	// permission (see *LinkForbiddenError).
	ErrLinkingForbidden = errors.New("Jira refused to link issues (403): issue linking is disabled, or the user lacks the Link Issues permission")
)

// Reasons an *APIError of kind ErrUnauthorized or ErrCaptcha gives (APIError.Reason).
const (
	ReasonRefused    = "refused"              // 401
	ReasonAnonymous  = "anonymous"            // 200 with X-AUSERNAME: anonymous
	ReasonAuthFailed = "AUTHENTICATED_FAILED" // 200 with X-Seraph-LoginReason: AUTHENTICATED_FAILED
	ReasonCaptcha    = "CAPTCHA"              // X-Authentication-Denied-Reason or AUTHENTICATION_DENIED
)

// APIError is an error answer from the Jira REST API. 401, 403 and CAPTCHA
// answers are *APIError too and unwrap to ErrUnauthorized, ErrForbidden and
// ErrCaptcha; so do 200 answers that are really an authentication failure
// (Status 200, Reason ReasonAnonymous or ReasonAuthFailed).
type APIError struct {
	Status     int           // HTTP status code
	Method     string        // request method, e.g. "POST"
	Path       string        // request path below the base URL, e.g. "/rest/api/2/project"
	Message    string        // Messages joined with "; ", "" when the body had none
	Messages   []string      // from the body's "errorMessages" and "errors" (one line each, sanitised)
	RetryAfter time.Duration // from Retry-After on 429/503, 0 when absent
	// RateLimitReason is Jira Cloud's RateLimit-Reason on 429 (e.g.
	// jira-burst-based, jira-per-issue-on-write), sanitised.
	RateLimitReason string
	Reason          string // for authentication failures: one of the Reason constants

	kind error // ErrUnauthorized, ErrForbidden, ErrCaptcha or nil
	site siteContext
}

// siteContext is what the client knew of the site when the error happened:
// it picks the advice (Cloud API token, Data Center PAT, password before 8.14).
type siteContext struct {
	kind    store.SiteKind
	version []int
	user    string // basic-auth user; "" = bearer token
}

// Unwrap returns the sentinel this answer stands for (nil for plain API errors).
func (e *APIError) Unwrap() error { return e.kind }

// Error returns one line: what Jira said and what to do next.
func (e *APIError) Error() string {
	said := ""
	if e.Message != "" {
		said = " (Jira said: " + e.Message + ")"
	}
	switch e.kind {
	case ErrUnauthorized:
		cred := "the token was"
		if e.site.user != "" {
			cred = "the credentials were"
		}
		what := cred + " refused (wrong, expired or revoked)"
		switch e.Reason {
		case ReasonAnonymous:
			what = cred + " refused: Jira answered as if nobody were logged in (X-AUSERNAME: anonymous)"
		case ReasonAuthFailed:
			what = cred + " refused (X-Seraph-LoginReason: AUTHENTICATED_FAILED)"
		}
		return what + said + ": " + credentialAdvice(e.site)
	case nil:
	default:
		return e.kind.Error() + said
	}
	what := fmt.Sprintf("Jira answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Method != "" || e.Path != "" {
		what += " to " + strings.TrimSpace(e.Method+" "+e.Path)
	}
	var next string
	switch {
	case e.Status == http.StatusTooManyRequests:
		next = "Jira is rate-limiting this user: wait a little and retry"
		if e.RetryAfter > 0 {
			next = fmt.Sprintf("Jira is rate-limiting this user: retry after %s", e.RetryAfter)
		}
	case e.Status == http.StatusNotFound:
		next = "check that it exists and that the user can see it"
	case e.Status >= 500:
		next = "Jira has a problem: retry later, or ask a Jira administrator to look at its logs"
	default:
		next = "check the request"
	}
	return what + said + ": " + next
}

// credentialAdvice says how to get working credentials for this kind of
// site: Cloud takes the account e-mail and an API token (basic auth), Data
// Center 8.14+ a personal access token (bearer), older Data Center/Server
// only username and password (basic auth).
func credentialAdvice(sc siteContext) string {
	switch {
	case sc.kind == store.KindCloud && sc.user == "":
		return "Jira Cloud takes your account e-mail and an API token, not a bearer token: create an API token at https://id.atlassian.com/manage-profile/security/api-tokens (Security > API tokens) and run gitjira jira login --url URL --email YOUR-E-MAIL"
	case sc.kind == store.KindCloud:
		return "check the e-mail and the API token (API tokens expire; create a new one at https://id.atlassian.com/manage-profile/security/api-tokens, Security > API tokens) and run gitjira jira login --url URL --email YOUR-E-MAIL again"
	case sc.user == "" && len(sc.version) > 0 && !hasPersonalAccessTokens(sc.version):
		return fmt.Sprintf("this Jira is version %s and personal access tokens need Jira 8.14 or later: log in with your username and password instead: gitjira jira login --url URL --username NAME", versionString(sc.version))
	case sc.user != "":
		return "check the username and password and run gitjira jira login --url URL --username NAME again (on Jira 8.14 or later a personal access token, Profile > Personal Access Tokens, is the better choice)"
	}
	return "create a personal access token in Jira (Profile > Personal Access Tokens, Jira 8.14 or later) and run gitjira jira login again"
}

// Limits on what an error line may carry from an answer body, so a hostile or
// broken server cannot flood the terminal.
const (
	maxErrorMessages   = 5
	maxErrorMessageLen = 200 // runes
)

// errorBody is the Jira REST error shape (com.atlassian.jira.rest.api.util.ErrorCollection):
// {"errorMessages": ["..."], "errors": {"field": "..."}}. Some plugins answer
// {"message": "...", "status-code": 404} instead.
type errorBody struct {
	ErrorMessages []json.RawMessage          `json:"errorMessages"`
	Errors        map[string]json.RawMessage `json:"errors"`
	Message       json.RawMessage            `json:"message"`
}

// parseErrorMessages extracts the human messages from a Jira error body. It
// never fails: a body that is not the Jira shape gives no messages. Each
// message is sanitised to one printable line of bounded length; field errors
// come after general messages, sorted by field name (map order is random).
func parseErrorMessages(body []byte) []string {
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		return nil
	}
	var out []string
	add := func(prefix string, raw json.RawMessage) {
		if len(out) >= maxErrorMessages {
			return
		}
		s := rawText(raw)
		if s == "" {
			return
		}
		if prefix != "" {
			s = oneLine(prefix) + ": " + s
		}
		out = append(out, truncateRunes(s, maxErrorMessageLen))
	}
	for _, m := range eb.ErrorMessages {
		add("", m)
	}
	fields := make([]string, 0, len(eb.Errors))
	for f := range eb.Errors {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		add(f, eb.Errors[f])
	}
	if len(out) == 0 && len(eb.Message) > 0 {
		add("", eb.Message)
	}
	return out
}

// rawText turns a JSON value into display text: strings as they are, other
// scalars in their JSON form, objects and arrays dropped (not a message).
func rawText(raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return oneLine(s)
	}
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" || strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return ""
	}
	return oneLine(t)
}

// oneLine makes text from Jira safe for a one-line message: escape
// sequences and control characters removed (termtext.Sanitize), then every
// run of white space (newlines and the Unicode line separators included)
// collapsed to one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(termtext.Sanitize(s)), " ")
}

func truncateRunes(s string, n int) string { return termtext.Truncate(s, n) }

// newAPIError builds the error for a non-2xx answer. header may be nil.
func newAPIError(status int, method, path string, header http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{Status: status, Method: method, Path: path}
	e.Messages = parseErrorMessages(body)
	e.Message = strings.Join(e.Messages, "; ")
	switch {
	case isCaptcha(header):
		e.kind, e.Reason = ErrCaptcha, ReasonCaptcha
	case status == http.StatusUnauthorized:
		e.kind, e.Reason = ErrUnauthorized, ReasonRefused
	case status == http.StatusForbidden:
		e.kind = ErrForbidden
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(header.Get("Retry-After"), now)
		e.RateLimitReason = termtext.Field(header.Get("RateLimit-Reason"), 100)
	}
	return e
}

// isCaptcha recognises Jira's (Seraph's) CAPTCHA answer: after several failed
// logins every authenticated request gets 401/403 with these headers until the
// user passes the CAPTCHA in a browser.
func isCaptcha(h http.Header) bool {
	if h == nil {
		return false
	}
	if strings.Contains(strings.ToUpper(h.Get("X-Authentication-Denied-Reason")), "CAPTCHA_CHALLENGE") {
		return true
	}
	return strings.EqualFold(strings.TrimSpace(h.Get("X-Seraph-LoginReason")), "AUTHENTICATION_DENIED")
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP date (RFC 9110
// §10.2.3). Bad or negative values give 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 24*3600 {
			n = 24 * 3600
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}

// TimeoutError is returned when Jira did not answer within the client's timeout.
// It matches ErrTimeout with errors.Is.
type TimeoutError struct {
	Host  string
	After time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("Jira at %s did not answer within %s: check the URL and the network, then retry", e.Host, e.After)
}

// Is makes errors.Is(err, ErrTimeout) true.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// TLSError is a failed TLS handshake with the problem named: unknown
// authority, a certificate for another host name, an expired certificate, or
// a server that does not speak TLS. It matches ErrTLS with errors.Is and
// unwraps to the crypto/tls or crypto/x509 error.
type TLSError struct {
	Host    string
	Problem string // what is wrong and what to do, one line
	Err     error
}

func (e *TLSError) Error() string {
	return fmt.Sprintf("TLS with %s failed: %s", e.Host, e.Problem)
}

// Unwrap returns the underlying crypto error.
func (e *TLSError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTLS) true.
func (e *TLSError) Is(target error) bool { return target == ErrTLS }

// authFailureReason recognises a successful-looking answer that is really a
// failed login. Jira lets anonymous users read some resources, so credentials
// it rejects can still get a 200: Data Center then serves the anonymous view
// and names the user "anonymous" in X-AUSERNAME; Cloud (and Data Center's
// Seraph filter) mark the answer with X-Seraph-LoginReason:
// AUTHENTICATED_FAILED, often with an empty body. Either is a refused login,
// not "no projects" or "not Jira".
func authFailureReason(h http.Header) string {
	if h == nil {
		return ""
	}
	for _, v := range h.Values("X-Seraph-LoginReason") {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), "AUTHENTICATED_FAILED") {
				return ReasonAuthFailed
			}
		}
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("X-AUSERNAME")), "anonymous") {
		return ReasonAnonymous
	}
	return ""
}

// LinkForbiddenError is a 403 on creating remote links that is not about one
// issue: issue linking is disabled on the site (SiteWide), or the user lacks
// the Link Issues permission in some projects. The run stops asking for those
// projects (or at once, when SiteWide) and keeps their links pending for the
// next run. It matches ErrLinkingForbidden and ErrForbidden with errors.Is.
type LinkForbiddenError struct {
	SiteWide bool     // Jira said issue linking is disabled
	Projects []string // the projects refused, sorted (when not SiteWide)
	Pending  int      // links kept for the next run
	Message  string   // what Jira said, sanitised to one line ("" if nothing)
}

func (e *LinkForbiddenError) Error() string {
	said := ""
	if e.Message != "" {
		said = " (Jira said: " + e.Message + ")"
	}
	kept := fmt.Sprintf("; %d link(s) kept for the next run", e.Pending)
	if e.SiteWide {
		return "Jira refused to create links: issue linking is disabled on this site" + said +
			": a Jira administrator can turn it on (Administration > Issues > Issue linking)" + kept
	}
	which := "those projects"
	if len(e.Projects) == 1 {
		which = "that project"
	}
	return fmt.Sprintf("Jira refused to link issues of %s (403 Forbidden)%s: the user needs the Link Issues permission in %s (ask a Jira administrator), or issue linking is disabled%s",
		strings.Join(e.Projects, ", "), said, which, kept)
}

// Is makes errors.Is(err, ErrLinkingForbidden) and errors.Is(err, ErrForbidden) true.
func (e *LinkForbiddenError) Is(target error) bool {
	return target == ErrLinkingForbidden || target == ErrForbidden
}
