// Package status is the status area of the UI layer: a few lines about what
// is selected or what just happened, each wrapped to the width at spaces,
// never cut to one row ("press ente…"), so a message always says all it has
// to say. A screen gives it the lines; it tells the screen how tall it is.
package status

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gitjira/gitjira/ui/common"
)

// Line is one message and its style.
type Line struct {
	Text  string
	Style lipgloss.Style
}

// Model is the status area.
type Model struct {
	lines []Line
	width int
	// MaxRows bounds the rows one line may wrap to (0: no bound); the last
	// row of a longer one ends with "…". The Manage screen leaves it 0 and
	// gives the body what remains.
	MaxRows int
}

// New makes an empty status area as wide as c.
func New(c common.Common) *Model { return &Model{width: c.Width} }

// Init implements common.Component (nothing to start).
func (m *Model) Init() tea.Cmd { return nil }

// Update implements common.Component: the area has no keys.
func (m *Model) Update(tea.Msg) (tea.Model, tea.Cmd) { return m, nil }

// ShortHelp implements common.Component: no keys.
func (m *Model) ShortHelp() []key.Binding { return nil }

// FullHelp implements common.Component: no keys.
func (m *Model) FullHelp() [][]key.Binding { return nil }

// SetSize sets the width (the height follows from the text).
func (m *Model) SetSize(width, _ int) { m.width = width }

// Set replaces the lines; empty ones are kept (they hold their row).
func (m *Model) Set(lines ...Line) { m.lines = lines }

// Lines is the lines set.
func (m *Model) Lines() []Line { return m.lines }

// Rows is the wrapped, styled rows.
func (m *Model) Rows() []string {
	var out []string
	for _, l := range m.lines {
		// Wrapped at spaces only (common.Wrap): paths and commands stay whole.
		rows := strings.Split(ansi.Strip(common.Wrap(lipgloss.NewStyle(), m.width, l.Text)), "\n")
		for i := range rows {
			rows[i] = strings.TrimRight(rows[i], " ")
		}
		if m.MaxRows > 0 && len(rows) > m.MaxRows {
			last := strings.Join(rows[m.MaxRows-1:], " ")
			rows = append(rows[:m.MaxRows-1], ansi.Truncate(last, max(1, m.width-1), "")+"…")
		}
		for _, r := range rows {
			out = append(out, l.Style.Render(r))
		}
	}
	return out
}

// Height is the rows the view takes.
func (m *Model) Height() int { return len(m.Rows()) }

// View is the rows, one under the other.
func (m *Model) View() string { return strings.Join(m.Rows(), "\n") }
