package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/forge"
	"github.com/gitjira/gitjira/forge/forgetest"
	"github.com/gitjira/gitjira/gitops/sshdtest"
	"github.com/gitjira/gitjira/jira/jiratest"
)

// The binary's `key authorize` against a GitHub stand-in over real https
// (its certificate trusted through SSL_CERT_FILE, as a company CA would be):
// the deploy key is added, the stand-in writes the real sshd's
// authorized_keys, and the binary proves it with a login listing the refs.
// A bad token exits 1 with one line; a missing --via exits 2.
func TestE2EKeyAuthorize(t *testing.T) {
	srv := sshdtest.StartForge(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	srv.NewBareRepo("octo/app", 3)
	host := forgetest.New(t, forge.GitHub, forgetest.Options{OnAdd: srv.AuthorizeKey})
	e := newE2EEnv(t)
	key := sshKeygen(t, t.TempDir(), "deploy", "ed25519", "")
	url := srv.URL("octo/app.git")
	fp := srv.HostKeyFingerprints()[sshdtest.Ed25519]
	args := []string{"key", "authorize", "--url", url, "--key", key + ".pub", "--via", "github", "--api-url", host.URL, "--trust-host", fp, "--yes"}
	e.env = append(e.env, "SSL_CERT_FILE="+host.CertFile())

	code, _, stderr := e.run("", args...)
	if code != 2 || !strings.Contains(stderr, "--token-stdin") {
		t.Fatalf("no token: exit %d %q", code, stderr)
	}
	code, _, stderr = e.run("gjt_not_the_token\n", append(args, "--token-stdin")...)
	if code != 1 || !strings.Contains(stderr, "401") || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
		t.Fatalf("bad token: exit %d %q", code, stderr)
	}
	e.env = append(e.env, "GH_TOKEN="+forgetest.Token)
	code, stdout, stderr := e.run("", append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var j struct {
		Added         bool   `json:"added"`
		DefaultBranch string `json:"default_branch"`
		Via           string `json:"via"`
	}
	if err := json.Unmarshal([]byte(stdout), &j); err != nil || !j.Added || j.DefaultBranch != "main" || j.Via != "github" {
		t.Fatalf("%v %+v\n%s", err, j, stdout)
	}
	if keys := host.Keys(); len(keys) != 1 || !keys[0].ReadOnly {
		t.Fatalf("deploy keys %+v", keys)
	}
	code, _, stderr = e.run("", "key", "authorize", "--url", "git@git.example.com:o/r.git", "--key", key, "--yes")
	if code != 2 || !strings.Contains(stderr, "--via is required for git.example.com") {
		t.Fatalf("no --via: exit %d %q", code, stderr)
	}
}

// Issue 18's onboarding in a real terminal: a new account (no ~/.ssh), the
// key step on Generate, the key authorized by upload to a GitHub stand-in
// (https, masked token), the clone from the real sshd, the Jira login inside
// the permissions step so the projects come from the site, Finish; then the
// repository is listed with the site's project.
func TestE2EOnboardingInTmux(t *testing.T) {
	srv := sshdtest.StartForge(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	srv.NewBareRepo("octo/app", 40)
	host := forgetest.New(t, forge.GitHub, forgetest.Options{OnAdd: srv.AuthorizeKey})
	site := jiratest.NewServer(t)
	e := newE2EEnv(t)
	e.env = append(e.env, "SSL_CERT_FILE="+host.CertFile())
	var home string
	for _, kv := range e.env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	fp := srv.HostKeyFingerprints()[sshdtest.Ed25519]

	s := startTmux(t, 100, 34, e.env, gitjiraBinary(t))
	s.waitFor("Step 1 of", "Repository location")
	s.typeText(srv.URL("octo/app.git"))
	s.waitFor("✓")
	s.keys("Enter")

	s.waitFor("[Generate a new key]", "gitjira_ed25519")
	s.keys("Enter")
	s.waitFor("Press enter to go on: the next step adds it")
	s.keys("Enter")
	s.waitFor("Trust this host", fp)
	s.keys("y")

	s.waitFor("Authorize the key", "does not accept this key yet")
	s.keys("Home", "Enter")
	s.waitFor("Token")
	s.keys("BTab", "C-u")
	s.typeText(host.URL)
	s.keys("Tab")
	s.typeText(forgetest.Token)
	scr := s.waitFor("••••")
	if strings.Contains(scr, forgetest.Token) {
		t.Fatalf("the token is visible:\n%s", scr)
	}
	s.keys("Enter")

	s.waitFor("Permissions", "press l to log in")
	s.keys("l")
	s.waitFor("Log in to Jira")
	s.typeText(site.URL)
	s.keys("Enter")
	s.typeText(jiratest.DefaultToken)
	s.keys("Enter")
	s.waitFor("Logged in to Jira as Alice Admin")
	s.keys("Down")
	s.waitFor("[ ] PROJ")
	s.keys("Down", "Down", "Space")
	s.waitFor("1 selected: PROJ")
	s.keys("Enter")
	s.waitFor("Review")
	s.keys("Enter")
	scr = s.waitFor("Finish", "Unattended sync", "Press enter")
	if strings.Contains(scr, jiratest.DefaultToken) || strings.Contains(scr, forgetest.Token) {
		t.Fatalf("a token is visible:\n%s", scr)
	}
	s.keys("Enter")
	s.waitFor("EXIT=0")

	code, stdout, stderr := e.run("", "repos", "list", "--json")
	if code != 0 {
		t.Fatalf("repos list: exit %d\n%s", code, stderr)
	}
	var list []struct {
		Name     string   `json:"name"`
		Projects []string `json:"projects"`
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list) != 1 || list[0].Name != "app" || strings.Join(list[0].Projects, ",") != "PROJ" {
		t.Fatalf("repos list --json: %v\n%s", err, stdout)
	}
	pub, err := os.ReadFile(filepath.Join(home, ".ssh", "gitjira_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if keys := host.Keys(); len(keys) != 1 || !strings.HasPrefix(string(pub), keys[0].Key) {
		t.Fatalf("deploy keys %+v, generated %s", keys, pub)
	}
	code, stdout, _ = e.run("", "jira", "projects", "--json")
	if code != 0 || !strings.Contains(stdout, "PROJ") {
		t.Fatalf("jira projects after the wizard's login: exit %d %s", code, stdout)
	}
}
