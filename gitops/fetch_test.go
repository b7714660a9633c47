package gitops

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
)

// gitIn runs git in dir with a fixed identity.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir(),
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=t@example.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestFetchUpdatesMirror(t *testing.T) {
	needGit(t)
	for _, backend := range []gitserver.Backend{gitserver.BackendGit, gitserver.BackendGoGit} {
		t.Run(string(backend), func(t *testing.T) {
			h := newTestHost(t, gitserver.Options{Backend: backend})
			gitIn(t, h.repo, "branch", "topic", "main~3") // deleted on the server after the clone
			oldTopic := gitIn(t, h.repo, "rev-parse", "refs/heads/topic")
			dir := filepath.Join(t.TempDir(), "demo.git")
			if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir}); err != nil {
				t.Fatal(err)
			}

			// Nothing changed: nothing to do.
			res, err := Fetch(context.Background(), dir, h.opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Updated) != 0 || res.Objects != 0 {
				t.Fatalf("fetch with no change: %+v", res)
			}

			// On the server: new commits on main, a force-pushed feature
			// branch, a deleted tag, a deleted branch and a new branch.
			work := filepath.Join(t.TempDir(), "work")
			gitIn(t, ".", "clone", "--quiet", h.repo, work)
			oldMain := gitIn(t, h.repo, "rev-parse", "refs/heads/main")
			oldFeature := gitIn(t, h.repo, "rev-parse", "refs/heads/"+gitserver.SampleFeatureBranch)
			oldTag := gitIn(t, h.repo, "rev-parse", "refs/tags/"+gitserver.SampleTagLight)
			for i, msg := range []string{"DEMO-101: first new", "DEMO-102: second new"} {
				if err := os.WriteFile(filepath.Join(work, "new.txt"), []byte(strings.Repeat(msg+"\n", i+1)), 0o644); err != nil {
					t.Fatal(err)
				}
				gitIn(t, work, "add", "new.txt")
				gitIn(t, work, "commit", "--quiet", "-m", msg)
			}
			gitIn(t, work, "push", "--quiet", "origin", "main")
			gitIn(t, work, "checkout", "--quiet", "-B", "rewritten", "main~10")
			if err := os.WriteFile(filepath.Join(work, "rewrite.txt"), []byte("rewritten\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			gitIn(t, work, "add", "rewrite.txt")
			gitIn(t, work, "commit", "--quiet", "-m", "DEMO-7: start over")
			gitIn(t, work, "push", "--quiet", "--force", "origin", "rewritten:refs/heads/"+gitserver.SampleFeatureBranch)
			gitIn(t, work, "push", "--quiet", "origin", "rewritten:refs/heads/release")
			gitIn(t, work, "push", "--quiet", "origin", ":refs/tags/"+gitserver.SampleTagLight, ":refs/heads/topic")
			newMain := gitIn(t, h.repo, "rev-parse", "refs/heads/main")
			newFeature := gitIn(t, h.repo, "rev-parse", "refs/heads/"+gitserver.SampleFeatureBranch)

			ch := make(chan Progress)
			stop := collect(ch)
			res, err = Fetch(context.Background(), dir, h.opts, ch)
			events := stop()
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][2]string{
				"refs/heads/main": {oldMain, newMain},
				"refs/heads/" + gitserver.SampleFeatureBranch: {oldFeature, newFeature},
				"refs/heads/release":                          {"", newFeature},
				"refs/tags/" + gitserver.SampleTagLight:       {oldTag, ""},
				"refs/heads/topic":                            {oldTopic, ""},
			}
			if len(res.Updated) != len(want) {
				t.Fatalf("Updated = %v, want %v", res.Updated, want)
			}
			for k, v := range want {
				if res.Updated[k] != v {
					t.Fatalf("Updated[%s] = %v, want %v", k, res.Updated[k], v)
				}
			}
			if res.Objects == 0 {
				t.Fatal("no objects received")
			}
			assertSameRepo(t, h.repo, dir)
			last := map[Phase]Progress{}
			for _, e := range events {
				last[e.Phase] = e
			}
			if r := last[PhaseReceiving]; !r.Done || r.Current != r.Total || r.Total != int64(res.Objects) {
				t.Fatalf("receiving progress %+v, objects %d", r, res.Objects)
			}
			if !last[PhaseDone].Done {
				t.Fatalf("no done event: %+v", events)
			}
		})
	}
}

func TestFetchRefusesNonMirror(t *testing.T) {
	h := newTestHost(t, gitserver.Options{})
	_, err := Fetch(context.Background(), t.TempDir(), h.opts, nil)
	if !errors.Is(err, ErrNotMirror) {
		t.Fatalf("err = %v, want ErrNotMirror", err)
	}
}

func TestFetchCancelMidReceiveKeepsMirror(t *testing.T) {
	needGit(t)
	h := newTestHost(t, gitserver.Options{Backend: gitserver.BackendGit})
	dir := filepath.Join(t.TempDir(), "demo.git")
	if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	// New history on the server, big enough to stall in the middle of its pack.
	work := filepath.Join(t.TempDir(), "work")
	gitIn(t, ".", "clone", "--quiet", h.repo, work)
	for i := range 5 {
		var b strings.Builder
		for j := range 2000 {
			fmt.Fprintf(&b, "line %d of commit %d, DEMO-%d\n", j, i, j%40)
		}
		if err := os.WriteFile(filepath.Join(work, fmt.Sprintf("big%d.txt", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		gitIn(t, work, "add", ".")
		gitIn(t, work, "commit", "--quiet", "-m", fmt.Sprintf("DEMO-%d: big change", i+1))
	}
	gitIn(t, work, "push", "--quiet", "origin", "main")
	h.srv.SetStallAfter(1024)

	// Fetch leaves its lock file (a flock lock file is never deleted, only
	// unlocked): have it there before the snapshot.
	l, err := TryLockMirror(dir)
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	before := snapshot(t, dir)
	cancelWhileReceiving(t, 20*time.Second, func(ctx context.Context, ch chan<- Progress) error {
		_, err := Fetch(ctx, dir, h.opts, ch)
		return err
	})
	if after := snapshot(t, dir); after != before {
		t.Fatalf("mirror changed:\n%s\n->\n%s", before, after)
	}
	// And the mirror still fetches fine afterwards.
	h.srv.SetStallAfter(0)
	if _, err := Fetch(context.Background(), dir, h.opts, nil); err != nil {
		t.Fatal(err)
	}
	assertSameRepo(t, h.repo, dir)
}
