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

// Client talks to one Jira Data Center/Server site over REST API v2 with a
// personal access token (Authorization: Bearer). The zero Timeout means
// DefaultTimeout. Fields may be changed before the first request; a Client is
// safe for concurrent use afterwards.
type Client struct {
	BaseURL string       // e.g. https://jira.example.com or https://host/jira, no trailing slash
	Token   string       // personal access token; never printed (see String)
	HTTP    *http.Client // nil: a client with Timeout; redirects are never followed

	Timeout   time.Duration // per request; 0 = DefaultTimeout
	UserAgent string        // "" = gitjira's
}

// NewClient checks baseURL (http or https, a host, no query or fragment, no
// user info; a context path such as /jira is kept, a trailing slash dropped)
// and returns a client that sends token as a bearer token.
func NewClient(baseURL, token string) (*Client, error) {
	base, err := NormalizeBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if err := checkToken(token); err != nil {
		return nil, err
	}
	return &Client{
		BaseURL: base,
		Token:   token,
		HTTP:    &http.Client{Timeout: DefaultTimeout},
	}, nil
}

// NormalizeBaseURL validates a Jira base URL and returns it without a trailing
// slash. The error is one line saying what to fix.
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
		return "", fmt.Errorf("%q uses %s: give an https:// (or http://) Jira base URL, e.g. https://jira.example.com", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("%q has no host name: give the base URL, e.g. https://jira.example.com", raw)
	}
	if u.User != nil {
		// A password in the URL would end up in the config file and logs; the
		// token is the only credential.
		return "", fmt.Errorf("the Jira URL must not contain a user name or password: give only https://host[/path]; the token is asked separately")
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
	return u.String(), nil
}

func checkToken(token string) error {
	if strings.TrimSpace(token) == "" {
		return errors.New("the Jira token is empty: create a personal access token in Jira (Profile > Personal Access Tokens)")
	}
	for _, r := range token {
		if r < 0x21 || r == 0x7f {
			return errors.New("the Jira token contains spaces or control characters: paste only the personal access token")
		}
	}
	return nil
}

// String describes the client without its token.
func (c *Client) String() string {
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

// errNoRedirect stops the HTTP client at a redirect: Jira's REST API never
// redirects, so a redirect means a wrong base URL (http→https, a login or SSO
// page), and following it would replay the token to wherever it points.
var errNoRedirect = http.ErrUseLastResponse

// do sends one request and decodes a JSON answer into out (if not nil). It
// returns the HTTP status of a successful answer.
func (c *Client) do(ctx context.Context, method, path string, body, out any) (int, error) {
	if err := checkToken(c.Token); err != nil {
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
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	ua := c.UserAgent
	if ua == "" {
		ua = userAgent
	}
	req.Header.Set("User-Agent", ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
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
		loc := resp.Header.Get("Location")
		return 0, fmt.Errorf("%s %s redirects to %q (Jira's REST API does not redirect): if that is Jira, log in with its base URL: %w", method, reqURL, oneLine(loc), ErrNotJira)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		if resp.StatusCode == http.StatusNotFound && !isJSON(resp.Header) {
			// Jira answers unknown REST paths with its JSON error shape; a
			// plain 404 page means the path is not a Jira REST API at all.
			return 0, fmt.Errorf("%s answered 404 with a %s page: %w", reqURL, contentKind(resp.Header), ErrNotJira)
		}
		apiErr := newAPIError(resp.StatusCode, method, path, resp.Header, b, time.Now())
		if apiErr.kind == nil && !isJSON(resp.Header) && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return 0, fmt.Errorf("%s answered %d with a %s page: %w", reqURL, resp.StatusCode, contentKind(resp.Header), ErrNotJira)
		}
		return 0, apiErr
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
		return 0, fmt.Errorf("%s answered JSON that is not what Jira sends (%v): %w", reqURL, err, ErrNotJira)
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
	return fmt.Errorf("cannot reach Jira at %s: %v: check the URL and the network", c.host(), err)
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
		return &TLSError{Host: host, Err: err, Problem: fmt.Sprintf("the certificate is for %s, not %s: use the host name the certificate names in the URL", strings.Join(names, ", "), hostErr.Host)}
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired {
			return &TLSError{Host: host, Err: err, Problem: "the certificate has expired or is not valid yet: check this machine's clock, or ask the Jira administrator to renew the certificate"}
		}
		return &TLSError{Host: host, Err: err, Problem: fmt.Sprintf("the certificate is not valid (%v): ask the Jira administrator to fix it", invalid)}
	case errors.As(err, &record):
		return &TLSError{Host: host, Err: err, Problem: "the server does not speak TLS on this port: use http:// or the right port"}
	case errors.As(err, &verify):
		return &TLSError{Host: host, Err: err, Problem: fmt.Sprintf("the certificate could not be verified (%v): fix the certificate or the trust store", verify.Err)}
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return &TLSError{Host: host, Err: err, Problem: "the server answered plain HTTP: use http:// in the URL"}
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

// User is the answer of GET /rest/api/2/myself (Data Center: name is the login
// name, key the immutable user key, e.g. JIRAUSER10100).
type User struct {
	Name         string `json:"name"`
	Key          string `json:"key"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	Active       bool   `json:"active"`
	TimeZone     string `json:"timeZone,omitempty"`
}

// ServerInfo is the answer of GET /rest/api/2/serverInfo.
type ServerInfo struct {
	BaseURL        string `json:"baseUrl"`
	Version        string `json:"version"`
	VersionNumbers []int  `json:"versionNumbers"`
	DeploymentType string `json:"deploymentType"` // "Server" or "DataCenter"; "Cloud" is refused
	BuildNumber    int    `json:"buildNumber"`
	ServerTitle    string `json:"serverTitle"`
}

// Project is one entry of GET /rest/api/2/project.
type Project struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	ProjectTypeKey string `json:"projectTypeKey,omitempty"` // software, business, service_desk
}

// Myself returns the token's user; it is the cheapest call that proves the
// token works.
func (c *Client) Myself(ctx context.Context) (*User, error) {
	var u User
	if _, err := c.do(ctx, http.MethodGet, "/rest/api/2/myself", nil, &u); err != nil {
		return nil, err
	}
	if u.Name == "" && u.Key == "" && u.DisplayName == "" {
		return nil, fmt.Errorf("%s/rest/api/2/myself answered without a user: %w", c.BaseURL, ErrNotJira)
	}
	return &u, nil
}

// ServerInfo returns the site's title, version and deployment type. A 404 or a
// non-Jira answer is ErrNotJira, Jira Cloud is refused (it takes API tokens
// with basic auth, not personal access tokens).
func (c *Client) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	var si ServerInfo
	if _, err := c.do(ctx, http.MethodGet, "/rest/api/2/serverInfo", nil, &si); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil, fmt.Errorf("%s/rest/api/2/serverInfo does not exist: %w", c.BaseURL, ErrNotJira)
		}
		return nil, err
	}
	if si.Version == "" {
		return nil, fmt.Errorf("%s/rest/api/2/serverInfo has no Jira version: %w", c.BaseURL, ErrNotJira)
	}
	if strings.EqualFold(si.DeploymentType, "Cloud") {
		return nil, fmt.Errorf("%s is Jira Cloud: gitjira talks to Jira Data Center/Server (personal access tokens); use a Data Center/Server site", c.BaseURL)
	}
	return &si, nil
}

// Projects lists the projects the token's user can browse. Jira Data Center
// answers with one JSON array, without pagination.
func (c *Client) Projects(ctx context.Context) ([]Project, error) {
	var ps []Project
	if _, err := c.do(ctx, http.MethodGet, "/rest/api/2/project", nil, &ps); err != nil {
		return nil, err
	}
	if ps == nil {
		ps = []Project{}
	}
	return ps, nil
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

// RemoteLinks lists the remote links of an issue (GET .../remotelink).
func (c *Client) RemoteLinks(ctx context.Context, issueKey string) ([]RemoteLink, error) {
	p, err := issuePath(issueKey)
	if err != nil {
		return nil, err
	}
	var links []RemoteLink
	if _, err := c.do(ctx, http.MethodGet, p, nil, &links); err != nil {
		return nil, err
	}
	return links, nil
}
