package manage

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
)

// S syncs every repository; each row is updated as its sync lands.
func TestFlowSyncAll(t *testing.T) {
	w := newWorld(t)
	a := w.connect("api", 6, keyEd25519)
	b := w.connect("web", 4, keyECDSA)
	w.addCommits("api", 2)
	w.addCommits("web", 1)
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.untilView("web")
	d.runes("S").untilView("Synced 2 repositories: 3 new commits")
	for name, want := range map[string]int{"api": a.Commits + 2, "web": b.Commits + 1} {
		if r, _ := w.get(name); r.Commits != want {
			t.Errorf("%s has %d commits, want %d", name, r.Commits, want)
		}
	}
	d.settle()
	if !strings.Contains(d.view(), " "+itoa(a.Commits+2)+" ") {
		t.Errorf("the new count is not on screen:\n%s", d.view())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// q during a sync cancels it and quits once it has stopped; the list is
// left as it was (lifecycle records nothing half-done).
func TestFlowQuitWaitsForSync(t *testing.T) {
	w := newWorld(t)
	before := w.connect("api", 6, keyEd25519)
	w.addCommits("api", 2)
	m := newModel(w.cfg(), newSession())
	hold := make(chan struct{})
	var once sync.Once
	m.syncs.gate = func(name string, p gitops.Progress) { once.Do(func() { <-hold }) }
	s := startSession(t, m)
	s.waitFor("api")
	s.runes("s")
	s.waitFor("connecting")
	s.runes("q")
	s.waitFor("Quitting: stopping the syncs")
	close(hold)
	fm := s.final()
	if fm.syncs.active() {
		t.Error("quit with a sync under way")
	}
	if r, _ := w.get("api"); r.Commits != before.Commits && r.Commits != before.Commits+2 {
		t.Errorf("commits %d: neither before nor after", r.Commits)
	}
}

// r on the SSH keys tab gives every repository using a key the new one.
func TestFlowReplaceSharedKey(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 4, keyEd25519)
	w.connect("docs", 4, keyEd25519)
	w.connect("web", 4, keyECDSA)
	if err := os.WriteFile(filepath.Join(w.sshDir, "id_ecdsa"), readKey(t, keyECDSA), 0o600); err != nil {
		t.Fatal(err)
	}
	var copied []string
	m := newModel(w.cfg(), newSession())
	m.c.clip = func(s string) error { copied = append(copied, s); return nil }
	d := newDriver(t, m, 80, 24)
	d.untilView("web").key(tea.KeyTab).untilView("api, docs")
	// y copies the selected key's public half (OSC 52 on a terminal).
	d.runes("y").untilView("Sent the public key to the clipboard")
	if len(copied) != 1 || !strings.HasPrefix(copied[0], "ssh-ed25519 ") {
		t.Errorf("copied %q", copied)
	}
	// x: the key is in use, so it is not removed, and the screen says why.
	d.runes("x").untilView("Cannot remove this key: in use by api, docs")
	d.runes("r").untilView("id_ecdsa")
	d.key(tea.KeyEnter).untilView("New key for api, docs, accepted by the server")
	want := parseKey(t, keyECDSA).Fingerprint
	for _, n := range []string{"api", "docs", "web"} {
		if r, _ := w.get(n); r.KeyFingerprint != want {
			t.Errorf("%s: key %s, want %s", n, r.KeyFingerprint, want)
		}
	}
	d.untilView("api, docs, web")
}

// Without a terminal there is no clipboard: the screen says how else to get the key.
func TestCopyWithoutClipboard(t *testing.T) {
	msg := copyCmd(nil, "public key", "ssh-ed25519 AAAA")()
	f := msg.(copiedMsg).flash()
	if !f.err || !strings.Contains(f.text, "press enter to show") {
		t.Errorf("flash %+v", f)
	}
	msg = copyCmd(func(string) error { return errors.New("broken pipe") }, "public key", "x")()
	if f := msg.(copiedMsg).flash(); !f.err || !strings.Contains(f.text, "broken pipe") {
		t.Errorf("flash %+v", f)
	}
}
