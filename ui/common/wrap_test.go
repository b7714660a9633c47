package common

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

// TestWrapKeepsWordsWhole: hints are wrapped at spaces only, so a path
// with hyphens stays whole (copyable) where it fits; aligned labels keep
// their spaces; a word wider than the width is cut into rows of the width.
func TestWrapKeepsWordsWhole(t *testing.T) {
	st := lipgloss.NewStyle()
	path := "/tmp/gitjira-demo-581573950/ssh"
	out := Wrap(st, 40, "Generate writes the key into "+path+" and is created")
	rows := strings.Split(out, "\n")
	found := false
	for _, r := range rows {
		if lipgloss.Width(r) > 40 {
			t.Errorf("row wider than 40: %q", r)
		}
		if strings.Contains(r, path) {
			found = true
		}
	}
	if !found {
		t.Errorf("the path was broken across rows:\n%s", out)
	}
	if got := Wrap(st, 40, "Host        [127.0.0.1]:2222"); !strings.HasPrefix(got, "Host        [127.0.0.1]:2222") {
		t.Errorf("aligned label lost its spaces: %q", got)
	}
	long := strings.Repeat("x", 95)
	rows = strings.Split(Wrap(st, 40, "a "+long), "\n")
	for i := range rows {
		rows[i] = strings.TrimRight(rows[i], " ") // lipgloss pads rows to the width
	}
	if len(rows) != 4 || rows[0] != "a" || strings.Join(rows[1:], "") != long {
		t.Errorf("long word rows: %q", rows)
	}
	if got := Wrap(st, 30, "  indented hint that needs to wrap here"); !strings.HasPrefix(strings.Split(got, "\n")[1], "  ") {
		t.Errorf("continuation lost the indent: %q", got)
	}
}
