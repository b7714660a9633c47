package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

// linkHistory is a real bare git repository, made with git fast-import (one
// process for a whole history, where a work tree would take two per commit),
// used as the mirror, and its commit index: the commits the index holds are
// the ones a sync would link.
type linkHistory struct {
	t      *testing.T
	p      store.Paths
	repo   store.Repository
	stream bytes.Buffer      // commands for the next fast-import
	mark   int               // last mark used
	tip    map[string]string // branch -> mark or sha of its tip
	msgs   map[int]string    // mark -> subject, until sync resolves it
	byMsg  map[string]string // subject -> sha
	tick   int
	author string            // "Name <email>" of the next commits ("" = Ann Author)
	added  []index.CommitRef // what the last sync indexed for the first time
}

func newLinkHistory(t *testing.T) *linkHistory {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is missing: run `make deps`")
	}
	d := t.TempDir()
	h := &linkHistory{
		t:     t,
		p:     store.Paths{Config: filepath.Join(d, "config"), Data: filepath.Join(d, "data")},
		tip:   map[string]string{},
		msgs:  map[int]string{},
		byMsg: map[string]string{},
	}
	h.repo = store.Repository{ID: "9f86d081884c7d65", Name: "app", URL: "git@github.com:acme/app.git",
		Projects: []string{"PROJ", "OPS"}, Mirror: h.p.MirrorDir("app"), Enabled: true}
	os.MkdirAll(filepath.Dir(h.repo.Mirror), 0o700)
	h.git("init", "-q", "--bare", h.repo.Mirror)
	return h
}

func (h *linkHistory) git(args ...string) string {
	h.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent")
	cmd.Stdin = bytes.NewReader(h.stream.Bytes())
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commitOn queues a commit on branch (with more parents merged in), one
// minute after the previous one; sync writes it.
func (h *linkHistory) commitOn(branch, msg string, merge ...string) {
	h.mark++
	h.tick++
	when := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(h.tick) * time.Minute).Unix()
	fmt.Fprintf(&h.stream, "commit refs/heads/%s\nmark :%d\n", branch, h.mark)
	author := h.author
	if author == "" {
		author = "Ann Author <ann@example.com>"
	}
	fmt.Fprintf(&h.stream, "author %s %d +0000\ncommitter Cy Committer <cy@example.com> %d +0000\n", author, when, when)
	fmt.Fprintf(&h.stream, "data %d\n%s\n", len(msg), msg)
	if from := h.tip[branch]; from != "" {
		fmt.Fprintf(&h.stream, "from %s\n", from)
	} else if from := h.tip["main"]; from != "" && branch != "main" {
		fmt.Fprintf(&h.stream, "from %s\n", from)
	}
	for _, m := range merge {
		fmt.Fprintf(&h.stream, "merge %s\n", h.tip[m])
	}
	h.stream.WriteString("\n")
	h.tip[branch] = fmt.Sprintf(":%d", h.mark)
	h.msgs[h.mark] = strings.SplitN(msg, "\n", 2)[0]
}

func (h *linkHistory) commit(msg string) { h.commitOn("main", msg) }

// sync writes the queued commits into the mirror and updates the index, as
// a gitjira sync does after fetching them.
func (h *linkHistory) sync() {
	h.t.Helper()
	marks := filepath.Join(h.t.TempDir(), "marks")
	h.git("--git-dir", h.repo.Mirror, "fast-import", "--quiet", "--export-marks="+marks)
	h.stream.Reset()
	b, err := os.ReadFile(marks)
	if err != nil {
		h.t.Fatal(err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		var mark int
		var sha string
		if _, err := fmt.Sscanf(line, ":%d %s", &mark, &sha); err == nil && h.msgs[mark] != "" {
			h.byMsg[h.msgs[mark]] = sha
			for br, tip := range h.tip {
				if tip == fmt.Sprintf(":%d", mark) {
					h.tip[br] = sha
				}
			}
			delete(h.msgs, mark)
		}
	}
	ur, err := index.Open(h.p).Update(h.repo)
	if err != nil {
		h.t.Fatal(err)
	}
	h.added = ur.Added
}

// standardHistory: issues of the permitted projects PROJ and OPS, one of a
// project the repository may not show (HR), one that is not visible, a
// branch merged in, and commits without keys.
func (h *linkHistory) standardHistory() {
	h.commit("PROJ-1 fix login")
	h.commit("no key here")
	h.commit("PROJ-2 and OPS-3 together\n\nAlso touches PROJ-2 again.")
	h.commit("HR-4 salary table")
	h.commitOn("feature", "OPS-5 on a branch")
	h.commit("PROJ-1 again, see PROJ-3")
	h.commitOn("main", "Merge feature (OPS-4)", "feature")
	h.commit("PROJ-999 is not there")
}

// wantPairs are standardHistory's (issue, subject) pairs of PROJ and OPS.
var standardPairs = [][2]string{
	{"PROJ-1", "PROJ-1 fix login"},
	{"PROJ-2", "PROJ-2 and OPS-3 together"},
	{"OPS-3", "PROJ-2 and OPS-3 together"},
	{"OPS-5", "OPS-5 on a branch"},
	{"PROJ-1", "PROJ-1 again, see PROJ-3"},
	{"PROJ-3", "PROJ-1 again, see PROJ-3"},
	{"OPS-4", "Merge feature (OPS-4)"},
	{"PROJ-999", "PROJ-999 is not there"},
}

func (h *linkHistory) client(srv *jiratest.Server) *Client {
	c, err := NewClient(srv.URL, jiratest.DefaultToken)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func testLinkOptions(clk *fakeClock) LinkOptions {
	return LinkOptions{Clock: clk, Limiter: &countingLimiter{}}
}

// checkLinkedOnce: every pair of standardPairs (but the invisible one) has

func (h *linkHistory) pusher(srv *jiratest.Server, clk *fakeClock) *LinkPusher {
	return &LinkPusher{Client: h.client(srv), Paths: h.p, Options: testLinkOptions(clk)}
}

// linksOf returns the issue's links whose globalId starts with prefix.
func linksOf(srv *jiratest.Server, issue, prefix string) []jiratest.RemoteLink {
	var out []jiratest.RemoteLink
	for _, l := range srv.Links(issue) {
		if strings.HasPrefix(l.GlobalID, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// TestAggregateLinks: one link per (issue, repository), created once,
// updated in place when a commit arrives (one POST for that issue), not
// sent when unchanged; title, summary, URL and icon as issue 16 says.
func TestAggregateLinks(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.AddIssues("HR-4")
	h := newLinkHistory(t)
	h.repo.DefaultBranch = "main"
	h.standardHistory()
	h.sync()
	clk := newFakeClock()
	ctx := context.Background()
	var progress []int
	lp := h.pusher(srv, clk)
	lp.Options.Progress = func(done, total int) { progress = append(progress, done*100+total) }
	rep, err := lp.Link(ctx, h.repo)
	if err != nil {
		t.Fatal(err)
	}
	// PROJ-1, PROJ-2, PROJ-3, OPS-3, OPS-4, OPS-5 linked; PROJ-999 refused (404).
	if rep.Created != 6 || rep.Updated != 0 || rep.NotVisible != 1 || rep.Linked != 6 || rep.Issues != 6 || len(rep.Refused) != 1 || rep.Refused[0].Issue != "PROJ-999" || rep.Refused[0].Status != 404 {
		t.Fatalf("first run %+v", rep)
	}
	if len(progress) != 7 || progress[6] != 707 {
		t.Errorf("progress %v", progress)
	}
	if posts(srv) != 7 {
		t.Errorf("%d POSTs, want one per issue (7)", posts(srv))
	}
	if len(srv.Links("HR-4")) != 0 {
		t.Error("HR-4 linked: HR is not a permitted project")
	}
	id := "github.com/acme/app"
	ls := srv.Links("PROJ-1")
	if len(ls) != 1 || ls[0].GlobalID != "gitjira:"+id+":PROJ-1" {
		t.Fatalf("PROJ-1 links %+v", ls)
	}
	newest := h.byMsg["PROJ-1 again, see PROJ-3"]
	if want := "app: 2 commits · latest " + newest[:10] + " PROJ-1 again, see PROJ-3"; ls[0].Title() != want {
		t.Errorf("title %q, want %q", ls[0].Title(), want)
	}
	if s := ls[0].Object["summary"]; s != "Commits in app by Ann Author, 2025-03-01" {
		t.Errorf("summary %q", s)
	}
	if u := ls[0].URL(); u != "https://github.com/search?q=repo%3Aacme%2Fapp+PROJ-1&type=commits" {
		t.Errorf("url %q", u)
	}
	if icon := ls[0].Object["icon"].(map[string]any); icon["url16x16"] != "https://github.com/favicon.ico" {
		t.Errorf("icon %v", icon)
	}

	// Unchanged: nothing sent.
	before := len(srv.Requests())
	rep, err = h.pusher(srv, clk).Link(ctx, h.repo)
	if err != nil || rep.Created+rep.Updated != 0 || rep.Unchanged != 6 || rep.Skipped != 1 || len(srv.Requests()) != before {
		t.Fatalf("second run %+v, %v, %d requests", rep, err, len(srv.Requests())-before)
	}

	// A new commit on PROJ-1: one POST, an update in place.
	h.commit("PROJ-1 third time")
	h.sync()
	rep, err = h.pusher(srv, clk).Link(ctx, h.repo)
	if err != nil || rep.Created != 0 || rep.Updated != 1 || len(srv.Requests()) != before+1 {
		t.Fatalf("new commit %+v, %v, %d requests", rep, err, len(srv.Requests())-before)
	}
	if ls := srv.Links("PROJ-1"); len(ls) != 1 || !strings.HasPrefix(ls[0].Title(), "app: 3 commits · latest "+h.byMsg["PROJ-1 third time"][:10]) {
		t.Errorf("after update %+v", ls)
	}

	// The icon can be changed or dropped.
	h.repo.LinkIcon = NoIcon
	if _, err := h.pusher(srv, clk).Link(ctx, h.repo); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Links("PROJ-2")[0].Object["icon"]; ok {
		t.Error("icon none still sends an icon")
	}

	// Unlinking deletes them all.
	rep, err = UnlinkRepository(ctx, h.p, h.client(srv), h.repo)
	if err != nil || srv.AllLinks() != 0 || stateExists(h.p, h.repo) {
		t.Fatalf("unlink %+v, %v, %d left", rep, err, srv.AllLinks())
	}
}

// TestLinkStyleSwitch: the commit style keeps the newest 10 commit links
// per issue plus an aggregate saying how many more; switching style removes
// the other style's links.
func TestLinkStyleSwitch(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	for i := 1; i <= 12; i++ {
		h.commit(fmt.Sprintf("PROJ-1 step %d", i))
	}
	h.commit("PROJ-2 once")
	h.sync()
	clk := newFakeClock()
	ctx := context.Background()
	h.repo.LinkStyle = LinkStyleCommit
	rep, err := h.pusher(srv, clk).Link(ctx, h.repo)
	if err != nil {
		t.Fatal(err)
	}
	p1 := srv.Links("PROJ-1")
	if len(p1) != 11 || rep.Created != 12 || len(srv.Links("PROJ-2")) != 1 {
		t.Fatalf("commit style: %d links on PROJ-1, %d on PROJ-2, %+v", len(p1), len(srv.Links("PROJ-2")), rep)
	}
	agg := linksOf(srv, "PROJ-1", "gitjira:github.com/acme/app:PROJ-1")
	if len(agg) != 1 || !strings.HasPrefix(agg[0].Title(), "app: 2 more commits (12 in all) · latest "+h.byMsg["PROJ-1 step 12"][:10]) {
		t.Errorf("aggregate %+v", agg)
	}
	for _, old := range []string{"PROJ-1 step 1", "PROJ-1 step 2"} {
		if n := len(linksOf(srv, "PROJ-1", "gitjira:github.com/acme/app:"+h.byMsg[old])); n != 0 {
			t.Errorf("%q linked though older than the newest 10", old)
		}
	}
	// A 13th commit pushes the oldest linked one out.
	h.commit("PROJ-1 step 13")
	h.sync()
	if _, err := h.pusher(srv, clk).Link(ctx, h.repo); err != nil {
		t.Fatal(err)
	}
	if n := len(linksOf(srv, "PROJ-1", "gitjira:github.com/acme/app:"+h.byMsg["PROJ-1 step 3"])); n != 0 || len(srv.Links("PROJ-1")) != 11 {
		t.Errorf("after a 13th commit: %d links", len(srv.Links("PROJ-1")))
	}

	// Switch to the issue style: one link per issue, the others deleted.
	h.repo.LinkStyle = LinkStyleIssue
	rep, err = h.pusher(srv, clk).Link(ctx, h.repo)
	if err != nil || len(srv.Links("PROJ-1")) != 1 || len(srv.Links("PROJ-2")) != 1 || rep.Deleted != 11 {
		t.Fatalf("issue style: %d + %d links, %+v, %v", len(srv.Links("PROJ-1")), len(srv.Links("PROJ-2")), rep, err)
	}
	if !strings.HasPrefix(srv.Links("PROJ-1")[0].Title(), "app: 13 commits · latest") {
		t.Errorf("aggregate after switch %q", srv.Links("PROJ-1")[0].Title())
	}
	// And back.
	h.repo.LinkStyle = LinkStyleCommit
	if _, err := h.pusher(srv, clk).Link(ctx, h.repo); err != nil || len(srv.Links("PROJ-1")) != 11 || len(srv.Links("PROJ-2")) != 1 {
		t.Fatalf("back to commit style: %d links, %v", len(srv.Links("PROJ-1")), err)
	}
}

// TestRefusedIssuesDoNotBlock: a 403 issue and a 400 issue among 30 good
// ones: the 30 are linked, the two reported by key and reason, backed off,
// retried by repos link; several refusing issues of one project skip the
// project's rest in that run only.
func TestRefusedIssuesDoNotBlock(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetAnyIssueExists(true)
	h := newLinkHistory(t)
	h.repo.Projects = []string{"ALL"}
	for i := 1; i <= 32; i++ {
		h.commit(fmt.Sprintf("PROJ-%d work", i))
	}
	h.sync()
	srv.SetIssueLocked("PROJ-7", true)
	// PROJ-9 is at the remote link cap: another app's link fills it.
	srv.SetRemoteLinkLimit(1)
	if err := h.client(srv).UpsertRemoteLink(context.Background(), "PROJ-9", RemoteLink{GlobalID: "other:1", Object: RemoteObject{URL: "https://x.example/1", Title: "other"}}); err != nil {
		t.Fatal(err)
	}
	clk := newFakeClock()
	for _, conc := range []int{1, 4} {
		lp := h.pusher(srv, clk)
		lp.Options.Concurrency = conc
		rep, err := lp.Link(context.Background(), h.repo)
		if err != nil {
			t.Fatalf("concurrency %d: a refused issue failed the run: %v", conc, err)
		}
		if conc == 1 && (rep.Created != 30 || rep.Forbidden != 1 || rep.Failed != 1) {
			t.Errorf("report %+v", rep)
		}
		if len(rep.Refused) != 2 || rep.Refused[0].Issue != "PROJ-7" || rep.Refused[0].Status != 403 || !strings.Contains(rep.Refused[0].Reason, "permission to edit issue PROJ-7") ||
			rep.Refused[1].Issue != "PROJ-9" || rep.Refused[1].Status != 400 || !strings.Contains(rep.Refused[1].Reason, "limit") {
			t.Errorf("refused %+v", rep.Refused)
		}
		if s := rep.RefusedSummary(5); !strings.HasPrefix(s, "2 refused (PROJ-7: refused (403)") {
			t.Errorf("summary %q", s)
		}
		if len(rep.RefusingProjects) != 0 {
			t.Errorf("PROJ counted as refusing: %v", rep.RefusingProjects)
		}
	}
	for i := 1; i <= 32; i++ {
		k := fmt.Sprintf("PROJ-%d", i)
		if n := len(linksOf(srv, k, "gitjira:")); (i == 7 || i == 9) != (n == 0) || n > 1 {
			t.Errorf("%s has %d links", k, n)
		}
	}
	st, err := LinkStatus(h.p, h.repo)
	if err != nil || st.Issues != 30 || len(st.Refused) != 2 || st.String() != "30 ✓ · 2 refused · 2 pending" {
		t.Errorf("status %+v %q, %v", st, st.String(), err)
	}
	// Backed off: the next run asks nothing; repos link (RetryNotVisible) does.
	before := len(srv.Requests())
	rep, _ := h.pusher(srv, clk).Link(context.Background(), h.repo)
	if len(srv.Requests()) != before || rep.Skipped != 2 || len(rep.Refused) != 2 {
		t.Errorf("backed-off run %+v, %d requests", rep, len(srv.Requests())-before)
	}
	srv.SetIssueLocked("PROJ-7", false)
	lp := h.pusher(srv, clk)
	lp.Options.RetryNotVisible = true
	rep, _ = lp.Link(context.Background(), h.repo)
	if rep.Created != 1 || len(rep.Refused) != 1 || rep.Refused[0].Issue != "PROJ-9" || rep.Refused[0].Attempts != 2 {
		t.Errorf("retry %+v", rep)
	}

	// A project whose issues all refuse is skipped after 3 distinct issues.
	srv2 := jiratest.NewServer(t)
	srv2.SetAnyIssueExists(true)
	srv2.SetLinkPermission("OPS", false)
	h2 := newLinkHistory(t)
	for i := 1; i <= 10; i++ {
		h2.commit(fmt.Sprintf("OPS-%d and PROJ-%d", i, i))
	}
	h2.sync()
	lp2 := h2.pusher(srv2, clk)
	lp2.Options.Concurrency = 1
	rep, err = lp2.Link(context.Background(), h2.repo)
	if err != nil || rep.Created != 10 || rep.Forbidden != 3 || rep.Skipped != 7 || !slices.Equal(rep.RefusingProjects, []string{"OPS"}) || rep.Pending != 7 {
		t.Errorf("refusing project %+v, %v", rep, err)
	}
}

// TestSiteDownStopsAfterDistinctIssues: server errors on 5 distinct issues
// in a row stop the run (the site is down), keeping everything pending.
func TestSiteDownStopsAfterDistinctIssues(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	for i := 1; i <= 12; i++ {
		h.commit(fmt.Sprintf("PROJ-%d work", i))
	}
	h.sync()
	srv.FailNext(http.StatusInternalServerError, -1)
	lp := h.pusher(srv, newFakeClock())
	lp.Options.Concurrency = 1
	rep, err := lp.Link(context.Background(), h.repo)
	if err == nil || !strings.Contains(err.Error(), "5 issues in a row") || posts(srv) != 5 || rep.Pending != 12 || len(rep.Refused) != 0 {
		t.Fatalf("%+v, %v, %d POSTs", rep, err, posts(srv))
	}
	srv.FailNext(0, 0)
	if rep, err = h.pusher(srv, newFakeClock()).Link(context.Background(), h.repo); err != nil || rep.Created != 12 {
		t.Fatalf("after recovery %+v, %v", rep, err)
	}
}

// TestLinkingDisabledStopsTheRun: Jira says linking is off for the site.
func TestLinkingDisabledStopsTheRun(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetLinkingDisabled(true)
	h := newLinkHistory(t)
	for i := 1; i <= 10; i++ {
		h.commit(fmt.Sprintf("PROJ-%d work", i))
	}
	h.sync()
	lp := h.pusher(srv, newFakeClock())
	lp.Options.Concurrency = 1
	rep, err := lp.Link(context.Background(), h.repo)
	var fe *LinkForbiddenError
	if !errors.As(err, &fe) || !fe.SiteWide || !rep.SiteRefuses || posts(srv) != 1 || rep.Pending != 10 {
		t.Fatalf("%+v, %v, %d POSTs", rep, err, posts(srv))
	}
}

// TestRateLimitPerIssue: a 429 with RateLimit-Reason jira-per-issue-on-write
// delays only that issue (the others go on meanwhile); a burst 429 pauses
// every request for its Retry-After.
func TestRateLimitPerIssue(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	for i := 1; i <= 6; i++ {
		h.commit(fmt.Sprintf("PROJ-%d work", i))
	}
	h.sync()
	srv.SetRetryAfter("7")
	srv.SetRateLimitReason("jira-per-issue-on-write")
	var mu sync.Mutex
	limited := 0
	srv.FailWhen(func(r *http.Request) int {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/PROJ-2/") && limited < 2 {
			limited++
			return http.StatusTooManyRequests
		}
		return 0
	})
	clk := newFakeClock()
	lp := h.pusher(srv, clk)
	lp.Options.Concurrency = 1
	rep, err := lp.Link(context.Background(), h.repo)
	if err != nil || rep.Created != 6 {
		t.Fatalf("%+v, %v", rep, err)
	}
	var order []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			order = append(order, strings.Split(r.Path, "/")[5])
		}
	}
	// PROJ-2's retries come after the other issues, which were not held up.
	if len(order) != 8 || order[1] != "PROJ-2" || order[2] != "PROJ-3" || order[len(order)-1] != "PROJ-2" {
		t.Errorf("request order %v", order)
	}
	if got := clk.sleeps(); len(got) != 2 || got[0] != 7*time.Second {
		t.Errorf("sleeps %v", got)
	}

	// A burst limit pauses everyone: its Retry-After is waited once, then
	// the same request is retried.
	srv2 := jiratest.NewServer(t)
	srv2.SetRetryAfter("3")
	srv2.SetRateLimitReason("jira-burst-based")
	srv2.FailNext(http.StatusTooManyRequests, 1)
	h.repo.ID = "other"
	clk2 := newFakeClock()
	lp2 := &LinkPusher{Client: h.client(srv2), Paths: h.p, Options: testLinkOptions(clk2)}
	lp2.Options.Concurrency = 1
	rep, err = lp2.Link(context.Background(), h.repo)
	if err != nil || rep.Created != 6 || !slices.Equal(clk2.sleeps(), []time.Duration{3 * time.Second}) {
		t.Errorf("burst: %+v, %v, sleeps %v", rep, err, clk2.sleeps())
	}
}

// TestReconnectAndSecondHome: the same repository connected again (another
// ID, another name, the location written another way) or from another home
// updates the same links: no new ones.
func TestReconnectAndSecondHome(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	h.standardHistory()
	h.sync()
	clk := newFakeClock()
	if _, err := h.pusher(srv, clk).Link(context.Background(), h.repo); err != nil {
		t.Fatal(err)
	}
	links := srv.AllLinks()
	// Removed without --unlink (its state deleted), connected again.
	if err := RemoveRepositoryLinkState(h.p, h.repo); err != nil {
		t.Fatal(err)
	}
	again := h.repo
	again.ID, again.URL = "0123456789abcdef", "ssh://git@GitHub.com:22/acme/app"
	rep, err := h.pusher(srv, clk).Link(context.Background(), again)
	if err != nil || rep.Created != 0 || rep.Updated != 6 || srv.AllLinks() != links {
		t.Fatalf("reconnect: %+v, %v, %d links (was %d)", rep, err, srv.AllLinks(), links)
	}
	// Another home (its own index of the same mirror), another name.
	h2 := newLinkHistory(t)
	h2.stream.Reset()
	other := again
	other.ID, other.Name, other.Mirror = "fedcba9876543210", "app", h.repo.Mirror
	if _, err := index.Open(h2.p).Update(other); err != nil {
		t.Fatal(err)
	}
	rep, err = (&LinkPusher{Client: h.client(srv), Paths: h2.p, Options: testLinkOptions(clk)}).Link(context.Background(), other)
	if err != nil || rep.Created != 0 || srv.AllLinks() != links {
		t.Fatalf("second home: %+v, %v, %d links", rep, err, srv.AllLinks())
	}
}

// TestMigrateCommitLinks: a home of the per-commit gitjira (state version 1,
// globalIds gitjira:<ID>:<sha>) moves to the aggregate: one link per issue,
// the old ones deleted.
func TestMigrateCommitLinks(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	h.standardHistory()
	h.sync()
	c := h.client(srv)
	linked := map[string][]string{}
	for _, pr := range standardPairs {
		if pr[0] == "PROJ-999" {
			continue
		}
		sha := h.byMsg[pr[1]]
		if err := c.UpsertRemoteLink(context.Background(), pr[0], RemoteLink{GlobalID: "gitjira:" + h.repo.ID + ":" + sha, Object: RemoteObject{URL: "https://github.com/acme/app/commit/" + sha, Title: sha[:10]}}); err != nil {
			t.Fatal(err)
		}
		linked[pr[0]] = append(linked[pr[0]], sha)
	}
	v1 := linkStateFileV1{Version: 1, Key: h.repo.ID, Name: "app", Linked: linked}
	b, _ := json.Marshal(v1)
	os.MkdirAll(filepath.Dir(LinkStateFile(h.p, h.repo)), 0o700)
	if err := os.WriteFile(LinkStateFile(h.p, h.repo), b, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := h.pusher(srv, newFakeClock()).Link(context.Background(), h.repo)
	if err != nil || rep.Created != 6 || rep.Deleted != 7 || srv.AllLinks() != 6 {
		t.Fatalf("%+v, %v, %d links", rep, err, srv.AllLinks())
	}
	for _, k := range []string{"PROJ-1", "PROJ-2", "PROJ-3", "OPS-3", "OPS-4", "OPS-5"} {
		if ls := srv.Links(k); len(ls) != 1 || ls[0].GlobalID != "gitjira:github.com/acme/app:"+k {
			t.Errorf("%s: %+v", k, ls)
		}
	}
	b, _ = os.ReadFile(LinkStateFile(h.p, h.repo))
	if !strings.Contains(string(b), `"version":2`) {
		t.Errorf("state not rewritten: %s", b)
	}
}

// TestLinkStatusAfterACompleteRun: once every issue is linked, the status
// says nothing is pending (it builds the links as a run does, web URLs
// included, so unchanged links are not counted as work).
func TestLinkStatusAfterACompleteRun(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	// A host whose links open the newest commit's page (no key-filtered
	// commit list), so the status must build the same commit URLs.
	h.repo.URL, h.repo.WebURL = "git@git.example.com:acme/app.git", "https://git.example.com/acme/app"
	h.standardHistory()
	h.sync()
	rep, err := h.pusher(srv, newFakeClock()).Link(context.Background(), h.repo)
	if err != nil && rep.Created == 0 {
		t.Fatalf("Link: %+v, %v", rep, err)
	}
	st, err := LinkStatus(h.p, h.repo)
	if err != nil || st.Links == 0 || st.Pending != len(st.Refused) {
		t.Fatalf("after a complete run: %+v (%q), %v", st, st.String(), err)
	}
}
