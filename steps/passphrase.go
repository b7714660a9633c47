package steps

import (
	"fmt"
	"strings"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/passphrase"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Passphrase asks for the passphrase of an encrypted key and decrypts it
// (the passphrase component). The passphrase is only ever shown masked.
type Passphrase struct {
	env    *Env
	draft  *Draft
	width  int
	prompt *passphrase.Model
	// authorizing: waiting for Env.AuthorizeKey, for a key whose public
	// half was only known once decrypted
	authorizing bool
}

// NewPassphrase makes the passphrase step.
func NewPassphrase(env *Env, d *Draft) Passphrase {
	return Passphrase{env: env, draft: d, prompt: passphrase.New(env.Common(), StepPassphrase.Owner(""))}
}

// ID implements Step.
func (m Passphrase) ID() ID { return StepPassphrase }

// Skip implements Step: only an encrypted key that is not decrypted yet needs one.
func (m Passphrase) Skip() bool {
	k := m.draft.Key
	return k == nil || !k.Encrypted || k.Signer != nil
}

// Busy implements Step.
func (m Passphrase) Busy() bool { return m.prompt.Busy() }

// describeKey says which key: "the key ~/.ssh/id_work (ed25519)", "the pasted key".
func describeKey(env *Env, d *Draft) string {
	desc := "the key " + env.Display(d.KeySource)
	switch {
	case d.KeySource == PastedSource:
		desc = "the pasted key"
	case d.FromAgent:
		desc = "the ssh-agent key"
	}
	if k := d.Key; k != nil {
		if l := keyTypeLabel(k); l != "key" && l != "" {
			desc += " (" + l + ")"
		}
	}
	return desc
}

// Typing implements Step.
func (m Passphrase) Typing() bool { return !m.prompt.Busy() }

// Attempts is the number of wrong passphrases typed for the current key.
func (m Passphrase) Attempts() int { return m.prompt.Attempts() }

// Enter implements Step.
func (m Passphrase) Enter() (Step, tea.Cmd) {
	m.prompt.SetKey(m.draft.KeySource, m.draft.KeyRaw)
	m.authorizing = false
	return m, m.prompt.Init()
}

// Update implements Step.
func (m Passphrase) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.prompt.SetSize(msg.Width, msg.Height)
		return m, nil
	case passphrase.UnlockedMsg:
		m.draft.SetKey(m.draft.KeySource, m.draft.KeyRaw, msg.Key, m.draft.Generated)
		if m.env.AuthorizeKey != nil && msg.Key.PublicKey != nil && !m.draft.noted(msg.Key) {
			m.authorizing = true
			return m, authorizeKey(m.env.AuthorizeKey, msg.Key)
		}
		return m, done(StepPassphrase)
	case keyAuthorizedMsg:
		if !m.authorizing || m.draft.Key == nil || msg.fingerprint != m.draft.Key.Fingerprint {
			return m, nil
		}
		m.authorizing = false
		if msg.err != nil {
			m.prompt.SetError(fmt.Errorf("could not authorize the key: %w", msg.err))
			return m, nil
		}
		m.draft.setNote(msg.fingerprint, msg.note)
		return m, done(StepPassphrase)
	case tea.KeyMsg:
		if m.prompt.Busy() || m.authorizing {
			return m, nil
		}
		if key.Matches(msg, m.env.Keys.Back) {
			m.prompt.Init()
			return m, back(StepPassphrase)
		}
	}
	_, cmd := m.prompt.Update(msg)
	return m, cmd
}

// View implements Step.
func (m Passphrase) View() Screen {
	st := m.env.Styles
	top := common.NewLines(m.width)
	desc := describeKey(m.env, m.draft)
	top.Text(st.Text, strings.ToUpper(desc[:1])+desc[1:]+" is encrypted. Type its passphrase to unlock it for this connection; it is never stored.")
	body := common.NewLines(m.width)
	body.FocusNext()
	body.Add(m.prompt.View())
	bottom := common.NewLines(m.width)
	if m.authorizing {
		bottom.Text(st.Hint, "Authorizing the key…")
	} else if s := m.prompt.Status(); s != "" {
		bottom.Add(s)
	}
	return Screen{Top: top.String(), Body: body.String(), Bottom: bottom.String(), Focus: body.Focus()}
}

// Help implements Step.
func (m Passphrase) Help() help.KeyMap {
	return common.NewHelp(append(m.prompt.ShortHelp(), common.WithDesc(m.env.Keys.Back, "other key"))...)
}
