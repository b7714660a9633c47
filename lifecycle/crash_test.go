package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
)

// addCommits adds n commits mentioning DEMO-<i> to the bare repository's HEAD branch.
func addCommits(t *testing.T, bare string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		git := func(args ...string) string {
			cmd := exec.Command("git", append([]string{"--git-dir=" + bare}, args...)...)
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("git %v: %v", args, err)
			}
			return strings.TrimSpace(string(out))
		}
		tree := git("rev-parse", "HEAD^{tree}")
		c := git("commit-tree", tree, "-p", "HEAD", "-m", fmt.Sprintf("DEMO-%d: added by the test %d", 900+i, i))
		git("update-ref", "HEAD", c)
	}
}

func TestHomeAndMirrorsArePrivate(t *testing.T) {
	f := newFixture(t, 3)
	os.MkdirAll(f.m.Paths.Data, 0o755) // an existing home, too open
	f.connect("", f.srv.URL("/demo.git"))
	for _, d := range f.m.dirs() {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s is %v, want 0700", d, fi.Mode().Perm())
		}
	}
	r, _ := f.m.list().Get("demo")
	fi, _ := os.Stat(r.KeyFile)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file %v", fi.Mode().Perm())
	}
}

// leaveConnectDebris makes what a connect killed after the clone leaves: a
// journal entry, the mirror, a partial clone, the stored key and an index.
func leaveConnectDebris(t *testing.T, m *Manager, name string) {
	t.Helper()
	if err := m.ensureDirs(); err != nil {
		t.Fatal(err)
	}
	if err := m.writeIntent(intent{Op: opConnect, Name: name, Mirror: m.Paths.MirrorDir(name)}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(m.Paths.MirrorDir(name), "objects", "pack"), 0o700)
	os.MkdirAll(m.Paths.MirrorDir(name)+".partial-123", 0o700)
	os.WriteFile(filepath.Join(m.Paths.KeysDir(), name+".key"), []byte("key"), 0o600)
	os.WriteFile(filepath.Join(m.Paths.IndexDir(), name+".idx"), []byte("idx"), 0o600)
}

func TestRecoverRollsBackDeadConnectAndSparesLiveOne(t *testing.T) {
	f := newFixture(t, 3)
	f.connect("kept", f.srv.URL("/demo.git"))
	leaveConnectDebris(t, f.m, "dead")
	leaveConnectDebris(t, f.m, "alive")
	// "alive" is being connected by a live process: its name lock is held.
	live, err := fsatomic.TryAcquire(filepath.Join(f.m.locksDir(), "alive.lock"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.m.Recover()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.RolledBack) != 1 || rep.RolledBack[0] != "dead" {
		t.Errorf("rolled back %v, want [dead]", rep.RolledBack)
	}
	if !exists(f.m.Paths.MirrorDir("alive")) || !exists(f.m.journalFile("alive")) {
		t.Error("the live connect's files were touched")
	}
	live.Unlock()
	// Once its process is gone, the next run cleans it too; the listed repository stays.
	if _, err := f.m.Recover(); err != nil {
		t.Fatal(err)
	}
	checkHome(t, f.m)
	if _, err := f.m.list().Get("kept"); err != nil {
		t.Fatal(err)
	}
	// And the name is free again: connecting it works.
	if err := gitserver.MakeSampleRepo(filepath.Join(f.root, "dead.git"), 2); err != nil {
		t.Fatal(err)
	}
	f.connect("dead", f.srv.URL("/dead.git"))
	checkHome(t, f.m)
}

func TestRecoverFinishesDeadRemove(t *testing.T) {
	f := newFixture(t, 3)
	f.connect("gone", f.srv.URL("/demo.git"))
	// A remove killed right after writing its journal, before the list write.
	if err := f.m.writeIntent(intent{Op: opRemove, Name: "gone"}); err != nil {
		t.Fatal(err)
	}
	rep, err := f.m.Recover()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Finished) != 1 {
		t.Errorf("report %+v", rep)
	}
	if _, err := f.m.list().Get("gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("still listed: %v", err)
	}
	checkHome(t, f.m)
}

func TestRemoveWaitsForTheMirrorLock(t *testing.T) {
	f := newFixture(t, 3)
	r := f.connect("", f.srv.URL("/demo.git"))
	f.m.LockWait = 200 * time.Millisecond
	held, err := fsatomic.TryAcquire(filepath.Join(r.Mirror, "gitjira-fetch.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Remove(context.Background(), "demo", RemoveOptions{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("remove while a fetch holds the mirror: %v", err)
	}
	if _, err := f.m.list().Get("demo"); err != nil {
		t.Fatal("removed although busy")
	}
	held.Unlock()
	if _, err := f.m.Remove(context.Background(), "demo", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	checkHome(t, f.m)
	if exists(r.Mirror) {
		t.Error("mirror left")
	}
}

func TestRemoveLeavesForeignMirror(t *testing.T) {
	f := newFixture(t, 3)
	f.connect("", f.srv.URL("/demo.git"))
	outside := t.TempDir()
	f.m.list().Update(func(rs []store.Repository) ([]store.Repository, error) {
		rs[0].Mirror = outside
		return rs, nil
	})
	if _, err := f.m.Remove(context.Background(), "demo", RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if !exists(outside) {
		t.Fatal("a directory outside gitjira's mirrors was deleted")
	}
}

func TestSyncRecordsEachOutcome(t *testing.T) {
	f := newFixture(t, 4)
	f.connect("a", f.srv.URL("/demo.git"))
	// b's repository disappears from the server.
	if err := os.Rename(filepath.Join(f.root, "demo.git"), filepath.Join(f.root, "b.git")); err != nil {
		t.Fatal(err)
	}
	f.connect("b", f.srv.URL("/b.git"))
	os.Rename(filepath.Join(f.root, "b.git"), filepath.Join(f.root, "demo.git"))
	var done []string
	res, err := f.m.Sync(context.Background(), SyncOptions{Signer: f.signerFor, Done: func(r SyncResult) { done = append(done, r.Name) }, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].OK() || res[1].OK() {
		t.Fatalf("results %+v", res)
	}
	b, _ := f.m.list().Get("b")
	if b.LastError == "" || b.Status() != "error" {
		t.Errorf("b's error not recorded: %+v", b)
	}
	a, _ := f.m.list().Get("a")
	if a.LastError != "" {
		t.Errorf("a: %+v", a)
	}
	if len(done) != 2 {
		t.Errorf("Done called for %v", done)
	}
	if _, err := f.m.Sync(context.Background(), SyncOptions{Names: []string{"nope"}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}
}

// TestRecoverFinishesRemoveAfterListWrite: a remove killed between the list
// write and the deletions; the next run deletes the files, including the
// link state keyed by the repository's identity (recorded in the journal).
func TestRecoverFinishesRemoveAfterListWrite(t *testing.T) {
	f := newFixture(t, 3)
	r := f.connect("gone", f.srv.URL("/demo.git"))
	state := jira.LinkStateFile(f.m.Paths, r)
	os.MkdirAll(filepath.Dir(state), 0o700)
	if err := os.WriteFile(state, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.m.writeIntent(intent{Op: opRemove, Name: "gone", ID: r.ID, Mirror: r.Mirror}); err != nil {
		t.Fatal(err)
	}
	f.m.list().Update(func([]store.Repository) ([]store.Repository, error) { return nil, nil })
	rep, err := f.m.Recover()
	if err != nil || len(rep.Finished) != 1 {
		t.Fatalf("recover: %+v %v", rep, err)
	}
	if exists(state) {
		t.Error("the link state of the removed repository is left")
	}
	checkHome(t, f.m)
}
