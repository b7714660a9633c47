// Package projects is the Jira projects picker: all projects, or a chosen
// few picked from the site's list (filtered by typing) or typed as keys when
// there is no list. It emits ChosenMsg; the wizard's permissions step and
// the Manage screen's projects editor host it.
package projects

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
)

// Lister lists the Jira projects a repository may be restricted to;
// *jira.Client satisfies it.
type Lister interface {
	Projects(ctx context.Context) ([]jira.Project, error)
}

// ChosenMsg is the user's choice: ["ALL"] or normalised project keys.
type ChosenMsg struct {
	Projects []string
}

// LoadedMsg is the site's project list (or why there is none).
type LoadedMsg struct {
	common.Request
	List []jira.Project
	Err  error
}

// Model is the picker.
type Model struct {
	c      common.Common
	owner  string
	lister Lister
	spin   spinner.Model

	// cursor: 0 "All projects", 1 "Restrict to projects", 2+ the filtered projects
	cursor   int
	restrict bool
	top      int // first list row shown

	loading  bool
	loaded   bool
	projects []jira.Project
	loadErr  error
	selected map[string]bool
	filter   textinput.Model
	keys     textinput.Model // typed keys, when there is no project list
	err      error
}

// New makes the picker. owner is the request owner its load is routed by
// ("permissions"); lister nil means the keys are typed; initial is the
// current choice (["ALL"], keys, or nil for the default, all).
func New(c common.Common, owner string, lister Lister, initial []string) *Model {
	f := common.NewInput(c.Styles, "Filter: ")
	f.Placeholder = "type to filter, space to select"
	f.CharLimit = 100
	k := common.NewInput(c.Styles, "Project keys: ")
	k.Placeholder = "PROJ, OPS"
	k.CharLimit = 2000
	m := &Model{c: c, owner: owner, lister: lister, filter: f, keys: k, selected: map[string]bool{},
		spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	// Start from the current choice: a restricted repository must not be
	// widened to every project by one enter.
	if len(initial) > 0 && !slices.Contains(initial, store.AllProjectsValue) {
		m.restrict, m.cursor = true, 1
		for _, p := range initial {
			m.selected[p] = true
		}
		m.keys.SetValue(strings.Join(initial, ", "))
		m.focus()
	}
	return m
}

// Init loads the project list unless it is loaded.
func (m *Model) Init() tea.Cmd {
	m.err = nil
	if m.lister == nil || m.loaded {
		return nil
	}
	m.loading = true
	req, ctx := m.requests().Start(m.c.Context(), m.owner)
	l := m.lister
	return tea.Batch(func() tea.Msg {
		list, err := l.Projects(ctx)
		return LoadedMsg{Request: req, List: list, Err: err}
	}, m.spin.Tick)
}

func (m *Model) requests() *common.Requests {
	if m.c.Requests == nil {
		m.c.Requests = &common.Requests{}
	}
	return m.c.Requests
}

// SetSize implements common.Component: the list shows what fits in height.
func (m *Model) SetSize(width, height int) {
	m.c.SetSize(width, height)
	m.filter.Width = max(10, width-len(m.filter.Prompt)-7)
	m.keys.Width = max(10, width-len(m.keys.Prompt)-7)
	m.scrollToCursor()
}

// Typing reports whether keys go to a text field (the filter or the keys).
func (m *Model) Typing() bool { return m.restrict }

// Loading reports whether the list is being fetched.
func (m *Model) Loading() bool { return m.loading }

// Loaded reports whether the list was fetched (LoadErr says if it failed).
func (m *Model) Loaded() bool { return m.loaded }

// LoadErr is why the list could not be fetched.
func (m *Model) LoadErr() error { return m.loadErr }

func (m *Model) typed() bool { return m.lister == nil || m.loadErr != nil }

// visible is the filtered project list.
func (m *Model) visible() []jira.Project {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	if q == "" {
		return m.projects
	}
	var out []jira.Project
	for _, p := range m.projects {
		if strings.Contains(strings.ToLower(p.Key), q) || strings.Contains(strings.ToLower(p.Name), q) {
			out = append(out, p)
		}
	}
	return out
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case LoadedMsg:
		m.loading = false
		m.loaded = true
		m.loadErr = msg.Err
		m.projects = append([]jira.Project(nil), msg.List...)
		sort.Slice(m.projects, func(i, j int) bool { return m.projects[i].Key < m.projects[j].Key })
		m.focus()
		return m, nil
	case spinner.TickMsg:
		if !m.loading {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.KeyMsg:
		return m, m.updateKey(msg)
	}
	var c1, c2 tea.Cmd
	m.filter, c1 = m.filter.Update(msg)
	m.keys, c2 = m.keys.Update(msg)
	return m, tea.Batch(c1, c2)
}

func (m *Model) focus() {
	m.filter.Blur()
	m.keys.Blur()
	if m.restrict {
		if m.typed() {
			m.keys.Focus()
		} else {
			m.filter.Focus()
		}
	}
}

func (m *Model) move(d int) {
	rows := 2
	if m.restrict && !m.typed() {
		rows += len(m.visible())
	}
	m.cursor = max(0, min(rows-1, m.cursor+d))
	m.restrict = m.cursor > 0
	m.err = nil
	m.focus()
	m.scrollToCursor()
}

func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	vis := m.visible()
	switch {
	case key.Matches(msg, k.Up):
		m.move(-1)
		return nil
	case key.Matches(msg, k.Down):
		m.move(+1)
		return nil
	case key.Matches(msg, k.PageUp):
		m.move(-max(1, m.listRows()-1))
		return nil
	case key.Matches(msg, k.PageDown):
		m.move(max(1, m.listRows()-1))
		return nil
	case key.Matches(msg, k.Next):
		return m.submit()
	case m.restrict && !m.typed() && key.Matches(msg, k.Toggle):
		// Space selects the row under the cursor, which is always on screen
		// (scrollToCursor); on the filter it does nothing rather than pick a
		// row the user did not point at.
		if m.cursor >= 2 && m.cursor-2 < len(vis) {
			p := vis[m.cursor-2].Key
			m.selected[p] = !m.selected[p]
			m.err = nil
		}
		return nil
	case m.restrict && key.Matches(msg, k.Clear):
		if m.typed() {
			m.keys.SetValue("")
		} else {
			m.setFilter("")
		}
		return nil
	}
	if !m.restrict {
		return nil // on "All projects" there is nothing to type into
	}
	var cmd tea.Cmd
	if m.typed() {
		m.keys, cmd = m.keys.Update(msg)
		m.err = nil
		return cmd
	}
	before := m.filter.Value()
	m.filter, cmd = m.filter.Update(msg)
	if m.filter.Value() != before {
		m.setFilter(m.filter.Value())
	}
	return cmd
}

// setFilter changes the filter: the cursor goes to the first match, at the
// top of the list's window (so it is on screen, under the filter line,
// where space selects it), or to the filter line when nothing matches.
func (m *Model) setFilter(v string) {
	if m.filter.Value() != v {
		m.filter.SetValue(v)
	}
	m.top = 0
	m.cursor = 1
	if len(m.visible()) > 0 {
		m.cursor = 2
	}
}

// Focus is the row of View that must stay visible in a host that scrolls
// it: the cursor's (-1: none).
func (m *Model) Focus() int {
	switch {
	case m.cursor < 2:
		return m.cursor
	case m.restrict && !m.typed() && !m.loading:
		return 4 + m.cursor - 2 - m.top
	}
	return -1
}

// Chosen checks the current choice: ["ALL"] or the restricted keys.
func (m *Model) Chosen() ([]string, error) {
	if !m.restrict {
		return []string{store.AllProjectsValue}, nil
	}
	keys, err := Check(m.selected, m.typed(), m.keys.Value())
	if err == nil {
		keys, err = store.NormalizeProjects(keys)
	}
	return keys, err
}

// Check checks a restricted project selection: the keys ticked in a list
// (sorted), or, when the keys are typed, the text.
func Check(selected map[string]bool, typed bool, text string) ([]string, error) {
	if !typed {
		var keys []string
		for k, on := range selected {
			if on {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("select at least one project with space, or choose All projects")
		}
		sort.Strings(keys)
		return keys, nil
	}
	keys, err := store.ParseProjectKeys(text)
	if err != nil {
		return nil, fmt.Errorf("%v, or choose All projects", err)
	}
	return keys, nil
}

func (m *Model) submit() tea.Cmd {
	keys, err := m.Chosen()
	m.err = err
	if err != nil {
		return nil
	}
	return func() tea.Msg { return ChosenMsg{Projects: keys} }
}

func (m *Model) selectedKeys() []string {
	var keys []string
	for k, on := range m.selected {
		if on {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// listRows is how many project rows fit: the height less the radio
// buttons, the blank line, the filter and the "more" line.
func (m *Model) listRows() int {
	if m.c.Height <= 0 {
		return 1 << 20
	}
	return max(1, m.c.Height-5)
}

// scrollToCursor keeps the row under the cursor in the list's window.
func (m *Model) scrollToCursor() {
	n := m.listRows()
	sel := m.cursor - 2
	switch {
	case sel < 0:
		m.top = min(m.top, max(0, len(m.visible())-n))
	case sel < m.top:
		m.top = sel
	case sel >= m.top+n:
		m.top = sel - n + 1
	}
	m.top = max(0, m.top)
}

// View implements tea.Model: the radio buttons, and under "Restrict" the
// filter and the list (a window that always holds the cursor's row) or the
// keys field.
func (m *Model) View() string {
	st := m.c.Styles
	var rows []string
	radio := func(row int, on bool, label string) {
		mark := "( )"
		if on {
			mark = "(•)"
		}
		if m.cursor == row {
			rows = append(rows, st.Cursor.Render("› ")+st.Selected.Render(mark+" "+label))
		} else {
			rows = append(rows, "  "+mark+" "+label)
		}
	}
	radio(0, !m.restrict, "All projects (default)")
	radio(1, m.restrict, "Restrict to projects")
	if m.restrict {
		rows = append(rows, "")
		switch {
		case m.loading:
			rows = append(rows, "    "+m.spin.View()+" Loading the Jira projects…")
		case m.typed():
			if m.loadErr != nil {
				rows = append(rows, common.Wrap(st.Hint, m.c.Width, "    Could not list the Jira projects ("+common.ErrText(m.loadErr)+"); type the keys instead."))
			} else {
				rows = append(rows, common.Wrap(st.Hint, m.c.Width, "    No Jira site is configured (gitjira jira login): type the project keys, separated by commas."))
			}
			rows = append(rows, "    "+m.keys.View())
		default:
			rows = append(rows, "    "+m.filter.View())
			rows = append(rows, m.listView()...)
		}
	}
	return strings.Join(rows, "\n")
}

func (m *Model) listView() []string {
	st := m.c.Styles
	vis := m.visible()
	if len(vis) == 0 {
		return []string{st.Hint.Render("    no project matches")}
	}
	n := m.listRows()
	end := min(len(vis), m.top+n)
	sel := m.cursor - 2
	var rows []string
	for i := m.top; i < end; i++ {
		p := vis[i]
		mark := "[ ]"
		if m.selected[p.Key] {
			mark = "[x]"
		}
		line := fmt.Sprintf("%s %-10s %s", mark, termtext.OneLine(p.Key), termtext.OneLine(p.Name))
		if m.c.Width > 0 {
			line = common.Truncate(line, max(10, m.c.Width-6))
		}
		if i == sel {
			rows = append(rows, "  "+st.Cursor.Render("› ")+st.Selected.Render(line))
		} else {
			rows = append(rows, "    "+line)
		}
	}
	if above, below := m.top, len(vis)-end; above > 0 || below > 0 {
		var parts []string
		if above > 0 {
			parts = append(parts, fmt.Sprintf("↑ %d above", above))
		}
		if below > 0 {
			parts = append(parts, fmt.Sprintf("↓ %d more", below))
		}
		rows = append(rows, st.Hint.Render("    "+strings.Join(parts, " · ")))
	}
	return rows
}

// Status is the line under the picker: what is selected, or the error.
func (m *Model) Status() string {
	st := m.c.Styles
	var lines []string
	if keys := m.selectedKeys(); m.restrict && !m.typed() && len(keys) > 0 {
		lines = append(lines, common.Wrap(st.Hint, m.c.Width, fmt.Sprintf("%d selected: %s", len(keys), strings.Join(keys, ", "))))
	}
	if m.err != nil {
		lines = append(lines, common.Wrap(st.Error, m.c.Width, "✗ "+common.ErrText(m.err)))
	}
	return strings.Join(lines, "\n")
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	if m.restrict && !m.typed() {
		return []key.Binding{common.Join("↑/↓", "move", k.Up, k.Down), common.WithDesc(k.Toggle, "select"), common.WithDesc(k.Next, "continue")}
	}
	return []key.Binding{common.Join("↑/↓", "choose", k.Up, k.Down), common.WithDesc(k.Next, "continue")}
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding {
	full := m.ShortHelp()
	if m.restrict {
		full = append(full, common.WithDesc(m.c.Keys.Clear, "clear"))
	}
	return [][]key.Binding{full}
}

var _ common.Component = (*Model)(nil)
