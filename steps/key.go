package steps

import (
	"fmt"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/keypicker"
)

// Key asks for the private key (the key picker: a file, a key held by
// ssh-agent, a pasted key, or a newly generated pair), and, when the server
// refused the key before, shows the public key to add.
type Key struct {
	env    *Env
	draft  *Draft
	width  int
	picker *keypicker.Model
	// waiting for Env.AuthorizeKey before going on
	authorizing bool
	err         error
}

// NewKey makes the key step; hint is a key path to preselect or prefill.
func NewKey(env *Env, d *Draft, hint string) Key {
	p := keypicker.New(env.Common(), StepKey.Owner(""), keypicker.Options{SSHDir: env.SSHDir, AgentSocket: env.AgentSocket, Hint: hint})
	return Key{env: env, draft: d, picker: p}
}

// ID implements Step.
func (m Key) ID() ID { return StepKey }

// Skip implements Step.
func (m Key) Skip() bool { return false }

// Busy implements Step: a key being generated is written to disk.
func (m Key) Busy() bool { return m.picker.Busy() }

// Picker is the key picker the step shows.
func (m Key) Picker() *keypicker.Model { return m.picker }

// Typing implements Step.
func (m Key) Typing() bool { return m.picker.Typing() }

// Enter implements Step: (re)scan the key files and the agent when the
// place to look changed.
func (m Key) Enter() (Step, tea.Cmd) {
	o := keypicker.Options{AgentSocket: m.env.AgentSocket, Comment: m.keyComment()}
	if m.draft.Endpoint != nil {
		o.IdentityFiles = m.draft.Endpoint.IdentityFiles
	}
	if m.draft.FromAgent && m.draft.Key != nil {
		o.Current = keypicker.AgentSource
	} else {
		o.Current = m.draft.KeySource
	}
	m.picker.SetOptions(o)
	m.err = nil
	m.authorizing = false
	return m, m.picker.Init()
}

// keyComment is the comment of a generated key: it says what the key is for
// when it is seen later in the git host's list of keys.
func (m Key) keyComment() string {
	if m.draft.Endpoint != nil {
		if n := m.draft.Endpoint.RepoName(); n != "" {
			return "gitjira:" + n
		}
	}
	return "gitjira"
}

// Update implements Step.
func (m Key) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.picker.SetSize(msg.Width, msg.Height)
		return m, nil
	case keypicker.ChosenMsg:
		return m.choose(msg)
	case keypicker.GeneratedMsg:
		if m.env.AuthorizeKey != nil {
			// Shown on the public key screen, before the user goes on.
			return m, authorizeKey(m.env.AuthorizeKey, msg.Key)
		}
		return m, nil
	case keyAuthorizedMsg:
		if msg.err == nil {
			m.picker.SetNote(msg.fingerprint, msg.note)
		}
		if !m.authorizing || m.draft.Key == nil || msg.fingerprint != m.draft.Key.Fingerprint {
			if msg.err == nil {
				m.draft.setNote(msg.fingerprint, msg.note)
			}
			return m, nil
		}
		m.authorizing = false
		if msg.err != nil {
			m.err = fmt.Errorf("could not authorize the key: %w", msg.err)
			return m, nil
		}
		m.draft.setNote(msg.fingerprint, msg.note)
		return m, done(StepKey)
	case tea.KeyMsg:
		if m.authorizing {
			return m, nil
		}
		if key.Matches(msg, m.env.Keys.Back) && !m.picker.Busy() {
			if cmd, ok := m.picker.Back(); ok {
				return m, cmd
			}
			return m, back(StepKey)
		}
		m.err = nil
		if !key.Matches(msg, m.env.Keys.Next) {
			m.draft.AuthErr = nil // another key: the refusal was for the old one
		}
	}
	_, cmd := m.picker.Update(msg)
	return m, cmd
}

// choose records the key and moves on, after Env.AuthorizeKey when there
// is one (the demo's server must accept the key before the connection).
func (m Key) choose(c keypicker.ChosenMsg) (Step, tea.Cmd) {
	m.draft.SetKey(c.Source, c.Raw, c.Key, c.Generated)
	if m.env.AuthorizeKey != nil && c.Key.PublicKey != nil && !m.draft.noted(c.Key) {
		m.authorizing = true
		return m, authorizeKey(m.env.AuthorizeKey, c.Key)
	}
	return m, done(StepKey)
}

// View implements Step.
func (m Key) View() Screen {
	st := m.env.Styles
	p := m.picker.Render()
	top := common.NewLines(m.width)
	top.Text(st.Text, "Which private key may read the repository?")
	top.Add(p.Top.String())
	body := common.NewLines(m.width)
	scr := Screen{}
	if a := m.draft.AuthErr; a != nil && a.AuthorizedKey != "" && !m.picker.ShowsGenerated() {
		body.Text(st.Text, "Add this public key to the git host's SSH keys page (or the repository's deploy keys), then press enter to try again, or choose another key:")
		body.Code(st.Code, a.AuthorizedKey)
		body.Blank()
		scr.Copy, scr.CopyWhat = a.AuthorizedKey, "public key"
	}
	focus := p.Body.Focus()
	if focus >= 0 {
		focus += body.Len()
	}
	if p.Body.Len() > 0 {
		body.Add(p.Body.String())
	}
	if scr.Copy == "" && p.Copy != "" {
		scr.Copy, scr.CopyWhat = p.Copy, "public key"
	}
	bottom := common.NewLines(m.width)
	if p.Bottom.Len() > 0 {
		bottom.Add(p.Bottom.String())
	}
	switch {
	case m.authorizing:
		bottom.Text(st.Hint, "Authorizing the key…")
	case m.err != nil:
		bottom.Text(st.Error, "✗ "+common.ErrText(m.err))
	case m.draft.AuthErr != nil && p.Bottom.Len() == 0:
		a := m.draft.AuthErr
		bottom.Text(st.Error, fmt.Sprintf("✗ The server refused key %s for user %s.", a.Fingerprint, a.User))
	}
	scr.Top, scr.Body, scr.Bottom, scr.Focus = top.String(), body.String(), bottom.String(), focus
	return scr
}

// Help implements Step.
func (m Key) Help() help.KeyMap {
	h := m.picker.ShortHelp()
	if !m.picker.ShowsGenerated() {
		h = append(h, m.env.Keys.Back)
	}
	return common.NewHelp(h...)
}

// keyAuthorizedMsg is the answer of Env.AuthorizeKey for a key.
type keyAuthorizedMsg struct {
	fingerprint string
	note        string
	err         error
}

// authorizeKey calls the caller's hook (the demo's server accepting the key).
func authorizeKey(fn func(ssh.PublicKey) (string, error), k *sshkeys.Key) tea.Cmd {
	pub, fp := k.PublicKey, k.Fingerprint
	return func() tea.Msg {
		note, err := fn(pub)
		return keyAuthorizedMsg{fingerprint: fp, note: termtext.Sanitize(note), err: err}
	}
}

// keyTypeLabel is "ed25519", "rsa 4096"... (keypicker.TypeLabel).
func keyTypeLabel(k *sshkeys.Key) string { return keypicker.TypeLabel(k) }
