package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/store"
)

// userKeyFile is a key made by ssh-keygen (sshkeys/testdata/gen.sh).
const userKeyFile = "../sshkeys/testdata/openssh_ed25519.key"

type fixture struct {
	t      testing.TB
	m      *Manager
	srv    *gitserver.Server
	root   string // the server's repositories
	keyRaw []byte
	signer ssh.Signer
}

// newFixture starts the in-process SSH git server with a sample repository
// at /demo.git (commits commits) and a Manager on a fresh home whose known
// hosts already trust the server.
func newFixture(t testing.TB, commits int) *fixture {
	t.Helper()
	f := &fixture{t: t, root: t.TempDir()}
	if err := gitserver.MakeSampleRepo(filepath.Join(f.root, "demo.git"), commits); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(userKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	f.keyRaw = raw
	if f.signer, err = ssh.ParsePrivateKey(raw); err != nil {
		t.Fatal(err)
	}
	hk, err := gitserver.GenerateHostKey(gitserver.KeyEd25519)
	if err != nil {
		t.Fatal(err)
	}
	f.srv, err = gitserver.Start(gitserver.Options{Root: f.root, HostKeys: []ssh.Signer{hk}, AuthorizedKeys: []ssh.PublicKey{f.signer.PublicKey()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.srv.Close() })
	home := filepath.Join(t.TempDir(), "home")
	sshDir := t.TempDir()
	kh := filepath.Join(sshDir, "known_hosts")
	ep, err := gitops.ParseURL(f.srv.URL("/demo.git"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gitops.AddKnownHost(kh, ep, f.srv.HostKeys()[0]); err != nil {
		t.Fatal(err)
	}
	f.m = &Manager{Paths: store.Paths{Config: home, Data: home}, KnownHostsFile: kh, SSHConfigFile: "none", Timeout: 20 * time.Second, LockWait: time.Second}
	return f
}

func (f *fixture) connect(name, url string) store.Repository {
	f.t.Helper()
	r, err := f.m.Connect(context.Background(), ConnectRequest{URL: url, Name: name}, CloneOptions{Signer: f.signer}, CommitRequest{KeyRaw: f.keyRaw})
	if err != nil {
		f.t.Fatalf("connect %s: %v", url, err)
	}
	return r
}

func (f *fixture) signerFor(store.Repository) (ssh.Signer, error) { return f.signer, nil }

// checkHome asserts the invariant every crash must restore: exactly one
// mirror, one key and one index per listed repository, nothing else
// (no partial clone, no journal entry), and no lock held.
func checkHome(t *testing.T, m *Manager) {
	t.Helper()
	repos, err := m.list().Load()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, r := range repos {
		want[r.Name+".git"] = true
		want[r.Name+".key"] = true
		want[r.Name+".idx"] = true
		lk, err := fsatomic.TryAcquire(filepath.Join(m.locksDir(), r.Name+".lock"))
		if err != nil {
			t.Errorf("the lock of %s is held: %v", r.Name, err)
		}
		lk.Unlock()
	}
	for _, dir := range []string{m.Paths.MirrorsDir(), m.Paths.KeysDir()} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !want[e.Name()] {
				t.Errorf("%s holds %s, which no list entry owns", dir, e.Name())
			}
			delete(want, e.Name())
		}
	}
	entries, _ := os.ReadDir(m.Paths.IndexDir())
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".idx") {
			if !want[e.Name()] {
				t.Errorf("index %s is owned by no list entry", e.Name())
			}
			delete(want, e.Name())
		}
	}
	for n := range want {
		t.Errorf("%s is missing", n)
	}
	if j, _ := os.ReadDir(m.journalDir()); len(j) != 0 {
		t.Errorf("journal entries left: %v", j)
	}
}

func TestPlanRefusesBadNamesWithNothingCreated(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	m := &Manager{Paths: store.Paths{Config: home, Data: home}, SSHConfigFile: "none"}
	for _, name := range []string{"../x", "a/b", "../../../../x/sub/y", ".hidden", "-flag", "x\x1b[2J", "a\\b", strings.Repeat("n", 101)} {
		start := time.Now()
		_, err := m.Plan(ConnectRequest{URL: "git@127.0.0.1:team/app.git", Name: name})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("name %q: err = %v, want ErrInvalid", name, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("name %q: error is not one line: %q", name, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("name %q took %v", name, d)
		}
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Plan created %s", home)
	}
	for _, url := range []string{"", "https://github.com/a/b", "file:///tmp/x"} {
		if _, err := m.Plan(ConnectRequest{URL: url}); !errors.Is(err, ErrInvalid) {
			t.Errorf("url %q: err = %v, want ErrInvalid", url, err)
		}
	}
	if _, err := m.Plan(ConnectRequest{URL: "git@h:a.git", Projects: []string{"lower"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad project: %v", err)
	}
}

func TestBadNameThroughConnectCreatesNothing(t *testing.T) {
	f := newFixture(t, 5)
	outside := filepath.Join(t.TempDir(), "outside")
	_, err := f.m.Connect(context.Background(), ConnectRequest{URL: f.srv.URL("/demo.git"), Name: "../../" + outside + "/y"}, CloneOptions{Signer: f.signer}, CommitRequest{KeyRaw: f.keyRaw})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(f.m.Paths.Data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("home created")
	}
	if _, err := os.Stat(outside); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("outside dir created")
	}
	if f.srv.Execs() != 0 {
		t.Errorf("the server was contacted %d times", f.srv.Execs())
	}
}

func TestConnectStoresResolvedAliasAndSyncUsesIt(t *testing.T) {
	f := newFixture(t, 12)
	cfg := filepath.Join(t.TempDir(), "config")
	host, port, _ := strings.Cut(f.srv.Addr(), ":")
	os.WriteFile(cfg, []byte(fmt.Sprintf("Host gitalias\n  HostName %s\n  Port %s\n  User git\n", host, port)), 0o600)
	f.m.SSHConfigFile = cfg
	r := f.connect("", "gitalias:/demo.git")
	if r.URL != f.srv.URL("/demo.git") || r.Alias != "gitalias:/demo.git" {
		t.Errorf("URL %q alias %q, want the resolved %q and the alias", r.URL, r.Alias, f.srv.URL("/demo.git"))
	}
	if r.Name != "demo" || r.ID == "" || r.Commits == 0 {
		t.Errorf("entry %+v", r)
	}
	// Later runs without the config still reach it: the list holds the resolved URL.
	f.m.SSHConfigFile = "none"
	addCommits(t, filepath.Join(f.root, "demo.git"), 3)
	res, err := f.m.Sync(context.Background(), SyncOptions{Signer: f.signerFor})
	if err != nil || len(res) != 1 || !res[0].OK() {
		t.Fatalf("sync: %v %+v", err, res)
	}
	if res[0].NewCommits != 3 || res[0].Commits != r.Commits+3 {
		t.Errorf("sync result %+v (connected with %d commits)", res[0], r.Commits)
	}
	got, _ := f.m.list().Get("demo")
	if got.Commits != r.Commits+3 || got.LastError != "" || got.ID != r.ID {
		t.Errorf("list after sync: %+v", got)
	}
	checkHome(t, f.m)
}

func TestSameLocationTwiceIsRefused(t *testing.T) {
	f := newFixture(t, 5)
	f.connect("first", f.srv.URL("/demo.git"))
	_, err := f.m.Plan(ConnectRequest{URL: f.srv.URL("/demo.git"), Name: "second"})
	var ac *AlreadyConnectedError
	if !errors.As(err, &ac) || ac.Name != "first" {
		t.Fatalf("err = %v, want already connected as first", err)
	}
	if got := f.m.ConnectedAs(f.srv.URL("/demo.git")); got != "first" {
		t.Errorf("ConnectedAs = %q", got)
	}
	if got := f.m.SuggestName(f.srv.URL("/demo.git")); got != "demo" {
		t.Errorf("SuggestName = %q, want demo (free)", got)
	}
	// Through an ~/.ssh/config alias, it is still the same repository.
	cfg := filepath.Join(t.TempDir(), "config")
	host, port, _ := strings.Cut(f.srv.Addr(), ":")
	// No user in the location: the config names it (else ssh logs in as the local user).
	os.WriteFile(cfg, []byte(fmt.Sprintf("Host al\n  HostName %s\n  Port %s\n  User git\n", host, port)), 0o600)
	f.m.SSHConfigFile = cfg
	if _, err := f.m.Plan(ConnectRequest{URL: "al:/demo.git", Name: "third"}); !errors.As(err, &ac) {
		t.Fatalf("alias spelling: err = %v", err)
	}
}
