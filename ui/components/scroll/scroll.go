// Package scroll is the scrolling area of the UI layer: text taller than the
// room it is given shows a window of rows and, under them, a line saying how
// much is hidden above and below. It scrolls on its keys and can follow a
// focused line (a list's selected row), so that row is always on screen. It
// counts rows as given: the caller wraps the text to the width first.
package scroll

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/keys"
)

// KeyMap is the scrolling keys. A zero binding is off: the wizard leaves the
// arrows to its lists and scrolls with page keys only (PageKeys).
type KeyMap struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
}

// AllKeys scrolls with the arrows, page keys, home and end (a page of text).
func AllKeys(k keys.KeyMap) KeyMap {
	return KeyMap{Up: k.Up, Down: k.Down, PageUp: k.PageUp, PageDown: k.PageDown, Home: k.Home, End: k.End}
}

// PageKeys scrolls with page up/down only (the arrows move a list in it).
func PageKeys(k keys.KeyMap) KeyMap { return KeyMap{PageUp: k.PageUp, PageDown: k.PageDown} }

// Model is the scrolling area (a common.Component).
type Model struct {
	hint   lipgloss.Style // the hidden-rows line
	keys   KeyMap
	rows   []string
	offset int
	width  int
	height int // the rows it may take, the hidden-rows line included
}

// New makes an empty area in c's styles, scrolling on keys (AllKeys or
// PageKeys of c.Keys).
func New(c common.Common, keys KeyMap) *Model {
	s := &Model{hint: c.Styles.Hint, keys: keys}
	s.SetSize(c.Width, c.Height)
	return s
}

// Init implements common.Component (nothing to start).
func (s *Model) Init() tea.Cmd { return nil }

// SetSize sets the width and the number of rows the area may take.
func (s *Model) SetSize(width, height int) {
	s.width, s.height = width, max(1, height)
	s.clamp()
}

// SetContent replaces the text, keeping the scroll position, and scrolls
// just enough to show row focus (-1: none).
func (s *Model) SetContent(body string, focus int) {
	if body == "" {
		s.rows = nil
	} else {
		s.rows = strings.Split(body, "\n")
	}
	s.clamp()
	if focus >= 0 && focus < len(s.rows) {
		vis := s.visible()
		last := focus
		// A copyable line (common.CodeBlock) is shown whole when it fits.
		for last+1 < len(s.rows) && strings.HasPrefix(s.rows[last+1], common.CodeCont) && last+1-focus < vis {
			last++
		}
		switch {
		case focus < s.offset:
			s.offset = focus
		case last >= s.offset+vis:
			s.offset = last - vis + 1
		}
		s.clamp()
	}
}

// visible is how many rows of text show: all of the height, less the
// hidden-rows line when some are hidden.
func (s *Model) visible() int {
	if len(s.rows) > s.height && s.height > 1 {
		return s.height - 1
	}
	return s.height
}

func (s *Model) clamp() {
	s.offset = min(s.offset, max(0, len(s.rows)-s.visible()))
	s.offset = max(0, s.offset)
}

// Top scrolls back to the first row.
func (s *Model) Top() { s.offset = 0 }

// Offset is the first row shown.
func (s *Model) Offset() int { return s.offset }

// Overflows reports whether some rows are hidden.
func (s *Model) Overflows() bool { return len(s.rows) > s.visible() }

// Height is the rows the view takes.
func (s *Model) Height() int {
	if s.Overflows() {
		return s.visible() + 1
	}
	return len(s.rows)
}

// Handles reports whether msg is a scrolling key while something is hidden.
func (s *Model) Handles(msg tea.KeyMsg) bool {
	k := s.keys
	return s.Overflows() && key.Matches(msg, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End)
}

// Update scrolls on the area's keys.
func (s *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || !s.Overflows() {
		return s, nil
	}
	k, page := s.keys, max(1, s.visible()-1)
	switch {
	case key.Matches(km, k.Up):
		s.offset--
	case key.Matches(km, k.Down):
		s.offset++
	case key.Matches(km, k.PageUp):
		s.offset -= page
	case key.Matches(km, k.PageDown):
		s.offset += page
	case key.Matches(km, k.Home):
		s.offset = 0
	case key.Matches(km, k.End):
		s.offset = len(s.rows)
	}
	s.clamp()
	return s, nil
}

// View is the visible rows and, when anything is hidden, the line saying
// what is.
func (s *Model) View() string {
	if len(s.rows) == 0 {
		return ""
	}
	end := min(len(s.rows), s.offset+s.visible())
	out := append([]string(nil), s.rows[s.offset:end]...)
	if s.Overflows() {
		above, below := s.offset, len(s.rows)-end
		var parts []string
		if above > 0 {
			parts = append(parts, fmt.Sprintf("↑ %d above", above))
		}
		if below > 0 {
			parts = append(parts, fmt.Sprintf("↓ %d more", below))
		}
		line := strings.Join(parts, " · ")
		if h := s.helpText(); h != "" {
			line += " (" + h + ")"
		}
		if s.width > 0 && ansi.StringWidth(line) > s.width {
			line = ansi.Truncate(line, s.width, "…")
		}
		out = append(out, s.hint.Render(line))
	}
	return strings.Join(out, "\n")
}

// helpText names the keys that scroll: "↑/↓ scroll" or "pgup/pgdn".
func (s *Model) helpText() string {
	if s.keys.Up.Enabled() && len(s.keys.Up.Keys()) > 0 {
		return "↑/↓ scroll"
	}
	if len(s.keys.PageUp.Keys()) > 0 {
		return "pgup/pgdn"
	}
	return ""
}

// ShortHelp lists the scrolling keys while something is hidden.
func (s *Model) ShortHelp() []key.Binding {
	if !s.Overflows() {
		return nil
	}
	if len(s.keys.Up.Keys()) > 0 {
		return []key.Binding{common.Join("↑/↓", "scroll", s.keys.Up, s.keys.Down)}
	}
	return []key.Binding{common.Join("pgup/pgdn", "scroll", s.keys.PageUp, s.keys.PageDown)}
}

// FullHelp is ShortHelp with the page keys.
func (s *Model) FullHelp() [][]key.Binding {
	h := s.ShortHelp()
	if h == nil {
		return nil
	}
	return [][]key.Binding{append(h, s.keys.PageUp, s.keys.PageDown)}
}
