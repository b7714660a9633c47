package repos

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

func newRepos(f *cmdutil.Factory) *cobra.Command { return NewCmdRepos(f) }

func TestReposListEmpty(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	code, out, errOut := e.Exec(newRepos, "", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" || errOut != "" {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	code, out, _ = e.Exec(newRepos, "")
	if code != 0 || !strings.Contains(out, "gitjira connect") {
		t.Fatalf("empty text list: exit %d %q", code, out)
	}
}

func TestReposListAndRemove(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	p := e.Paths
	src, _ := cmdtest.SourceRepo(t, "PROJ-7 a", "PROJ-8 b", "c")
	cmdtest.AddRepo(t, p, "alpha", src, nil)
	cmdtest.AddRepo(t, p, "beta", src, []string{"PROJ", "ABC"})

	code, out, errOut := e.Exec(newRepos, "", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	var fields []string
	for k := range got[0] {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	// The contract's fields are all there (fields may be added, not renamed).
	want := []string{"added", "commits", "default_branch", "host_key_fingerprint", "issue_keys", "key_fingerprint", "last_fetched", "mirror", "name", "projects", "url"}
	for _, w := range want {
		if !slices.Contains(fields, w) {
			t.Fatalf("fields %v lack %q", fields, w)
		}
	}
	if got[0]["name"] != "alpha" || got[0]["commits"] != float64(3) || got[0]["issue_keys"] != float64(2) ||
		!slices.Equal(toStrings(got[0]["projects"]), []string{"ALL"}) || !slices.Equal(toStrings(got[1]["projects"]), []string{"ABC", "PROJ"}) {
		t.Fatalf("entries: %v", got)
	}
	// `repos ls` and `repos --json` are the same list.
	if code, out2, _ := e.Exec(newRepos, "", "--json"); code != 0 || out2 != out {
		t.Fatalf("repos --json differs from repos list --json: exit %d\n%s", code, out2)
	}

	code, out, _ = e.Exec(newRepos, "")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "LAST FETCHED") ||
		!strings.Contains(lines[1], "alpha") || !strings.Contains(lines[1], " all ") || !strings.Contains(lines[2], "ABC,PROJ") || !strings.Contains(lines[1], "ok") {
		t.Fatalf("table:\n%s", out)
	}

	// Unknown name: exit 1, the names listed.
	code, _, errOut = e.Exec(newRepos, "", "remove", "gamma")
	if code != 1 || !strings.Contains(errOut, "alpha, beta") {
		t.Fatalf("remove unknown: exit %d %q", code, errOut)
	}
	for _, args := range [][]string{{"remove"}, {"remove", "a", "b"}, {"frobnicate"}, {"list", "extra"}, {"--bogus"}} {
		code, out, errOut := e.Exec(newRepos, "", args...)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "gitjira: repos") {
			t.Errorf("repos %v: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, out, errOut)
		}
	}
	code, out, errOut = e.Exec(newRepos, "", "rm", "alpha")
	if code != 0 || !strings.Contains(out, "Removed alpha") || !strings.Contains(out, "deleted its mirror") {
		t.Fatalf("remove: exit %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(p.MirrorDir("alpha")); !os.IsNotExist(err) {
		t.Fatal("mirror still there")
	}
	refs, err := index.Open(p).Lookup("PROJ-7")
	if err != nil || len(refs) != 1 || refs[0].Repository != "beta" {
		t.Fatalf("index after remove: %+v %v", refs, err)
	}
	repos, _ := store.OpenRepositoryList(p).Load()
	if len(repos) != 1 || repos[0].Name != "beta" {
		t.Fatalf("list after remove: %+v", repos)
	}
}

// TestRunRemove calls runRemove directly, as the lead's lifecycle rewiring will.
func TestRunRemove(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	src, _ := cmdtest.SourceRepo(t, "PROJ-1 a")
	cmdtest.AddRepo(t, e.Paths, "alpha", src, nil)
	ios, out, _ := cmdutil.Test("", nil)
	if err := runRemove(&RemoveOptions{IO: ios, Manager: &lifecycle.Manager{Paths: e.Paths}, Name: "alpha"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "Removed alpha from the repositories list and deleted its mirror") {
		t.Fatalf("stdout %q", out)
	}
	if err := runRemove(&RemoveOptions{IO: ios, Manager: &lifecycle.Manager{Paths: e.Paths}, Name: "alpha"}); err == nil {
		t.Fatal("removing it twice did not fail")
	}
}

func TestReposListCorrupted(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	p := e.Paths
	os.MkdirAll(p.Data, 0o700)
	os.WriteFile(p.ReposFile(), []byte("{oops"), 0o600)
	code, out, errOut := e.Exec(newRepos, "", "--json")
	if code != 1 || out != "" || !strings.Contains(errOut, p.ReposFile()) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	if code, _, _ := e.Exec(newRepos, "", "remove", "x"); code != 1 {
		t.Fatalf("remove on a corrupted list: exit %d", code)
	}
	if data, _ := os.ReadFile(p.ReposFile()); string(data) != "{oops" {
		t.Fatal("corrupted list changed")
	}
}

func TestReposHelp(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	code, out, _ := e.Exec(newRepos, "", "-h")
	for _, want := range []string{"list", "remove", "fetch", "--json"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("repos -h lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	code, out, _ = e.Exec(newRepos, "", "fetch", "-h")
	if code != 0 || strings.Contains(out, "-link gitjira") || strings.Contains(out, "`") {
		t.Errorf("repos fetch -h shows a mangled flag:\n%s", out)
	}
	for _, want := range []string{"--passphrase-stdin", "--timeout DURATION", "--known-hosts FILE", "--link  "} {
		if !strings.Contains(out, want) {
			t.Errorf("repos fetch -h lacks %q:\n%s", want, out)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func fetchJSON(t *testing.T, e *cmdtest.Env, stdin string, args ...string) (int, []fetchResultJSON, string) {
	t.Helper()
	code, out, errOut := e.Exec(newRepos, stdin, append([]string{"fetch", "--json"}, args...)...)
	var res []fetchResultJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("fetch --json printed no JSON (exit %d): %v\n%s\n%s", code, err, out, errOut)
	}
	return code, res, errOut
}

func TestReposFetch(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, gitserver.Options{})
	srcA := srv.Serve(t, "alpha", "PROJ-1 start", "PROJ-2 more")
	srcB := srv.Serve(t, "beta", "OTHER-1 start")
	srv.Connect(t, "alpha", srv.KeyFile)
	srv.Connect(t, "beta", srv.KeyFile)
	cmdtest.CommitAndPush(t, srcA, "PROJ-7 new", "no key", "PROJ-7 again")
	cmdtest.CommitAndPush(t, srcB, "OTHER-2 new")

	// --known-hosts names the file; the default one is empty.
	kh := e.KnownHosts
	e.KnownHosts = filepath.Join(t.TempDir(), "empty_known_hosts")
	code, res, errOut := fetchJSON(t, e, "", "--known-hosts", kh)
	if code != 0 || len(res) != 2 {
		t.Fatalf("exit %d, %+v, %s", code, res, errOut)
	}
	want := []fetchResultJSON{
		{Name: "alpha", OK: true, NewCommits: 3, Commits: 5, IssueKeys: 3},
		{Name: "beta", OK: true, NewCommits: 1, Commits: 2, IssueKeys: 2},
	}
	if !slices.Equal(res, want) {
		t.Fatalf("results %+v, want %+v", res, want)
	}
	if refs, err := index.Open(e.Paths).Lookup("PROJ-7"); err != nil || len(refs) != 2 {
		t.Fatalf("PROJ-7 after fetch: %+v %v", refs, err)
	}
	repos, _ := store.OpenRepositoryList(e.Paths).Load()
	if repos[0].Commits != 5 || repos[0].LastFetched.IsZero() || repos[0].LastError != "" || repos[0].HostKeyFingerprint == "" {
		t.Fatalf("list not updated: %+v", repos[0])
	}
	// Without --known-hosts the host is checked against the default file:
	// empty here, so the unknown host fails, and says so.
	code, res, _ = fetchJSON(t, e, "", "beta")
	if code != 1 || res[0].OK || !strings.Contains(res[0].Error, "known") {
		t.Fatalf("unknown host: exit %d %+v", code, res)
	}
	// Nothing new; a name selects one repository.
	e.KnownHosts = kh
	code, res, _ = fetchJSON(t, e, "", "beta")
	if code != 0 || len(res) != 1 || res[0].Name != "beta" || res[0].NewCommits != 0 || !res[0].OK {
		t.Fatalf("second fetch: exit %d %+v", code, res)
	}
	code, out, _ := e.Exec(newRepos, "", "fetch", "alpha")
	if code != 0 || !strings.Contains(out, "alpha: ok, 0 new commits (5 commits, 3 issue keys)") {
		t.Fatalf("text output: exit %d %q", code, out)
	}
	if code, _, errOut := e.Exec(newRepos, "", "fetch", "gamma"); code != 1 || !strings.Contains(errOut, "alpha, beta") {
		t.Fatalf("unknown name: exit %d %q", code, errOut)
	}
}

func TestReposFetchOneFailureDoesNotStopOthers(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, gitserver.Options{})
	srcA := srv.Serve(t, "alpha", "PROJ-1 start")
	srv.Serve(t, "beta", "OTHER-1 start")
	srv.Connect(t, "alpha", srv.KeyFile)
	srv.Connect(t, "beta", srv.KeyFile)
	cmdtest.CommitAndPush(t, srcA, "PROJ-2 new")
	// beta disappears from the server.
	os.RemoveAll(filepath.Join(srv.Root, "beta.git"))

	code, res, errOut := fetchJSON(t, e, "")
	if code != 1 || !strings.Contains(errOut, "1 of 2 repositories failed") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !res[0].OK || res[0].NewCommits != 1 || res[1].OK || res[1].Error == "" {
		t.Fatalf("results: %+v", res)
	}
	repos, _ := store.OpenRepositoryList(e.Paths).Load()
	if repos[0].LastError != "" || repos[1].LastError == "" || repos[1].Status() != "error" {
		t.Fatalf("list: %+v", repos)
	}
	if code, out, _ := e.Exec(newRepos, ""); code != 0 || !strings.Contains(out, "error: ") {
		t.Fatalf("list shows no error: %s", out)
	}
}

func TestReposFetchEncryptedKey(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, gitserver.Options{})
	src := srv.Serve(t, "enc", "PROJ-1 start")
	srv.Connect(t, "enc", srv.EncKeyFile)
	cmdtest.CommitAndPush(t, src, "PROJ-3 new")

	// The stored key is the encrypted file as given.
	stored, _ := os.ReadFile(filepath.Join(e.Paths.KeysDir(), "enc.key"))
	orig, _ := os.ReadFile(srv.EncKeyFile)
	if string(stored) != string(orig) {
		t.Fatal("the stored key is not the given bytes")
	}
	// No passphrase (and no terminal in tests): a clear failure.
	code, res, _ := fetchJSON(t, e, "")
	if code != 1 || res[0].OK || !strings.Contains(res[0].Error, "GITJIRA_PASSPHRASE") || !strings.Contains(res[0].Error, "--passphrase-stdin") {
		t.Fatalf("without passphrase: exit %d %+v", code, res)
	}
	e.Vars[cmdutil.PassphraseEnv] = "wrong"
	code, res, _ = fetchJSON(t, e, "")
	if code != 1 || !strings.Contains(res[0].Error, "wrong passphrase") || !strings.Contains(res[0].Error, "GITJIRA_PASSPHRASE") {
		t.Fatalf("wrong passphrase: exit %d %+v", code, res)
	}
	// --passphrase-stdin wins over the environment.
	code, res, _ = fetchJSON(t, e, "also wrong\n", "--passphrase-stdin")
	if code != 1 || !strings.Contains(res[0].Error, "wrong passphrase") || !strings.Contains(res[0].Error, "--passphrase-stdin") || strings.Contains(res[0].Error, "also wrong") {
		t.Fatalf("wrong passphrase on stdin: exit %d %+v", code, res)
	}
	code, res, _ = fetchJSON(t, e, cmdtest.KeyPassphrase+"\n", "--passphrase-stdin")
	if code != 0 || !res[0].OK || res[0].NewCommits != 1 {
		t.Fatalf("with --passphrase-stdin: exit %d %+v", code, res)
	}
	cmdtest.CommitAndPush(t, src, "PROJ-4 newer")
	e.Vars[cmdutil.PassphraseEnv] = cmdtest.KeyPassphrase
	code, res, _ = fetchJSON(t, e, "")
	if code != 0 || !res[0].OK || res[0].NewCommits != 1 {
		t.Fatalf("with GITJIRA_PASSPHRASE: exit %d %+v", code, res)
	}
	// --passphrase-stdin with nothing on stdin: exit 1, says what is missing.
	code, _, errOut := e.Exec(newRepos, "", "fetch", "--passphrase-stdin")
	if code != 1 || !strings.Contains(errOut, "--passphrase-stdin") {
		t.Fatalf("empty stdin: exit %d %q", code, errOut)
	}
	// The passphrase is stored nowhere under GITJIRA_HOME.
	filepath.WalkDir(e.Paths.Data, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(path); bytes.Contains(data, []byte(cmdtest.KeyPassphrase)) {
				t.Errorf("%s contains the passphrase", path)
			}
		}
		return nil
	})
}

func TestReposFetchLinkWithoutSite(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, gitserver.Options{})
	src := srv.Serve(t, "alpha", "PROJ-1 start")
	srv.Connect(t, "alpha", srv.KeyFile)
	cmdtest.CommitAndPush(t, src, "PROJ-2 new")
	code, res, _ := fetchJSON(t, e, "", "--link")
	if code != 1 || res[0].OK || !strings.Contains(res[0].Error, "jira login") {
		t.Fatalf("--link without a site: exit %d %+v", code, res)
	}
	// The fetch itself was recorded (the next run indexes nothing new), and
	// the link failure is the repository's last error, for repos list and
	// the Manage screen.
	repos, _ := store.OpenRepositoryList(e.Paths).Load()
	if repos[0].Commits != 2 || !strings.Contains(repos[0].LastError, "jira login") {
		t.Fatalf("list after a link failure: %+v", repos[0])
	}
}

func TestReposFetchLink(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, gitserver.Options{})
	js := jiratest.NewServer(t)
	if err := jira.SaveSite(e.Paths, store.Site{URL: js.URL, Token: jiratest.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	src := srv.Serve(t, "alpha", "PROJ-1 start")
	srv.Connect(t, "alpha", srv.KeyFile)
	// Two new commits mention PROJ-7 (one also PROJ-8), one mentions nothing.
	cmdtest.CommitAndPush(t, src, "PROJ-7 one", "nothing", "PROJ-7 and PROJ-8 two")

	code, res, errOut := fetchJSON(t, e, "", "--link")
	if code != 0 || !res[0].OK || res[0].Links == nil || res[0].Links.Created < 3 || res[0].Links.Created != js.AllLinks() {
		t.Fatalf("exit %d %+v %+v %s; %d links", code, res, res[0].Links, errOut, js.AllLinks())
	}
	// One link per issue: PROJ-7's counts its two commits.
	if ls := js.Links("PROJ-7"); len(ls) != 1 || !strings.HasPrefix(ls[0].Title(), "alpha: 2 commits · latest ") || len(js.Links("PROJ-8")) != 1 {
		t.Fatalf("links: PROJ-7 %+v, PROJ-8 %d", ls, len(js.Links("PROJ-8")))
	}
	// A second run has nothing new to link and adds no duplicates.
	links := js.AllLinks()
	code, res, _ = fetchJSON(t, e, "", "--link")
	if code != 0 || res[0].Links == nil || res[0].Links.Created != 0 || js.AllLinks() != links {
		t.Fatalf("second run: exit %d %+v, %d links", code, res[0].Links, js.AllLinks())
	}
}

// TestReposLinkBackfillAndUnlink: the history present at connect is linked
// by `repos link` (a dry run first sends nothing), a second run creates
// nothing, and `repos remove --unlink` deletes what it created.
func TestReposLinkBackfillAndUnlink(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, gitserver.Options{})
	js := jiratest.NewServer(t)
	src := srv.Serve(t, "alpha", "PROJ-1 start")
	cmdtest.CommitAndPush(t, src, "PROJ-2 second", "OPS-3 and PROJ-2 third")
	srv.Connect(t, "alpha", srv.KeyFile)
	if err := jira.SaveSite(e.Paths, store.Site{URL: js.URL, Token: jiratest.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := e.Exec(newRepos, "", "link", "alpha", "--dry-run")
	if code != 0 || !strings.Contains(out, "would send 3 requests") || js.AllLinks() != 0 {
		t.Fatalf("dry run: exit %d %q %q; %d links", code, out, errOut, js.AllLinks())
	}
	code, out, errOut = e.Exec(newRepos, "", "link")
	if code != 0 || !strings.Contains(out, "alpha: 3 created") || js.AllLinks() != 3 {
		t.Fatalf("link: exit %d %q %q; %d links", code, out, errOut, js.AllLinks())
	}
	if len(js.Links("PROJ-2")) != 1 || len(js.Links("OPS-3")) != 1 {
		t.Fatalf("PROJ-2 %d, OPS-3 %d", len(js.Links("PROJ-2")), len(js.Links("OPS-3")))
	}
	code, out, _ = e.Exec(newRepos, "", "link")
	if code != 0 || !strings.Contains(out, "alpha: 0 created") || js.AllLinks() != 3 {
		t.Fatalf("second run: exit %d %q; %d links", code, out, js.AllLinks())
	}
	// --link-style commit: a link per commit besides; back to issue.
	if code, out, errOut = e.Exec(newRepos, "", "set", "alpha", "--link-style", "commit"); code != 0 || !strings.Contains(out, "repos link alpha") {
		t.Fatalf("set --link-style: exit %d %q %q", code, out, errOut)
	}
	if code, out, _ = e.Exec(newRepos, "", "link", "--link-concurrency", "2"); code != 0 || len(js.Links("PROJ-2")) != 2 || js.AllLinks() != 4 {
		t.Fatalf("commit style: exit %d %q; %d links", code, out, js.AllLinks())
	}
	e.Exec(newRepos, "", "set", "alpha", "--link-style", "issue")
	if code, out, _ = e.Exec(newRepos, "", "link"); code != 0 || !strings.Contains(out, "4 deleted") || js.AllLinks() != 3 {
		t.Fatalf("issue style again: exit %d %q; %d links", code, out, js.AllLinks())
	}
	if code, _, errOut = e.Exec(newRepos, "", "link", "--link-concurrency", "17"); code != 2 || !strings.Contains(errOut, "1 to 16") {
		t.Errorf("--link-concurrency 17: exit %d %q", code, errOut)
	}
	code, out, errOut = e.Exec(newRepos, "", "remove", "alpha", "--unlink")
	if code != 0 || !strings.Contains(out, "Deleted 3 Jira links") || js.AllLinks() != 0 {
		t.Fatalf("remove --unlink: exit %d %q %q; %d links left", code, out, errOut, js.AllLinks())
	}
}

// TestReposRemoveSaysWhatStays: without --unlink, remove says how many
// links stay in Jira and how to delete them.
func TestReposRemoveSaysWhatStays(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, gitserver.Options{})
	js := jiratest.NewServer(t)
	src := srv.Serve(t, "alpha", "PROJ-1 start")
	cmdtest.CommitAndPush(t, src, "PROJ-2 second")
	srv.Connect(t, "alpha", srv.KeyFile)
	if err := jira.SaveSite(e.Paths, store.Site{URL: js.URL, Token: jiratest.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := e.Exec(newRepos, "", "link"); code != 0 || js.AllLinks() != 2 {
		t.Fatalf("link: exit %d %q %q", code, out, errOut)
	}
	code, out, errOut := e.Exec(newRepos, "", "remove", "alpha")
	if code != 0 || !strings.Contains(out, "Its 2 Jira links (on 2 issues) stay in Jira") || !strings.Contains(out, "--unlink") || js.AllLinks() != 2 {
		t.Fatalf("remove: exit %d %q %q", code, out, errOut)
	}
}

func TestReposSet(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, gitserver.Options{})
	srv.Serve(t, "alpha", "PROJ-1 start")
	srv.Connect(t, "alpha", srv.KeyFile)
	code, out, errOut := e.Exec(newRepos, "", "set", "alpha", "--web-url", "https://git.example.com/team/alpha/", "--projects", "proj, ops", "--no-link", "--json")
	if code != 0 {
		t.Fatalf("set: exit %d %q %q", code, out, errOut)
	}
	r, err := store.OpenRepositoryList(e.Paths).Get("alpha")
	if err != nil {
		t.Fatal(err)
	}
	if r.WebURL != "https://git.example.com/team/alpha" || strings.Join(r.Projects, ",") != "OPS,PROJ" || r.Link == nil || *r.Link {
		t.Fatalf("after set: web %q projects %v link %v", r.WebURL, r.Projects, r.Link)
	}
	code, out, errOut = e.Exec(newRepos, "", "set", "alpha", "--link-style", "commit", "--link-icon", "none", "--smart-commits", "--json")
	if code != 0 || !strings.Contains(out, `"link_style": "commit"`) || !strings.Contains(out, `"smart_commits": true`) {
		t.Fatalf("set link style: exit %d %q %q", code, out, errOut)
	}
	if r2, _ := store.OpenRepositoryList(e.Paths).Get("alpha"); r2.LinkStyle != "commit" || r2.LinkIcon != "none" || !r2.SmartCommits {
		t.Fatalf("after set: %+v", r2)
	}
	// Bad values change nothing and exit 2.
	for _, args := range [][]string{{"--web-url", "ftp://x"}, {"--commit-url", "https://x/commit/"}, {"--projects", "not a key"}, {"--link-style", "panel"}, {"--link-icon", "http://example.com/x.png"}} {
		code, _, errOut = e.Exec(newRepos, "", append([]string{"set", "alpha"}, args...)...)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("set %v: exit %d %q", args, code, errOut)
		}
	}
	// Unknown repository: exit 1, the names there are.
	if code, _, errOut = e.Exec(newRepos, "", "set", "nope", "--link"); code != 1 || !strings.Contains(errOut, "alpha") {
		t.Errorf("unknown: exit %d %q", code, errOut)
	}
	again, _ := store.OpenRepositoryList(e.Paths).Get("alpha")
	if again.WebURL != r.WebURL || strings.Join(again.Projects, ",") != "OPS,PROJ" {
		t.Fatalf("a refused set changed the entry: %+v", again)
	}
}

// TestReposFetchSmartCommits: smart commits on, a fetch applies the
// commands of the commits it sees first (the author's e-mail matching one
// Jira user), once; the history and repos link never.
func TestReposFetchSmartCommits(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, gitserver.Options{})
	js := jiratest.NewServer(t)
	js.AddUser("ada", "Ada Author", "ada@example.com")
	if err := jira.SaveSite(e.Paths, store.Site{URL: js.URL, Token: jiratest.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	src := srv.Serve(t, "alpha", "PROJ-1 #comment in the history")
	srv.Connect(t, "alpha", srv.KeyFile)
	if code, out, errOut := e.Exec(newRepos, "", "set", "alpha", "--smart-commits", "--no-link"); code != 0 {
		t.Fatalf("set: %d %q %q", code, out, errOut)
	}
	cmdtest.CommitAndPush(t, src, "PROJ-2 #comment fixed it #time 1h 30m #start-progress")
	code, res, errOut := fetchJSON(t, e, "")
	if code != 0 || res[0].Links == nil || res[0].Links.Smart == nil || res[0].Links.Smart.Applied != 3 {
		t.Fatalf("fetch: exit %d %+v %s", code, res, errOut)
	}
	if cs := js.Comments("PROJ-2"); len(cs) != 1 || !strings.HasPrefix(cs[0].Body, "fixed it\n\n— Ada Author, commit ") {
		t.Errorf("comments %+v", cs)
	}
	if len(js.Worklogs("PROJ-2")) != 1 || js.Status("PROJ-2") != "In Progress" || len(js.Comments("PROJ-1")) != 0 || js.AllLinks() != 0 {
		t.Errorf("worklogs %d, status %s, history comments %d, links %d", len(js.Worklogs("PROJ-2")), js.Status("PROJ-2"), len(js.Comments("PROJ-1")), js.AllLinks())
	}
	// Again, and a backfill: nothing more.
	fetchJSON(t, e, "")
	e.Exec(newRepos, "", "link")
	if len(js.Comments("PROJ-2")) != 1 || len(js.Worklogs("PROJ-2")) != 1 || len(js.Comments("PROJ-1")) != 0 {
		t.Errorf("applied twice: %d comments, %d worklogs", len(js.Comments("PROJ-2")), len(js.Worklogs("PROJ-2")))
	}
}
