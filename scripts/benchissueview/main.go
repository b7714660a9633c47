// Command benchissueview times the issue view on a connected repository:
// its first screen for an issue key (the index lookup and the list drawn),
// opening each of the issue's commits (n: the commit read from the mirror,
// its diff computed within the view's budget and drawn), and the diff of
// given large commits, against `git log --all --grep` and `git show` on the
// same mirror. scripts/bench-issueview.sh runs it after connecting the
// repository over the loopback sshd.
//
//	benchissueview -home H -repo NAME -key KEY [-runs N] [SHA...]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/issueview"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
)

func main() {
	home := flag.String("home", "", "the gitjira home (GITJIRA_HOME) the repository is connected in")
	repo := flag.String("repo", "", "the repository's name")
	key := flag.String("key", "", "the issue key")
	runs := flag.Int("runs", 20, "runs of the first screen")
	flag.Parse()
	if *home == "" || *repo == "" || *key == "" {
		flag.Usage()
		os.Exit(2)
	}
	lipgloss.SetColorProfile(termenv.ANSI256) // colours are drawn, as on a terminal
	mgr := &lifecycle.Manager{Paths: store.Paths{Config: *home, Data: *home}}
	r, err := mgr.Repository(*repo)
	if err != nil {
		fail(err)
	}
	c := common.New()
	c.Manager = mgr

	// The first screen: lookup + list drawn, as `gitjira issue KEY` starts.
	var first []time.Duration
	var m *issueview.Model
	for range *runs {
		t0 := time.Now()
		m = issueview.New(c, *key, true)
		m.SetSize(120, 40)
		msg := m.Init()()
		m.Update(msg)
		_ = m.View()
		first = append(first, time.Since(t0))
	}
	found, err := mgr.IssueCommits(*key)
	if err != nil {
		fail(err)
	}
	var gitGrep []time.Duration
	for range min(*runs, 5) {
		t0 := time.Now()
		run("git", "-C", r.Mirror, "log", "--all", "-F", "--grep="+*key, "--format=%H%x09%an%x09%ad%x09%s")
		gitGrep = append(gitGrep, time.Since(t0))
	}
	fmt.Printf("first screen of %s (%d commits): p50 %s p99 %s max %s | git log --all --grep: p50 %s\n",
		*key, len(found.Commits), pct(first, 50), pct(first, 99), pct(first, 100), pct(gitGrep, 50))

	// The branches column, filled in the background.
	shas := make([]string, len(found.Commits))
	for i, ci := range found.Commits {
		shas[i] = ci.SHA
	}
	t0 := time.Now()
	if _, err := mgr.CommitBranches(context.Background(), *repo, shas); err != nil {
		fail(err)
	}
	fmt.Printf("branches of the %d commits (background): %s\n", len(shas), time.Since(t0).Round(time.Millisecond))

	// Each commit of the issue opened in the view: enter, then n down the list.
	var open, show []time.Duration
	var heap []uint64
	step := func(k tea.KeyMsg) {
		t0 := time.Now()
		_, cmd := m.Update(k)
		if cmd != nil {
			m.Update(cmd())
		}
		_ = m.View()
		open = append(open, time.Since(t0))
	}
	step(tea.KeyMsg{Type: tea.KeyEnter})
	for i := 1; i < len(found.Commits); i++ {
		step(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
		if i%100 == 0 {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap = append(heap, ms.HeapAlloc>>20)
		}
	}
	for _, sha := range shas[:min(len(shas), 200)] {
		t0 := time.Now()
		run("git", "-C", r.Mirror, "show", "--first-parent", sha)
		show = append(show, time.Since(t0))
	}
	fmt.Printf("open each commit (%d, n): p50 %s p99 %s max %s | git show (first %d): p50 %s p99 %s | heap MiB every 100 opened: %v\n",
		len(open), pct(open, 50), pct(open, 99), pct(open, 100), len(show), pct(show, 50), pct(show, 99), heap)

	// Large commits: the data of the view's first part of the diff.
	for _, sha := range flag.Args() {
		var ours, theirs []time.Duration
		var d *lifecycle.CommitDetail
		for range 5 {
			t0 := time.Now()
			d, err = mgr.CommitDetail(*repo, sha, lifecycle.DefaultDiffBudget)
			if err != nil {
				fail(err)
			}
			ours = append(ours, time.Since(t0))
			t0 = time.Now()
			run("git", "-C", r.Mirror, "show", "--first-parent", sha)
			theirs = append(theirs, time.Since(t0))
		}
		lines := 0
		for _, p := range d.Patches {
			for _, h := range p.Hunks {
				lines += len(h.Lines)
			}
		}
		fmt.Printf("large commit %s: %d files, first part %d files %d lines: median %s max %s | git show (whole): median %s\n",
			sha[:12], len(d.Changes), len(d.Patches), lines, pct(ours, 50), pct(ours, 100), pct(theirs, 50))
	}
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	if err := cmd.Run(); err != nil {
		fail(fmt.Errorf("%s %v: %w", name, args, err))
	}
}

// pct is the p-th percentile (nearest rank).
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	return s[max(0, min(len(s)-1, i-1))].Round(100 * time.Microsecond)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchissueview:", err)
	os.Exit(1)
}
