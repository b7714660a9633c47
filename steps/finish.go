package steps

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/jira"
)

// repoAddedMsg is the result of adding the repository to the list.
type repoAddedMsg struct {
	repo jira.Repository
	err  error
}

// addRepository stores the key, indexes the mirror and appends the
// repository to the list (all in jira.AddRepository, under the list's lock).
func addRepository(p jira.Paths, r jira.Repository, keyRaw []byte) tea.Cmd {
	return func() tea.Msg {
		added, err := jira.AddRepository(p, r, keyRaw)
		return repoAddedMsg{repo: added, err: err}
	}
}

// Repository is the entry the draft makes for the repositories list (the
// counts are filled by jira.AddRepository when it indexes the mirror).
func (d *Draft) Repository() jira.Repository {
	r := jira.Repository{
		Name:               d.Name,
		URL:                d.EndpointString(),
		Projects:           d.Projects,
		HostKeyFingerprint: d.HostKeyFingerprint,
		Enabled:            true,
	}
	if len(r.Projects) == 0 {
		r.Projects = []string{jira.AllProjectsValue}
	}
	if d.Key != nil {
		r.KeyFingerprint = d.Key.Fingerprint
	}
	if c := d.Clone; c != nil {
		r.Mirror = c.Dir
		r.DefaultBranch = c.DefaultBranch
		r.Commits = c.Commits
		if c.HostKeyFingerprint != "" {
			r.HostKeyFingerprint = c.HostKeyFingerprint
		}
	}
	return r
}

// SummaryRows are the label/value pairs describing a repository, in the
// order the finish step (and the wizard's caller, on the normal screen) shows them.
func SummaryRows(r jira.Repository, issueKeysKnown bool) [][2]string {
	projects := "All projects"
	if !r.AllProjects() {
		projects = strings.Join(r.Projects, ", ")
	}
	issueKeys := "…"
	if issueKeysKnown {
		issueKeys = fmt.Sprint(r.IssueKeys)
	}
	branch := r.DefaultBranch
	if branch == "" {
		branch = "(empty repository)"
	}
	return [][2]string{
		{"Name", r.Name},
		{"URL", r.URL},
		{"Host key", r.HostKeyFingerprint},
		{"Key", r.KeyFingerprint},
		{"Branch", branch},
		{"Commits", fmt.Sprint(r.Commits)},
		{"Issue keys", issueKeys},
		{"Projects", projects},
		{"Mirror", r.Mirror},
	}
}

// Finish adds the repository to the list as soon as it is entered (the
// permissions step was the last question), then shows the summary with what
// the indexing found; enter ends the wizard. A failure offers retry and back.
type Finish struct {
	env    *Env
	draft  *Draft
	width  int
	spin   spinner.Model
	adding bool
	err    error
}

// NewFinish makes the finish step.
func NewFinish(env *Env, d *Draft) Finish {
	return Finish{env: env, draft: d, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

// ID implements Step.
func (m Finish) ID() ID { return StepFinish }

// Skip implements Step.
func (m Finish) Skip() bool { return false }

// Busy implements Step: the list is being written.
func (m Finish) Busy() bool { return m.adding }

// Typing implements Step.
func (m Finish) Typing() bool { return false }

// Enter implements Step: add the repository.
func (m Finish) Enter() (Step, tea.Cmd) {
	if m.draft.Repo != nil || m.adding {
		return m, nil
	}
	return m.add()
}

func (m Finish) add() (Step, tea.Cmd) {
	m.adding = true
	m.err = nil
	return m, tea.Batch(addRepository(m.env.Paths, m.draft.Repository(), m.draft.KeyRaw), m.spin.Tick)
}

// Update implements Step.
func (m Finish) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		return m, nil
	case repoAddedMsg:
		if !m.adding {
			return m, nil
		}
		m.adding = false
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		r := msg.repo
		m.draft.Repo = &r
		return m, nil
	case spinner.TickMsg:
		return m, spin(&m.spin, m.adding, msg)
	case tea.KeyMsg:
		k := m.env.Keys
		switch {
		case m.adding:
		case m.draft.Repo != nil:
			if key.Matches(msg, k.Next) {
				return m, done(StepFinish)
			}
		case m.err != nil && key.Matches(msg, k.Retry):
			return m.add()
		case m.err != nil && key.Matches(msg, k.Back):
			return m, back(StepFinish)
		}
	}
	return m, nil
}

// View implements Step.
func (m Finish) View() string {
	st := m.env.Styles
	var b strings.Builder
	r, known := m.draft.Repository(), false
	if m.draft.Repo != nil {
		r, known = *m.draft.Repo, true
	}
	// What to do next comes first: on a short terminal the summary's last
	// rows are the ones cut, never the instruction.
	switch {
	case m.adding:
		b.WriteString(m.spin.View() + " Adding: storing the key and indexing the commits…")
	case m.err != nil:
		b.WriteString(wrap(st.Error, m.width, "✗ Not added: "+m.err.Error()))
		b.WriteString("\n")
		b.WriteString(wrap(st.Hint, m.width, "Press r to try again, or esc to go back."))
	case known:
		b.WriteString(wrap(st.Success, m.width, "✓ Added to gitjira's repositories list."))
		b.WriteString("\n")
		b.WriteString(wrap(st.Text, m.width, "Press enter to exit."))
	}
	b.WriteString("\n\n")
	for _, row := range SummaryRows(r, known) {
		if row[0] == "Mirror" {
			row[1] = m.env.Display(row[1])
		}
		b.WriteString(wrap(st.Text, m.width, st.Label.Render(fmt.Sprintf("%-12s", row[0]))+st.Value.Render(row[1])))
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// Help implements Step.
func (m Finish) Help() help.KeyMap {
	k := m.env.Keys
	switch {
	case m.err != nil:
		return newHelp(k.Retry, k.Back)
	case m.draft.Repo != nil:
		return newHelp(withHelp(k.Next, "exit"))
	}
	return newHelp()
}
