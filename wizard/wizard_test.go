package wizard

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
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
	"github.com/gitjira/gitjira/ui/common"
)

// toKeyStep types the URL and waits for the key list.
func toKeyStep(d *driver, w *world) *driver {
	d.Type(w.url()).UntilView("✓ ssh://")
	d.Key(tea.KeyEnter)
	return d.Until("key list", func(m Model) bool {
		return m.Current() == steps.StepKey && !strings.Contains(plain(m.View()), "Looking for keys")
	})
}

// screen is one captured view, sanitized; must lists what it must show
// whatever the size (the question, the copyable line).
type screen struct {
	name, view string
	must       []string
	noGolden   bool // random content (a generated key)
}

// walk goes through every kind of screen of the wizard at the given size and
// returns them: the main path (encrypted key, unknown host, projects from
// Jira, review, finish), the location already connected, a refused key, a
// declined and a changed host key, a wrong path, a generated key.
func walk(t *testing.T, width, height int) []screen {
	var out []screen
	snap := func(w *world, d *driver, name string, must ...string) {
		out = append(out, screen{name: name, view: w.sanitize(d.View()), must: must})
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
	d.Type(w.url()).UntilView("✓ ssh://")
	snap(w, d, "1-location", "Where is the repository?", "Name: demo")
	d.Key(tea.KeyEnter)
	d.Until("key list", func(m Model) bool {
		return m.Current() == steps.StepKey && strings.Contains(plain(m.View()), "legacy_rsa")
	})
	snap(w, d, "2-key-list", "Which private key")
	d.Key(tea.KeyDown).Key(tea.KeyEnter)
	d.Until("passphrase", func(m Model) bool { return m.Current() == steps.StepPassphrase })
	d.Type(wrongPassphrase).Key(tea.KeyEnter).UntilView("attempt 1")
	snap(w, d, "3-passphrase-wrong", "is encrypted", "wrong passphrase (attempt 1)")
	d.Type(testPassphrase).Key(tea.KeyEnter).UntilView("Trust this host")
	snap(w, d, "4-hostkey-unknown", "Trust this host and record its key? (y/n)")
	d.Runes("n").UntilView("Not trusted")
	snap(w, d, "4b-hostkey-declined", "Not trusted: nothing was recorded")
	d.Runes("y").Until("permissions", func(m Model) bool { return m.Current() == steps.StepPermissions })
	d.Settle() // the projects
	d.Key(tea.KeyDown).UntilView("[ ] PROJ")
	d.Key(tea.KeyDown).Runes(" ")
	snap(w, d, "6-permissions", "Which Jira projects", "1 selected: OPS")
	d.Key(tea.KeyEnter).Until("review", func(m Model) bool { return m.Current() == steps.StepReview })
	// (issue 15, defect 8) the review opens at its top, whatever the size
	snap(w, d, "7-review", "nothing is saved until you press enter", "Name demo", "Location ssh://",
		"Press enter to save")
	d.Key(tea.KeyCtrlU).Type("127.0.0.1/demo").Key(tea.KeyEnter)
	snap(w, d, "7b-review-web-invalid", `"127.0.0.1/demo" is not a web URL`, "Press enter to save")
	d.Key(tea.KeyCtrlU).Type("https://git.example.com/team/demo").Key(tea.KeyDown)
	snap(w, d, "7c-review-link", "Web page https://git.example.com", "(e to edit)",
		"› [x] Link commits to their Jira issues", "Press enter to save")
	d.Key(tea.KeyEnter).Until("finish", func(m Model) bool { return m.Current() == steps.StepFinish })
	d.UntilView("Press enter to exit.")
	snap(w, d, "8-finish", "✓ Added demo", "Press enter to exit.")
	d.Key(tea.KeyEnter).Until("quit", func(Model) bool { return d.Quit })
	if r, err := d.Model.Result(); err != nil || !r.AllowsProject("OPS") || r.AllowsProject("PROJ") ||
		r.WebURL != "https://git.example.com/team/demo" || r.Link == nil || !*r.Link {
		t.Fatalf("result %+v %v", r, err)
	}
	// the same location again
	d = newDriver(t, w.cfg, width, height)
	d.Type(w.url()).UntilView(`already connected as "demo"`)
	snap(w, d, "1b-location-connected", "already connected", "gitjira repos fetch demo")

	// a wrong path, found on the host key step, shown on the location step
	w = newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d = newDriver(t, w.cfg, width, height)
	d.Type(w.srv.URL("/nothing.git")).UntilView("✓ ssh://")
	d.Key(tea.KeyEnter).Until("key list", func(m Model) bool {
		return m.Current() == steps.StepKey && strings.Contains(plain(m.View()), "id_ed25519")
	})
	d.Key(tea.KeyEnter).Until("back on the location", func(m Model) bool {
		return m.Current() == steps.StepLocation && m.Draft().LocationErr != nil
	})
	snap(w, d, "1c-location-not-found", "not found", "Correct the location")

	// a refused key
	w = newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "stranger_ed25519"}})
	w.trustHost("host_ed25519")
	d = toKeyStep(newDriver(t, w.cfg, width, height), w)
	d.Key(tea.KeyEnter).UntilView("does not accept this key yet")
	snap(w, d, "2b-key-auth-refused", "does not accept this key yet", "> Add it yourself")

	// a changed host key
	w = newWorld(t, worldOpts{hostKey: "host2_ed25519", keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d = toKeyStep(newDriver(t, w.cfg, width, height), w)
	d.Key(tea.KeyEnter).UntilView("HAS CHANGED")
	snap(w, d, "5-hostkey-changed", "HAS CHANGED", "gitjira will not connect")

	// a generated key: the public key must be whole on screen
	w = newWorld(t, worldOpts{})
	d = toKeyStep(newDriver(t, w.cfg, width, height), w)
	d.UntilView("[Generate a new key]").UntilView("gitjira_ed25519") // no keys: it opens there
	d.Key(tea.KeyEnter).UntilView("Press enter to go on: the next step adds it")
	pub, err := os.ReadFile(filepath.Join(w.cfg.SSHDir, "gitjira_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, screen{name: "2c-key-generated", view: w.sanitize(d.View()), noGolden: true,
		must: []string{"Add this public key", "\x00" + strings.TrimSpace(string(pub))}})

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
		if s.noGolden {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			var b strings.Builder
			for _, l := range strings.Split(s.view, "\n") {
				b.WriteString(strings.TrimRight(l, " ") + "\n")
			}
			teatest.RequireEqualOutput(t, []byte(b.String()))
		})
	}
}

// TestScreensFit checks every screen at 80x24 and smaller: no line wider
// than the terminal, no more lines than it has, the header, the keys and
// what the screen is for (its question, its message, the public key to
// copy) visible.
func TestScreensFit(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {60, 20}, {50, 20}} {
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
			flat := strings.Join(strings.Fields(s.view), " ")
			for _, m := range s.must {
				if rows, ok := strings.CutPrefix(m, "\x00"); ok {
					// a copyable line: its rows, one after the other, all on screen
					if !strings.Contains(strings.ReplaceAll(s.view, "\n", ""), rows) {
						t.Errorf("%dx%d %s: %q not whole on screen:\n%s", size[0], size[1], s.name, rows, s.view)
					}
					continue
				}
				if !strings.Contains(flat, m) {
					t.Errorf("%dx%d %s: %q not on screen:\n%s", size[0], size[1], s.name, m, s.view)
				}
			}
		}
	}
}

func TestBackKeepsValues(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	d := toKeyStep(newDriver(t, w.cfg, 80, 24), w)
	if !strings.Contains(d.View(), "Step 2 of 9 · Private key") || !strings.Contains(d.View(), "Repository ssh://git@127.0.0.1") {
		t.Fatalf("key step header:\n%s", d.View())
	}
	d.Key(tea.KeyTab) // paste mode, to see it kept
	d.Key(tea.KeyEsc).Until("location", func(m Model) bool { return m.Current() == steps.StepLocation })
	if !strings.Contains(d.View(), "› "+w.url()) {
		t.Fatalf("the URL was not kept:\n%s", d.View())
	}
	d.Key(tea.KeyEnter).Until("key", func(m Model) bool { return m.Current() == steps.StepKey })
	if !strings.Contains(d.View(), "[Paste a key]") {
		t.Errorf("the key step's mode was not kept:\n%s", d.View())
	}
}

func TestHelpToggle(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	d := newDriver(t, w.cfg, 80, 24)
	// on the location step '?' is never text (issue 15, defect 7): it is
	// the help key there too
	if !strings.Contains(d.View(), "? more") {
		t.Fatalf("no help hint on the location step:\n%s", d.View())
	}
	d.Runes("?")
	if !strings.Contains(d.View(), "fewer keys") || strings.Contains(d.View(), "› ?") {
		t.Fatalf("'?' went to the field:\n%s", d.View())
	}
	d.Runes("?")
	toKeyStep(d, w)
	if !strings.Contains(d.View(), "? more") {
		t.Fatalf("no help hint:\n%s", d.View())
	}
	d.Runes("?")
	if !strings.Contains(d.View(), "fewer keys") {
		t.Fatalf("full help not shown:\n%s", d.View())
	}
	d.Runes("?")
	if strings.Contains(d.View(), "fewer keys") {
		t.Fatal("full help not hidden")
	}
}

func TestQuitAtOnce(t *testing.T) {
	w := newWorld(t, worldOpts{})
	d := newDriver(t, w.cfg, 80, 24)
	d.Key(tea.KeyCtrlC).Until("quit", func(Model) bool { return d.Quit })
	if _, err := d.Model.Result(); !errors.Is(err, ErrCancelled) {
		t.Fatalf("result: %v", err)
	}
}

func TestQuitWhileCloningAsksFirst(t *testing.T) {
	w := newWorld(t, worldOpts{stallAfter: 2048, keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d := toKeyStep(newDriver(t, w.cfg, 80, 24), w)
	d.Key(tea.KeyEnter).UntilView("Elapsed")
	d.Key(tea.KeyCtrlC)
	if !strings.Contains(d.View(), "Cancel the clone and quit? (y/n)") {
		t.Fatalf("no confirmation:\n%s", d.View())
	}
	d.Runes("n")
	if d.Quit || strings.Contains(d.View(), "Cancel the clone and quit") || !d.Model.Step(steps.StepClone).Busy() {
		t.Fatal("n did not keep cloning")
	}
	d.Key(tea.KeyCtrlC).Runes("y")
	d.Until("quit", func(Model) bool { return d.Quit })
	if len(w.mirrors()) != 0 {
		t.Errorf("left: %v", w.mirrors())
	}
}

func TestQuitAfterCloneRemovesMirror(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d := toKeyStep(newDriver(t, w.cfg, 80, 24), w)
	d.Key(tea.KeyEnter).Until("permissions", func(m Model) bool { return m.Current() == steps.StepPermissions })
	if len(w.mirrors()) != 1 {
		t.Fatalf("mirrors: %v", w.mirrors())
	}
	d.Key(tea.KeyCtrlC).Until("quit", func(Model) bool { return d.Quit })
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
	r, err := Run(context.Background(), w.cfg, &slowReader{data: []byte("\x03")}, &out)
	if !errors.Is(err, ErrCancelled) || r != nil {
		t.Fatalf("Run = %v, %v", r, err)
	}
	if !strings.Contains(out.String(), "Step 1 of 9") {
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

// BenchmarkView measures one frame of the busiest screens at 80x24: the
// layout (the step's view, the scroll area) that Update does after each
// message, and View (Bubble Tea renders at most 60 frames a second, so a
// frame must cost far less than 16 ms).
func BenchmarkView(b *testing.B) {
	w := newWorld(b, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519", "id_work": "enc_ed25519", "legacy_rsa": "legacy_rsa"}})
	d := toKeyStep(newDriver(b, w.cfg, 80, 24), w)
	frame := func(b *testing.B) {
		for b.Loop() {
			m := d.Model
			m.layout()
			_ = m.View()
		}
	}
	b.Run("key-list", frame)
	d.Key(tea.KeyEnter).UntilView("Trust this host")
	b.Run("hostkey", frame)
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
		styled := common.NewStyles(r).Error.Render("x")
		if colored := strings.Contains(styled, "\x1b["); colored != (tc.want != termenv.Ascii) {
			t.Errorf("NO_COLOR=%q: %q", tc.noColor, styled)
		}
	}
}

func TestResize(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519", "id_work": "enc_ed25519"}})
	d := toKeyStep(newDriver(t, w.cfg, 80, 24), w)
	for _, size := range [][2]int{{44, 16}, {120, 40}, {80, 24}} {
		d.Send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		lines := strings.Split(d.View(), "\n")
		if len(lines) > size[1] {
			t.Errorf("%v: %d lines", size, len(lines))
		}
		for _, l := range lines {
			if lipgloss.Width(l) > size[0] {
				t.Errorf("%v: line %q", size, l)
			}
		}
		if !strings.Contains(d.View(), "id_work") || !strings.Contains(d.View(), "ctrl+c quit") {
			t.Errorf("%v:\n%s", size, d.View())
		}
	}
}

func TestQuitAfterAddKeepsRepository(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d := toKeyStep(newDriver(t, w.cfg, 80, 24), w)
	d.Key(tea.KeyEnter).Until("permissions", func(m Model) bool { return m.Current() == steps.StepPermissions })
	d.Key(tea.KeyEnter).Until("review", func(m Model) bool { return m.Current() == steps.StepReview })
	d.Key(tea.KeyEnter).UntilView("Press enter to exit.")
	// esc cannot undo it; ctrl+c ends the wizard with the repository added
	d.Key(tea.KeyEsc)
	if d.Model.Current() != steps.StepFinish {
		t.Fatal("esc left the finish step after the add")
	}
	d.Key(tea.KeyCtrlC).Until("quit", func(Model) bool { return d.Quit })
	r, err := d.Model.Result()
	if err != nil || r.Name != "demo" {
		t.Fatalf("result %+v %v", r, err)
	}
	if len(w.mirrors()) != 1 || len(w.repos()) != 1 {
		t.Errorf("mirrors %v repos %v", w.mirrors(), w.repos())
	}
}

// TestFrame: in raw mode (the renderer does not cut lines) a copyable line
// whose rows are all on screen is written whole, its other rows only move
// the cursor; every line starts at its row and erases the rest of it.
func TestFrame(t *testing.T) {
	rows := []string{
		"title",
		common.CodeStart + "aaaaa", common.CodeCont + "bbbbb", common.CodeCont + "cc" + common.CodeEnd,
		common.CodeStart + "ddddd", common.CodeCont + "ee", // cut by the scroll: no end
		"help",
	}
	got := strings.Split(frame(rows, 5), "\n")
	want := []string{
		"\x1b[1;1Htitle", // exactly the width: no erase (it would take the last cell)
		"\x1b[2;1Haaaaabbbbbcc\x1b[K\x1b[2;1H",
		"\x1b[3;1H",
		"\x1b[4;1H",
		"\x1b[5;1Hddddd",
		"\x1b[6;1Hee\x1b[K",
		"\x1b[7;1Hhelp\x1b[K",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("frame:\n%q\nwant\n%q", got, want)
	}
}

// TestRawModeKeepsLongLines: with the program's size filter the model knows
// the renderer will not cut lines, and the public key is one line of the
// view (the terminal wraps it); without it, rows of at most the width.
func TestRawModeKeepsLongLines(t *testing.T) {
	w := newWorld(t, worldOpts{})
	d := toKeyStep(newDriver(t, w.cfg, 50, 20), w)
	d.UntilView("[Generate a new key]").UntilView("gitjira_ed25519") // no keys: it opens there
	d.Key(tea.KeyEnter).UntilView("Press enter to go on: the next step adds it")
	pub, err := os.ReadFile(filepath.Join(w.cfg.SSHDir, "gitjira_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(pub))
	for _, l := range strings.Split(d.View(), "\n") {
		if lipgloss.Width(l) > 50 {
			t.Fatalf("a row wider than the terminal without raw mode: %q", l)
		}
	}
	d.Send(hideSize(nil, tea.WindowSizeMsg{Width: 50, Height: 20}))
	raw := d.Model.View()
	if !strings.Contains(plain(raw), line) {
		t.Fatalf("raw view lacks the whole key:\n%q", raw)
	}
	if n := strings.Count(raw, "\n") + 1; n > 20 {
		t.Errorf("%d lines in a 20-row terminal", n)
	}
}
