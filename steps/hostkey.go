package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
)

// hostCheckedMsg is the result of connecting to learn whether the host key
// is known. endpoint says which endpoint it was for.
type hostCheckedMsg struct {
	endpoint string
	info     *gitops.RemoteInfo
	err      error
}

// hostTrustedMsg says the host key was (or could not be) recorded.
type hostTrustedMsg struct {
	endpoint    string
	fingerprint string
	err         error
}

// checkHost connects with the draft's key and known_hosts: the host key is
// verified first, so a *gitops.HostKeyError says unknown or changed, and any
// other outcome means the host key is known.
func checkHost(ctx context.Context, o gitops.ConnectOptions) tea.Cmd {
	ep := o.Endpoint.String()
	return func() tea.Msg {
		info, err := gitops.Check(ctx, o)
		return hostCheckedMsg{endpoint: ep, info: info, err: err}
	}
}

// trustHost records the offered host key in the known_hosts file.
func trustHost(file string, e *gitops.Endpoint, hk *gitops.HostKeyError) tea.Cmd {
	ep := e.String()
	return func() tea.Msg {
		err := gitops.AddKnownHost(file, e, hk.Offered)
		return hostTrustedMsg{endpoint: ep, fingerprint: hk.OfferedFingerprint, err: err}
	}
}

// HostKey makes sure the host's key is the one the user trusts: an unknown
// host is shown with its fingerprint for a yes/no; a changed key is refused.
type HostKey struct {
	env      *Env
	draft    *Draft
	width    int
	spin     spinner.Model
	checking bool
	trusting bool
	err      error // a failure that is not a host key problem (network...)
}

// NewHostKey makes the host key step.
func NewHostKey(env *Env, d *Draft) HostKey {
	return HostKey{env: env, draft: d, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

// ID implements Step.
func (m HostKey) ID() ID { return StepHostKey }

// Skip implements Step: nothing to ask once the host is known for this endpoint.
func (m HostKey) Skip() bool { return m.draft.HostChecked && m.draft.HostKeyErr == nil }

// Busy implements Step: recording the host key writes known_hosts.
func (m HostKey) Busy() bool { return m.trusting }

// Typing implements Step.
func (m HostKey) Typing() bool { return false }

// Enter implements Step: connect to see the host key, unless a host key
// problem is already known (sent here by the clone step).
func (m HostKey) Enter() (Step, tea.Cmd) {
	m.err = nil
	m.trusting = false
	if m.draft.HostKeyErr != nil || m.draft.Endpoint == nil {
		m.checking = false
		return m, nil
	}
	m.checking = true
	return m, tea.Batch(checkHost(m.env.ctx(), m.draft.connectOptions(m.env)), m.spin.Tick)
}

// Update implements Step.
func (m HostKey) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		return m, nil
	case hostCheckedMsg:
		if !m.checking || msg.endpoint != m.draft.EndpointString() {
			return m, nil
		}
		m.checking = false
		var hk *gitops.HostKeyError
		switch {
		case errors.As(msg.err, &hk):
			m.draft.HostKeyErr = hk
			return m, nil
		case msg.err == nil, isAuthOrRepoError(msg.err):
			// The host key was verified before authentication: it is known.
			m.draft.HostChecked = true
			if msg.info != nil {
				m.draft.HostKeyFingerprint = msg.info.HostKeyFingerprint
				m.draft.Remote = msg.info
			}
			return m, done(StepHostKey)
		case errors.Is(msg.err, context.Canceled):
			return m, nil
		default:
			m.err = msg.err
			return m, nil
		}
	case hostTrustedMsg:
		if !m.trusting || msg.endpoint != m.draft.EndpointString() {
			return m, nil
		}
		m.trusting = false
		if msg.err != nil {
			m.err = fmt.Errorf("could not record the host key: %w", msg.err)
			return m, nil
		}
		m.draft.HostKeyErr = nil
		m.draft.HostChecked = true
		m.draft.HostKeyFingerprint = msg.fingerprint
		return m, done(StepHostKey)
	case spinner.TickMsg:
		return m, spin(&m.spin, m.checking || m.trusting, msg)
	case tea.KeyMsg:
		return m.updateKey(msg)
	}
	return m, nil
}

// isAuthOrRepoError reports failures that happen after the host key was accepted.
func isAuthOrRepoError(err error) bool {
	var ae *gitops.AuthError
	var re *gitops.RepoNotFoundError
	var ce *gitops.RemoteCommandError
	return errors.As(err, &ae) || errors.As(err, &re) || errors.As(err, &ce)
}

func (m HostKey) updateKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	if m.checking || m.trusting {
		if key.Matches(msg, k.Back) && m.checking {
			m.checking = false
			return m, back(StepHostKey)
		}
		return m, nil
	}
	hk := m.draft.HostKeyErr
	switch {
	case key.Matches(msg, k.Back):
		return m, back(StepHostKey)
	case m.err != nil && key.Matches(msg, k.Retry):
		m.draft.HostKeyErr = nil
		return m.Enter()
	case hk != nil && hk.Unknown() && hk.Offered != nil && key.Matches(msg, k.Yes):
		m.trusting = true
		return m, tea.Batch(trustHost(m.env.KnownHostsFile, m.draft.Endpoint, hk), m.spin.Tick)
	case hk != nil && hk.Unknown() && key.Matches(msg, k.No):
		return m, back(StepHostKey)
	}
	return m, nil
}

// View implements Step.
func (m HostKey) View() string {
	st := m.env.Styles
	var b strings.Builder
	hk := m.draft.HostKeyErr
	addr := ""
	if m.draft.Endpoint != nil {
		addr = m.draft.Endpoint.Addr()
	}
	switch {
	case m.checking:
		b.WriteString(m.spin.View() + " Connecting to " + addr + " to check its host key…")
	case m.trusting:
		b.WriteString(m.spin.View() + " Recording the host key…")
	case m.err != nil:
		b.WriteString(wrap(st.Error, m.width, "✗ "+m.err.Error()))
		b.WriteString("\n\n")
		b.WriteString(wrap(st.Hint, m.width, "Press r to try again, or esc to go back."))
	case hk != nil && hk.Unknown():
		b.WriteString(wrap(st.Text, m.width, "This host is not in your known hosts yet. Check the fingerprint with the host's admin (or its documentation) before trusting it."))
		b.WriteString("\n\n")
		b.WriteString(m.field("Host", hk.Host))
		b.WriteString(m.field("Key type", hk.KeyType))
		b.WriteString(m.field("Fingerprint", hk.OfferedFingerprint))
		b.WriteString(m.field("Known hosts", m.env.Display(hk.KnownHostsFile)))
		b.WriteString("\n")
		b.WriteString(wrap(st.Value, m.width, "Trust this host and record its key? (y/n)"))
	case hk != nil && hk.Revoked:
		b.WriteString(wrap(st.Warning, m.width, "WARNING: THE HOST KEY IS REVOKED"))
		b.WriteString("\n\n")
		b.WriteString(wrap(st.Error, m.width, hk.Error()))
		b.WriteString("\n\n")
		b.WriteString(wrap(st.Text, m.width, "Press esc to go back or ctrl+c to quit."))
	case hk != nil:
		b.WriteString(wrap(st.Warning, m.width, "WARNING: THE HOST KEY HAS CHANGED"))
		b.WriteString("\n\n")
		b.WriteString(wrap(st.Error, m.width, "Someone could be intercepting the connection, or the host's key was replaced. gitjira will not connect."))
		b.WriteString("\n\n")
		b.WriteString(m.field("Host", hk.Host))
		for _, k := range hk.Known {
			b.WriteString(m.field("Known", k))
		}
		offered := hk.OfferedFingerprint
		if offered == "" {
			offered = "(none of the known key types)"
		}
		b.WriteString(m.field("Offered", offered))
		b.WriteString("\n")
		b.WriteString(wrap(st.Text, m.width, "Ask the host's admin which key is right. If the new key is confirmed, remove the old line from "+m.env.Display(hk.KnownHostsFile)+" and connect again. Press esc to go back or ctrl+c to quit."))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (m HostKey) field(label, value string) string {
	st := m.env.Styles
	return wrap(st.Text, m.width, st.Label.Render(fmt.Sprintf("%-12s", label))+st.Value.Render(value)) + "\n"
}

// Help implements Step.
func (m HostKey) Help() help.KeyMap {
	k := m.env.Keys
	hk := m.draft.HostKeyErr
	switch {
	case m.checking, m.trusting:
		return newHelp(k.Back)
	case m.err != nil:
		return newHelp(k.Retry, k.Back)
	case hk != nil && hk.Unknown():
		return newHelp(withHelp(k.Yes, "trust"), withHelp(k.No, "do not trust"), k.Back)
	}
	return newHelp(k.Back)
}
