package index

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gitjira/gitjira/store"
)

// heapPeak samples the heap in use while f runs.
func heapPeak(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// A mirror with a million refs (over a handful of commits) is indexed in
// memory proportional to its commits, not its refs: the refs are streamed
// and only a digest of them is kept (issue 17 item 9: the index held every
// ref in two maps and in its header, most of the 778 MB a million refs
// took). A second update with the same refs writes nothing.
func TestIndexMillionRefsBoundedMemory(t *testing.T) {
	g := newGitRepo(t)
	var commits []string
	for i := range 5 {
		commits = append(commits, g.commit(fmt.Sprintf("PROJ-%d: work", i+1)))
	}
	mirror := filepath.Join(t.TempDir(), "mirror.git")
	runGit(t, "/", nil, "clone", "-q", "--mirror", "--no-local", g.dir, mirror)
	f, err := os.Create(filepath.Join(mirror, "packed-refs"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "# pack-refs with: peeled fully-peeled sorted ")
	for i := range 1_000_000 {
		fmt.Fprintf(w, "%s refs/heads/b%07d\n", commits[i%len(commits)], i)
	}
	fmt.Fprintf(w, "%s refs/heads/main\n", commits[len(commits)-1])
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.RemoveAll(filepath.Join(mirror, "refs", "heads"))

	p := testPaths(t)
	repo := store.Repository{Name: "r", Mirror: mirror, Projects: []string{"ALL"}}
	ix := Open(p)
	var res UpdateResult
	peak := heapPeak(func() { res, err = ix.Update(repo) })
	if err != nil || res.Commits != 5 || res.New != 5 {
		t.Fatalf("update: %+v %v", res, err)
	}
	t.Logf("a million refs indexed; peak heap in use %d MiB", peak>>20)
	if peak > 64<<20 {
		t.Fatalf("peak heap in use %d MiB for a million refs over 5 commits, want under 64 MiB", peak>>20)
	}
	fi, _ := os.Stat(ix.file("r"))
	if fi.Size() > 64<<10 {
		t.Fatalf("the index file is %d bytes: it keeps the refs", fi.Size())
	}
	if res, err := ix.Update(repo); err != nil || res.New != 0 {
		t.Fatalf("second update: %+v %v", res, err)
	}
	if fi2, _ := os.Stat(ix.file("r")); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatal("an update with the same refs rewrote the index")
	}
}
