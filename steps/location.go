package steps

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
)

// urlParsedMsg is the result of parsing the location text.
type urlParsedMsg struct {
	text     string
	endpoint *gitops.Endpoint
	err      error
	submit   bool // the user pressed enter: move on if it parsed
}

// aliasesMsg lists the Host aliases of ~/.ssh/config.
type aliasesMsg struct{ hosts []string }

// parseLocation parses text with ~/.ssh/config (which it reads, hence a command).
func parseLocation(text, sshConfig string, submit bool) tea.Cmd {
	return func() tea.Msg {
		e, err := gitops.ParseURLWithConfig(strings.TrimSpace(text), sshConfig)
		return urlParsedMsg{text: text, endpoint: e, err: err, submit: submit}
	}
}

// loadAliases reads the Host aliases of the ssh config file ("": ~/.ssh/config).
func loadAliases(sshConfig string) tea.Cmd {
	return func() tea.Msg {
		return aliasesMsg{hosts: gitops.SSHConfigHosts(sshConfig)}
	}
}

// Location asks where the repository is and validates it as it is typed.
type Location struct {
	env     *Env
	draft   *Draft
	input   textinput.Model
	aliases []string
	width   int

	parsed    *gitops.Endpoint // result for parsedFor
	err       error            // error for parsedFor
	parsedFor string
}

// NewLocation makes the location step; prefill is put in the field (e.g. by the demo).
func NewLocation(env *Env, d *Draft, prefill string) Location {
	in := textinput.New()
	in.Prompt = "› "
	in.Placeholder = "git@host:org/repo.git"
	in.CharLimit = 2048
	in.ShowSuggestions = true
	in.KeyMap.AcceptSuggestion = env.Keys.Complete
	in.SetValue(prefill)
	in.CursorEnd()
	in.Focus()
	return Location{env: env, draft: d, input: in}
}

// ID implements Step.
func (m Location) ID() ID { return StepLocation }

// Skip implements Step: the location is always asked.
func (m Location) Skip() bool { return false }

// Busy implements Step.
func (m Location) Busy() bool { return false }

// Typing implements Step.
func (m Location) Typing() bool { return true }

// Value is the text in the field.
func (m Location) Value() string { return m.input.Value() }

// Enter implements Step.
func (m Location) Enter() (Step, tea.Cmd) {
	cmds := []tea.Cmd{m.input.Focus(), loadAliases(m.env.SSHConfigFile)}
	if v := m.input.Value(); strings.TrimSpace(v) != "" && v != m.parsedFor {
		cmds = append(cmds, parseLocation(v, m.env.SSHConfigFile, false))
	}
	return m, tea.Batch(cmds...)
}

// Update implements Step.
func (m Location) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.input.Width = max(10, msg.Width-len(m.input.Prompt)-1)
		return m, nil
	case aliasesMsg:
		m.aliases = msg.hosts
		sugg := make([]string, 0, len(msg.hosts))
		for _, h := range msg.hosts {
			sugg = append(sugg, h+":")
		}
		m.input.SetSuggestions(sugg)
		return m, nil
	case urlParsedMsg:
		if msg.text != m.input.Value() {
			return m, nil // stale: the user typed on
		}
		m.parsedFor, m.parsed, m.err = msg.text, msg.endpoint, msg.err
		if msg.submit && msg.err == nil && msg.endpoint != nil {
			m.draft.SetEndpoint(msg.text, msg.endpoint)
			return m, done(StepLocation)
		}
		return m, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, m.env.Keys.Next):
			v := m.input.Value()
			if strings.TrimSpace(v) == "" {
				m.parsedFor, m.parsed = v, nil
				m.err = errEmptyLocation
				return m, nil
			}
			return m, parseLocation(v, m.env.SSHConfigFile, true)
		case key.Matches(msg, m.env.Keys.Back):
			return m, nil // first step: nothing before it
		}
		before := m.input.Value()
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		if v := m.input.Value(); v != before {
			if strings.TrimSpace(v) == "" {
				m.parsedFor, m.parsed, m.err = v, nil, nil
				return m, cmd
			}
			return m, tea.Batch(cmd, parseLocation(v, m.env.SSHConfigFile, false))
		}
		return m, cmd
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

type locationError string

func (e locationError) Error() string { return string(e) }

const errEmptyLocation = locationError("type the repository's SSH location, e.g. git@host:org/repo.git")

// View implements Step.
func (m Location) View() string {
	st := m.env.Styles
	var b strings.Builder
	b.WriteString(wrap(st.Text, m.width, "Where is the repository? Type its SSH location."))
	b.WriteString("\n\n")
	b.WriteString(m.input.View())
	b.WriteString("\n")
	switch {
	case m.parsedFor != m.input.Value():
		b.WriteString("\n")
	case m.err != nil:
		b.WriteString(wrap(st.Error, m.width, "✗ "+m.err.Error()))
		b.WriteString("\n")
	case m.parsed != nil:
		line := "✓ " + m.parsed.String()
		if m.parsed.Alias != "" {
			line += " (from ~/.ssh/config Host " + m.parsed.Alias + ")"
		}
		b.WriteString(wrap(st.Success, m.width, line))
		b.WriteString("\n")
	default:
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(wrap(st.Hint, m.width, "Accepted forms:"))
	b.WriteString("\n")
	for _, f := range []string{
		"  ssh://[user@]host[:port]/path/repo.git",
		"  [user@]host:path/repo.git   (scp-like)",
		"  git+ssh://[user@]host[:port]/path",
	} {
		b.WriteString(wrap(st.Hint, m.width, f))
		b.WriteString("\n")
	}
	if len(m.aliases) > 0 {
		b.WriteString("\n")
		b.WriteString(wrap(st.Hint, m.width, "Hosts in ~/.ssh/config (type alias:path, → completes): "+strings.Join(m.aliases, ", ")))
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// Help implements Step.
func (m Location) Help() help.KeyMap {
	k := m.env.Keys
	h := newHelp(withHelp(k.Next, "continue"))
	if len(m.aliases) > 0 {
		h.short = append(h.short, k.Complete)
	}
	return h
}
