package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitjira/gitjira/jira/jiratest"
)

// fakeClock advances only when slept on, and records every sleep.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

func (c *fakeClock) total() time.Duration {
	var t time.Duration
	for _, d := range c.sleeps() {
		t += d
	}
	return t
}

// countingLimiter never waits; it counts.
type countingLimiter struct {
	mu sync.Mutex
	n  int
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	return nil
}

func sha(i int) string { return fmt.Sprintf("%040x", 0xabc000+i) }

var linkRepo = Repository{Name: "app", URL: "git@github.com:acme/app.git", Projects: []string{"ALL"}}

// linkCommits: 5 (issue, commit) pairs, one of them on a missing issue.
func linkCommits() []CommitRef {
	d := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	return []CommitRef{
		{Repository: "app", SHA: sha(1), Author: "Ann", Date: d, Subject: "PROJ-1 fix login", Keys: []string{"PROJ-1"}},
		{Repository: "app", SHA: sha(2), Author: "Bob", Date: d, Subject: "PROJ-2 and OPS-3", Keys: []string{"PROJ-2", "OPS-3", "PROJ-2"}},
		{Repository: "app", SHA: sha(3), Author: "Ann", Date: d, Subject: "PROJ-999 does not exist", Keys: []string{"PROJ-999"}},
		{Repository: "app", SHA: sha(4), Author: "Cy", Date: d, Subject: "PROJ-1 again", Keys: []string{"PROJ-1"}},
		{Repository: "app", SHA: sha(5), Author: "Cy", Date: d, Subject: "no keys"},
	}
}

func newTestPusher(t *testing.T, srv *jiratest.Server) (*LinkPusher, *fakeClock, *countingLimiter) {
	t.Helper()
	clk, lim := newFakeClock(), &countingLimiter{}
	return &LinkPusher{Client: fakeClient(t, srv), Paths: clientTestPaths(t), Options: LinkOptions{Clock: clk, Limiter: lim}}, clk, lim
}

func journalExists(lp *LinkPusher, repo string) bool {
	_, err := os.Stat(LinkStateFile(lp.Paths, repo))
	return err == nil
}

func TestPushCommitLinks(t *testing.T) {
	srv := jiratest.NewServer(t)
	p := clientTestPaths(t)
	if _, err := PushCommitLinks(context.Background(), p, linkRepo, linkCommits()); !errors.Is(err, ErrNoSite) {
		t.Fatalf("without a site: %v", err)
	}
	if err := SaveSite(p, Site{URL: srv.URL, Token: jiratest.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	rep, err := PushCommitLinks(context.Background(), p, linkRepo, linkCommits())
	if err != nil {
		t.Fatal(err)
	}
	if rep != (LinkReport{Created: 4, Skipped: 1}) {
		t.Errorf("report %+v, want 4 created, 1 skipped", rep)
	}
	l1 := srv.Links("PROJ-1")
	if len(l1) != 2 {
		t.Fatalf("PROJ-1 has %d links, want 2", len(l1))
	}
	first := l1[0]
	if first.GlobalID != "gitjira:app:"+sha(1) || first.Title() != sha(1)[:10]+" PROJ-1 fix login" ||
		first.URL() != "https://github.com/acme/app/commit/"+sha(1) {
		t.Errorf("link %+v", first)
	}
	if s, _ := first.Object["summary"].(string); s != "Commit in app by Ann, 2026-11-20 10:00 UTC" {
		t.Errorf("summary %q", s)
	}
	if len(srv.Links("PROJ-2")) != 1 || len(srv.Links("OPS-3")) != 1 || srv.AllLinks() != 4 {
		t.Errorf("links: PROJ-2 %d, OPS-3 %d, all %d", len(srv.Links("PROJ-2")), len(srv.Links("OPS-3")), srv.AllLinks())
	}
	if _, err := os.Stat(LinkStateFile(p, "app")); !os.IsNotExist(err) {
		t.Errorf("journal left after a complete run: %v", err)
	}
}

func TestPushIsIdempotent(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	ctx := context.Background()
	rep1, err := lp.Push(ctx, linkRepo, linkCommits())
	if err != nil || rep1.Created != 4 {
		t.Fatalf("first run %+v, %v", rep1, err)
	}
	rep2, err := lp.Push(ctx, linkRepo, linkCommits())
	if err != nil {
		t.Fatal(err)
	}
	if rep2 != (LinkReport{Updated: 4, Skipped: 1}) {
		t.Errorf("second run %+v, want 4 updated, 1 skipped", rep2)
	}
	if n := srv.AllLinks(); n != 4 {
		t.Errorf("%d links after two runs, want 4 (one per issue and commit)", n)
	}
	seen := map[string]bool{}
	for _, key := range []string{"PROJ-1", "PROJ-2", "OPS-3"} {
		for _, l := range srv.Links(key) {
			if seen[key+l.GlobalID] {
				t.Errorf("%s has two links %s", key, l.GlobalID)
			}
			seen[key+l.GlobalID] = true
		}
	}
}

func TestPushHonoursRestrictedProjects(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, lim := newTestPusher(t, srv)
	repo := linkRepo
	repo.Projects = []string{"OPS"}
	rep, err := lp.Push(context.Background(), repo, linkCommits())
	if err != nil || rep != (LinkReport{Created: 1}) {
		t.Fatalf("report %+v, %v; want only OPS-3", rep, err)
	}
	if srv.AllLinks() != 1 || len(srv.Links("OPS-3")) != 1 || lim.n != 1 {
		t.Errorf("links %d, limiter waits %d", srv.AllLinks(), lim.n)
	}

	// Nothing allowed: no request, no journal.
	repo.Projects = []string{"HR"}
	before := len(srv.Requests())
	rep, err = lp.Push(context.Background(), repo, linkCommits())
	if err != nil || rep != (LinkReport{}) || len(srv.Requests()) != before || journalExists(lp, "app") {
		t.Errorf("no allowed key: %+v, %v, %d requests", rep, err, len(srv.Requests())-before)
	}
}

func TestTokenBucketCountsWaits(t *testing.T) {
	for _, tt := range []struct {
		rate    float64
		burst   int
		waits   int
		sleeps  int
		elapsed time.Duration
	}{
		{5, 5, 5, 0, 0},
		{5, 5, 12, 7, 1400 * time.Millisecond},
		{2, 1, 4, 3, 1500 * time.Millisecond},
		{0, 0, 6, 1, 200 * time.Millisecond}, // defaults: 5/s, burst 5
	} {
		clk := newFakeClock()
		b := NewTokenBucket(tt.rate, tt.burst, clk)
		for range tt.waits {
			if err := b.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if got := len(clk.sleeps()); got != tt.sleeps || clk.total() != tt.elapsed {
			t.Errorf("rate %v burst %d, %d waits: %d sleeps for %v; want %d for %v", tt.rate, tt.burst, tt.waits, got, clk.total(), tt.sleeps, tt.elapsed)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewTokenBucket(1, 1, newFakeClock()).Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}

func TestPushIsRateLimited(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetAnyIssueExists(true)
	lp, clk, _ := newTestPusher(t, srv)
	lp.Options.Limiter = nil // the default token bucket on the fake clock
	lp.Options.RatePerSecond, lp.Options.Burst = 5, 5
	var commits []CommitRef
	for i := 1; i <= 12; i++ {
		commits = append(commits, CommitRef{SHA: sha(i), Subject: "s", Keys: []string{fmt.Sprintf("PROJ-%d", 100+i)}})
	}
	rep, err := lp.Push(context.Background(), linkRepo, commits)
	if err != nil || rep.Created != 12 {
		t.Fatalf("%+v, %v", rep, err)
	}
	// 12 requests at 5/s with a burst of 5: 7 waits of 200ms.
	if n, total := len(clk.sleeps()), clk.total(); n != 7 || total != 1400*time.Millisecond {
		t.Errorf("%d sleeps for %v; want 7 for 1.4s", n, total)
	}
}

func TestPushHonoursRetryAfter(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, clk, _ := newTestPusher(t, srv)
	srv.SetRetryAfter("3")
	srv.FailNext(http.StatusTooManyRequests, 2)
	rep, err := lp.Push(context.Background(), linkRepo, linkCommits())
	if err != nil || rep != (LinkReport{Created: 4, Skipped: 1}) {
		t.Fatalf("%+v, %v", rep, err)
	}
	if s := clk.sleeps(); len(s) != 2 || s[0] != 3*time.Second || s[1] != 3*time.Second {
		t.Errorf("sleeps %v, want [3s 3s] from Retry-After", s)
	}
	if n := srv.Count(http.MethodPost, "/rest/api/2/issue/PROJ-1/remotelink"); n != 4 {
		t.Errorf("%d POSTs to PROJ-1, want 2 refused + 2 links", n)
	}

	// A Retry-After beyond MaxRetryWait fails the link at once, without sleeping.
	lp2, clk2, _ := newTestPusher(t, srv)
	srv.SetRetryAfter("3600")
	srv.FailNext(http.StatusTooManyRequests, -1)
	rep, err = lp2.Push(context.Background(), linkRepo, linkCommits()[:1])
	if err == nil || rep.Failed != 1 || rep.Pending != 1 || len(clk2.sleeps()) != 0 {
		t.Errorf("long Retry-After: %+v, %v, sleeps %v", rep, err, clk2.sleeps())
	}
}

func TestPushKeepsFailuresForNextRun(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, clk, _ := newTestPusher(t, srv)
	lp.Options.MaxRetries = 2
	srv.FailNext(http.StatusTooManyRequests, -1) // no Retry-After: 1s waits
	rep, err := lp.Push(context.Background(), linkRepo, linkCommits())
	if err == nil || !strings.Contains(err.Error(), "kept for the next run") {
		t.Errorf("error %v", err)
	}
	if rep != (LinkReport{Failed: 5, Pending: 5}) || len(clk.sleeps()) != 10 || clk.total() != 10*time.Second {
		t.Errorf("%+v, sleeps %v", rep, clk.sleeps())
	}
	if !journalExists(lp, "app") {
		t.Fatal("no journal after failures")
	}

	srv.FailNext(0, 0)
	rep, err = lp.Push(context.Background(), linkRepo, nil) // nothing new: only what is pending
	if err != nil || rep != (LinkReport{Created: 4, Skipped: 1}) {
		t.Errorf("next run %+v, %v", rep, err)
	}
	if srv.AllLinks() != 4 || journalExists(lp, "app") {
		t.Errorf("links %d, journal left %v", srv.AllLinks(), journalExists(lp, "app"))
	}
}

func TestPushPerIssueFailureDoesNotStopTheRun(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	srv.FailWhen(func(r *http.Request) int {
		switch {
		case strings.Contains(r.URL.Path, "/PROJ-2/"):
			return http.StatusInternalServerError
		case strings.Contains(r.URL.Path, "/OPS-3/"):
			return http.StatusForbidden // no link permission in that project
		}
		return 0
	})
	rep, err := lp.Push(context.Background(), linkRepo, linkCommits())
	if rep != (LinkReport{Created: 2, Skipped: 1, Failed: 2, Pending: 2}) {
		t.Errorf("report %+v", rep)
	}
	if err == nil || !strings.Contains(err.Error(), "2 remote link(s)") || !strings.Contains(err.Error(), "500") {
		t.Errorf("error %v", err)
	}
	srv.FailWhen(nil)
	rep, err = lp.Push(context.Background(), linkRepo, nil)
	if err != nil || rep != (LinkReport{Created: 2}) || srv.AllLinks() != 4 {
		t.Errorf("retry run %+v, %v, %d links", rep, err, srv.AllLinks())
	}
}

func TestPushStopsOnUnauthorized(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	var mu sync.Mutex
	posts := 0
	srv.FailWhen(func(r *http.Request) int {
		mu.Lock()
		defer mu.Unlock()
		if posts++; posts >= 2 {
			return http.StatusUnauthorized
		}
		return 0
	})
	rep, err := lp.Push(context.Background(), linkRepo, linkCommits())
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("error %v", err)
	}
	if rep != (LinkReport{Created: 1, Pending: 4}) {
		t.Errorf("report %+v", rep)
	}
	if len(srv.Requests()) != 2 {
		t.Errorf("%d requests: the run should stop at the first 401", len(srv.Requests()))
	}
}

func TestPushResumesAfterInterruption(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	var commits []CommitRef
	for i := 1; i <= 10; i++ {
		commits = append(commits, CommitRef{SHA: sha(i), Subject: fmt.Sprintf("PROJ-%d work", i), Keys: []string{fmt.Sprintf("PROJ-%d", i)}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	posts := 0
	srv.FailWhen(func(r *http.Request) int {
		mu.Lock()
		posts++
		n := posts
		mu.Unlock()
		if n == 4 {
			// Interrupted while the 4th link is in flight: wait until the
			// client has given up, then let Jira store the link anyway (as a
			// real server may), so the resumed run must update, not duplicate.
			cancel()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}
		return 0
	})
	rep, err := lp.Push(ctx, linkRepo, commits)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if rep.Created != 3 || rep.Pending != 7 || !journalExists(lp, "app") {
		t.Fatalf("interrupted run %+v, journal %v", rep, journalExists(lp, "app"))
	}
	srv.FailWhen(nil)

	// The next run gets no commits at all (the index already has them) and
	// still finishes the interrupted work.
	rep, err = lp.Push(context.Background(), linkRepo, nil)
	if err != nil || rep.Created+rep.Updated != 7 || rep.Pending != 0 {
		t.Fatalf("resumed run %+v, %v", rep, err)
	}
	for i := 1; i <= 10; i++ {
		if n := len(srv.Links(fmt.Sprintf("PROJ-%d", i))); n != 1 {
			t.Errorf("PROJ-%d has %d links, want 1", i, n)
		}
	}
	if n := len(srv.Requests()); n != 11 {
		t.Errorf("%d requests in all, want 10 + the interrupted one again", n)
	}
	if journalExists(lp, "app") {
		t.Error("journal left after everything was pushed")
	}
}

func TestLinkJournalToleratesTornLine(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	path := LinkStateFile(lp.Paths, "app")
	os.MkdirAll(filepath.Dir(path), 0o700)
	content := `{"op":"add","issue":"PROJ-1","sha":"` + sha(1) + `","global_id":"gitjira:app:` + sha(1) + `","subject":"one"}
{"op":"add","issue":"PROJ-2","sha":"` + sha(2) + `","global_id":"gitjira:app:` + sha(2) + `","subject":"two"}
{"op":"done","issue":"PROJ-1","sha":"` + sha(1) + `"}
{"op":"add","issue":"PROJ-3","sha":"` + sha(3) + `","glo`
	os.WriteFile(path, []byte(content), 0o600)
	rep, err := lp.Push(context.Background(), linkRepo, nil)
	if err != nil || rep != (LinkReport{Created: 1}) || len(srv.Links("PROJ-2")) != 1 || srv.AllLinks() != 1 {
		t.Errorf("%+v, %v, links %d", rep, err, srv.AllLinks())
	}
}

func TestCommitWebURL(t *testing.T) {
	s := sha(1)
	for _, tt := range []struct{ in, want string }{
		{"git@github.com:acme/app.git", "https://github.com/acme/app/commit/" + s},
		{"ssh://git@github.com/acme/app.git", "https://github.com/acme/app/commit/" + s},
		{"ssh://git@ssh.github.com:443/acme/app", "https://github.com/acme/app/commit/" + s},
		{"git@gitlab.com:group/sub/app.git", "https://gitlab.com/group/sub/app/-/commit/" + s},
		{"git@bitbucket.org:team/app.git", "https://bitbucket.org/team/app/commits/" + s},
		{"ssh://git@git.example.com:2222/srv/app.git", "ssh://git@git.example.com:2222/srv/app.git#" + s},
		{"git@git.example.com:srv/app.git", "ssh://git@git.example.com/srv/app.git#" + s},
		{"git+ssh://git.example.com/x.git", "ssh://git.example.com/x.git#" + s},
		{"[::1]:repo.git", "ssh://[::1]/repo.git#" + s},
	} {
		if got := CommitWebURL(tt.in, s); got != tt.want {
			t.Errorf("CommitWebURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLinkNamesAreSafe(t *testing.T) {
	long := strings.Repeat("r", 300)
	id := LinkGlobalID(long, sha(1))
	if len(id) > 255 || id != LinkGlobalID(long, sha(1)) || id == LinkGlobalID(long+"x", sha(1)) {
		t.Errorf("long globalId %q", id)
	}
	p := Paths{Data: "/data"}
	for _, name := range []string{"../../etc/passwd", "a/b", "..", "", "x y"} {
		f := LinkStateFile(p, name)
		if filepath.Dir(f) != "/data/links" {
			t.Errorf("LinkStateFile(%q) = %s escapes the links directory", name, f)
		}
	}
	if f := LinkStateFile(p, "my-repo_1.0"); f != "/data/links/my-repo_1.0.jsonl" {
		t.Errorf("plain name: %s", f)
	}
}

// BenchmarkPushLinks measures gitjira's own cost per remote link (journal
// writes, JSON, one loopback HTTP round trip to the fake), without the rate
// limit: the real bound is the limiter's 5 links/s.
func BenchmarkPushLinks(b *testing.B) {
	srv := jiratest.NewServer(b)
	srv.SetAnyIssueExists(true)
	c, err := NewClient(srv.URL, jiratest.DefaultToken)
	if err != nil {
		b.Fatal(err)
	}
	d := b.TempDir()
	lp := &LinkPusher{Client: c, Paths: Paths{Config: d, Data: d}, Options: LinkOptions{Limiter: &countingLimiter{}}}
	const n = 100
	commits := make([]CommitRef, n)
	for i := range commits {
		commits[i] = CommitRef{SHA: sha(i), Subject: "work", Keys: []string{fmt.Sprintf("PROJ-%d", i+1)}}
	}
	for b.Loop() {
		if _, err := lp.Push(context.Background(), linkRepo, commits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/link")
}
