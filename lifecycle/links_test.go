package lifecycle

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
)

// TestSyncLinksAfterReleasingTheLock: the linking phase runs once the
// repository lock is free (an overlapping fetch does not fail "busy"),
// gets the commits the fetch indexed, and reports its progress through
// SyncOptions.LinkProgress.
func TestSyncLinksAfterReleasingTheLock(t *testing.T) {
	f := newFixture(t, 3)
	r := f.connect("demo", f.srv.URL("/demo.git"))
	addCommits(t, filepath.Join(f.root, "demo.git"), 2)
	var progress []int
	var lockFree bool
	var got []index.CommitRef
	res, err := f.m.Sync(context.Background(), SyncOptions{
		Signer: f.signerFor,
		Link: func(ctx context.Context, r store.Repository, added []index.CommitRef) (*jira.LinkReport, error) {
			l, err := fsatomic.TryAcquire(filepath.Join(f.m.locksDir(), r.Name+".lock"))
			lockFree = err == nil
			l.Unlock()
			got = added
			if p := jira.LinkProgressFrom(ctx); p != nil {
				p(1, 2)
				p(2, 2)
			}
			return &jira.LinkReport{Created: 2}, nil
		},
		LinkProgress: func(name string, done, total int) {
			if name == "demo" {
				progress = append(progress, done*10+total)
			}
		},
	})
	if err != nil || len(res) != 1 || !res[0].OK() || res[0].Links == nil || res[0].Links.Created != 2 {
		t.Fatalf("%v %+v", err, res)
	}
	if !lockFree {
		t.Error("linking ran under the repository lock")
	}
	if len(got) != 2 || len(progress) != 2 || progress[1] != 22 {
		t.Errorf("added %d, progress %v", len(got), progress)
	}
	if st, err := f.m.LinkStatus(r.Name); err != nil || st.Links != 0 {
		t.Errorf("LinkStatus %+v %v", st, err)
	}
	if _, err := f.m.LinkStatus("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
}
