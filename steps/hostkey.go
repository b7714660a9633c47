package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
)

// hostCheckedMsg is the result of connecting to learn whether the host key
// is known. endpoint says which endpoint it was for.
type hostCheckedMsg struct {
	endpoint string
	info     *gitops.RemoteInfo
	err      error
}

// hostScannedMsg lists every host key the server has (gitops.KeyScan).
type hostScannedMsg struct {
	endpoint string
	keys     []ssh.PublicKey
}

// scanHost asks the server for its key of each type, as ssh-keyscan does,
// so an unknown host shows every fingerprint its admin may have published.
func scanHost(ctx context.Context, e *gitops.Endpoint, timeout time.Duration) tea.Cmd {
	ep := e.String()
	return func() tea.Msg {
		keys, _ := gitops.KeyScan(ctx, e, timeout) // only shown: no keys, nothing more to show
		return hostScannedMsg{endpoint: ep, keys: keys}
	}
}

// checkHost connects with the draft's key and known_hosts: the host key is
// verified first, so a *gitops.HostKeyError says unknown or changed, and any
// other outcome means the host key is known. Nothing is written: trusting
// an unknown host is recorded by the clone (TrustFingerprint).
func checkHost(ctx context.Context, o gitops.ConnectOptions) tea.Cmd {
	ep := o.Endpoint.String()
	return func() tea.Msg {
		info, err := gitops.Check(ctx, o)
		return hostCheckedMsg{endpoint: ep, info: info, err: err}
	}
}

// HostKey makes sure the host's key is the one the user trusts: an unknown
// host is shown with its fingerprint for a yes/no; a changed key is refused.
// The check also finds a refused key, a wrong path or an unreachable host
// early: those go to the step that fixes them.
type HostKey struct {
	env      *Env
	draft    *Draft
	width    int
	spin     spinner.Model
	checking bool
	declined bool  // the user answered no
	err      error // a failure no earlier step fixes
	// others are the server's host keys of the other types, for an unknown host
	others    []ssh.PublicKey
	othersFor string
}

// NewHostKey makes the host key step.
func NewHostKey(env *Env, d *Draft) HostKey {
	return HostKey{env: env, draft: d, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
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

// Busy implements Step.
func (m HostKey) Busy() bool { return false }

// Typing implements Step.
func (m HostKey) Typing() bool { return false }

// Declined reports whether the user answered no to the unknown host.
func (m HostKey) Declined() bool { return m.declined }

// Enter implements Step: connect to see the host key, unless a host key
// problem is already known (sent here by the clone step).
func (m HostKey) Enter() (Step, tea.Cmd) {
	m.err = nil
	m.declined = false
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
			if hk.Unknown() && m.othersFor != msg.endpoint {
				return m, scanHost(m.env.ctx(), m.draft.Endpoint, m.env.Timeout)
			}
			return m, nil
		case msg.err == nil:
			m.draft.HostChecked = true
			m.draft.HostKeyErr = nil
			m.draft.Remote = msg.info
			m.draft.HostKeyFingerprint = msg.info.HostKeyFingerprint
			return m, done(StepHostKey)
		case errors.Is(msg.err, context.Canceled):
			return m, nil
		}
		if isAfterHostKey(msg.err) {
			// The host key was verified before authentication: it is known.
			m.draft.HostChecked = true
			m.draft.HostKeyErr = nil
		}
		if to, ok := route(m.draft, msg.err); ok {
			return m, gotoStep(to, msg.err)
		}
		m.err = msg.err
		return m, nil
	case hostScannedMsg:
		if msg.endpoint != m.draft.EndpointString() {
			return m, nil
		}
		m.othersFor, m.others = msg.endpoint, nil
		offered := ""
		if hk := m.draft.HostKeyErr; hk != nil {
			offered = hk.OfferedFingerprint
		}
		for _, k := range msg.keys {
			if ssh.FingerprintSHA256(k) != offered {
				m.others = append(m.others, k)
			}
		}
		return m, nil
	case spinner.TickMsg:
		return m, spin(&m.spin, m.checking, msg)
	case tea.KeyMsg:
		return m.updateKey(msg)
	}
	return m, nil
}

// isAfterHostKey reports failures that happen after the host key was accepted.
func isAfterHostKey(err error) bool {
	var ae *gitops.AuthError
	var re *gitops.RepoNotFoundError
	var ce *gitops.RemoteCommandError
	return errors.As(err, &ae) || errors.As(err, &re) || errors.As(err, &ce)
}

func (m HostKey) updateKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	if m.checking {
		if key.Matches(msg, k.Back) {
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
		// Recorded in known_hosts by the clone, which accepts exactly this key.
		m.draft.TrustFingerprint = hk.OfferedFingerprint
		m.draft.HostChecked = true
		m.draft.HostKeyFingerprint = hk.OfferedFingerprint
		m.declined = false
		return m, done(StepHostKey)
	case hk != nil && hk.Unknown() && key.Matches(msg, k.No):
		m.declined = true
		return m, nil
	}
	return m, nil
}

// View implements Step.
func (m HostKey) View() Screen {
	st := m.env.Styles
	top, body, bottom := newLines(m.width), newLines(m.width), newLines(m.width)
	scr := Screen{}
	hk := m.draft.HostKeyErr
	addr := ""
	if m.draft.Endpoint != nil {
		addr = m.draft.Endpoint.Addr()
	}
	switch {
	case m.checking:
		top.text(st.Text, m.spin.View()+" Connecting to "+addr+" to check its host key…")
	case m.err != nil:
		top.text(st.Text, "The connection to "+addr+" failed.")
		bottom.text(st.Error, "✗ "+common.ErrText(m.err))
		bottom.text(st.Hint, "Press r to try again, or esc to go back.")
	case hk != nil && hk.Unknown():
		top.text(st.Text, "This host is not in your known hosts yet. Compare its fingerprint with the one its admin (or its documentation) publishes before trusting it.")
		body.add(m.field("Host", hk.Host))
		body.add(m.field("Key type", hk.KeyType))
		body.add(st.Label.Render("Fingerprint"))
		body.code(st.Value, hk.OfferedFingerprint)
		body.add(m.field("Known hosts", m.env.Display(hk.KnownHostsFile)))
		if len(m.others) > 0 && m.othersFor == m.draft.EndpointString() {
			body.blank()
			body.text(st.Text, "The server has other host keys too; any of them may be the one its admin published:")
			for _, k := range m.others {
				body.add(st.Label.Render(k.Type()))
				body.code(st.Value, ssh.FingerprintSHA256(k))
			}
		}
		scr.Copy, scr.CopyWhat = hk.OfferedFingerprint, "fingerprint"
		if m.declined {
			bottom.text(st.Error, "✗ Not trusted: nothing was recorded, and gitjira does not connect to a host it has not verified.")
			bottom.text(st.Text, "Ask the host's admin for its "+shortType(hk.KeyType)+" host key fingerprint (ssh-keygen -lf on the server's host key). If it matches, press y; esc goes back to change the key or location; ctrl+c quits.")
		} else {
			bottom.text(st.Value, "Trust this host and record its key? (y/n)")
		}
	case hk != nil && hk.Revoked:
		top.text(st.Warning, "WARNING: THE HOST KEY IS REVOKED")
		body.text(st.Error, common.ErrText(hk))
		bottom.text(st.Text, "gitjira will not connect. Press esc to go back or ctrl+c to quit.")
	case hk != nil:
		top.text(st.Warning, "WARNING: THE HOST KEY HAS CHANGED")
		body.text(st.Error, "Someone could be intercepting the connection, or the host's key was replaced.")
		body.blank()
		body.add(m.field("Host", hk.Host))
		for _, k := range hk.Known {
			body.add(st.Label.Render("Known"))
			body.code(st.Value, k)
		}
		body.add(st.Label.Render("Offered"))
		if hk.OfferedFingerprint == "" {
			body.text(st.Value, "(none of the known key types)")
		} else {
			body.code(st.Value, hk.OfferedFingerprint)
		}
		body.blank()
		body.text(st.Text, "Ask the host's admin which key is right. If the new key is confirmed, remove the old line from "+m.env.Display(hk.KnownHostsFile)+" and connect again.")
		bottom.text(st.Error, "gitjira will not connect. Press esc to go back or ctrl+c to quit.")
	}
	scr.Top, scr.Body, scr.Bottom, scr.Focus = top.String(), body.String(), bottom.String(), -1
	return scr
}

func shortType(t string) string {
	switch {
	case t == "ssh-ed25519":
		return "ED25519"
	case strings.HasPrefix(t, "ecdsa-"):
		return "ECDSA"
	case t == "ssh-rsa":
		return "RSA"
	}
	return t
}

func (m HostKey) field(label, value string) string {
	st := m.env.Styles
	return common.Wrap(st.Text, m.width, st.Label.Render(fmt.Sprintf("%-12s", label))+st.Value.Render(value))
}

// Help implements Step.
func (m HostKey) Help() help.KeyMap {
	k := m.env.Keys
	hk := m.draft.HostKeyErr
	switch {
	case m.checking:
		return common.NewHelp(k.Back)
	case m.err != nil:
		return common.NewHelp(k.Retry, k.Back)
	case hk != nil && hk.Unknown():
		return common.NewHelp(common.WithDesc(k.Yes, "trust"), common.WithDesc(k.No, "do not trust"), common.WithDesc(k.Copy, "copy the fingerprint"), k.Back)
	}
	return common.NewHelp(k.Back)
}
