package keypicker

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/ui/common"
)

// Key types offered by the generate mode.
const (
	genEd25519 = 0
	genRSA     = 1
)

// The generate form's fields, in order.
const (
	genFieldType = iota
	genFieldPath
	genFieldPass
	genFieldPass2
	genFieldComment
	genFieldCount
)

// generator is the "Generate a new key" mode: the form, then the new
// public key to add to the git host.
type generator struct {
	c             *common.Common
	owner         string
	sshDir        string
	typ           int
	field         int
	path          textinput.Model
	pass          textinput.Model
	pass2         textinput.Model
	comment       textinput.Model
	pathEdited    bool // the user changed the suggested path
	commentEdited bool
	generating    bool
	spin          spinner.Model
	generated     *keyGeneratedMsg
	note          *string // what the host said about the generated key (authorizing it)
}

func newGenerator(c *common.Common, owner, sshDir string) generator {
	st := c.Styles
	g := common.NewInput(st, "Save as:     ")
	g.CharLimit = 4096
	g.ShowSuggestions = true
	g.KeyMap.AcceptSuggestion = c.Keys.TabComplete
	pass := common.NewInput(st, "Passphrase:  ")
	pass.Placeholder = "optional: empty for none"
	pass.EchoMode = textinput.EchoPassword
	pass.EchoCharacter = '•'
	pass.CharLimit = 1024
	pass2 := common.NewInput(st, "Again:       ")
	pass2.EchoMode = textinput.EchoPassword
	pass2.EchoCharacter = '•'
	pass2.CharLimit = 1024
	comment := common.NewInput(st, "Comment:     ")
	comment.CharLimit = 200
	return generator{c: c, owner: owner, sshDir: sshDir, path: g, pass: pass, pass2: pass2, comment: comment,
		spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

func (m *generator) inputs() []*textinput.Model {
	return []*textinput.Model{&m.path, &m.pass, &m.pass2, &m.comment}
}

func (m *generator) setSize(width int) {
	for _, in := range m.inputs() {
		in.Width = max(10, width-lipgloss.Width(in.Prompt)-3)
	}
}

func (m *generator) input(field int) *textinput.Model {
	switch field {
	case genFieldPath:
		return &m.path
	case genFieldPass:
		return &m.pass
	case genFieldPass2:
		return &m.pass2
	case genFieldComment:
		return &m.comment
	}
	return nil
}

func (m *generator) focus() {
	for _, in := range m.inputs() {
		in.Blur()
	}
	if m.generated == nil {
		if in := m.input(m.field); in != nil {
			in.Focus()
		}
	}
}

func (m *generator) typeName() string {
	if m.typ == genRSA {
		return sshkeys.TypeRSA
	}
	return sshkeys.TypeEd25519
}

func (m *generator) suggestPath() tea.Cmd {
	base := "gitjira_ed25519"
	if m.typ == genRSA {
		base = "gitjira_rsa"
	}
	return suggestKeyPath(m.typeName(), m.sshDir, base)
}

func (m *generator) typing() bool { return m.generated == nil && m.field != genFieldType }

func (m *generator) onPath() bool { return m.generated == nil && m.field == genFieldPath }

// update handles a key; it returns the chosen key once the user goes on
// from the public key screen, and an error to show.
func (m *generator) update(msg tea.KeyMsg) (tea.Cmd, *ChosenMsg, error) {
	k := m.c.Keys
	if m.generated != nil {
		if key.Matches(msg, k.Next) {
			g := m.generated
			return nil, &ChosenMsg{Source: g.path, Raw: g.raw, Key: g.key, Generated: true}, nil
		}
		return nil, nil, nil
	}
	switch {
	case key.Matches(msg, k.Up):
		m.field = max(0, m.field-1)
		m.focus()
		return nil, nil, nil
	case key.Matches(msg, k.Down):
		m.field = min(genFieldCount-1, m.field+1)
		m.focus()
		return nil, nil, nil
	case m.field == genFieldType && (key.Matches(msg, k.Toggle) || key.Matches(msg, k.Left) || key.Matches(msg, k.Right)):
		m.typ = 1 - m.typ
		if !m.pathEdited {
			return m.suggestPath(), nil, nil
		}
		return nil, nil, nil
	case key.Matches(msg, k.Next):
		return m.submit()
	}
	in := m.input(m.field)
	if in == nil {
		return nil, nil, nil
	}
	if key.Matches(msg, k.Clear) {
		in.SetValue("")
		return nil, nil, nil
	}
	before := in.Value()
	var cmd tea.Cmd
	*in, cmd = in.Update(msg)
	if v := in.Value(); v != before {
		switch m.field {
		case genFieldPath:
			m.pathEdited = true
			cmd = tea.Batch(cmd, completePath(v))
		case genFieldComment:
			m.commentEdited = true
		}
	}
	return cmd, nil, nil
}

// back leaves the public key screen for the form; false when on the form.
func (m *generator) back() (tea.Cmd, bool) {
	if m.generated == nil {
		return nil, false
	}
	// the files stay on disk, so the next key is offered another name
	m.generated = nil
	m.note = nil
	m.focus()
	if !m.pathEdited {
		return m.suggestPath(), true
	}
	return nil, true
}

// submit checks the form and generates: a passphrase typed once is asked
// again before anything is written.
func (m *generator) submit() (tea.Cmd, *ChosenMsg, error) {
	p := strings.TrimSpace(m.path.Value())
	if p == "" {
		m.field = genFieldPath
		m.focus()
		return nil, nil, fmt.Errorf("type the file to save the new private key in")
	}
	pass, again := m.pass.Value(), m.pass2.Value()
	switch {
	case pass != "" && again == "" && m.field != genFieldPass2:
		m.field = genFieldPass2
		m.focus()
		return nil, nil, nil
	case pass != again:
		m.pass.Reset()
		m.pass2.Reset()
		m.field = genFieldPass
		m.focus()
		return nil, nil, errors.New("the two passphrases differ: type the passphrase again, twice (or leave both empty for none)")
	}
	if strings.ContainsAny(m.comment.Value(), "\r\n") {
		return nil, nil, errors.New("the comment must be a single line")
	}
	opts := sshkeys.GenerateOptions{Type: sshkeys.TypeEd25519, Comment: strings.TrimSpace(m.comment.Value())}
	if m.typ == genRSA {
		opts = sshkeys.GenerateOptions{Type: sshkeys.TypeRSA, Bits: 4096, Format: sshkeys.FormatPEM, Comment: opts.Comment}
	}
	if pass != "" {
		opts.Passphrase = []byte(pass)
	}
	m.pass.Reset() // the fields no longer hold it; only the command's copy does
	m.pass2.Reset()
	m.generating = true
	m.focus()
	return tea.Batch(generateKey(m.c.Requests.New(m.owner+"/generate"), opts, p, m.sshDir), m.spin.Tick), nil, nil
}

// view renders the form, or the generated public key to add.
func (m *generator) view(top, b, bottom *common.Lines) (copyText string) {
	st := m.c.Styles
	if g := m.generated; g != nil {
		top.Text(st.Text, "Add this public key to the git host's SSH keys page (or the repository's deploy keys):")
		b.FocusNext() // on a short terminal, the key is what is shown
		b.Code(st.Code, g.key.AuthorizedKey)
		b.Blank()
		b.Text(st.Success, fmt.Sprintf("✓ New %s key written to %s, its public key to %s.pub; this prints it:", TypeLabel(g.key), m.c.Display(g.path), m.c.Display(g.path)))
		b.Code(st.Code, "cat "+m.c.Display(g.path)+".pub")
		if m.note != nil {
			if *m.note != "" {
				bottom.Text(st.Success, "✓ "+*m.note)
			}
			bottom.Text(st.Text, "Press enter to continue.")
		} else {
			bottom.Text(st.Text, "Press enter to go on: the next step adds it on the host, through its API or a password login, or shows how (c copies it).")
		}
		return g.key.AuthorizedKey
	}
	b.Text(st.Text, "Generate a new key pair:")
	for i, label := range []string{"ed25519 (recommended)", "RSA 4096, PEM format (for older servers)"} {
		mark := "( )"
		if i == m.typ {
			mark = "(•)"
		}
		line := mark + " " + label
		if m.field == genFieldType && i == m.typ {
			b.FocusNext()
			b.Add(st.Cursor.Render("› ") + st.Selected.Render(line))
		} else {
			b.Add("  " + line)
		}
	}
	b.Blank()
	for f := genFieldPath; f < genFieldCount; f++ {
		marker := "  "
		if f == m.field {
			marker = st.Cursor.Render("› ")
			b.FocusNext()
		}
		in := *m.input(f)
		if f == genFieldPath && !in.Focused() {
			// A long path is cut at its start: the file name is what matters.
			v := in.Value()
			room := m.c.Width - 2 - lipgloss.Width(in.Prompt) - 1
			if m.c.Width > 0 && lipgloss.Width(v) > room {
				b.Add(marker + in.PromptStyle.Render(in.Prompt) + in.TextStyle.Render(common.TruncateLeft(v, room)))
				continue
			}
		}
		b.Add(marker + in.View())
	}
	b.Blank()
	b.Text(st.Hint, "The private key is written with mode 0600 and the public key beside it (.pub); existing files are never overwritten, and "+m.c.Display(m.sshDir)+" is created (0700) if it is missing. The passphrase is typed twice and never stored.")
	if m.generating {
		bottom.Add(m.spin.View() + " Generating and writing the key…")
	}
	return ""
}

func (m *generator) help() []key.Binding {
	k := m.c.Keys
	if m.generated != nil {
		return []key.Binding{common.WithDesc(k.Next, "continue"), common.WithDesc(k.Back, "back to the form")}
	}
	h := []key.Binding{common.Join("↑/↓", "field", k.Up, k.Down), common.WithDesc(k.Next, "generate")}
	switch m.field {
	case genFieldType:
		h = append(h, common.Join("←/→", "key type", k.Left, k.Right), common.WithDesc(k.NextMode, "file/paste"))
	case genFieldPath:
		h = append(h, common.WithDesc(k.TabComplete, "complete"), common.WithDesc(k.PrevMode, "file/paste"))
	default:
		h = append(h, common.WithDesc(k.NextMode, "file/paste"))
	}
	return h
}
