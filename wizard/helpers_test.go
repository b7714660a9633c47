package wizard

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/store"
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

var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b[=>78]`)

func plain(s string) string { return ansiRE.ReplaceAllString(s, "") }

// ---- the whole program ----

// session runs the wizard as a real Bubble Tea program (as teatest does, but
// with the wizard's own program options, which teatest cannot take: the
// renderer must not cut the long copyable lines), its screen output
// collected as it comes.
type session struct {
	t    testing.TB
	p    *tea.Program
	out  *safeBuffer
	pos  int // waitFor searches after the last match
	done chan tea.Model
}

// safeBuffer is a bytes.Buffer written by the program and read by the test.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startSession(t testing.TB, cfg Config) *session { return startSessionSize(t, cfg, 80, 24) }

func startSessionSize(t testing.TB, cfg Config, width, height int) *session {
	t.Helper()
	s := &session{t: t, out: &safeBuffer{}, done: make(chan tea.Model, 1)}
	opts := append([]tea.ProgramOption{tea.WithInput(&bytes.Buffer{}), tea.WithOutput(s.out), tea.WithoutSignals()}, ProgramOptions()...)
	s.p = tea.NewProgram(New(cfg), opts...)
	go func() {
		m, err := s.p.Run()
		if err != nil {
			t.Errorf("program: %v", err)
		}
		s.done <- m
	}()
	t.Cleanup(func() { s.p.Kill() })
	s.p.Send(tea.WindowSizeMsg{Width: width, Height: height})
	return s
}

// screenText is everything drawn so far, without escape sequences.
func (s *session) screenText() string { return plain(s.out.String()) }

// raw is everything drawn so far, escape sequences included.
func (s *session) raw() string { return s.out.String() }

// waitFor waits until text is drawn (after the previous match).
func (s *session) waitFor(text string) {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		all := s.screenText()
		if i := strings.Index(all[min(s.pos, len(all)):], text); i >= 0 {
			s.pos += i + len(text)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	all := s.screenText()
	s.t.Fatalf("screen never showed %q; last output:\n%s", text, all[max(0, len(all)-3000):])
}

func (s *session) typeText(text string) {
	for _, r := range text {
		s.p.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}
func (s *session) key(k tea.KeyType) { s.p.Send(tea.KeyMsg{Type: k}) }
func (s *session) runes(r string)    { s.p.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(r)}) }
func (s *session) paste(text string) {
	s.p.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(text), Paste: true})
}

// final waits for the program to end and returns the root model.
func (s *session) final() Model {
	s.t.Helper()
	select {
	case m := <-s.done:
		fm, ok := m.(Model)
		if !ok {
			s.t.Fatalf("final model %T", m)
		}
		return fm
	case <-time.After(60 * time.Second):
		s.t.Fatalf("the program did not end; last output:\n%s", s.screenText())
	}
	return Model{}
}

// ---- a direct driver of the root model, for goldens and navigation tests ----

// driver runs the root model like Bubble Tea does (commands in goroutines,
// their messages back to Update) but lets the test look at View() between
// messages. Timer messages are dropped, so spinners and cursors stay still.
type driver struct {
	t    testing.TB
	m    Model
	msgs chan tea.Msg
	quit bool
}

func newDriver(t testing.TB, cfg Config, width, height int) *driver {
	d := &driver{t: t, m: New(cfg), msgs: make(chan tea.Msg, 256)}
	d.run(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: width, Height: height})
	return d
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		switch msg := msg.(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				d.run(c)
			}
			return
		}
		if isSequence(msg) {
			// tea.Sequence: run in order
			for _, c := range sequenceCmds(msg) {
				if c == nil {
					continue
				}
				if m := c(); m != nil {
					d.msgs <- m
				}
			}
			return
		}
		if msg != nil {
			d.msgs <- msg
		}
	}()
}

func isSequence(msg tea.Msg) bool { return fmt.Sprintf("%T", msg) == "tea.sequenceMsg" }

// sequenceCmds opens tea.Sequence's message, an unexported []tea.Cmd.
func sequenceCmds(msg tea.Msg) []tea.Cmd {
	v := reflect.ValueOf(msg)
	cmds := make([]tea.Cmd, v.Len())
	for i := range cmds {
		cmds[i], _ = v.Index(i).Interface().(tea.Cmd)
	}
	return cmds
}

func ignored(msg tea.Msg) bool {
	if _, ok := msg.(spinner.TickMsg); ok {
		return true
	}
	n := fmt.Sprintf("%T", msg)
	return strings.HasPrefix(n, "cursor.") || n == "steps.cloneTickMsg"
}

func (d *driver) send(msg tea.Msg) *driver {
	if _, ok := msg.(tea.QuitMsg); ok {
		d.quit = true
		return d
	}
	m, cmd := d.m.Update(msg)
	d.m = m.(Model)
	d.run(cmd)
	return d
}

func (d *driver) key(k tea.KeyType) *driver { return d.send(tea.KeyMsg{Type: k}) }
func (d *driver) runes(s string) *driver {
	return d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)})
}
func (d *driver) typeText(s string) *driver {
	for _, r := range s {
		d.runes(string(r))
	}
	return d
}

func (d *driver) view() string { return plain(d.m.View()) }

// until feeds messages until cond holds.
func (d *driver) until(what string, cond func(m Model) bool) *driver {
	d.t.Helper()
	deadline := time.After(60 * time.Second)
	for !cond(d.m) {
		select {
		case msg := <-d.msgs:
			if !ignored(msg) {
				d.send(msg)
			}
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; view:\n%s", what, d.view())
		}
	}
	return d
}

// untilView feeds messages until the view contains text.
func (d *driver) untilView(text string) *driver {
	d.t.Helper()
	return d.until(fmt.Sprintf("%q on screen", text), func(m Model) bool { return strings.Contains(plain(m.View()), text) })
}

// settle feeds the messages that come within a short quiet time.
func (d *driver) settle() *driver {
	for {
		select {
		case msg := <-d.msgs:
			if !ignored(msg) {
				d.send(msg)
			}
		case <-time.After(200 * time.Millisecond):
			return d
		}
	}
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
