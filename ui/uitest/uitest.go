// Package uitest is the one test driver of gitjira's terminal UI, shared by
// the wizard's, the steps', the components' and the Manage screen's tests.
//
// Driver runs a model as Bubble Tea does (commands in goroutines, their
// messages back to Update) but lets the test look at View() between
// messages, hold back chosen messages and release them later (results that
// arrive after the user moved on), and drops timer messages (spinners,
// cursors) so screens stay still. Session runs a real tea.Program on a
// buffer and waits for text on the screen (teatest's shape, with the
// program options the caller needs).
package uitest

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
)

// Timeout bounds every wait of a driver or a session.
var Timeout = 60 * time.Second

var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b[=>78]`)

// Plain is s without escape sequences.
func Plain(s string) string { return ansiRE.ReplaceAllString(s, "") }

// Flat is s without escape sequences, its runs of white space made one
// space (a wrapped paragraph compares as one line).
func Flat(s string) string { return strings.Join(strings.Fields(Plain(s)), " ") }

// Ticker reports whether msg is a timer message the drivers drop: spinner
// ticks, cursor blinks, and the types named in extra ("steps.cloneTickMsg").
func Ticker(msg tea.Msg, extra ...string) bool {
	if _, ok := msg.(spinner.TickMsg); ok {
		return true
	}
	n := fmt.Sprintf("%T", msg)
	if strings.HasPrefix(n, "cursor.") {
		return true
	}
	for _, e := range extra {
		if n == e {
			return true
		}
	}
	return false
}

// Driver drives a root model M directly (see the package comment).
type Driver[M tea.Model] struct {
	t testing.TB
	// Model is the model as the last Update left it.
	Model M
	// Quit is set once the model sent tea.Quit.
	Quit bool
	// Ticks are the type names of further timer messages to drop.
	Ticks []string
	// Intercept, when set, sees each message a command produced before the
	// model does; it returns true to take it (it is then not sent).
	Intercept func(tea.Msg) bool

	msgs chan tea.Msg
	held []tea.Msg
	hold func(tea.Msg) bool
}

// NewDriver starts m (Init) and sends it the terminal size.
func NewDriver[M tea.Model](t testing.TB, m M, width, height int) *Driver[M] {
	d := &Driver[M]{t: t, Model: m, msgs: make(chan tea.Msg, 256)}
	d.Run(d.Model.Init())
	if width > 0 || height > 0 {
		d.Send(tea.WindowSizeMsg{Width: width, Height: height})
	}
	return d
}

// Run runs cmd as the runtime does: in a goroutine, a batch's commands
// each in theirs, a sequence's in order; their messages come back in Until
// and Settle.
func (d *Driver[M]) Run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				d.Run(c)
			}
			return
		}
		if fmt.Sprintf("%T", msg) == "tea.sequenceMsg" {
			v := reflect.ValueOf(msg)
			for i := 0; i < v.Len(); i++ {
				if c, _ := v.Index(i).Interface().(tea.Cmd); c != nil {
					if m := c(); m != nil {
						d.msgs <- m
					}
				}
			}
			return
		}
		if msg != nil {
			d.msgs <- msg
		}
	}()
}

// Send gives msg to the model and runs its command.
func (d *Driver[M]) Send(msg tea.Msg) *Driver[M] {
	if _, ok := msg.(tea.QuitMsg); ok {
		d.Quit = true
		return d
	}
	m, cmd := d.Model.Update(msg)
	mm, ok := m.(M)
	if !ok {
		d.t.Fatalf("Update returned %T, not %T", m, d.Model)
	}
	d.Model = mm
	d.Run(cmd)
	return d
}

// Key sends a key of type k (tea.KeyEnter, tea.KeyEsc, ...).
func (d *Driver[M]) Key(k tea.KeyType) *Driver[M] { return d.Send(tea.KeyMsg{Type: k}) }

// Runes sends s as one key message (a key such as "c" or "?").
func (d *Driver[M]) Runes(s string) *Driver[M] {
	return d.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)})
}

// Type sends one key message per rune, as typing does.
func (d *Driver[M]) Type(s string) *Driver[M] {
	for _, r := range s {
		d.Runes(string(r))
	}
	return d
}

// Paste sends s as one bracketed paste.
func (d *Driver[M]) Paste(s string) *Driver[M] {
	return d.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true})
}

// View is the model's view without escape sequences.
func (d *Driver[M]) View() string { return Plain(d.Model.View()) }

// Hold keeps back every message for which pred is true (instead of
// sending it) until Release: a result that comes late.
func (d *Driver[M]) Hold(pred func(tea.Msg) bool) *Driver[M] {
	d.hold = pred
	return d
}

// Held are the messages held back so far.
func (d *Driver[M]) Held() []tea.Msg { return d.held }

// Release stops holding and sends the held messages, in order.
func (d *Driver[M]) Release() *Driver[M] {
	held := d.held
	d.held, d.hold = nil, nil
	for _, m := range held {
		d.Send(m)
	}
	return d
}

// feed handles one message a command produced.
func (d *Driver[M]) feed(msg tea.Msg) {
	if Ticker(msg, d.Ticks...) {
		return
	}
	if d.hold != nil && d.hold(msg) {
		d.held = append(d.held, msg)
		return
	}
	if d.Intercept != nil && d.Intercept(msg) {
		return
	}
	d.Send(msg)
}

// Until feeds messages until cond holds (checked after each message).
func (d *Driver[M]) Until(what string, cond func(m M) bool) *Driver[M] {
	d.t.Helper()
	deadline := time.After(Timeout)
	for !cond(d.Model) {
		select {
		case msg := <-d.msgs:
			d.feed(msg)
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; view:\n%s", what, d.View())
		}
	}
	return d
}

// UntilView feeds messages until the view contains text.
func (d *Driver[M]) UntilView(text string) *Driver[M] {
	d.t.Helper()
	return d.Until(fmt.Sprintf("%q on screen", text), func(m M) bool { return strings.Contains(Plain(m.View()), text) })
}

// UntilHeld feeds messages until n messages are held.
func (d *Driver[M]) UntilHeld(what string, n int) *Driver[M] {
	d.t.Helper()
	deadline := time.After(Timeout)
	for len(d.held) < n {
		select {
		case msg := <-d.msgs:
			d.feed(msg)
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; view:\n%s", what, d.View())
		}
	}
	return d
}

// Settle feeds the messages that come within a short quiet time, for
// asserting that something does NOT happen.
func (d *Driver[M]) Settle() *Driver[M] {
	for {
		select {
		case msg := <-d.msgs:
			d.feed(msg)
		case <-time.After(250 * time.Millisecond):
			return d
		}
	}
}

// ViewHas fails the test unless the flattened view contains every want.
func (d *Driver[M]) ViewHas(wants ...string) {
	d.t.Helper()
	v := Flat(d.View())
	for _, w := range wants {
		if !strings.Contains(v, Flat(w)) {
			d.t.Errorf("view lacks %q; view:\n%s", w, d.View())
		}
	}
}

// ViewLacks fails the test if the flattened view contains any of wants.
func (d *Driver[M]) ViewLacks(wants ...string) {
	d.t.Helper()
	v := Flat(d.View())
	for _, w := range wants {
		if strings.Contains(v, Flat(w)) {
			d.t.Errorf("view has %q; view:\n%s", w, d.View())
		}
	}
}

// ---- a real program ----

// Buffer is a bytes.Buffer safe for a program writing and a test reading.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Session is a real tea.Program on a buffer, its screen output collected.
type Session struct {
	t    testing.TB
	P    *tea.Program
	Out  *Buffer
	pos  int // WaitFor searches after the last match
	done chan tea.Model
}

// Start runs m as a program of the given size with opts (besides input,
// output and signals, which Start sets); it is killed when the test ends.
func Start(t testing.TB, m tea.Model, width, height int, opts ...tea.ProgramOption) *Session {
	t.Helper()
	s := &Session{t: t, Out: &Buffer{}, done: make(chan tea.Model, 1)}
	all := append([]tea.ProgramOption{tea.WithInput(&bytes.Buffer{}), tea.WithOutput(s.Out), tea.WithoutSignals()}, opts...)
	s.P = tea.NewProgram(m, all...)
	go func() {
		fm, err := s.P.Run()
		if err != nil && !strings.Contains(err.Error(), "killed") {
			t.Errorf("program: %v", err)
		}
		s.done <- fm
	}()
	t.Cleanup(func() { s.P.Kill() })
	s.P.Send(tea.WindowSizeMsg{Width: width, Height: height})
	return s
}

// ScreenText is everything drawn so far, without escape sequences.
func (s *Session) ScreenText() string { return Plain(s.Out.String()) }

// WaitFor waits until text is drawn (after the previous match).
func (s *Session) WaitFor(text string) {
	s.t.Helper()
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		all := s.ScreenText()
		if i := strings.Index(all[min(s.pos, len(all)):], text); i >= 0 {
			s.pos += i + len(text)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	all := s.ScreenText()
	s.t.Fatalf("screen never showed %q; last output:\n%s", text, all[max(0, len(all)-3000):])
}

// Type sends one key message per rune.
func (s *Session) Type(text string) {
	for _, r := range text {
		s.P.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// Key sends a key of type k.
func (s *Session) Key(k tea.KeyType) { s.P.Send(tea.KeyMsg{Type: k}) }

// Runes sends r as one key message.
func (s *Session) Runes(r string) { s.P.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(r)}) }

// Paste sends text as one bracketed paste.
func (s *Session) Paste(text string) {
	s.P.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(text), Paste: true})
}

// Final waits for the program to end and returns its final model.
func (s *Session) Final() tea.Model {
	s.t.Helper()
	select {
	case m := <-s.done:
		return m
	case <-time.After(Timeout):
		s.t.Fatalf("the program did not end; last output:\n%s", s.ScreenText())
	}
	return nil
}

// T is the session's test.
func (s *Session) T() testing.TB { return s.t }
