// Package hostkey is the host key check: it connects to learn whether the
// server's key is known (reading known_hosts afresh each time), shows an
// unknown host's fingerprints for a yes/no, and refuses a changed or
// revoked key with the way to fix it (the ssh-keygen -R line). It emits
// VerifiedMsg, TrustedMsg or FailedMsg; its host decides what follows.
package hostkey

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/ui/common"
)

// VerifiedMsg says the host key is known and matched (Info is what the
// connection learnt; nil when the check ended after the host key, with Err).
type VerifiedMsg struct {
	Info *gitops.RemoteInfo
	// Err is a failure after the host key was verified (a refused key, a
	// wrong path): the host key is known, the host routes Err.
	Err error
}

// TrustedMsg says the user trusts the unknown host's key Fingerprint.
type TrustedMsg struct{ Fingerprint string }

// FailedMsg is a failure before the host key was seen (no connection).
type FailedMsg struct{ Err error }

// CheckedMsg is the result of a check (a reply to the component's request).
type CheckedMsg struct {
	common.Request
	Info *gitops.RemoteInfo
	Err  error
}

// ScannedMsg lists every host key the server has (gitops.KeyScan).
type ScannedMsg struct {
	common.Request
	Keys []ssh.PublicKey
}

// Model is the check and its screen.
type Model struct {
	c     common.Common
	owner string
	spin  spinner.Model

	opts     gitops.ConnectOptions
	checking bool
	hk       *gitops.HostKeyError
	declined bool
	err      error
	others   []ssh.PublicKey
}

// New makes the component; owner routes its requests ("hostkey").
func New(c common.Common, owner string) *Model {
	return &Model{c: c, owner: owner, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

func (m *Model) requests() *common.Requests {
	if m.c.Requests == nil {
		m.c.Requests = &common.Requests{}
	}
	return m.c.Requests
}

// Check connects with o (its known_hosts file is read again) and reports
// the outcome as a message. A check already running is cancelled.
func (m *Model) Check(o gitops.ConnectOptions) tea.Cmd {
	m.opts = o
	m.checking, m.declined, m.err, m.others = true, false, nil, nil
	req, ctx := m.requests().Start(m.c.Context(), m.owner)
	return tea.Batch(func() tea.Msg {
		info, err := gitops.Check(ctx, o)
		return CheckedMsg{Request: req, Info: info, Err: err}
	}, m.spin.Tick)
}

// Cancel stops a running check: its result, if it still comes, is dropped.
func (m *Model) Cancel() {
	if m.checking {
		m.requests().Cancel(m.owner)
		m.checking = false
	}
}

// Show shows a host key problem found elsewhere (the clone), without a check.
func (m *Model) Show(hk *gitops.HostKeyError) {
	m.checking, m.declined, m.err, m.others = false, false, nil, nil
	m.hk = hk
}

// SetError shows a failure no earlier screen fixes; r retries.
func (m *Model) SetError(err error) { m.err = err }

// Checking reports whether a check runs.
func (m *Model) Checking() bool { return m.checking }

// Declined reports whether the user answered no to the unknown host.
func (m *Model) Declined() bool { return m.declined }

// Others are the server's host keys of the other types (an unknown host).
func (m *Model) Others() []ssh.PublicKey { return m.others }

// Problem is the host key problem shown (nil: none).
func (m *Model) Problem() *gitops.HostKeyError { return m.hk }

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) { m.c.SetSize(width, height) }

// afterHostKey reports failures that happen after the host key was accepted.
func afterHostKey(err error) bool {
	var ae *gitops.AuthError
	var re *gitops.RepoNotFoundError
	var ce *gitops.RemoteCommandError
	return errors.As(err, &ae) || errors.As(err, &re) || errors.As(err, &ce)
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
	case CheckedMsg:
		m.checking = false
		var hk *gitops.HostKeyError
		switch {
		case errors.As(msg.Err, &hk):
			m.hk = hk
			if hk.Unknown() && m.opts.Endpoint != nil {
				req, ctx := m.requests().Start(m.c.Context(), m.owner+"/scan")
				e, timeout := m.opts.Endpoint, m.opts.Timeout
				return m, func() tea.Msg {
					keys, _ := gitops.KeyScan(ctx, e, timeout) // only shown: no keys, nothing more to show
					return ScannedMsg{Request: req, Keys: keys}
				}
			}
			return m, nil
		case msg.Err == nil:
			m.hk = nil
			info := msg.Info
			return m, func() tea.Msg { return VerifiedMsg{Info: info} }
		case errors.Is(msg.Err, context.Canceled):
			return m, nil
		case afterHostKey(msg.Err):
			m.hk = nil
			err := msg.Err
			return m, func() tea.Msg { return VerifiedMsg{Err: err} }
		}
		err := msg.Err
		return m, func() tea.Msg { return FailedMsg{Err: err} }
	case ScannedMsg:
		m.others = nil
		offered := ""
		if m.hk != nil {
			offered = m.hk.OfferedFingerprint
		}
		for _, k := range msg.Keys {
			if ssh.FingerprintSHA256(k) != offered {
				m.others = append(m.others, k)
			}
		}
	case spinner.TickMsg:
		if m.checking {
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd
		}
	case tea.KeyMsg:
		return m, m.updateKey(msg)
	}
	return m, nil
}

func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	if m.checking {
		return nil
	}
	hk := m.hk
	switch {
	case key.Matches(msg, k.Retry) && (m.err != nil || (hk != nil && !hk.Unknown())) && m.opts.Endpoint != nil:
		// Checked again from the files: after fixing known_hosts, the new
		// state shows.
		return m.Check(m.opts)
	case hk != nil && hk.Unknown() && hk.Offered != nil && key.Matches(msg, k.Yes):
		m.declined = false
		fp := hk.OfferedFingerprint
		return func() tea.Msg { return TrustedMsg{Fingerprint: fp} }
	case hk != nil && hk.Unknown() && key.Matches(msg, k.No):
		m.declined = true
	}
	return nil
}

// RemoveCommand is the command that deletes the host's old lines from the
// known_hosts file: `ssh-keygen -R HOST [-f FILE]` ("" for an unknown host).
func (m *Model) RemoveCommand() string {
	hk := m.hk
	if hk == nil || hk.Unknown() || hk.Host == "" {
		return ""
	}
	cmd := "ssh-keygen -R " + shellWord(hk.Host)
	if f := hk.KnownHostsFile; f != "" && !isDefaultKnownHosts(m.c.Home, f) {
		cmd += " -f " + shellWord(m.c.Display(f))
	}
	return cmd
}

func isDefaultKnownHosts(home, f string) bool {
	return home != "" && filepath.Clean(f) == filepath.Join(home, ".ssh", "known_hosts")
}

// shellWord quotes s for a POSIX shell when it needs it; ~/ stays unquoted
// so the shell expands it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t'\"\\$`!*?[]{}()<>|&;#") {
		return s
	}
	if strings.HasPrefix(s, "~/") {
		return "~/" + shellWord(s[2:])
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Copy is what the copy key copies on this screen, and its name.
func (m *Model) Copy() (text, what string) {
	switch hk := m.hk; {
	case m.checking || hk == nil:
		return "", ""
	case hk.Unknown():
		return hk.OfferedFingerprint, "fingerprint"
	case !hk.Revoked:
		return m.RemoveCommand(), "command"
	}
	return "", ""
}

// Screen is the component's view in parts: the question, the details (the
// fingerprints, as copyable lines), and what to do.
type Screen struct {
	Top, Body, Bottom []Line
}

// Line is one paragraph of a Screen: text in a style, or a copyable line.
type Line struct {
	Text  string
	Style string // "text", "hint", "label", "value", "error", "warning", "code", "field"
	Label string // for "field"
}

// Parts is the screen as paragraphs, for a host that lays them out.
func (m *Model) Parts() Screen {
	var s Screen
	t := func(p *[]Line, style, text string) { *p = append(*p, Line{Text: text, Style: style}) }
	f := func(p *[]Line, label, value string) { *p = append(*p, Line{Label: label, Text: value, Style: "field"}) }
	addr := ""
	if m.opts.Endpoint != nil {
		addr = m.opts.Endpoint.Addr()
	}
	hk := m.hk
	switch {
	case m.checking:
		t(&s.Top, "text", m.spin.View()+" Connecting to "+addr+" to check its host key…")
	case m.err != nil:
		t(&s.Top, "text", "The connection to "+addr+" failed.")
		t(&s.Bottom, "error", "✗ "+common.ErrText(m.err))
		t(&s.Bottom, "hint", "Press r to try again, or esc to go back.")
	case hk != nil && hk.Unknown():
		t(&s.Top, "text", "This host is not in your known hosts yet. Compare its fingerprint with the one its admin (or its documentation) publishes before trusting it.")
		f(&s.Body, "Host", hk.Host)
		f(&s.Body, "Key type", hk.KeyType)
		f(&s.Body, "Fingerprint", hk.OfferedFingerprint)
		f(&s.Body, "Known hosts", m.c.Display(hk.KnownHostsFile))
		if len(m.others) > 0 {
			t(&s.Body, "blank", "")
			t(&s.Body, "text", "The server has other host keys too; any of them may be the one its admin published:")
			for _, k := range m.others {
				f(&s.Body, k.Type(), ssh.FingerprintSHA256(k))
			}
		}
		if m.declined {
			t(&s.Bottom, "error", "✗ Not trusted: nothing was recorded, and gitjira does not connect to a host it has not verified.")
			t(&s.Bottom, "text", "Ask the host's admin for its "+shortType(hk.KeyType)+" host key fingerprint (ssh-keygen -lf on the server's host key). If it matches, press y; esc goes back to change the key or location; ctrl+c quits.")
		} else {
			t(&s.Bottom, "value", "Trust this host and record its key? (y/n)")
		}
	case hk != nil && hk.Revoked:
		t(&s.Top, "warning", "WARNING: THE HOST KEY IS REVOKED")
		t(&s.Body, "error", common.ErrText(hk))
		t(&s.Bottom, "text", "gitjira will not connect. Press esc to go back or ctrl+c to quit.")
	case hk != nil:
		if hk.Expected != "" {
			t(&s.Top, "warning", "WARNING: THE HOST KEY IS NOT THE ONE PINNED")
			t(&s.Body, "error", "The server's key is not the fingerprint this connection was told to expect. Someone could be intercepting the connection, or the pinned fingerprint is out of date.")
		} else {
			t(&s.Top, "warning", "WARNING: THE HOST KEY HAS CHANGED")
			t(&s.Body, "error", "Someone could be intercepting the connection, or the host's key was replaced.")
		}
		t(&s.Body, "blank", "")
		f(&s.Body, "Host", hk.Host)
		for _, fp := range hk.Known {
			f(&s.Body, "Known", fp)
		}
		if hk.Expected != "" && len(hk.Known) == 0 {
			f(&s.Body, "Pinned", hk.Expected)
		}
		if hk.OfferedFingerprint == "" {
			f(&s.Body, "Offered", "(none of the known key types)")
		} else {
			f(&s.Body, "Offered", hk.OfferedFingerprint)
		}
		t(&s.Body, "blank", "")
		if cmd := m.RemoveCommand(); cmd != "" && hk.Expected == "" {
			t(&s.Body, "text", "Ask the host's admin which key is right. If the new key is confirmed, remove the old line from "+m.c.Display(hk.KnownHostsFile)+" with:")
			t(&s.Body, "code", cmd)
			t(&s.Body, "text", "then press r to check again.")
		} else {
			t(&s.Body, "text", "Ask the host's admin which key is right; once the pinned fingerprint is corrected, press r to check again.")
		}
		t(&s.Bottom, "error", "gitjira will not connect to this key. r checks again; esc goes back; ctrl+c quits.")
	}
	return s
}

// View implements tea.Model: the parts as plain wrapped text.
func (m *Model) View() string {
	var out []string
	p := m.Parts()
	for _, part := range [][]Line{p.Top, p.Body, p.Bottom} {
		for _, l := range part {
			out = append(out, m.Render(l))
		}
	}
	return strings.Join(out, "\n")
}

// Render renders one line of Parts in the shared styles, wrapped to the
// width (a copyable line as rows, see common.CodeBlock).
func (m *Model) Render(l Line) string {
	st := m.c.Styles
	w := m.c.Width
	switch l.Style {
	case "blank":
		return ""
	case "field":
		label := fmt.Sprintf("%-11s ", l.Label)
		if strings.HasPrefix(l.Text, "SHA256:") {
			// A fingerprint is compared character by character: on its
			// label's line when it fits, else whole on the next.
			if w <= 0 || len(label)+len(l.Text) <= w {
				return st.Label.Render(label) + common.CodeBlock(st.Value, w, l.Text)
			}
			return st.Label.Render(l.Label) + "\n" + common.CodeBlock(st.Value, w, l.Text)
		}
		return common.Wrap(st.Text, w, st.Label.Render(label)+st.Value.Render(l.Text))
	case "code":
		return common.CodeBlock(st.Code, w, l.Text)
	case "hint":
		return common.Wrap(st.Hint, w, l.Text)
	case "value":
		return common.Wrap(st.Value, w, l.Text)
	case "error":
		return common.Wrap(st.Error, w, l.Text)
	case "warning":
		return common.Wrap(st.Warning, w, l.Text)
	}
	return common.Wrap(st.Text, w, l.Text)
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

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	hk := m.hk
	switch {
	case m.checking:
		return nil
	case m.err != nil:
		return []key.Binding{k.Retry}
	case hk != nil && hk.Unknown():
		return []key.Binding{common.WithDesc(k.Yes, "trust"), common.WithDesc(k.No, "do not trust")}
	case hk != nil && !hk.Revoked:
		return []key.Binding{common.WithDesc(k.Retry, "check again")}
	}
	return nil
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

var _ common.Component = (*Model)(nil)
