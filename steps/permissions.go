package steps

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/projects"
)

// Permissions asks which Jira projects may see the repository: all (the
// default, as in the Jira app) or a chosen few (the projects picker).
type Permissions struct {
	env    *Env
	draft  *Draft
	width  int
	picker *projects.Model
}

// NewPermissions makes the permissions step, starting from the draft's
// choice (going back must not widen a restriction).
func NewPermissions(env *Env, d *Draft) Permissions {
	return Permissions{env: env, draft: d, picker: projects.New(env.Common(), StepPermissions.Owner(""), env.Projects, d.Projects)}
}

// ID implements Step.
func (m Permissions) ID() ID { return StepPermissions }

// Skip implements Step.
func (m Permissions) Skip() bool { return false }

// Busy implements Step.
func (m Permissions) Busy() bool { return false }

// Typing implements Step: in "restrict" the keys typed go to the filter or the keys field.
func (m Permissions) Typing() bool { return m.picker.Typing() }

// Picker is the projects picker the step shows.
func (m Permissions) Picker() *projects.Model { return m.picker }

// Enter implements Step: load the projects (again, if a load was cancelled).
func (m Permissions) Enter() (Step, tea.Cmd) { return m, m.picker.Init() }

// Update implements Step.
func (m Permissions) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.picker.SetSize(msg.Width, msg.Height)
		return m, nil
	case projects.ChosenMsg:
		m.draft.Projects = msg.Projects
		return m, done(StepPermissions)
	case tea.KeyMsg:
		if key.Matches(msg, m.env.Keys.Back) {
			return m, back(StepPermissions)
		}
	}
	_, cmd := m.picker.Update(msg)
	return m, cmd
}

// ChosenProjects checks a restricted project selection (projects.Check).
//
// Deprecated: use projects.Check; kept while manage still calls it.
func ChosenProjects(selected map[string]bool, typed bool, text string) ([]string, error) {
	return projects.Check(selected, typed, text)
}

// View implements Step.
func (m Permissions) View() Screen {
	top := common.NewLines(m.width)
	top.Text(m.env.Styles.Text, "Which Jira projects may show this repository's commits?")
	return Screen{Top: top.String(), Body: m.picker.View(), Bottom: m.picker.Status(), Focus: m.picker.Focus()}
}

// Help implements Step.
func (m Permissions) Help() help.KeyMap {
	return common.NewHelp(append(m.picker.ShortHelp(), m.env.Keys.Back)...)
}
