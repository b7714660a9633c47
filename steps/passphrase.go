package steps

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/sshkeys"
)

// decryptedMsg is the result of decrypting the draft's key.
type decryptedMsg struct {
	raw []byte // the key it was for
	key *sshkeys.Key
	err error
}

// decryptKey decrypts raw with passphrase, then wipes the passphrase copy.
// bcrypt/Argon2/PBKDF2 take a noticeable time, hence a command.
func decryptKey(raw, passphrase []byte) tea.Cmd {
	return func() tea.Msg {
		defer clear(passphrase)
		k, err := sshkeys.ParseWithPassphrase(raw, passphrase)
		return decryptedMsg{raw: raw, key: k, err: err}
	}
}

// Passphrase asks for the passphrase of an encrypted key and decrypts it.
// The passphrase is only ever shown masked.
type Passphrase struct {
	env        *Env
	draft      *Draft
	width      int
	input      textinput.Model
	spin       spinner.Model
	decrypting bool
	attempts   int    // wrong passphrases for keyFor
	keyFor     string // the key source attempts count for
	err        error
	// authorizing: waiting for Env.AuthorizeKey, for a key whose public
	// half was only known once decrypted
	authorizing bool
}

// NewPassphrase makes the passphrase step.
func NewPassphrase(env *Env, d *Draft) Passphrase {
	in := common.NewInput(env.Styles, "Passphrase: ")
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	in.CharLimit = 1024
	return Passphrase{env: env, draft: d, input: in, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

// ID implements Step.
func (m Passphrase) ID() ID { return StepPassphrase }

// Skip implements Step: only an encrypted key that is not decrypted yet needs one.
func (m Passphrase) Skip() bool {
	k := m.draft.Key
	return k == nil || !k.Encrypted || k.Signer != nil
}

// Busy implements Step.
func (m Passphrase) Busy() bool { return m.decrypting }

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
func (m Passphrase) Typing() bool { return !m.decrypting }

// Attempts is the number of wrong passphrases typed for the current key.
func (m Passphrase) Attempts() int { return m.attempts }

// Enter implements Step.
func (m Passphrase) Enter() (Step, tea.Cmd) {
	if m.keyFor != m.draft.KeySource {
		m.keyFor = m.draft.KeySource
		m.attempts = 0
		m.err = nil
	}
	m.input.Reset()
	m.authorizing = false
	return m, m.input.Focus()
}

// Update implements Step.
func (m Passphrase) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.input.Width = max(10, msg.Width-len(m.input.Prompt)-1)
		return m, nil
	case decryptedMsg:
		if !m.decrypting {
			return m, nil
		}
		m.decrypting = false
		m.input.Reset()
		if msg.err != nil {
			if errors.Is(msg.err, sshkeys.ErrWrongPassphrase) {
				m.attempts++
				m.err = fmt.Errorf("wrong passphrase (attempt %d): type it again, or press esc to choose another key", m.attempts)
			} else {
				m.err = msg.err
			}
			return m, m.input.Focus()
		}
		m.err = nil
		m.draft.SetKey(m.draft.KeySource, m.draft.KeyRaw, msg.key, m.draft.Generated)
		if m.env.AuthorizeKey != nil && msg.key.PublicKey != nil && !m.draft.noted(msg.key) {
			m.authorizing = true
			return m, authorizeKey(m.env.AuthorizeKey, msg.key)
		}
		return m, done(StepPassphrase)
	case keyAuthorizedMsg:
		if !m.authorizing || m.draft.Key == nil || msg.fingerprint != m.draft.Key.Fingerprint {
			return m, nil
		}
		m.authorizing = false
		if msg.err != nil {
			m.err = fmt.Errorf("could not authorize the key: %w", msg.err)
			return m, nil
		}
		m.draft.setNote(msg.fingerprint, msg.note)
		return m, done(StepPassphrase)
	case spinner.TickMsg:
		return m, spin(&m.spin, m.decrypting, msg)
	case tea.KeyMsg:
		if m.decrypting || m.authorizing {
			return m, nil
		}
		switch {
		case key.Matches(msg, m.env.Keys.Back):
			m.input.Reset()
			return m, back(StepPassphrase)
		case key.Matches(msg, m.env.Keys.Next):
			if m.input.Value() == "" {
				m.err = fmt.Errorf("type the key's passphrase (it is needed to sign in), or press esc to choose another key")
				return m, nil
			}
			m.decrypting = true
			m.input.Blur()
			pass := []byte(m.input.Value())
			m.input.Reset() // the field no longer holds it; only the command's copy does
			return m, tea.Batch(decryptKey(m.draft.KeyRaw, pass), m.spin.Tick)
		}
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// View implements Step.
func (m Passphrase) View() Screen {
	st := m.env.Styles
	top := newLines(m.width)
	desc := describeKey(m.env, m.draft)
	top.text(st.Text, strings.ToUpper(desc[:1])+desc[1:]+" is encrypted. Type its passphrase to unlock it for this connection; it is never stored.")
	body := newLines(m.width)
	body.focusNext()
	body.add(m.input.View())
	bottom := newLines(m.width)
	switch {
	case m.decrypting:
		bottom.add(m.spin.View() + " Decrypting…")
	case m.authorizing:
		bottom.text(st.Hint, "Authorizing the key…")
	case m.err != nil:
		bottom.text(st.Error, "✗ "+common.ErrText(m.err))
	}
	return Screen{Top: top.String(), Body: body.String(), Bottom: bottom.String(), Focus: body.focus}
}

// Help implements Step.
func (m Passphrase) Help() help.KeyMap {
	k := m.env.Keys
	return common.NewHelp(common.WithDesc(k.Next, "unlock"), common.WithDesc(k.Back, "other key"))
}
