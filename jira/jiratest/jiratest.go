// Package jiratest is a fake Jira site on 127.0.0.1 for tests: an httptest
// server that answers the REST API v2 calls gitjira makes (myself,
// serverInfo, project, issue remote links: GET, POST, DELETE by globalId)
// with the response shapes of the Jira Server and Cloud platform REST API
// references, and knobs to make it a Data Center site with personal access
// tokens, an older one with basic auth only, or Jira Cloud (basic auth with
// e-mail and API token); to answer failed logins as 401, as the anonymous
// view (200, X-AUSERNAME: anonymous) or as an empty 200 with
// X-Seraph-LoginReason: AUTHENTICATED_FAILED; to ask for a CAPTCHA, disable
// issue linking, deny the Link Issues permission in a project, hide issues,
// fail, rate-limit, answer slowly or answer like a web site that is not
// Jira. It records the requests it received.
//
// It does not import package jira, so jira's own tests can use it.
package jiratest

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultToken is the personal access token the server accepts unless
// SetToken changes it.
const DefaultToken = "jiratest-NzQ2MTU4OTk3NjQxOkZha2VQYXQ"

// DefaultEmail and DefaultAPIToken are the Cloud account SetCloud adds.
const (
	DefaultEmail    = "alice@example.com"
	DefaultAPIToken = "ATATT3xFfGF0jiratest-api-token"
)

// FailedAuth says how the server answers credentials it does not accept.
type FailedAuth int

const (
	// FailedAuth401: 401 with Jira's JSON error (Data Center's usual answer).
	FailedAuth401 FailedAuth = iota
	// FailedAuthAnonymous: the request is served as anonymous: resources
	// anonymous users may read answer 200 with X-AUSERNAME: anonymous and
	// the anonymous view (AnonymousProjects); the others 401.
	FailedAuthAnonymous
	// FailedAuthEmpty: resources anonymous users may read answer 200 with
	// X-Seraph-LoginReason: AUTHENTICATED_FAILED and an empty body (the
	// project list) or the public answer (serverInfo); the others 401, as
	// Jira Cloud does for an expired API token.
	FailedAuthEmpty
)

// Project is a project of the fake site.
type Project struct {
	ID, Key, Name, ProjectTypeKey string
}

// RemoteLink is a remote issue link as stored and listed by the fake site.
type RemoteLink struct {
	ID           int64          `json:"id"`
	Self         string         `json:"self"`
	GlobalID     string         `json:"globalId,omitempty"`
	Application  map[string]any `json:"application,omitempty"`
	Relationship string         `json:"relationship,omitempty"`
	Object       map[string]any `json:"object"`
}

// Title returns object.title.
func (l RemoteLink) Title() string { s, _ := l.Object["title"].(string); return s }

// URL returns object.url.
func (l RemoteLink) URL() string { s, _ := l.Object["url"].(string); return s }

// Request is a request the server received.
type Request struct {
	Method string
	Path   string // below the context path, e.g. /rest/api/2/project
	Query  string // the raw query, e.g. globalId=gitjira%3A...
	Header http.Header
	Body   []byte
}

// Server is the fake site. Its knobs are safe to change while requests run.
type Server struct {
	// URL is the site's base URL (with the context path, if any), what a
	// user gives to gitjira jira login --url.
	URL string
	// HTTP is the underlying test server; HTTP.Client() trusts its
	// certificate when the server uses TLS.
	HTTP *httptest.Server

	contextPath string

	mu          sync.Mutex
	token       string
	basic       map[string]string // user (or e-mail) -> password (or API token)
	failedAuth  FailedAuth
	anonProjs   []Project
	linkOff     bool
	noLink      map[string]bool // projects without the Link Issues permission
	user        [3]string       // name, display name, email
	title       string
	version     string
	deployment  string
	projects    []Project
	issues      map[string]bool
	anyIssue    bool
	links       map[string][]RemoteLink
	nextLinkID  int64
	captcha     bool
	html        bool
	delay       time.Duration
	fail        func(r *http.Request) int
	failLeft    int
	failStatus  int
	retryAfter  string
	requests    []Request
	onRequest   func(Request)
	closeSignal chan struct{}

	extraOnce sync.Once
	extra     *issueExtras
	// Cloud platform (atlassian.go): the site's cloud id, and API tokens
	// accepted only through the API gateway (scoped tokens).
	cloudID string
	scoped  map[string]string
}

// Option configures NewServer.
type Option func(*serverConfig)

type serverConfig struct {
	tls         bool
	contextPath string
}

// WithTLS serves HTTPS with httptest's self-signed certificate (trusted only
// by Server.HTTP.Client()).
func WithTLS() Option { return func(c *serverConfig) { c.tls = true } }

// WithContextPath serves Jira below a context path, e.g. "/jira".
func WithContextPath(p string) Option {
	return func(c *serverConfig) { c.contextPath = "/" + strings.Trim(p, "/") }
}

// NewServer starts a fake site on 127.0.0.1 and closes it when the test ends.
// It accepts DefaultToken, has the user "admin" (Alice Admin), the projects
// PROJ and OPS, and the issues PROJ-1..PROJ-20 and OPS-1..OPS-5.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var cfg serverConfig
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		contextPath: cfg.contextPath,
		token:       DefaultToken,
		title:       "Jira Test",
		version:     "9.12.2",
		deployment:  "Server",
		projects: []Project{
			{ID: "10000", Key: "PROJ", Name: "Project One", ProjectTypeKey: "software"},
			{ID: "10001", Key: "OPS", Name: "Operations", ProjectTypeKey: "business"},
		},
		issues:      map[string]bool{},
		basic:       map[string]string{},
		noLink:      map[string]bool{},
		links:       map[string][]RemoteLink{},
		nextLinkID:  10000,
		closeSignal: make(chan struct{}),
		cloudID:     DefaultCloudID,
		scoped:      map[string]string{},
	}
	s.SetUser("admin", "Alice Admin", "alice@example.com")
	for i := 1; i <= 20; i++ {
		s.issues[fmt.Sprintf("PROJ-%d", i)] = true
	}
	for i := 1; i <= 5; i++ {
		s.issues[fmt.Sprintf("OPS-%d", i)] = true
	}
	s.HTTP = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Tests make failing TLS handshakes on purpose; keep their log lines quiet.
	s.HTTP.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cfg.tls {
		s.HTTP.StartTLS()
	} else {
		s.HTTP.Start()
	}
	s.URL = s.HTTP.URL + s.contextPath
	t.Cleanup(s.Close)
	return s
}

// Close stops the server; slow answers in progress end at once.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.closeSignal:
	default:
		close(s.closeSignal)
	}
	s.mu.Unlock()
	s.HTTP.Close()
}

// SetToken sets the one token the server accepts.
func (s *Server) SetToken(tok string) { s.mu.Lock(); s.token = tok; s.mu.Unlock() }

// SetBasicAuth makes the server accept basic auth with this user (a Data
// Center username, or a Cloud e-mail) and password (or API token), besides
// the bearer token.
func (s *Server) SetBasicAuth(user, password string) {
	s.mu.Lock()
	s.basic[user] = password
	s.mu.Unlock()
}

// SetCloud makes the site Jira Cloud: serverInfo says deploymentType Cloud
// and version 1001.0.0-SNAPSHOT, myself has an accountId and no name or key,
// bearer tokens are refused with 401 (even on serverInfo), DefaultEmail with
// DefaultAPIToken is accepted with basic auth, and other failed basic logins
// get FailedAuthEmpty answers.
func (s *Server) SetCloud() {
	s.mu.Lock()
	s.title, s.version, s.deployment = "Jira", "1001.0.0-SNAPSHOT", "Cloud"
	s.basic[DefaultEmail] = DefaultAPIToken
	s.failedAuth = FailedAuthEmpty
	s.mu.Unlock()
}

// SetFailedAuth chooses how failed logins are answered.
func (s *Server) SetFailedAuth(f FailedAuth) { s.mu.Lock(); s.failedAuth = f; s.mu.Unlock() }

// SetAnonymousProjects sets the projects anonymous users may browse (the
// list FailedAuthAnonymous answers with).
func (s *Server) SetAnonymousProjects(ps ...Project) {
	s.mu.Lock()
	s.anonProjs = slices.Clone(ps)
	s.mu.Unlock()
}

// SetLinkingDisabled turns issue linking off for the whole site: creating
// or deleting a remote link answers 403 "Issue linking is currently disabled."
func (s *Server) SetLinkingDisabled(v bool) { s.mu.Lock(); s.linkOff = v; s.mu.Unlock() }

// SetLinkPermission grants or denies the Link Issues permission in a
// project: without it, creating or deleting a remote link there answers 403.
func (s *Server) SetLinkPermission(project string, allowed bool) {
	s.mu.Lock()
	s.noLink[project] = !allowed
	s.mu.Unlock()
}

// AddIssues makes these issues exist (and visible).
func (s *Server) AddIssues(keys ...string) {
	s.mu.Lock()
	for _, k := range keys {
		s.issues[k] = true
	}
	s.mu.Unlock()
}

// SetUser sets the token's user.
func (s *Server) SetUser(name, displayName, email string) {
	s.mu.Lock()
	s.user = [3]string{name, displayName, email}
	s.mu.Unlock()
}

// userJSON is GET /rest/api/2/myself in Data Center's shape.
func (s *Server) userJSON() map[string]any {
	s.mu.Lock()
	name, displayName, email := s.user[0], s.user[1], s.user[2]
	s.mu.Unlock()
	s.mu.Lock()
	cloud := s.deployment == "Cloud"
	s.mu.Unlock()
	if cloud {
		// Cloud's shape: an accountId, no name or key.
		return map[string]any{
			"self":         s.URL + "/rest/api/2/user?accountId=5b10a2844c20165700ede21g",
			"accountId":    "5b10a2844c20165700ede21g",
			"accountType":  "atlassian",
			"emailAddress": email,
			"avatarUrls": map[string]string{
				"48x48": "https://avatar-management.example.com/48",
				"24x24": "https://avatar-management.example.com/24",
				"16x16": "https://avatar-management.example.com/16",
				"32x32": "https://avatar-management.example.com/32",
			},
			"displayName":      displayName,
			"active":           true,
			"timeZone":         "Europe/Berlin",
			"locale":           "en_US",
			"groups":           map[string]any{"size": 1, "items": []any{}},
			"applicationRoles": map[string]any{"size": 1, "items": []any{}},
			"expand":           "groups,applicationRoles",
		}
	}
	return map[string]any{
		"self":         s.URL + "/rest/api/2/user?username=" + name,
		"key":          "JIRAUSER10100",
		"name":         name,
		"emailAddress": email,
		"avatarUrls": map[string]string{
			"48x48": s.URL + "/secure/useravatar?avatarId=10122",
			"24x24": s.URL + "/secure/useravatar?size=small&avatarId=10122",
			"16x16": s.URL + "/secure/useravatar?size=xsmall&avatarId=10122",
			"32x32": s.URL + "/secure/useravatar?size=medium&avatarId=10122",
		},
		"displayName":      displayName,
		"active":           true,
		"deleted":          false,
		"timeZone":         "Europe/Berlin",
		"locale":           "en_US",
		"groups":           map[string]any{"size": 1, "items": []any{}},
		"applicationRoles": map[string]any{"size": 1, "items": []any{}},
		"expand":           "groups,applicationRoles",
	}
}

// SetServerInfo sets serverTitle, version and deploymentType.
func (s *Server) SetServerInfo(title, version, deploymentType string) {
	s.mu.Lock()
	s.title, s.version, s.deployment = title, version, deploymentType
	s.mu.Unlock()
}

// SetProjects replaces the projects list.
func (s *Server) SetProjects(ps ...Project) {
	s.mu.Lock()
	s.projects = slices.Clone(ps)
	s.mu.Unlock()
}

// SetIssues replaces the set of issues that exist.
func (s *Server) SetIssues(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issues = map[string]bool{}
	for _, k := range keys {
		s.issues[k] = true
	}
}

// SetAnyIssueExists makes every issue key exist (for large generated histories).
func (s *Server) SetAnyIssueExists(v bool) { s.mu.Lock(); s.anyIssue = v; s.mu.Unlock() }

// SetCaptcha makes every request answer like a site that wants a CAPTCHA:
// 403 with X-Seraph-LoginReason: AUTHENTICATION_DENIED.
func (s *Server) SetCaptcha(v bool) { s.mu.Lock(); s.captcha = v; s.mu.Unlock() }

// SetHTML makes the server answer every request with a 200 HTML page, like
// a web site that is not Jira.
func (s *Server) SetHTML(v bool) { s.mu.Lock(); s.html = v; s.mu.Unlock() }

// SetDelay delays every answer (ended early when the client gives up).
func (s *Server) SetDelay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// FailNext makes the next n requests answer status with a Jira error body
// (n < 0: every request). For 429 and 503 the Retry-After of SetRetryAfter
// is sent.
func (s *Server) FailNext(status, n int) {
	s.mu.Lock()
	s.failStatus, s.failLeft = status, n
	s.mu.Unlock()
}

// FailWhen decides per request: a non-zero status is answered as FailNext
// would. It is consulted before FailNext; nil removes it.
func (s *Server) FailWhen(f func(r *http.Request) int) { s.mu.Lock(); s.fail = f; s.mu.Unlock() }

// SetRetryAfter sets the Retry-After header value of 429/503 answers ("" = none).
func (s *Server) SetRetryAfter(v string) { s.mu.Lock(); s.retryAfter = v; s.mu.Unlock() }

// OnRequest calls f (outside the server's lock) for each request before it is answered.
func (s *Server) OnRequest(f func(Request)) { s.mu.Lock(); s.onRequest = f; s.mu.Unlock() }

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests had this method and path ("" matches any method).
func (s *Server) Count(method, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if (method == "" || r.Method == method) && r.Path == path {
			n++
		}
	}
	return n
}

// Links returns the remote links of an issue.
func (s *Server) Links(issueKey string) []RemoteLink {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.links[issueKey])
}

// AllLinks returns the number of remote links on all issues.
func (s *Server) AllLinks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ls := range s.links {
		n += len(ls)
	}
	return n
}

var remoteLinkPath = regexp.MustCompile(`^/rest/api/2/issue/([^/]+)/remotelink$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	path := r.URL.Path
	inContext := strings.HasPrefix(path, s.contextPath+"/") || s.contextPath == ""
	path = strings.TrimPrefix(path, s.contextPath)
	req := Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}

	s.mu.Lock()
	s.requests = append(s.requests, req)
	hook, delay, html, captcha := s.onRequest, s.delay, s.html, s.captcha
	token, failFn, retryAfter := s.token, s.fail, s.retryAfter
	s.mu.Unlock()

	if path == "/_edge/tenant_info" && r.URL.Path == path {
		// At the host's root; Cloud sites only.
		s.tenantInfo(w)
		return
	}
	status := 0
	if failFn != nil {
		status = failFn(r)
	}
	if status == 0 {
		s.mu.Lock()
		if s.failLeft != 0 {
			status = s.failStatus
			if s.failLeft > 0 {
				s.failLeft--
			}
		}
		s.mu.Unlock()
	}

	if hook != nil {
		hook(req)
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.closeSignal:
			t.Stop()
			return
		}
	}
	if html || !inContext {
		code := http.StatusOK
		if !inContext {
			code = http.StatusNotFound
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(code)
		io.WriteString(w, "<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>\n")
		return
	}
	if captcha {
		w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATION_DENIED")
		w.Header().Set("X-Authentication-Denied-Reason", "CAPTCHA_CHALLENGE; login-url="+s.URL+"/login.jsp")
		writeError(w, http.StatusForbidden, "CAPTCHA_CHALLENGE")
		return
	}
	if status != 0 {
		if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if status == http.StatusTooManyRequests {
			x := s.extras()
			x.mu.Lock()
			reason := x.rlReason
			x.mu.Unlock()
			if reason != "" {
				w.Header().Set("RateLimit-Reason", reason)
			}
		}
		writeError(w, status, http.StatusText(status))
		return
	}
	if r.Header.Get("Authorization") == "" && r.Method == http.MethodGet && path == "/rest/api/2/serverInfo" {
		// serverInfo is open to anonymous callers on every Jira.
		writeJSON(w, http.StatusOK, s.serverInfoJSON())
		return
	}
	if !s.authenticated(r, token) {
		s.failAuth(w, r, path)
		return
	}

	switch {
	case path == "/rest/api/2/myself" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.userJSON())
	case path == "/rest/api/2/serverInfo" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.serverInfoJSON())
	case path == "/rest/api/2/project" && r.Method == http.MethodGet:
		s.mu.Lock()
		ps := slices.Clone(s.projects)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, s.projectsJSON(ps))
	case s.serveExtras(w, r, path, body):
	case path == "/rest/api/3/project/search" && r.Method == http.MethodGet:
		s.projectSearch(w, r)
	case remoteLinkPath.MatchString(path):
		key := remoteLinkPath.FindStringSubmatch(path)[1]
		s.remoteLink(w, r, key, body)
	default:
		// Jira's REST dispatcher answers unknown resources with a JSON 404.
		writeError(w, http.StatusNotFound, "null for uri: "+s.URL+path)
	}
}

func (s *Server) serverInfoJSON() map[string]any {
	s.mu.Lock()
	title, version, dep := s.title, s.version, s.deployment
	s.mu.Unlock()
	return map[string]any{
		"baseUrl":        s.URL,
		"version":        version,
		"versionNumbers": versionNumbers(version),
		"deploymentType": dep,
		"buildNumber":    9120002,
		"buildDate":      "2023-12-21T00:00:00.000+0000",
		"serverTime":     time.Now().UTC().Format("2006-01-02T15:04:05.000-0700"),
		"scmInfo":        "0c0d5b5c5d5f2a3a9d0a8e4c6b1b1e0c1f9e8a7b",
		"serverTitle":    title,
	}
}

// authenticated checks the Authorization header: the bearer token (only on
// Data Center 8.14 and later: older versions and Cloud have no personal
// access tokens) or basic auth with a configured user.
func (s *Server) authenticated(r *http.Request, token string) bool {
	s.mu.Lock()
	cloud, version := s.deployment == "Cloud", versionNumbers(s.version)
	s.mu.Unlock()
	auth := r.Header.Get("Authorization")
	if bearer, ok := strings.CutPrefix(auth, "Bearer "); ok {
		pats := !cloud && (version[0] > 8 || version[0] == 8 && len(version) > 1 && version[1] >= 14)
		return pats && bearer == token
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	s.mu.Lock()
	want, known := s.basic[user]
	scopedWant, scoped := s.scoped[user]
	s.mu.Unlock()
	if scoped && viaGateway(r) {
		return pass == scopedWant
	}
	return known && pass == want
}

// failAuth answers a request whose credentials were not accepted, as the
// FailedAuth mode says.
func (s *Server) failAuth(w http.ResponseWriter, r *http.Request, path string) {
	s.mu.Lock()
	mode, anon, cloud := s.failedAuth, slices.Clone(s.anonProjs), s.deployment == "Cloud"
	s.mu.Unlock()
	public := r.Method == http.MethodGet && (path == "/rest/api/2/serverInfo" || path == "/rest/api/2/project")
	if cloud && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		// Cloud does not take bearer tokens: an API token sent as one gets
		// 401 even on serverInfo.
		public = false
	}
	switch {
	case mode == FailedAuthAnonymous && public:
		w.Header().Set("X-AUSERNAME", "anonymous")
		if path == "/rest/api/2/serverInfo" {
			writeJSON(w, http.StatusOK, s.serverInfoJSON())
			return
		}
		writeJSON(w, http.StatusOK, s.projectsJSON(anon))
		return
	case mode == FailedAuthEmpty && public:
		w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
		if path == "/rest/api/2/serverInfo" {
			writeJSON(w, http.StatusOK, s.serverInfoJSON())
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		return
	case cloud:
		// Cloud's 401 is a plain-text line.
		w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
		w.Header().Set("WWW-Authenticate", `Basic realm="Jira", OAuth realm="https%3A%2F%2Fsite.atlassian.net"`)
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "Client must be authenticated to access this resource.")
		return
	}
	if mode == FailedAuthAnonymous {
		w.Header().Set("X-AUSERNAME", "anonymous")
	}
	// What Jira DC answers for a wrong, expired or missing PAT on a
	// resource that needs a user.
	w.Header().Set("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")
	w.Header().Set("WWW-Authenticate", `OAuth realm="`+s.URL+`"`)
	writeError(w, http.StatusUnauthorized, "You are not authenticated. Authentication required to perform this operation.")
}

func (s *Server) projectsJSON(ps []Project) []map[string]any {
	out := make([]map[string]any, 0, len(ps))
	for _, p := range ps {
		out = append(out, map[string]any{
			"expand": "description,lead,url,projectKeys",
			"self":   s.URL + "/rest/api/2/project/" + p.ID,
			"id":     p.ID,
			"key":    p.Key,
			"name":   p.Name,
			"avatarUrls": map[string]string{
				"48x48": s.URL + "/secure/projectavatar?avatarId=10324",
				"24x24": s.URL + "/secure/projectavatar?size=small&avatarId=10324",
				"16x16": s.URL + "/secure/projectavatar?size=xsmall&avatarId=10324",
				"32x32": s.URL + "/secure/projectavatar?size=medium&avatarId=10324",
			},
			"projectTypeKey": p.ProjectTypeKey,
			"archived":       false,
		})
	}
	return out
}

// remoteLink implements /rest/api/2/issue/{key}/remotelink: GET lists the
// issue's links (or, with ?globalId=, answers the one link); POST with a
// globalId the issue already has updates that link (200), otherwise it adds
// one (201), both answering {"id", "self"}; DELETE ?globalId= removes the
// link (204). An issue that does not exist or is hidden answers 404, as Jira
// does for both; with issue linking disabled or without the Link Issues
// permission in the project, POST and DELETE answer 403.
func (s *Server) remoteLink(w http.ResponseWriter, r *http.Request, key string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.issues[key] && !s.anyIssue {
		writeError(w, http.StatusNotFound, "Issue Does Not Exist")
		return
	}
	globalID := r.URL.Query().Get("globalId")
	if s.refuseLink(w, r, key, len(s.links[key]), func() bool {
		var in RemoteLink
		json.Unmarshal(body, &in)
		for _, l := range s.links[key] {
			if in.GlobalID != "" && l.GlobalID == in.GlobalID {
				return true
			}
		}
		return false
	}) {
		return
	}
	if r.Method == http.MethodPost || r.Method == http.MethodDelete {
		project := key
		if i := strings.LastIndexByte(key, '-'); i > 0 {
			project = key[:i]
		}
		switch {
		case s.linkOff:
			writeError(w, http.StatusForbidden, "Issue linking is currently disabled.")
			return
		case s.noLink[project]:
			writeError(w, http.StatusForbidden, "You do not have permission to link issues in this project.")
			return
		}
	}
	switch r.Method {
	case http.MethodGet:
		ls := s.links[key]
		if globalID != "" {
			for _, l := range ls {
				if l.GlobalID == globalID {
					writeJSON(w, http.StatusOK, l)
					return
				}
			}
			writeError(w, http.StatusNotFound, "No remote link with the given global ID was found for this issue.")
			return
		}
		if ls == nil {
			ls = []RemoteLink{}
		}
		writeJSON(w, http.StatusOK, ls)
	case http.MethodDelete:
		if globalID == "" {
			writeError(w, http.StatusBadRequest, "A global ID must be given.")
			return
		}
		for i, l := range s.links[key] {
			if l.GlobalID == globalID {
				s.links[key] = slices.Delete(s.links[key], i, i+1)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		writeError(w, http.StatusNotFound, "No remote link with the given global ID was found for this issue.")
	case http.MethodPost:
		var in RemoteLink
		if err := json.Unmarshal(body, &in); err != nil {
			writeJSONStatus(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{"Unexpected character in the JSON body"}, "errors": map[string]string{}})
			return
		}
		fieldErrs := map[string]string{}
		if u, _ := in.Object["url"].(string); u == "" {
			fieldErrs["url"] = "'url' is required."
		}
		if t, _ := in.Object["title"].(string); t == "" {
			fieldErrs["title"] = "'title' is required."
		}
		if len(in.GlobalID) > 255 {
			fieldErrs["globalId"] = "The global ID must not exceed 255 characters."
		}
		if len(fieldErrs) > 0 {
			writeJSONStatus(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{}, "errors": fieldErrs})
			return
		}
		if in.GlobalID != "" {
			for i, l := range s.links[key] {
				if l.GlobalID == in.GlobalID {
					in.ID, in.Self = l.ID, l.Self
					s.links[key][i] = in
					writeJSON(w, http.StatusOK, map[string]any{"id": in.ID, "self": in.Self})
					return
				}
			}
		}
		s.nextLinkID++
		in.ID = s.nextLinkID
		in.Self = fmt.Sprintf("%s/rest/api/2/issue/%s/remotelink/%d", s.URL, key, in.ID)
		s.links[key] = append(s.links[key], in)
		writeJSON(w, http.StatusCreated, map[string]any{"id": in.ID, "self": in.Self})
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
}

func versionNumbers(v string) []int {
	var out []int
	for _, p := range strings.Split(v, ".") {
		n := 0
		fmt.Sscan(p, &n)
		out = append(out, n)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) { writeJSONStatus(w, status, v) }

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers with Jira's ErrorCollection shape.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSONStatus(w, status, map[string]any{"errorMessages": []string{msg}, "errors": map[string]string{}})
}
