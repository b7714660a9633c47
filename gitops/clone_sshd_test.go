package gitops

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
	"golang.org/x/crypto/ssh"
)

// sshdOptions starts nothing: it returns options for a repository on s with
// a fresh authorized key and a known_hosts file holding s's host keys.
func sshdOptions(t *testing.T, s *sshdtest.Server, repo string) ConnectOptions {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	s.AuthorizePublicKey(signer.PublicKey())
	ep, err := ParseURL(s.URL(repo))
	if err != nil {
		t.Fatal(err)
	}
	return ConnectOptions{Endpoint: ep, Signer: signer, KnownHostsFile: s.WriteKnownHosts(), Timeout: 15 * time.Second}
}

// Clone and fetch against a real OpenSSH sshd and git-upload-pack.
func TestSSHDCloneAndFetch(t *testing.T) {
	s := sshdtest.Start(t, sshdtest.Options{})
	repo := s.NewBareRepo("proj", 300)
	opts := sshdOptions(t, s, repo)
	dir := filepath.Join(t.TempDir(), "mirrors", "proj.git")

	ch := make(chan Progress)
	stop := collect(ch)
	res, err := Clone(context.Background(), CloneOptions{ConnectOptions: opts, Dir: dir, Progress: ch})
	events := stop()
	if err != nil {
		t.Fatalf("%v\nsshd log:\n%s", err, s.Logs())
	}
	assertSameRepo(t, repo, dir)
	if want := gitInt(t, repo, "rev-list", "--all", "--count"); res.Commits != want || res.Commits != 300 {
		t.Fatalf("Commits = %d, want %d", res.Commits, want)
	}
	assertProgress(t, events, packedObjectCount(t, repo))

	// New commits (and tags) on the server, then fetch.
	oldMain := gitOut(t, repo, "rev-parse", "refs/heads/main")
	s.AddCommits(repo, 25)
	ch = make(chan Progress)
	stop = collect(ch)
	fres, err := Fetch(context.Background(), dir, opts, ch)
	events = stop()
	if err != nil {
		t.Fatal(err)
	}
	if got := fres.Updated["refs/heads/main"]; got != [2]string{oldMain, gitOut(t, repo, "rev-parse", "refs/heads/main")} {
		t.Fatalf("main: %v", got)
	}
	// 25 commits add tags v0.31 and v0.32.
	if len(fres.Updated) != 3 {
		t.Fatalf("Updated = %v", fres.Updated)
	}
	assertSameRepo(t, repo, dir)
	if got := gitInt(t, dir, "rev-list", "--all", "--count"); got != 325 {
		t.Fatalf("after fetch: %d commits", got)
	}
	var recv Progress
	for _, e := range events {
		if e.Phase == PhaseReceiving {
			recv = e
		}
	}
	// Only the new objects came: 25 commits, 25 trees, up to 25 blobs.
	if !recv.Done || recv.Total != int64(fres.Objects) || fres.Objects > 75 || fres.Objects < 50 {
		t.Fatalf("fetch received %d objects, progress %+v", fres.Objects, recv)
	}
}

// Cancel in the middle of the pack from a real sshd: the server runs every
// command through a wrapper that lets only the first 256 KiB of output
// through and then hangs, so the clone is certainly mid-receive.
func TestSSHDCloneCancelLeavesNothing(t *testing.T) {
	wrapper := filepath.Join(t.TempDir(), "stall.sh")
	// stdbuf: head writes through stdio, which would hold back the ref advertisement.
	script := "#!/bin/sh\neval \"$SSH_ORIGINAL_COMMAND\" | { stdbuf -o0 head -c 262144; exec sleep 20; }\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := sshdtest.Start(t, sshdtest.Options{ExtraConfig: []string{"ForceCommand " + wrapper}})
	repo := s.NewBareRepo("big", 10)
	// 4 MiB that do not compress, so the pack is far larger than what passes.
	work := filepath.Join(t.TempDir(), "work")
	gitIn(t, ".", "clone", "--quiet", repo, work)
	big := make([]byte, 4<<20)
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
	took := cancelWhileReceiving(t, 15*time.Second, func(ctx context.Context, ch chan<- Progress) error {
		_, err := Clone(ctx, CloneOptions{ConnectOptions: opts, Dir: dir, Progress: ch})
		return err
	})
	if took > 5*time.Second {
		t.Fatalf("clone took %v to return after cancel", took)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
