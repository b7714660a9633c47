package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
	t.Cleanup(func() {
		exec.Command("tmux", "-L", s.socket, "kill-server").Run()
		// kill-server leaves the socket file: make test leaves nothing behind.
		os.Remove(tmuxSocketPath(s.socket))
	})
	return s
}

// tmuxSocketPath is where `tmux -L name` puts its socket:
// $TMUX_TMPDIR (default /tmp)/tmux-UID/name.
func tmuxSocketPath(name string) string {
	dir := os.Getenv("TMUX_TMPDIR")
	if dir == "" {
		dir = "/tmp"
	}
	return filepath.Join(dir, fmt.Sprintf("tmux-%d", os.Getuid()), name)
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

// waitForEither waits until the screen shows every text of a or every text
// of b, and returns the screen and 0 for a, 1 for b.
func (s *tmuxSession) waitForEither(a, b []string) (string, int) {
	s.t.Helper()
	has := func(scr string, texts []string) bool {
		for _, want := range texts {
			if !strings.Contains(scr, want) {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(30 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		if has(scr, a) {
			return scr, 0
		}
		if has(scr, b) {
			return scr, 1
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("the screen never showed %q nor %q; last screen:\n%s", a, b, scr)
	return "", -1
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

	// The wizard may show a Review step before Finish (nothing is saved
	// until enter there); the projects show on the first of the two.
	scr, which := s.waitForEither([]string{"Review", "webapp", "Press enter"}, []string{"Finish", "webapp", "Press enter"})
	if !strings.Contains(scr, "OPS") || !strings.Contains(scr, "PROJ") {
		t.Fatalf("review/finish screen lacks the projects:\n%s", scr)
	}
	if which == 0 {
		s.keys("Enter")
		s.waitFor("Finish", "webapp", "Press enter")
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

// TestE2EWizardCancelInTmux: quitting the wizard (ctrl+c), or a SIGTERM or
// SIGHUP while it runs, exits 130 with one line saying nothing was added,
// and leaves the terminal usable (the shell prints after it).
func TestE2EWizardCancelInTmux(t *testing.T) {
	for _, how := range []string{"ctrl+c", "SIGTERM", "SIGHUP"} {
		t.Run(how, func(t *testing.T) {
			e := newE2EEnv(t)
			s := startTmux(t, 100, 32, e.env, gitjiraBinary(t))
			s.waitFor("Step 1 of", "Repository location")
			switch how {
			case "ctrl+c":
				s.keys("C-c")
			case "SIGTERM", "SIGHUP":
				shell, err := strconv.Atoi(strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_pid}")))
				if err != nil {
					t.Fatal(err)
				}
				pid := childPID(t, shell)
				sig := syscall.SIGTERM
				if how == "SIGHUP" {
					sig = syscall.SIGHUP
				}
				if err := syscall.Kill(pid, sig); err != nil {
					t.Fatal(err)
				}
			}
			scr := s.waitFor("EXIT=130")
			if !strings.Contains(scr, "gitjira: cancelled; nothing was added") {
				t.Fatalf("no cancel line:\n%s", scr)
			}
			if code, out, _ := e.run("", "repos", "list", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
				t.Fatalf("a cancelled wizard added: %s", out)
			}
		})
	}
}

// childPID is the process whose parent is ppid (the shell tmux started runs
// one command at a time), found in /proc.
func childPID(t *testing.T, ppid int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir("/proc")
		for _, en := range entries {
			pid, err := strconv.Atoi(en.Name())
			if err != nil {
				continue
			}
			stat, err := os.ReadFile(filepath.Join("/proc", en.Name(), "stat"))
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
			rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
			if f := strings.Fields(rest); len(f) > 1 && f[1] == strconv.Itoa(ppid) {
				return pid
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no child of process %d", ppid)
	return 0
}
