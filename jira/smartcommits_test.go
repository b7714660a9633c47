package jira

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

func TestParseSmartCommits(t *testing.T) {
	msg := "Fix the parser\n\nPROJ-1 #comment Fixed the parser\nPROJ-2 PROJ-3 #time 1w 2d 4h 30m Reviewed the tests #start-progress\n" +
		"see #12 and PROJ-4 for context\nHR-1 #comment not allowed\nOPS-2 #time soon\n#comment no key\nPROJ-5 #resolve #comment done"
	allowed := func(k string) bool { return !strings.HasPrefix(k, "HR-") }
	got := ParseSmartCommits(msg, allowed)
	want := []SmartCommand{
		{Issue: "PROJ-1", Kind: SmartComment, Text: "Fixed the parser"},
		{Issue: "PROJ-2", Kind: SmartTime, Seconds: 217800, Text: "Reviewed the tests"},
		{Issue: "PROJ-3", Kind: SmartTime, Seconds: 217800, Text: "Reviewed the tests"},
		{Issue: "PROJ-2", Kind: SmartTransition, Transition: "start-progress"},
		{Issue: "PROJ-3", Kind: SmartTransition, Transition: "start-progress"},
		{Issue: "OPS-2", Kind: SmartTime, Text: "soon", Error: "#time needs a duration such as 1w 2d 4h 30m"},
		{Issue: "PROJ-5", Kind: SmartTransition, Transition: "resolve"},
		{Issue: "PROJ-5", Kind: SmartComment, Text: "done"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d commands: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// Bounded: at most 20 commands however long the message.
	if n := len(ParseSmartCommits(strings.Repeat("PROJ-1 #comment x\n", 100), nil)); n != maxSmartCommands {
		t.Errorf("%d commands", n)
	}
}

func FuzzParseSmartCommits(f *testing.F) {
	for _, s := range []string{"PROJ-1 #comment hi", "A-1 B-2 #time 1w 2d 4h 30m x #close", "#time", "X-9 #time 1.5h", "PROJ-1 #\x1b[31mred", "Ä-1 #comment ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		cmds := ParseSmartCommits(msg, nil)
		if len(cmds) > maxSmartCommands {
			t.Fatalf("%d commands", len(cmds))
		}
		for _, c := range cmds {
			if !issueKeyPattern.MatchString(c.Issue) {
				t.Fatalf("bad issue %q", c.Issue)
			}
			switch c.Kind {
			case SmartComment, SmartTime, SmartTransition:
			default:
				t.Fatalf("kind %q", c.Kind)
			}
			if strings.ContainsAny(c.Text, "\x1b\x07\r\n") || !utf8.ValidString(c.Text) || utf8.RuneCountInString(c.Text) > maxSmartText {
				t.Fatalf("text %q", c.Text)
			}
			if c.Kind == SmartTime && c.Error == "" && c.Seconds < 60 {
				t.Fatalf("time %+v", c)
			}
			if c.Kind == SmartTransition && (c.Transition == "" || strings.ContainsAny(c.Transition, " #\x1b")) {
				t.Fatalf("transition %q", c.Transition)
			}
		}
	})
}

// smartFixture: a repository with an index, smart commits on, and a site
// with users Bob (one match), two twins (ambiguous).
func smartFixture(t *testing.T) (*jiratest.Server, *linkHistory) {
	srv := jiratest.NewServer(t)
	srv.AddUser("bob", "Bob Builder", "bob@example.com")
	srv.AddUser("twin1", "Twin One", "twin@example.com")
	srv.AddUser("twin2", "Twin Two", "twin@example.com")
	h := newLinkHistory(t)
	h.commit("PROJ-1 initial")
	h.sync()
	h.repo.Commits = 1
	return srv, h
}

// TestSmartCommits: only commits a fetch sees for the first time while
// smart commits are on; each command once; unknown and ambiguous authors
// skipped with a reason; comments and worklogs name the person and commit.
func TestSmartCommits(t *testing.T) {
	srv, h := smartFixture(t)
	ctx := context.Background()
	c := h.client(srv)
	site := store.Site{URL: srv.URL, Token: jiratest.DefaultToken}

	// Off: a fetch's commits are not looked at, then or later.
	h.author = "Bob Builder <bob@example.com>"
	h.commit("PROJ-9 #comment before smart commits were on")
	h.sync()
	if rep, err := ApplySmartCommits(ctx, h.p, c, site, h.repo, h.added, SmartOptions{}); err != nil || rep.Applied != 0 {
		t.Fatalf("off: %+v, %v", rep, err)
	}
	h.repo.SmartCommits = true
	h.commit("PROJ-1 #comment Fixed the parser")
	h.commit("Review\n\nPROJ-2 PROJ-3 #time 1w 2d 4h 30m Reviewed the tests #start-progress")
	h.commit("PROJ-4 #resolve")
	h.commit("PROJ-4 #nosuchtransition")
	h.author = "Stranger <nobody@example.com>"
	h.commit("PROJ-5 #comment from a stranger")
	h.author = "Twin <TWIN@example.com>"
	h.commit("PROJ-6 #comment twins")
	h.sync()
	rep, err := ApplySmartCommits(ctx, h.p, c, site, h.repo, h.added, SmartOptions{})
	if err != nil || rep.Applied != 6 || len(rep.Skipped) != 3 {
		t.Fatalf("%+v, %v", rep, err)
	}
	cm := srv.Comments("PROJ-1")
	sha1 := h.byMsg["PROJ-1 #comment Fixed the parser"]
	if len(cm) != 1 || !strings.HasPrefix(cm[0].Body, "Fixed the parser\n\n— Bob Builder, commit "+sha1[:10]+" in app [gitjira smart commit "+sha1+"/1]") {
		t.Errorf("PROJ-1 comments %+v", cm)
	}
	for _, k := range []string{"PROJ-2", "PROJ-3"} {
		wl := srv.Worklogs(k)
		if len(wl) != 1 || wl[0].TimeSpentSeconds != 217800 || wl[0].Started != "2025-03-01T09:04:00.000+0000" || !strings.Contains(wl[0].Comment, "Reviewed the tests\n\n— Bob Builder, commit ") {
			t.Errorf("%s worklogs %+v", k, wl)
		}
		if srv.Status(k) != "In Progress" {
			t.Errorf("%s status %s", k, srv.Status(k))
		}
	}
	if srv.Status("PROJ-4") != "Resolved" || len(srv.Comments("PROJ-5")) != 0 || len(srv.Comments("PROJ-6")) != 0 || len(srv.Comments("PROJ-9")) != 0 {
		t.Errorf("PROJ-4 %s, PROJ-5 %d, PROJ-6 %d, PROJ-9 %d", srv.Status("PROJ-4"), len(srv.Comments("PROJ-5")), len(srv.Comments("PROJ-6")), len(srv.Comments("PROJ-9")))
	}
	reasons := ""
	for _, e := range rep.Skipped {
		reasons += e.Cmd.Issue + ": " + e.Reason + "\n"
	}
	for _, want := range []string{"PROJ-4: no transition of PROJ-4 starts with \"nosuchtransition\"", "PROJ-5: no Jira user has the author's e-mail nobody@example.com", "PROJ-6: 2 Jira users have the author's e-mail TWIN@example.com: ambiguous"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("reasons %q lack %q", reasons, want)
		}
	}
	// Once: the same commits again (a rerun, an overlapping fetch) do nothing.
	before := len(srv.Requests())
	if rep, err = ApplySmartCommits(ctx, h.p, c, site, h.repo, h.added, SmartOptions{}); err != nil || rep.Applied != 0 || len(srv.Requests()) != before {
		t.Errorf("again: %+v, %v, %d requests", rep, err, len(srv.Requests())-before)
	}
	// Never a backfill (the first index), never on a Development panel site.
	first := h.repo
	first.Commits = 0
	if rep, _ = ApplySmartCommits(ctx, h.p, c, site, first, h.added, SmartOptions{}); rep.Note == "" || len(srv.Requests()) != before {
		t.Errorf("backfill: %+v", rep)
	}
	cloud := site
	cloud.OAuthClientID, cloud.OAuthSecret, cloud.CloudID = "id", "secret", "cloud"
	if rep, _ = ApplySmartCommits(ctx, h.p, c, cloud, h.repo, h.added, SmartOptions{}); !strings.Contains(rep.Note, "Jira applies smart commits itself") || len(srv.Requests()) != before {
		t.Errorf("devinfo: %+v", rep)
	}
}

// A helper process for the kill tests: it links (GITJIRA_JIRA_HELPER=link)
// or applies smart commits (=smart) as the spec file says, until killed.
type helperSpec struct {
	URL   string
	Paths store.Paths
	Repo  store.Repository
	Added []index.CommitRef
}

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("GITJIRA_JIRA_HELPER")
	if mode == "" {
		return
	}
	b, err := os.ReadFile(os.Getenv("GITJIRA_JIRA_SPEC"))
	if err != nil {
		t.Fatal(err)
	}
	var spec helperSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(spec.URL, jiratest.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "link":
		lp := &LinkPusher{Client: c, Paths: spec.Paths, Options: LinkOptions{CheckpointEvery: 3, Concurrency: 4}}
		_, err = lp.Link(context.Background(), spec.Repo)
	case "smart":
		_, err = ApplySmartCommits(context.Background(), spec.Paths, c, store.Site{URL: spec.URL, Token: jiratest.DefaultToken}, spec.Repo, spec.Added, SmartOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// runKilled runs the helper in mode and kills it (SIGKILL) when kill says so
// for a request Jira received (before Jira answers it).
func runKilled(t *testing.T, srv *jiratest.Server, mode string, spec helperSpec, kill func(jiratest.Request) bool) {
	t.Helper()
	b, _ := json.Marshal(spec)
	specFile := filepath.Join(t.TempDir(), "spec.json")
	os.WriteFile(specFile, b, 0o600)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "GITJIRA_JIRA_HELPER="+mode, "GITJIRA_JIRA_SPEC="+specFile)
	var once sync.Once
	killed := make(chan struct{})
	var mu sync.Mutex
	var proc *os.Process
	mu.Lock() // held until the process is known
	srv.OnRequest(func(r jiratest.Request) {
		if kill(r) {
			once.Do(func() {
				close(killed)
				mu.Lock()
				proc.Kill()
				mu.Unlock()
			})
		}
	})
	defer srv.OnRequest(nil)
	if err := cmd.Start(); err != nil {
		mu.Unlock()
		t.Fatal(err)
	}
	proc = cmd.Process
	mu.Unlock()
	err := cmd.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("the helper ended before it was killed: %v", err)
	}
	time.Sleep(50 * time.Millisecond) // the killed request's handler finishes
}

// TestKilledMidLinkRerunsWithoutDuplicates: a linking process killed
// (SIGKILL) after some of 30 issues, with requests in flight, then a rerun:
// every issue has exactly one link.
func TestKilledMidLinkRerunsWithoutDuplicates(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetAnyIssueExists(true)
	h := newLinkHistory(t)
	for i := 1; i <= 30; i++ {
		h.commit("PROJ-" + itoa(i) + " work")
	}
	h.sync()
	var mu sync.Mutex
	n := 0
	runKilled(t, srv, "link", helperSpec{URL: srv.URL, Paths: h.p, Repo: h.repo}, func(r jiratest.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPost {
			n++
		}
		return n == 12
	})
	if got := srv.AllLinks(); got < 10 || got >= 30 {
		t.Fatalf("%d links after the kill: not mid-run", got)
	}
	rep, err := h.pusher(srv, newFakeClock()).Link(context.Background(), h.repo)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 30; i++ {
		if ls := srv.Links("PROJ-" + itoa(i)); len(ls) != 1 {
			t.Errorf("PROJ-%d has %d links", i, len(ls))
		}
	}
	if rep.Created+rep.Updated < 30-12+1 || srv.AllLinks() != 30 {
		t.Errorf("rerun %+v, %d links", rep, srv.AllLinks())
	}
}

// TestKilledMidSmartCommitAppliesOnce: killed while Jira stores a comment
// (the client never hears back), the rerun finds it and sends the rest:
// every command happened once.
func TestKilledMidSmartCommitAppliesOnce(t *testing.T) {
	srv, h := smartFixture(t)
	h.repo.SmartCommits = true
	h.author = "Bob Builder <bob@example.com>"
	h.commit("PROJ-1 #comment first #time 2h")
	h.commit("PROJ-2 #comment second")
	h.sync()
	spec := helperSpec{URL: srv.URL, Paths: h.p, Repo: h.repo, Added: h.added}
	runKilled(t, srv, "smart", spec, func(r jiratest.Request) bool {
		return r.Method == http.MethodPost && r.Path == "/rest/api/2/issue/PROJ-1/comment"
	})
	if n := len(srv.Comments("PROJ-1")); n != 1 {
		t.Fatalf("%d comments after the kill", n)
	}
	rep, err := ApplySmartCommits(context.Background(), h.p, h.client(srv), store.Site{URL: srv.URL, Token: jiratest.DefaultToken}, h.repo, h.added, SmartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The rerun looked for the comment sent before the kill.
	if n := srv.Count(http.MethodGet, "/rest/api/2/issue/PROJ-1/comment"); n != 1 {
		t.Errorf("%d comment lookups", n)
	}
	if len(srv.Comments("PROJ-1")) != 1 || len(srv.Worklogs("PROJ-1")) != 1 || len(srv.Comments("PROJ-2")) != 1 || rep.Applied != 3 {
		t.Errorf("after rerun: %d + %d + %d, %+v", len(srv.Comments("PROJ-1")), len(srv.Worklogs("PROJ-1")), len(srv.Comments("PROJ-2")), rep)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
