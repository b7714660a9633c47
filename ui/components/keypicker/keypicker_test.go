package keypicker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/uitest"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// The fixed keys were made by ssh-keygen (wizard/testdata/README.md).
const keysDir = "../../../wizard/testdata/keys"

func readKey(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(keysDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newPicker(t *testing.T, sshDir string, w, h int) *uitest.Driver[*Model] {
	return uitest.NewDriver(t, New(common.New(), "key", Options{SSHDir: sshDir}), w, h)
}

// TestNoKeysOpensOnGenerate (issue 15, defect 6): with no key to choose,
// the picker opens on Generate, not on an empty list.
func TestNoKeysOpensOnGenerate(t *testing.T) {
	d := newPicker(t, t.TempDir(), 80, 20)
	d.Until("generate", func(m *Model) bool { return m.Mode() == ModeGenerate })
	d.UntilView("gitjira_ed25519").ViewHas("[Generate a new key]")
}

// TestKeysToldApart (defect 6): the list shows each key's comment, and the
// selected key's whole fingerprint; a fingerprint is never cut.
func TestKeysToldApart(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"id_ed25519", "stranger_ed25519"} {
		if err := os.WriteFile(filepath.Join(dir, n), readKey(t, n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, width := range []int{80, 140} {
		d := newPicker(t, dir, width, 20)
		d.Until("scan", func(m *Model) bool { return m.State().Scanned })
		st := d.Model.State()
		if len(st.Candidates) != 2 {
			t.Fatalf("candidates %+v", st.Candidates)
		}
		v := d.View()
		for _, c := range st.Candidates {
			if c.Key.Comment != "" && !strings.Contains(v, c.Key.Comment) {
				t.Errorf("%d columns: comment %q not shown:\n%s", width, c.Key.Comment, v)
			}
		}
		if fp := st.Candidates[0].Key.Fingerprint; !strings.Contains(v, fp) {
			t.Errorf("%d columns: the selected key's whole fingerprint is not shown:\n%s", width, v)
		}
		if strings.Contains(v, "…") {
			t.Errorf("%d columns: something is cut:\n%s", width, v)
		}
	}
}

// TestPasteShowsFirstLineAndClears (defect 6): after a paste the box shows
// the BEGIN line (not the end of the key), and ctrl+u empties it.
func TestPasteShowsFirstLineAndClears(t *testing.T) {
	d := newPicker(t, t.TempDir(), 80, 14)
	d.Key(tea.KeyShiftTab).Key(tea.KeyShiftTab) // file → generate → paste
	if d.Model.Mode() != ModePaste {
		t.Fatalf("mode %d", d.Model.Mode())
	}
	key := string(readKey(t, "legacy_rsa")) // many lines: more than the box shows
	d.Paste(strings.ReplaceAll(key, "\n", "\r\n"))
	d.Until("parsed", func(m *Model) bool { return m.State().PasteKey != nil })
	d.Key(tea.KeyRight) // any update (a cursor blink) lays the box out again
	if v := d.View(); !strings.Contains(v, "-----BEGIN") {
		t.Fatalf("the first line scrolled away:\n%s", v)
	}
	d.Key(tea.KeyCtrlU)
	if st := d.Model.State(); st.PasteText != "" || st.PasteKey != nil {
		t.Fatalf("ctrl+u left %q", st.PasteText)
	}
	d.ViewLacks("✓")
}

// TestCopyOnlyWhatIsShown (defect 6): in the list, no public key is offered
// for copying (none is on screen); the generated key's screen offers it.
func TestCopyOnlyWhatIsShown(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "id_ed25519"), readKey(t, "id_ed25519"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newPicker(t, dir, 80, 30)
	d.Until("scan", func(m *Model) bool { return m.State().Scanned })
	if p := d.Model.Render(); p.Copy != "" {
		t.Errorf("the list offers %q for copying, not on screen", p.Copy)
	}
	d.Key(tea.KeyShiftTab) // generate
	d.Until("suggested path", func(m *Model) bool { return m.State().GenPath != "" })
	d.Key(tea.KeyEnter)
	d.Until("generated", func(m *Model) bool { return m.State().Generated != nil || m.State().Err != nil })
	g := d.Model.State().Generated
	if g == nil {
		t.Fatal(d.Model.State().Err)
	}
	if p := d.Model.Render(); p.Copy != g.Key.AuthorizedKey || !strings.Contains(uitest.Plain(common.JoinCode(p.Body.String())), g.Key.AuthorizedKey) {
		t.Errorf("the generated key's screen offers %q", p.Copy)
	}
}

// TestSaveAsCutAtTheStart (issue 15, defect 8): a "Save as" path longer
// than the line is cut at its start, with "…", so the file name shows.
func TestSaveAsCutAtTheStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a-rather-long-directory-name", "and-another-one")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	d := newPicker(t, dir, 50, 30)
	d.Until("generate", func(m *Model) bool { return m.Mode() == ModeGenerate && m.State().GenPath != "" })
	d.Key(tea.KeyDown).Key(tea.KeyDown) // type → path → passphrase: the path is shown, not edited
	var row string
	for _, l := range strings.Split(d.View(), "\n") {
		if strings.Contains(l, "Save as:") {
			row = strings.TrimRight(l, " ")
		}
	}
	if !strings.Contains(row, "…") || !strings.HasSuffix(row, "gitjira_ed25519") {
		t.Fatalf("Save as row %q: want the start cut with … and the file name whole", row)
	}
}
