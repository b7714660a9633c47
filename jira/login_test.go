package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

func clientTestPaths(t *testing.T) store.Paths {
	t.Helper()
	d := t.TempDir()
	return store.Paths{Config: filepath.Join(d, "config"), Data: filepath.Join(d, "data")}
}

func TestSiteSaveLoad(t *testing.T) {
	p := clientTestPaths(t)
	if s, err := store.LoadSite(p); s != nil || err != nil {
		t.Fatalf("store.LoadSite without a file = %v, %v; want nil, nil", s, err)
	}
	if err := SaveSite(p, store.Site{URL: "https://Jira.example.com/jira/", Token: "s3cret-PAT"}); err != nil {
		t.Fatal(err)
	}
	s, err := store.LoadSite(p)
	if err != nil || s == nil || s.URL != "https://jira.example.com/jira" || s.Token != "s3cret-PAT" {
		t.Fatalf("store.LoadSite = %v (token ok: %v), %v", s, s != nil && s.Token == "s3cret-PAT", err)
	}
	fi, err := os.Stat(p.JiraConfigFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	di, _ := os.Stat(p.Config)
	if di.Mode().Perm() != 0o700 {
		t.Errorf("config dir mode %v; want 0700", di.Mode().Perm())
	}

	// Overwrite: still one file, no temporary file left over.
	if err := SaveSite(p, store.Site{URL: "https://other.example.com", Token: "n3w"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(p.Config)
	if len(entries) != 1 {
		t.Errorf("config dir holds %d entries, want only the config file", len(entries))
	}
	if s, _ := store.LoadSite(p); s == nil || s.Token != "n3w" {
		t.Errorf("after overwrite: %v", s)
	}
}

func TestSiteSaveRefusesBadInput(t *testing.T) {
	p := clientTestPaths(t)
	for _, s := range []store.Site{{URL: "jira.example.com", Token: "x"}, {URL: "https://jira.example.com", Token: ""}, {URL: "https://u:p@h", Token: "x"}} {
		if err := SaveSite(p, s); err == nil {
			t.Errorf("SaveSite(%v) accepted", s)
		}
	}
	if _, err := os.Stat(p.JiraConfigFile()); !os.IsNotExist(err) {
		t.Errorf("a refused save wrote a file: %v", err)
	}
	// A config directory that is a file: error, nothing half-written.
	os.MkdirAll(filepath.Dir(p.Config), 0o700)
	os.WriteFile(p.Config, []byte("x"), 0o600)
	if err := SaveSite(p, store.Site{URL: "https://jira.example.com", Token: "x"}); err == nil || !strings.Contains(err.Error(), p.Config) {
		t.Errorf("SaveSite into a file: %v", err)
	}
}

func TestLoadSiteRefusesBadFiles(t *testing.T) {
	tests := []struct {
		name, content string
		mode          os.FileMode
		has           string
	}{
		{"corrupt", "{not json", 0o600, "is not a gitjira Jira configuration"},
		{"future version", `{"version":4,"url":"https://j","token":"t"}`, 0o600, "format version 4"},
		{"no token", `{"version":1,"url":"https://j"}`, 0o600, "no URL or no token"},
		{"world readable", `{"version":1,"url":"https://j","token":"t"}`, 0o644, "chmod 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := clientTestPaths(t)
			os.MkdirAll(p.Config, 0o700)
			path := p.JiraConfigFile()
			os.WriteFile(path, []byte(tt.content), tt.mode)
			os.Chmod(path, tt.mode)
			s, err := store.LoadSite(p)
			if err == nil || s != nil || !strings.Contains(err.Error(), tt.has) || !strings.Contains(err.Error(), path) {
				t.Errorf("store.LoadSite = %v, %v; want an error naming %s with %q", s, err, path, tt.has)
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Error("store.LoadSite changed the file")
			}
		})
	}
}

func TestSiteNeverShowsToken(t *testing.T) {
	s := store.Site{URL: "https://jira.example.com", Token: "s3cret-PAT"}
	b, _ := json.Marshal(s)
	outs := []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), fmt.Sprintf("%v %+v", &s, &s), string(b)}
	for _, o := range outs {
		if strings.Contains(o, "s3cret") {
			t.Errorf("token shown: %s", o)
		}
	}
	if !strings.Contains(fmt.Sprint(s), "https://jira.example.com") {
		t.Errorf("String lacks the URL: %s", s)
	}
}

// TestLoginCloudSendsBasicAuth: e-mail + API token log in to Jira Cloud with
// basic auth, and the saved site keeps working.
func TestLoginCloudSendsBasicAuth(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetCloud()
	res, err := Login(context.Background(), LoginOptions{URL: srv.URL, Email: jiratest.DefaultEmail, Secret: jiratest.DefaultAPIToken})
	if err != nil {
		t.Fatal(err)
	}
	if res.Site.User != jiratest.DefaultEmail || res.Site.Kind != store.KindCloud || res.User.AccountID == "" || res.User.DisplayName != "Alice Admin" || res.Server.Kind() != store.KindCloud {
		t.Errorf("result %+v, user %+v", res.Site, res.User)
	}
	// serverInfo is asked first without credentials (to know what the
	// site takes before sending any); then basic auth.
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/rest/api/2/serverInfo" || reqs[0].Header.Get("Authorization") != "" {
		t.Fatalf("requests %+v", reqs)
	}
	for _, r := range reqs[1:] {
		u, p, ok := (&http.Request{Header: r.Header}).BasicAuth()
		if !ok || u != jiratest.DefaultEmail || p != jiratest.DefaultAPIToken {
			t.Errorf("%s %s: Authorization %q, want basic auth", r.Method, r.Path, r.Header.Get("Authorization"))
		}
	}
	p := clientTestPaths(t)
	if err := SaveSite(p, res.Site); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p.JiraConfigFile()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v", fi, err)
	}
	site, err := store.LoadSite(p)
	if err != nil || site.User != jiratest.DefaultEmail || site.Token != jiratest.DefaultAPIToken || site.Kind != store.KindCloud {
		t.Fatalf("loaded %v, %v", site, err)
	}
	c, _ := SiteClient(*site)
	if ps, err := c.Projects(context.Background()); err != nil || len(ps) != 2 {
		t.Errorf("projects with the saved Cloud site: %v, %v", ps, err)
	}
	if s := fmt.Sprintf("%v %#v %s", site, site, c); strings.Contains(s, jiratest.DefaultAPIToken) {
		t.Errorf("secret shown: %s", s)
	}
}

// TestLoginAdvicePerSite: each kind of site and mistake gets its own one-line
// answer, and nothing is returned to save.
func TestLoginAdvicePerSite(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(*jiratest.Server)
		opts  LoginOptions
		is    error
		has   []string
	}{
		{"cloud with a bearer token", func(s *jiratest.Server) { s.SetCloud() }, LoginOptions{Secret: jiratest.DefaultAPIToken},
			nil, []string{"is Jira Cloud", "id.atlassian.com", "--email"}},
		{"serverInfo hidden from anonymous callers", func(s *jiratest.Server) { s.FailWhen(anonymousGets401) }, LoginOptions{Secret: "wrong"},
			ErrUnauthorized, []string{"Personal Access Tokens"}},
		{"cloud with a wrong API token", func(s *jiratest.Server) { s.SetCloud() }, LoginOptions{Email: jiratest.DefaultEmail, Secret: "wrong"},
			ErrUnauthorized, []string{"API tokens expire", "--email"}},
		{"cloud with a username", func(s *jiratest.Server) { s.SetCloud() }, LoginOptions{Username: "alice", Secret: "pw"},
			nil, []string{"no usernames", "--email"}},
		{"data center wrong token", func(s *jiratest.Server) {}, LoginOptions{Secret: "wrong"},
			ErrUnauthorized, []string{"Personal Access Tokens"}},
		{"data center anonymous view", func(s *jiratest.Server) { s.SetFailedAuth(jiratest.FailedAuthAnonymous) }, LoginOptions{Secret: "wrong"},
			ErrUnauthorized, []string{"Personal Access Tokens"}},
		{"8.5 with a token", func(s *jiratest.Server) { s.SetServerInfo("Old", "8.5.5", "Server") }, LoginOptions{Secret: jiratest.DefaultToken},
			nil, []string{"runs Jira 8.5.5", "need Jira 8.14", "--username"}},
		{"8.5 with a wrong password", func(s *jiratest.Server) { s.SetServerInfo("Old", "8.5.5", "Server"); s.SetBasicAuth("admin", "pw") }, LoginOptions{Username: "admin", Secret: "nope"},
			ErrUnauthorized, []string{"check the username and password"}},
		{"captcha", func(s *jiratest.Server) { s.SetCaptcha(true) }, LoginOptions{Secret: jiratest.DefaultToken},
			ErrCaptcha, []string{"browser"}},
		{"email and username", func(s *jiratest.Server) {}, LoginOptions{Email: "a@b.c", Username: "a", Secret: "x"},
			nil, []string{"not both"}},
		{"email without @", func(s *jiratest.Server) {}, LoginOptions{Email: "alice", Secret: "x"},
			nil, []string{"not an e-mail address"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := jiratest.NewServer(t)
			tt.setup(srv)
			tt.opts.URL = srv.URL
			res, err := Login(context.Background(), tt.opts)
			if err == nil || res != nil {
				t.Fatalf("Login = %+v, %v; want an error", res, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			checkOneLine(t, err)
			for _, h := range tt.has {
				if !strings.Contains(err.Error(), h) {
					t.Errorf("error %q lacks %q", err, h)
				}
			}
		})
	}
	// serverInfo hidden from anonymous callers: asked again with the token.
	srv := jiratest.NewServer(t)
	srv.FailWhen(anonymousGets401)
	if res, err := Login(context.Background(), LoginOptions{URL: srv.URL, Secret: jiratest.DefaultToken}); err != nil || res.Site.Kind != store.KindDataCenter {
		t.Errorf("hidden serverInfo: %+v, %v", res, err)
	}
	// Cloud is recognised from the host name before any request.
	_, err := Login(context.Background(), LoginOptions{URL: "https://acme.atlassian.net", Secret: "tok"})
	if err == nil || !strings.Contains(err.Error(), "is Jira Cloud") || !strings.Contains(err.Error(), "--email") {
		t.Errorf("Cloud host without e-mail: %v", err)
	}
}

func anonymousGets401(r *http.Request) int {
	if r.Header.Get("Authorization") == "" {
		return http.StatusUnauthorized
	}
	return 0
}

// TestLoginBasicAuthBefore814: username and password work where personal
// access tokens do not exist, and are stored 0600 like a token.
func TestLoginBasicAuthBefore814(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetServerInfo("Old Jira", "8.5.5", "Server")
	srv.SetBasicAuth("admin", "s3cret pass:word")
	res, err := Login(context.Background(), LoginOptions{URL: srv.URL, Username: "admin", Secret: "s3cret pass:word"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Site.User != "admin" || res.Site.Kind != store.KindDataCenter || res.User.Name != "admin" {
		t.Errorf("%+v", res.Site)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if u, pw, ok := (&http.Request{Header: last.Header}).BasicAuth(); !ok || u != "admin" || pw != "s3cret pass:word" {
		t.Errorf("Authorization %q", last.Header.Get("Authorization"))
	}
	p := clientTestPaths(t)
	if err := SaveSite(p, res.Site); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p.JiraConfigFile())
	b, _ := os.ReadFile(p.JiraConfigFile())
	if fi.Mode().Perm() != 0o600 || !strings.Contains(string(b), `"version": 2`) {
		t.Errorf("mode %v, file %s", fi.Mode().Perm(), b)
	}
	site, err := store.LoadSite(p)
	if err != nil || site.User != "admin" || site.Token != "s3cret pass:word" || !slices.Equal(site.Version, []int{8, 5, 5}) {
		t.Errorf("loaded %v, %v", site, err)
	}
	if err := SaveSite(p, store.Site{URL: srv.URL, User: "ad:min", Token: "x"}); err == nil {
		t.Error("a user name with a colon was saved")
	}
}

// TestSiteFileVersions: a bearer-token site is still written as version 1,
// which older gitjira versions read; version 1 files load as before.
func TestSiteFileVersions(t *testing.T) {
	p := clientTestPaths(t)
	if err := SaveSite(p, store.Site{URL: "https://jira.example.com", Token: "pat"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p.JiraConfigFile())
	var head struct {
		Version int `json:"version"`
	}
	json.Unmarshal(b, &head)
	if head.Version != 1 || strings.Contains(string(b), "user") {
		t.Errorf("bearer site written as %s", b)
	}
	os.WriteFile(p.JiraConfigFile(), []byte(`{"version":1,"url":"https://j.example.com","token":"t","user":"ignored"}`), 0o600)
	if s, err := store.LoadSite(p); err != nil || s.User != "" || s.Token != "t" {
		t.Errorf("version 1: %v, %v", s, err)
	}
}
