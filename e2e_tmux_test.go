package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// tmuxSession runs the real binary in a real terminal (tmux), so the wizard
// is driven the way a person drives it: keys in, screen out.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func startTmux(t *testing.T, width, height int, env []string, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux not found: run `make deps` (apt-get install tmux)")
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("gitjira-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "wizard"}
	script := filepath.Join(t.TempDir(), "run.sh")
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
	}
	// Keep the pane after the program ends so its last screen and exit code can be read.
	fmt.Fprintf(&b, "%s\necho \"EXIT=$?\"\nsleep 600\n", command)
	if err := os.WriteFile(script, []byte(b.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	s.tmux("new-session", "-d", "-s", s.name, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), script)
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen returns the visible pane as text.
func (s *tmuxSession) screen() string { return s.tmux("capture-pane", "-p", "-t", s.name) }

// keys sends tmux key names (Enter, Down, Space, C-c...).
func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// typeText sends literal text.
func (s *tmuxSession) typeText(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", s.name, "-l", text)
}

// waitFor waits until the screen shows every one of texts, and returns the screen.
func (s *tmuxSession) waitFor(texts ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		all := true
		for _, want := range texts {
			if !strings.Contains(scr, want) {
				all = false
				break
			}
		}
		if all {
			return scr
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("the screen never showed %q; last screen:\n%s", texts, scr)
	return ""
}

// TestE2EWizardInTmux walks the whole Connect wizard in a real terminal
// against a real OpenSSH sshd: location typed, a key found in ~/.ssh, an
// encrypted key with one wrong passphrase, an unknown host trusted, the clone,
// projects restricted, finish; then `repos list --json` shows the repository.
func TestE2EWizardInTmux(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	repo := srv.NewBareRepo("webapp", 120)
	e := newE2EEnv(t)
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
	const pass = "tmux horse battery"
	key := sshKeygen(t, sshDir, "id_ed25519", "ed25519", pass)
	srv.AuthorizeKey(readFile(t, key+".pub"))
	fp := srv.HostKeyFingerprints()[sshdtest.Ed25519]

	s := startTmux(t, 100, 32, e.env, gitjiraBinary(t))
	s.waitFor("Step 1 of", "Repository location")
	s.typeText(srv.URL(repo))
	s.waitFor("✓")
	s.keys("Enter")

	s.waitFor("Private key", "id_ed25519", "SHA256:")
	s.keys("Enter")

	s.waitFor("encrypted", "Passphrase")
	s.typeText("not the passphrase")
	s.keys("Enter")
	scr := s.waitFor("wrong passphrase (attempt 1)")
	if strings.Contains(scr, "not the passphrase") {
		t.Fatalf("the typed passphrase is visible:\n%s", scr)
	}
	s.typeText(pass)
	s.keys("Enter")

	scr = s.waitFor("Trust this host", fp)
	if strings.Contains(scr, pass) {
		t.Fatalf("the passphrase is visible:\n%s", scr)
	}
	s.keys("y")

	s.waitFor("Permissions", "All projects")
	s.keys("Down", "Enter")
	s.waitFor("Restrict to projects")
	// Without a Jira site the keys are typed.
	s.typeText("PROJ, OPS")
	s.keys("Enter")

	scr = s.waitFor("Finish", "webapp", "Press enter")
	if !strings.Contains(scr, "OPS") || !strings.Contains(scr, "PROJ") {
		t.Fatalf("finish screen lacks the projects:\n%s", scr)
	}
	s.keys("Enter")
	scr = s.waitFor("EXIT=0")
	if !strings.Contains(scr, "Added webapp") {
		t.Fatalf("no summary on the normal screen after the wizard:\n%s", scr)
	}

	code, stdout, stderr := e.run("", "repos", "list", "--json")
	if code != 0 {
		t.Fatalf("repos list: exit %d\n%s", code, stderr)
	}
	var list []struct {
		Name               string   `json:"name"`
		Projects           []string `json:"projects"`
		HostKeyFingerprint string   `json:"host_key_fingerprint"`
		Commits            int      `json:"commits"`
		DefaultBranch      string   `json:"default_branch"`
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list) != 1 {
		t.Fatalf("repos list --json: %v\n%s", err, stdout)
	}
	r := list[0]
	if r.Name != "webapp" || r.HostKeyFingerprint != fp || r.DefaultBranch != "main" || strings.Join(r.Projects, ",") != "OPS,PROJ" {
		t.Fatalf("repos list entry = %+v", r)
	}
	if want := strings.TrimSpace(srv.Git(repo, "rev-list", "--all", "--count")); fmt.Sprint(r.Commits) != want {
		t.Fatalf("commits = %d, git says %s", r.Commits, want)
	}
	// The host was recorded in known_hosts, as OpenSSH would.
	kh := readFile(t, filepath.Join(filepath.Dir(e.home), "known_hosts"))
	if !strings.Contains(kh, fmt.Sprintf("[127.0.0.1]:%d", srv.Port())) {
		t.Fatalf("known_hosts was not extended:\n%s", kh)
	}
}
