package wizard

import (
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/uitest"
)

// These tests run the whole wizard as a program (80x24 unless said, ASCII
// profile, the wizard's own program options) against the in-process SSH git
// server, through the lifecycle layer, one path each.

// typeLocation types the server's URL on the first screen and moves on.
func (s *session) typeLocation(url string) {
	s.WaitFor("Step 1 of 9 · Repository location")
	s.Type(url)
	s.WaitFor("✓ ")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 2 of 9 · Private key")
}

// trustCloneFinish goes from the host key question (when asked) to the end,
// with all projects, through the review, and returns the final model.
func (s *session) trustCloneFinish(trust bool) Model {
	s.T().Helper()
	if trust {
		s.WaitFor("Trust this host and record its key? (y/n)")
		s.Runes("y")
	}
	s.WaitFor("Step 7 of 9 · Permissions")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 8 of 9 · Review")
	s.WaitFor("nothing is saved until you press enter")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 9 of 9 · Finish")
	s.WaitFor("Press enter to exit.")
	s.Key(tea.KeyEnter)
	return s.final()
}

// checkAdded checks the result and the repositories list.
func (w *world) checkAdded(m Model, keyName string, projects []string) *store.Repository {
	w.t.Helper()
	r, err := m.Result()
	if err != nil {
		w.t.Fatalf("wizard result: %v", err)
	}
	if r.Name != "demo" || r.KeyFingerprint != fingerprint(w.t, keyName) || r.HostKeyFingerprint != fingerprint(w.t, "host_ed25519") ||
		r.Commits != gitserver.SampleCommits(sampleCommits) || r.DefaultBranch != "main" || !reflect.DeepEqual(r.Projects, projects) {
		w.t.Errorf("repository %+v", r)
	}
	list := w.repos()
	if len(list) != 1 || list[0].Name != "demo" || list[0].Mirror != w.cfg.Paths.MirrorDir("demo") || list[0].URL != w.url() {
		w.t.Fatalf("repositories list %+v", list)
	}
	if _, err := os.Stat(filepath.Join(list[0].Mirror, "HEAD")); err != nil {
		w.t.Errorf("mirror: %v", err)
	}
	if left := w.journal(); len(left) != 0 {
		w.t.Errorf("intent journal left: %v", left)
	}
	return r
}

func TestFlowPlainKeyUnknownHostTrusted(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor(fingerprint(t, "id_ed25519")[:30])
	s.Key(tea.KeyEnter)
	// no passphrase step for a plain key: straight to the host key
	s.WaitFor("Step 4 of 9 · Host key")
	s.WaitFor(fingerprint(t, "host_ed25519"))
	m := s.trustCloneFinish(true)
	if strings.Contains(s.ScreenText(), "Step 3 of 9") {
		t.Error("the passphrase step was shown for a plain key")
	}
	r := w.checkAdded(m, "id_ed25519", []string{"ALL"})
	if r.IssueKeys == 0 {
		t.Error("no issue keys indexed")
	}
	if !strings.Contains(w.knownHosts(), strings.Fields(string(readTestKey(t, "host_ed25519.pub")))[1]) {
		t.Errorf("known_hosts: %q", w.knownHosts())
	}
	sum := Summary(r)
	for _, want := range []string{"Added demo", "Issue keys", r.URL, r.KeyFingerprint, "gitjira repos fetch demo"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
}

func TestFlowEncryptedKeyWrongThenRight(t *testing.T) {
	w := newWorld(t, worldOpts{authorized: []string{"enc_ed25519"}, keys: map[string]string{"id_work": "enc_ed25519"}})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor("encrypted")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 3 of 9 · Passphrase")
	s.Type("not the passphrase")
	s.Key(tea.KeyEnter)
	s.WaitFor("wrong passphrase (attempt 1)")
	s.Type(testPassphrase)
	s.Key(tea.KeyEnter)
	// a known host: no question, straight on to the clone
	m := s.trustCloneFinish(false)
	w.checkAdded(m, "enc_ed25519", []string{"ALL"})
	screen := s.ScreenText()
	if strings.Contains(screen, "Trust this host") {
		t.Error("asked to trust a known host")
	}
	for _, secret := range []string{testPassphrase, "not the passphrase", "horse"} {
		if strings.Contains(screen, secret) {
			t.Errorf("the screen showed the passphrase %q", secret)
		}
	}
	// the stored key is the file as given (still encrypted), never the passphrase
	stored, err := os.ReadFile(m.Draft().Repo.KeyFile)
	if err != nil || string(stored) != string(readTestKey(t, "enc_ed25519")) || strings.Contains(string(stored), testPassphrase) {
		t.Errorf("stored key: %v", err)
	}
}

// TestFlowBackKeepsDecryptedKey: after the passphrase, going back to the key
// step and choosing the same key does not ask the passphrase again.
func TestFlowBackKeepsDecryptedKey(t *testing.T) {
	w := newWorld(t, worldOpts{authorized: []string{"enc_ed25519"}, keys: map[string]string{"id_work": "enc_ed25519"}})
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor("encrypted")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 3 of 9 · Passphrase")
	s.Type(testPassphrase)
	s.Key(tea.KeyEnter)
	s.WaitFor("Trust this host and record its key? (y/n)")
	s.Key(tea.KeyEsc) // back over the passphrase step (done) to the key step
	s.WaitFor("Step 2 of 9 · Private key")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 4 of 9 · Host key")
	if strings.Count(s.ScreenText(), "Step 3 of 9") != 1 {
		t.Fatal("the passphrase was asked again for the same key")
	}
	w.checkAdded(s.trustCloneFinish(true), "enc_ed25519", []string{"ALL"})
}

func TestFlowPastedKey(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	// no keys: the picker opens on Generate (issue 15, defect 6)
	s.WaitFor("[Generate a new key]")
	s.WaitFor("gitjira_ed25519")
	s.Key(tea.KeyShiftTab)
	s.WaitFor("[Paste a key]")
	s.Paste(strings.ReplaceAll(string(readTestKey(t, "id_ed25519")), "\n", "\r\n"))
	s.WaitFor("Press enter to use it.")
	s.Key(tea.KeyEnter)
	m := s.trustCloneFinish(false)
	w.checkAdded(m, "id_ed25519", []string{"ALL"})
}

// TestFlowGenerateInFreshHome is the first-time onboarding on an account
// without ~/.ssh, as in the demo: the wizard generates a key with a
// passphrase into a ~/.ssh it creates, the git host (the AuthorizeKey hook,
// as the demo wires it) accepts it, and the stored key is the generated one.
func TestFlowGenerateInFreshHome(t *testing.T) {
	w := newWorld(t, worldOpts{noSSHDir: true})
	w.cfg.AuthorizeKey = func(pk ssh.PublicKey) (string, error) {
		w.srv.AuthorizeKey(pk)
		return "The demo server now accepts this key, as a git host's Add SSH key page would.", nil
	}
	w.cfg.NextSteps = "Connect a real repository:\ngitjira connect\nThe commits of an issue:\ngitjira issue DEMO-12"
	w.cfg.Temporary = true
	clip := &uitest.Buffer{}
	w.cfg.Clipboard = clip
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor("[Generate a new key]") // no keys: it opens there
	s.WaitFor("gitjira_ed25519")
	s.Key(tea.KeyDown)
	s.Key(tea.KeyDown)
	s.Type("onboarding pass")
	s.Key(tea.KeyEnter)
	s.Type("onboarding pass")
	s.Key(tea.KeyEnter)
	s.WaitFor("The demo server now accepts this key")

	path := filepath.Join(w.cfg.SSHDir, "gitjira_ed25519")
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(pub))
	// the whole public key reached the terminal on one line (not cut, not broken)
	if !strings.Contains(s.ScreenText(), line) {
		t.Errorf("the public key is not whole on the screen")
	}
	// c copies it with OSC 52
	s.Runes("c")
	s.WaitFor("Sent the public key to the clipboard (OSC 52)")
	if want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(line)) + "\a"; !strings.Contains(clip.String(), want) {
		t.Errorf("clipboard got %q, want %q", clip.String(), want)
	}

	s.Key(tea.KeyEnter)
	m := s.trustCloneFinish(true)
	r, err := m.Result()
	if err != nil {
		t.Fatal(err)
	}
	pk := parseAuthorized(t, pub)
	if r.KeyFingerprint != fingerprintOf(pk) {
		t.Errorf("key %s, generated %s", r.KeyFingerprint, fingerprintOf(pk))
	}
	stored, err := os.ReadFile(r.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := sshkeys.ParseWithPassphrase(stored, []byte("onboarding pass")); err != nil || k.Fingerprint != r.KeyFingerprint {
		t.Errorf("stored key: %v", err)
	}
	for p, mode := range map[string]os.FileMode{w.cfg.SSHDir: 0o700, path: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v", p, fi, err)
		}
	}
	screen := s.ScreenText()
	for _, want := range []string{"gitjira issue DEMO-12", "gitjira connect"} {
		if !strings.Contains(screen, want) {
			t.Errorf("finish screen lacks %q", want)
		}
	}
	if strings.Contains(screen, "onboarding pass") {
		t.Error("the passphrase was shown")
	}
	sum := w.cfg.Summary(r)
	if strings.Contains(sum, "Mirror") || !strings.Contains(sum, "gitjira issue DEMO-12") {
		t.Errorf("demo summary:\n%s", sum)
	}
}

func TestFlowChangedHostRefused(t *testing.T) {
	w := newWorld(t, worldOpts{hostKey: "host2_ed25519", keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	before := w.knownHosts()
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor(fingerprint(t, "id_ed25519")[:30])
	s.Key(tea.KeyEnter)
	s.WaitFor("WARNING: THE HOST KEY HAS CHANGED")
	s.WaitFor(fingerprint(t, "host2_ed25519"))
	s.Key(tea.KeyEnter) // no way forward
	s.Runes("y")
	s.Key(tea.KeyEsc)
	s.WaitFor("Step 2 of 9 · Private key")
	s.Key(tea.KeyCtrlC)
	m := s.final()
	if _, err := m.Result(); !errors.Is(err, ErrCancelled) {
		t.Fatalf("result: %v", err)
	}
	if strings.Contains(s.ScreenText(), "Step 6 of 9") {
		t.Error("went on to the clone with a changed host key")
	}
	if w.knownHosts() != before {
		t.Error("known_hosts changed")
	}
	if len(w.repos()) != 0 || len(w.mirrors()) != 0 {
		t.Error("something was added")
	}
}

// TestFlowUnknownHostDeclined: "n" says what happened and what to do, and
// nothing is recorded; "y" afterwards goes on.
func TestFlowUnknownHostDeclined(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor(fingerprint(t, "id_ed25519")[:30])
	s.Key(tea.KeyEnter)
	s.WaitFor("Trust this host and record its key? (y/n)")
	s.Runes("n")
	s.WaitFor("Not trusted: nothing was recorded")
	s.WaitFor("Ask the host's admin")
	if w.knownHosts() != "" {
		t.Fatal("a declined host was recorded")
	}
	s.Runes("y")
	w.checkAdded(s.trustCloneFinish(false), "id_ed25519", []string{"ALL"})
}

func TestFlowAuthRefusedBackToKey(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"a_stranger": "stranger_ed25519", "id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor(fingerprint(t, "stranger_ed25519")[:30]) // listed first (a_stranger < id_ed25519)
	s.Key(tea.KeyEnter)
	s.WaitFor("does not accept this key yet") // the authorize step offers the ways, and another key
	s.Key(tea.KeyEnd)
	s.Key(tea.KeyEnter)
	s.WaitFor("Add this public key") // back on the key step
	s.WaitFor("The server refused key " + fingerprint(t, "stranger_ed25519"))
	if len(w.mirrors()) != 0 {
		t.Errorf("mirror left after a refusal: %v", w.mirrors())
	}
	// choose the right key and go on
	s.Key(tea.KeyDown)
	s.Key(tea.KeyEnter)
	m := s.trustCloneFinish(false)
	w.checkAdded(m, "id_ed25519", []string{"ALL"})
}

// TestFlowNotFoundBackToLocation: a wrong path is reported on the location
// step, with the location kept to correct.
func TestFlowNotFoundBackToLocation(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.srv.URL("/missing.git"))
	s.WaitFor(fingerprint(t, "id_ed25519")[:30])
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 1 of 9 · Repository location")
	s.WaitFor(`repository "/missing.git" not found`)
	s.WaitFor("Correct the location and press enter")
	for range len("missing.git") {
		s.Key(tea.KeyBackspace)
	}
	s.Type("demo.git")
	s.WaitFor("Name: demo")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 2 of 9 · Private key")
	s.WaitFor(fingerprint(t, "id_ed25519")[:30]) // the key is still selected
	s.Key(tea.KeyEnter)
	w.checkAdded(s.trustCloneFinish(false), "id_ed25519", []string{"ALL"})
}

// TestFlowRefusedPortBackToLocation: nothing listens on the port: said on
// the location step, not on the host key step.
func TestFlowRefusedPortBackToLocation(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := startSession(t, w.cfg)
	s.typeLocation("ssh://git@" + addr + "/demo.git")
	s.WaitFor(fingerprint(t, "id_ed25519")[:30])
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 1 of 9 · Repository location")
	s.WaitFor("connection to " + addr + " refused")
	s.Key(tea.KeyCtrlC)
	if _, err := s.final().Result(); !errors.Is(err, ErrCancelled) {
		t.Fatal(err)
	}
}

// TestFlowAlreadyConnected: the same location connected twice is offered as
// already connected, with the command to fetch it.
func TestFlowAlreadyConnected(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.Key(tea.KeyEnter)
	w.checkAdded(s.trustCloneFinish(false), "id_ed25519", []string{"ALL"})

	s = startSession(t, w.cfg)
	s.WaitFor("Step 1 of 9")
	s.Type(w.url())
	s.WaitFor(`already connected as "demo"`)
	s.WaitFor("gitjira repos fetch demo")
	s.Key(tea.KeyEnter)
	s.Key(tea.KeyCtrlC)
	s.final()
	if strings.Contains(s.ScreenText(), "Step 2 of 9") {
		t.Error("went on with an already connected location")
	}
	if len(w.repos()) != 1 {
		t.Errorf("list %+v", w.repos())
	}
}

// TestFlowAgentKey: a key held by ssh-agent is offered, signs the clone,
// and the review says the repository needs the agent later.
func TestFlowAgentKey(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.trustHost("host_ed25519")
	w.cfg.AgentSocket = startAgent(t, "id_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor("ssh-agent")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 7 of 9 · Permissions")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 8 of 9 · Review")
	s.WaitFor("No copy of the key: ssh-agent holds it")
	if len(w.mirrors()) != 1 {
		t.Fatalf("the agent's key did not clone: %v", w.mirrors())
	}
	s.Key(tea.KeyCtrlC)
	if _, err := s.final().Result(); !errors.Is(err, ErrCancelled) {
		t.Fatal(err)
	}
	if len(w.mirrors()) != 0 || len(w.repos()) != 0 || len(w.journal()) != 0 {
		t.Errorf("left: %v %v %v", w.mirrors(), w.repos(), w.journal())
	}
}

func TestFlowCancelDuringClone(t *testing.T) {
	// the server stalls after 2 KiB of pack, so the clone is surely running
	w := newWorld(t, worldOpts{stallAfter: 2048, keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor(fingerprint(t, "id_ed25519")[:30])
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 6 of 9 · Clone")
	s.WaitFor("Elapsed")
	s.Key(tea.KeyCtrlC)
	s.WaitFor("Cancel the clone and quit? (y/n)")
	s.Runes("y")
	m := s.final()
	if _, err := m.Result(); !errors.Is(err, ErrCancelled) {
		t.Fatalf("result: %v", err)
	}
	if left := w.mirrors(); len(left) != 0 {
		t.Errorf("left in the mirrors dir: %v", left)
	}
	if len(w.repos()) != 0 {
		t.Error("a repository was added")
	}
}

func TestFlowRestrictToTwoProjects(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	site := jiratest.NewServer(t)
	client, err := jira.NewClient(site.URL, jiratest.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	w.cfg.Projects = client
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor(fingerprint(t, "id_ed25519")[:30])
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 7 of 9 · Permissions")
	s.Key(tea.KeyDown)
	s.WaitFor("[ ] PROJ")
	s.Key(tea.KeyDown)
	s.Key(tea.KeySpace)
	s.WaitFor("[x] OPS")
	s.Key(tea.KeyDown)
	s.Key(tea.KeySpace)
	s.WaitFor("2 selected: OPS, PROJ")
	s.Key(tea.KeyEnter)
	s.WaitFor("Projects    OPS, PROJ")
	s.Key(tea.KeyEnter)
	s.WaitFor("Press enter to exit.")
	s.Key(tea.KeyEnter)
	m := s.final()
	r := w.checkAdded(m, "id_ed25519", []string{"OPS", "PROJ"})
	if r.IssueKeys != 0 {
		t.Errorf("%d issue keys of other projects counted (the sample mentions DEMO-n only)", r.IssueKeys)
	}
}

func TestFlowRestrictTypedKeys(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.WaitFor(fingerprint(t, "id_ed25519")[:30])
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 7 of 9 · Permissions")
	s.Key(tea.KeyDown)
	s.WaitFor("Project keys:")
	s.Type("demo, ops")
	s.Key(tea.KeyEnter)
	s.WaitFor("Projects    DEMO, OPS")
	s.Key(tea.KeyEnter)
	s.WaitFor("Press enter to exit.")
	s.Key(tea.KeyEnter)
	r := w.checkAdded(s.final(), "id_ed25519", []string{"DEMO", "OPS"})
	if r.IssueKeys == 0 {
		t.Error("DEMO issue keys not indexed")
	}
}

// TestFlowSmallTerminal runs at 50x20: the host key question and the whole
// generated public key are on screen.
func TestFlowSmallTerminal(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.cfg.AuthorizeKey = func(pk ssh.PublicKey) (string, error) { w.srv.AuthorizeKey(pk); return "accepted", nil }
	s := startSessionSize(t, w.cfg, 50, 20)
	s.typeLocation(w.url())
	s.WaitFor("[Generate a new key]")
	s.WaitFor("gitjira_ed25519")
	s.Key(tea.KeyEnter)
	s.WaitFor("Press enter to continue")
	pub, err := os.ReadFile(filepath.Join(w.cfg.SSHDir, "gitjira_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.ScreenText(), strings.TrimSpace(string(pub))) {
		t.Error("the public key is not whole on a 50-column screen")
	}
	s.Key(tea.KeyEnter)
	s.WaitFor("Trust this host and record its key? (y/n)")
	s.Runes("y")
	s.WaitFor("Step 7 of 9")
	s.Key(tea.KeyCtrlC)
	s.final()
}
