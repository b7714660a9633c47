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
	"unicode"
	"unicode/utf8"
)

// Sentinel errors of the Jira client, checked with errors.Is. Each message is
// one line that says what is wrong and what to do next.
var (
	// ErrUnauthorized: Jira answered 401, the personal access token is wrong,
	// expired or revoked.
	ErrUnauthorized = errors.New("the token was refused (wrong or expired): create a personal access token in Jira (Profile > Personal Access Tokens) and run gitjira jira login again")
	// ErrForbidden: Jira answered 403, the token's user lacks a permission.
	ErrForbidden = errors.New("Jira refused the request (403 Forbidden): the token's user lacks the permission; ask a Jira administrator for it, or log in with another user's token")
	// ErrCaptcha: Jira wants a CAPTCHA after too many failed logins
	// (X-Seraph-LoginReason: AUTHENTICATION_DENIED); no REST call works until
	// the user logs in through the web page once.
	ErrCaptcha = errors.New("Jira asks for a CAPTCHA after failed logins: log in to Jira in a browser once to clear the CAPTCHA, then retry")
	// ErrNotJira: the URL answered, but not like a Jira Data Center/Server site
	// (an HTML page, a 404 on /rest/api/2/serverInfo, a redirect, Jira Cloud).
	ErrNotJira = errors.New("the URL does not look like a Jira Data Center/Server site: check the base URL, e.g. https://jira.example.com")
	// ErrTimeout: Jira did not answer within the client's timeout (see *TimeoutError).
	ErrTimeout = errors.New("Jira did not answer in time")
	// ErrTLS: the TLS handshake failed (see *TLSError).
	ErrTLS = errors.New("TLS handshake with Jira failed")
	// ErrNoSite: no Jira site has been configured with gitjira jira login.
	ErrNoSite = errors.New("no Jira site configured: run gitjira jira login --url URL")
)

// APIError is an error answer from the Jira REST API that is not one of the
// sentinels' cases on its own. 401, 403 and CAPTCHA answers are *APIError too
// and unwrap to ErrUnauthorized, ErrForbidden and ErrCaptcha.
type APIError struct {
	Status     int           // HTTP status code
	Method     string        // request method, e.g. "POST"
	Path       string        // request path below the base URL, e.g. "/rest/api/2/project"
	Message    string        // Messages joined with "; ", "" when the body had none
	Messages   []string      // from the body's "errorMessages" and "errors" (one line each, sanitised)
	RetryAfter time.Duration // from Retry-After on 429/503, 0 when absent

	kind error // ErrUnauthorized, ErrForbidden, ErrCaptcha or nil
}

// Unwrap returns the sentinel this answer stands for (nil for plain API errors).
func (e *APIError) Unwrap() error { return e.kind }

// Error returns one line: what Jira said and what to do next.
func (e *APIError) Error() string {
	said := ""
	if e.Message != "" {
		said = " (Jira said: " + e.Message + ")"
	}
	if e.kind != nil {
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
		next = "check that it exists and that the token's user can see it"
	case e.Status >= 500:
		next = "Jira has a problem: retry later, or ask a Jira administrator to look at its logs"
	default:
		next = "check the request"
	}
	return what + said + ": " + next
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

// oneLine makes s safe for a one-line terminal message: valid UTF-8, control
// characters (newlines, escapes) turned into spaces, runs of spaces collapsed.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// newAPIError builds the error for a non-2xx answer. header may be nil.
func newAPIError(status int, method, path string, header http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{Status: status, Method: method, Path: path}
	e.Messages = parseErrorMessages(body)
	e.Message = strings.Join(e.Messages, "; ")
	switch {
	case isCaptcha(header):
		e.kind = ErrCaptcha
	case status == http.StatusUnauthorized:
		e.kind = ErrUnauthorized
	case status == http.StatusForbidden:
		e.kind = ErrForbidden
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(header.Get("Retry-After"), now)
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
