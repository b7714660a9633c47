package manage

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/uitest"
)

// update rewrites the golden files (go test ./manage/ -update).
var update = flag.Bool("update", false, "rewrite the golden files")

func updating() bool { return *update }

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	time.Local = time.UTC // dates in the goldens
	os.Exit(m.Run())
}

// Key fixtures made by ssh-keygen (sshkeys/testdata/gen.sh); the encrypted
// one's passphrase is testPassphrase.
const (
	keyEd25519     = "openssh_ed25519.key"
	keyECDSA       = "openssh_ecdsa256.key"
	keyEncrypted   = "openssh_ed25519_enc.key"
	testPassphrase = "correct horse"
)

// fixedNow is the clock of the tests: syncs are recorded at fixedNow and
// the screen looks at fixedNow+3 min, so every row says "3 min ago".
var fixedNow = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

func readKey(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "sshkeys", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseKey parses a fixture, decrypting it when it is encrypted.
func parseKey(t testing.TB, name string) *sshkeys.Key {
	t.Helper()
	raw := readKey(t, name)
	k, err := sshkeys.Parse(raw)
	var pme *sshkeys.PassphraseMissingError
	if errors.As(err, &pme) {
		k, err = sshkeys.ParseWithPassphrase(raw, []byte(testPassphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// world is what a test of the screen runs against: the in-process SSH git
// server with sample repositories, and a lifecycle.Manager on a fresh
// gitjira home whose known_hosts trusts the server.
type world struct {
	t       testing.TB
	root    string
	srvRoot string
	srv     *gitserver.Server
	mgr     *lifecycle.Manager
	sshDir  string
}

func newWorld(t testing.TB) *world {
	t.Helper()
	root := t.TempDir()
	w := &world{t: t, root: root, srvRoot: filepath.Join(root, "server"), sshDir: filepath.Join(root, "home", ".ssh")}
	if err := os.MkdirAll(w.sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", filepath.Join(root, "home"))
	// A fixed host key, so its fingerprint in the goldens stays the same.
	hk := parseKey(t, "openssh_ecdsa384.key").Signer
	var auth []ssh.PublicKey
	for _, k := range []string{keyEd25519, keyECDSA, keyEncrypted} {
		auth = append(auth, parseKey(t, k).Signer.PublicKey())
	}
	os.MkdirAll(w.srvRoot, 0o700)
	var err error
	w.srv, err = gitserver.Start(gitserver.Options{Root: w.srvRoot, HostKeys: []ssh.Signer{hk}, AuthorizedKeys: auth})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.srv.Close() })
	kh := filepath.Join(w.sshDir, "known_hosts")
	ep, err := gitops.ParseURL(w.srv.URL("/x.git"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gitops.AddKnownHost(kh, ep, w.srv.HostKeys()[0]); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(root, "home", "gitjira") // shown as ~/gitjira/...
	w.mgr = &lifecycle.Manager{Paths: store.Paths{Config: home, Data: home}, KnownHostsFile: kh, SSHConfigFile: "none",
		Timeout: 20 * time.Second, LockWait: 2 * time.Second, Now: func() time.Time { return fixedNow }}
	return w
}

// repo makes a sample repository on the server.
func (w *world) repo(name string, commits int) string {
	w.t.Helper()
	if err := gitserver.MakeSampleRepo(filepath.Join(w.srvRoot, name+".git"), commits); err != nil {
		w.t.Fatal(err)
	}
	return w.srv.URL("/" + name + ".git")
}

// connect makes a sample repository and connects it with a key fixture,
// through lifecycle as every front-end does.
func (w *world) connect(name string, commits int, keyName string) store.Repository {
	w.t.Helper()
	url := w.repo(name, commits)
	k := parseKey(w.t, keyName)
	r, err := w.mgr.Connect(context.Background(), lifecycle.ConnectRequest{URL: url, Name: name},
		lifecycle.CloneOptions{Signer: k.Signer}, lifecycle.CommitRequest{KeyRaw: readKey(w.t, keyName), KeyFingerprint: k.Fingerprint})
	if err != nil {
		w.t.Fatalf("connect %s: %v", name, err)
	}
	return r
}

// breakRepo makes a repository disappear from the server and syncs it, so
// the list records the error.
func (w *world) breakRepo(name string) {
	w.t.Helper()
	if err := os.RemoveAll(filepath.Join(w.srvRoot, name+".git")); err != nil {
		w.t.Fatal(err)
	}
	res, err := w.mgr.Sync(context.Background(), lifecycle.SyncOptions{Names: []string{name}, Signer: func(store.Repository) (ssh.Signer, error) {
		return parseKey(w.t, keyEd25519).Signer, nil
	}})
	if err != nil || len(res) != 1 || res[0].Err == nil {
		w.t.Fatalf("sync of the removed repository: %v %+v", err, res)
	}
}

// addCommits adds n commits mentioning DEMO-9xx to a server repository (as
// lifecycle's crash tests do), with the real git.
func (w *world) addCommits(name string, n int) {
	w.t.Helper()
	bare := filepath.Join(w.srvRoot, name+".git")
	for i := 0; i < n; i++ {
		git := func(args ...string) string {
			cmd := exec.Command("git", append([]string{"--git-dir=" + bare}, args...)...)
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com",
				"GIT_AUTHOR_DATE=2025-06-02T09:00:00Z", "GIT_COMMITTER_DATE=2025-06-02T09:00:00Z")
			out, err := cmd.Output()
			if err != nil {
				w.t.Fatalf("git %v: %v", args, err)
			}
			return strings.TrimSpace(string(out))
		}
		tree := git("rev-parse", "HEAD^{tree}")
		c := git("commit-tree", tree, "-p", "HEAD", "-m", fmt.Sprintf("DEMO-%d: added by the test %d", 900+i, i))
		git("update-ref", "HEAD", c)
	}
}

func (w *world) list() []store.Repository {
	w.t.Helper()
	l, err := store.OpenRepositoryList(w.mgr.Paths).Load()
	if err != nil {
		w.t.Fatal(err)
	}
	return l
}

func (w *world) get(name string) (store.Repository, bool) {
	for _, r := range w.list() {
		if r.Name == name {
			return r, true
		}
	}
	return store.Repository{}, false
}

// cfg is the screen's configuration for the world.
func (w *world) cfg() Config {
	return Config{Manager: w.mgr, SSHDir: w.sshDir, Now: func() time.Time { return fixedNow.Add(3 * time.Minute) }}
}

// sanitize replaces what changes from run to run (temporary paths, the
// server's port) so screens can be compared with golden files.
func (w *world) sanitize(s string) string {
	s = strings.ReplaceAll(s, w.root, "/tmp/T")
	return strings.ReplaceAll(s, fmt.Sprint(w.srv.Port()), "PPPPP")
}

// golden compares got with testdata/name.golden (-update rewrites it);
// trailing spaces are not compared.
func golden(t testing.TB, name, got string) {
	t.Helper()
	lines := strings.Split(got, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	got = strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./manage/ -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// checkFits fails when a screen is larger than width x height.
func checkFits(t testing.TB, screen string, width, height int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) > height {
		t.Errorf("screen has %d lines, more than %d:\n%s", len(lines), height, screen)
	}
	for i, l := range lines {
		if n := lipgloss.Width(l); n > width {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i+1, n, width, l)
		}
	}
}

// ---- the UI layer's one test driver (ui/uitest), as Manage uses it ----

// startSession runs the screen as a real program at 80x24 (uitest.Session).
func startSession(t testing.TB, m tea.Model) *uitest.Session { return uitest.Start(t, m, 80, 24) }

// final is the session's final model.
func final(s *uitest.Session) Model {
	s.T().Helper()
	fm, ok := s.Final().(Model)
	if !ok {
		s.T().Fatalf("final model %T", fm)
	}
	return fm
}

// driver runs the root model directly (uitest.Driver): commands in
// goroutines, the view between messages; timers dropped (spinners, the
// cursor, the screen's 30 s refresh).
type driver = uitest.Driver[Model]

func newDriver(t testing.TB, m Model, width, height int) *driver {
	d := uitest.NewDriver(t, m, 0, 0)
	d.Ticks = []string{"manage.tickMsg"}
	d.Send(tea.WindowSizeMsg{Width: width, Height: height})
	return d
}

// fakeProjects is a ProjectLister with a fixed list (the Jira client is
// tested against httptest in jira; here the editor's behaviour is).
type fakeProjects []jira.Project

func (f fakeProjects) Projects(context.Context) ([]jira.Project, error) { return f, nil }
