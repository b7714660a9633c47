package wizard

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/uitest"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

const (
	keysDir        = "testdata/keys"
	testPassphrase = "correct horse battery"
	sampleCommits  = 30
)

func readTestKey(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(keysDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pubKey(t testing.TB, name string) ssh.PublicKey {
	t.Helper()
	pk, _, _, _, err := ssh.ParseAuthorizedKey(readTestKey(t, name+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func fingerprint(t testing.TB, name string) string { return ssh.FingerprintSHA256(pubKey(t, name)) }

// copyKey puts a fixed test key (and its .pub) in dir, mode 0600.
func copyKey(t testing.TB, name, dir, as string) string {
	t.Helper()
	p := filepath.Join(dir, as)
	if err := os.WriteFile(p, readTestKey(t, name), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+".pub", readTestKey(t, name+".pub"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// world is everything a wizard test touches: a temporary home with ~/.ssh,
// gitjira's files (GITJIRA_HOME), and the in-process git server.
type world struct {
	t      testing.TB
	root   string
	cfg    Config
	srv    *gitserver.Server
	srvDir string
}

type worldOpts struct {
	hostKey    string   // the server's host key (default host_ed25519)
	authorized []string // user keys the server accepts (default id_ed25519)
	stallAfter int64
	keys       map[string]string // ~/.ssh/<as> = fixed key <name>
	noSSHDir   bool              // a fresh account: no ~/.ssh at all
}

func newWorld(t testing.TB, o worldOpts) *world {
	t.Helper()
	if o.hostKey == "" {
		o.hostKey = "host_ed25519"
	}
	if o.authorized == nil {
		o.authorized = []string{"id_ed25519"}
	}
	root := t.TempDir()
	home := filepath.Join(root, "home")
	sshDir := filepath.Join(home, ".ssh")
	dir := sshDir
	if o.noSSHDir {
		dir = home
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("GITJIRA_HOME", filepath.Join(home, ".gitjira"))
	t.Setenv("GITJIRA_KNOWN_HOSTS", "")
	for as, name := range o.keys {
		copyKey(t, name, sshDir, as)
	}

	srvDir := filepath.Join(root, "server")
	if err := gitserver.MakeSampleRepo(filepath.Join(srvDir, "demo.git"), sampleCommits); err != nil {
		t.Fatal(err)
	}
	hk, err := ssh.ParsePrivateKey(readTestKey(t, o.hostKey))
	if err != nil {
		t.Fatal(err)
	}
	var auth []ssh.PublicKey
	for _, name := range o.authorized {
		auth = append(auth, pubKey(t, name))
	}
	srv, err := gitserver.Start(gitserver.Options{Root: srvDir, HostKeys: []ssh.Signer{hk}, AuthorizedKeys: auth, StallAfter: o.stallAfter})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	w := &world{t: t, root: root, srv: srv, srvDir: srvDir}
	w.cfg = Config{
		Paths:          store.DefaultPaths(), // from GITJIRA_HOME
		KnownHostsFile: filepath.Join(sshDir, "known_hosts"),
		SSHConfigFile:  filepath.Join(sshDir, "config"),
		SSHDir:         sshDir,
		Timeout:        10 * time.Second,
		AgentSocket:    "none",
	}
	return w
}

// journal lists lifecycle's intent journal entries (unfinished connects).
func (w *world) journal() []string {
	entries, _ := os.ReadDir(filepath.Join(w.cfg.Paths.Data, "journal"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// startAgent serves an in-memory ssh-agent holding the named test keys on
// a unix socket (as ssh-agent does), for the test's duration.
func startAgent(t testing.TB, names ...string) string {
	t.Helper()
	ring := agent.NewKeyring()
	for _, n := range names {
		k, err := ssh.ParseRawPrivateKey(readTestKey(t, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := ring.Add(agent.AddedKey{PrivateKey: k, Comment: n}); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := os.MkdirTemp("", "agent") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				agent.ServeAgent(ring, c)
			}()
		}
	}()
	return sock
}

func (w *world) url() string { return w.srv.URL("/demo.git") }

// trustHost records hostKey for the server in known_hosts.
func (w *world) trustHost(hostKey string) {
	w.t.Helper()
	e, err := gitops.ParseURL(w.url())
	if err != nil {
		w.t.Fatal(err)
	}
	if err := gitops.AddKnownHost(w.cfg.KnownHostsFile, e, pubKey(w.t, hostKey)); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) knownHosts() string {
	b, err := os.ReadFile(w.cfg.KnownHostsFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		w.t.Fatal(err)
	}
	return string(b)
}

func (w *world) mirrors() []string {
	entries, err := os.ReadDir(w.cfg.Paths.MirrorsDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		w.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func (w *world) repos() []store.Repository {
	list, err := store.OpenRepositoryList(w.cfg.Paths).Load()
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

// sanitize replaces what changes from run to run (temporary paths, the
// server's port) so views can be compared with golden files.
func (w *world) sanitize(s string) string {
	s = strings.ReplaceAll(s, w.root, "/tmp/T")
	s = strings.ReplaceAll(s, fmt.Sprint(w.srv.Port()), "PORT")
	return s
}

func plain(s string) string { return uitest.Plain(s) }

// ---- the whole program ----

// session runs the wizard as a real Bubble Tea program with the wizard's
// own program options (the renderer must not cut the long copyable lines).
type session struct{ *uitest.Session }

func startSession(t testing.TB, cfg Config) *session { return startSessionSize(t, cfg, 80, 24) }

func startSessionSize(t testing.TB, cfg Config, width, height int) *session {
	t.Helper()
	return &session{uitest.Start(t, New(cfg), width, height, ProgramOptions()...)}
}

// final waits for the program to end and returns the root model.
func (s *session) final() Model {
	s.T().Helper()
	fm, ok := s.Final().(Model)
	if !ok {
		s.T().Fatalf("final model is not the wizard")
	}
	return fm
}

// ---- a direct driver of the root model, for goldens and navigation tests ----

type driver = uitest.Driver[Model]

func newDriver(t testing.TB, cfg Config, width, height int) *driver {
	d := uitest.NewDriver(t, New(cfg), width, height)
	d.Ticks = []string{"steps.cloneTickMsg"}
	return d
}

func parseAuthorized(t testing.TB, b []byte) ssh.PublicKey {
	t.Helper()
	pk, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func fingerprintOf(pk ssh.PublicKey) string { return ssh.FingerprintSHA256(pk) }
