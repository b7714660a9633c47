package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/gitjira/gitjira/store"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/keys"
	"github.com/gitjira/gitjira/ui/uitest"
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
		Styles:         common.NewStyles(nil),
		Keys:           keys.Default(),
		Requests:       &common.Requests{},
	}
	testRequests = env.Requests
	return env, &Draft{}
}

// plain is a view without ANSI sequences.
func plain(s string) string { return uitest.Plain(s) }

// flat is a view without ANSI sequences and with all white space (wrapping)
// collapsed to single spaces, for assertions on wrapped text.
func flat(s string) string { return uitest.Flat(s) }

// testRequests are the request ids of the test's Env (testEnv): the
// driver drops stale results with them, as the wizard does. (No test of
// this package runs in parallel.)
var testRequests *common.Requests

// stepModel makes a Step a tea.Model for the shared driver (ui/uitest).
type stepModel struct{ s Step }

func (m stepModel) Init() tea.Cmd { return nil }
func (m stepModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	s, cmd := m.s.Update(msg)
	return stepModel{s}, cmd
}
func (m stepModel) View() string { return m.s.View().String() }

// driver runs a step with the shared driver (ui/uitest): commands run in
// goroutines, their messages come back to Update. Navigation messages
// (DoneMsg, BackMsg, GotoMsg) are collected instead, as the wizard would
// get them. s is the step as the last message left it.
type driver struct {
	t   *testing.T
	u   *uitest.Driver[stepModel]
	s   Step
	nav []tea.Msg
}

func newDriver(t *testing.T, s Step) *driver {
	d := &driver{t: t}
	d.u = uitest.NewDriver(t, stepModel{s}, 80, 16)
	d.u.Ticks = []string{"steps.cloneTickMsg"}
	d.u.Intercept = func(msg tea.Msg) bool {
		// Stale results are dropped as the wizard drops them (Model.reply).
		if r, ok := msg.(common.Reply); ok && testRequests != nil && !testRequests.Current(r.Answers()) {
			return true
		}
		switch msg.(type) {
		case DoneMsg, BackMsg, GotoMsg:
			d.nav = append(d.nav, msg)
			return true
		}
		return false
	}
	d.s = d.u.Model.s
	return d
}

// sync makes the driver's model the step the test may have replaced.
func (d *driver) sync() { d.u.Model = stepModel{d.s} }

// enter calls the step's Enter, as the wizard does when it becomes active.
func (d *driver) enter() *driver {
	d.sync()
	s, cmd := d.s.Enter()
	d.s = s
	d.u.Model = stepModel{s}
	d.u.Run(cmd)
	return d
}

// send gives a message to the step and runs its command.
func (d *driver) send(msg tea.Msg) *driver {
	d.sync()
	d.u.Send(msg)
	d.s = d.u.Model.s
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

// until processes messages until cond holds for the step (checked after
// each message); a navigation message that comes first fails the test.
func (d *driver) until(what string, cond func(s Step) bool) *driver {
	d.t.Helper()
	d.sync()
	n := len(d.nav)
	d.u.Until(what, func(m stepModel) bool {
		if cond(m.s) {
			return true
		}
		if len(d.nav) > n {
			d.t.Fatalf("waiting for %s: got %#v; view:\n%s", what, d.nav[n], plain(m.View()))
		}
		return false
	})
	d.s = d.u.Model.s
	return d
}

// waitNav processes messages until a navigation message arrives and returns it.
func (d *driver) waitNav(what string) tea.Msg {
	d.t.Helper()
	d.sync()
	n := len(d.nav)
	d.u.Until(what, func(stepModel) bool { return len(d.nav) > n })
	d.s = d.u.Model.s
	return d.nav[n]
}

// settle processes the messages that arrive within a short quiet period,
// for asserting that something does NOT happen.
func (d *driver) settle() *driver {
	d.sync()
	d.u.Settle()
	d.s = d.u.Model.s
	return d
}

// view is the step's screen as plain text, each copyable line whole on one line.
func (d *driver) view() string { return plain(d.s.View().String()) }

// rows are the screen's rows as the wizard's viewport gets them.
func (d *driver) rows() []string {
	s := d.s.View()
	return strings.Split(plain(common.StripMarks(s.Top+"\n"+s.Body+"\n"+s.Bottom)), "\n")
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
