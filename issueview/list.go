package issueview

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/table"
)

// The list of commits: its rows, help and view.

// refresh rebuilds the table's rows from the filter and the search.
func (m *Model) refresh() {
	if m.res == nil {
		return
	}
	sel := m.table.SelectedKey()
	m.visible = m.visible[:0]
	var rows []table.Row
	q := strings.ToLower(m.query)
	for i, c := range m.res.Commits {
		if m.repoFilter > 0 && c.Repository != m.repos[m.repoFilter-1] {
			continue
		}
		branches := strings.Join(m.branches[c.SHA], ", ")
		if branches == "" && m.branchesLeft > 0 {
			branches = "…"
		}
		subject := termtext.Field(c.Subject, 0)
		if c.Match != "" {
			subject += "  (" + termtext.Field(c.Match, 60) + ")"
		}
		cells := []string{c.Repository, c.SHA[:min(9, len(c.SHA))], c.Date.Format("2006-01-02 15:04"), termtext.Field(c.Author, 40), subject, branches}
		if q != "" && !strings.Contains(strings.ToLower(strings.Join(cells, " ")+" "+c.SHA), q) {
			continue
		}
		m.visible = append(m.visible, i)
		rows = append(rows, table.Row{Key: c.Repository + "/" + c.SHA, Cells: cells})
	}
	m.table.SetRows(rows)
	if sel != "" {
		m.table.Select(sel)
	}
	switch {
	case len(m.res.Commits) == 0 && len(m.res.Hidden) > 0:
		m.table.SetEmpty(fmt.Sprintf("No commits mention %s in the repositories its project may see (%s restricted to other projects: gitjira repos set NAME --projects).", m.key, hiddenNames(m.res.Hidden)))
	case len(m.res.Commits) == 0:
		m.table.SetEmpty(fmt.Sprintf("No commits mention %s in the connected repositories.", m.key))
	default:
		m.table.SetEmpty("No commit matches the filter (esc clears it).")
	}
}

func hiddenNames(h map[string]int) string {
	var names []string
	for n, c := range h {
		names = append(names, fmt.Sprintf("%s (%d)", n, c))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	if m.page != nil {
		return m.page.shortHelp()
	}
	if m.searching {
		return []key.Binding{common.WithDesc(k.Next, "keep filter"), common.WithDesc(k.Back, "clear")}
	}
	out := []key.Binding{common.WithDesc(k.Next, "show commit"), common.Join("↑/↓", "move", k.Up, k.Down), common.WithDesc(k.Filter, "search")}
	if len(m.repos) > 1 {
		out = append(out, common.WithDesc(k.NextMode, "repository"))
	}
	out = append(out, common.WithDesc(k.Copy, "copy id"), common.WithDesc(k.Open, "web page"), k.Help)
	if m.standalone {
		out = append(out, k.QuitQ)
	} else {
		out = append(out, k.Back)
	}
	return out
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	if m.page != nil {
		return m.page.fullHelp()
	}
	return [][]key.Binding{m.ShortHelp(), {k.PageUp, k.PageDown, k.Home, k.End, common.WithDesc(k.Back, "clear filter / leave"), k.Quit}}
}

// View implements tea.Model.
func (m *Model) View() string {
	if m.page != nil {
		return m.page.view()
	}
	st := m.c.Styles
	var b strings.Builder
	what := " · issue "
	if m.given != nil {
		what = " · "
	}
	b.WriteString(st.App.Render("gitjira") + st.Hint.Render(what) + st.Header.Render(m.key))
	switch {
	case m.err != nil:
		b.WriteString("\n\n" + common.Wrap(st.Error, m.c.Width, common.ErrText(m.err)))
		b.WriteString("\n\n" + common.HelpLine(st, m.c.Width, []key.Binding{m.c.Keys.Back}))
		return b.String()
	case m.res != nil:
		n := len(m.res.Commits)
		b.WriteString(st.Hint.Render(fmt.Sprintf(" · %s in %s", common.Plural(n, "commit", "commits"), common.Plural(len(m.repos), "repository", "repositories"))))
	}
	b.WriteString("\n")
	switch {
	case m.searching || m.query != "":
		b.WriteString(m.search.View())
	case len(m.repos) > 1:
		name := "all"
		if m.repoFilter > 0 {
			name = m.repos[m.repoFilter-1]
		}
		b.WriteString(st.Label.Render("repository: ") + st.Value.Render(name) + st.Hint.Render(" (tab: next)"))
	}
	b.WriteString("\n" + m.table.View() + "\n")
	if m.status != "" {
		b.WriteString(common.Wrap(st.Hint, m.c.Width, termtext.Sanitize(m.status)) + "\n")
	}
	switch {
	case !m.standalone:
	case m.showHelp:
		h := common.NewHelpModel(st)
		h.ShowAll = true
		h.Width = m.c.Width
		b.WriteString(h.View(m))
	default:
		b.WriteString(common.HelpLine(st, m.c.Width, m.ShortHelp()))
	}
	return strings.TrimRight(b.String(), "\n")
}
