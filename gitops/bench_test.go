package gitops

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

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

// BenchmarkReceivePack indexes a pack from memory, without network: the
// equivalent of `git index-pack`. It uses the sample repository's pack, or
// the pack file named by $GITJIRA_BENCH_PACK (e.g. the large repository of
// scripts/bench-clone.sh, under /tmp/gitjira-bench/large.git/objects/pack).
func BenchmarkReceivePack(b *testing.B) {
	var pack []byte
	if p := os.Getenv("GITJIRA_BENCH_PACK"); p != "" {
		var err error
		if pack, err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	} else {
		needGit(b)
		repo := filepath.Join(b.TempDir(), "src.git")
		if err := gitserver.MakeSampleRepo(repo, 500); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command("sh", "-c", "git rev-list --objects --all | git pack-objects --stdout --delta-base-offset -q")
		cmd.Dir = repo
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		pack = out
	}
	b.SetBytes(int64(len(pack)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "r.git")
		if err := initBare(dir, ""); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := receivePack(context.Background(), bytes.NewReader(pack), dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Objects), "objects")
	}
}
