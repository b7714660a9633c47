package gitops

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// A server that dies in the middle of the pack (its sshd session killed,
// so no exit status ever comes) is reported as a closed connection during
// the transfer, with how far it got, and nothing is left behind (issue 15
// defect 3: it said "wait: remote command exited without exit status or
// exit signal").
func TestSSHDServerDiesMidClone(t *testing.T) {
	wrapper := filepath.Join(t.TempDir(), "die.sh")
	// After 1 MiB of upload-pack's output, kill the sshd session process
	// serving this connection: the TCP connection drops mid-pack.
	script := "#!/bin/sh\neval \"$SSH_ORIGINAL_COMMAND\" | { stdbuf -o0 head -c 1048576; kill -9 $PPID; }\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := sshdtest.Start(t, sshdtest.Options{ExtraConfig: []string{"ForceCommand " + wrapper}})
	repo := s.NewBareRepo("big", 10)
	work := filepath.Join(t.TempDir(), "work")
	gitIn(t, ".", "clone", "--quiet", repo, work)
	big := make([]byte, 3<<20)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(work, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, work, "add", "big.bin")
	gitIn(t, work, "commit", "--quiet", "-m", "PROJ-1: big file")
	gitIn(t, work, "push", "--quiet", "origin", "main")

	opts := sshdOptions(t, s, repo)
	parent := t.TempDir()
	dir := filepath.Join(parent, "big.git")
	_, err := Clone(context.Background(), CloneOptions{ConnectOptions: opts, Dir: dir})
	if err == nil {
		t.Fatal("clone succeeded")
	}
	want := regexp.MustCompile(`^the server closed the connection during the transfer \(\d+ %, \d+(\.\d)? [KM]iB\): retry$`)
	if !want.MatchString(err.Error()) {
		t.Fatalf("error = %q, want it to match %s", err, want)
	}
	var tc *TransferClosedError
	// How much arrived depends on the kernel: a reset connection drops
	// what was in flight, so only "some, and less than the whole pack".
	if !errors.As(err, &tc) || tc.Bytes == 0 || tc.Bytes > 2<<20 {
		t.Fatalf("error %T %+v: want a *TransferClosedError after part of the pack", err, tc)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
