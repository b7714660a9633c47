package jira

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// DefaultTimeout bounds every request to Jira: connecting, TLS, sending and
// reading the whole answer.
const DefaultTimeout = 30 * time.Second

// Answer size limits: a project list of a large Data Center site is a few MB;
// anything far beyond is not an answer we want in memory. Variables so tests
// can lower them.
var (
	maxResponseBytes int64 = 32 << 20
	maxErrorBytes    int64 = 64 << 10
)

// userAgent names gitjira in Jira's access log.
const userAgent = "gitjira (+https://github.com/gitjira/gitjira)"

// KindFromHost recognises Jira Cloud by its host names (*.atlassian.net and
// the older *.jira.com); other hosts give store.KindUnknown.
func KindFromHost(host string) store.SiteKind {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	if strings.HasSuffix(h, ".atlassian.net") || strings.HasSuffix(h, ".jira.com") {
		return store.KindCloud
	}
	return store.KindUnknown
}

// KindFromServerInfo reads serverInfo's deploymentType: "Cloud" is Jira
// Cloud; "Server" and "DataCenter" (what Data Center 9 and 10 still answer)
// are Data Center/Server. Cloud's version 1001.x also marks it when the
// field is missing.
func KindFromServerInfo(si *ServerInfo) store.SiteKind {
	switch {
	case si == nil:
		return store.KindUnknown
	case strings.EqualFold(si.DeploymentType, "Cloud"):
		return store.KindCloud
	case si.DeploymentType != "":
		return store.KindDataCenter
	case len(si.VersionNumbers) > 0 && si.VersionNumbers[0] >= 1000:
		return store.KindCloud
	case si.Version != "":
		return store.KindDataCenter
	}
	return store.KindUnknown
}

// hasPersonalAccessTokens: Jira Data Center/Server has personal access
// tokens from 8.14 on.
func hasPersonalAccessTokens(version []int) bool {
	return versionAtLeast(version, 8, 14)
}

func versionAtLeast(v []int, major, minor int) bool {
	if len(v) == 0 {
		return true // unknown: assume a current version
	}
	if v[0] != major {
		return v[0] > major
	}
	return len(v) > 1 && v[1] >= minor
}

func versionString(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ".")
}

// Client talks to one Jira site over REST API v2. Without User it sends
// Token as a bearer token (a Data Center personal access token); with User
// it uses basic auth (Cloud: account e-mail and API token; Data Center before
// 8.14: username and password). Kind and Version only pick the advice errors
// give. The zero Timeout means DefaultTimeout. Fields may be changed before
// the first request; a Client is safe for concurrent use afterwards.
type Client struct {
	BaseURL string // e.g. https://jira.example.com or https://host/jira, no trailing slash
	Token   string // personal access token, API token or password; never printed (see String)
	User    string // basic-auth user (Cloud e-mail or Data Center username); "" = bearer Token

	// InsecureHTTP allows an http:// BaseURL to a host other than this
	// machine; the credentials then cross the network in clear (see
	// InsecureWarning). Without it such a client refuses every request.
	InsecureHTTP bool

	Kind    store.SiteKind // what the site is (KindFromHost, KindFromServerInfo)
	Version []int          // serverInfo's versionNumbers, when known

	HTTP *http.Client // nil: a client with Timeout; redirects are never followed

	Timeout   time.Duration // per request; 0 = DefaultTimeout
	UserAgent string        // "" = gitjira's

	anonymous bool // send no credentials (the serverInfo probe after a refusal)

	// tokens, when set, gives the bearer token of each request (Jira Cloud
	// OAuth client credentials, oauth.go) instead of Token.
	tokens oauth2.TokenSource
}

// NewClient checks baseURL (https, or http to this machine only; a host, no
// query or fragment, no user info; a context path such as /jira is kept, a
// trailing slash dropped) and returns a client that sends token as a bearer
// token. For basic auth, Cloud or http:// to another host, use SiteClient.
func NewClient(baseURL, token string) (*Client, error) {
	return newClient(baseURL, "", token, false)
}

func newClient(baseURL, user, token string, insecure bool) (*Client, error) {
	base, err := NormalizeBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if _, err := CheckTransport(base, insecure); err != nil {
		return nil, err
	}
	if err := checkCredentials(user, token); err != nil {
		return nil, err
	}
	c := &Client{
		BaseURL:      base,
		Token:        token,
		User:         user,
		InsecureHTTP: insecure,
		HTTP:         &http.Client{Timeout: DefaultTimeout},
	}
	c.Kind = KindFromHost(c.host())
	return c, nil
}

// CheckTransport decides whether credentials may be sent to base: https
// always; http only to this machine (a loopback address or localhost, where
// nothing crosses a network, as browsers treat them as secure contexts), or
// when insecure is set. With insecure and a remote http:// URL the warning to
// show each time the credentials are sent is returned; without insecure the
// error wraps ErrInsecureHTTP.
func CheckTransport(base string, insecure bool) (warning string, err error) {
	u, perr := url.Parse(base)
	if perr != nil || !strings.EqualFold(u.Scheme, "http") || isLoopbackHost(u.Hostname()) {
		return "", nil
	}
	if !insecure {
		return "", fmt.Errorf("%s: %w", base, ErrInsecureHTTP)
	}
	return fmt.Sprintf("the Jira credentials are sent in clear over http:// to %s (logged in with --insecure-http); anyone on the network path can read and reuse them", u.Host), nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// InsecureWarning is the line to show each time this client is used when it
// sends credentials in clear (InsecureHTTP to a remote http:// URL); "" otherwise.
func (c *Client) InsecureWarning() string {
	w, _ := CheckTransport(c.BaseURL, true)
	return w
}

// NormalizeBaseURL validates a Jira base URL and returns it without a trailing
// slash. The error is one line saying what to fix. It accepts http:// (see
// CheckTransport for when credentials may go there).
func NormalizeBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("no Jira URL given: pass the base URL, e.g. --url https://jira.example.com")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not a Jira URL: give the base URL with its scheme, e.g. https://jira.example.com", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "http":
	default:
		return "", fmt.Errorf("%q uses %s: give an https:// Jira base URL, e.g. https://jira.example.com", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("%q has no host name: give the base URL, e.g. https://jira.example.com", raw)
	}
	if u.User != nil {
		// A password in the URL would end up in the config file and logs; the
		// credentials are asked separately.
		return "", fmt.Errorf("the Jira URL must not contain a user name or password: give only https://host[/path]; the credentials are asked separately")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("%q has a query or fragment: give only the base URL, e.g. https://jira.example.com", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	// A base URL copied from the browser often ends in a page of Jira; the REST
	// API lives under the context path, not under those pages.
	for _, page := range []string{"/secure/Dashboard.jspa", "/login.jsp", "/secure", "/browse"} {
		if strings.HasSuffix(u.Path, page) {
			return "", fmt.Errorf("%q is a Jira page, not the base URL: drop %s", raw, page)
		}
	}
	// Jira Cloud has no context path; a path is a web page (/jira/your-work…).
	if KindFromHost(u.Host) == store.KindCloud && u.Path != "" {
		return "", fmt.Errorf("%q is a Jira Cloud page, not the base URL: give only https://%s", raw, u.Host)
	}
	return u.String(), nil
}

// checkCredentials checks what goes into the Authorization header.
func checkCredentials(user, token string) error {
	if user != "" {
		for _, r := range user {
			// RFC 7617: the user-id of basic auth cannot contain a colon.
			if r < 0x20 || r == 0x7f || r == ':' {
				return errors.New("the Jira user name contains a colon or control characters: give the login name (or, for Jira Cloud, the account e-mail)")
			}
		}
		if token == "" {
			return errors.New("the Jira password or API token is empty: paste the API token (Jira Cloud) or the password")
		}
		for _, r := range token {
			if r < 0x20 || r == 0x7f {
				return errors.New("the Jira password or API token contains control characters: paste only the secret")
			}
		}
		return nil
	}
	return checkToken(token)
}

func checkToken(token string) error {
	if strings.TrimSpace(token) == "" {
		return errors.New("the Jira token is empty: create a personal access token in Jira (Profile > Personal Access Tokens) or, for Jira Cloud, an API token and log in with --email")
	}
	for _, r := range token {
		if r < 0x21 || r == 0x7f {
			return errors.New("the Jira token contains spaces or control characters: paste only the token")
		}
	}
	return nil
}

// String describes the client without its secret.
func (c *Client) String() string {
	if c.User != "" {
		return fmt.Sprintf("jira.Client{BaseURL: %s, User: %s, Token: <hidden>}", c.BaseURL, c.User)
	}
	return fmt.Sprintf("jira.Client{BaseURL: %s, Token: <hidden>}", c.BaseURL)
}

// GoString hides the token from %#v too.
func (c *Client) GoString() string { return c.String() }

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Client) host() string {
	if u, err := url.Parse(c.BaseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return c.BaseURL
}

func (c *Client) siteContext() siteContext {
	kind := c.Kind
	if kind == store.KindUnknown {
		kind = KindFromHost(c.host())
	}
	return siteContext{kind: kind, version: c.Version, user: c.User}
}

// errNoRedirect stops the HTTP client at a redirect: Jira's REST API never
// redirects, so a redirect means a wrong base URL (http→https, a login or SSO
// page), and following it would replay the token to wherever it points.
var errNoRedirect = http.ErrUseLastResponse

// do sends one request and decodes a JSON answer into out (if not nil). It
// returns the HTTP status of a successful answer. Everything read from the
// answer is bounded (maxResponseBytes, maxErrorBytes) and every text of it
// that reaches an error is sanitised.
func (c *Client) do(ctx context.Context, method, path string, body, out any) (int, error) {
	if c.tokens == nil && !c.anonymous {
		if err := checkCredentials(c.User, c.Token); err != nil {
			return 0, err
		}
	}
	if _, err := CheckTransport(c.BaseURL, c.InsecureHTTP); err != nil {
		return 0, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()

	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	reqURL := c.BaseURL + path
	req, err := http.NewRequestWithContext(ctx, method, reqURL, rd)
	if err != nil {
		return 0, fmt.Errorf("bad Jira request %s %s: %v", method, path, err)
	}
	switch {
	case c.anonymous:
	case c.tokens != nil:
		tok, err := c.tokens.Token()
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Token)
	default:
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("Accept", "application/json")
	ua := c.UserAgent
	if ua == "" {
		ua = userAgent
	}
	req.Header.Set("User-Agent", ua)
	if body != nil || method == http.MethodDelete {
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		// Jira's XSRF check does not apply to JSON bodies, but reverse proxies
		// in front of some sites reject writes without it.
		req.Header.Set("X-Atlassian-Token", "no-check")
	}

	hc := http.Client{Timeout: DefaultTimeout}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return errNoRedirect }
	if hc.Timeout == 0 || hc.Timeout > c.timeout() {
		hc.Timeout = c.timeout()
	}

	resp, err := hc.Do(req)
	if err != nil {
		return 0, c.transportError(parent, ctx, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc := termtext.Field(resp.Header.Get("Location"), 200)
		return 0, fmt.Errorf("%s %s redirects to %q (Jira's REST API does not redirect): if that is Jira, log in with its base URL: %w", method, reqURL, loc, ErrNotJira)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		if resp.StatusCode == http.StatusNotFound && !isJSON(resp.Header) {
			// Jira answers unknown REST paths with its JSON error shape; a
			// plain 404 page means the path is not a Jira REST API at all.
			return 0, fmt.Errorf("%s answered 404 with a %s page: %w", reqURL, contentKind(resp.Header), ErrNotJira)
		}
		apiErr := newAPIError(resp.StatusCode, method, path, resp.Header, b, time.Now())
		apiErr.site = c.siteContext()
		if apiErr.kind == nil && !isJSON(resp.Header) && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return 0, fmt.Errorf("%s answered %d with a %s page: %w", reqURL, resp.StatusCode, contentKind(resp.Header), ErrNotJira)
		}
		return 0, apiErr
	}
	// A 2xx can still be a failed login: checked before the body is trusted.
	var authErr *APIError
	if c.anonymous {
		// No credentials sent: the anonymous view is the answer asked for.
	} else if isCaptcha(resp.Header) {
		authErr = &APIError{Status: resp.StatusCode, Method: method, Path: path, Reason: ReasonCaptcha, kind: ErrCaptcha}
	} else if reason := authFailureReason(resp.Header); reason != "" {
		authErr = &APIError{Status: resp.StatusCode, Method: method, Path: path, Reason: reason, kind: ErrUnauthorized}
	}
	if authErr != nil {
		authErr.site = c.siteContext()
		if out != nil && isJSON(resp.Header) {
			// The anonymous serverInfo still says what the site is, which
			// picks the right advice (see ServerInfo).
			if b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes)); err == nil {
				json.Unmarshal(b, out)
			}
		}
		return 0, authErr
	}
	if out == nil {
		return resp.StatusCode, nil
	}
	if !isJSON(resp.Header) {
		return 0, fmt.Errorf("%s answered with a %s page instead of JSON: %w", reqURL, contentKind(resp.Header), ErrNotJira)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return 0, c.transportError(parent, ctx, err)
	}
	if int64(len(b)) > maxResponseBytes {
		return 0, fmt.Errorf("Jira's answer to %s %s is larger than %d MiB: refusing to read it", method, path, maxResponseBytes>>20)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return 0, fmt.Errorf("%s answered JSON that is not what Jira sends (%s): %w", reqURL, termtext.Field(err.Error(), 120), ErrNotJira)
	}
	return resp.StatusCode, nil
}

// transportError turns a failed round trip into one clear line: the caller's
// cancellation stays a context error (so an interrupted run can tell), our own
// deadline becomes a *TimeoutError, certificate problems a *TLSError.
func (c *Client) transportError(parent, ctx context.Context, err error) error {
	if perr := parent.Err(); perr != nil {
		return fmt.Errorf("request to Jira interrupted: %w", perr)
	}
	var ne net.Error
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &TimeoutError{Host: c.host(), After: c.timeout()}
	}
	if te := classifyTLS(c.host(), err); te != nil {
		return te
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot find Jira host %s (%s): check the URL", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("cannot connect to Jira at %s (%v): check the URL, the port and that Jira is running", c.host(), opErr.Err)
	}
	return fmt.Errorf("cannot reach Jira at %s: %s: check the URL and the network", c.host(), termtext.Field(err.Error(), 300))
}

// classifyTLS names the certificate problem, or returns nil if err is not one.
func classifyTLS(host string, err error) *TLSError {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknown):
		return &TLSError{Host: host, Err: err, Problem: "the certificate is signed by an unknown authority: add your organisation's CA certificate to the system trust store (or point SSL_CERT_FILE at it) and retry"}
	case errors.As(err, &hostErr):
		names := hostErr.Certificate.DNSNames
		for _, ip := range hostErr.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		return &TLSError{Host: host, Err: err, Problem: fmt.Sprintf("the certificate is for %s, not %s: use the host name the certificate names in the URL", termtext.Field(strings.Join(names, ", "), 200), hostErr.Host)}
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return &TLSError{Host: host, Err: err, Problem: "the certificate has expired or is not valid yet: check this machine's clock, or ask the Jira administrator to renew the certificate"}
		}
		return &TLSError{Host: host, Err: err, Problem: fmt.Sprintf("the certificate is not valid (%s): ask the Jira administrator to fix it", termtext.Field(invalid.Error(), 200))}
	case errors.As(err, &record):
		// Never "use http://": that would send the credentials in clear.
		return &TLSError{Host: host, Err: err, Problem: "the server does not speak TLS (HTTPS) on this port: check the port in the URL (Jira's HTTPS port, often 443 or 8443) or ask the Jira administrator for the https:// address"}
	case errors.As(err, &verify):
		return &TLSError{Host: host, Err: err, Problem: fmt.Sprintf("the certificate could not be verified (%s): fix the certificate or the trust store", termtext.Field(fmt.Sprint(verify.Err), 200))}
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return &TLSError{Host: host, Err: err, Problem: "the server answered plain HTTP, not HTTPS, on this port: check the port in the URL or ask the Jira administrator for the https:// address"}
	}
	return nil
}

func isJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func contentKind(h http.Header) string {
	ct := h.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		return "non-JSON"
	case err != nil:
		return "non-JSON"
	case mt == "text/html":
		return "HTML"
	}
	return oneLine(mt)
}

// User is the answer of GET /rest/api/2/myself. Data Center: name is the
// login name, key the immutable user key (e.g. JIRAUSER10100). Cloud has
// neither: accountId identifies the user. Text fields are sanitised.
type User struct {
	Name         string `json:"name"`
	Key          string `json:"key"`
	AccountID    string `json:"accountId,omitempty"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	Active       bool   `json:"active"`
	TimeZone     string `json:"timeZone,omitempty"`
}

// ServerInfo is the answer of GET /rest/api/2/serverInfo. Text fields are
// sanitised.
type ServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	VersionNumbers []int  `json:"versionNumbers"`
	DeploymentType string `json:"deploymentType"` // "Server" or "DataCenter" (Data Center), "Cloud"
	BuildNumber    int    `json:"buildNumber"`
	ServerTitle    string `json:"serverTitle"`
}

// Kind is the kind of site this serverInfo describes.
func (si *ServerInfo) Kind() store.SiteKind { return KindFromServerInfo(si) }

// Project is one entry of GET /rest/api/2/project. Text fields are sanitised.
type Project struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	ProjectTypeKey string `json:"projectTypeKey,omitempty"` // software, business, service_desk
}

// Bounds on names from Jira shown in lists and messages.
const maxNameRunes = 200

// Myself returns the credentials' user; it is the cheapest call that proves
// they work (Jira answers 401 to an anonymous caller).
func (c *Client) Myself(ctx context.Context) (*User, error) {
	var u User
	if _, err := c.do(ctx, http.MethodGet, "/rest/api/2/myself", nil, &u); err != nil {
		return nil, err
	}
	if u.Name == "" && u.Key == "" && u.AccountID == "" && u.DisplayName == "" {
		return nil, fmt.Errorf("%s/rest/api/2/myself answered without a user: %w", c.BaseURL, ErrNotJira)
	}
	for _, f := range []*string{&u.Name, &u.Key, &u.AccountID, &u.DisplayName, &u.EmailAddress, &u.TimeZone} {
		*f = termtext.Field(*f, maxNameRunes)
	}
	return &u, nil
}

// ServerInfo returns the site's title, version and deployment type (Cloud
// included: see store.SiteKind). A 404 or a non-Jira answer is ErrNotJira.
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	var si ServerInfo
	if _, err := c.do(ctx, http.MethodGet, "/rest/api/2/serverInfo", nil, &si); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil, fmt.Errorf("%s/rest/api/2/serverInfo does not exist: %w", c.BaseURL, ErrNotJira)
		}
		if errors.As(err, &ae) && ae.kind == ErrUnauthorized && !c.anonymous {
			// serverInfo is public: the anonymous answer (in the 200 that
			// refused the credentials, or asked for without them after a
			// 401) says what the site is, so the advice fits it, e.g. an
			// API token for Cloud rather than a personal access token.
			if si.Version == "" {
				anon := *c
				anon.anonymous = true
				if info, err := anon.ServerInfo(ctx); err == nil {
					si = *info
				}
			}
			if si.Version != "" {
				ae.site.kind, ae.site.version = KindFromServerInfo(&si), si.VersionNumbers
			}
		}
		return nil, err
	}
	if si.Version == "" {
		return nil, fmt.Errorf("%s/rest/api/2/serverInfo has no Jira version: %w", c.BaseURL, ErrNotJira)
	}
	for _, f := range []*string{&si.BaseURL, &si.Version, &si.DeploymentType, &si.ServerTitle} {
		*f = termtext.Field(*f, maxNameRunes)
	}
	return &si, nil
}

// Projects lists the projects the user can browse. Jira answers with one
// JSON array, without pagination.
func (c *Client) Projects(ctx context.Context) ([]Project, error) {
	var ps []Project
	if c.Kind == store.KindCloud {
		var err error
		if ps, err = c.searchProjects(ctx); err != nil {
			return nil, err
		}
	} else if _, err := c.do(ctx, http.MethodGet, "/rest/api/2/project", nil, &ps); err != nil {
		return nil, err
	}
	if ps == nil {
		ps = []Project{}
	}
	for i := range ps {
		p := &ps[i]
		for _, f := range []*string{&p.ID, &p.Key, &p.Name, &p.ProjectTypeKey} {
			*f = termtext.Field(*f, maxNameRunes)
		}
	}
	return ps, nil
}

// Paging of Cloud's project search: Atlassian's maximum page, and a bound on
// pages so a server that never says isLast cannot keep us forever.
const (
	projectPage     = 50
	maxProjectPages = 400 // 20,000 projects
)

// searchProjects lists a Cloud site's projects with the paginated
// /rest/api/3/project/search (Cloud deprecated the unpaginated list).
func (c *Client) searchProjects(ctx context.Context) ([]Project, error) {
	var all []Project
	for page := 0; page < maxProjectPages; page++ {
		var res struct {
			Values []Project `json:"values"`
			IsLast *bool     `json:"isLast"`
			Total  int       `json:"total"`
		}
		path := fmt.Sprintf("/rest/api/3/project/search?startAt=%d&maxResults=%d&orderBy=key", len(all), projectPage)
		if _, err := c.do(ctx, http.MethodGet, path, nil, &res); err != nil {
			return nil, err
		}
		all = append(all, res.Values...)
		if len(res.Values) == 0 || (res.IsLast != nil && *res.IsLast) || (res.IsLast == nil && res.Total > 0 && len(all) >= res.Total) {
			return all, nil
		}
	}
	return all, nil
}

// RemoteLink is the body of POST /rest/api/2/issue/{key}/remotelink. With a
// GlobalID Jira updates the issue's existing link with that id instead of
// adding another one, which makes pushing links idempotent.
type RemoteLink struct {
	ID           int64              `json:"id,omitempty"` // set in answers only
	GlobalID     string             `json:"globalId,omitempty"`
	Application  *RemoteApplication `json:"application,omitempty"`
	Relationship string             `json:"relationship,omitempty"`
	Object       RemoteObject       `json:"object"`
}

// RemoteApplication names the system a remote link points into.
type RemoteApplication struct {
	Type string `json:"type,omitempty"`
	Name string `json:"name,omitempty"`
}

// RemoteObject is what a remote link shows: URL and title are required.
type RemoteObject struct {
	URL     string      `json:"url"`
	Title   string      `json:"title"`
	Summary string      `json:"summary,omitempty"`
	Icon    *RemoteIcon `json:"icon,omitempty"`
}

// RemoteIcon is a 16x16 icon for a remote link.
type RemoteIcon struct {
	URL16x16 string `json:"url16x16,omitempty"`
	Title    string `json:"title,omitempty"`
	Link     string `json:"link,omitempty"`
}

// issueKeyPattern is Jira's default issue key syntax (project key, dash,
// number); checked before the key goes into a URL path.
var issueKeyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]+-[0-9]+$`)

func issuePath(issueKey string) (string, error) {
	if !issueKeyPattern.MatchString(issueKey) {
		return "", fmt.Errorf("%q is not a Jira issue key (like PROJ-7)", issueKey)
	}
	return "/rest/api/2/issue/" + url.PathEscape(issueKey) + "/remotelink", nil
}

// UpsertRemoteLink creates the remote link on the issue, or updates the link
// that has the same GlobalID.
func (c *Client) UpsertRemoteLink(ctx context.Context, issueKey string, link RemoteLink) error {
	_, err := c.upsertRemoteLink(ctx, issueKey, link)
	return err
}

// upsertRemoteLink reports whether the link was created (201) rather than
// updated (200).
func (c *Client) upsertRemoteLink(ctx context.Context, issueKey string, link RemoteLink) (created bool, err error) {
	p, err := issuePath(issueKey)
	if err != nil {
		return false, err
	}
	if link.Object.URL == "" || link.Object.Title == "" {
		return false, errors.New("a remote link needs an object URL and title")
	}
	link.ID = 0
	var resp struct {
		ID   int64  `json:"id"`
		Self string `json:"self"`
	}
	status, err := c.do(ctx, http.MethodPost, p, link, &resp)
	if err != nil {
		return false, err
	}
	return status == http.StatusCreated, nil
}

// RemoteLinks lists the remote links of an issue (GET .../remotelink), their
// text fields sanitised to one bounded line each.
func (c *Client) RemoteLinks(ctx context.Context, issueKey string) ([]RemoteLink, error) {
	p, err := issuePath(issueKey)
	if err != nil {
		return nil, err
	}
	var links []RemoteLink
	if _, err := c.do(ctx, http.MethodGet, p, nil, &links); err != nil {
		return nil, err
	}
	for i := range links {
		l := &links[i]
		for _, f := range []*string{&l.GlobalID, &l.Relationship, &l.Object.URL, &l.Object.Title, &l.Object.Summary} {
			*f = termtext.Field(*f, 1000)
		}
	}
	return links, nil
}

// DeleteRemoteLink deletes the remote link with this globalId from the issue
// (DELETE .../remotelink?globalId=...). It reports false, nil when Jira says
// there is no such link (404 with Jira's JSON error), which is what the caller
// wanted; a missing or invisible issue answers the same way.
func (c *Client) DeleteRemoteLink(ctx context.Context, issueKey, globalID string) (deleted bool, err error) {
	p, err := issuePath(issueKey)
	if err != nil {
		return false, err
	}
	if globalID == "" {
		return false, errors.New("deleting a remote link needs its globalId")
	}
	// The globalId is a query value: escaped as the API reference asks
	// (system=http://…&id=1 becomes system%3Dhttp%3A%2F%2F…%26id%3D1).
	_, err = c.do(ctx, http.MethodDelete, p+"?globalId="+url.QueryEscape(globalID), nil, nil)
	if isMissingIssue(err) {
		return false, nil
	}
	return err == nil, err
}
