package steps

import (
	"fmt"
	"strings"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// Scroll is the one scrolling area of the wizard: the body of the active
// step (public keys, key lists, project lists, the refused-key block) in a
// bubbles viewport, with a line saying how much is hidden. It scrolls with
// page up/down and follows the step's focused line (Screen.Focus), so a
// list's selected row is always on screen. It counts rows, not logical
// lines: a copyable line is as many rows as the width makes it.
type Scroll struct {
	vp    viewport.Model
	rows  []string
	keys  KeyMap
	width int
}

// NewScroll makes the scroll area with the wizard's key map.
func NewScroll(k KeyMap) Scroll {
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{PageUp: k.PageUp, PageDown: k.PageDown}
	vp.MouseWheelEnabled = false
	return Scroll{vp: vp, keys: k}
}

// SetSize sets the width and the number of rows the area may take.
func (s *Scroll) SetSize(width, height int) {
	s.width = width
	s.vp.Width = width
	s.setHeight(height)
}

func (s *Scroll) setHeight(height int) {
	h := max(1, height)
	if len(s.rows) > h && h > 1 {
		h-- // one row says what is hidden
	}
	s.vp.Height = h
	s.vp.SetYOffset(s.vp.YOffset)
}

// Height is the number of rows the area was given.
func (s Scroll) Height() int {
	if s.Overflows() {
		return s.vp.Height + 1
	}
	return s.vp.Height
}

// SetContent replaces the text, keeping the scroll position, and scrolls
// just enough to show line focus (-1: none).
func (s *Scroll) SetContent(body string, focus int) {
	total := s.vp.Height
	if s.Overflows() {
		total++
	}
	if body == "" {
		s.rows = nil
	} else {
		s.rows = strings.Split(body, "\n")
	}
	s.vp.SetContent(body)
	s.setHeight(total)
	if focus >= 0 && focus < len(s.rows) {
		top, bottom := s.vp.YOffset, s.vp.YOffset+s.vp.Height
		last := focus
		// A copyable line is shown whole when it fits.
		for last+1 < len(s.rows) && strings.HasPrefix(s.rows[last+1], common.CodeCont) && last+1-focus < s.vp.Height {
			last++
		}
		switch {
		case focus < top:
			s.vp.SetYOffset(focus)
		case last >= bottom:
			s.vp.SetYOffset(last - s.vp.Height + 1)
		}
	}
}

// Top scrolls back to the first row (a new step).
func (s *Scroll) Top() { s.vp.GotoTop() }

// Overflows reports whether some rows are hidden.
func (s Scroll) Overflows() bool { return len(s.rows) > s.vp.Height || s.vp.YOffset > 0 }

// Update scrolls on page up/down; it reports whether the key was used.
func (s *Scroll) Update(msg tea.KeyMsg) bool {
	if !s.Overflows() {
		return false
	}
	if key.Matches(msg, s.keys.PageUp) || key.Matches(msg, s.keys.PageDown) {
		s.vp, _ = s.vp.Update(msg)
		return true
	}
	return false
}

// Rows are the visible rows, and under them the line saying what is
// hidden when anything is.
func (s Scroll) Rows(st Styles) []string {
	if len(s.rows) == 0 {
		return nil
	}
	off := s.vp.YOffset
	end := min(len(s.rows), off+s.vp.Height)
	out := append([]string(nil), s.rows[off:end]...)
	if s.Overflows() {
		above, below := off, len(s.rows)-end
		var parts []string
		if above > 0 {
			parts = append(parts, fmt.Sprintf("↑ %d above (pgup)", above))
		}
		if below > 0 {
			parts = append(parts, fmt.Sprintf("↓ %d more (pgdn)", below))
		}
		out = append(out, st.Hint.Render(common.Truncate(strings.Join(parts, " · "), s.width)))
	}
	return out
}

// Help lists the scroll keys while something is hidden.
func (s Scroll) Help() help.KeyMap {
	if !s.Overflows() {
		return common.NewHelp()
	}
	return common.NewHelp(key.NewBinding(key.WithKeys(append(s.keys.PageUp.Keys(), s.keys.PageDown.Keys()...)...), key.WithHelp("pgup/pgdn", "scroll")))
}
