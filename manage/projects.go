package manage

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/steps"
	"github.com/gitjira/gitjira/store"
)

// The projects editor is the wizard's permissions step (all projects, or a
// chosen few, picked from the site's projects or typed as keys) on a draft
// of its own that starts from the repository's current choice; enter saves
// through lifecycle.Manager.SetProjects, which recounts the issue keys.

type projectsSavedMsg struct {
	name string
	repo store.Repository
	err  error
}

// projectsPage edits the projects of one repository.
type projectsPage struct {
	c      *shared
	r      store.Repository
	draft  *steps.Draft
	step   steps.Step
	pane   stepPane
	spin   spinner.Model
	saving bool
	err    error

	width, height int
}

func newProjectsPage(c *shared, r store.Repository) (page, tea.Cmd) {
	d := &steps.Draft{Name: r.Name, Projects: slices.Clone(r.Projects)}
	p := &projectsPage{c: c, r: r, draft: d, spin: spinner.New(spinner.WithSpinner(spinner.Line)), pane: newStepPane(c.Keys)}
	var cmd tea.Cmd
	p.step, cmd = steps.NewPermissions(c.env, d).Enter()
	p.pane.refresh(p.step)
	return p, cmd
}

func (p *projectsPage) title() string { return p.r.Name + " · Projects" }
func (p *projectsPage) typing() bool  { return !p.saving && p.step.Typing() }
func (p *projectsPage) busy() bool    { return p.saving }

func (p *projectsPage) help() help.KeyMap {
	if p.saving {
		return newHelp()
	}
	// The step's keys, with enter and esc said as this page means them.
	k := p.c.Keys
	var short []key.Binding
	for _, b := range p.step.Help().ShortHelp() {
		switch {
		case slices.Equal(b.Keys(), k.Next.Keys()):
			b = withDesc(b, "save")
		case slices.Equal(b.Keys(), k.Back.Keys()):
			b = withDesc(b, "cancel")
		}
		short = append(short, b)
	}
	return newHelp(short...)
}

func (p *projectsPage) update(msg tea.Msg) (page, tea.Cmd) {
	pg, cmd := p.updateInner(msg)
	// The list takes every row the page has: all but the "Now:" line and
	// the saving or error line.
	used := 1
	if p.saving || p.err != nil {
		used++
	}
	p.pane.setSize(p.width, max(3, p.height-used))
	p.pane.refresh(p.step)
	return pg, cmd
}

func (p *projectsPage) updateInner(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
		inner := tea.WindowSizeMsg{Width: msg.Width, Height: max(3, msg.Height-1)}
		var cmd tea.Cmd
		p.step, cmd = p.step.Update(inner)
		return p, cmd
	case steps.DoneMsg:
		if msg.From != steps.StepPermissions || p.saving {
			return p, nil
		}
		return p.save()
	case steps.BackMsg:
		if msg.From == steps.StepPermissions && !p.saving {
			return closePage(flash{}, false)
		}
		return p, nil
	case projectsSavedMsg:
		if msg.name != p.r.Name || !p.saving {
			return p, nil
		}
		p.saving = false
		if msg.err != nil {
			p.err = msg.err
			return p, nil
		}
		return closePage(flash{text: fmt.Sprintf("Projects of %s: %s (%s).", msg.repo.Name, strings.Join(msg.repo.Projects, ", "),
			plural(msg.repo.IssueKeys, "issue key", "issue keys"))}, true)
	case spinner.TickMsg:
		if p.saving {
			var cmd tea.Cmd
			p.spin, cmd = p.spin.Update(msg)
			return p, cmd
		}
	case tea.KeyMsg:
		if p.saving || p.pane.scrollKey(msg) {
			return p, nil
		}
		if key.Matches(msg, p.c.Keys.Back) {
			// Closed at once, not through the step's BackMsg: a key typed
			// right after esc already belongs to the list.
			return closePage(flash{}, false)
		}
		p.err = nil
	}
	// Keys, command results and ticks of the step: it ignores what is not its own.
	var cmd tea.Cmd
	p.step, cmd = p.step.Update(msg)
	return p, cmd
}

// save stores the choice the step wrote into the draft (checked there).
func (p *projectsPage) save() (page, tea.Cmd) {
	p.saving, p.err = true, nil
	projects := slices.Clone(p.draft.Projects)
	mgr, ctx, name := p.c.Manager, p.c.Ctx, p.r.Name
	return p, tea.Batch(func() tea.Msg {
		r, err := mgr.SetProjects(ctx, name, projects)
		return projectsSavedMsg{name: name, repo: r, err: err}
	}, p.spin.Tick)
}

func (p *projectsPage) view() string {
	st := p.c.Styles
	w := max(20, p.pane.width)
	lines := []string{st.Hint.Render(truncate("Now: "+strings.Join(p.r.Projects, ", "), w)), p.pane.view(st)}
	switch {
	case p.saving:
		lines = append(lines, p.spin.View()+" Saving and recounting the issue keys…")
	case p.err != nil:
		lines = append(lines, st.Error.Render(truncate("✗ "+oneLine(p.err), w)))
	}
	return strings.Join(lines, "\n")
}
