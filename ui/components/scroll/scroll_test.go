package scroll

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/ui/common"
)

var c = common.New()

func text(n int) string {
	var ls []string
	for i := 0; i < n; i++ {
		ls = append(ls, fmt.Sprintf("line %d", i))
	}
	return strings.Join(ls, "\n")
}

func TestFitsWithoutAScrollLine(t *testing.T) {
	s := New(c, AllKeys(c.Keys))
	s.SetSize(40, 5)
	s.SetContent(text(5), -1)
	if s.Overflows() || s.View() != text(5) || s.Height() != 5 {
		t.Errorf("5 rows in 5: overflows=%v height=%d\n%s", s.Overflows(), s.Height(), s.View())
	}
}

func TestScrollsAndSaysWhatIsHidden(t *testing.T) {
	s := New(c, AllKeys(c.Keys))
	s.SetSize(40, 5)
	s.SetContent(text(12), -1)
	lines := strings.Split(s.View(), "\n")
	if len(lines) != 5 || lines[0] != "line 0" || lines[4] != "↓ 8 more (↑/↓ scroll)" {
		t.Fatalf("top:\n%s", s.View())
	}
	s.Update(tea.KeyMsg{Type: tea.KeyDown})
	if got := strings.Split(s.View(), "\n"); got[0] != "line 1" || got[4] != "↑ 1 above · ↓ 7 more (↑/↓ scroll)" {
		t.Errorf("down:\n%s", s.View())
	}
	s.Update(tea.KeyMsg{Type: tea.KeyEnd})
	if got := strings.Split(s.View(), "\n"); got[3] != "line 11" || got[4] != "↑ 8 above (↑/↓ scroll)" {
		t.Errorf("end:\n%s", s.View())
	}
	// A shorter text keeps no empty rows at the bottom.
	s.SetContent(text(7), -1)
	if got := strings.Split(s.View(), "\n"); got[3] != "line 6" {
		t.Errorf("after a shorter text:\n%s", s.View())
	}
}

func TestFollowsTheFocusedRow(t *testing.T) {
	s := New(c, PageKeys(c.Keys))
	s.SetSize(40, 4)
	for _, focus := range []int{0, 5, 9, 2} {
		s.SetContent(text(10), focus)
		if !strings.Contains(s.View(), fmt.Sprintf("line %d\n", focus)) {
			t.Errorf("focus %d not shown:\n%s", focus, s.View())
		}
	}
	if !strings.Contains(s.View(), "(pgup/pgdn)") {
		t.Errorf("page keys only: the line should name them:\n%s", s.View())
	}
	// The arrows belong to the list here.
	if s.Handles(tea.KeyMsg{Type: tea.KeyDown}) {
		t.Error("a zero Up/Down binding scrolls")
	}
}

// A focused copyable line that wraps over several rows is shown whole.
func TestFollowsAWholeCopyableLine(t *testing.T) {
	s := New(c, PageKeys(c.Keys))
	s.SetSize(20, 5)
	rows := strings.Split(text(10), "\n")
	rows = append(rows, strings.Split(common.CodeBlock(c.Styles.Code, 20, strings.Repeat("k", 50)), "\n")...)
	s.SetContent(strings.Join(rows, "\n"), 10)
	v := common.StripMarks(s.View())
	if strings.Count(v, "k") != 50 {
		t.Errorf("the copyable line is not whole:\n%s", v)
	}
}
