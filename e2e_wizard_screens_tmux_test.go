package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
	"github.com/gitjira/gitjira/jira/jiratest"
)

// wizardToPermissions starts the real binary in tmux with a Jira site
// logged in (many projects) and walks to the permissions step.
func wizardToPermissions(t *testing.T, width, height int) (*tmuxSession, *e2eEnv) {
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	repo := srv.NewBareRepo("webapp", 5)
	site := jiratest.NewServer(t)
	var ps []jiratest.Project
	for i, k := range []string{"API", "APP", "BACK", "CORE", "DATA", "DOCS", "FRONT", "INFRA", "MOB", "OPS", "PAY", "PROJ", "QA", "SEC", "WEB"} {
		ps = append(ps, jiratest.Project{ID: fmt.Sprint(10000 + i), Key: k, Name: strings.ToLower(k) + " team"})
	}
	site.SetProjects(ps...)
	e := newE2EEnv(t)
	if code, _, stderr := e.run(jiratest.DefaultToken+"\n", "jira", "login", "--url", site.URL, "--insecure-http", "--token-stdin"); code != 0 {
		t.Fatalf("jira login: exit %d: %s", code, stderr)
	}
	var home string
	for _, kv := range e.env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	sshDir := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := sshKeygen(t, sshDir, "id_ed25519", "ed25519", "")
	srv.AuthorizeKey(readFile(t, key+".pub"))

	s := startTmux(t, width, height, e.env, gitjiraBinary(t)+" connect")
	s.waitFor("Step 1 of", "Repository location")
	s.typeText(srv.URL(repo))
	s.waitFor("✓")
	s.keys("Enter")
	s.waitFor("Private key", "id_ed25519")
	s.keys("Enter")
	s.waitFor("Trust this host")
	s.keys("y")
	s.waitFor("Permissions", "All projects")
	return s, e
}

// TestE2EPermissionsFilterThenSpaceInTmux (issue 15, defect 1): after a
// filter is typed, the row under the cursor is on screen, and space selects
// that row, the one the user sees.
func TestE2EPermissionsFilterThenSpaceInTmux(t *testing.T) {
	s, e := wizardToPermissions(t, 80, 24)
	s.keys("Down")
	s.waitFor("Filter:", "API")
	for range 16 {
		s.keys("Down")
	}
	// At the end of a long list the filter, where the typing goes, is
	// still on screen.
	if scr := s.waitFor("› [ ] WEB"); !strings.Contains(scr, "Filter:") {
		t.Fatalf("the filter line scrolled away:\n%s", scr)
	}
	s.typeText("o")
	scr := s.waitFor("Filter: o")
	var cursorRow string
	for _, l := range strings.Split(scr, "\n") {
		if strings.Contains(l, "› [") {
			cursorRow = l
		}
	}
	if cursorRow == "" {
		t.Fatalf("no project row under the cursor after typing a filter:\n%s", scr)
	}
	fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(cursorRow), "› [ ]"))
	if len(fields) == 0 {
		t.Fatalf("cursor row %q", cursorRow)
	}
	want := fields[0]
	s.keys("Space")
	scr = s.waitFor("1 selected:")
	if !strings.Contains(scr, "1 selected: "+want) || !strings.Contains(scr, "› [x] "+want) {
		t.Fatalf("space selected another project than the one under the cursor (%s):\n%s", want, scr)
	}
	s.keys("Enter")
	s.waitFor("Review")
	s.keys("Enter")
	s.waitFor("Finish", "Press enter to exit")
	s.keys("Enter")
	s.waitFor("EXIT=0")
	_, out, _ := e.run("", "repos", "list", "--json")
	if !strings.Contains(out, `"`+want+`"`) {
		t.Fatalf("the repository's projects are not [%s]:\n%s", want, out)
	}
}

// TestE2EChangedHostKeyRetryInTmux (issue 15, defect 2): known_hosts holds
// another key for the server; the wizard refuses it and offers the
// ssh-keygen -R line; once that line is run, r checks again from the file
// and the host is offered as unknown, to trust.
func TestE2EChangedHostKeyRetryInTmux(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	repo := srv.NewBareRepo("webapp", 3)
	e := newE2EEnv(t)
	var home, knownHosts string
	for _, kv := range e.env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
		if v, ok := strings.CutPrefix(kv, "GITJIRA_KNOWN_HOSTS="); ok {
			knownHosts = v
		}
	}
	sshDir := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := sshKeygen(t, sshDir, "id_ed25519", "ed25519", "")
	srv.AuthorizeKey(readFile(t, key+".pub"))
	// another host's key, recorded for this server: a changed key
	other := sshKeygen(t, t.TempDir(), "other_host", "ed25519", "")
	host := fmt.Sprintf("[127.0.0.1]:%d", srv.Port())
	line := host + " " + strings.Join(strings.Fields(readFile(t, other+".pub"))[:2], " ") + "\n"
	if err := os.WriteFile(knownHosts, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}

	s := startTmux(t, 120, 40, e.env, gitjiraBinary(t)+" connect")
	s.waitFor("Step 1 of", "Repository location")
	s.typeText(srv.URL(repo))
	s.waitFor("✓")
	s.keys("Enter")
	s.waitFor("Private key", "id_ed25519")
	s.keys("Enter")
	scr := s.waitFor("WARNING: THE HOST KEY HAS CHANGED", "ssh-keygen -R")
	if !strings.Contains(scr, "ssh-keygen -R '"+host+"'") {
		t.Fatalf("no ssh-keygen -R line for %s:\n%s", host, scr)
	}
	// r before the fix: the same warning
	s.keys("r")
	s.waitFor("WARNING: THE HOST KEY HAS CHANGED")
	// the user runs the line the screen gave
	if out, err := exec.Command("ssh-keygen", "-R", host, "-f", knownHosts).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -R: %v\n%s", err, out)
	}
	// r again (a check still running from the first r ignores keys until
	// it ends: press until the new state shows)
	fp := srv.HostKeyFingerprints()[sshdtest.Ed25519]
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.screen(), "Trust this host") {
		if time.Now().After(deadline) {
			t.Fatalf("r after fixing known_hosts did not check again:\n%s", s.screen())
		}
		s.keys("r")
		time.Sleep(500 * time.Millisecond)
	}
	s.waitFor("Trust this host", fp)
	s.keys("y")
	s.waitFor("Permissions")
	s.keys("C-c")
	s.waitFor("EXIT=")
}
