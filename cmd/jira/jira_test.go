package jiracmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

func newJira(f *cmdutil.Factory) *cobra.Command { return NewCmdJira(f) }

func noToken(t *testing.T, token string, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		if strings.Contains(o, token) {
			t.Errorf("the token appears in the output: %q", o)
		}
	}
}

func TestJiraLoginAndProjects(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer(t, jiratest.WithContextPath("/jira"))
	e := cmdtest.New(t)

	code, out, errs := e.Exec(newJira, jiratest.DefaultToken+"\n", "login", "--url", srv.URL+"/", "--token-stdin")
	if code != 0 || out != "Logged in to Jira Test (Jira Data Center/Server 9.12.2) as Alice Admin\n" {
		t.Fatalf("login: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	noToken(t, jiratest.DefaultToken, out, errs)
	cfg := filepath.Join(e.Paths.Config, "jira.json")
	fi, err := os.Stat(cfg)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config %s: %v, %v", cfg, fi, err)
	}
	site, err := store.LoadSite(e.Paths)
	if err != nil || site.URL != srv.URL || site.Token != jiratest.DefaultToken {
		t.Fatalf("saved site %v, %v", site, err)
	}

	code, out, errs = e.Exec(newJira, "", "projects")
	if code != 0 || !strings.HasPrefix(out, "KEY") || !strings.Contains(out, "PROJ  Project One\n") || !strings.Contains(out, "OPS   Operations\n") {
		t.Errorf("projects: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = e.Exec(newJira, "", "projects", "--json")
	var ps []map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &ps) != nil || len(ps) != 2 ||
		ps[0]["id"] != "10000" || ps[0]["key"] != "PROJ" || ps[0]["name"] != "Project One" || len(ps[0]) != 3 {
		t.Errorf("projects --json: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	noToken(t, jiratest.DefaultToken, out, errs)

	// The token expires: projects fails with the next step, exit 1.
	srv.SetToken("rotated")
	code, out, errs = e.Exec(newJira, "", "projects", "--json")
	if code != 1 || out != "" || !strings.Contains(errs, "token was refused") || strings.Count(errs, "\n") != 1 {
		t.Errorf("expired token: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestJiraLoginTokenFromEnv(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer(t)
	e := cmdtest.New(t)
	e.Vars[TokenEnv] = jiratest.DefaultToken
	code, out, errs := e.Exec(newJira, "", "login", "--url", srv.URL)
	if code != 0 || !strings.HasPrefix(out, "Logged in to Jira Test") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	noToken(t, jiratest.DefaultToken, out, errs)
}

func TestJiraLoginFailures(t *testing.T) {
	t.Parallel()
	const wrong = "wrong-token-Zm9vYmFy"
	tests := []struct {
		name  string
		setup func(*jiratest.Server)
		token string
		args  func(url string) []string
		code  int
		has   string
	}{
		{name: "wrong token", token: wrong, code: 1, has: "token was refused"},
		{name: "captcha", setup: func(s *jiratest.Server) { s.SetCaptcha(true) }, token: jiratest.DefaultToken, code: 1, has: "CAPTCHA"},
		{name: "not jira", setup: func(s *jiratest.Server) { s.SetHTML(true) }, token: jiratest.DefaultToken, code: 1, has: "does not look like a Jira"},
		{name: "forbidden", setup: func(s *jiratest.Server) { s.FailNext(403, -1) }, token: jiratest.DefaultToken, code: 1, has: "403"},
		{name: "empty token", token: "", code: 1, has: "token is empty"},
		{name: "no token at all", args: func(u string) []string { return []string{"login", "--url", u} }, code: 2, has: "no token"},
		{name: "no url", token: jiratest.DefaultToken, args: func(string) []string { return []string{"login", "--token-stdin"} }, code: 2, has: "--url is required"},
		{name: "bad url", token: jiratest.DefaultToken, args: func(string) []string { return []string{"login", "--url", "jira.example.com", "--token-stdin"} }, code: 2, has: "with its scheme"},
		{name: "token as argument", token: jiratest.DefaultToken, args: func(u string) []string { return []string{"login", "--url", u, "--token-stdin", wrong} }, code: 2, has: "never an argument"},
		{name: "unknown flag", token: jiratest.DefaultToken, args: func(u string) []string { return []string{"login", "--url", u, "--token", wrong} }, code: 2, has: "unknown flag: --token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := jiratest.NewServer(t)
			if tt.setup != nil {
				tt.setup(srv)
			}
			args := []string{"login", "--url", srv.URL, "--token-stdin"}
			if tt.args != nil {
				args = tt.args(srv.URL)
			}
			e := cmdtest.New(t)
			code, out, errs := e.Exec(newJira, tt.token+"\n", args...)
			if code != tt.code || !strings.Contains(errs, tt.has) || out != "" {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tt.code, out, errs, tt.has)
			}
			if strings.Count(errs, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", errs)
			}
			noToken(t, wrong, out, errs)
			if tt.token != "" {
				noToken(t, tt.token, out, errs)
			}
			if _, err := os.Stat(filepath.Join(e.Paths.Config, "jira.json")); !os.IsNotExist(err) {
				t.Errorf("a failed login saved the site: %v", err)
			}
		})
	}
}

func TestJiraProjectsNotLoggedIn(t *testing.T) {
	t.Parallel()
	ios, out, errb := cmdutil.Test("", nil)
	err := runProjects(&ProjectsOptions{IO: ios, Paths: store.Paths{Config: t.TempDir(), Data: t.TempDir()}})
	if code := cmdutil.ExitCode(context.Background(), errb, err); code != 1 || out.String() != "" || errb.String() != "gitjira: no Jira site configured: run gitjira jira login --url URL\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errb)
	}
}

func TestJiraUsage(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	for _, args := range [][]string{{}, {"logout"}, {"projects", "extra"}, {"projects", "--yaml"}} {
		code, out, errs := e.Exec(newJira, "", args...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, "gitjira: jira") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	for _, args := range [][]string{{"help"}, {"-h"}} {
		if code, out, _ := e.Exec(newJira, "", args...); code != 0 || !strings.Contains(out, "login") || !strings.Contains(out, "projects") {
			t.Errorf("jira %v: exit %d, %q", args, code, out)
		}
	}
	if code, out, _ := e.Exec(newJira, "", "login", "-h"); code != 0 || !strings.Contains(out, "--url URL") || !strings.Contains(out, "--token-stdin") {
		t.Errorf("jira login -h: exit %d, %q", code, out)
	}
}

func TestJiraLoginCloudAndInsecureHTTP(t *testing.T) {
	t.Parallel()
	srv := jiratest.NewServer(t)
	srv.SetCloud()
	e := cmdtest.New(t)
	// A Cloud API token as a bearer token: refused with Cloud's own advice.
	code, _, errs := e.Exec(newJira, jiratest.DefaultAPIToken+"\n", "login", "--url", srv.URL, "--token-stdin")
	if code != 1 || !strings.Contains(errs, "--email") || strings.Contains(errs, "Personal Access Tokens") {
		t.Fatalf("cloud token without --email: exit %d %q", code, errs)
	}
	code, out, errs := e.Exec(newJira, jiratest.DefaultAPIToken+"\n", "login", "--url", srv.URL, "--email", jiratest.DefaultEmail, "--token-stdin")
	if code != 0 || !strings.Contains(out, "Cloud") {
		t.Fatalf("cloud login: exit %d %q %q", code, out, errs)
	}
	noToken(t, jiratest.DefaultAPIToken, out, errs)
	code, out, errs = e.Exec(newJira, "", "projects", "--json")
	if code != 0 || !strings.Contains(out, `"key"`) {
		t.Fatalf("projects after cloud login: exit %d %q %q", code, out, errs)
	}
	// http:// to another machine: refused before anything is sent, unless asked for.
	code, _, errs = e.Exec(newJira, "tok\n", "login", "--url", "http://jira.example.invalid", "--token-stdin")
	if code == 0 || !strings.Contains(errs, "--insecure-http") {
		t.Fatalf("http URL: exit %d %q", code, errs)
	}
}

func TestJiraLoginOAuthKeepsTheAPIToken(t *testing.T) {
	srv := jiratest.NewServer(t)
	pl := srv.NewPlatform(t)
	t.Setenv("GITJIRA_ATLASSIAN_AUTH_URL", pl.URL)
	t.Setenv("GITJIRA_ATLASSIAN_API_URL", pl.URL)
	e := cmdtest.New(t)
	code, out, errs := e.Exec(newJira, jiratest.DefaultAPIToken+"\n", "login", "--url", srv.URL, "--email", jiratest.DefaultEmail, "--token-stdin")
	if code != 0 {
		t.Fatalf("cloud login: exit %d %q %q", code, out, errs)
	}
	code, out, errs = e.Exec(newJira, jiratest.DefaultClientSecret+"\n", "login", "--url", srv.URL, "--oauth-client-id", jiratest.DefaultClientID, "--token-stdin")
	if code != 0 || !strings.Contains(out, "Development panel") {
		t.Fatalf("oauth login: exit %d %q %q", code, out, errs)
	}
	noToken(t, jiratest.DefaultClientSecret, out, errs)
	site, err := store.LoadSite(e.Paths)
	if err != nil || !site.DevInfo() || site.Token != jiratest.DefaultAPIToken || site.User != jiratest.DefaultEmail {
		t.Fatalf("site after both logins: %v, %v", site, err)
	}
	// Projects still come from the REST API (the OAuth credentials cannot list them).
	if code, out, errs := e.Exec(newJira, "", "projects", "--json"); code != 0 || !strings.Contains(out, `"PROJ"`) {
		t.Fatalf("projects: exit %d %q %q", code, out, errs)
	}
	// A wrong secret: one line, nothing saved over the good login.
	code, _, errs = e.Exec(newJira, "wrong\n", "login", "--url", srv.URL, "--oauth-client-id", jiratest.DefaultClientID, "--token-stdin")
	if code != 1 || !strings.Contains(errs, "refused the OAuth client credentials") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("wrong secret: exit %d %q", code, errs)
	}
	if again, _ := store.LoadSite(e.Paths); again == nil || again.OAuthSecret != jiratest.DefaultClientSecret {
		t.Fatal("a failed login changed the saved site")
	}
}
