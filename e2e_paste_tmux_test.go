package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// TestE2EPasteKeyInTmux (issue 15, defect 6): a key pasted into the key
// step's paste box with the terminal's bracketed paste shows from its BEGIN
// line (a 3072-bit RSA key is far taller than the box, which used to keep
// the rows around the cursor, the END line, so the first line scrolled
// away), and ctrl+u clears the box.
func TestE2EPasteKeyInTmux(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	repo := srv.NewBareRepo("pasted", 3)
	e := newE2EEnv(t)
	keyDir := t.TempDir() // not ~/.ssh: the key step opens with nothing to choose
	key := sshKeygen(t, keyDir, "paste_rsa", "rsa", "")
	raw := readFile(t, key)
	if n := strings.Count(raw, "\n"); n < 20 {
		t.Fatalf("the test needs a key taller than the paste box; it has %d lines", n)
	}
	buf := filepath.Join(t.TempDir(), "paste")
	if err := os.WriteFile(buf, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}

	s := startTmux(t, 100, 32, e.env, gitjiraBinary(t))
	s.waitFor("Step 1 of", "Repository location")
	s.typeText(srv.URL(repo))
	s.waitFor("✓")
	s.keys("Enter")
	s.waitFor("Private key")
	for i := 0; i < 3 && !strings.Contains(s.screen(), "[Paste a key]"); i++ {
		s.keys("BTab")
		time.Sleep(200 * time.Millisecond)
	}
	s.waitFor("[Paste a key]")
	s.tmux("load-buffer", "-b", "key", buf)
	s.tmux("paste-buffer", "-p", "-b", "key", "-t", s.name) // bracketed, as a terminal pastes
	scr := s.waitFor("✓ rsa")
	if !strings.Contains(scr, "-----BEGIN OPENSSH PRIVATE KEY-----") || strings.Contains(scr, "-----END OPENSSH PRIVATE KEY-----") {
		t.Fatalf("the pasted key does not show from its first line:\n%s", scr)
	}
	s.keys("C-u")
	deadline := time.Now().Add(10 * time.Second)
	for strings.Contains(s.screen(), "✓ rsa") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	// Cleared, the box shows its placeholder again (its "..." line).
	if scr := s.screen(); strings.Contains(scr, "✓ rsa") || !strings.Contains(scr, "│ ...") {
		t.Fatalf("ctrl+u did not clear the paste box:\n%s", scr)
	}
}
