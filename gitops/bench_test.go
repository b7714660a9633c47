package gitops

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/gitserver"
)

// BenchmarkClone clones the 60-commit sample repository from the in-process
// server (git upload-pack backend when git is installed). For the large
// repository and the comparison with git, see scripts/bench-clone.sh.
func BenchmarkClone(b *testing.B) {
	h := newTestHost(b, gitserver.Options{})
	parent := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(parent, strconv.Itoa(i)+".git")
		res, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if res.Commits != h.commits {
			b.Fatalf("%d commits, want %d", res.Commits, h.commits)
		}
		b.SetBytes(res.PackBytes)
	}
}

// BenchmarkParseProgressLine measures the sideband progress parser.
func BenchmarkParseProgressLine(b *testing.B) {
	for i := 0; i < b.N; i++ {
		ParseProgressLine("Compressing objects:  45% (9123/20345)")
	}
}

// BenchmarkReceivePack indexes a pack without network: the equivalent of
// `git index-pack`. It uses the sample repository's pack, or the pack file
// named by $GITJIRA_BENCH_PACK (e.g. a real repository's, or the large one
// of scripts/bench-clone.sh, under /tmp/gitjira-bench/large.git/objects/pack),
// read from the file as a network stream would be. Besides the time it
// reports the peak Go heap (sampled every millisecond) and the CPU time.
func BenchmarkReceivePack(b *testing.B) {
	open := func() (io.ReadCloser, int64, error) {
		p := os.Getenv("GITJIRA_BENCH_PACK")
		f, err := os.Open(p)
		if err != nil {
			return nil, 0, err
		}
		fi, err := f.Stat()
		return f, fi.Size(), err
	}
	if os.Getenv("GITJIRA_BENCH_PACK") == "" {
		needGit(b)
		repo := filepath.Join(b.TempDir(), "src.git")
		if err := gitserver.MakeSampleRepo(repo, 500); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command("sh", "-c", "git rev-list --objects --all | git pack-objects --stdout --delta-base-offset -q")
		cmd.Dir = repo
		pack, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		open = func() (io.ReadCloser, int64, error) {
			return io.NopCloser(bytes.NewReader(pack)), int64(len(pack)), nil
		}
	}
	// $GITJIRA_BENCH_DELTA_CACHE and $GITJIRA_BENCH_RESOLVE (MiB) try other budgets.
	for env, v := range map[string]*int64{"GITJIRA_BENCH_DELTA_CACHE": &deltaCacheBudget, "GITJIRA_BENCH_RESOLVE": &resolveBudget} {
		if s := os.Getenv(env); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				b.Fatalf("%s=%q: want MiB", env, s)
			}
			defer func(old int64) { *v = old }(*v)
			*v = n << 20
		}
	}
	var peak uint64
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "r.git")
		if err := initBare(dir, ""); err != nil {
			b.Fatal(err)
		}
		r, size, err := open()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		start := cpuTime()
		b.StartTimer()
		var res *indexedPack
		p := peakHeap(func() { res, err = receivePack(context.Background(), bufio.NewReaderSize(r, 64<<10), dir, nil) })
		b.StopTimer()
		cpu += cpuTime() - start
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, p)
		b.ReportMetric(float64(res.Objects), "objects")
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the CPU time (user+system) this process used so far: on a
// shared machine it does not grow when other processes take the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
