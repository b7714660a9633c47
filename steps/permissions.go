package steps

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
)

// projectsLoadedMsg is the Jira project list (or why there is none).
type projectsLoadedMsg struct {
	list []jira.Project
	err  error
}

func loadProjects(ctx context.Context, l ProjectLister) tea.Cmd {
	return func() tea.Msg {
		list, err := l.Projects(ctx)
		return projectsLoadedMsg{list: list, err: err}
	}
}

// Permissions asks which Jira projects may see the repository: all (the
// default, as in the Jira app) or a chosen few, picked from the site's
// projects or typed as keys when no Jira site is configured.
type Permissions struct {
	env    *Env
	draft  *Draft
	width  int
	height int
	spin   spinner.Model

	// cursor: 0 "All projects", 1 "Restrict to projects", 2+ the filtered projects
	cursor   int
	restrict bool

	loading  bool
	loaded   bool
	projects []jira.Project
	loadErr  error
	selected map[string]bool
	filter   textinput.Model

	keys textinput.Model // typed keys, when there is no project list
	err  error
}

// NewPermissions makes the permissions step.
func NewPermissions(env *Env, d *Draft) Permissions {
	f := common.NewInput(env.Styles, "Filter: ")
	f.Placeholder = "type to filter, space to select"
	f.CharLimit = 100
	k := common.NewInput(env.Styles, "Project keys: ")
	k.Placeholder = "PROJ, OPS"
	k.CharLimit = 2000
	m := Permissions{env: env, draft: d, filter: f, keys: k, selected: map[string]bool{},
		spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	// Start from the draft's choice (going back in the wizard, or editing a
	// connected repository on the Manage screen): a restricted repository
	// must not be widened to every project by one enter.
	if len(d.Projects) > 0 && !slices.Contains(d.Projects, store.AllProjectsValue) {
		m.restrict, m.cursor = true, 1
		for _, p := range d.Projects {
			m.selected[p] = true
		}
		m.keys.SetValue(strings.Join(d.Projects, ", "))
		m = m.focus()
	}
	return m
}

// ID implements Step.
func (m Permissions) ID() ID { return StepPermissions }

// Skip implements Step.
func (m Permissions) Skip() bool { return false }

// Busy implements Step.
func (m Permissions) Busy() bool { return false }

// Typing implements Step: in "restrict" the keys typed go to the filter or the keys field.
func (m Permissions) Typing() bool { return m.restrict }

func (m Permissions) typed() bool { return m.env.Projects == nil || m.loadErr != nil }

// Enter implements Step: load the projects once.
func (m Permissions) Enter() (Step, tea.Cmd) {
	m.err = nil
	if m.env.Projects != nil && !m.loaded && !m.loading {
		m.loading = true
		return m, tea.Batch(loadProjects(m.env.ctx(), m.env.Projects), m.spin.Tick)
	}
	return m, nil
}

// visible is the filtered project list.
func (m Permissions) visible() []jira.Project {
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

// Update implements Step.
func (m Permissions) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.filter.Width = max(10, msg.Width-len(m.filter.Prompt)-3)
		m.keys.Width = max(10, msg.Width-len(m.keys.Prompt)-3)
		return m, nil
	case projectsLoadedMsg:
		if !m.loading {
			return m, nil
		}
		m.loading = false
		m.loaded = true
		m.loadErr = msg.err
		m.projects = append([]jira.Project(nil), msg.list...)
		sort.Slice(m.projects, func(i, j int) bool { return m.projects[i].Key < m.projects[j].Key })
		m = m.focus()
		return m, nil
	case spinner.TickMsg:
		return m, spin(&m.spin, m.loading, msg)
	case tea.KeyMsg:
		return m.updateKey(msg)
	}
	var c1, c2 tea.Cmd
	m.filter, c1 = m.filter.Update(msg)
	m.keys, c2 = m.keys.Update(msg)
	return m, tea.Batch(c1, c2)
}

func (m Permissions) focus() Permissions {
	m.filter.Blur()
	m.keys.Blur()
	if m.restrict {
		if m.typed() {
			m.keys.Focus()
		} else {
			m.filter.Focus()
		}
	}
	return m
}

func (m Permissions) updateKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	rows := 2
	vis := m.visible()
	if m.restrict && !m.typed() {
		rows += len(vis)
	}
	switch {
	case key.Matches(msg, k.Back):
		return m, back(StepPermissions)
	case key.Matches(msg, k.Up):
		if m.cursor > 0 {
			m.cursor--
		}
		m.restrict = m.cursor > 0
		m.err = nil
		return m.focus(), nil
	case key.Matches(msg, k.Down):
		if m.cursor < rows-1 {
			m.cursor++
		}
		m.restrict = m.cursor > 0
		m.err = nil
		return m.focus(), nil
	case key.Matches(msg, k.Next):
		return m.submit()
	case m.restrict && !m.typed() && key.Matches(msg, k.Toggle):
		if m.cursor >= 2 && m.cursor-2 < len(vis) {
			p := vis[m.cursor-2].Key
			m.selected[p] = !m.selected[p]
			m.err = nil
		}
		return m, nil
	}
	if !m.restrict {
		return m, nil // on "All projects" there is nothing to type into
	}
	var cmd tea.Cmd
	if m.typed() {
		m.keys, cmd = m.keys.Update(msg)
		m.err = nil
		return m, cmd
	}
	before := m.filter.Value()
	m.filter, cmd = m.filter.Update(msg)
	if m.filter.Value() != before {
		// the list changed under the cursor: go to its first match
		m.cursor = 1
		if len(m.visible()) > 0 {
			m.cursor = 2
		}
	}
	return m, cmd
}

// chosenKeys are the restricted projects, checked.
func (m Permissions) chosenKeys() ([]string, error) {
	return ChosenProjects(m.selected, m.typed(), m.keys.Value())
}

// ChosenProjects checks a restricted project selection: the keys ticked in
// a list (sorted), or, when the keys are typed, the text. The wizard's
// permissions step and the Manage screen's projects page share it.
func ChosenProjects(selected map[string]bool, typed bool, text string) ([]string, error) {
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

func (m Permissions) submit() (Step, tea.Cmd) {
	if !m.restrict {
		m.draft.Projects = []string{store.AllProjectsValue}
		return m, done(StepPermissions)
	}
	keys, err := m.chosenKeys()
	if err == nil {
		keys, err = store.NormalizeProjects(keys)
	}
	if err != nil {
		m.err = err
		return m, nil
	}
	m.err = nil
	m.draft.Projects = keys
	return m, done(StepPermissions)
}

// View implements Step.
func (m Permissions) View() Screen {
	st := m.env.Styles
	top, body, bottom := newLines(m.width), newLines(m.width), newLines(m.width)
	top.text(st.Text, "Which Jira projects may show this repository's commits?")
	radio := func(row int, on bool, label string) {
		mark := "( )"
		if on {
			mark = "(•)"
		}
		if m.cursor == row {
			body.focusNext()
			body.add(st.Cursor.Render("› ") + st.Selected.Render(mark+" "+label))
		} else {
			body.add("  " + mark + " " + label)
		}
	}
	radio(0, !m.restrict, "All projects (default)")
	radio(1, m.restrict, "Restrict to projects")
	if m.restrict {
		body.blank()
		switch {
		case m.loading:
			body.add("    " + m.spin.View() + " Loading the Jira projects…")
		case m.typed():
			if m.loadErr != nil {
				body.text(st.Hint, "    Could not list the Jira projects ("+common.ErrText(m.loadErr)+"); type the keys instead.")
			} else {
				body.text(st.Hint, "    No Jira site is configured (gitjira jira login): type the project keys, separated by commas.")
			}
			body.focusNext()
			body.add("    " + m.keys.View())
		default:
			if m.cursor == 1 {
				body.focusNext()
			}
			body.add("    " + m.filter.View())
			m.listView(body)
		}
	}
	if n := m.selectedCount(); m.restrict && !m.typed() && n > 0 {
		keys, _ := m.chosenKeys()
		bottom.text(st.Hint, fmt.Sprintf("%d selected: %s", n, strings.Join(keys, ", ")))
	}
	if m.err != nil {
		bottom.text(st.Error, "✗ "+common.ErrText(m.err))
	}
	return Screen{Top: top.String(), Body: body.String(), Bottom: bottom.String(), Focus: body.focus}
}

func (m Permissions) selectedCount() int {
	n := 0
	for _, on := range m.selected {
		if on {
			n++
		}
	}
	return n
}

// listView adds the filtered projects; the wizard's viewport scrolls them.
func (m Permissions) listView(b *lines) {
	st := m.env.Styles
	vis := m.visible()
	if len(vis) == 0 {
		b.add(st.Hint.Render("    no project matches"))
		return
	}
	sel := m.cursor - 2
	for i, p := range vis {
		mark := "[ ]"
		if m.selected[p.Key] {
			mark = "[x]"
		}
		line := fmt.Sprintf("%s %-10s %s", mark, termtext.OneLine(p.Key), termtext.OneLine(p.Name))
		if m.width > 0 {
			line = common.Truncate(line, max(10, m.width-6))
		}
		if i == sel {
			b.focusNext()
			b.add("  " + st.Cursor.Render("› ") + st.Selected.Render(line))
		} else {
			b.add("    " + line)
		}
	}
}

// Help implements Step.
func (m Permissions) Help() help.KeyMap {
	k := m.env.Keys
	if m.restrict && !m.typed() {
		return common.NewHelp(upDown(k, "move"), k.Toggle, common.WithDesc(k.Next, "continue"), k.Back)
	}
	return common.NewHelp(upDown(k, "choose"), common.WithDesc(k.Next, "continue"), k.Back)
}
