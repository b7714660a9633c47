package gitops

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/gitserver"
)

// cloneDemo clones the test host's repository to a fresh directory.
func cloneDemo(t *testing.T, h *testHost) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo.git")
	if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMirrorLock(t *testing.T) {
	needGit(t)
	h := newTestHost(t, gitserver.Options{Backend: gitserver.BackendGit})
	dir := cloneDemo(t, h)

	l, err := TryLockMirror(dir)
	if err != nil {
		t.Fatal(err)
	}
	var busy *MirrorBusyError
	if _, err := TryLockMirror(dir); !errors.As(err, &busy) || !errors.Is(err, ErrMirrorBusy) ||
		err.Error() != "another gitjira is fetching demo (its mirror "+dir+" is locked): try again when it has finished" {
		t.Fatalf("second lock: %v", err)
	}
	if _, err := Fetch(context.Background(), dir, h.opts, nil); !errors.As(err, &busy) {
		t.Fatalf("fetch while locked: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := LockMirror(ctx, dir); !errors.As(err, &busy) {
		t.Fatalf("LockMirror while locked: %v", err)
	}
	// LockMirror waits for the holder.
	time.AfterFunc(100*time.Millisecond, func() { l.Unlock() })
	l2, err := LockMirror(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	l2.Unlock()
	if _, err := Fetch(context.Background(), dir, h.opts, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := TryLockMirror(filepath.Join(t.TempDir(), "none.git")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("lock of a missing mirror: %v", err)
	}
}

// TestMirrorLockReleasedWhenHolderDies: a fetch killed with SIGKILL leaves
// no lock behind (the old lock file did, forever).
func TestMirrorLockReleasedWhenHolderDies(t *testing.T) {
	if dir := os.Getenv("GITOPS_TEST_HOLD_LOCK"); dir != "" {
		if _, err := TryLockMirror(dir); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMirrorLockReleasedWhenHolderDies$")
	cmd.Env = append(os.Environ(), "GITOPS_TEST_HOLD_LOCK="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		cmd.Process.Kill()
		t.Fatalf("holder: %q %v", buf, err)
	}
	if _, err := TryLockMirror(dir); !errors.Is(err, ErrMirrorBusy) {
		t.Fatalf("while the holder lives: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := TryLockMirror(dir)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Unlock()
}

// TestFetchCleansLeftovers: what a killed fetch leaves in the mirror is
// removed by the next one, and git still accepts the mirror.
func TestFetchCleansLeftovers(t *testing.T) {
	needGit(t)
	h := newTestHost(t, gitserver.Options{Backend: gitserver.BackendGit})
	dir := cloneDemo(t, h)
	packDir := filepath.Join(dir, "objects", "pack")
	leftovers := []string{
		filepath.Join(packDir, "tmp_pack_123456"),
		filepath.Join(packDir, "tmp_idx_123456"),
		filepath.Join(packDir, "pack-0123456789012345678901234567890123456789.pack"), // no .idx: moved in half
		filepath.Join(packDir, "pack-1.partial"),
		filepath.Join(dir, "packed-refs.lock"),
		filepath.Join(dir, "HEAD.tmp-0badc0de"),
		filepath.Join(dir, ".HEAD8412963"),         // renameio's temp name
		filepath.Join(dir, ".packed-refs-1234567"), // renameio's temp name
	}
	for _, p := range leftovers {
		if err := os.WriteFile(p, []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addCommit(t, h.repo, "DEMO-2: after a crash")
	if _, err := Fetch(context.Background(), dir, h.opts, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range leftovers {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there", p)
		}
	}
	assertSameRepo(t, h.repo, dir)
}

func TestRemovePartialClones(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "demo.git")
	for _, d := range []string{"demo.git", "demo.git.partial-123", "demo.git.partial-abc/objects", "other.git.partial-1", "demo.gitx.partial-2"} {
		if err := os.MkdirAll(filepath.Join(parent, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemovePartialClones(dir); err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, " ") != "demo.git demo.gitx.partial-2 other.git.partial-1" {
		t.Fatalf("left %v", left)
	}
	if err := RemovePartialClones(filepath.Join(t.TempDir(), "none", "x.git")); err != nil {
		t.Fatalf("missing parent: %v", err)
	}
}

// TestCloneDirectoriesPrivate: every directory Clone creates is 0700.
func TestCloneDirectoriesPrivate(t *testing.T) {
	needGit(t)
	h := newTestHost(t, gitserver.Options{Backend: gitserver.BackendGit})
	parent := t.TempDir()
	dir := filepath.Join(parent, "a", "b", "demo.git")
	if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(filepath.Join(parent, "a"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want 0700", p, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
