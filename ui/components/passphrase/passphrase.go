// Package passphrase is the passphrase prompt of an encrypted private key:
// a masked field, the decryption in a command, the wrong attempts counted.
// It emits UnlockedMsg with the decrypted key; its host says which key it
// is and decides what follows.
package passphrase

import (
	"errors"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/ui/common"
)

// UnlockedMsg says the key was decrypted.
type UnlockedMsg struct {
	Key *sshkeys.Key
}

// DecryptedMsg is the result of a decryption (a reply to the picker's request).
type DecryptedMsg struct {
	common.Request
	Key *sshkeys.Key
	Err error
}

// Model is the prompt.
type Model struct {
	c          common.Common
	owner      string
	input      textinput.Model
	spin       spinner.Model
	raw        []byte
	keyFor     string // the key attempts count for
	attempts   int
	decrypting bool
	err        error
}

// New makes the prompt; owner routes its decryption's result.
func New(c common.Common, owner string) *Model {
	in := common.NewInput(c.Styles, "Passphrase: ")
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	in.CharLimit = 1024
	return &Model{c: c, owner: owner, input: in, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

// SetKey sets the encrypted key to unlock; id names it (its source), and a
// new id starts the attempts again.
func (m *Model) SetKey(id string, raw []byte) {
	if id != m.keyFor {
		m.keyFor = id
		m.attempts = 0
		m.err = nil
	}
	m.raw = raw
}

// Init empties and focuses the field.
func (m *Model) Init() tea.Cmd {
	m.input.Reset()
	m.decrypting = false
	return m.input.Focus()
}

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) {
	m.c.SetSize(width, height)
	m.input.Width = max(10, width-len(m.input.Prompt)-1)
}

// Busy reports whether a decryption runs.
func (m *Model) Busy() bool { return m.decrypting }

// Attempts is the number of wrong passphrases typed for the current key.
func (m *Model) Attempts() int { return m.attempts }

// SetError shows err under the field (the host's own failures).
func (m *Model) SetError(err error) { m.err = err }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case DecryptedMsg:
		m.decrypting = false
		m.input.Reset()
		if msg.Err != nil {
			if errors.Is(msg.Err, sshkeys.ErrWrongPassphrase) {
				m.attempts++
				m.err = fmt.Errorf("wrong passphrase (attempt %d): type it again, or press esc to choose another key", m.attempts)
			} else {
				m.err = msg.Err
			}
			return m, m.input.Focus()
		}
		m.err = nil
		k := msg.Key
		return m, func() tea.Msg { return UnlockedMsg{Key: k} }
	case spinner.TickMsg:
		if !m.decrypting {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.KeyMsg:
		if m.decrypting {
			return m, nil
		}
		if key.Matches(msg, m.c.Keys.Next) {
			return m, m.submit()
		}
		if key.Matches(msg, m.c.Keys.Clear) {
			m.input.Reset()
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

func (m *Model) submit() tea.Cmd {
	if m.input.Value() == "" {
		m.err = fmt.Errorf("type the key's passphrase (it is needed to sign in), or press esc to choose another key")
		return nil
	}
	m.decrypting = true
	m.input.Blur()
	pass := []byte(m.input.Value())
	m.input.Reset() // the field no longer holds it; only the command's copy does
	if m.c.Requests == nil {
		m.c.Requests = &common.Requests{}
	}
	req := m.c.Requests.New(m.owner)
	raw := m.raw
	// bcrypt/Argon2/PBKDF2 take a noticeable time, hence a command; the
	// passphrase copy is wiped once used.
	return tea.Batch(func() tea.Msg {
		defer clear(pass)
		k, err := sshkeys.ParseWithPassphrase(raw, pass)
		return DecryptedMsg{Request: req, Key: k, Err: err}
	}, m.spin.Tick)
}

// View implements tea.Model: the masked field.
func (m *Model) View() string { return m.input.View() }

// Status is the line under the field: decrypting, or the error.
func (m *Model) Status() string {
	switch {
	case m.decrypting:
		return m.spin.View() + " Decrypting…"
	case m.err != nil:
		return common.Wrap(m.c.Styles.Error, m.c.Width, "✗ "+common.ErrText(m.err))
	}
	return ""
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	return []key.Binding{common.WithDesc(m.c.Keys.Next, "unlock")}
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{common.WithDesc(m.c.Keys.Next, "unlock"), m.c.Keys.Clear}}
}

var _ common.Component = (*Model)(nil)

// Typed reports whether the field holds anything (a passphrase is never
// handed out, only whether one is there).
func (m *Model) Typed() bool { return m.input.Value() != "" }
