package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/gitjira/gitjira/store"
	"github.com/muesli/termenv"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// keysDir holds the fixed test keys (see wizard/testdata/README.md).
const keysDir = "../wizard/testdata/keys"

// testPassphrase is the passphrase of enc_ed25519.
const testPassphrase = "correct horse battery"

// readTestKey returns a fixed test key file's bytes.
func readTestKey(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(keysDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// copyKey copies a fixed test key (and its .pub) into dir with mode 0600.
func copyKey(t *testing.T, name, dir, as string) string {
	t.Helper()
	p := filepath.Join(dir, as)
	if err := os.WriteFile(p, readTestKey(t, name), 0o600); err != nil {
		t.Fatal(err)
	}
	if pub, err := os.ReadFile(filepath.Join(keysDir, name+".pub")); err == nil {
		if err := os.WriteFile(p+".pub", pub, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// testEnv is an Env whose files are all in a temporary directory.
func testEnv(t *testing.T) (*Env, *Draft) {
	t.Helper()
	root := t.TempDir()
	sshDir := filepath.Join(root, "ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	env := &Env{
		Paths:          store.Paths{Config: filepath.Join(root, "config"), Data: filepath.Join(root, "data")},
		KnownHostsFile: filepath.Join(sshDir, "known_hosts"),
		SSHConfigFile:  filepath.Join(sshDir, "config"),
		SSHDir:         sshDir,
		Timeout:        10 * time.Second,
		Styles:         NewStyles(nil),
		Keys:           DefaultKeyMap(),
	}
	return env, &Draft{}
}

var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07]*\x07`)

// plain is a view without ANSI sequences.
func plain(s string) string { return ansiRE.ReplaceAllString(s, "") }

// flat is a view without ANSI sequences and with all white space (wrapping)
// collapsed to single spaces, for assertions on wrapped text.
func flat(s string) string { return strings.Join(strings.Fields(plain(s)), " ") }

// driver runs a step like the Bubble Tea runtime would: commands run in
// goroutines, their messages come back to Update. Navigation messages
// (DoneMsg, BackMsg, GotoMsg) are collected instead, as the wizard would get them.
type driver struct {
	t    *testing.T
	s    Step
	msgs chan tea.Msg
	nav  []tea.Msg
}

func newDriver(t *testing.T, s Step) *driver {
	d := &driver{t: t, s: s, msgs: make(chan tea.Msg, 256)}
	s, cmd := s.Update(tea.WindowSizeMsg{Width: 80, Height: 16})
	d.s = s
	d.run(cmd)
	return d
}

// enter calls the step's Enter, as the wizard does when it becomes active.
func (d *driver) enter() *driver {
	s, cmd := d.s.Enter()
	d.s = s
	d.run(cmd)
	return d
}

func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				d.run(c)
			}
			return
		}
		if msg != nil {
			d.msgs <- msg
		}
	}()
}

// ignored are timer messages: feeding them back would keep timers running forever.
func ignored(msg tea.Msg) bool {
	switch msg.(type) {
	case spinner.TickMsg, cloneTickMsg:
		return true
	}
	return strings.HasPrefix(fmt.Sprintf("%T", msg), "cursor.")
}

// send gives a message to the step and runs its command.
func (d *driver) send(msg tea.Msg) *driver {
	s, cmd := d.s.Update(msg)
	d.s = s
	d.run(cmd)
	return d
}

func (d *driver) key(k tea.KeyType) *driver { return d.send(tea.KeyMsg{Type: k}) }

// typeText sends one key message per rune, as typing does.
func (d *driver) typeText(s string) *driver {
	for _, r := range s {
		d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return d
}

// paste sends s as one bracketed paste.
func (d *driver) paste(s string) *driver {
	return d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true})
}

// until processes messages until cond holds for the step (checked after each
// message) or a navigation message arrives; it fails the test after 60 s.
func (d *driver) until(what string, cond func(s Step) bool) *driver {
	d.t.Helper()
	deadline := time.After(60 * time.Second)
	for !cond(d.s) {
		select {
		case msg := <-d.msgs:
			switch msg.(type) {
			case DoneMsg, BackMsg, GotoMsg:
				d.nav = append(d.nav, msg)
				if cond(d.s) {
					return d
				}
				d.t.Fatalf("waiting for %s: got %#v; view:\n%s", what, msg, d.view())
			}
			if !ignored(msg) {
				d.send(msg)
			}
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; view:\n%s", what, d.view())
		}
	}
	return d
}

// waitNav processes messages until a navigation message arrives and returns it.
func (d *driver) waitNav(what string) tea.Msg {
	d.t.Helper()
	n := len(d.nav)
	deadline := time.After(60 * time.Second)
	for len(d.nav) == n {
		select {
		case msg := <-d.msgs:
			switch msg.(type) {
			case DoneMsg, BackMsg, GotoMsg:
				d.nav = append(d.nav, msg)
				continue
			}
			if !ignored(msg) {
				d.send(msg)
			}
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; view:\n%s", what, d.view())
		}
	}
	return d.nav[n]
}

// settle processes the messages that arrive within a short quiet period,
// for asserting that something does NOT happen.
func (d *driver) settle() *driver {
	for {
		select {
		case msg := <-d.msgs:
			switch msg.(type) {
			case DoneMsg, BackMsg, GotoMsg:
				d.nav = append(d.nav, msg)
				continue
			}
			if !ignored(msg) {
				d.send(msg)
			}
		case <-time.After(300 * time.Millisecond):
			return d
		}
	}
}

// view is the step's screen as plain text, each copyable line whole on one line.
func (d *driver) view() string { return plain(d.s.View().String()) }

// rows are the screen's rows as the wizard's viewport gets them.
func (d *driver) rows() []string {
	s := d.s.View()
	return strings.Split(plain(StripMarks(s.Top+"\n"+s.Body+"\n"+s.Bottom)), "\n")
}

// viewHas fails unless the flattened view contains every want.
func (d *driver) viewHas(wants ...string) {
	d.t.Helper()
	v := flat(d.view())
	for _, w := range wants {
		if !strings.Contains(v, strings.Join(strings.Fields(w), " ")) {
			d.t.Errorf("view lacks %q; view:\n%s", w, d.view())
		}
	}
}

func (d *driver) viewLacks(wants ...string) {
	d.t.Helper()
	v := flat(d.view())
	for _, w := range wants {
		if strings.Contains(v, w) {
			d.t.Errorf("view has %q; view:\n%s", w, d.view())
		}
	}
}

// viewFits checks that every row of the screen fits the width (copyable
// lines included: they are given to the viewport in rows).
func (d *driver) viewFits(width int) {
	d.t.Helper()
	for _, l := range d.rows() {
		if lipgloss.Width(l) > width {
			d.t.Errorf("line wider than %d: %q", width, l)
		}
	}
}
