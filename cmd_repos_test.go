package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/sshkeys"
)

func TestReposListEmpty(t *testing.T) {
	setHome(t)
	code, out, errOut := runCmd(t, "repos", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" || errOut != "" {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "repos")
	if code != 0 || !strings.Contains(out, "gitjira connect") {
		t.Fatalf("empty text list: exit %d %q", code, out)
	}
}

func TestReposListAndRemove(t *testing.T) {
	p := setHome(t)
	src, _ := sourceRepo(t, "PROJ-7 a", "PROJ-8 b", "c")
	addRepo(t, p, "alpha", src, nil)
	addRepo(t, p, "beta", src, []string{"PROJ", "ABC"})

	code, out, errOut := runCmd(t, "repos", "list", "--json")
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
	want := []string{"added", "commits", "default_branch", "host_key_fingerprint", "issue_keys", "key_fingerprint", "last_fetched", "mirror", "name", "projects", "url"}
	if !slices.Equal(fields, want) {
		t.Fatalf("fields %v, want %v", fields, want)
	}
	if got[0]["name"] != "alpha" || got[0]["commits"] != float64(3) || got[0]["issue_keys"] != float64(2) ||
		!slices.Equal(toStrings(got[0]["projects"]), []string{"ALL"}) || !slices.Equal(toStrings(got[1]["projects"]), []string{"ABC", "PROJ"}) {
		t.Fatalf("entries: %v", got)
	}

	code, out, _ = runCmd(t, "repos")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "LAST FETCHED") ||
		!strings.Contains(lines[1], "alpha") || !strings.Contains(lines[1], " all ") || !strings.Contains(lines[2], "ABC,PROJ") || !strings.Contains(lines[1], "ok") {
		t.Fatalf("table:\n%s", out)
	}

	// Unknown name: exit 1, the names listed.
	code, _, errOut = runCmd(t, "repos", "remove", "gamma")
	if code != 1 || !strings.Contains(errOut, "alpha, beta") {
		t.Fatalf("remove unknown: exit %d %q", code, errOut)
	}
	if code, _, _ := runCmd(t, "repos", "remove"); code != 2 {
		t.Fatalf("remove without a name: exit %d", code)
	}
	if code, _, _ := runCmd(t, "repos", "frobnicate"); code != 2 {
		t.Fatalf("unknown subcommand: exit %d", code)
	}
	code, out, errOut = runCmd(t, "repos", "remove", "alpha")
	if code != 0 || !strings.Contains(out, "Removed alpha") {
		t.Fatalf("remove: exit %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(p.MirrorDir("alpha")); !os.IsNotExist(err) {
		t.Fatal("mirror still there")
	}
	if code, out, _ := runCmd(t, "issue", "PROJ-7", "--json"); code != 0 || strings.Count(out, `"repository": "beta"`) != 1 || strings.Contains(out, "alpha") {
		t.Fatalf("issue after remove: %s", out)
	}
	repos, _ := jira.OpenRepositoryList(p).Load()
	if len(repos) != 1 || repos[0].Name != "beta" {
		t.Fatalf("list after remove: %+v", repos)
	}
}

func TestReposListCorrupted(t *testing.T) {
	p := setHome(t)
	os.MkdirAll(p.Data, 0o700)
	os.WriteFile(p.ReposFile(), []byte("{oops"), 0o600)
	code, out, errOut := runCmd(t, "repos", "--json")
	if code != 1 || out != "" || !strings.Contains(errOut, p.ReposFile()) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	if code, _, _ := runCmd(t, "repos", "remove", "x"); code != 1 {
		t.Fatalf("remove on a corrupted list: exit %d", code)
	}
	if data, _ := os.ReadFile(p.ReposFile()); string(data) != "{oops" {
		t.Fatal("corrupted list changed")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// fetchSetup is a git server on 127.0.0.1 serving bare repositories made
// with the git CLI, a key that may log in, and a known_hosts file with the
// server's host key.
type fetchSetup struct {
	p          jira.Paths
	srv        *gitserver.Server
	root       string
	knownHosts string
	keyFile    string // unencrypted ed25519
	encKeyFile string // encrypted with "s3cret"
}

func newFetchSetup(t *testing.T) *fetchSetup {
	t.Helper()
	f := &fetchSetup{p: setHome(t), root: t.TempDir()}
	keys := t.TempDir()
	f.keyFile = filepath.Join(keys, "id_plain")
	f.encKeyFile = filepath.Join(keys, "id_enc")
	for file, pass := range map[string]string{f.keyFile: "", f.encKeyFile: "s3cret"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", pass, "-C", "test", "-f", file).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen (run `make deps`): %v\n%s", err, out)
		}
	}
	srv, err := gitserver.Start(gitserver.Options{Root: f.root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f.srv = srv
	for _, file := range []string{f.keyFile, f.encKeyFile} {
		pub, _ := os.ReadFile(file + ".pub")
		k, _, _, _, err := ssh.ParseAuthorizedKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		srv.AuthorizeKey(k)
	}
	f.knownHosts = filepath.Join(t.TempDir(), "known_hosts")
	ep, err := gitops.ParseURL(srv.URL("x.git"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gitops.AddKnownHost(f.knownHosts, ep, srv.HostKeys()[0]); err != nil {
		t.Fatal(err)
	}
	return f
}

// serve makes a bare repository name.git on the server from a work repo
// with the given messages, and returns the work repo (to add commits to).
func (f *fetchSetup) serve(t *testing.T, name string, msgs ...string) string {
	src, _ := sourceRepo(t, msgs...)
	git(t, "/", nil, "clone", "-q", "--bare", src, filepath.Join(f.root, name+".git"))
	git(t, src, nil, "remote", "add", "origin", filepath.Join(f.root, name+".git"))
	return src
}

// connect clones name.git into the data directory and adds it to the list
// with keyFile, as the wizard does.
func (f *fetchSetup) connect(t *testing.T, name, keyFile string) {
	t.Helper()
	raw, _ := os.ReadFile(keyFile)
	k, err := sshkeys.Parse(raw)
	if err != nil {
		k, err = sshkeys.ParseWithPassphrase(raw, []byte("s3cret"))
	}
	if err != nil {
		t.Fatal(err)
	}
	url := f.srv.URL(name + ".git")
	ep, _ := gitops.ParseURL(url)
	_, err = gitops.Clone(context.Background(), gitops.CloneOptions{
		ConnectOptions: gitops.ConnectOptions{Endpoint: ep, Signer: k.Signer, KnownHostsFile: f.knownHosts},
		Dir:            f.p.MirrorDir(name),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jira.AddRepository(f.p, jira.Repository{Name: name, URL: url, Mirror: f.p.MirrorDir(name), KeyFingerprint: k.Fingerprint}, raw); err != nil {
		t.Fatal(err)
	}
}

func commitAndPush(t *testing.T, src string, msgs ...string) {
	for _, m := range msgs {
		git(t, src, nil, "commit", "-q", "--allow-empty", "-m", m)
	}
	git(t, src, nil, "push", "-q", "origin", "main")
}

func fetchJSON(t *testing.T, args ...string) (int, []fetchResultJSON, string) {
	t.Helper()
	code, out, errOut := runCmd(t, append([]string{"repos", "fetch", "--json"}, args...)...)
	var res []fetchResultJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("fetch --json printed no JSON (exit %d): %v\n%s\n%s", code, err, out, errOut)
	}
	return code, res, errOut
}

func TestReposFetch(t *testing.T) {
	f := newFetchSetup(t)
	srcA := f.serve(t, "alpha", "PROJ-1 start", "PROJ-2 more")
	srcB := f.serve(t, "beta", "OTHER-1 start")
	f.connect(t, "alpha", f.keyFile)
	f.connect(t, "beta", f.keyFile)
	commitAndPush(t, srcA, "PROJ-7 new", "no key", "PROJ-7 again")
	commitAndPush(t, srcB, "OTHER-2 new")

	code, res, errOut := fetchJSON(t, "--known-hosts", f.knownHosts)
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
	if code, out, _ := runCmd(t, "issue", "PROJ-7", "--json"); code != 0 || strings.Count(out, `"sha"`) != 2 {
		t.Fatalf("issue PROJ-7 after fetch: %s", out)
	}
	repos, _ := jira.OpenRepositoryList(f.p).Load()
	if repos[0].Commits != 5 || repos[0].LastFetched.IsZero() || repos[0].LastError != "" || repos[0].HostKeyFingerprint == "" {
		t.Fatalf("list not updated: %+v", repos[0])
	}
	// Nothing new; a name selects one repository; GITJIRA_KNOWN_HOSTS is honoured.
	t.Setenv("GITJIRA_KNOWN_HOSTS", f.knownHosts)
	code, res, _ = fetchJSON(t, "beta")
	if code != 0 || len(res) != 1 || res[0].Name != "beta" || res[0].NewCommits != 0 || !res[0].OK {
		t.Fatalf("second fetch: exit %d %+v", code, res)
	}
	code, out, _ := runCmd(t, "repos", "fetch", "alpha")
	if code != 0 || !strings.Contains(out, "alpha: ok, 0 new commits (5 commits, 3 issue keys)") {
		t.Fatalf("text output: exit %d %q", code, out)
	}
	if code, _, errOut := runCmd(t, "repos", "fetch", "gamma"); code != 1 || !strings.Contains(errOut, "alpha, beta") {
		t.Fatalf("unknown name: exit %d %q", code, errOut)
	}
}

func TestReposFetchOneFailureDoesNotStopOthers(t *testing.T) {
	f := newFetchSetup(t)
	t.Setenv("GITJIRA_KNOWN_HOSTS", f.knownHosts)
	srcA := f.serve(t, "alpha", "PROJ-1 start")
	f.serve(t, "beta", "OTHER-1 start")
	f.connect(t, "alpha", f.keyFile)
	f.connect(t, "beta", f.keyFile)
	commitAndPush(t, srcA, "PROJ-2 new")
	// beta disappears from the server.
	os.RemoveAll(filepath.Join(f.root, "beta.git"))

	code, res, errOut := fetchJSON(t)
	if code != 1 || !strings.Contains(errOut, "1 of 2 repositories failed") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !res[0].OK || res[0].NewCommits != 1 || res[1].OK || res[1].Error == "" {
		t.Fatalf("results: %+v", res)
	}
	repos, _ := jira.OpenRepositoryList(f.p).Load()
	if repos[0].LastError != "" || repos[1].LastError == "" || repos[1].Status() != "error" {
		t.Fatalf("list: %+v", repos)
	}
	if code, out, _ := runCmd(t, "repos"); code != 0 || !strings.Contains(out, "error: ") {
		t.Fatalf("list shows no error: %s", out)
	}
}

func TestReposFetchEncryptedKey(t *testing.T) {
	f := newFetchSetup(t)
	t.Setenv("GITJIRA_KNOWN_HOSTS", f.knownHosts)
	src := f.serve(t, "enc", "PROJ-1 start")
	f.connect(t, "enc", f.encKeyFile)
	commitAndPush(t, src, "PROJ-3 new")

	// The stored key is the encrypted file as given.
	stored, _ := os.ReadFile(filepath.Join(f.p.KeysDir(), "enc.key"))
	orig, _ := os.ReadFile(f.encKeyFile)
	if string(stored) != string(orig) {
		t.Fatal("the stored key is not the given bytes")
	}
	// No passphrase (and no terminal in tests): a clear failure.
	code, res, _ := fetchJSON(t)
	if code != 1 || res[0].OK || !strings.Contains(res[0].Error, "GITJIRA_PASSPHRASE") {
		t.Fatalf("without passphrase: exit %d %+v", code, res)
	}
	t.Setenv("GITJIRA_PASSPHRASE", "wrong")
	code, res, _ = fetchJSON(t)
	if code != 1 || !strings.Contains(res[0].Error, "wrong passphrase") || strings.Contains(res[0].Error, "wrong\"") {
		t.Fatalf("wrong passphrase: exit %d %+v", code, res)
	}
	t.Setenv("GITJIRA_PASSPHRASE", "s3cret")
	code, res, _ = fetchJSON(t)
	if code != 0 || !res[0].OK || res[0].NewCommits != 1 {
		t.Fatalf("with passphrase: exit %d %+v", code, res)
	}
	// The passphrase is stored nowhere under GITJIRA_HOME.
	filepath.WalkDir(f.p.Data, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(path); bytes.Contains(data, []byte("s3cret")) {
				t.Errorf("%s contains the passphrase", path)
			}
		}
		return nil
	})
}

func TestReposFetchLinkWithoutSite(t *testing.T) {
	f := newFetchSetup(t)
	t.Setenv("GITJIRA_KNOWN_HOSTS", f.knownHosts)
	src := f.serve(t, "alpha", "PROJ-1 start")
	f.connect(t, "alpha", f.keyFile)
	commitAndPush(t, src, "PROJ-2 new")
	code, res, _ := fetchJSON(t, "--link")
	if code != 1 || res[0].OK || !strings.Contains(res[0].Error, "jira login") {
		t.Fatalf("--link without a site: exit %d %+v", code, res)
	}
	// The fetch itself was recorded: the next run indexes nothing new.
	repos, _ := jira.OpenRepositoryList(f.p).Load()
	if repos[0].Commits != 2 || repos[0].LastError != "" {
		t.Fatalf("list after a link failure: %+v", repos[0])
	}
}

func TestReposFetchLink(t *testing.T) {
	f := newFetchSetup(t)
	t.Setenv("GITJIRA_KNOWN_HOSTS", f.knownHosts)
	js := jiratest.NewServer(t)
	if err := jira.SaveSite(f.p, jira.Site{URL: js.URL, Token: jiratest.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	src := f.serve(t, "alpha", "PROJ-1 start")
	f.connect(t, "alpha", f.keyFile)
	// Two new commits mention PROJ-7 (one also PROJ-8), one mentions nothing;
	// the history present at connect (PROJ-1) is linked too (backfill).
	commitAndPush(t, src, "PROJ-7 one", "nothing", "PROJ-7 and PROJ-8 two")

	code, res, errOut := fetchJSON(t, "--link")
	if code != 0 || !res[0].OK || res[0].Links == nil || res[0].Links.Created != 4 {
		t.Fatalf("exit %d %+v %+v %s", code, res, res[0].Links, errOut)
	}
	if len(js.Links("PROJ-7")) != 2 || len(js.Links("PROJ-8")) != 1 || len(js.Links("PROJ-1")) != 1 {
		t.Fatalf("links: PROJ-7 %d, PROJ-8 %d, PROJ-1 %d", len(js.Links("PROJ-7")), len(js.Links("PROJ-8")), len(js.Links("PROJ-1")))
	}
	// A second run has nothing new to link and adds no duplicates.
	code, res, _ = fetchJSON(t, "--link")
	if code != 0 || res[0].Links == nil || res[0].Links.Created != 0 || js.AllLinks() != 4 {
		t.Fatalf("second run: exit %d %+v, %d links", code, res[0].Links, js.AllLinks())
	}
}
