package lifecycle

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/store"
)

// fillList copies one connected repository's mirror, key and index n times
// under new names, as if n repositories had been connected.
func fillList(b *testing.B, f *fixture, n int) {
	b.Helper()
	src, err := f.m.list().Get("demo")
	if err != nil {
		b.Fatal(err)
	}
	var add []store.Repository
	for i := 0; i < n; i++ {
		r := src
		r.Name = fmt.Sprintf("repo-%04d", i)
		r.ID = newID()
		r.Mirror = f.m.Paths.MirrorDir(r.Name)
		if out, err := exec.Command("cp", "-a", src.Mirror, r.Mirror).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
		r.KeyFile, _ = store.StoreKey(f.m.Paths, r.Name, f.keyRaw)
		add = append(add, r)
	}
	if err := f.m.list().Update(func(rs []store.Repository) ([]store.Repository, error) { return append(rs, add...), nil }); err != nil {
		b.Fatal(err)
	}
	for _, r := range add {
		if _, err := index.Open(f.m.Paths).Update(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListLoad1000 is what `gitjira repos list` costs with 1,000
// repositories (the list read and decoded; the table is printed from it).
func BenchmarkListLoad1000(b *testing.B) {
	home := b.TempDir()
	m := &Manager{Paths: store.Paths{Config: home, Data: home}}
	repos := make([]store.Repository, 1000)
	for i := range repos {
		repos[i] = store.Repository{Name: fmt.Sprintf("repo-%04d", i), ID: newID(), URL: fmt.Sprintf("ssh://git@git.example.com:22/team/repo-%04d.git", i),
			Projects: []string{"APP", "OPS"}, Mirror: m.Paths.MirrorDir(fmt.Sprintf("repo-%04d", i)), Commits: 12345, IssueKeys: 678, Enabled: true,
			KeyFingerprint: "SHA256:I0EObQ5EXE/4cmQ8ra6fauEmRmAABGBYtG97OBM2YYk", HostKeyFingerprint: "SHA256:ty+7WuZtHNuAx/vbo4S7BM8NEjCXXZcp83ZwtINuK1w",
			Added: time.Now(), LastFetched: time.Now()}
	}
	if err := m.list().Update(func([]store.Repository) ([]store.Repository, error) { return repos, nil }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rs, err := m.list().Load()
		if err != nil || len(rs) != 1000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyncUpToDate syncs N up-to-date repositories against the
// in-process server and reports the time per repository and the peak heap,
// so `-bench SyncUpToDate` shows both stay proportional/flat as N grows.
func BenchmarkSyncUpToDate(b *testing.B) {
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprintf("repos=%d", n), func(b *testing.B) {
			f := newBenchFixture(b)
			fillList(b, f, n-1)
			var peak atomic.Uint64
			stop := make(chan struct{})
			go func() {
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}()
			b.ResetTimer()
			for b.Loop() {
				res, err := f.m.Sync(context.Background(), SyncOptions{Signer: f.signerFor})
				if err != nil || len(res) != n {
					b.Fatal(err, len(res))
				}
				for _, r := range res {
					if !r.OK() {
						b.Fatalf("%s: %v", r.Name, r.Err)
					}
				}
			}
			b.StopTimer()
			close(stop)
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(n), "ms/repo")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}

// newBenchFixture is newFixture with one connected repository "demo".
func newBenchFixture(b *testing.B) *fixture {
	b.Helper()
	f := newFixture(b, 30)
	f.connect("demo", f.srv.URL("/demo.git"))
	return f
}
