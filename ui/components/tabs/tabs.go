// Package tabs is the tab bar of the UI layer: titles, the active one in
// brackets, switched with the tab keys.
package tabs

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/ui/common"
)

// ActiveTabMsg says the active tab changed (the screen loads what it shows).
type ActiveTabMsg int

// Model is the tab bar (a common.Component): tab and shift+tab switch.
type Model struct {
	activeStyle, inactive lipgloss.Style
	next, prev            key.Binding
	titles                []string
	active                int
	width                 int
}

// New makes a bar with the titles, the first active, in c's styles and keys.
func New(c common.Common, titles ...string) *Model {
	return &Model{activeStyle: c.Styles.Cursor, inactive: c.Styles.Hint, next: c.Keys.NextMode, prev: c.Keys.PrevMode, titles: titles, width: c.Width}
}

// Init implements common.Component (nothing to start).
func (m *Model) Init() tea.Cmd { return nil }

// SetSize sets the width.
func (m *Model) SetSize(width, _ int) { m.width = width }

// Active is the index of the active tab.
func (m *Model) Active() int { return m.active }

// SetActive makes tab i active.
func (m *Model) SetActive(i int) {
	if i >= 0 && i < len(m.titles) {
		m.active = i
	}
}

// Update switches tabs on the keys; the change comes back as ActiveTabMsg.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || len(m.titles) == 0 {
		return m, nil
	}
	n := len(m.titles)
	switch {
	case key.Matches(km, m.prev):
		m.active = (m.active + n - 1) % n
	case key.Matches(km, m.next):
		m.active = (m.active + 1) % n
	default:
		return m, nil
	}
	i := m.active
	return m, func() tea.Msg { return ActiveTabMsg(i) }
}

// Handles reports whether msg switches tabs.
func (m *Model) Handles(msg tea.KeyMsg) bool { return key.Matches(msg, m.next, m.prev) }

// View is the bar: "[Repositories]  SSH keys ".
func (m *Model) View() string {
	var out []string
	for i, t := range m.titles {
		if i == m.active {
			out = append(out, m.activeStyle.Render("["+t+"]"))
		} else {
			out = append(out, m.inactive.Render(" "+t+" "))
		}
	}
	return strings.Join(out, " ")
}

// ShortHelp names the next tab.
func (m *Model) ShortHelp() []key.Binding {
	if len(m.titles) < 2 {
		return nil
	}
	next := m.titles[(m.active+1)%len(m.titles)]
	return []key.Binding{key.NewBinding(key.WithKeys(m.next.Keys()...), key.WithHelp(m.next.Help().Key, next))}
}

// FullHelp is ShortHelp.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }
