package manage

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
)

// S syncs every repository; each row is updated as its sync lands.
func TestFlowSyncAll(t *testing.T) {
	w := newWorld(t)
	a := w.connect("api", 6, keyEd25519)
	b := w.connect("web", 4, keyECDSA)
	w.addCommits("api", 2)
	w.addCommits("web", 1)
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("web")
	d.Runes("S").UntilView("Synced 2 repositories: 3 new commits")
	for name, want := range map[string]int{"api": a.Commits + 2, "web": b.Commits + 1} {
		if r, _ := w.get(name); r.Commits != want {
			t.Errorf("%s has %d commits, want %d", name, r.Commits, want)
		}
	}
	d.Settle()
	if !strings.Contains(d.View(), " "+itoa(a.Commits+2)+" ") {
		t.Errorf("the new count is not on screen:\n%s", d.View())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// q during a sync cancels it and quits once it has stopped; the list is
// left as it was (lifecycle records nothing half-done).
func TestFlowQuitWaitsForSync(t *testing.T) {
	w := newWorld(t)
	before := w.connect("api", 6, keyEd25519)
	w.addCommits("api", 2)
	// The sync is held in its last phase (linking, which ignores the
	// cancel here) until the test has seen the screen quitting; a fetch may
	// send no progress event to hold it by, and a cancelled one ends at once.
	hold := make(chan struct{})
	cfg := w.cfg()
	cfg.Link = func(ctx context.Context, r store.Repository, added []index.CommitRef) (*jira.LinkReport, error) {
		<-hold
		return nil, ctx.Err()
	}
	m := newModel(cfg, newSession())
	s := startSession(t, m)
	s.WaitFor("api")
	s.Runes("s")
	s.WaitFor("indexing") // fetched and indexed: in the held linking phase
	s.Runes("q")
	s.WaitFor("Quitting: stopping the syncs")
	close(hold)
	fm := final(s)
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
	var clip bytes.Buffer
	m := newModel(w.cfg(), newSession())
	m.c.Clipboard = &clip
	d := newDriver(t, m, 80, 24)
	d.UntilView("web").Key(tea.KeyTab).UntilView("api, docs")
	// c copies the selected key's public half (OSC 52 on a terminal).
	d.Runes("c").UntilView("Sent the public key to the clipboard")
	pub := strings.TrimSpace(string(parseKey(t, keyEd25519).AuthorizedKey))
	if !strings.Contains(clip.String(), "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte(pub))) {
		t.Errorf("clipboard got %q, want the OSC 52 of %q", clip.String(), pub)
	}
	// d: the key is in use, so it is not removed, and the screen says why.
	d.Runes("d").UntilView("Cannot remove this key: in use by api, docs")
	d.Runes("k").UntilView("id_ecdsa")
	d.Key(tea.KeyEnter).UntilView("New key for api, docs, accepted by the server")
	want := parseKey(t, keyECDSA).Fingerprint
	for _, n := range []string{"api", "docs", "web"} {
		if r, _ := w.get(n); r.KeyFingerprint != want {
			t.Errorf("%s: key %s, want %s", n, r.KeyFingerprint, want)
		}
	}
	d.UntilView("api, docs, web")
}

// Without a terminal there is no clipboard: the list says how else to get
// the key (it is not on screen to select).
func TestCopyWithoutClipboard(t *testing.T) {
	c := &shared{}
	msg := copyCmd(c, "public key", "ssh-ed25519 AAAA", false)().(common.CopiedMsg)
	if !strings.Contains(msg.Text, "press v to show it") {
		t.Errorf("%+v", msg)
	}
	c.Clipboard = failingWriter{}
	msg = copyCmd(c, "public key", "x", false)().(common.CopiedMsg)
	if msg.Err == nil || !strings.Contains(msg.Text, "press v to show it") {
		t.Errorf("%+v", msg)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }
