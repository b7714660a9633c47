package steps

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
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
	height int
	picker *projects.Model
	// login is the "Log in to Jira" form, open while no site is logged in
	// and the user asked for it (l).
	login *jiraLogin
	// loggedIn says who logged in here ("" until then).
	loggedIn string
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
func (m Permissions) Busy() bool { return m.login != nil && m.login.busy }

// Typing implements Step: in "restrict" the keys typed go to the filter or the keys field.
func (m Permissions) Typing() bool { return m.login != nil || m.picker.Typing() }

// Picker is the projects picker the step shows.
func (m Permissions) Picker() *projects.Model { return m.picker }

// Enter implements Step: load the projects (again, if a load was cancelled).
func (m Permissions) Enter() (Step, tea.Cmd) { return m, m.picker.Init() }

// Update implements Step.
func (m Permissions) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.picker.SetSize(msg.Width, msg.Height)
		if m.login != nil {
			m.login.setWidth(msg.Width)
		}
		return m, nil
	case projects.ChosenMsg:
		m.draft.Projects = msg.Projects
		return m, done(StepPermissions)
	case jiraLoggedInMsg:
		if m.login == nil {
			return m, nil
		}
		if msg.err != nil {
			cmd, _ := m.login.update(msg)
			return m, cmd
		}
		// The site is saved: its projects replace the typed keys.
		m.env.Projects = msg.client
		m.login, m.loggedIn = nil, msg.site
		if msg.user != "" {
			m.loggedIn = msg.user + " on " + msg.site
		}
		m.picker = projects.New(m.env.Common(), StepPermissions.Owner(""), m.env.Projects, m.draft.Projects)
		m.picker.SetSize(m.width, m.height)
		return m, m.picker.Init()
	case tea.KeyMsg:
		if m.login != nil {
			cmd, cancel := m.login.update(msg)
			if cancel {
				m.login = nil
			}
			return m, cmd
		}
		if key.Matches(msg, m.env.Keys.Back) {
			return m, back(StepPermissions)
		}
		if m.env.Projects == nil && !m.picker.Typing() && key.Matches(msg, loginKey) {
			m.login = newJiraLogin(m.env, StepPermissions)
			m.login.setWidth(m.width)
			return m, m.login.url.Focus()
		}
	case spinner.TickMsg:
		if m.login != nil {
			cmd, _ := m.login.update(msg)
			return m, cmd
		}
	}
	_, cmd := m.picker.Update(msg)
	return m, cmd
}

// View implements Step.
func (m Permissions) View() Screen {
	if m.login != nil {
		t, b, bt := m.login.view(m.width)
		return Screen{Top: t, Body: b, Bottom: bt, Focus: m.login.focus}
	}
	st := m.env.Styles
	top := common.NewLines(m.width)
	top.Text(st.Text, "Which Jira projects may show this repository's commits?")
	switch {
	case m.loggedIn != "":
		top.Text(st.Success, "✓ Logged in to Jira as "+m.loggedIn+": the projects come from the site.")
	case m.env.Projects == nil:
		top.Text(st.Hint, "No Jira site is logged in: press l to log in, so the projects come from the site.")
	}
	return Screen{Top: top.String(), Body: m.picker.View(), Bottom: m.picker.Status(), Focus: m.picker.Focus()}
}

// Help implements Step.
func (m Permissions) Help() help.KeyMap {
	if m.login != nil {
		return common.NewHelp(common.WithDesc(m.env.Keys.Next, "next / log in"), common.WithDesc(m.env.Keys.NextMode, "next field"), m.env.Keys.Back)
	}
	b := m.picker.ShortHelp()
	if m.env.Projects == nil && !m.picker.Typing() {
		b = append(b, loginKey)
	}
	return common.NewHelp(append(b, m.env.Keys.Back)...)
}
