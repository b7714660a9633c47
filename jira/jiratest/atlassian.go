package jiratest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Jira Cloud platform around a site: Atlassian's token endpoint (OAuth
// 2.0 client credentials), the Development Information API
// (/jira/devinfo/0.1/cloud/{cloudId}/...) and the API gateway scoped tokens
// use (/ex/jira/{cloudId}/...), with the request and answer shapes of
// Atlassian's "Integrating Jira Software Cloud with on-premises tools" guide
// and the Development Information REST reference. The site itself answers
// SITE/_edge/tenant_info with its cloud id.

// DefaultCloudID is the fake site's cloud id.
const DefaultCloudID = "0c4e2f5a-7b1d-4e3a-9f2c-5d6e7f8a9b0c"

// Default OAuth client credentials the platform accepts.
const (
	DefaultClientID     = "Vx3NvVmIa8cH0jiratestClientId"
	DefaultClientSecret = "ATOAjiratest-client-secret-9f8e7d6c"
)

type gatewayKey struct{}

// viaGateway reports whether the platform forwarded the request through
// its API gateway (set in the request's context, so no client can fake it).
func viaGateway(r *http.Request) bool { v, _ := r.Context().Value(gatewayKey{}).(bool); return v }

// SetScopedToken makes the site accept e-mail and API token with basic
// auth only through the platform's API gateway, as Atlassian does for
// scoped API tokens and service accounts.
func (s *Server) SetScopedToken(email, token string) {
	s.mu.Lock()
	s.scoped[email] = token
	s.mu.Unlock()
}

func (s *Server) tenantInfo(w http.ResponseWriter) {
	s.mu.Lock()
	cloud, id := s.deployment == "Cloud", s.cloudID
	s.mu.Unlock()
	if !cloud {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<!DOCTYPE html><html><body>Not Found</body></html>\n")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"cloudId": id})
}

// projectSearch is Cloud's paginated GET /rest/api/3/project/search.
func (s *Server) projectSearch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ps := slices.Clone(s.projects)
	s.mu.Unlock()
	slices.SortFunc(ps, func(a, b Project) int { return strings.Compare(a.Key, b.Key) })
	start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
	max, err := strconv.Atoi(r.URL.Query().Get("maxResults"))
	if err != nil || max <= 0 || max > 50 {
		max = 50
	}
	start = min(max0(start), len(ps))
	end := min(start+max, len(ps))
	page := map[string]any{
		"self":       s.URL + r.URL.RequestURI(),
		"maxResults": max,
		"startAt":    start,
		"total":      len(ps),
		"isLast":     end >= len(ps),
		"values":     s.projectsJSON(ps[start:end]),
	}
	if end < len(ps) {
		page["nextPage"] = fmt.Sprintf("%s/rest/api/3/project/search?startAt=%d&maxResults=%d", s.URL, end, max)
	}
	writeJSON(w, http.StatusOK, page)
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// DevInfoRepository is a repository as the Development Information API
// stores it.
type DevInfoRepository struct {
	ID               string
	Name             string
	URL              string
	UpdateSequenceID int64
	Properties       map[string]string
	Commits          map[string]DevInfoCommit
}

// DevInfoCommit is a stored commit.
type DevInfoCommit struct {
	ID, Hash, Message, URL, DisplayID, AuthorTimestamp string
	Author                                             map[string]string
	IssueKeys                                          []string
	UpdateSequenceID                                   int64
	FileCount                                          int
}

// DevInfoPush is one accepted POST …/bulk.
type DevInfoPush struct {
	OperationType      string
	PreventTransitions bool
	Commits            int
	Properties         map[string]string
}

// Platform is the fake Atlassian platform of a site.
type Platform struct {
	URL  string
	HTTP *httptest.Server
	site *Server

	mu         sync.Mutex
	clientID   string
	secret     string
	devinfoOK  bool
	tokens     map[string]time.Time
	nextToken  int
	repos      map[string]*DevInfoRepository
	pushes     []DevInfoPush
	deletes    []url.Values
	fail429    int
	retryAfter string
	requests   []Request
}

// NewPlatform starts the platform and makes the site Jira Cloud. It serves
// TLS when the site does (trusted by Platform.Client(); tests add the site's
// certificate), plain http on 127.0.0.1 otherwise (which gitjira accepts for
// loopback addresses only).
func (s *Server) NewPlatform(t testing.TB) *Platform {
	t.Helper()
	s.SetCloud()
	p := &Platform{site: s, clientID: DefaultClientID, secret: DefaultClientSecret, devinfoOK: true,
		tokens: map[string]time.Time{}, repos: map[string]*DevInfoRepository{}}
	p.HTTP = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.HTTP.Config.ErrorLog = log.New(io.Discard, "", 0)
	if strings.HasPrefix(s.URL, "https://") {
		p.HTTP.StartTLS()
	} else {
		p.HTTP.Start()
	}
	p.URL = p.HTTP.URL
	t.Cleanup(p.HTTP.Close)
	return p
}

// Client is an HTTP client that trusts both the platform's and the site's
// certificates.
func (p *Platform) Client() *http.Client { return p.HTTP.Client() }

// SetDevInfoPermission grants or revokes the "Development information"
// permission of the OAuth credentials.
func (p *Platform) SetDevInfoPermission(ok bool) { p.mu.Lock(); p.devinfoOK = ok; p.mu.Unlock() }

// Fail429 answers the next n devinfo requests with 429 and Retry-After.
func (p *Platform) Fail429(n int, retryAfter string) {
	p.mu.Lock()
	p.fail429, p.retryAfter = n, retryAfter
	p.mu.Unlock()
}

// Repositories returns the stored repositories by id.
func (p *Platform) Repositories() map[string]DevInfoRepository {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]DevInfoRepository{}
	for id, r := range p.repos {
		c := *r
		c.Commits = map[string]DevInfoCommit{}
		for k, v := range r.Commits {
			c.Commits[k] = v
		}
		out[id] = c
	}
	return out
}

// Pushes returns the accepted bulk pushes in order.
func (p *Platform) Pushes() []DevInfoPush {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.pushes)
}

// Deletes returns the queries of the DELETE …/bulkByProperties received.
func (p *Platform) Deletes() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.deletes)
}

// Requests returns what the platform received.
func (p *Platform) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

var (
	devinfoPath = regexp.MustCompile(`^/jira/devinfo/0\.1/cloud/([^/]+)(/.*)$`)
	gatewayPath = regexp.MustCompile(`^/ex/jira/([^/]+)(/.*)$`)
)

func (p *Platform) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	p.mu.Lock()
	p.requests = append(p.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	p.mu.Unlock()
	switch {
	case r.URL.Path == "/oauth/token" && r.Method == http.MethodPost:
		p.token(w, r, body)
	case gatewayPath.MatchString(r.URL.Path):
		m := gatewayPath.FindStringSubmatch(r.URL.Path)
		p.site.mu.Lock()
		id, ctxPath := p.site.cloudID, p.site.contextPath
		p.site.mu.Unlock()
		if m[1] != id {
			writeJSONStatus(w, http.StatusNotFound, map[string]any{"code": 404, "message": "Not Found"})
			return
		}
		r2 := r.Clone(context.WithValue(r.Context(), gatewayKey{}, true))
		r2.URL.Path = ctxPath + m[2]
		r2.Body = io.NopCloser(strings.NewReader(string(body)))
		p.site.serve(w, r2)
	case devinfoPath.MatchString(r.URL.Path):
		m := devinfoPath.FindStringSubmatch(r.URL.Path)
		p.devinfo(w, r, m[1], m[2], body)
	default:
		writeJSONStatus(w, http.StatusNotFound, map[string]any{"code": 404, "message": "Not Found"})
	}
}

// token is POST /oauth/token with grant_type=client_credentials.
func (p *Platform) token(w http.ResponseWriter, r *http.Request, body []byte) {
	form, _ := url.ParseQuery(string(body))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var j map[string]string
		_ = json.Unmarshal(body, &j)
		form = url.Values{}
		for k, v := range j {
			form.Set(k, v)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if form.Get("grant_type") != "client_credentials" {
		writeJSONStatus(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Grant type is not supported"})
		return
	}
	if form.Get("audience") != "api.atlassian.com" {
		writeJSONStatus(w, http.StatusForbidden, map[string]string{"error": "access_denied", "error_description": "Service not found: " + form.Get("audience")})
		return
	}
	if form.Get("client_id") != p.clientID || form.Get("client_secret") != p.secret {
		writeJSONStatus(w, http.StatusUnauthorized, map[string]string{"error": "access_denied", "error_description": "Unauthorized"})
		return
	}
	p.nextToken++
	tok := fmt.Sprintf("eyJjiratest.%d", p.nextToken)
	p.tokens[tok] = time.Now().Add(time.Hour)
	writeJSONStatus(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": 3600, "token_type": "Bearer", "scope": "manage:jira-data-provider"})
}

func (p *Platform) devinfo(w http.ResponseWriter, r *http.Request, cloudID, rest string, body []byte) {
	p.site.mu.Lock()
	siteID := p.site.cloudID
	p.site.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, ok := p.tokens[bearer]; !ok || time.Now().After(exp) {
		writeJSONStatus(w, http.StatusUnauthorized, map[string]any{"code": 401, "message": "Unauthorized"})
		return
	}
	if cloudID != siteID {
		writeJSONStatus(w, http.StatusNotFound, map[string]any{"code": 404, "message": "Cloud not found"})
		return
	}
	if !p.devinfoOK {
		writeJSONStatus(w, http.StatusForbidden, map[string]any{"code": 403, "message": "Forbidden: the credentials lack the scope manage:jira-development-information"})
		return
	}
	if p.fail429 > 0 {
		p.fail429--
		if p.retryAfter != "" {
			w.Header().Set("Retry-After", p.retryAfter)
		}
		writeJSONStatus(w, http.StatusTooManyRequests, map[string]any{"errorMessages": []map[string]string{{"message": "Rate limit exceeded"}}})
		return
	}
	switch {
	case rest == "/bulk" && r.Method == http.MethodPost:
		p.bulk(w, body)
	case strings.HasPrefix(rest, "/repository/") && r.Method == http.MethodGet:
		id, _ := url.PathUnescape(strings.TrimPrefix(rest, "/repository/"))
		repo, ok := p.repos[id]
		if !ok {
			writeJSONStatus(w, http.StatusNotFound, map[string]any{"errorMessages": []map[string]string{{"message": "Repository not found"}}})
			return
		}
		writeJSONStatus(w, http.StatusOK, map[string]any{"id": repo.ID, "name": repo.Name, "url": repo.URL, "updateSequenceId": repo.UpdateSequenceID})
	case rest == "/bulkByProperties" && r.Method == http.MethodDelete:
		q := r.URL.Query()
		p.deletes = append(p.deletes, q)
		for id, repo := range p.repos {
			match := len(q) > 0
			for k := range q {
				if repo.Properties[k] != q.Get(k) {
					match = false
				}
			}
			if match {
				delete(p.repos, id)
			}
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		writeJSONStatus(w, http.StatusNotFound, map[string]any{"errorMessages": []map[string]string{{"message": "Not Found"}}})
	}
}

// bulk validates and stores POST …/bulk as the reference describes: at
// most 1,000 entities, required fields present, updateSequenceId ordering;
// it answers 202 with accepted ids and unknownIssueKeys.
func (p *Platform) bulk(w http.ResponseWriter, body []byte) {
	var req struct {
		Repositories []struct {
			ID               string            `json:"id"`
			Name             string            `json:"name"`
			URL              string            `json:"url"`
			UpdateSequenceID *int64            `json:"updateSequenceId"`
			Commits          []json.RawMessage `json:"commits"`
		} `json:"repositories"`
		PreventTransitions bool              `json:"preventTransitions"`
		OperationType      string            `json:"operationType"`
		Properties         map[string]string `json:"properties"`
	}
	bad := func(msg string) {
		writeJSONStatus(w, http.StatusBadRequest, map[string]any{"errorMessages": []map[string]string{{"message": msg}}})
	}
	if err := json.Unmarshal(body, &req); err != nil {
		bad("Invalid JSON")
		return
	}
	if req.OperationType != "" && req.OperationType != "NORMAL" && req.OperationType != "BACKFILL" {
		bad("operationType must be NORMAL or BACKFILL")
		return
	}
	if len(req.Properties) > 5 {
		bad("at most 5 properties")
		return
	}
	n := 0
	for _, repo := range req.Repositories {
		n += len(repo.Commits)
	}
	if n > 1000 {
		bad(fmt.Sprintf("A maximum of 1000 entities can be submitted in a single request; %d given", n))
		return
	}
	p.site.mu.Lock()
	issues, anyIssue := p.site.issues, p.site.anyIssue
	known := func(k string) bool { return anyIssue || issues[k] }
	accepted := map[string]map[string][]string{}
	var unknown []string
	for _, rr := range req.Repositories {
		if rr.ID == "" || rr.Name == "" || rr.URL == "" || rr.UpdateSequenceID == nil || len(rr.ID) > 1024 || len(rr.Name) > 255 {
			p.site.mu.Unlock()
			bad("repository: id, name, url and updateSequenceId are required")
			return
		}
		repo := p.repos[rr.ID]
		if repo == nil {
			repo = &DevInfoRepository{ID: rr.ID, Commits: map[string]DevInfoCommit{}}
			p.repos[rr.ID] = repo
		}
		repo.Name, repo.URL, repo.UpdateSequenceID, repo.Properties = rr.Name, rr.URL, *rr.UpdateSequenceID, req.Properties
		var ids []string
		for _, raw := range rr.Commits {
			var c struct {
				ID               string            `json:"id"`
				IssueKeys        []string          `json:"issueKeys"`
				UpdateSequenceID *int64            `json:"updateSequenceId"`
				Hash             string            `json:"hash"`
				Message          *string           `json:"message"`
				Author           map[string]string `json:"author"`
				FileCount        *int              `json:"fileCount"`
				URL              string            `json:"url"`
				AuthorTimestamp  string            `json:"authorTimestamp"`
				DisplayID        string            `json:"displayId"`
			}
			if json.Unmarshal(raw, &c) != nil || c.ID == "" || len(c.IssueKeys) == 0 || len(c.IssueKeys) > 100 || c.UpdateSequenceID == nil ||
				c.Hash == "" || c.Message == nil || c.Author["name"] == "" || c.FileCount == nil || c.URL == "" || c.DisplayID == "" {
				p.site.mu.Unlock()
				bad("commit: id, issueKeys (1 to 100), updateSequenceId, hash, message, author.name, fileCount, url, authorTimestamp and displayId are required")
				return
			}
			if _, err := time.Parse(time.RFC3339, c.AuthorTimestamp); err != nil {
				p.site.mu.Unlock()
				bad("commit " + c.ID + ": authorTimestamp is not an ISO 8601 date-time")
				return
			}
			for _, k := range c.IssueKeys {
				if !known(k) && !slices.Contains(unknown, k) {
					unknown = append(unknown, k)
				}
			}
			if old, ok := repo.Commits[c.ID]; ok && old.UpdateSequenceID >= *c.UpdateSequenceID {
				continue // an older update: ignored, not a failure
			}
			repo.Commits[c.ID] = DevInfoCommit{ID: c.ID, Hash: c.Hash, Message: *c.Message, URL: c.URL, DisplayID: c.DisplayID,
				AuthorTimestamp: c.AuthorTimestamp, Author: c.Author, IssueKeys: c.IssueKeys, UpdateSequenceID: *c.UpdateSequenceID, FileCount: *c.FileCount}
			ids = append(ids, c.ID)
		}
		accepted[rr.ID] = map[string][]string{"commits": ids}
	}
	p.site.mu.Unlock()
	p.pushes = append(p.pushes, DevInfoPush{OperationType: req.OperationType, PreventTransitions: req.PreventTransitions, Commits: n, Properties: req.Properties})
	ans := map[string]any{"acceptedDevinfoEntities": accepted, "failedDevinfoEntities": map[string]any{}}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		ans["unknownIssueKeys"] = unknown
	}
	writeJSONStatus(w, http.StatusAccepted, ans)
}
