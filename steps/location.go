package steps

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// locationInspectedMsg is what is known about the location text as typed:
// its parsed form, the repository already connected from there, a free name.
type locationInspectedMsg struct {
	common.Request
	text        string
	endpoint    *gitops.Endpoint
	err         error
	connectedAs string
	suggested   string
}

// locationPlannedMsg is lifecycle.Manager.Plan's answer for the form.
type locationPlannedMsg struct {
	common.Request
	text, name string
	auto       bool // the name was the suggestion, made for text
	plan       *lifecycle.Plan
	err        error
}

// aliasesMsg lists the Host aliases of ~/.ssh/config.
type aliasesMsg struct{ hosts []string }

// inspectLocation parses text with ~/.ssh/config and asks the lifecycle
// layer whether it is connected already and which name is free (it reads
// files, hence a command).
func inspectLocation(req common.Request, mgr *lifecycle.Manager, text, sshConfig string) tea.Cmd {
	return func() tea.Msg {
		t := strings.TrimSpace(text)
		e, err := gitops.ParseURLWithConfig(t, sshConfig)
		msg := locationInspectedMsg{Request: req, text: text, endpoint: e, err: err}
		if err == nil {
			msg.connectedAs = mgr.ConnectedAs(t)
			msg.suggested = mgr.SuggestName(t)
		}
		return msg
	}
}

// planLocation validates the form with lifecycle.Manager.Plan (no network,
// nothing created). auto: the user did not type a name, so the suggestion
// for text is used (the one in the field may be for text typed earlier).
func planLocation(req common.Request, mgr *lifecycle.Manager, text, name string, auto bool) tea.Cmd {
	return func() tea.Msg {
		t := strings.TrimSpace(text)
		if auto {
			name = mgr.SuggestName(t)
		}
		p, err := mgr.Plan(lifecycle.ConnectRequest{URL: t, Name: name})
		return locationPlannedMsg{Request: req, text: text, name: name, auto: auto, plan: p, err: err}
	}
}

// loadAliases reads the Host aliases of the ssh config file ("": ~/.ssh/config).
func loadAliases(sshConfig string) tea.Cmd {
	return func() tea.Msg {
		return aliasesMsg{hosts: gitops.SSHConfigHosts(sshConfig)}
	}
}

// The location step's fields.
const (
	fieldURL = iota
	fieldName
)

// Location asks where the repository is and the name to list it under,
// validates both as they are typed and, on enter, with the lifecycle layer.
type Location struct {
	env     *Env
	draft   *Draft
	input   textinput.Model
	name    textinput.Model
	field   int
	aliases []string
	width   int

	// what inspectLocation said about inspectedFor
	inspectedFor string
	parsed       *gitops.Endpoint
	parseErr     error
	connectedAs  string
	nameEdited   bool

	planning bool
	err      error // the last enter's refusal
	errField int
}

// NewLocation makes the location step; prefill is put in the field (e.g. by the demo).
func NewLocation(env *Env, d *Draft, prefill string) Location {
	in := common.NewInput(env.Styles, "› ")
	in.Placeholder = "git@host:org/repo.git"
	in.CharLimit = 2048
	in.ShowSuggestions = true
	in.KeyMap.AcceptSuggestion = env.Keys.Complete
	in.SetValue(prefill)
	in.CursorEnd()
	in.Focus()
	n := common.NewInput(env.Styles, "Name: ")
	n.Placeholder = "the name in gitjira's list"
	n.CharLimit = 100
	return Location{env: env, draft: d, input: in, name: n}
}

// ID implements Step.
func (m Location) ID() ID { return StepLocation }

// Skip implements Step: the location is always asked.
func (m Location) Skip() bool { return false }

// Busy implements Step.
func (m Location) Busy() bool { return false }

// Typing implements Step.
func (m Location) Typing() bool { return true }

// Value is the text in the location field.
func (m Location) Value() string { return m.input.Value() }

// NameValue is the text in the name field.
func (m Location) NameValue() string { return m.name.Value() }

// Enter implements Step.
func (m Location) Enter() (Step, tea.Cmd) {
	m.planning = false
	if m.draft.LocationErr != nil {
		m.err = nil // the routed error is the one to show
		m.field = fieldURL
		if isNameError(m.draft.LocationErr) {
			m.field = fieldName
		}
	}
	m = m.focus()
	cmds := []tea.Cmd{loadAliases(m.env.SSHConfigFile)}
	if m.field == fieldURL {
		cmds = append(cmds, m.input.Focus())
	} else {
		cmds = append(cmds, m.name.Focus())
	}
	if v := m.input.Value(); strings.TrimSpace(v) != "" {
		// again, even for the same text: the list may have changed
		cmds = append(cmds, m.inspect(v))
	}
	return m, tea.Batch(cmds...)
}

// inspect starts the inspection of text; an earlier one still running is
// stale (the wizard drops its result).
func (m Location) inspect(text string) tea.Cmd {
	return inspectLocation(m.env.requests().New(StepLocation.Owner("inspect")), m.env.manager(), text, m.env.SSHConfigFile)
}

func (m Location) focus() Location {
	m.input.Blur()
	m.name.Blur()
	if m.field == fieldURL {
		m.input.Focus()
	} else {
		m.name.Focus()
	}
	return m
}

// isNameError reports errors that the name field fixes.
func isNameError(err error) bool {
	var de *gitops.DirExistsError
	return errors.Is(err, store.ErrNameTaken) || errors.Is(err, lifecycle.ErrBusy) || errors.As(err, &de)
}

// Update implements Step.
func (m Location) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.input.Width = max(10, msg.Width-len(m.input.Prompt)-1)
		m.name.Width = max(10, msg.Width-len(m.name.Prompt)-3)
		return m, nil
	case aliasesMsg:
		m.aliases = msg.hosts
		sugg := make([]string, 0, len(msg.hosts))
		for _, h := range msg.hosts {
			sugg = append(sugg, h+":")
		}
		m.input.SetSuggestions(sugg)
		return m, nil
	case locationInspectedMsg:
		m.inspectedFor, m.parsed, m.parseErr, m.connectedAs = msg.text, msg.endpoint, msg.err, msg.connectedAs
		// A location connected already keeps its name in the field, with
		// "already connected as" beside it, rather than a silent "app-2".
		if !m.nameEdited && msg.connectedAs != "" {
			m.name.SetValue("")
		}
		if !m.nameEdited && msg.suggested != "" && m.name.Value() != msg.suggested && msg.connectedAs == "" {
			m.name.SetValue(msg.suggested)
			m.name.CursorEnd()
		}
		return m, nil
	case locationPlannedMsg:
		m.planning = false
		if msg.auto {
			m.name.SetValue(msg.name)
			m.name.CursorEnd()
		}
		if msg.err != nil {
			m.err, m.errField = msg.err, m.fieldOf(msg.err)
			var ace *lifecycle.AlreadyConnectedError
			if errors.As(msg.err, &ace) {
				m.connectedAs = ace.Name
			}
			m.field = m.errField
			return m.focus(), nil
		}
		m.err = nil
		m.draft.SetPlan(msg.text, msg.plan)
		return m, done(StepLocation)
	case tea.KeyMsg:
		return m.updateKey(msg)
	}
	var c1, c2 tea.Cmd
	m.input, c1 = m.input.Update(msg)
	m.name, c2 = m.name.Update(msg)
	return m, tea.Batch(c1, c2)
}

// fieldOf says which field an error of Plan is about.
func (m Location) fieldOf(err error) int {
	if isNameError(err) {
		return fieldName
	}
	if m.parsed != nil && errors.Is(err, lifecycle.ErrInvalid) && store.ValidName(m.nameValue()) != nil {
		return fieldName
	}
	return fieldURL
}

// nameValue is the name to plan with: the field, or the suggestion when it
// was emptied.
func (m Location) nameValue() string { return strings.TrimSpace(m.name.Value()) }

func (m Location) updateKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	switch {
	case key.Matches(msg, k.Next):
		if m.planning {
			return m, nil
		}
		v := m.input.Value()
		if strings.TrimSpace(v) == "" {
			m.err, m.errField, m.field = errEmptyLocation, fieldURL, fieldURL
			return m.focus(), nil
		}
		m.planning = true
		m.draft.LocationErr = nil
		auto := !m.nameEdited || m.nameValue() == ""
		return m, planLocation(m.env.requests().New(StepLocation.Owner("plan")), m.env.manager(), v, m.nameValue(), auto)
	case key.Matches(msg, k.Back):
		return m, nil // first step: nothing before it
	case key.Matches(msg, k.Down), key.Matches(msg, k.NextMode) && !(m.field == fieldURL && m.canComplete()):
		m.field = fieldName
		return m.focus(), nil
	case key.Matches(msg, k.Up), key.Matches(msg, k.PrevMode):
		m.field = fieldURL
		return m.focus(), nil
	}
	if m.field == fieldName {
		before := m.name.Value()
		var cmd tea.Cmd
		m.name, cmd = m.name.Update(msg)
		if m.name.Value() != before {
			m.nameEdited = true
			m.clearStale()
		}
		return m, cmd
	}
	if msg.Type == tea.KeyRunes && !msg.Paste && strings.ContainsRune(string(msg.Runes), '?') {
		return m, nil // '?' is the help key (the wizard's): never part of a location
	}
	before := m.input.Value()
	var cmd tea.Cmd
	if key.Matches(msg, k.NextMode) {
		msg = tea.KeyMsg{Type: tea.KeyRight} // tab completes the alias
	}
	m.input, cmd = m.input.Update(msg)
	if v := m.input.Value(); v != before {
		m.clearStale()
		if strings.TrimSpace(v) == "" {
			m.inspectedFor, m.parsed, m.parseErr, m.connectedAs = v, nil, nil, ""
			return m, cmd
		}
		return m, tea.Batch(cmd, m.inspect(v))
	}
	return m, cmd
}

// canComplete reports whether the location field has an alias to complete.
func (m Location) canComplete() bool {
	s := m.input.CurrentSuggestion()
	return s != "" && s != m.input.Value()
}

// clearStale forgets the messages about the text as it was, and a check
// of it still running (its result would be for the old text).
func (m *Location) clearStale() {
	m.err = nil
	m.draft.LocationErr = nil
	if m.planning {
		m.env.requests().Cancel(StepLocation.Owner("plan"))
		m.planning = false
	}
}

// HelpKey implements the wizard's HelpWhileTyping: '?' is never typed
// into a location or a name, so it shows the keys here too.
func (m Location) HelpKey() bool { return true }

type locationError string

func (e locationError) Error() string { return string(e) }

const errEmptyLocation = locationError("type the repository's SSH location, e.g. git@host:org/repo.git")

// View implements Step.
func (m Location) View() Screen {
	st := m.env.Styles
	top := common.NewLines(m.width)
	top.Text(st.Text, "Where is the repository? Type its SSH location, and the name gitjira will list it under.")

	body := common.NewLines(m.width)
	if m.field == fieldURL {
		body.FocusNext()
	}
	body.Add(m.input.View())
	if m.field == fieldName {
		body.FocusNext()
	}
	body.Add("  " + m.name.View())
	if m.connectedAs != "" && m.parsedFor() {
		body.Text(st.Error, "        ✗ already connected as "+m.connectedAs)
	}
	body.Blank()
	body.Text(st.Hint, "Accepted forms:")
	for _, f := range []string{
		"  ssh://[user@]host[:port]/path/repo.git",
		"  [user@]host:path/repo.git   (scp-like)",
		"  git+ssh://[user@]host[:port]/path",
	} {
		body.Text(st.Hint, f)
	}
	if len(m.aliases) > 0 {
		body.Blank()
		body.Text(st.Hint, "Hosts in ~/.ssh/config (type alias:path, tab or → completes): "+strings.Join(m.aliases, ", "))
	}

	bottom := common.NewLines(m.width)
	scr := Screen{Top: top.String(), Body: body.String(), Focus: body.Focus()}
	otherErr := m.err != nil || m.draft.LocationErr != nil
	switch {
	case m.parsedFor() && m.parseErr != nil && !otherErr:
		bottom.Text(st.Error, "✗ "+common.ErrText(m.parseErr))
	case m.parsedFor() && m.parsed != nil && !otherErr && m.connectedAs == "":
		// (a newer error replaces the ✓: never a ✓ above a ✗)
		line := "✓ " + m.parsed.String()
		if m.parsed.Alias != "" {
			line += " (from ~/.ssh/config Host " + m.parsed.Alias + ")"
		}
		bottom.Text(st.Success, line)
		if s := m.parsed.SuggestForgeUser(); s != "" {
			// No user typed or configured: the login would be the local user.
			bottom.Text(st.Hint, "This host serves repositories as user git: type "+s)
		}
	}
	switch {
	case m.planning:
		bottom.Text(st.Hint, "Checking…")
	case m.connectedAs != "" && m.parsedFor():
		cmd := "gitjira repos fetch " + m.connectedAs
		bottom.Text(st.Error, fmt.Sprintf("✗ This location is already connected as %q. To get its new commits, quit (ctrl+c) and run:", m.connectedAs))
		bottom.Code(st.Code, cmd)
		bottom.Text(st.Text, "or type another location.")
		scr.Copy, scr.CopyWhat = cmd, "command"
	case m.draft.LocationErr != nil:
		bottom.Text(st.Error, "✗ "+common.ErrText(m.draft.LocationErr))
		what := "location"
		if isNameError(m.draft.LocationErr) {
			what = "name"
		}
		bottom.Text(st.Hint, "Correct the "+what+" and press enter to try again.")
	case m.err != nil:
		bottom.Text(st.Error, "✗ "+common.ErrText(m.err))
	}
	scr.Bottom = bottom.String()
	return scr
}

// parsedFor reports whether the inspection is for the text in the field.
func (m Location) parsedFor() bool {
	return m.inspectedFor == m.input.Value() && strings.TrimSpace(m.input.Value()) != ""
}

// Help implements Step.
func (m Location) Help() help.KeyMap {
	k := m.env.Keys
	h := common.NewHelp(common.WithDesc(k.Next, "continue"), common.WithDesc(upDown(k, ""), "location/name"))
	if m.field == fieldURL && len(m.aliases) > 0 {
		h.Short = append(h.Short, common.WithDesc(k.TabComplete, "complete"))
	}
	if m.connectedAs != "" && m.parsedFor() {
		h.Short = append(h.Short, key.NewBinding(key.WithKeys("ctrl+y"), key.WithHelp("ctrl+y", "copy the command")))
	}
	return h
}
