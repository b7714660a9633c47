package steps

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/hostkey"
)

// HostKey makes sure the host's key is the one the user trusts (the host
// key component): an unknown host is shown with its fingerprint for a
// yes/no; a changed key is refused, with the line that fixes known_hosts.
// The check also finds a refused key, a wrong path or an unreachable host
// early: those go to the step that fixes them.
type HostKey struct {
	env   *Env
	draft *Draft
	width int
	check *hostkey.Model
}

// NewHostKey makes the host key step.
func NewHostKey(env *Env, d *Draft) HostKey {
	return HostKey{env: env, draft: d, check: hostkey.New(env.Common(), StepHostKey.Owner(""))}
}

// ID implements Step.
func (m HostKey) ID() ID { return StepHostKey }

// Skip implements Step: nothing to ask once the host is known, or trusted,
// for this endpoint.
func (m HostKey) Skip() bool {
	d := m.draft
	if !d.HostChecked {
		return false
	}
	hk := d.HostKeyErr
	return hk == nil || (hk.Unknown() && d.TrustFingerprint != "" && d.TrustFingerprint == hk.OfferedFingerprint)
}

// Busy implements Step: a running check is cancelled by esc or quit at once.
func (m HostKey) Busy() bool { return false }

// Typing implements Step.
func (m HostKey) Typing() bool { return false }

// Declined reports whether the user answered no to the unknown host.
func (m HostKey) Declined() bool { return m.check.Declined() }

// Checking reports whether the host key check runs.
func (m HostKey) Checking() bool { return m.check.Checking() }

// Enter implements Step: connect to see the host key. A host key problem
// found before (by the clone, or an earlier visit) is checked again, since
// known_hosts is read afresh: the user may have fixed it meanwhile.
func (m HostKey) Enter() (Step, tea.Cmd) {
	if m.draft.Endpoint == nil {
		m.check.Show(m.draft.HostKeyErr)
		return m, nil
	}
	return m, m.check.Check(m.draft.connectOptions(m.env))
}

// Update implements Step.
func (m HostKey) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.check.SetSize(msg.Width, msg.Height)
		return m, nil
	case hostkey.VerifiedMsg:
		// The host key was verified (before authentication, if that failed).
		m.draft.HostChecked = true
		m.draft.HostKeyErr = nil
		if msg.Err == nil {
			m.draft.Remote = msg.Info
			m.draft.HostKeyFingerprint = msg.Info.HostKeyFingerprint
			return m, done(StepHostKey)
		}
		return m.fail(msg.Err)
	case hostkey.TrustedMsg:
		// Recorded in known_hosts by the clone, which accepts exactly this key.
		m.draft.TrustFingerprint = msg.Fingerprint
		m.draft.HostChecked = true
		m.draft.HostKeyFingerprint = msg.Fingerprint
		return m, done(StepHostKey)
	case hostkey.FailedMsg:
		return m.fail(msg.Err)
	case tea.KeyMsg:
		if key.Matches(msg, m.env.Keys.Back) {
			m.check.Cancel() // a running check stops; its result is dropped
			return m, back(StepHostKey)
		}
	}
	_, cmd := m.check.Update(msg)
	m.draft.HostKeyErr = m.check.Problem()
	if hk := m.draft.HostKeyErr; hk != nil {
		m.draft.HostChecked = false
		if !hk.Unknown() {
			m.draft.TrustFingerprint = ""
		}
	}
	return m, cmd
}

// fail sends err to the step that fixes it, or shows it with retry.
func (m HostKey) fail(err error) (Step, tea.Cmd) {
	if to, ok := route(m.draft, err); ok {
		return m, gotoStep(to, err)
	}
	m.check.SetError(err)
	return m, nil
}

// View implements Step.
func (m HostKey) View() Screen {
	p := m.check.Parts()
	top, body, bottom := common.NewLines(m.width), common.NewLines(m.width), common.NewLines(m.width)
	for _, l := range p.Top {
		top.Add(m.check.Render(l))
	}
	for _, l := range p.Body {
		body.Add(m.check.Render(l))
	}
	for _, l := range p.Bottom {
		bottom.Add(m.check.Render(l))
	}
	scr := Screen{Top: top.String(), Body: body.String(), Bottom: bottom.String(), Focus: -1}
	scr.Copy, scr.CopyWhat = m.check.Copy()
	return scr
}

// Help implements Step.
func (m HostKey) Help() help.KeyMap {
	h := m.check.ShortHelp()
	if text, what := m.check.Copy(); text != "" {
		h = append(h, common.WithDesc(m.env.Keys.Copy, "copy the "+what))
	}
	return common.NewHelp(append(h, m.env.Keys.Back)...)
}
