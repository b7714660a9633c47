package gitops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/gitops/sshdtest"
)

func packPaths(t *testing.T, dir string) []string {
	t.Helper()
	p, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "pack-*.idx"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o444); err != nil {
		t.Fatal(err)
	}
}

// Fetches add a pack each (thin ones completed with copies of objects the
// mirror has); past AutoPackLimit a fetch consolidates them into one pack
// that git accepts, each object once. An interrupted consolidation (an
// old pack still there beside the new one) and a cancelled one leave a
// valid mirror that the next one repairs.
func TestSSHDFetchConsolidatesPacks(t *testing.T) {
	defer func(n int) { AutoPackLimit = n }(AutoPackLimit)
	AutoPackLimit = 3
	s := sshdtest.Start(t, sshdtest.Options{})
	repo := s.NewBareRepo("many", 20)
	work := filepath.Join(t.TempDir(), "work")
	gitIn(t, ".", "clone", "--quiet", repo, work)
	big := filepath.Join(work, "big.txt")
	writeLines(t, big, 2000, -1, "")
	gitIn(t, work, "add", "big.txt")
	gitIn(t, work, "commit", "--quiet", "-m", "PROJ-1: a big file")
	gitIn(t, work, "push", "--quiet", "origin", "main")
	opts := sshdOptions(t, s, repo)
	dir := filepath.Join(t.TempDir(), "many.git")
	if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: opts, Dir: dir}); err != nil {
		t.Fatal(err)
	}

	keep := t.TempDir()
	var oldPack string // the last pack before the consolidation, kept in keep
	consolidated := false
	for i := range 3 {
		writeLines(t, big, 2000, 50*i+3, fmt.Sprintf("PROJ-%d", i+2))
		gitIn(t, work, "commit", "--quiet", "-am", fmt.Sprintf("PROJ-%d: change", i+2))
		gitIn(t, work, "push", "--quiet", "origin", "main")
		before := packPaths(t, dir)
		if len(before) > 1 && !consolidated {
			oldPack = filepath.Base(strings.TrimSuffix(before[len(before)-1], ".idx"))
			copyFile(t, filepath.Join(dir, "objects", "pack", oldPack+".pack"), filepath.Join(keep, oldPack+".pack"))
			copyFile(t, filepath.Join(dir, "objects", "pack", oldPack+".idx"), filepath.Join(keep, oldPack+".idx"))
		}
		res, err := Fetch(context.Background(), dir, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Warnings) > 0 {
			t.Fatalf("warnings: %v", res.Warnings)
		}
		packs := packPaths(t, dir)
		switch {
		case len(before)+1 > AutoPackLimit:
			if res.Consolidated == nil || res.Consolidated.Packs != len(before)+1 || len(packs) != 1 {
				t.Fatalf("fetch %d: %d packs before, consolidated %+v, %d after", i, len(before), res.Consolidated, len(packs))
			}
			consolidated = true
		case res.Consolidated != nil || len(packs) != len(before)+1:
			t.Fatalf("fetch %d: %d packs before, consolidated %+v, %d after", i, len(before), res.Consolidated, len(packs))
		}
		assertSameRepo(t, repo, dir)
	}
	if !consolidated {
		t.Fatal("no fetch consolidated the packs")
	}
	inPack := func() int {
		for _, l := range strings.Split(gitOut(t, dir, "count-objects", "-v"), "\n") {
			if v, ok := strings.CutPrefix(l, "in-pack: "); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
		return -1
	}
	// Each reachable object once (the mirror has no others).
	reachable := len(strings.Split(gitOut(t, dir, "rev-list", "--objects", "--all"), "\n"))
	if n := inPack(); n != reachable {
		t.Fatalf("in-pack %d objects, %d reachable", n, reachable)
	}
	for _, p := range packPaths(t, dir) {
		gitOut(t, dir, "verify-pack", p)
	}

	// Killed after the new pack was in place but before an old one was
	// removed: the old pack is back beside it. git reads the mirror; the
	// next consolidation makes one pack of them again.
	copyFile(t, filepath.Join(keep, oldPack+".pack"), filepath.Join(dir, "objects", "pack", oldPack+".pack"))
	copyFile(t, filepath.Join(keep, oldPack+".idx"), filepath.Join(dir, "objects", "pack", oldPack+".idx"))
	assertSameRepo(t, repo, dir)
	if c, err := Consolidate(context.Background(), dir); err != nil || c.Packs != 2 || len(packPaths(t, dir)) != 1 || inPack() != reachable {
		t.Fatalf("consolidating after an interrupted one: %+v %v, %d packs, %d objects", c, err, len(packPaths(t, dir)), inPack())
	}
	assertSameRepo(t, repo, dir)
	// And once more with the old pack back, this time cancelled.
	copyFile(t, filepath.Join(keep, oldPack+".pack"), filepath.Join(dir, "objects", "pack", oldPack+".pack"))
	copyFile(t, filepath.Join(keep, oldPack+".idx"), filepath.Join(dir, "objects", "pack", oldPack+".idx"))

	// Cancelled: nothing changes, nothing is left.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := packPaths(t, dir)
	if _, err := Consolidate(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled consolidation: %v", err)
	}
	if after := packPaths(t, dir); len(after) != len(before) {
		t.Fatalf("packs %v after a cancelled consolidation, before %v", after, before)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "tmp_*")); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	assertSameRepo(t, repo, dir)
}
