package wizard

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/steps"
)

// toKeyStep types the URL and waits for the key list.
func (d *driver) toKeyStep(w *world) *driver {
	d.typeText(w.url()).untilView("✓ ssh://")
	d.key(tea.KeyEnter)
	return d.until("key list", func(m Model) bool {
		return m.Current() == steps.StepKey && !strings.Contains(plain(m.View()), "Looking for keys")
	})
}

// screen is one captured view, sanitized.
type screen struct{ name, view string }

// walk goes through every kind of screen of the wizard at the given size and
// returns them: the main path (encrypted key, unknown host, projects from
// Jira), a refused key and a changed host key.
func walk(t *testing.T, width, height int) []screen {
	var out []screen
	snap := func(w *world, d *driver, name string) {
		out = append(out, screen{name, w.sanitize(d.view())})
	}

	// main path
	w := newWorld(t, worldOpts{authorized: []string{"enc_ed25519"},
		keys: map[string]string{"id_ed25519": "id_ed25519", "id_work": "enc_ed25519", "legacy_rsa": "legacy_rsa"}})
	site := jiratest.NewServer(t)
	client, err := jira.NewClient(site.URL, jiratest.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	w.cfg.Projects = client
	d := newDriver(t, w.cfg, width, height)
	d.typeText(w.url()).untilView("✓ ssh://")
	snap(w, d, "1-location")
	d.key(tea.KeyEnter)
	d.until("key list", func(m Model) bool {
		return m.Current() == steps.StepKey && strings.Contains(plain(m.View()), "legacy_rsa")
	})
	snap(w, d, "2-key-list")
	d.key(tea.KeyDown).key(tea.KeyEnter)
	d.until("passphrase", func(m Model) bool { return m.Current() == steps.StepPassphrase })
	d.typeText(wrongPassphrase).key(tea.KeyEnter).untilView("attempt 1")
	snap(w, d, "3-passphrase-wrong")
	d.typeText(testPassphrase).key(tea.KeyEnter).untilView("Trust this host")
	snap(w, d, "4-hostkey-unknown")
	d.runes("y").until("permissions", func(m Model) bool { return m.Current() == steps.StepPermissions })
	d.settle() // the projects
	d.key(tea.KeyDown).untilView("[ ] PROJ")
	d.key(tea.KeyDown).runes(" ")
	snap(w, d, "6-permissions")
	d.key(tea.KeyEnter).until("finish", func(m Model) bool { return m.Current() == steps.StepFinish })
	d.untilView("Press enter to exit.")
	snap(w, d, "7-finish")
	d.key(tea.KeyEnter).until("quit", func(Model) bool { return d.quit })
	if r, err := d.m.Result(); err != nil || !r.AllowsProject("OPS") || r.AllowsProject("PROJ") {
		t.Fatalf("result %+v %v", r, err)
	}

	// a refused key
	w = newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "stranger_ed25519"}})
	w.trustHost("host_ed25519")
	d = newDriver(t, w.cfg, width, height).toKeyStep(w)
	d.key(tea.KeyEnter).untilView("The server refused")
	snap(w, d, "2b-key-auth-refused")

	// a changed host key
	w = newWorld(t, worldOpts{hostKey: "host2_ed25519", keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d = newDriver(t, w.cfg, width, height).toKeyStep(w)
	d.key(tea.KeyEnter).untilView("HAS CHANGED")
	snap(w, d, "5-hostkey-changed")

	for _, s := range out {
		for _, secret := range []string{testPassphrase, wrongPassphrase, "horse"} {
			if strings.Contains(s.view, secret) {
				t.Fatalf("screen %s shows the passphrase %q", s.name, secret)
			}
		}
	}
	return out
}

const wrongPassphrase = "wr0ng-pass"

// TestGolden compares representative screens at 80x24 with golden files
// (update with go test ./wizard -run TestGolden -update).
func TestGolden(t *testing.T) {
	for _, s := range walk(t, 80, 24) {
		t.Run(s.name, func(t *testing.T) {
			var b strings.Builder
			for _, l := range strings.Split(s.view, "\n") {
				b.WriteString(strings.TrimRight(l, " ") + "\n")
			}
			teatest.RequireEqualOutput(t, []byte(b.String()))
		})
	}
}

// TestScreensFit checks every screen at 80x24 and narrower: no line wider
// than the terminal, no more lines than it has, header and help visible.
func TestScreensFit(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {60, 20}, {44, 24}} {
		for _, s := range walk(t, size[0], size[1]) {
			lines := strings.Split(s.view, "\n")
			if len(lines) > size[1] {
				t.Errorf("%dx%d %s: %d lines", size[0], size[1], s.name, len(lines))
			}
			for _, l := range lines {
				if w := lipgloss.Width(l); w > size[0] {
					t.Errorf("%dx%d %s: line of %d cells: %q", size[0], size[1], s.name, w, l)
				}
			}
			if !strings.HasPrefix(lines[0], "gitjira") || !strings.Contains(s.view, "ctrl+c quit") {
				t.Errorf("%dx%d %s: header or help missing:\n%s", size[0], size[1], s.name, s.view)
			}
		}
	}
}

func TestBackKeepsValues(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	d := newDriver(t, w.cfg, 80, 24).toKeyStep(w)
	if !strings.Contains(d.view(), "Step 2 of 7 · Private key") || !strings.Contains(d.view(), "Repository ssh://git@127.0.0.1") {
		t.Fatalf("key step header:\n%s", d.view())
	}
	d.key(tea.KeyTab) // paste mode, to see it kept
	d.key(tea.KeyEsc).until("location", func(m Model) bool { return m.Current() == steps.StepLocation })
	if !strings.Contains(d.view(), "› "+w.url()) {
		t.Fatalf("the URL was not kept:\n%s", d.view())
	}
	d.key(tea.KeyEnter).until("key", func(m Model) bool { return m.Current() == steps.StepKey })
	if !strings.Contains(d.view(), "[Paste a key]") {
		t.Errorf("the key step's mode was not kept:\n%s", d.view())
	}
}

func TestHelpToggle(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	d := newDriver(t, w.cfg, 80, 24)
	// on the location step '?' is text
	d.runes("?")
	if strings.Contains(d.view(), "fewer keys") || !strings.Contains(d.view(), "› ?") {
		t.Fatalf("'?' did not go to the field:\n%s", d.view())
	}
	d.key(tea.KeyBackspace)
	d.toKeyStep(w)
	if !strings.Contains(d.view(), "? more") {
		t.Fatalf("no help hint:\n%s", d.view())
	}
	d.runes("?")
	if !strings.Contains(d.view(), "fewer keys") {
		t.Fatalf("full help not shown:\n%s", d.view())
	}
	d.runes("?")
	if strings.Contains(d.view(), "fewer keys") {
		t.Fatal("full help not hidden")
	}
}

func TestQuitAtOnce(t *testing.T) {
	w := newWorld(t, worldOpts{})
	d := newDriver(t, w.cfg, 80, 24)
	d.key(tea.KeyCtrlC).until("quit", func(Model) bool { return d.quit })
	if _, err := d.m.Result(); !errors.Is(err, ErrCancelled) {
		t.Fatalf("result: %v", err)
	}
}

func TestQuitWhileCloningAsksFirst(t *testing.T) {
	w := newWorld(t, worldOpts{stallAfter: 2048, keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d := newDriver(t, w.cfg, 80, 24).toKeyStep(w)
	d.key(tea.KeyEnter).untilView("Elapsed")
	d.key(tea.KeyCtrlC)
	if !strings.Contains(d.view(), "Cancel the clone and quit? (y/n)") {
		t.Fatalf("no confirmation:\n%s", d.view())
	}
	d.runes("n")
	if d.quit || strings.Contains(d.view(), "Cancel the clone and quit") || !d.m.Step(steps.StepClone).Busy() {
		t.Fatal("n did not keep cloning")
	}
	d.key(tea.KeyCtrlC).runes("y")
	d.until("quit", func(Model) bool { return d.quit })
	if len(w.mirrors()) != 0 {
		t.Errorf("left: %v", w.mirrors())
	}
}

func TestQuitAfterCloneRemovesMirror(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d := newDriver(t, w.cfg, 80, 24).toKeyStep(w)
	d.key(tea.KeyEnter).until("permissions", func(m Model) bool { return m.Current() == steps.StepPermissions })
	if len(w.mirrors()) != 1 {
		t.Fatalf("mirrors: %v", w.mirrors())
	}
	d.key(tea.KeyCtrlC).until("quit", func(Model) bool { return d.quit })
	if len(w.mirrors()) != 0 || len(w.repos()) != 0 {
		t.Errorf("left behind: mirrors %v, repos %v", w.mirrors(), w.repos())
	}
}

// TestRunPlainOutput runs the real program loop on a pipe-like input: no
// terminal means no colours, and ctrl+c cancels.
func TestRunPlainOutput(t *testing.T) {
	w := newWorld(t, worldOpts{})
	t.Setenv("NO_COLOR", "1")
	prev := lipgloss.DefaultRenderer()
	t.Cleanup(func() { lipgloss.SetDefaultRenderer(prev); lipgloss.SetColorProfile(termenv.Ascii) })
	var out bytes.Buffer
	r, err := Run(w.cfg, &slowReader{data: []byte("\x03")}, &out)
	if !errors.Is(err, ErrCancelled) || r != nil {
		t.Fatalf("Run = %v, %v", r, err)
	}
	if !strings.Contains(out.String(), "Step 1 of 7") {
		t.Errorf("first screen not drawn: %q", out.String())
	}
	if strings.Contains(out.String(), "\x1b[38;") || strings.Contains(out.String(), "\x1b[1m") {
		t.Errorf("colours or bold under NO_COLOR: %q", out.String())
	}
}

// slowReader gives its bytes after a pause, so the first screen is drawn
// before ctrl+c arrives; then it blocks like an idle terminal.
type slowReader struct {
	data []byte
	n    int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		r.n++
		sleep()
		return copy(p, r.data), nil
	}
	select {} // an idle terminal; bubbletea stops reading when it quits
}

func sleep() { time.Sleep(300 * time.Millisecond) }

// BenchmarkView measures one frame of the busiest screens at 80x24 (Bubble
// Tea renders at most 60 frames a second, so a frame must cost far less than 16 ms).
func BenchmarkView(b *testing.B) {
	w := newWorld(b, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519", "id_work": "enc_ed25519", "legacy_rsa": "legacy_rsa"}})
	d := newDriver(b, w.cfg, 80, 24).toKeyStep(w)
	b.Run("key-list", func(b *testing.B) {
		for b.Loop() {
			_ = d.m.View()
		}
	})
	d.key(tea.KeyEnter).untilView("Trust this host")
	b.Run("hostkey", func(b *testing.B) {
		for b.Loop() {
			_ = d.m.View()
		}
	})
}

// TestNoColor checks that on a terminal the styles are coloured, and that
// NO_COLOR turns every colour off (checked by hand in tmux too: 0 escape
// sequences on the screen with NO_COLOR=1).
func TestNoColor(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLORTERM", "")
	t.Setenv("CLICOLOR_FORCE", "")
	for _, tc := range []struct {
		noColor string
		want    termenv.Profile
	}{{"", termenv.ANSI256}, {"1", termenv.Ascii}} {
		t.Setenv("NO_COLOR", tc.noColor)
		var out bytes.Buffer
		r := newRenderer(&out, termenv.WithTTY(true))
		if got := r.ColorProfile(); got != tc.want {
			t.Errorf("NO_COLOR=%q: profile %v, want %v", tc.noColor, got, tc.want)
		}
		styled := steps.NewStyles(r).Error.Render("x")
		if colored := strings.Contains(styled, "\x1b["); colored != (tc.want != termenv.Ascii) {
			t.Errorf("NO_COLOR=%q: %q", tc.noColor, styled)
		}
	}
}

func TestResize(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519", "id_work": "enc_ed25519"}})
	d := newDriver(t, w.cfg, 80, 24).toKeyStep(w)
	for _, size := range [][2]int{{44, 16}, {120, 40}, {80, 24}} {
		d.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		lines := strings.Split(d.view(), "\n")
		if len(lines) > size[1] {
			t.Errorf("%v: %d lines", size, len(lines))
		}
		for _, l := range lines {
			if lipgloss.Width(l) > size[0] {
				t.Errorf("%v: line %q", size, l)
			}
		}
		if !strings.Contains(d.view(), "id_work") || !strings.Contains(d.view(), "ctrl+c quit") {
			t.Errorf("%v:\n%s", size, d.view())
		}
	}
}

func TestQuitAfterAddKeepsRepository(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d := newDriver(t, w.cfg, 80, 24).toKeyStep(w)
	d.key(tea.KeyEnter).until("permissions", func(m Model) bool { return m.Current() == steps.StepPermissions })
	d.key(tea.KeyEnter).untilView("Press enter to exit.")
	// esc cannot undo it; ctrl+c ends the wizard with the repository added
	d.key(tea.KeyEsc)
	if d.m.Current() != steps.StepFinish {
		t.Fatal("esc left the finish step after the add")
	}
	d.key(tea.KeyCtrlC).until("quit", func(Model) bool { return d.quit })
	r, err := d.m.Result()
	if err != nil || r.Name != "demo" {
		t.Fatalf("result %+v %v", r, err)
	}
	if len(w.mirrors()) != 1 || len(w.repos()) != 1 {
		t.Errorf("mirrors %v repos %v", w.mirrors(), w.repos())
	}
}
