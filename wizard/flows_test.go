package wizard

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/jira/jiratest"
)

// These tests run the whole wizard as a program (teatest, 80x24, ASCII
// profile) against the in-process SSH git server, one path each.

// typeLocation types the server's URL on the first screen and moves on.
func (s *session) typeLocation(url string) {
	s.waitFor("Step 1 of 7 · Repository location")
	s.typeText(url)
	s.waitFor("✓ ")
	s.key(tea.KeyEnter)
	s.waitFor("Step 2 of 7 · Private key")
}

// afterKey goes from the host key question (when asked) to the end, with
// all projects, and returns the added repository.
func (s *session) trustCloneFinish(trust bool) Model {
	s.t.Helper()
	if trust {
		s.waitFor("Trust this host and record its key? (y/n)")
		s.runes("y")
	}
	s.waitFor("Step 6 of 7 · Permissions")
	s.key(tea.KeyEnter)
	s.waitFor("Step 7 of 7 · Finish")
	s.waitFor("Press enter to exit.")
	s.key(tea.KeyEnter)
	return s.final()
}

// checkAdded checks the result and the repositories list.
func (w *world) checkAdded(m Model, keyName string, projects []string) *jira.Repository {
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
	if len(list) != 1 || list[0].Name != "demo" || list[0].Mirror != w.cfg.Paths.MirrorDir("demo") {
		w.t.Fatalf("repositories list %+v", list)
	}
	if _, err := os.Stat(filepath.Join(list[0].Mirror, "HEAD")); err != nil {
		w.t.Errorf("mirror: %v", err)
	}
	return r
}

func TestFlowPlainKeyUnknownHostTrusted(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.waitFor(fingerprint(t, "id_ed25519")[:30])
	s.key(tea.KeyEnter)
	// no passphrase step for a plain key: straight to the host key
	s.waitFor("Step 4 of 7 · Host key")
	s.waitFor(fingerprint(t, "host_ed25519"))
	m := s.trustCloneFinish(true)
	if strings.Contains(s.screenText(), "Step 3 of 7") {
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
	for _, want := range []string{"Added demo", "Issue keys", r.URL, r.KeyFingerprint} {
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
	s.waitFor("encrypted")
	s.key(tea.KeyEnter)
	s.waitFor("Step 3 of 7 · Passphrase")
	s.typeText("not the passphrase")
	s.key(tea.KeyEnter)
	s.waitFor("wrong passphrase (attempt 1)")
	s.typeText(testPassphrase)
	s.key(tea.KeyEnter)
	// a known host: no question, straight on to the clone
	m := s.trustCloneFinish(false)
	w.checkAdded(m, "enc_ed25519", []string{"ALL"})
	screen := s.screenText()
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

func TestFlowPastedKey(t *testing.T) {
	w := newWorld(t, worldOpts{})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.waitFor("No private keys found")
	s.key(tea.KeyTab)
	s.waitFor("[Paste a key]")
	s.paste(strings.ReplaceAll(string(readTestKey(t, "id_ed25519")), "\n", "\r\n"))
	s.waitFor("Press enter to use it.")
	s.key(tea.KeyEnter)
	m := s.trustCloneFinish(false)
	w.checkAdded(m, "id_ed25519", []string{"ALL"})
}

func TestFlowGeneratedKey(t *testing.T) {
	w := newWorld(t, worldOpts{})
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.key(tea.KeyShiftTab)
	s.waitFor("[Generate a new key]")
	s.waitFor("gitjira_ed25519")
	s.key(tea.KeyEnter)
	s.waitFor("Press enter once it is added.")

	// the user adds the public key on the git host
	path := filepath.Join(w.cfg.SSHDir, "gitjira_ed25519")
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pk := parseAuthorized(t, pub)
	w.srv.AuthorizeKey(pk)
	s.key(tea.KeyEnter)
	m := s.trustCloneFinish(true)
	r, err := m.Result()
	if err != nil {
		t.Fatal(err)
	}
	if r.KeyFingerprint != fingerprintOf(pk) {
		t.Errorf("key %s, generated %s", r.KeyFingerprint, fingerprintOf(pk))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("generated key file: %v %v", fi, err)
	}
}

func TestFlowChangedHostRefused(t *testing.T) {
	w := newWorld(t, worldOpts{hostKey: "host2_ed25519", keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	before := w.knownHosts()
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.waitFor(fingerprint(t, "id_ed25519")[:30])
	s.key(tea.KeyEnter)
	s.waitFor("WARNING: THE HOST KEY HAS CHANGED")
	s.waitFor(fingerprint(t, "host2_ed25519"))
	s.key(tea.KeyEnter) // no way forward
	s.runes("y")
	s.key(tea.KeyEsc)
	s.waitFor("Step 2 of 7 · Private key")
	s.key(tea.KeyCtrlC)
	m := s.final()
	if _, err := m.Result(); !errors.Is(err, ErrCancelled) {
		t.Fatalf("result: %v", err)
	}
	if strings.Contains(s.screenText(), "Step 5 of 7") {
		t.Error("went on to the clone with a changed host key")
	}
	if w.knownHosts() != before {
		t.Error("known_hosts changed")
	}
	if len(w.repos()) != 0 || len(w.mirrors()) != 0 {
		t.Error("something was added")
	}
}

func TestFlowAuthRefusedBackToKey(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"a_stranger": "stranger_ed25519", "id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.waitFor(fingerprint(t, "stranger_ed25519")[:30]) // listed first (a_stranger < id_ed25519)
	s.key(tea.KeyEnter)
	s.waitFor("The server refused key " + fingerprint(t, "stranger_ed25519"))
	s.waitFor("Add this public key")
	if len(w.mirrors()) != 0 {
		t.Errorf("mirror left after a refusal: %v", w.mirrors())
	}
	// choose the right key and go on
	s.key(tea.KeyDown)
	s.key(tea.KeyEnter)
	m := s.trustCloneFinish(false)
	w.checkAdded(m, "id_ed25519", []string{"ALL"})
}

func TestFlowCancelDuringClone(t *testing.T) {
	// the server stalls after 2 KiB of pack, so the clone is surely running
	w := newWorld(t, worldOpts{stallAfter: 2048, keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	s := startSession(t, w.cfg)
	s.typeLocation(w.url())
	s.waitFor(fingerprint(t, "id_ed25519")[:30])
	s.key(tea.KeyEnter)
	s.waitFor("Step 5 of 7 · Clone")
	s.waitFor("Elapsed")
	s.key(tea.KeyCtrlC)
	s.waitFor("Cancel the clone and quit? (y/n)")
	s.runes("y")
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
	s.waitFor(fingerprint(t, "id_ed25519")[:30])
	s.key(tea.KeyEnter)
	s.waitFor("Step 6 of 7 · Permissions")
	s.key(tea.KeyDown)
	s.waitFor("[ ] PROJ")
	s.key(tea.KeyDown)
	s.key(tea.KeySpace)
	s.waitFor("[x] OPS")
	s.key(tea.KeyDown)
	s.key(tea.KeySpace)
	s.waitFor("2 selected: OPS, PROJ")
	s.key(tea.KeyEnter)
	s.waitFor("Press enter to exit.") // the projects are checked in the list below
	s.key(tea.KeyEnter)
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
	s.waitFor(fingerprint(t, "id_ed25519")[:30])
	s.key(tea.KeyEnter)
	s.waitFor("Step 6 of 7 · Permissions")
	s.key(tea.KeyDown)
	s.waitFor("Project keys:")
	s.typeText("demo, ops")
	s.key(tea.KeyEnter)
	s.waitFor("Press enter to exit.") // the projects are checked in the list below
	s.key(tea.KeyEnter)
	r := w.checkAdded(s.final(), "id_ed25519", []string{"DEMO", "OPS"})
	if r.IssueKeys == 0 {
		t.Error("DEMO issue keys not indexed")
	}
}
