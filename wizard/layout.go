package wizard

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/gitjira/gitjira/steps"
	"github.com/gitjira/gitjira/ui/common"
)

// View implements tea.Model.
func (m Model) View() string {
	if m.quit {
		return ""
	}
	rows := m.rows
	if rows == nil {
		m.layout()
		rows = m.rows
	}
	if m.raw {
		return frame(rows, m.width)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = common.StripMarks(r)
	}
	return strings.Join(out, "\n")
}

// layout renders the frame: the header, the step's question, its body in
// the scroll area, its message, the help. The body gives up rows first, so
// the question, the current error and the keys are always on screen.
func (m *Model) layout() {
	st := m.env.Styles
	w, h := m.width, m.height
	scr := m.active().View()
	m.screen = scr

	head := m.header(h > 0 && h < 22)
	top := splitRows(scr.Top)
	bottom := splitRows(scr.Bottom)
	if m.copied != "" {
		bottom = append(bottom, splitRows(common.Wrap(st.Success, w, "✓ "+m.copied))...)
	}
	switch {
	case m.confirmQuit:
		bottom = append(bottom, st.Value.Render("Cancel the clone and "+m.quitWord()+"? (y/n)"))
	case m.quitting:
		bottom = append(bottom, st.Hint.Render("Quitting: cleaning up…"))
	}
	body := scr.Body
	helpRows := splitRows(m.helpView())

	// Fixed rows, and the blank lines that separate the parts, which go
	// first when the terminal is short.
	sepHead, sepHelp := 1, 1
	sepTop := b2i(len(top) > 0 && body != "")
	sepBottom := b2i(len(bottom) > 0 && (body != "" || len(top) > 0))
	fixed := func() int {
		return len(head) + sepHead + len(top) + sepTop + len(bottom) + sepBottom + sepHelp + len(helpRows)
	}
	bodyRows := len(splitRows(body))
	if h > 0 {
		need := min(bodyRows, 3)
		for _, drop := range []*int{&sepTop, &sepBottom, &sepHelp, &sepHead} {
			if h-fixed() >= need {
				break
			}
			*drop = 0
		}
		for h-fixed() < need && len(head) > 2 {
			head = head[:len(head)-1] // the context lines under the step title
		}
	}
	room := bodyRows
	if h > 0 {
		room = max(0, h-fixed())
	}
	m.scroll.SetSize(w, room)
	m.scroll.SetContent(body, scr.Focus)
	var bodyView []string
	if v := m.scroll.View(); room > 0 && v != "" {
		bodyView = strings.Split(v, "\n")
	}

	rows := append([]string{}, head...)
	rows = appendBlank(rows, sepHead)
	rows = append(rows, top...)
	rows = appendBlank(rows, sepTop*b2i(len(bodyView) > 0))
	rows = append(rows, bodyView...)
	rows = appendBlank(rows, sepBottom)
	rows = append(rows, bottom...)
	rows = appendBlank(rows, sepHelp)
	rows = append(rows, helpRows...)
	if h > 0 && len(rows) > h {
		// Only when even the question, the message and the keys do not fit:
		// keep the header's first line and the end (message and keys).
		rows = append(rows[:1], rows[len(rows)-h+1:]...)
	}
	m.rows = rows
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func appendBlank(rows []string, n int) []string {
	for range n {
		rows = append(rows, "")
	}
	return rows
}

// splitRows splits rendered text into rows ("" has none).
func splitRows(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// header is the title, the step and what is chosen so far; compact puts
// the banner on the title's line (short terminals).
func (m Model) header(compact bool) []string {
	st := m.env.Styles
	w := m.width
	var head []string
	title := st.App.Render("gitjira") + st.Hint.Render(" · connect a repository")
	if m.banner != "" {
		switch {
		case w <= 0 || lipgloss.Width(title)+3+lipgloss.Width(m.banner) <= w:
			title += "   " + st.Banner.Render(m.banner)
		case compact:
			title = st.App.Render("gitjira") + "  " + st.Banner.Render(common.Truncate(m.banner, w-9))
		default:
			head = append(head, title)
			title = st.Banner.Render(common.Truncate(m.banner, w))
		}
	}
	head = append(head, title)
	head = append(head, st.Header.Render(common.Truncate(fmt.Sprintf("Step %d of %d · %s", m.index(m.cur)+1, len(m.order), m.title()), w)))
	if m.after(steps.StepLocation) && m.draft.Endpoint != nil {
		head = append(head, st.Context.Render(common.Truncate("Repository "+m.draft.EndpointString(), w)))
	}
	if m.after(steps.StepKey) && m.draft.Key != nil {
		desc := "Key        " + m.draft.Key.Fingerprint
		if m.draft.Key.Fingerprint == "" {
			desc = "Key        " + m.env.Display(m.draft.KeySource)
		} else if w > 0 && lipgloss.Width(desc) > w && lipgloss.Width(m.draft.Key.Fingerprint) <= w {
			// A fingerprint is compared character by character: on a narrow
			// terminal it goes whole, without its label, rather than cut.
			desc = m.draft.Key.Fingerprint
		}
		head = append(head, st.Context.Render(common.Truncate(desc, w)))
	}
	return head
}

// title is the active step's title.
func (m Model) title() string {
	if t, ok := m.active().(steps.Titled); ok {
		return t.Title()
	}
	return m.cur.Title()
}

// after reports whether the active step comes after step id.
func (m Model) after(id steps.ID) bool {
	i := m.index(id)
	return i >= 0 && m.index(m.cur) > i
}

func (m Model) helpView() string {
	switch {
	case m.confirmQuit:
		return m.shortHelp(confirmKeys{k: m.env.Keys, quit: m.quitWord()}.ShortHelp())
	case m.help.ShowAll:
		return m.help.FullHelpView(m.helpKeys().FullHelp())
	}
	return m.shortHelp(m.helpKeys().ShortHelp())
}

// frame turns the rows into what Bubble Tea writes when it does not know
// the width (raw mode). Every line starts with the cursor at its row, so a
// line the renderer skips (unchanged: it moves down one row) never shifts
// the next; a copyable line whose rows are all on screen is written whole,
// the terminal wrapping it over its rows, whose own lines then only move the
// cursor; every other line erases the rest of its row, as the renderer would
// have. The frame has one line per row, whatever it shows.
func frame(rows []string, width int) string {
	out := make([]string, 0, len(rows))
	for i := 0; i < len(rows); i++ {
		pos := fmt.Sprintf("\x1b[%d;1H", i+1)
		row := rows[i]
		if strings.HasPrefix(row, common.CodeStart) {
			j := i + 1
			for j < len(rows) && strings.HasPrefix(rows[j], common.CodeCont) {
				j++
			}
			if j-i > 1 && strings.Contains(rows[j-1], common.CodeEnd) {
				// Back to the line's first row once written: the renderer's
				// "\r\n" (or "\n" for an unchanged line) then reaches the
				// next row, as if the line had taken one row.
				whole := common.StripMarks(strings.Join(rows[i:j], ""))
				out = append(out, pos+whole+eraseRest(whole, width)+pos)
				for k := i + 1; k < j; k++ {
					out = append(out, fmt.Sprintf("\x1b[%d;1H", k+1))
				}
				i = j - 1
				continue
			}
		}
		row = common.StripMarks(row)
		out = append(out, pos+row+eraseRest(row, width))
	}
	return strings.Join(out, "\n")
}

// eraseRest erases the rest of the last row s takes, unless s ends exactly
// at the right edge (where the cursor waits on the last cell and an erase
// would take that cell).
func eraseRest(s string, width int) string {
	w := lipgloss.Width(s)
	if width > 0 && w > 0 && w%width == 0 {
		return ""
	}
	return "\x1b[K"
}

// shortHelp is the help line of the bindings (steps.HelpLine).
func (m Model) shortHelp(bindings []key.Binding) string {
	return common.HelpLine(m.env.Styles, m.width, bindings)
}

// helpKeys is the active step's bindings plus the wizard's own.
func (m Model) helpKeys() help.KeyMap {
	quit := m.env.Keys.Quit
	if m.env.InManage {
		quit = common.WithDesc(quit, "back to Manage")
	}
	f := frameKeys{step: m.active().Help(), keys: m.env.Keys, typing: m.active().Typing(), scroll: m.scroll, quit: quit,
		helpKey: !m.active().Typing() || helpWhileTyping(m.active())}
	if m.screen.Copy != "" {
		c := m.env.Keys.Copy
		desc := "copy the " + m.screen.CopyWhat
		if f.typing {
			f.copy = key.NewBinding(key.WithKeys("ctrl+y"), key.WithHelp("ctrl+y", desc))
		} else {
			f.copy = key.NewBinding(key.WithKeys(c.Keys()...), key.WithHelp("c", desc))
		}
	}
	return f
}

type frameKeys struct {
	step   help.KeyMap
	scroll help.KeyMap
	keys   steps.KeyMap
	copy   key.Binding
	quit   key.Binding
	typing bool
	// helpKey: '?' shows the keys (no text field takes it)
	helpKey bool
}

func (f frameKeys) ShortHelp() []key.Binding {
	b := append([]key.Binding{}, f.step.ShortHelp()...)
	if len(f.copy.Keys()) > 0 && !hasKey(b, f.copy.Help().Key) {
		b = append(b, f.copy)
	}
	b = append(b, f.scroll.ShortHelp()...)
	b = append(b, f.quit)
	if f.helpKey {
		b = append(b, f.keys.Help)
	}
	return b
}

func hasKey(bs []key.Binding, k string) bool {
	for _, b := range bs {
		if b.Help().Key == k {
			return true
		}
	}
	return false
}

func (f frameKeys) FullHelp() [][]key.Binding {
	full := append([][]key.Binding{}, f.step.FullHelp()...)
	last := []key.Binding{}
	if len(f.copy.Keys()) > 0 {
		last = append(last, f.copy)
	}
	last = append(last, f.keys.PageUp, f.keys.PageDown, f.quit, common.WithDesc(f.keys.Help, "fewer keys"))
	return append(full, last)
}

type confirmKeys struct {
	k    steps.KeyMap
	quit string
}

// quitWord is what quitting does: "quit", or, inside Manage, "go back to
// Manage" (the wizard's program ends and Manage's starts again).
func (m Model) quitWord() string {
	if m.env.InManage {
		return "go back to Manage"
	}
	return "quit"
}

func (c confirmKeys) ShortHelp() []key.Binding {
	return []key.Binding{common.WithDesc(c.k.Yes, "cancel and "+c.quit), common.WithDesc(c.k.No, "keep going")}
}
func (c confirmKeys) FullHelp() [][]key.Binding { return [][]key.Binding{c.ShortHelp()} }
