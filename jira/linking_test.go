package jira

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	fmt.Fprintf(&h.stream, "author Ann Author <ann@example.com> %d +0000\ncommitter Cy Committer <cy@example.com> %d +0000\n", when, when)
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
	if _, err := index.Open(h.p).Update(h.repo); err != nil {
		h.t.Fatal(err)
	}
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
// exactly one link on its issue, with the repository's globalId, and
// nothing else is linked.
func checkLinkedOnce(t *testing.T, srv *jiratest.Server, h *linkHistory, key string) {
	t.Helper()
	want := 0
	for _, pr := range standardPairs {
		if pr[0] == "PROJ-999" {
			continue
		}
		want++
		sha := h.byMsg[pr[1]]
		n := 0
		for _, l := range srv.Links(pr[0]) {
			if l.GlobalID == "gitjira:"+key+":"+sha {
				n++
				if l.URL() != "https://github.com/acme/app/commit/"+sha || !strings.HasPrefix(l.Title(), sha[:10]+" ") {
					t.Errorf("%s link %s: url %q title %q", pr[0], l.GlobalID, l.URL(), l.Title())
				}
			}
		}
		if n != 1 {
			t.Errorf("%s has %d links for %q, want 1", pr[0], n, pr[1])
		}
	}
	if got := srv.AllLinks(); got != want {
		t.Errorf("%d links in all, want %d", got, want)
	}
	if len(srv.Links("HR-4")) != 0 {
		t.Error("HR-4 was linked: HR is not a permitted project")
	}
}

// TestLinkRepositoryBackfill is issue 10's "Done when": a repository whose
// history mentions several issues; one run links every commit of the
// permitted projects exactly once; a second run creates nothing; a renamed
// repository creates no duplicates; new commits are linked by the next run;
// unlink removes them all.
func TestLinkRepositoryBackfill(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.AddIssues("HR-4")
	h := newLinkHistory(t)
	h.standardHistory()
	h.sync()
	c := h.client(srv)
	clk := newFakeClock()
	ctx := context.Background()

	var progress []int
	opts := testLinkOptions(clk)
	opts.Progress = func(done, total int) { progress = append(progress, done*100+total) }
	rep, err := LinkRepository(ctx, h.p, c, h.repo, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c := countsOf(rep); c != (linkCounts{Created: 7, NotVisible: 1, Pending: 1}) || rep.Linked != 7 {
		t.Fatalf("first run %+v", rep)
	}
	checkLinkedOnce(t, srv, h, h.repo.ID)
	if len(progress) != 8 || progress[7] != 808 {
		t.Errorf("progress %v", progress)
	}

	// Second run: nothing to send (the invisible issue waits for its retry time).
	before := len(srv.Requests())
	rep, err = LinkRepository(ctx, h.p, c, h.repo, testLinkOptions(clk))
	if err != nil || countsOf(rep) != (linkCounts{Skipped: 1, NotVisible: 1, Pending: 1}) || len(srv.Requests()) != before {
		t.Fatalf("second run %+v, %v, %d requests", rep, err, len(srv.Requests())-before)
	}

	// Renamed (same ID): the index is rebuilt under the new name, nothing is sent.
	renamed := h.repo
	renamed.Name = "app-renamed"
	if _, err := index.Open(h.p).Update(renamed); err != nil {
		t.Fatal(err)
	}
	rep, err = LinkRepository(ctx, h.p, c, renamed, testLinkOptions(clk))
	if err != nil || rep.Created+rep.Updated != 0 || len(srv.Requests()) != before {
		t.Fatalf("after rename %+v, %v, %d requests", rep, err, len(srv.Requests())-before)
	}
	checkLinkedOnce(t, srv, h, h.repo.ID)

	// New commits are linked by the next run, and only they.
	h.repo = renamed
	h.commit("OPS-2 new work")
	h.sync()
	newSHA := h.byMsg["OPS-2 new work"]
	rep, err = LinkRepository(ctx, h.p, c, h.repo, testLinkOptions(clk))
	if err != nil || rep.Created != 1 || posts(srv) != 9 || len(srv.Links("OPS-2")) != 1 || srv.Links("OPS-2")[0].GlobalID != "gitjira:"+h.repo.ID+":"+newSHA {
		t.Fatalf("new commit: %+v, %v, %d POSTs", rep, err, posts(srv))
	}

	// A dry run of unlinking lists the 8 links; unlinking deletes them.
	del := &LinkPusher{Client: c, Paths: h.p, Options: LinkOptions{DryRun: true, Clock: clk, Limiter: &countingLimiter{}}}
	rep, err = del.Unlink(ctx, h.repo)
	if err != nil || len(rep.Planned) != 8 || srv.AllLinks() != 8 {
		t.Fatalf("unlink dry run %+v, %v", rep, err)
	}
	rep, err = UnlinkRepository(ctx, h.p, c, h.repo)
	if err != nil || rep.Deleted != 8 || rep.Pending != 0 || srv.AllLinks() != 0 {
		t.Fatalf("unlink %+v, %v, %d links left", rep, err, srv.AllLinks())
	}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodDelete {
			q, _ := url.ParseQuery(r.Query)
			if !strings.HasPrefix(q.Get("globalId"), "gitjira:"+h.repo.ID+":") {
				t.Errorf("DELETE %s?%s", r.Path, r.Query)
			}
		}
	}
	if stateExists(h.p, h.repo) {
		t.Error("link state left after unlinking everything")
	}
	before = len(srv.Requests())
	if rep, err = UnlinkRepository(ctx, h.p, c, h.repo); err != nil || rep.Deleted != 0 || len(srv.Requests()) != before {
		t.Errorf("second unlink %+v, %v", rep, err)
	}
}

// TestLinkRepositoryKilledMidRun: a run interrupted after some requests
// (the last one stored by Jira although the client gave up), then a rerun,
// leaves every link exactly once; so does losing the state entirely, as a
// run killed before its first checkpoint would.
func TestLinkRepositoryKilledMidRun(t *testing.T) {
	for _, loseState := range []bool{false, true} {
		t.Run(fmt.Sprintf("loseState=%v", loseState), func(t *testing.T) {
			srv := jiratest.NewServer(t)
			h := newLinkHistory(t)
			for i := 1; i <= 12; i++ {
				h.commit(fmt.Sprintf("PROJ-%d step %d", i, i))
			}
			h.sync()
			c := h.client(srv)
			ctx, cancel := context.WithCancel(context.Background())
			var mu sync.Mutex
			n := 0
			srv.FailWhen(func(r *http.Request) int {
				mu.Lock()
				n++
				k := n
				mu.Unlock()
				if k == 5 {
					// Killed while the 5th link is in flight: Jira stores it
					// after the client gave up.
					cancel()
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
				}
				return 0
			})
			opts := testLinkOptions(newFakeClock())
			opts.CheckpointEvery = 2
			rep, err := LinkRepository(ctx, h.p, c, h.repo, opts)
			if !errors.Is(err, context.Canceled) || rep.Created != 4 || rep.Pending != 8 {
				t.Fatalf("interrupted run %+v, %v", rep, err)
			}
			srv.FailWhen(nil)
			if loseState {
				os.Remove(LinkStateFile(h.p, h.repo))
			}
			rep, err = LinkRepository(context.Background(), h.p, c, h.repo, testLinkOptions(newFakeClock()))
			if err != nil || rep.Pending != 0 || rep.Linked != 12 {
				t.Fatalf("rerun %+v, %v", rep, err)
			}
			wantUpdated := 1 // the link Jira stored after the client gave up
			if loseState {
				wantUpdated = 5
			}
			// Either way 7 links are new; the rest were already on Jira.
			if rep.Updated != wantUpdated || rep.Created != 7 {
				t.Errorf("rerun created %d, updated %d; want %d updated", rep.Created, rep.Updated, wantUpdated)
			}
			for i := 1; i <= 12; i++ {
				if got := len(srv.Links(fmt.Sprintf("PROJ-%d", i))); got != 1 {
					t.Errorf("PROJ-%d has %d links, want 1", i, got)
				}
			}
		})
	}
}

func TestLinkRepositoryDryRun(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	h.standardHistory()
	h.sync()
	rep, err := LinkRepository(context.Background(), h.p, h.client(srv), h.repo, LinkOptions{DryRun: true})
	if err != nil || len(rep.Planned) != 8 || rep.Pending != 8 || rep.Created != 0 {
		t.Fatalf("%+v, %v", rep, err)
	}
	if len(srv.Requests()) != 0 || stateExists(h.p, h.repo) {
		t.Errorf("a dry run sent %d requests or wrote state", len(srv.Requests()))
	}
	var got [][2]string
	for _, pl := range rep.Planned {
		if pl.GlobalID != "gitjira:"+h.repo.ID+":"+pl.SHA || pl.URL != "https://github.com/acme/app/commit/"+pl.SHA || !strings.HasPrefix(pl.Title, pl.SHA[:10]) {
			t.Errorf("planned %+v", pl)
		}
		got = append(got, [2]string{pl.Issue, h.subjectOf(pl.SHA)})
	}
	// Oldest first: the order the links appear in on the issues.
	if !slices.Equal(got, standardPairs) {
		t.Errorf("planned %v\nwant    %v", got, standardPairs)
	}
}

func (h *linkHistory) subjectOf(sha string) string {
	for m, s := range h.byMsg {
		if s == sha {
			return m
		}
	}
	return ""
}

// TestLinkStopsWhenLinkingIsDisabled: a site-wide 403 costs one request and
// one message; the pairs stay for the next run, which links them all.
func TestLinkStopsWhenLinkingIsDisabled(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetLinkingDisabled(true)
	h := newLinkHistory(t)
	h.standardHistory()
	h.sync()
	c := h.client(srv)
	rep, err := LinkRepository(context.Background(), h.p, c, h.repo, testLinkOptions(newFakeClock()))
	var fe *LinkForbiddenError
	if !errors.As(err, &fe) || !fe.SiteWide || !errors.Is(err, ErrLinkingForbidden) || !errors.Is(err, ErrForbidden) {
		t.Fatalf("error %v", err)
	}
	checkOneLine(t, err)
	if !strings.Contains(err.Error(), "issue linking is disabled") || !strings.Contains(err.Error(), "8 link(s) kept") {
		t.Errorf("message %q", err)
	}
	if len(srv.Requests()) != 1 || rep.Pending != 8 || rep.Forbidden != 8 || rep.Created != 0 {
		t.Errorf("%d requests, report %+v", len(srv.Requests()), rep)
	}
	srv.SetLinkingDisabled(false)
	rep, err = LinkRepository(context.Background(), h.p, c, h.repo, testLinkOptions(newFakeClock()))
	if err != nil || rep.Created != 7 {
		t.Errorf("after enabling: %+v, %v", rep, err)
	}
	checkLinkedOnce(t, srv, h, h.repo.ID)
}

// TestLinkForbiddenProject: without the Link Issues permission in OPS, one
// request finds out; PROJ is linked; OPS's pairs stay for the next run.
func TestLinkForbiddenProject(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetLinkPermission("OPS", false)
	h := newLinkHistory(t)
	h.standardHistory()
	h.sync()
	c := h.client(srv)
	rep, err := LinkRepository(context.Background(), h.p, c, h.repo, testLinkOptions(newFakeClock()))
	var fe *LinkForbiddenError
	if !errors.As(err, &fe) || fe.SiteWide || !slices.Equal(fe.Projects, []string{"OPS"}) || !strings.Contains(err.Error(), "Link Issues permission") {
		t.Fatalf("error %v", err)
	}
	checkOneLine(t, err)
	opsPosts := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && strings.Contains(r.Path, "/OPS-") {
			opsPosts++
		}
	}
	if opsPosts != 1 || rep.Created != 4 || rep.Forbidden != 3 || rep.Pending != 4 || !slices.Equal(rep.ForbiddenProjects, []string{"OPS"}) {
		t.Errorf("%d OPS requests, report %+v", opsPosts, rep)
	}
	srv.SetLinkPermission("OPS", true)
	rep, err = LinkRepository(context.Background(), h.p, c, h.repo, testLinkOptions(newFakeClock()))
	if err != nil || rep.Created != 3 {
		t.Errorf("after granting: %+v, %v", rep, err)
	}
	checkLinkedOnce(t, srv, h, h.repo.ID)
}

// TestLinkNotVisibleIsKeptAndRetried: a 404 keeps the pair (not dropped),
// asks again after the retry time, and links it once the issue is visible.
func TestLinkNotVisibleIsKeptAndRetried(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	h.commit("PROJ-999 is not visible yet")
	h.commit("PROJ-999 second commit")
	h.commit("PROJ-1 visible")
	h.sync()
	c := h.client(srv)
	clk := newFakeClock()
	run := func() LinkReport {
		t.Helper()
		rep, err := LinkRepository(context.Background(), h.p, c, h.repo, testLinkOptions(clk))
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	asked := func() int { return srv.Count(http.MethodPost, "/rest/api/2/issue/PROJ-999/remotelink") }

	rep := run()
	// One request finds PROJ-999 invisible; its second pair is not asked.
	if countsOf(rep) != (linkCounts{Created: 1, NotVisible: 2, Skipped: 1, Pending: 2}) || asked() != 1 || !slices.Equal(rep.NotVisibleIssues, []string{"PROJ-999"}) {
		t.Fatalf("first run %+v, asked %d", rep, asked())
	}
	clk.advance(30 * time.Minute)
	if rep = run(); rep.NotVisible != 2 || asked() != 1 {
		t.Errorf("before the retry time: %+v, asked %d", rep, asked())
	}
	clk.advance(31 * time.Minute) // past 1 h
	if rep = run(); rep.NotVisible != 2 || asked() != 2 {
		t.Errorf("after 1 h: %+v, asked %d", rep, asked())
	}
	srv.AddIssues("PROJ-999")
	clk.advance(time.Hour) // the second wait is 4 h: not yet
	if rep = run(); rep.Created != 0 || asked() != 2 {
		t.Errorf("within 4 h: %+v, asked %d", rep, asked())
	}
	// gitjira repos link retries at once.
	opts := testLinkOptions(clk)
	opts.RetryNotVisible = true
	rep, err := LinkRepository(context.Background(), h.p, c, h.repo, opts)
	if err != nil || countsOf(rep) != (linkCounts{Created: 2}) || len(srv.Links("PROJ-999")) != 2 {
		t.Errorf("retry now: %+v, %v", rep, err)
	}
}

func TestLinkStateCorruptIsRefusedAndKept(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	h.commit("PROJ-1 one")
	h.sync()
	path := LinkStateFile(h.p, h.repo)
	os.MkdirAll(filepath.Dir(path), 0o700)
	for _, content := range []string{"{not json", `{"version":9,"key":"9f86d081884c7d65","linked":{}}`, `{"version":1,"key":"someone-else","linked":{}}`, `{"version":1,"key":"9f86d081884c7d65","linked":{"PROJ-1":["xyz"]}}`} {
		os.WriteFile(path, []byte(content), 0o600)
		_, err := LinkRepository(context.Background(), h.p, h.client(srv), h.repo, testLinkOptions(newFakeClock()))
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "delete it") {
			t.Errorf("state %q: %v", content, err)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Error("a refused state file was changed")
		}
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("%d requests with a corrupt state", len(srv.Requests()))
	}
}

// TestLinkOldEntryWithoutID: repositories from before IDs keep their
// name-based globalIds, so links made by earlier versions are updated, not
// duplicated; the journal of earlier versions is removed.
func TestLinkOldEntryWithoutID(t *testing.T) {
	srv := jiratest.NewServer(t)
	h := newLinkHistory(t)
	h.repo.ID = ""
	h.commit("PROJ-1 one")
	h.sync()
	sha1 := h.byMsg["PROJ-1 one"]
	c := h.client(srv)
	// A link as an earlier gitjira made it.
	if err := c.UpsertRemoteLink(context.Background(), "PROJ-1", RemoteLink{GlobalID: "gitjira:app:" + sha1, Object: RemoteObject{URL: "https://x", Title: "old"}}); err != nil {
		t.Fatal(err)
	}
	journal := legacyJournal(h.p, "app")
	os.MkdirAll(filepath.Dir(journal), 0o700)
	os.WriteFile(journal, []byte(`{"op":"add","issue":"PROJ-1","sha":"`+sha1+`"}`+"\n"), 0o600)
	rep, err := LinkRepository(context.Background(), h.p, c, h.repo, testLinkOptions(newFakeClock()))
	if err != nil || rep.Updated != 1 || rep.Created != 0 || len(srv.Links("PROJ-1")) != 1 {
		t.Errorf("%+v, %v, %d links", rep, err, len(srv.Links("PROJ-1")))
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Errorf("old journal left: %v", err)
	}
	if err := RemoveRepositoryLinkState(h.p, h.repo); err != nil || stateExists(h.p, h.repo) {
		t.Errorf("RemoveRepositoryLinkState: %v", err)
	}
}

// TestLinkCloudSite: the same backfill on Jira Cloud, with basic auth.
func TestLinkCloudSite(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetCloud()
	h := newLinkHistory(t)
	h.standardHistory()
	h.sync()
	c, err := SiteClient(store.Site{URL: srv.URL, User: jiratest.DefaultEmail, Token: jiratest.DefaultAPIToken, Kind: store.KindCloud})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := LinkRepository(context.Background(), h.p, c, h.repo, testLinkOptions(newFakeClock()))
	if err != nil || rep.Created != 7 {
		t.Fatalf("%+v, %v", rep, err)
	}
	checkLinkedOnce(t, srv, h, h.repo.ID)
	for _, r := range srv.Requests() {
		if u, p, ok := (&http.Request{Header: r.Header}).BasicAuth(); !ok || u != jiratest.DefaultEmail || p != jiratest.DefaultAPIToken {
			t.Errorf("%s %s without the Cloud basic auth", r.Method, r.Path)
		}
	}
}
