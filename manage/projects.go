package manage

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/steps"
)

// The projects editor is the wizard's permissions question (all projects,
// or a chosen few, picked from the site's projects or typed as keys), but
// it starts from the repository's current choice: steps.Permissions always
// starts on "All projects" (NewPermissions does not read Draft.Projects), so
// reusing it here would make one enter widen a restricted repository to
// every project.

type projectsListedMsg struct {
	name string
	list []jira.Project
	err  error
}

type projectsSavedMsg struct {
	name string
	repo jira.Repository
	err  error
}

// projectsPage edits the projects of one repository.
type projectsPage struct {
	c      *common
	r      jira.Repository
	width  int
	height int
	spin   spinner.Model

	cursor   int // 0 all, 1 restrict, 2+ the visible projects
	restrict bool

	loading  bool
	projects []jira.Project
	loadErr  error
	selected map[string]bool
	filter   textinput.Model
	keys     textinput.Model // typed keys, without a project list

	saving bool
	err    error
}

func newProjectsPage(c *common, r jira.Repository) (page, tea.Cmd) {
	f := textinput.New()
	f.Prompt = "Filter: "
	f.Placeholder = "type to filter, space to select"
	f.CharLimit = 100
	k := textinput.New()
	k.Prompt = "Project keys: "
	k.Placeholder = "PROJ, OPS"
	k.CharLimit = 2000
	p := &projectsPage{c: c, r: r, filter: f, keys: k, selected: map[string]bool{},
		spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	if !r.AllProjects() {
		p.restrict, p.cursor = true, 1
		for _, key := range r.Projects {
			p.selected[key] = true
		}
		k.SetValue(strings.Join(r.Projects, ", "))
		p.keys = k
	}
	var cmd tea.Cmd
	if c.cfg.Projects != nil {
		p.loading = true
		lister, ctx, name := c.cfg.Projects, c.ctx, r.Name
		cmd = tea.Batch(func() tea.Msg {
			list, err := lister.Projects(ctx)
			return projectsListedMsg{name: name, list: list, err: err}
		}, p.spin.Tick)
	}
	p.focus()
	return p, cmd
}

func (p *projectsPage) typed() bool { return p.c.cfg.Projects == nil || p.loadErr != nil }

func (p *projectsPage) title() string { return p.r.Name + " · Projects" }
func (p *projectsPage) typing() bool  { return p.restrict && !p.saving }
func (p *projectsPage) busy() bool    { return p.saving }

func (p *projectsPage) help() help.KeyMap {
	k := p.c.keys
	if p.restrict && !p.typed() {
		return newHelp(upDown(k, "move"), k.Toggle, withDesc(k.Next, "save"), withDesc(k.Back, "cancel"))
	}
	return newHelp(upDown(k, "choose"), withDesc(k.Next, "save"), withDesc(k.Back, "cancel"))
}

func (p *projectsPage) visible() []jira.Project {
	q := strings.ToLower(strings.TrimSpace(p.filter.Value()))
	if q == "" {
		return p.projects
	}
	var out []jira.Project
	for _, pr := range p.projects {
		if strings.Contains(strings.ToLower(pr.Key), q) || strings.Contains(strings.ToLower(pr.Name), q) {
			out = append(out, pr)
		}
	}
	return out
}

func (p *projectsPage) focus() {
	p.filter.Blur()
	p.keys.Blur()
	if p.restrict && !p.loading {
		if p.typed() {
			p.keys.Focus()
		} else {
			p.filter.Focus()
		}
	}
}

func (p *projectsPage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
		p.filter.Width = max(10, msg.Width-len(p.filter.Prompt)-6)
		p.keys.Width = max(10, msg.Width-len(p.keys.Prompt)-6)
		return p, nil
	case projectsListedMsg:
		if msg.name != p.r.Name || !p.loading {
			return p, nil
		}
		p.loading = false
		p.loadErr = msg.err
		p.projects = append([]jira.Project(nil), msg.list...)
		sort.Slice(p.projects, func(i, j int) bool { return p.projects[i].Key < p.projects[j].Key })
		p.focus()
		return p, nil
	case projectsSavedMsg:
		if msg.name != p.r.Name || !p.saving {
			return p, nil
		}
		p.saving = false
		if msg.err != nil {
			p.err = msg.err
			p.focus()
			return p, nil
		}
		return closePage(flash{text: fmt.Sprintf("Projects of %s: %s (%s).", msg.repo.Name, strings.Join(msg.repo.Projects, ", "),
			plural(msg.repo.IssueKeys, "issue key", "issue keys"))}, true)
	case spinner.TickMsg:
		if !p.loading && !p.saving {
			return p, nil
		}
		var cmd tea.Cmd
		p.spin, cmd = p.spin.Update(msg)
		return p, cmd
	case tea.KeyMsg:
		if p.saving {
			return p, nil
		}
		return p.updateKey(msg)
	}
	var c1, c2 tea.Cmd
	p.filter, c1 = p.filter.Update(msg)
	p.keys, c2 = p.keys.Update(msg)
	return p, tea.Batch(c1, c2)
}

func (p *projectsPage) updateKey(msg tea.KeyMsg) (page, tea.Cmd) {
	k := p.c.keys
	vis := p.visible()
	rows := 2
	if p.restrict && !p.typed() && !p.loading {
		rows += len(vis)
	}
	switch {
	case key.Matches(msg, k.Back):
		return closePage(flash{}, false)
	case key.Matches(msg, k.Up):
		p.cursor = max(0, p.cursor-1)
		p.restrict = p.cursor > 0
		p.err = nil
		p.focus()
		return p, nil
	case key.Matches(msg, k.Down):
		p.cursor = min(rows-1, p.cursor+1)
		p.restrict = p.cursor > 0
		p.err = nil
		p.focus()
		return p, nil
	case key.Matches(msg, k.Next):
		return p.save()
	case p.restrict && !p.typed() && key.Matches(msg, k.Toggle):
		if i := p.cursor - 2; i >= 0 && i < len(vis) {
			p.selected[vis[i].Key] = !p.selected[vis[i].Key]
			p.err = nil
		}
		return p, nil
	}
	if !p.restrict || p.loading {
		return p, nil
	}
	var cmd tea.Cmd
	if p.typed() {
		p.keys, cmd = p.keys.Update(msg)
		p.err = nil
		return p, cmd
	}
	before := p.filter.Value()
	p.filter, cmd = p.filter.Update(msg)
	if p.filter.Value() != before {
		p.cursor = 1
		if len(p.visible()) > 0 {
			p.cursor = 2
		}
	}
	return p, cmd
}

// chosen is the restricted selection, checked (as the wizard checks it).
func (p *projectsPage) chosen() ([]string, error) {
	return steps.ChosenProjects(p.selected, p.typed(), p.keys.Value())
}

func (p *projectsPage) save() (page, tea.Cmd) {
	projects := []string{jira.AllProjectsValue}
	if p.restrict {
		keys, err := p.chosen()
		if err != nil {
			p.err = err
			return p, nil
		}
		projects = keys
	}
	p.saving, p.err = true, nil
	p.filter.Blur()
	p.keys.Blur()
	mgr, ctx, name := p.c.mgr, p.c.ctx, p.r.Name
	return p, tea.Batch(func() tea.Msg {
		r, err := mgr.SetProjects(ctx, name, projects)
		return projectsSavedMsg{name: name, repo: r, err: err}
	}, p.spin.Tick)
}

func (p *projectsPage) view() string {
	st := p.c.st
	w := max(20, p.width)
	var b strings.Builder
	b.WriteString(st.Text.Render(truncate("Which Jira projects may show the commits of "+p.r.Name+"?", w)))
	b.WriteString("\n")
	b.WriteString(st.Hint.Render(truncate("Now: "+strings.Join(p.r.Projects, ", "), w)))
	b.WriteString("\n\n")
	radio := func(row int, on bool, label string) {
		mark := "( )"
		if on {
			mark = "(•)"
		}
		if p.cursor == row {
			b.WriteString(st.Cursor.Render("› ") + st.Selected.Render(mark+" "+label))
		} else {
			b.WriteString("  " + mark + " " + label)
		}
		b.WriteString("\n")
	}
	radio(0, !p.restrict, "All projects")
	radio(1, p.restrict, "Restrict to projects")
	if p.restrict {
		b.WriteString("\n")
		switch {
		case p.loading:
			b.WriteString("    " + p.spin.View() + " Loading the Jira projects…\n")
		case p.typed():
			if p.loadErr != nil {
				b.WriteString(st.Hint.Render(truncate("    Could not list the Jira projects ("+oneLine(p.loadErr)+"); type the keys.", w)) + "\n")
			} else {
				b.WriteString(st.Hint.Render(truncate("    No Jira site is configured: type the project keys, separated by commas.", w)) + "\n")
			}
			b.WriteString("    " + p.keys.View() + "\n")
		default:
			b.WriteString("    " + p.filter.View() + "\n")
			b.WriteString(p.listView(w))
			if keys, err := p.chosen(); err == nil {
				b.WriteString(st.Hint.Render(truncate(fmt.Sprintf("    %d selected: %s", len(keys), strings.Join(keys, ", ")), w)) + "\n")
			}
		}
	}
	switch {
	case p.saving:
		b.WriteString("\n" + p.spin.View() + " Saving and recounting the issue keys…")
	case p.err != nil:
		b.WriteString("\n" + st.Error.Render(truncate("✗ "+oneLine(p.err), w)))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (p *projectsPage) listView(w int) string {
	st := p.c.st
	vis := p.visible()
	if len(vis) == 0 {
		return st.Hint.Render("    no project matches") + "\n"
	}
	rows := len(vis)
	if p.height > 0 {
		rows = max(3, min(rows, p.height-10))
	}
	sel := p.cursor - 2
	off := 0
	if sel >= rows {
		off = sel - rows + 1
	}
	var b strings.Builder
	if off > 0 {
		b.WriteString(st.Hint.Render(fmt.Sprintf("    ↑ %d more", off)) + "\n")
	}
	for i := off; i < len(vis) && i < off+rows; i++ {
		pr := vis[i]
		mark := "[ ]"
		if p.selected[pr.Key] {
			mark = "[x]"
		}
		line := truncate(fmt.Sprintf("%s %-10s %s", mark, pr.Key, termtext.Field(pr.Name, 200)), max(10, w-6))
		if i == sel {
			b.WriteString("  " + st.Cursor.Render("› ") + st.Selected.Render(line))
		} else {
			b.WriteString("    " + line)
		}
		b.WriteString("\n")
	}
	if rest := len(vis) - off - rows; rest > 0 {
		b.WriteString(st.Hint.Render(fmt.Sprintf("    ↓ %d more", rest)) + "\n")
	}
	return b.String()
}
