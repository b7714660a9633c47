package manage

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/projects"
)

// The projects editor hosts the projects picker (ui/components/projects:
// all projects, or a chosen few picked from the site's projects or typed as
// keys), starting from the repository's current choice; its ChosenMsg is
// saved through lifecycle.Manager.SetProjects, which recounts the issue keys.

// projectsOwner routes the picker's project-list load to this page.
const projectsOwner = "manage/projects"

type projectsSavedMsg struct {
	name string
	repo store.Repository
	err  error
}

// projectsPage edits the projects of one repository.
type projectsPage struct {
	c      *shared
	r      store.Repository
	picker *projects.Model
	spin   spinner.Model
	saving bool
	err    error

	width, height int
}

func newProjectsPage(c *shared, r store.Repository) (page, tea.Cmd) {
	var lister projects.Lister
	if c.cfg.Projects != nil {
		lister = c.cfg.Projects
	}
	p := &projectsPage{c: c, r: r, spin: spinner.New(spinner.WithSpinner(spinner.Line)),
		picker: projects.New(c.Common, projectsOwner, lister, r.Projects)}
	return p, p.picker.Init()
}

func (p *projectsPage) title() string { return p.r.Name + " · Projects" }
func (p *projectsPage) typing() bool  { return !p.saving && p.picker.Typing() }
func (p *projectsPage) busy() bool    { return p.saving }

func (p *projectsPage) help() help.KeyMap {
	if p.saving {
		return newHelp()
	}
	k := p.c.Keys
	var short []key.Binding
	for _, b := range p.picker.ShortHelp() {
		if key.Matches(tea.KeyMsg{Type: tea.KeyEnter}, b) {
			b = withDesc(b, "save")
		}
		short = append(short, b)
	}
	return newHelp(append(short, withDesc(k.Back, "cancel"))...)
}

func (p *projectsPage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
		p.layout()
		return p, nil
	case projects.LoadedMsg:
		// A stale load (the page was closed and opened again) is dropped here,
		// once, as the UI layer's request ids mean.
		if !p.c.Requests.Current(msg.Request) {
			return p, nil
		}
		p.c.Requests.Done(msg.Request)
	case projects.ChosenMsg:
		if p.saving {
			return p, nil
		}
		return p.save(msg.Projects)
	case projectsSavedMsg:
		if msg.name != p.r.Name || !p.saving {
			return p, nil
		}
		p.saving = false
		if msg.err != nil {
			p.err = msg.err
			p.layout()
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
		if p.saving {
			return p, nil
		}
		if key.Matches(msg, p.c.Keys.Back) {
			p.c.Requests.Cancel(projectsOwner)
			return closePage(flash{}, false)
		}
		p.err = nil
	}
	_, cmd := p.picker.Update(msg)
	p.layout()
	return p, cmd
}

// save stores the choice.
func (p *projectsPage) save(chosen []string) (page, tea.Cmd) {
	p.saving, p.err = true, nil
	mgr, ctx, name := p.c.Manager, p.c.Ctx, p.r.Name
	p.layout()
	return p, tea.Batch(func() tea.Msg {
		r, err := mgr.SetProjects(ctx, name, chosen)
		return projectsSavedMsg{name: name, repo: r, err: err}
	}, p.spin.Tick)
}

// head is the lines above the picker.
func (p *projectsPage) head() string {
	st := p.c.Styles
	w := max(20, p.width)
	return common.Wrap(st.Hint, w, "Now: "+strings.Join(p.r.Projects, ", ")) + "\n" +
		common.Wrap(st.Text, w, "Which Jira projects may show this repository's commits?") + "\n"
}

// foot is the lines under the picker: what is selected, saving, the error.
func (p *projectsPage) foot() string {
	st := p.c.Styles
	w := max(20, p.width)
	var lines []string
	if s := p.picker.Status(); s != "" {
		lines = append(lines, s)
	}
	switch {
	case p.saving:
		lines = append(lines, p.spin.View()+" Saving and recounting the issue keys…")
	case p.err != nil:
		lines = append(lines, common.Wrap(st.Error, w, "✗ "+common.ErrText(p.err)))
	}
	return strings.Join(lines, "\n")
}

// layout gives the picker every row the page has left, so a long project
// list fills the screen instead of leaving empty rows under it.
func (p *projectsPage) layout() {
	used := lipgloss.Height(strings.TrimSuffix(p.head(), "\n"))
	if f := p.foot(); f != "" {
		used += lipgloss.Height(f) + 1
	}
	p.picker.SetSize(max(20, p.width), max(3, p.height-used))
}

func (p *projectsPage) view() string {
	v := p.head() + p.picker.View()
	if f := p.foot(); f != "" {
		v += "\n\n" + f
	}
	return v
}
