package manage

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/gitjira/gitjira/ui/components/status"
)

// The screen's layout: the header with the tabs, the body (a tab's table or
// the open page), the footer (status lines that wrap, the message, the
// help), fitted to the terminal.

// size is the terminal size, 80x24 until Bubble Tea says (it does not when
// the output is not a terminal).
func (m Model) size() (int, int) {
	w, h := m.c.Width, m.c.Height
	if w <= 0 {
		w = 80
	}
	if h <= 0 {
		h = 24
	}
	return w, h
}

const headerLines = 2 // title and tabs, blank

// footer is the status lines and the help, below the body. Every line
// wraps (the status component): a message is never cut to one row.
func (m Model) footer() string {
	w, _ := m.size()
	st := m.c.Styles
	area := status.New(m.c.Common)
	area.SetSize(w, 0)
	var rows []string
	if m.page == nil {
		// At least two rows about the selected row, so the layout does not
		// jump from row to row.
		area.Set(m.statusLines()...)
		rows = area.Rows()
		for len(rows) < 2 {
			rows = append(rows, "")
		}
	}
	switch {
	case m.quitting:
		area.Set(status.Line{Text: "Quitting: stopping the syncs under way…", Style: st.Hint})
		rows = append(rows, area.Rows()...)
	case m.flash.text != "" && !(m.page == nil && m.tab == tabRepos && m.repos.filtering):
		style, mark := st.Success, "✓ "
		if m.flash.err {
			style, mark = st.Error, "✗ "
		}
		area.Set(status.Line{Text: mark + m.flash.text, Style: style})
		rows = append(rows, area.Rows()...)
	case m.page == nil:
		rows = append(rows, m.tabStatusExtra()) // the filter's row, kept when empty
	}
	var helpView string
	if m.help.ShowAll {
		helpView = m.help.FullHelpView(m.helpKeys().FullHelp())
	} else {
		helpView = shortHelp(st, w, m.helpKeys().ShortHelp())
	}
	if len(rows) == 0 {
		return "\n" + helpView
	}
	return strings.Join(rows, "\n") + "\n\n" + helpView
}

// statusLines are the lines about the selected row.
func (m Model) statusLines() []status.Line {
	if m.tab == tabKeys {
		return m.keys.status()
	}
	return m.repos.status(m.syncs)
}

// tabStatusExtra is the line under the status when no message is shown:
// the filter field on the repositories tab.
func (m Model) tabStatusExtra() string {
	if m.tab == tabRepos {
		return m.repos.filterLine()
	}
	return ""
}

// fitFooter is the footer cut to leave the body at least one line (a tiny
// terminal loses the status lines first, then the top of the help), and
// the body's height.
func (m Model) fitFooter() (string, int) {
	_, h := m.size()
	foot := strings.Split(m.footer(), "\n")
	if keep := h - headerLines - 1; len(foot) > keep {
		foot = foot[len(foot)-max(0, keep):]
	}
	return strings.Join(foot, "\n"), max(1, h-headerLines-len(foot))
}

func (m Model) bodyHeight() int {
	_, bh := m.fitFooter()
	return bh
}

// layout gives the tables the room they have (after every message, so the
// scroll position kept in the model is the one shown).
func (m *Model) layout() {
	w, _ := m.size()
	bh := m.bodyHeight()
	m.repos.rebuild(m.syncs)
	m.repos.table.SetSize(w, bh)
	m.keys.table.SetSize(w, bh)
}

// View implements tea.Model.
func (m Model) View() string {
	if m.quit {
		return ""
	}
	w, _ := m.size()
	st := m.c.Styles
	title := st.App.Render("gitjira") + st.Hint.Render(" · ")
	if m.page != nil {
		title += st.Header.Render(m.page.title())
	} else {
		title += st.Header.Render("Manage repositories")
	}
	bar := newTabs(m.c)
	bar.SetActive(m.tab)
	tabsView := bar.View()
	if m.page != nil {
		tabsView = ""
	}
	if m.c.cfg.Banner != "" {
		tabsView = st.Banner.Render(m.c.cfg.Banner) + "  " + tabsView
	}
	gap := w - lipgloss.Width(title) - lipgloss.Width(tabsView)
	head := title
	if gap >= 2 {
		head += strings.Repeat(" ", gap) + tabsView
	} else if tabsView != "" {
		head = truncateStyled(title+"  "+tabsView, w)
	}

	var body string
	switch {
	case m.page != nil:
		body = m.page.view()
	case m.tab == tabKeys:
		body = m.keys.view()
	default:
		body = m.repos.view()
	}
	foot, room := m.fitFooter()
	lines := strings.Split(body, "\n")
	if len(lines) > room {
		lines = append(lines[:room-1], st.Hint.Render("…"))
	}
	for len(lines) < room {
		lines = append(lines, "")
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return head + "\n\n" + strings.Join(lines, "\n") + "\n" + foot
}

// helpKeys is the help of the open page or tab, plus quit and help.
func (m Model) helpKeys() help.KeyMap {
	k := m.c.Keys
	var h help.KeyMap
	switch {
	case m.page != nil:
		h = m.page.help()
	case m.tab == tabKeys:
		h = m.keys.help()
	default:
		h = m.repos.help()
	}
	return frameKeys{inner: h, keys: k, typing: m.typing()}
}

type frameKeys struct {
	inner  help.KeyMap
	keys   KeyMap
	typing bool
}

func (f frameKeys) quit() key.Binding { return quitKeys(f.keys, f.typing) }

func (f frameKeys) ShortHelp() []key.Binding {
	b := append([]key.Binding{}, f.inner.ShortHelp()...)
	b = append(b, f.quit())
	if !f.typing {
		b = append(b, f.keys.Help)
	}
	return b
}

func (f frameKeys) FullHelp() [][]key.Binding {
	full := append([][]key.Binding{}, f.inner.FullHelp()...)
	return append(full, []key.Binding{f.quit(), withDesc(f.keys.Help, "fewer keys")})
}

// truncateStyled cuts styled text to width cells.
func truncateStyled(s string, width int) string { return ansi.Truncate(s, width, "…") }
