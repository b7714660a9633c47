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
	"unicode/utf8"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

// fakeClock advances only when slept on (or by advance), and records every sleep.
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

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

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

var linkRepo = store.Repository{ID: "a1b2c3d4e5f60718", Name: "app", URL: "git@github.com:acme/app.git", Projects: []string{"ALL"}}

// linkCommits: 5 (issue, commit) pairs, one of them on a missing issue.
func linkCommits() []index.CommitRef {
	d := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	return []index.CommitRef{
		{Repository: "app", SHA: sha(1), Author: "Ann", Date: d, Subject: "PROJ-1 fix login", Keys: []string{"PROJ-1"}},
		{Repository: "app", SHA: sha(2), Author: "Bob", Date: d, Subject: "PROJ-2 and OPS-3", Keys: []string{"PROJ-2", "OPS-3", "PROJ-2"}},
		{Repository: "app", SHA: sha(3), Author: "Ann", Date: d, Subject: "PROJ-999 does not exist", Keys: []string{"PROJ-999"}},
		{Repository: "app", SHA: sha(4), Author: "Cy", Date: d, Subject: "PROJ-1 again", Keys: []string{"PROJ-1"}},
		{Repository: "app", SHA: sha(5), Author: "Cy", Date: d, Subject: "no keys"},
	}
}

// linkCounts are a report's numbers, comparable.
type linkCounts struct{ Created, Updated, Skipped, NotVisible, Forbidden, Failed, Pending int }

func countsOf(r LinkReport) linkCounts {
	return linkCounts{r.Created, r.Updated, r.Skipped, r.NotVisible, r.Forbidden, r.Failed, r.Pending}
}

func newTestPusher(t *testing.T, srv *jiratest.Server) (*LinkPusher, *fakeClock, *countingLimiter) {
	t.Helper()
	clk, lim := newFakeClock(), &countingLimiter{}
	return &LinkPusher{Client: fakeClient(t, srv), Paths: clientTestPaths(t), Options: LinkOptions{Clock: clk, Limiter: lim}}, clk, lim
}

func stateExists(p store.Paths, r store.Repository) bool {
	_, err := os.Stat(LinkStateFile(p, r))
	return err == nil
}

func posts(srv *jiratest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

func TestPushCommitLinks(t *testing.T) {
	srv := jiratest.NewServer(t)
	p := clientTestPaths(t)
	if _, err := PushCommitLinks(context.Background(), p, linkRepo, linkCommits()); !errors.Is(err, ErrNoSite) {
		t.Fatalf("without a site: %v", err)
	}
	if err := SaveSite(p, store.Site{URL: srv.URL, Token: jiratest.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	rep, err := PushCommitLinks(context.Background(), p, linkRepo, linkCommits())
	if err != nil {
		t.Fatal(err)
	}
	if c := countsOf(rep); c != (linkCounts{Created: 4, NotVisible: 1, Pending: 1}) || rep.Linked != 4 ||
		len(rep.NotVisibleIssues) != 1 || rep.NotVisibleIssues[0] != "PROJ-999" {
		t.Errorf("report %+v, want 4 created, PROJ-999 not visible", rep)
	}
	l1 := srv.Links("PROJ-1")
	if len(l1) != 2 {
		t.Fatalf("PROJ-1 has %d links, want 2", len(l1))
	}
	first := l1[0]
	if first.GlobalID != "gitjira:a1b2c3d4e5f60718:"+sha(1) || first.Title() != sha(1)[:10]+" PROJ-1 fix login" ||
		first.URL() != "https://github.com/acme/app/commit/"+sha(1) {
		t.Errorf("link %+v", first)
	}
	if s, _ := first.Object["summary"].(string); s != "Commit in app by Ann, 2026-11-20 10:00 UTC" {
		t.Errorf("summary %q", s)
	}
	icon, _ := first.Object["icon"].(map[string]any)
	if icon["url16x16"] != DefaultIconURL || icon["title"] != "Git commit" {
		t.Errorf("icon %v", icon)
	}
	if app, _ := first.Application["name"].(string); app != "gitjira" || first.Relationship != "mentioned in commit" {
		t.Errorf("application %v, relationship %q", first.Application, first.Relationship)
	}
	if len(srv.Links("PROJ-2")) != 1 || len(srv.Links("OPS-3")) != 1 || srv.AllLinks() != 4 {
		t.Errorf("links: PROJ-2 %d, OPS-3 %d, all %d", len(srv.Links("PROJ-2")), len(srv.Links("OPS-3")), srv.AllLinks())
	}
	if fi, err := os.Stat(LinkStateFile(p, linkRepo)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("link state: %v, %v", fi, err)
	}

	// The same commits again: nothing is sent; PROJ-999 waits for its retry time.
	before := len(srv.Requests())
	rep, err = PushCommitLinks(context.Background(), p, linkRepo, linkCommits())
	if err != nil || countsOf(rep) != (linkCounts{Skipped: 1, NotVisible: 1, Pending: 1}) || len(srv.Requests()) != before {
		t.Errorf("second run %+v, %v, %d requests", rep, err, len(srv.Requests())-before)
	}
}

func TestPushHonoursRestrictedProjects(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, lim := newTestPusher(t, srv)
	repo := linkRepo
	repo.Projects = []string{"OPS"}
	rep, err := lp.Push(context.Background(), repo, linkCommits())
	if err != nil || countsOf(rep) != (linkCounts{Created: 1}) {
		t.Fatalf("report %+v, %v; want only OPS-3", rep, err)
	}
	if srv.AllLinks() != 1 || len(srv.Links("OPS-3")) != 1 || lim.n != 1 {
		t.Errorf("links %d, limiter waits %d", srv.AllLinks(), lim.n)
	}

	// Nothing allowed: no request, no state.
	repo.Projects = []string{"HR"}
	repo.ID = "other"
	before := len(srv.Requests())
	rep, err = lp.Push(context.Background(), repo, linkCommits())
	if err != nil || countsOf(rep) != (linkCounts{}) || len(srv.Requests()) != before || stateExists(lp.Paths, repo) {
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
	var commits []index.CommitRef
	for i := 1; i <= 12; i++ {
		commits = append(commits, index.CommitRef{SHA: sha(i), Subject: "s", Keys: []string{fmt.Sprintf("PROJ-%d", 100+i)}})
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
	if err != nil || countsOf(rep) != (linkCounts{Created: 4, NotVisible: 1, Pending: 1}) {
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

func TestPushStopsAfterFailuresInARow(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetAnyIssueExists(true)
	lp, _, _ := newTestPusher(t, srv)
	var commits []index.CommitRef
	for i := 1; i <= 20; i++ {
		commits = append(commits, index.CommitRef{SHA: sha(i), Subject: "s", Keys: []string{fmt.Sprintf("PROJ-%d", i)}})
	}
	srv.FailNext(http.StatusInternalServerError, -1)
	rep, err := lp.Push(context.Background(), linkRepo, commits)
	if err == nil || !strings.Contains(err.Error(), "5 links in a row") || rep.Failed != 5 || rep.Pending != 20 {
		t.Errorf("%+v, %v", rep, err)
	}
	if n := posts(srv); n != 5 {
		t.Errorf("%d POSTs, want 5 (then stop)", n)
	}
	checkOneLine(t, err)
}

func TestPushPerIssueFailureDoesNotStopTheRun(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	srv.FailWhen(func(r *http.Request) int {
		if strings.Contains(r.URL.Path, "/PROJ-2/") {
			return http.StatusInternalServerError
		}
		return 0
	})
	rep, err := lp.Push(context.Background(), linkRepo, linkCommits())
	if c := countsOf(rep); c != (linkCounts{Created: 3, NotVisible: 1, Failed: 1, Pending: 2}) {
		t.Errorf("report %+v", rep)
	}
	if err == nil || !strings.Contains(err.Error(), "1 remote link(s)") || !strings.Contains(err.Error(), "500") {
		t.Errorf("error %v", err)
	}
	srv.FailWhen(nil)
	rep, err = lp.Push(context.Background(), linkRepo, linkCommits())
	if err != nil || rep.Created != 1 || srv.AllLinks() != 4 {
		t.Errorf("retry run %+v, %v, %d links", rep, err, srv.AllLinks())
	}
}

func TestPushStopsOnUnauthorized(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	var mu sync.Mutex
	n := 0
	srv.FailWhen(func(r *http.Request) int {
		mu.Lock()
		defer mu.Unlock()
		if n++; n >= 2 {
			return http.StatusUnauthorized
		}
		return 0
	})
	rep, err := lp.Push(context.Background(), linkRepo, linkCommits())
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("error %v", err)
	}
	if c := countsOf(rep); c != (linkCounts{Created: 1, Pending: 4}) {
		t.Errorf("report %+v", rep)
	}
	if len(srv.Requests()) != 2 {
		t.Errorf("%d requests: the run should stop at the first 401", len(srv.Requests()))
	}
	if !stateExists(lp.Paths, linkRepo) {
		t.Error("the link made before the 401 was not recorded")
	}
}

func TestLinkTextIsSanitised(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	subject := "PROJ-1 \x1b]0;pwned\x07fix \x1b[31mred\x1b[0m\r\nsecond line " + strings.Repeat("ü", 400)
	_, err := lp.Push(context.Background(), linkRepo, []index.CommitRef{{SHA: sha(1), Author: "Eve\x1b[2J", Subject: subject, Keys: []string{"PROJ-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	l := srv.Links("PROJ-1")[0]
	title, summary := l.Title(), l.Object["summary"].(string)
	for _, s := range []string{title, summary} {
		if strings.ContainsAny(s, "\x1b\x07\r\n") || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 255 {
			t.Errorf("not a clean bounded line: %q", s)
		}
	}
	if !strings.HasPrefix(title, sha(1)[:10]+" PROJ-1 fix red second line üü") || strings.Contains(title, "pwned") {
		t.Errorf("title %q", title)
	}
	if summary != "Commit in app by Eve" {
		t.Errorf("summary %q", summary)
	}
}

func TestLinkIconOptions(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	lp.Options.IconURL = NoIcon
	if _, err := lp.Push(context.Background(), linkRepo, linkCommits()[:1]); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Links("PROJ-1")[0].Object["icon"]; ok {
		t.Error("NoIcon sent an icon")
	}
	lp2, _, _ := newTestPusher(t, srv)
	lp2.Options.IconURL = "https://git.example.com/favicon.png"
	repo := linkRepo
	repo.ID = "other"
	if _, err := lp2.Push(context.Background(), repo, linkCommits()[:1]); err != nil {
		t.Fatal(err)
	}
	icon := srv.Links("PROJ-1")[1].Object["icon"].(map[string]any)
	if icon["url16x16"] != "https://git.example.com/favicon.png" {
		t.Errorf("icon %v", icon)
	}
}

func TestLinkWithoutWebURL(t *testing.T) {
	srv := jiratest.NewServer(t)
	lp, _, _ := newTestPusher(t, srv)
	repo := linkRepo
	repo.URL = "https://github.com/acme/app.git" // not SSH: nothing to derive
	rep, err := lp.Push(context.Background(), repo, linkCommits())
	if err == nil || !strings.Contains(err.Error(), "--web-url") || rep.Pending != 5 || len(srv.Requests()) != 0 {
		t.Errorf("%+v, %v", rep, err)
	}
	checkOneLine(t, err)

	// A configured web URL fixes it; a guessed one works with a warning.
	repo.WebURL = "https://git.example.com/acme/app"
	if rep, err = lp.Push(context.Background(), repo, linkCommits()); err != nil || rep.Created != 4 || len(rep.Warnings) != 0 {
		t.Errorf("with --web-url: %+v, %v", rep, err)
	}
	if u := srv.Links("PROJ-2")[0].URL(); u != "https://git.example.com/acme/app/commit/"+sha(2) {
		t.Errorf("url %q", u)
	}
	guessed := store.Repository{ID: "g", Name: "svc", URL: "ssh://git@git.example.com:2222/srv/svc.git", Projects: []string{"ALL"}}
	rep, err = lp.Push(context.Background(), guessed, linkCommits()[:1])
	if err != nil || rep.Created != 1 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "https://git.example.com/srv/svc") {
		t.Errorf("guessed: %+v, %v", rep, err)
	}
}

func TestLinkNamesAreSafe(t *testing.T) {
	long := strings.Repeat("r", 300)
	id := LinkGlobalID(long, sha(1))
	if len(id) > 255 || id != LinkGlobalID(long, sha(1)) || id == LinkGlobalID(long+"x", sha(1)) {
		t.Errorf("long globalId %q", id)
	}
	p := store.Paths{Data: "/data"}
	for _, r := range []store.Repository{{Name: "../../etc/passwd"}, {Name: "a/b"}, {Name: ".."}, {ID: "../x", Name: "ok"}, {Name: "x y"}} {
		f := LinkStateFile(p, r)
		if filepath.Dir(f) != "/data/links" {
			t.Errorf("LinkStateFile(%+v) = %s escapes the links directory", r, f)
		}
	}
	if f := LinkStateFile(p, store.Repository{Name: "my-repo_1.0"}); f != "/data/links/name-my-repo_1.0.json" {
		t.Errorf("plain name: %s", f)
	}
	if f := LinkStateFile(p, store.Repository{ID: "a1b2", Name: "x"}); f != "/data/links/id-a1b2.json" {
		t.Errorf("id: %s", f)
	}
	if LinkKey(store.Repository{Name: "old"}) != "old" || LinkKey(store.Repository{ID: "i", Name: "n"}) != "i" {
		t.Error("LinkKey")
	}
	on, off := true, false
	for _, tt := range []struct {
		link *bool
		site bool
		want bool
	}{{nil, true, true}, {nil, false, false}, {&off, true, false}, {&on, true, true}} {
		if got := LinkingEnabled(store.Repository{Link: tt.link}, tt.site); got != tt.want {
			t.Errorf("LinkingEnabled(%v, %v) = %v", tt.link, tt.site, got)
		}
	}
}

func TestNotVisibleBackoff(t *testing.T) {
	want := []time.Duration{time.Hour, 4 * time.Hour, 16 * time.Hour, 64 * time.Hour, 7 * 24 * time.Hour, 7 * 24 * time.Hour}
	for i, w := range want {
		if got := notVisibleBackoff(i + 1); got != w {
			t.Errorf("attempt %d: %v, want %v", i+1, got, w)
		}
	}
}

// BenchmarkPushLinks measures gitjira's own cost per remote link (state,
// JSON, one loopback HTTP round trip to the fake), without the rate limit:
// the real bound is the limiter's 5 links/s. Each iteration links n new
// pairs (a fresh repository identity).
func BenchmarkPushLinks(b *testing.B) {
	srv := jiratest.NewServer(b)
	srv.SetAnyIssueExists(true)
	c, err := NewClient(srv.URL, jiratest.DefaultToken)
	if err != nil {
		b.Fatal(err)
	}
	d := b.TempDir()
	lp := &LinkPusher{Client: c, Paths: store.Paths{Config: d, Data: d}, Options: LinkOptions{Limiter: &countingLimiter{}}}
	const n = 100
	commits := make([]index.CommitRef, n)
	for i := range commits {
		commits[i] = index.CommitRef{SHA: sha(i), Subject: "work", Keys: []string{fmt.Sprintf("PROJ-%d", i+1)}}
	}
	i := 0
	for b.Loop() {
		i++
		repo := linkRepo
		repo.ID = fmt.Sprintf("bench%d", i)
		if _, err := lp.Push(context.Background(), repo, commits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/link")
}
