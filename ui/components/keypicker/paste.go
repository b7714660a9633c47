package keypicker

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/ui/common"
)

// paster is the "Paste a key" mode: a text area whose text is parsed as it
// changes (in a command; a newer text makes the older parse stale).
type paster struct {
	c       *common.Common
	owner   string
	area    textarea.Model
	parsing bool
	raw     []byte
	key     *sshkeys.Key
	err     error
}

func newPaster(c *common.Common, owner string) paster {
	a := textarea.New()
	a.Placeholder = "-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----"
	a.ShowLineNumbers = false
	a.CharLimit = sshkeys.MaxInputSize
	a.MaxHeight = 1000 // an RSA 16384 PEM key is ~170 lines
	a.SetHeight(6)
	a.Prompt = "│ "
	common.StyleArea(c.Styles, &a)
	return paster{c: c, owner: owner, area: a}
}

func (m *paster) setSize(width, height int) {
	m.area.SetWidth(max(20, width))
	m.area.SetHeight(max(3, min(8, height-8)))
}

// parsed is the parse of the text now in the area (nil while it runs).
func (m *paster) parsed() *sshkeys.Key {
	if m.parsing {
		return nil
	}
	return m.key
}

func (m *paster) setText(v string) tea.Cmd {
	if strings.TrimSpace(v) == "" {
		m.c.Requests.Cancel(m.owner + "/paste")
		m.parsing, m.key, m.err, m.raw = false, nil, nil, nil
		return nil
	}
	m.parsing = true
	return parsePasted(m.c.Requests.New(m.owner+"/paste"), v)
}

func (m *paster) parsedMsg(msg PasteParsedMsg) {
	m.parsing, m.raw, m.key, m.err = false, msg.raw, msg.key, msg.err
}

func (m *paster) update(msg tea.KeyMsg) (tea.Cmd, *ChosenMsg) {
	if key.Matches(msg, m.c.Keys.Next) && !msg.Paste && m.parsed() != nil {
		return nil, &ChosenMsg{Source: PastedSource, Raw: m.raw, Key: m.key}
	}
	if key.Matches(msg, m.c.Keys.Clear) {
		m.area.Reset()
		return m.setText(""), nil
	}
	if msg.Paste {
		// Terminals send CRLF or CR in pastes; the textarea would make each an
		// empty line. sshkeys.Normalize copes, but the user should see the key.
		s := strings.ReplaceAll(string(msg.Runes), "\r\n", "\n")
		msg.Runes = []rune(strings.ReplaceAll(s, "\r", "\n"))
	}
	before := m.area.Value()
	var cmd tea.Cmd
	m.area, cmd = m.area.Update(msg)
	if msg.Paste {
		// Back to the first line: the BEGIN line is what says what was
		// pasted, and the area shows the rows around its cursor.
		m.area, _ = m.area.Update(tea.KeyMsg{Type: tea.KeyCtrlHome})
	}
	if v := m.area.Value(); v != before {
		return tea.Batch(cmd, m.setText(v)), nil
	}
	return cmd, nil
}

func (m *paster) view(b, bottom *common.Lines) {
	st := m.c.Styles
	b.Text(st.Text, "Paste the whole private key, BEGIN and END lines included (OpenSSH, PEM, PKCS#8 or PuTTY .ppk):")
	b.FocusNext()
	b.Add(m.area.View())
	switch {
	case strings.TrimSpace(m.area.Value()) == "":
	case m.parsing:
		bottom.Text(st.Hint, "Reading…")
	case m.err != nil:
		bottom.Text(st.Error, "✗ "+common.ErrText(m.err))
		bottom.Text(st.Hint, "ctrl+u clears the box.")
	case m.key != nil:
		line := "✓ " + TypeLabel(m.key) + " key"
		if m.key.Encrypted {
			line += " (encrypted)"
		}
		if m.key.Comment != "" {
			line += " “" + m.key.Comment + "”"
		}
		if m.key.Fingerprint != "" {
			line += " " + m.key.Fingerprint
		}
		bottom.Text(st.Success, line)
		bottom.Text(st.Text, "Press enter to use it.")
	}
}
