// Package keypicker is the private key picker: choose a key (the files of
// the ssh directory, IdentityFile entries, ssh-agent's keys, or a typed
// path), paste one, or generate a new pair: three small sub-models behind
// one set of tabs. It emits ChosenMsg (and GeneratedMsg when a pair was
// written); its host decides what follows (a passphrase, authorizing the
// key on the git host).
package keypicker

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/ui/common"
)

// Mode is one of the three ways to a key.
type Mode int

// The picker's modes, in tab order.
const (
	ModeFile Mode = iota
	ModePaste
	ModeGenerate
	modeCount
)

var modeNames = [modeCount]string{"Choose a key", "Paste a key", "Generate a new key"}

// PastedSource is the Source of a pasted key.
const PastedSource = "pasted key"

// AgentSource is the prefix of the Source of a key held by ssh-agent.
const AgentSource = "ssh-agent"

// ChosenMsg is the key the user picked. Source is its file, PastedSource,
// or AgentSource[: comment]; Raw its bytes (nil for an agent key); Key the
// parsed key (Encrypted and without Signer when it needs a passphrase).
type ChosenMsg struct {
	Source    string
	Raw       []byte
	Key       *sshkeys.Key
	Generated bool
}

// GeneratedMsg says a new pair was written to Path (the public key screen
// is shown; ChosenMsg follows when the user goes on).
type GeneratedMsg struct {
	Path string
	Key  *sshkeys.Key
}

// Options configure the picker.
type Options struct {
	// SSHDir is searched for keys and receives generated ones.
	SSHDir string
	// IdentityFiles are the host's IdentityFile entries, listed first.
	IdentityFiles []string
	// AgentSocket is the ssh-agent whose keys are offered ("": none).
	AgentSocket string
	// Hint is a key path to select (or put in the path field).
	Hint string
	// Current is the key chosen before (its Source): selected again.
	Current string
	// Comment is the comment of a generated key ("gitjira:NAME").
	Comment string
}

// Model is the picker.
type Model struct {
	c     common.Common
	owner string
	opts  Options
	mode  Mode
	// touched: the user chose the mode; the picker no longer picks it
	touched bool
	err     error

	choose   chooser
	paste    paster
	generate generator
}

// New makes the picker; owner routes its requests ("key").
func New(c common.Common, owner string, o Options) *Model {
	if c.Requests == nil {
		c.Requests = &common.Requests{}
	}
	m := &Model{c: c, owner: owner, opts: o}
	m.choose = newChooser(&m.c, owner, o.SSHDir, o.Hint)
	m.paste = newPaster(&m.c, owner)
	m.generate = newGenerator(&m.c, owner, o.SSHDir)
	return m
}

// SetOptions changes where keys are looked for (a new host's IdentityFile
// entries); Init scans again when they changed.
func (m *Model) SetOptions(o Options) {
	m.opts.IdentityFiles, m.opts.AgentSocket, m.opts.Current = o.IdentityFiles, o.AgentSocket, o.Current
	if o.Comment != "" {
		m.opts.Comment = o.Comment
	}
}

func (m *Model) scanKey() string {
	return m.opts.SSHDir + "\x00" + strings.Join(m.opts.IdentityFiles, "\x00")
}

// Init (re)scans the key files and the agent, suggests a file name for a
// new key, and focuses the current mode's field.
func (m *Model) Init() tea.Cmd {
	var cmds []tea.Cmd
	ch := &m.choose
	if !ch.scanned || ch.scannedFor != m.scanKey() {
		ch.scannedFor = m.scanKey()
		cmds = append(cmds, scanKeys(m.c.Requests.New(m.owner+"/scan"), m.opts.SSHDir, m.opts.IdentityFiles))
	}
	cmds = append(cmds, listAgentKeys(m.opts.AgentSocket))
	ch.want = ""
	switch {
	case strings.HasPrefix(m.opts.Current, AgentSource):
	case m.opts.Current != "" && m.opts.Current != PastedSource:
		ch.want = "file:" + expandHome(m.opts.Current)
	}
	g := &m.generate
	if g.path.Value() == "" || !g.pathEdited {
		cmds = append(cmds, g.suggestPath())
	}
	if !g.commentEdited && m.opts.Comment != "" {
		g.comment.SetValue(m.opts.Comment)
	}
	m.err = nil
	ch.loading = false
	m.focus()
	return tea.Batch(cmds...)
}

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) {
	m.c.SetSize(width, height)
	m.choose.path.Width = max(10, width-len(m.choose.path.Prompt)-3)
	m.generate.setSize(width)
	m.paste.setSize(width, height)
}

// Mode is the current mode.
func (m *Model) Mode() Mode { return m.mode }

// Busy reports whether a key is being written (generate) or read.
func (m *Model) Busy() bool { return m.generate.generating || m.choose.loading }

// Typing reports whether a text field has the focus.
func (m *Model) Typing() bool {
	switch m.mode {
	case ModeFile:
		return m.choose.onPath()
	case ModePaste:
		return true
	}
	return m.generate.typing()
}

// SetError shows err under the mode (the host's own failures).
func (m *Model) SetError(err error) { m.err = err }

// SetNote records what the host said about the generated key (authorizing
// it): shown on the public key screen.
func (m *Model) SetNote(fingerprint, note string) {
	if g := m.generate.generated; g != nil && g.key.Fingerprint == fingerprint {
		m.generate.note = &note
	}
}

// ShowsGenerated reports whether the generated public key is on screen.
func (m *Model) ShowsGenerated() bool { return m.mode == ModeGenerate && m.generate.generated != nil }

func (m *Model) focus() {
	m.choose.path.Blur()
	m.paste.area.Blur()
	for _, in := range m.generate.inputs() {
		in.Blur()
	}
	switch m.mode {
	case ModeFile:
		m.choose.focus()
	case ModePaste:
		m.paste.area.Focus()
	case ModeGenerate:
		m.generate.focus()
	}
}

func chosen(c *ChosenMsg) tea.Cmd {
	if c == nil {
		return nil
	}
	msg := *c
	return func() tea.Msg { return msg }
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	ch := &m.choose
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case keysScannedMsg:
		ch.scanned = true
		ch.files = msg.list
		ch.reselect()
		m.openOnGenerate()
		return m, nil
	case agentKeysMsg:
		if msg.socket != m.opts.AgentSocket {
			return m, nil
		}
		// An agent that does not answer is not worth a message: its keys are
		// simply not offered.
		ch.agentDone = true
		ch.agent = nil
		for _, k := range msg.keys {
			ch.agent = append(ch.agent, Candidate{Key: k, Agent: true})
		}
		ch.reselect()
		m.openOnGenerate()
		return m, nil
	case keyLoadedMsg:
		ch.loading = false
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.err = nil
		return m, chosen(&ChosenMsg{Source: msg.source, Raw: msg.raw, Key: msg.key})
	case PasteParsedMsg:
		m.paste.parsedMsg(msg)
		return m, nil
	case pathSuggestionsMsg:
		if msg.forValue == ch.path.Value() {
			ch.path.SetSuggestions(msg.list)
		}
		if msg.forValue == m.generate.path.Value() {
			m.generate.path.SetSuggestions(msg.list)
		}
		return m, nil
	case keyPathSuggestedMsg:
		if !m.generate.pathEdited && msg.typ == m.generate.typeName() {
			m.generate.path.SetValue(msg.path)
			m.generate.path.CursorEnd()
		}
		return m, nil
	case keyGeneratedMsg:
		g := &m.generate
		g.generating = false
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.err = nil
		g.generated = &msg
		g.note = nil
		m.focus()
		// the new key is one of the files now
		ch.scanned = false
		ch.scannedFor = m.scanKey()
		path, k := msg.path, msg.key
		return m, tea.Batch(scanKeys(m.c.Requests.New(m.owner+"/scan"), m.opts.SSHDir, m.opts.IdentityFiles),
			func() tea.Msg { return GeneratedMsg{Path: path, Key: k} })
	case spinner.TickMsg:
		if m.generate.generating {
			var cmd tea.Cmd
			m.generate.spin, cmd = m.generate.spin.Update(msg)
			return m, cmd
		}
		return m, nil
	case tea.KeyMsg:
		return m, m.updateKey(msg)
	}
	return m, m.updateFields(msg)
}

// openOnGenerate: with no key at all to choose (and none asked for), the
// picker opens on Generate rather than on an empty list.
func (m *Model) openOnGenerate() {
	ch := &m.choose
	if !m.touched && m.mode == ModeFile && ch.done() && len(ch.cands()) == 0 && strings.TrimSpace(ch.path.Value()) == "" {
		m.mode = ModeGenerate
		m.focus()
	}
}

func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	if m.Busy() {
		return nil // only ctrl+c (the host's) while the key is written or read
	}
	pathField := (m.mode == ModeFile && m.choose.onPath()) || (m.mode == ModeGenerate && m.generate.onPath())
	if key.Matches(msg, k.NextMode) && !pathField || key.Matches(msg, k.PrevMode) {
		// tab in a path field completes the path (as in a shell); shift+tab
		// always changes the mode
		d := 1
		if key.Matches(msg, k.PrevMode) {
			d = int(modeCount) - 1
		}
		m.mode = (m.mode + Mode(d)) % modeCount
		m.touched = true
		m.err = nil
		m.focus()
		return nil
	}
	m.err = nil
	var (
		cmd tea.Cmd
		c   *ChosenMsg
		err error
	)
	switch m.mode {
	case ModeFile:
		cmd, c, err = m.choose.update(msg)
	case ModePaste:
		cmd, c = m.paste.update(msg)
	default:
		cmd, c, err = m.generate.update(msg)
	}
	m.err = err
	return tea.Batch(cmd, chosen(c))
}

// Back handles esc inside the picker (the generated key's screen goes back
// to the form); false when the host should go back.
func (m *Model) Back() (tea.Cmd, bool) {
	if m.mode == ModeGenerate {
		return m.generate.back()
	}
	return nil, false
}

// updateFields passes other messages (cursor blink) to the fields.
func (m *Model) updateFields(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	var c tea.Cmd
	m.choose.path, c = m.choose.path.Update(msg)
	cmds = append(cmds, c)
	for _, in := range m.generate.inputs() {
		*in, c = in.Update(msg)
		cmds = append(cmds, c)
	}
	m.paste.area, c = m.paste.area.Update(msg)
	return tea.Batch(append(cmds, c)...)
}

// Parts is the picker's view: the tabs (under the host's question), the
// mode's body, its status lines; Copy is the public key on screen, if any
// (a key is offered for copying only while it is shown).
type Parts struct {
	Top, Body, Bottom *common.Lines
	Copy              string
}

// Render renders the picker into parts of the given width.
func (m *Model) Render() Parts {
	st := m.c.Styles
	w := m.c.Width
	p := Parts{Top: common.NewLines(w), Body: common.NewLines(w), Bottom: common.NewLines(w)}
	p.Top.Add(m.tabs())
	switch m.mode {
	case ModeFile:
		m.choose.view(p.Body)
	case ModePaste:
		m.paste.view(p.Body, p.Bottom)
	case ModeGenerate:
		p.Copy = m.generate.view(p.Top, p.Body, p.Bottom)
	}
	switch {
	case m.choose.loading:
		p.Bottom.Text(st.Hint, "Reading the key…")
	case m.err != nil:
		p.Bottom.Text(st.Error, "✗ "+common.ErrText(m.err))
	}
	return p
}

// View implements tea.Model.
func (m *Model) View() string {
	p := m.Render()
	var parts []string
	for _, l := range []*common.Lines{p.Top, p.Body, p.Bottom} {
		if l.Len() > 0 {
			parts = append(parts, l.String())
		}
	}
	return strings.Join(parts, "\n\n")
}

func (m *Model) tabs() string {
	st := m.c.Styles
	parts := make([]string, 0, modeCount)
	for i := Mode(0); i < modeCount; i++ {
		if i == m.mode {
			parts = append(parts, st.Cursor.Render("["+modeNames[i]+"]"))
		} else {
			parts = append(parts, st.Hint.Render(" "+modeNames[i]+" "))
		}
	}
	line := strings.Join(parts, " ")
	if w := m.c.Width; lipgloss.Width(line) > w && w > 0 {
		// narrow terminals: the current mode only, with its position
		line = st.Cursor.Render(fmt.Sprintf("[%s]", modeNames[m.mode])) + st.Hint.Render(fmt.Sprintf(" %d/%d, shift+tab for more", m.mode+1, modeCount))
		line = common.Truncate(line, w)
	}
	return line
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	switch m.mode {
	case ModeFile:
		h := []key.Binding{common.Join("↑/↓", "choose", k.Up, k.Down), common.WithDesc(k.Next, "use")}
		if m.choose.onPath() {
			return append(h, common.WithDesc(k.TabComplete, "complete"), common.WithDesc(k.PrevMode, "paste/generate"))
		}
		return append(h, common.WithDesc(k.NextMode, "paste/generate"))
	case ModePaste:
		return []key.Binding{common.WithDesc(k.Next, "use key"), common.WithDesc(k.Clear, "clear"), common.WithDesc(k.NextMode, "generate/file")}
	}
	return m.generate.help()
}

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

var _ common.Component = (*Model)(nil)
