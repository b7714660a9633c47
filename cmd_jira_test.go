package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/jira/jiratest"
)

// runJiraCmd runs `gitjira ARGS` with GITJIRA_HOME in a temporary directory
// (shared by calls with the same home) and returns exit code, stdout, stderr.
func runJiraCmd(t *testing.T, home, stdin string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("GITJIRA_HOME", home)
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// unsetJiraToken removes JIRA_TOKEN for the test (t.Setenv restores it after).
func unsetJiraToken(t *testing.T) {
	t.Setenv("JIRA_TOKEN", "")
	os.Unsetenv("JIRA_TOKEN")
}

func noToken(t *testing.T, token string, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		if strings.Contains(o, token) {
			t.Errorf("the token appears in the output: %q", o)
		}
	}
}

func TestJiraLoginAndProjects(t *testing.T) {
	unsetJiraToken(t)
	srv := jiratest.NewServer(t, jiratest.WithContextPath("/jira"))
	home := t.TempDir()

	code, out, errs := runJiraCmd(t, home, jiratest.DefaultToken+"\n", "jira", "login", "--url", srv.URL+"/", "--token-stdin")
	if code != 0 || out != "Logged in to Jira Test (9.12.2) as Alice Admin\n" {
		t.Fatalf("login: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	noToken(t, jiratest.DefaultToken, out, errs)
	cfg := filepath.Join(home, "jira.json")
	fi, err := os.Stat(cfg)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config %s: %v, %v", cfg, fi, err)
	}
	site, err := jira.LoadSite(jira.Paths{Config: home, Data: home})
	if err != nil || site.URL != srv.URL || site.Token != jiratest.DefaultToken {
		t.Fatalf("saved site %v, %v", site, err)
	}

	code, out, errs = runJiraCmd(t, home, "", "jira", "projects")
	if code != 0 || !strings.HasPrefix(out, "KEY") || !strings.Contains(out, "PROJ  Project One\n") || !strings.Contains(out, "OPS   Operations\n") {
		t.Errorf("projects: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = runJiraCmd(t, home, "", "jira", "projects", "--json")
	var ps []map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &ps) != nil || len(ps) != 2 ||
		ps[0]["id"] != "10000" || ps[0]["key"] != "PROJ" || ps[0]["name"] != "Project One" || len(ps[0]) != 3 {
		t.Errorf("projects --json: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	noToken(t, jiratest.DefaultToken, out, errs)

	// The token expires: projects fails with the next step, exit 1.
	srv.SetToken("rotated")
	code, out, errs = runJiraCmd(t, home, "", "jira", "projects", "--json")
	if code != 1 || out != "" || !strings.Contains(errs, "token was refused") || strings.Count(errs, "\n") != 1 {
		t.Errorf("expired token: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestJiraLoginTokenFromEnv(t *testing.T) {
	srv := jiratest.NewServer(t)
	t.Setenv("JIRA_TOKEN", jiratest.DefaultToken)
	home := t.TempDir()
	code, out, errs := runJiraCmd(t, home, "", "jira", "login", "--url", srv.URL)
	if code != 0 || !strings.HasPrefix(out, "Logged in to Jira Test") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	noToken(t, jiratest.DefaultToken, out, errs)
}

func TestJiraLoginFailures(t *testing.T) {
	unsetJiraToken(t)
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
		{name: "no url", token: jiratest.DefaultToken, args: func(string) []string { return []string{"jira", "login", "--token-stdin"} }, code: 2, has: "--url is required"},
		{name: "bad url", token: jiratest.DefaultToken, args: func(string) []string { return []string{"jira", "login", "--url", "jira.example.com", "--token-stdin"} }, code: 2, has: "with its scheme"},
		{name: "token as argument", token: jiratest.DefaultToken, args: func(u string) []string { return []string{"jira", "login", "--url", u, "--token-stdin", wrong} }, code: 2, has: "never an argument"},
		{name: "unknown flag", token: jiratest.DefaultToken, args: func(u string) []string { return []string{"jira", "login", "--url", u, "--token", wrong} }, code: 2, has: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := jiratest.NewServer(t)
			if tt.setup != nil {
				tt.setup(srv)
			}
			args := []string{"jira", "login", "--url", srv.URL, "--token-stdin"}
			if tt.args != nil {
				args = tt.args(srv.URL)
			}
			home := t.TempDir()
			code, out, errs := runJiraCmd(t, home, tt.token+"\n", args...)
			if code != tt.code || !strings.Contains(errs, tt.has) || out != "" {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tt.code, out, errs, tt.has)
			}
			if tt.code == 1 && strings.Count(errs, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", errs)
			}
			noToken(t, wrong, out, errs)
			if tt.token != "" {
				noToken(t, tt.token, out, errs)
			}
			if _, err := os.Stat(filepath.Join(home, "jira.json")); !os.IsNotExist(err) {
				t.Errorf("a failed login saved the site: %v", err)
			}
		})
	}
}

func TestJiraProjectsNotLoggedIn(t *testing.T) {
	code, out, errs := runJiraCmd(t, t.TempDir(), "", "jira", "projects")
	if code != 1 || out != "" || errs != "gitjira: no Jira site configured: run gitjira jira login --url URL\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestJiraUsage(t *testing.T) {
	for _, args := range [][]string{{"jira"}, {"jira", "logout"}, {"jira", "projects", "extra"}, {"jira", "projects", "--yaml"}} {
		code, out, errs := runJiraCmd(t, t.TempDir(), "", args...)
		if code != 2 || out != "" || errs == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	if code, out, _ := runJiraCmd(t, t.TempDir(), "", "jira", "help"); code != 0 || !strings.Contains(out, "jira login --url URL") {
		t.Errorf("jira help: exit %d, %q", code, out)
	}
}
