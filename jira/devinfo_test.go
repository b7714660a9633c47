package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

// cloudPlatform starts a Cloud site (TLS) with its Atlassian platform and
// points GITJIRA_ATLASSIAN_* at the platform.
func cloudPlatform(t *testing.T) (*jiratest.Server, *jiratest.Platform) {
	t.Helper()
	srv := jiratest.NewServer(t, jiratest.WithTLS())
	pl := srv.NewPlatform(t)
	t.Setenv(AtlassianAuthURLEnv, pl.URL)
	t.Setenv(AtlassianAPIURLEnv, pl.URL)
	return srv, pl
}

// trustBoth is an HTTP client that trusts the site's and the platform's
// test certificates.
func trustBoth(srv *jiratest.Server, pl *jiratest.Platform) *http.Client {
	c := pl.Client()
	tr := c.Transport.(*http.Transport).Clone()
	pool := tr.TLSClientConfig.RootCAs
	pool.AddCert(srv.HTTP.Certificate())
	c.Transport = tr
	return c
}

func devInfoLogin(t *testing.T, srv *jiratest.Server, pl *jiratest.Platform, secret string) (*LoginResult, error) {
	t.Helper()
	return Login(context.Background(), LoginOptions{URL: srv.URL, OAuthClientID: jiratest.DefaultClientID, Secret: secret, HTTP: trustBoth(srv, pl)})
}

func TestLoginOAuth(t *testing.T) {
	srv, pl := cloudPlatform(t)
	res, err := devInfoLogin(t, srv, pl, jiratest.DefaultClientSecret)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	s := res.Site
	if !s.DevInfo() || s.CloudID != jiratest.DefaultCloudID || s.Kind != store.KindCloud || s.OAuthSecret != jiratest.DefaultClientSecret {
		t.Fatalf("site = %#v (DevInfo %v, cloud %q)", s, s.DevInfo(), s.CloudID)
	}
	if strings.Contains(fmt.Sprint(s), jiratest.DefaultClientSecret) || strings.Contains(fmt.Sprintf("%#v", s), jiratest.DefaultClientSecret) {
		t.Fatal("the client secret is printed")
	}
	// The token request is form-encoded client credentials for Atlassian's audience.
	var tok *jiratest.Request
	for _, r := range pl.Requests() {
		if r.Path == "/oauth/token" {
			tok = &r
			break
		}
	}
	if tok == nil || !strings.Contains(string(tok.Body), "grant_type=client_credentials") || !strings.Contains(string(tok.Body), "audience=api.atlassian.com") {
		t.Fatalf("token request: %+v", tok)
	}

	// Stored and read back, secret included, 0600; an older reader refuses
	// version 3 instead of ignoring the credentials.
	p := store.Paths{Config: t.TempDir(), Data: t.TempDir()}
	if err := SaveSite(p, s); err != nil {
		t.Fatal(err)
	}
	got, err := store.LoadSite(p)
	if err != nil || got == nil || !got.DevInfo() || got.OAuthSecret != jiratest.DefaultClientSecret {
		t.Fatalf("LoadSite = %#v, %v", got, err)
	}
	b, _ := os.ReadFile(p.JiraConfigFile())
	if !strings.Contains(string(b), `"version": 3`) {
		t.Errorf("site file: %s", b)
	}
}

func TestLoginOAuthRefusals(t *testing.T) {
	srv, pl := cloudPlatform(t)
	_, err := devInfoLogin(t, srv, pl, "wrong-secret")
	var oe *OAuthError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "refused the OAuth client credentials") || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("wrong secret: %v", err)
	}
	pl.SetDevInfoPermission(false)
	_, err = devInfoLogin(t, srv, pl, jiratest.DefaultClientSecret)
	if err == nil || !strings.Contains(err.Error(), `grant "Development information"`) {
		t.Errorf("no permission: %v", err)
	}
	// A Data Center site has no tenant information.
	dc := jiratest.NewServer(t, jiratest.WithTLS())
	_, err = Login(context.Background(), LoginOptions{URL: dc.URL, OAuthClientID: "id", Secret: "s", HTTP: dc.HTTP.Client()})
	if !errors.Is(err, ErrNotCloud) {
		t.Errorf("Data Center site: %v", err)
	}
	// Atlassian's addresses carry credentials: http elsewhere is refused.
	t.Setenv(AtlassianAuthURLEnv, "http://auth.example.com")
	if _, err := Atlassian(); err == nil || !strings.Contains(err.Error(), AtlassianAuthURLEnv) {
		t.Errorf("http auth URL: %v", err)
	}
}

func TestLoginScopedTokenUsesGateway(t *testing.T) {
	srv, pl := cloudPlatform(t)
	srv.SetScopedToken("svc@example.com", "ATATT-scoped")
	res, err := Login(context.Background(), LoginOptions{URL: srv.URL, Email: "svc@example.com", Secret: "ATATT-scoped", HTTP: trustBoth(srv, pl)})
	if err != nil {
		t.Fatalf("Login with a scoped token: %v", err)
	}
	want := pl.URL + "/ex/jira/" + jiratest.DefaultCloudID
	if res.Site.URL != want || res.Site.Kind != store.KindCloud {
		t.Fatalf("site URL %q kind %q, want the gateway %q", res.Site.URL, res.Site.Kind, want)
	}
	if len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "scoped API token") {
		t.Errorf("notes: %q", res.Notes)
	}
	// The gateway URL given directly is Cloud too, and projects come from
	// the paginated search.
	c, err := SiteClient(res.Site)
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP = trustBoth(srv, pl)
	ps, err := c.Projects(context.Background())
	if err != nil || len(ps) != 2 {
		t.Fatalf("Projects through the gateway: %v, %v", ps, err)
	}
	// A wrong token is still refused, at both addresses.
	if _, err := Login(context.Background(), LoginOptions{URL: srv.URL, Email: "svc@example.com", Secret: "nope", HTTP: trustBoth(srv, pl)}); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("wrong scoped token: %v", err)
	}
}

func TestProjectsPaginatedOnCloud(t *testing.T) {
	srv := jiratest.NewServer(t)
	srv.SetCloud()
	var ps []jiratest.Project
	for i := range 123 {
		ps = append(ps, jiratest.Project{ID: fmt.Sprint(20000 + i), Key: fmt.Sprintf("P%03d", i), Name: "Project", ProjectTypeKey: "software"})
	}
	srv.SetProjects(ps...)
	c, err := SiteClient(store.Site{URL: srv.URL, User: jiratest.DefaultEmail, Token: jiratest.DefaultAPIToken, Kind: store.KindCloud})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Projects(context.Background())
	if err != nil || len(got) != 123 || got[122].Key != "P122" {
		t.Fatalf("Projects: %d, %v", len(got), err)
	}
	if n := srv.Count(http.MethodGet, "/rest/api/3/project/search"); n != 3 {
		t.Errorf("%d search pages, want 3", n)
	}
	if n := srv.Count(http.MethodGet, "/rest/api/2/project"); n != 0 {
		t.Errorf("the deprecated unpaginated list was used %d times", n)
	}
}

func devInfoCommits(n int, keys func(i int) []string) []index.CommitRef {
	var l []index.CommitRef
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("", 3600))
	for i := range n {
		l = append(l, index.CommitRef{Repository: "app", SHA: fmt.Sprintf("%040x", 0xdef000+i), Author: "Ann Author",
			Date: base.Add(time.Duration(i) * time.Minute), Subject: fmt.Sprintf("Change %d", i), Keys: keys(i)})
	}
	return l
}

func newPublisher(t *testing.T, srv *jiratest.Server, pl *jiratest.Platform) (*DevInfoPublisher, store.Repository) {
	t.Helper()
	site := store.Site{URL: srv.URL, Kind: store.KindCloud, OAuthClientID: jiratest.DefaultClientID, OAuthSecret: jiratest.DefaultClientSecret, CloudID: jiratest.DefaultCloudID}
	p := store.Paths{Config: t.TempDir(), Data: t.TempDir()}
	dp := &DevInfoPublisher{Site: site, Paths: p, HTTP: trustBoth(srv, pl), Sleep: func(context.Context, time.Duration) error { return nil }}
	repo := store.Repository{Name: "app", ID: "git.example.com/team/app", URL: "git@git.example.com:team/app.git", Projects: []string{store.AllProjectsValue}}
	return dp, repo
}

func TestDevInfoBackfillThenNormal(t *testing.T) {
	srv, pl := cloudPlatform(t)
	srv.SetAnyIssueExists(true)
	dp, repo := newPublisher(t, srv, pl)
	commits := devInfoCommits(2500, func(i int) []string { return []string{fmt.Sprintf("PROJ-%d", i%40+1)} })
	rep, err := dp.publish(context.Background(), repo, commits)
	if err != nil || rep.Created != 2500 || rep.Pending != 0 {
		t.Fatalf("backfill: %+v, %v", rep, err)
	}
	pushes := pl.Pushes()
	if len(pushes) != 3 {
		t.Fatalf("%d pushes for 2,500 commits, want 3 (at most 1,000 each)", len(pushes))
	}
	for _, p := range pushes {
		if p.OperationType != "BACKFILL" || !p.PreventTransitions || p.Commits > 1000 || p.Properties[DevInfoProperty] == "" {
			t.Errorf("backfill push %+v", p)
		}
	}
	r := pl.Repositories()[RepositoryIdentity(repo)]
	if len(r.Commits) != 2500 || r.Name != "app" {
		t.Fatalf("stored repository: %d commits, name %q", len(r.Commits), r.Name)
	}
	c := r.Commits[commits[7].SHA]
	if c.DisplayID != commits[7].SHA[:10] || c.AuthorTimestamp != "2026-03-01T12:07:00+01:00" || c.IssueKeys[0] != "PROJ-8" || !strings.HasPrefix(c.URL, "https://git.example.com/team/app/") {
		t.Errorf("stored commit %+v", c)
	}

	// Nothing new: nothing sent.
	if rep, err := dp.publish(context.Background(), repo, commits); err != nil || rep.Created != 0 || len(pl.Pushes()) != 3 {
		t.Fatalf("rerun: %+v, %v, %d pushes", rep, err, len(pl.Pushes()))
	}
	// New commits go NORMAL; transitions only with smart commits on.
	more := devInfoCommits(2510, func(i int) []string { return []string{"PROJ-1"} })[2500:]
	if _, err := dp.publish(context.Background(), repo, append(commits, more...)); err != nil {
		t.Fatal(err)
	}
	last := pl.Pushes()[3]
	if last.OperationType != "NORMAL" || !last.PreventTransitions || last.Commits != 10 {
		t.Errorf("new commits push %+v", last)
	}
	repo.SmartCommits = true
	newer := devInfoCommits(2511, func(i int) []string { return []string{"PROJ-2"} })[2510:]
	if _, err := dp.publish(context.Background(), repo, append(append(commits, more...), newer...)); err != nil {
		t.Fatal(err)
	}
	if last := pl.Pushes()[4]; last.PreventTransitions {
		t.Errorf("smart commits on, yet transitions prevented: %+v", last)
	}
}

func TestDevInfoUnknownKeysRestrictedProjectsAndRetryAfter(t *testing.T) {
	srv, pl := cloudPlatform(t)
	dp, repo := newPublisher(t, srv, pl)
	repo.Projects = []string{"PROJ", "NOPE"}
	commits := devInfoCommits(4, func(i int) []string {
		return [][]string{{"PROJ-1", "NOPE-9"}, {"OPS-1"}, {"NOPE-9"}, {"PROJ-2"}}[i]
	})
	pl.Fail429(2, "1")
	slept := 0
	dp.Sleep = func(_ context.Context, d time.Duration) error {
		if d != time.Second {
			t.Errorf("waited %s, Retry-After said 1 s", d)
		}
		slept++
		return nil
	}
	rep, err := dp.publish(context.Background(), repo, commits)
	if err != nil || slept != 2 {
		t.Fatalf("Publish: %+v, %v, slept %d", rep, err, slept)
	}
	r := pl.Repositories()[RepositoryIdentity(repo)]
	if _, ok := r.Commits[commits[1].SHA]; ok {
		t.Error("a commit of a project the repository may not see was sent")
	}
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "NOPE-9") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	// NOPE-9 is dropped from later pushes: a new commit that mentions only
	// it is not sent; one that also mentions PROJ-3 is sent without it.
	later := append(commits, devInfoCommits(6, func(i int) []string { return [][]string{nil, nil, nil, nil, {"NOPE-9"}, {"NOPE-9", "PROJ-3"}}[i] })[4:]...)
	if _, err := dp.publish(context.Background(), repo, later); err != nil {
		t.Fatal(err)
	}
	r = pl.Repositories()[RepositoryIdentity(repo)]
	if _, ok := r.Commits[later[4].SHA]; ok {
		t.Error("a commit that mentions only unknown keys was sent")
	}
	if c := r.Commits[later[5].SHA]; len(c.IssueKeys) != 1 || c.IssueKeys[0] != "PROJ-3" {
		t.Errorf("keys of the later commit: %q", c.IssueKeys)
	}
}

func TestDevInfoKilledMidRunResendsOneBatchAtMost(t *testing.T) {
	srv, pl := cloudPlatform(t)
	srv.SetAnyIssueExists(true)
	dp, repo := newPublisher(t, srv, pl)
	commits := devInfoCommits(1500, func(i int) []string { return []string{"PROJ-1"} })
	ctx, cancel := context.WithCancel(context.Background())
	dp.Progress = func(done, total int) {
		if done >= 1000 {
			cancel() // the process dies after the first batch was recorded
		}
	}
	_, err := dp.publish(ctx, repo, commits)
	if err == nil {
		t.Fatal("a cancelled run reported success")
	}
	dp.Progress = nil
	before := len(pl.Pushes())
	rep, err := dp.publish(context.Background(), repo, commits)
	if err != nil || rep.Created != 500 {
		t.Fatalf("rerun: %+v, %v", rep, err)
	}
	pushes := pl.Pushes()
	if len(pushes) != before+1 || pushes[len(pushes)-1].Commits != 500 {
		t.Errorf("rerun pushes %+v", pushes[before:])
	}
	if len(pl.Repositories()[RepositoryIdentity(repo)].Commits) != 1500 {
		t.Error("commits missing after the rerun")
	}
}

func TestDevInfoUnlinkByProperties(t *testing.T) {
	srv, pl := cloudPlatform(t)
	srv.SetAnyIssueExists(true)
	dp, repo := newPublisher(t, srv, pl)
	other := repo
	other.Name, other.ID, other.URL = "lib", "git.example.com/team/lib", "git@git.example.com:team/lib.git"
	for _, r := range []store.Repository{repo, other} {
		if _, err := dp.publish(context.Background(), r, devInfoCommits(3, func(int) []string { return []string{"PROJ-1"} })); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := dp.Unlink(context.Background(), repo)
	if err != nil || rep.Deleted != 3 {
		t.Fatalf("Unlink: %+v, %v", rep, err)
	}
	dels := pl.Deletes()
	if len(dels) != 1 || dels[0].Get(DevInfoProperty) != devInfoHash(RepositoryIdentity(repo)) {
		t.Fatalf("deletes %v", dels)
	}
	repos := pl.Repositories()
	if _, ok := repos[RepositoryIdentity(repo)]; ok {
		t.Error("the repository is still in the Development panel")
	}
	if _, ok := repos[RepositoryIdentity(other)]; !ok {
		t.Error("another repository was deleted too")
	}
	if _, err := os.Stat(DevInfoStateFile(dp.Paths, RepositoryIdentity(repo))); !os.IsNotExist(err) {
		t.Errorf("state kept: %v", err)
	}
	// Connected again (same identity, another home): everything is sent
	// again as one repository, no duplicate entity.
	dp.Paths = store.Paths{Config: t.TempDir(), Data: filepath.Join(t.TempDir(), "d")}
	if _, err := dp.publish(context.Background(), other, devInfoCommits(3, func(int) []string { return []string{"PROJ-1"} })); err != nil {
		t.Fatal(err)
	}
	if n := len(pl.Repositories()); n != 1 {
		t.Errorf("%d repositories after publishing lib from another home, want 1", n)
	}
}

func TestDevInfoRevokedCredentials(t *testing.T) {
	srv, pl := cloudPlatform(t)
	dp, repo := newPublisher(t, srv, pl)
	dp.Site.OAuthSecret = "revoked"
	_, err := dp.publish(context.Background(), repo, devInfoCommits(2, func(int) []string { return []string{"PROJ-1"} }))
	if err == nil || !strings.Contains(err.Error(), "OAuth client credentials") {
		t.Fatalf("revoked: %v", err)
	}
	if _, err := os.Stat(DevInfoStateFile(dp.Paths, RepositoryIdentity(repo))); !os.IsNotExist(err) {
		t.Error("state written although nothing was accepted")
	}
}

// TestDevInfoIsTheSitesPublisher: with OAuth credentials stored, a sync's
// linking (PushCommitLinks) fills the Development panel from the index and
// creates no remote link; Unlink deletes the repository's entries.
func TestDevInfoIsTheSitesPublisher(t *testing.T) {
	srv := jiratest.NewServer(t)
	pl := srv.NewPlatform(t)
	t.Setenv(AtlassianAuthURLEnv, pl.URL)
	t.Setenv(AtlassianAPIURLEnv, pl.URL)
	h := newLinkHistory(t)
	h.standardHistory()
	h.sync()
	site := store.Site{URL: srv.URL, Kind: store.KindCloud, OAuthClientID: jiratest.DefaultClientID, OAuthSecret: jiratest.DefaultClientSecret, CloudID: jiratest.DefaultCloudID}
	if err := SaveSite(h.p, site); err != nil {
		t.Fatal(err)
	}
	var progress [][2]int
	ctx := WithLinkProgress(context.Background(), func(done, total int) { progress = append(progress, [2]int{done, total}) })
	rep, err := PushCommitLinks(ctx, h.p, h.repo, h.added)
	if err != nil {
		t.Fatalf("PushCommitLinks: %+v, %v", rep, err)
	}
	if srv.AllLinks() != 0 {
		t.Errorf("%d remote links on a Development panel site", srv.AllLinks())
	}
	r := pl.Repositories()[RepositoryIdentity(h.repo)]
	// standardHistory: 6 commits mention PROJ or OPS keys (HR is not allowed).
	if len(r.Commits) != 6 || rep.Created != 6 || len(progress) == 0 || progress[len(progress)-1] != [2]int{6, 6} {
		t.Fatalf("panel has %d commits, report %+v, progress %v", len(r.Commits), rep, progress)
	}
	if c := r.Commits[h.byMsg["PROJ-2 and OPS-3 together"]]; strings.Join(c.IssueKeys, ",") != "PROJ-2,OPS-3" || c.Author["name"] != "Ann Author" {
		t.Errorf("commit %+v", c)
	}
	if pushes := pl.Pushes(); len(pushes) != 1 || pushes[0].OperationType != "BACKFILL" {
		t.Errorf("pushes %+v", pushes)
	}
	// A fetch with a new commit that changes two files: NORMAL, only that
	// commit, with its file count read from the mirror.
	g := func(stdin string, args ...string) string {
		cmd := exec.Command("git", append([]string{"--git-dir", h.repo.Mirror}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent",
			"GIT_AUTHOR_NAME=Ann Author", "GIT_AUTHOR_EMAIL=ann@example.com", "GIT_COMMITTER_NAME=Cy", "GIT_COMMITTER_EMAIL=cy@example.com")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	blob := g("hello\n", "hash-object", "-w", "--stdin")
	tree := g(fmt.Sprintf("100644 blob %s\ta.txt\n100644 blob %s\tb.txt\n", blob, blob), "mktree")
	tip := g("", "rev-parse", "refs/heads/main")
	newSHA := g("PROJ-4 new work\n", "commit-tree", tree, "-p", tip)
	g("", "update-ref", "refs/heads/main", newSHA)
	ur, err := index.Open(h.p).Update(h.repo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PushCommitLinks(context.Background(), h.p, h.repo, ur.Added); err != nil {
		t.Fatal(err)
	}
	if pushes := pl.Pushes(); len(pushes) != 2 || pushes[1].OperationType != "NORMAL" || pushes[1].Commits != 1 {
		t.Errorf("pushes after a fetch %+v", pushes)
	}
	if c := pl.Repositories()[RepositoryIdentity(h.repo)].Commits[newSHA]; c.FileCount != 2 {
		t.Errorf("file count %d, want 2 (%+v)", c.FileCount, c)
	}
	rep, err = Unlink(context.Background(), h.p, site, h.repo)
	if err != nil || rep.Deleted != 7 || len(pl.Repositories()) != 0 {
		t.Fatalf("Unlink: %+v, %v, %d repositories left", rep, err, len(pl.Repositories()))
	}
}
