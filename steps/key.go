package steps

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/sshkeys"
)

// KeyMode is one of the three ways into the key step.
type KeyMode int

// The key step's modes, in tab order.
const (
	ModeFile KeyMode = iota
	ModePaste
	ModeGenerate
	modeCount
)

var modeNames = [modeCount]string{"Choose a key", "Paste a key", "Generate a new key"}

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

// Key asks for the private key: a file (found in ~/.ssh and the host's
// IdentityFile entries, or typed), a key held by ssh-agent, a pasted key, or
// a newly generated pair.
type Key struct {
	env    *Env
	draft  *Draft
	width  int
	height int
	mode   KeyMode
	err    error // the last failure, shown under the current mode

	// choose a key
	scanned    bool
	scannedFor string // dir + identity files the list was made for
	files      []keyCandidate
	agent      []keyCandidate
	cursor     int    // 0..len(cands): len(cands) is the path field
	selected   string // the id of the selected candidate
	pinned     bool   // the user moved the cursor: keep it there when the list changes
	hint       string // a key path given by the caller: select it once the list is known
	path       textinput.Model
	loading    bool

	// waiting for Env.AuthorizeKey before going on
	authorizing bool

	// paste
	area      textarea.Model
	pasteSeq  int
	pastedSeq int // seq of pasteKey/pasteErr
	pasteRaw  []byte
	pasteKey  *sshkeys.Key
	pasteErr  error

	// generate
	genType       int
	genField      int
	genPath       textinput.Model
	genPass       textinput.Model
	genPass2      textinput.Model
	genComment    textinput.Model
	genEdited     bool // the user changed the suggested path
	commentEdited bool
	generating    bool
	spin          spinner.Model
	generated     *keyGeneratedMsg
}

// NewKey makes the key step; hint is a key path to preselect or prefill.
func NewKey(env *Env, d *Draft, hint string) Key {
	st := env.Styles
	p := common.NewInput(st, "Other file: ")
	p.Placeholder = "path to a private key"
	p.CharLimit = 4096
	p.ShowSuggestions = true
	p.KeyMap.AcceptSuggestion = env.Keys.TabComplete
	p.SetValue(hint)

	a := textarea.New()
	a.Placeholder = "-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----"
	a.ShowLineNumbers = false
	a.CharLimit = sshkeys.MaxInputSize
	a.MaxHeight = 1000 // an RSA 16384 PEM key is ~170 lines
	a.SetHeight(6)
	a.Prompt = "│ "
	common.StyleArea(st, &a)

	g := common.NewInput(st, "Save as:     ")
	g.CharLimit = 4096
	g.ShowSuggestions = true
	g.KeyMap.AcceptSuggestion = env.Keys.TabComplete
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

	s := spinner.New(spinner.WithSpinner(spinner.Line))

	return Key{env: env, draft: d, path: p, area: a, genPath: g, genPass: pass, genPass2: pass2,
		genComment: comment, spin: s, hint: hint}
}

// ID implements Step.
func (m Key) ID() ID { return StepKey }

// Skip implements Step.
func (m Key) Skip() bool { return false }

// Busy implements Step: a key being generated is written to disk.
func (m Key) Busy() bool { return m.generating }

// Mode is the current mode.
func (m Key) Mode() KeyMode { return m.mode }

// Typing implements Step.
func (m Key) Typing() bool {
	switch m.mode {
	case ModeFile:
		return m.onPath()
	case ModePaste:
		return true
	case ModeGenerate:
		return m.generated == nil && m.genField != genFieldType
	}
	return false
}

// cands is the list offered: IdentityFile entries, ssh-agent keys, then
// the key files of the ssh directory.
func (m Key) cands() []keyCandidate {
	var out []keyCandidate
	for _, c := range m.files {
		if c.FromConfig {
			out = append(out, c)
		}
	}
	out = append(out, m.agent...)
	for _, c := range m.files {
		if !c.FromConfig {
			out = append(out, c)
		}
	}
	return out
}

func candID(c keyCandidate) string {
	if c.Agent {
		return "agent:" + c.Key.Fingerprint
	}
	return "file:" + expandHome(c.Path)
}

func (m Key) onPath() bool { return m.cursor >= len(m.cands()) }

func (m Key) current() (keyCandidate, bool) {
	c := m.cands()
	if m.cursor >= 0 && m.cursor < len(c) {
		return c[m.cursor], true
	}
	return keyCandidate{}, false
}

func (m Key) identityFiles() []string {
	if m.draft.Endpoint == nil {
		return nil
	}
	return m.draft.Endpoint.IdentityFiles
}

func (m Key) scanKey() string {
	s := m.env.SSHDir
	if m.draft.Endpoint != nil {
		s += "\x00" + strings.Join(m.draft.Endpoint.IdentityFiles, "\x00")
	}
	return s
}

// Enter implements Step: (re)scan the key files and the agent when the
// place to look changed.
func (m Key) Enter() (Step, tea.Cmd) {
	var cmds []tea.Cmd
	if !m.scanned || m.scannedFor != m.scanKey() {
		m.scannedFor = m.scanKey()
		cmds = append(cmds, scanKeys(m.env.SSHDir, m.identityFiles()))
	}
	cmds = append(cmds, listAgentKeys(m.env.AgentSocket))
	if m.genPath.Value() == "" || !m.genEdited {
		cmds = append(cmds, m.suggestGenPath())
	}
	if !m.commentEdited {
		m.genComment.SetValue(m.keyComment())
	}
	m.err = nil
	m.loading, m.authorizing = false, false
	m = m.focus()
	return m, tea.Batch(cmds...)
}

func (m Key) suggestGenPath() tea.Cmd {
	base := "gitjira_ed25519"
	if m.genType == genRSA {
		base = "gitjira_rsa"
	}
	return suggestKeyPath(m.genTypeName(), m.env.SSHDir, base)
}

func (m Key) genTypeName() string {
	if m.genType == genRSA {
		return sshkeys.TypeRSA
	}
	return sshkeys.TypeEd25519
}

// focus gives the focus to the field of the current mode.
func (m Key) focus() Key {
	for _, in := range []*textinput.Model{&m.path, &m.genPath, &m.genPass, &m.genPass2, &m.genComment} {
		in.Blur()
	}
	m.area.Blur()
	switch m.mode {
	case ModeFile:
		if m.onPath() {
			m.path.Focus()
		}
	case ModePaste:
		m.area.Focus()
	case ModeGenerate:
		if m.generated == nil {
			if in := m.genInput(m.genField); in != nil {
				in.Focus()
			}
		}
	}
	return m
}

func (m *Key) genInput(field int) *textinput.Model {
	switch field {
	case genFieldPath:
		return &m.genPath
	case genFieldPass:
		return &m.genPass
	case genFieldPass2:
		return &m.genPass2
	case genFieldComment:
		return &m.genComment
	}
	return nil
}

// Update implements Step.
func (m Key) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.path.Width = max(10, msg.Width-len(m.path.Prompt)-3)
		for _, in := range []*textinput.Model{&m.genPath, &m.genPass, &m.genPass2, &m.genComment} {
			in.Width = max(10, msg.Width-lipgloss.Width(in.Prompt)-3)
		}
		m.area.SetWidth(max(20, msg.Width))
		m.area.SetHeight(max(3, min(8, msg.Height-14)))
		return m, nil
	case keysScannedMsg:
		if msg.dir != m.env.SSHDir {
			return m, nil
		}
		m.scanned = true
		m.files = msg.list
		m = m.reselect()
		return m, nil
	case agentKeysMsg:
		if msg.socket != m.env.AgentSocket {
			return m, nil
		}
		// An agent that does not answer is not worth a message: its keys are
		// simply not offered.
		m.agent = nil
		for _, k := range msg.keys {
			m.agent = append(m.agent, keyCandidate{Key: k, Agent: true})
		}
		m = m.reselect()
		return m, nil
	case keyLoadedMsg:
		if !m.loading {
			return m, nil
		}
		m.loading = false
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.err = nil
		return m.choose(msg.source, msg.raw, msg.key, false)
	case keyAuthorizedMsg:
		if !m.authorizing || m.draft.Key == nil || msg.fingerprint != m.draft.Key.Fingerprint {
			if m.generated != nil && m.generated.key.Fingerprint == msg.fingerprint && msg.err == nil {
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
	case pasteParsedMsg:
		if msg.seq != m.pasteSeq {
			return m, nil
		}
		m.pastedSeq, m.pasteRaw, m.pasteKey, m.pasteErr = msg.seq, msg.raw, msg.key, msg.err
		return m, nil
	case pathSuggestionsMsg:
		if msg.forValue == m.path.Value() {
			m.path.SetSuggestions(msg.list)
		}
		if msg.forValue == m.genPath.Value() {
			m.genPath.SetSuggestions(msg.list)
		}
		return m, nil
	case keyPathSuggestedMsg:
		if !m.genEdited && msg.typ == m.genTypeName() {
			m.genPath.SetValue(msg.path)
			m.genPath.CursorEnd()
		}
		return m, nil
	case keyGeneratedMsg:
		m.generating = false
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.err = nil
		m.generated = &msg
		m.genPass.Reset()
		m.genPass2.Reset()
		m = m.focus()
		// the new key is one of the files now
		cmds := []tea.Cmd{scanKeys(m.env.SSHDir, m.identityFiles())}
		if m.env.AuthorizeKey != nil {
			// Shown on the public key screen, before the user goes on.
			cmds = append(cmds, authorizeKey(m.env.AuthorizeKey, msg.key))
		}
		return m, tea.Batch(cmds...)
	case spinner.TickMsg:
		return m, spin(&m.spin, m.generating, msg)
	case tea.KeyMsg:
		return m.updateKey(msg)
	}
	return m.updateFields(msg)
}

// reselect puts the cursor back on the candidate it was on after the list
// changed (the files and the agent's keys arrive separately): the one the
// user chose, else the draft's key, else the given key path, else the
// first usable key.
func (m Key) reselect() Key {
	c := m.cands()
	want := ""
	switch {
	case m.pinned:
		want = m.selected
	case m.draft.FromAgent && m.draft.Key != nil:
		want = "agent:" + m.draft.Key.Fingerprint
	case m.draft.KeySource != "" && m.draft.KeySource != PastedSource:
		want = "file:" + expandHome(m.draft.KeySource)
	case m.hint != "":
		want = "file:" + expandHome(m.hint)
	}
	m.cursor = -1
	if want == "path" {
		m.cursor = len(c)
	}
	for i, cand := range c {
		if candID(cand) == want {
			m.cursor = i
		}
	}
	if m.hint != "" && m.scanned {
		// The given key path: selected in the list (and no need to repeat
		// it in the field), or left in the field, which gets the focus.
		if m.cursor >= 0 && m.cursor < len(c) {
			m.path.SetValue("")
		} else {
			m.cursor = len(c)
		}
		m.hint, m.pinned = "", true
	}
	if m.cursor < 0 {
		m.cursor = len(c)
		for i, cand := range c {
			if cand.Err == nil {
				m.cursor = i
				break
			}
		}
	}
	m.selected = "path"
	if m.cursor < len(c) {
		m.selected = candID(c[m.cursor])
	}
	return m.focus()
}

func (m *Key) moveCursor(d int) {
	c := m.cands()
	m.cursor = max(0, min(len(c), m.cursor+d))
	m.pinned = true
	if m.cursor < len(c) {
		m.selected = candID(c[m.cursor])
	} else {
		m.selected = "path"
	}
}

// choose records the key and moves on, after Env.AuthorizeKey when there
// is one (the demo's server must accept the key before the connection).
func (m Key) choose(source string, raw []byte, k *sshkeys.Key, generated bool) (Step, tea.Cmd) {
	m.draft.SetKey(source, raw, k, generated)
	if m.env.AuthorizeKey != nil && k.PublicKey != nil && !m.draft.noted(k) {
		m.authorizing = true
		return m, authorizeKey(m.env.AuthorizeKey, k)
	}
	return m, done(StepKey)
}

// changed forgets the messages about the input as it was.
func (m *Key) changed() {
	m.err = nil
	m.draft.AuthErr = nil
}

func (m Key) updateKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	if m.generating || m.loading || m.authorizing {
		return m, nil // only ctrl+c (the wizard's) while the key is written or read
	}
	pathField := (m.mode == ModeFile && m.onPath()) || (m.mode == ModeGenerate && m.generated == nil && m.genField == genFieldPath)
	switch {
	case key.Matches(msg, k.NextMode) && !pathField, key.Matches(msg, k.PrevMode):
		// tab in a path field completes the path (as in a shell); shift+tab
		// always changes the mode
		d := 1
		if key.Matches(msg, k.PrevMode) {
			d = int(modeCount) - 1
		}
		m.mode = (m.mode + KeyMode(d)) % modeCount
		m.changed()
		m = m.focus()
		return m, nil
	case key.Matches(msg, k.Back):
		if m.mode == ModeGenerate && m.generated != nil {
			// back from the public key to the form; the files stay on disk,
			// so the next key is offered another name
			m.generated = nil
			m = m.focus()
			if !m.genEdited {
				return m, m.suggestGenPath()
			}
			return m, nil
		}
		return m, back(StepKey)
	}
	switch m.mode {
	case ModeFile:
		return m.updateFileKey(msg)
	case ModePaste:
		return m.updatePasteKey(msg)
	default:
		return m.updateGenerateKey(msg)
	}
}

func (m Key) updateFileKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	switch {
	case key.Matches(msg, k.Up):
		m.moveCursor(-1)
		m.changed()
		return m.focus(), nil
	case key.Matches(msg, k.Down):
		m.moveCursor(+1)
		m.changed()
		return m.focus(), nil
	case key.Matches(msg, k.Next):
		if c, ok := m.current(); ok {
			switch {
			case c.Err != nil:
				m.err = c.Err
				return m, nil
			case c.Agent:
				label := AgentSource
				if c.Key.Comment != "" {
					label += ": " + c.Key.Comment
				}
				return m.choose(label, nil, c.Key, false)
			}
			m.loading = true
			return m, loadKeyFile(c.Path)
		}
		p := strings.TrimSpace(m.path.Value())
		if p == "" {
			m.err = fmt.Errorf("type the path of a private key file, or choose one from the list")
			return m, nil
		}
		m.loading = true
		return m, loadKeyFile(p)
	}
	if !m.onPath() {
		return m, nil
	}
	before := m.path.Value()
	var cmd tea.Cmd
	m.path, cmd = m.path.Update(msg)
	if v := m.path.Value(); v != before {
		m.changed()
		cmd = tea.Batch(cmd, completePath(v))
	}
	return m, cmd
}

func (m Key) updatePasteKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	if key.Matches(msg, m.env.Keys.Next) && !msg.Paste && m.pastedSeq == m.pasteSeq && m.pasteKey != nil {
		return m.choose(PastedSource, m.pasteRaw, m.pasteKey, false)
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
	if v := m.area.Value(); v != before {
		m.pasteSeq++
		m.changed()
		if strings.TrimSpace(v) == "" {
			m.pastedSeq, m.pasteKey, m.pasteErr, m.pasteRaw = m.pasteSeq, nil, nil, nil
			return m, cmd
		}
		return m, tea.Batch(cmd, parsePasted(m.pasteSeq, v))
	}
	return m, cmd
}

func (m Key) updateGenerateKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	if m.generated != nil {
		if key.Matches(msg, k.Next) {
			g := m.generated
			return m.choose(g.path, g.raw, g.key, true)
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Up):
		m.genField = max(0, m.genField-1)
		return m.focus(), nil
	case key.Matches(msg, k.Down):
		m.genField = min(genFieldCount-1, m.genField+1)
		return m.focus(), nil
	case m.genField == genFieldType && (key.Matches(msg, k.Toggle) || msg.Type == tea.KeyLeft || msg.Type == tea.KeyRight):
		m.genType = 1 - m.genType
		m.changed()
		if !m.genEdited {
			return m, m.suggestGenPath()
		}
		return m, nil
	case key.Matches(msg, k.Next):
		return m.submitGenerate()
	}
	in := m.genInput(m.genField)
	if in == nil {
		return m, nil
	}
	before := in.Value()
	var cmd tea.Cmd
	*in, cmd = in.Update(msg)
	if v := in.Value(); v != before {
		m.changed()
		switch m.genField {
		case genFieldPath:
			m.genEdited = true
			cmd = tea.Batch(cmd, completePath(v))
		case genFieldComment:
			m.commentEdited = true
		}
	}
	return m, cmd
}

// submitGenerate checks the form and generates: a passphrase typed once is
// asked again before anything is written.
func (m Key) submitGenerate() (Step, tea.Cmd) {
	p := strings.TrimSpace(m.genPath.Value())
	if p == "" {
		m.err = fmt.Errorf("type the file to save the new private key in")
		m.genField = genFieldPath
		return m.focus(), nil
	}
	pass, again := m.genPass.Value(), m.genPass2.Value()
	switch {
	case pass != "" && again == "" && m.genField != genFieldPass2:
		m.genField = genFieldPass2
		m.err = nil
		return m.focus(), nil
	case pass != again:
		m.genPass.Reset()
		m.genPass2.Reset()
		m.genField = genFieldPass
		m.err = errors.New("the two passphrases differ: type the passphrase again, twice (or leave both empty for none)")
		return m.focus(), nil
	}
	if strings.ContainsAny(m.genComment.Value(), "\r\n") {
		m.err = errors.New("the comment must be a single line")
		return m, nil
	}
	opts := sshkeys.GenerateOptions{Type: sshkeys.TypeEd25519, Comment: strings.TrimSpace(m.genComment.Value())}
	if m.genType == genRSA {
		opts = sshkeys.GenerateOptions{Type: sshkeys.TypeRSA, Bits: 4096, Format: sshkeys.FormatPEM, Comment: opts.Comment}
	}
	if pass != "" {
		opts.Passphrase = []byte(pass)
	}
	m.genPass.Reset() // the fields no longer hold it; only the command's copy does
	m.genPass2.Reset()
	m.generating = true
	m.err = nil
	m = m.focus()
	return m, tea.Batch(generateKey(opts, p, m.env.SSHDir), m.spin.Tick)
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

// updateFields passes other messages (cursor blink) to the fields.
func (m Key) updateFields(msg tea.Msg) (Step, tea.Cmd) {
	var cmds []tea.Cmd
	for _, in := range []*textinput.Model{&m.path, &m.genPath, &m.genPass, &m.genPass2, &m.genComment} {
		var c tea.Cmd
		*in, c = in.Update(msg)
		cmds = append(cmds, c)
	}
	var c tea.Cmd
	m.area, c = m.area.Update(msg)
	return m, tea.Batch(append(cmds, c)...)
}

// View implements Step.
func (m Key) View() Screen {
	st := m.env.Styles
	top := newLines(m.width)
	top.text(st.Text, "Which private key may read the repository?")
	top.add(m.tabsView())

	body := newLines(m.width)
	bottom := newLines(m.width)
	scr := Screen{}
	if a := m.draft.AuthErr; a != nil && a.AuthorizedKey != "" && !(m.mode == ModeGenerate && m.generated != nil) {
		body.text(st.Text, "Add this public key to the git host's SSH keys page (or the repository's deploy keys), then press enter to try again, or choose another key:")
		body.code(st.Code, a.AuthorizedKey)
		body.blank()
		scr.Copy, scr.CopyWhat = a.AuthorizedKey, "public key"
	}
	switch m.mode {
	case ModeFile:
		m.fileView(body, &scr)
	case ModePaste:
		m.pasteView(body, bottom)
	case ModeGenerate:
		m.generateView(top, body, bottom, &scr)
	}
	switch {
	case m.loading:
		bottom.text(st.Hint, "Reading the key…")
	case m.authorizing:
		bottom.text(st.Hint, "Authorizing the key…")
	case m.err != nil:
		bottom.text(st.Error, "✗ "+common.ErrText(m.err))
	case m.draft.AuthErr != nil:
		a := m.draft.AuthErr
		bottom.text(st.Error, fmt.Sprintf("✗ The server refused key %s for user %s.", a.Fingerprint, a.User))
	}
	scr.Top, scr.Body, scr.Bottom, scr.Focus = top.String(), body.String(), bottom.String(), body.focus
	return scr
}

func (m Key) tabsView() string {
	st := m.env.Styles
	parts := make([]string, 0, modeCount)
	for i := KeyMode(0); i < modeCount; i++ {
		if i == m.mode {
			parts = append(parts, st.Cursor.Render("["+modeNames[i]+"]"))
		} else {
			parts = append(parts, st.Hint.Render(" "+modeNames[i]+" "))
		}
	}
	line := strings.Join(parts, " ")
	if lipgloss.Width(line) > m.width && m.width > 0 {
		// narrow terminals: the current mode only, with its position
		line = st.Cursor.Render(fmt.Sprintf("[%s]", modeNames[m.mode])) + st.Hint.Render(fmt.Sprintf(" %d/%d, shift+tab for more", m.mode+1, modeCount))
		line = common.Truncate(line, m.width)
	}
	return line
}

func (m Key) fileView(b *lines, scr *Screen) {
	st := m.env.Styles
	c := m.cands()
	switch {
	case !m.scanned:
		b.text(st.Hint, "Looking for keys in "+m.env.Display(m.env.SSHDir)+"…")
	case len(c) == 0:
		b.text(st.Hint, "No private keys found in "+m.env.Display(m.env.SSHDir)+". Type a path, or press shift+tab to paste or generate a key.")
	default:
		nameW := 0
		for _, cand := range c {
			nameW = max(nameW, lipgloss.Width(candName(cand)))
		}
		nameW = min(nameW, 24)
		for i, cand := range c {
			if i == m.cursor {
				b.focusNext()
			}
			b.add(m.candRow(cand, i == m.cursor, nameW))
		}
	}
	marker := "  "
	if m.onPath() {
		marker = st.Cursor.Render("› ")
		b.focusNext()
	}
	b.add(marker + m.path.View())
	if cand, ok := m.current(); ok {
		b.blank()
		switch {
		case cand.Agent:
			b.text(st.Hint, "Held by ssh-agent: it signs for gitjira; the key itself cannot be copied.")
		default:
			b.text(st.Hint, m.env.Display(cand.Path))
		}
		if cand.Key != nil && cand.Key.Fingerprint != "" {
			b.code(st.Hint, cand.Key.Fingerprint)
		}
		if cand.Key != nil && cand.Key.AuthorizedKey != "" && scr.Copy == "" {
			scr.Copy, scr.CopyWhat = cand.Key.AuthorizedKey, "public key"
		}
	}
}

// candName is the name column of a candidate: the file name, or the agent
// key's comment.
func candName(c keyCandidate) string {
	if c.Agent {
		if c.Key.Comment != "" {
			return c.Key.Comment
		}
		return "(no comment)"
	}
	return filepath.Base(c.Path)
}

func (m Key) candRow(c keyCandidate, selected bool, nameW int) string {
	st := m.env.Styles
	name := common.Truncate(candName(c), nameW)
	row := fmt.Sprintf("%-*s  ", nameW, name)
	switch {
	case c.Err != nil:
		row += "cannot be used (IdentityFile)"
	default:
		tag := ""
		switch {
		case c.Agent:
			tag = "ssh-agent"
		case c.Key.Encrypted:
			tag = "encrypted"
		}
		row += fmt.Sprintf("%-9s %-9s", keyTypeLabel(c.Key), tag)
		if c.FromConfig {
			row += " (IdentityFile)"
		}
		if fp := c.Key.Fingerprint; fp != "" {
			// the whole fingerprint is on its own line under the list
			room := m.width - 2 - lipgloss.Width(row) - 2
			if m.width <= 0 || room >= len(fp) {
				row += "  " + fp
			} else if room >= 16 {
				row += "  " + fp[:room-1] + "…"
			}
		}
	}
	if m.width > 0 {
		row = common.Truncate(row, m.width-2)
	}
	if selected {
		return st.Cursor.Render("› ") + st.Selected.Render(row)
	}
	return "  " + row
}

func (m Key) pasteView(b, bottom *lines) {
	st := m.env.Styles
	b.text(st.Text, "Paste the whole private key, BEGIN and END lines included (OpenSSH, PEM, PKCS#8 or PuTTY .ppk):")
	b.focusNext()
	b.add(m.area.View())
	switch {
	case strings.TrimSpace(m.area.Value()) == "":
	case m.pastedSeq != m.pasteSeq:
		bottom.text(st.Hint, "Reading…")
	case m.pasteErr != nil:
		bottom.text(st.Error, "✗ "+common.ErrText(m.pasteErr))
	case m.pasteKey != nil:
		line := "✓ " + keyTypeLabel(m.pasteKey) + " key"
		if m.pasteKey.Encrypted {
			line += " (encrypted)"
		}
		if m.pasteKey.Fingerprint != "" {
			line += " " + m.pasteKey.Fingerprint
		}
		bottom.text(st.Success, line)
		bottom.text(st.Text, "Press enter to use it.")
	}
}

func (m Key) generateView(top, b, bottom *lines, scr *Screen) {
	st := m.env.Styles
	if g := m.generated; g != nil {
		top.text(st.Text, "Add this public key to the git host's SSH keys page (or the repository's deploy keys):")
		b.focusNext() // on a short terminal, the key is what is shown
		b.code(st.Code, g.key.AuthorizedKey)
		b.blank()
		b.text(st.Success, fmt.Sprintf("✓ New %s key written to %s, its public key to %s.pub; this prints it:", keyTypeLabel(g.key), m.env.Display(g.path), m.env.Display(g.path)))
		b.code(st.Code, "cat "+m.env.Display(g.path)+".pub")
		scr.Copy, scr.CopyWhat = g.key.AuthorizedKey, "public key"
		if _, ok := m.draft.notes[g.key.Fingerprint]; ok {
			if note := m.draft.notes[g.key.Fingerprint]; note != "" {
				bottom.text(st.Success, "✓ "+note)
			}
			bottom.text(st.Text, "Press enter to continue.")
		} else {
			bottom.text(st.Text, "Press enter once it is added (c copies it).")
		}
		return
	}
	b.text(st.Text, "Generate a new key pair:")
	for i, label := range []string{"ed25519 (recommended)", "RSA 4096, PEM format (for older servers)"} {
		mark := "( )"
		if i == m.genType {
			mark = "(•)"
		}
		line := mark + " " + label
		switch {
		case m.genField == genFieldType && i == m.genType:
			b.focusNext()
			b.add(st.Cursor.Render("› ") + st.Selected.Render(line))
		default:
			b.add("  " + line)
		}
	}
	b.blank()
	for f := genFieldPath; f < genFieldCount; f++ {
		marker := "  "
		if f == m.genField {
			marker = st.Cursor.Render("› ")
			b.focusNext()
		}
		b.add(marker + m.genInput2(f).View())
	}
	b.blank()
	b.text(st.Hint, "The private key is written with mode 0600 and the public key beside it (.pub); existing files are never overwritten, and "+m.env.Display(m.env.SSHDir)+" is created (0700) if it is missing. The passphrase is typed twice and never stored.")
	if m.generating {
		bottom.add(m.spin.View() + " Generating and writing the key…")
	}
}

// genInput2 is genInput for a value receiver.
func (m Key) genInput2(field int) textinput.Model {
	return *(&m).genInput(field)
}

// Help implements Step.
func (m Key) Help() help.KeyMap {
	k := m.env.Keys
	switch m.mode {
	case ModeFile:
		h := common.NewHelp(upDown(k, "choose"), common.WithDesc(k.Next, "use"))
		if m.onPath() {
			h.Short = append(h.Short, common.WithDesc(k.TabComplete, "complete"), common.WithDesc(k.PrevMode, "paste/generate"))
		} else {
			h.Short = append(h.Short, common.WithDesc(k.NextMode, "paste/generate"))
		}
		return withBack(h, k)
	case ModePaste:
		return withBack(common.NewHelp(common.WithDesc(k.Next, "use key"), common.WithDesc(k.NextMode, "generate/file")), k)
	default:
		if m.generated != nil {
			return common.NewHelp(common.WithDesc(k.Next, "continue"), common.WithDesc(k.Copy, "copy the public key"), common.WithDesc(k.Back, "back to the form"))
		}
		h := common.NewHelp(upDown(k, "field"), common.WithDesc(k.Next, "generate"))
		switch m.genField {
		case genFieldType:
			h.Short = append(h.Short, key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "key type")), common.WithDesc(k.NextMode, "file/paste"))
		case genFieldPath:
			h.Short = append(h.Short, common.WithDesc(k.TabComplete, "complete"), common.WithDesc(k.PrevMode, "file/paste"))
		default:
			h.Short = append(h.Short, common.WithDesc(k.NextMode, "file/paste"))
		}
		return withBack(h, k)
	}
}

func withBack(h common.HelpMap, k KeyMap) common.HelpMap {
	h.Short = append(h.Short, k.Back)
	return h
}
