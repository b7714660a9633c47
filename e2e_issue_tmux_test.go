package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// TestE2EIssueViewInTmux runs the issue view of the real binary in a real
// terminal on a repository served by the real sshd: the list, a commit with
// a rename, a commit of 3,000 files that opens at once and loads more as it
// is scrolled, the file list to jump between files, search, then the same
// view opened from the Manage screen with i.
func TestE2EIssueViewInTmux(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	api := srv.NewBareRepo("api", 60)
	// Two more commits that mention PROJ-1: 3,000 new files, then a rename.
	var b bytes.Buffer
	tip := strings.TrimSpace(srv.Git(api, "rev-parse", "main"))
	msg := "PROJ-1 generate 3,000 files"
	fmt.Fprintf(&b, "commit refs/heads/main\nmark :1\nauthor Ada Tester <ada@example.com> 1800000000 +0000\ncommitter Ada Tester <ada@example.com> 1800000000 +0000\ndata %d\n%s\nfrom %s\n", len(msg), msg, tip)
	for i := range 3000 {
		c := fmt.Sprintf("generated file %d\nsecond line\nthird line\n", i)
		fmt.Fprintf(&b, "M 644 inline gen/f%04d.txt\ndata %d\n%s\n", i, len(c), c)
	}
	msg = "Move the first notes\n\nFor PROJ-1."
	fmt.Fprintf(&b, "commit refs/heads/main\nmark :2\nauthor Ada Tester <ada@example.com> 1800000060 +0000\ncommitter Ada Tester <ada@example.com> 1800000060 +0000\ndata %d\n%s\nfrom :1\n", len(msg), msg)
	b.WriteString("R file1.txt docs/notes.txt\n\n")
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = api
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fast-import: %v\n%s", err, out)
	}

	e := newE2EEnv(t)
	key := sshKeygen(t, t.TempDir(), "id_ed25519", "ed25519", "")
	srv.AuthorizeKey(readFile(t, key+".pub"))
	fp := srv.HostKeyFingerprints()[sshdtest.Ed25519]
	if code, _, stderr := e.run("", "connect", "--yes", "--url", srv.URL(api), "--key", key, "--trust-host", fp); code != 0 {
		t.Fatalf("connect: exit %d\n%s", code, stderr)
	}

	s := startTmux(t, 100, 30, e.env, gitjiraBinary(t)+" issue proj-1")
	// The list: newest first, the body-only mention with its line, branches.
	scr := s.waitFor("PROJ-1", "4 commits in 1 repository", "Move the first notes", "generate 3,000 files", "main")
	if strings.Index(scr, "Move the first notes") > strings.Index(scr, "generate 3,000") {
		t.Errorf("not newest first:\n%s", scr)
	}
	// A commit: the rename as git shows it.
	s.keys("Enter")
	s.waitFor("commit 1 of 4", "R file1.txt → docs/notes.txt (100%)", "rename from file1.txt", "rename to docs/notes.txt")
	// n: the huge commit opens at once with its first part.
	s.keys("n")
	s.waitFor("commit 2 of 4", "3000 files changed", "A gen/f0000.txt  +3 -0")
	// Scrolling to the end of what is loaded loads the next files.
	s.keys("End")
	s.waitFor("diff --git a/gen/f0100.txt")
	s.keys("End")
	s.waitFor("diff --git a/gen/f0200.txt")
	// The file list: jump to the fifth file.
	s.keys("Home", "Tab")
	s.waitFor("> A gen/f0000.txt")
	s.keys("Down", "Down", "Down", "Down", "Enter")
	scr = s.waitFor("diff --git a/gen/f0004.txt")
	if strings.Contains(scr, "diff --git a/gen/f0003.txt") {
		t.Errorf("the jump did not put gen/f0004.txt first:\n%s", scr)
	}
	// Search in the diff.
	s.keys("/")
	s.waitFor("enter find next") // typed at once, "/" and the text would come as one key message
	s.typeText("generated file 42")
	s.keys("Enter")
	s.waitFor(`"generated file 42" at line`)
	s.keys("Escape")
	s.waitFor("esc list")
	s.keys("Escape")
	s.waitFor("REPOSITORY", "Move the first notes")
	// / on the list filters.
	s.keys("/")
	s.waitFor("enter keep filter")
	s.typeText("move")
	scr = s.waitFor("/ move", "Move the first notes")
	if strings.Contains(scr, "generate 3,000") {
		t.Errorf("the filter kept a commit it does not match:\n%s", scr)
	}
	s.keys("Enter") // keep the filter
	s.waitFor("enter show commit")
	s.keys("q")
	s.waitFor("EXIT=0")

	// From the Manage screen: i, a key, the same view; esc twice returns.
	m := startTmux(t, 100, 30, e.env, gitjiraBinary(t))
	m.waitFor("Manage repositories", "api")
	m.keys("i")
	m.waitFor("Issue key:")
	m.typeText("proj-1")
	m.keys("Enter")
	m.waitFor("4 commits in 1 repository")
	m.keys("Enter")
	m.waitFor("rename from file1.txt")
	m.keys("Escape")
	m.waitFor("REPOSITORY")
	m.keys("Escape")
	m.waitFor("Manage repositories", "[Repositories]")
	m.keys("q")
	m.waitFor("EXIT=0")
}
