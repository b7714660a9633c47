package steps

import (
	"fmt"
	"path/filepath"
	"strings"

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

var modeNames = [modeCount]string{"Choose a file", "Paste a key", "Generate a new key"}

// Key types offered by the generate mode.
const (
	genEd25519 = 0
	genRSA     = 1
)

// Key asks for the private key: a file (found in ~/.ssh and the host's
// IdentityFile entries, or typed), a pasted key, or a newly generated pair.
type Key struct {
	env    *Env
	draft  *Draft
	width  int
	height int
	mode   KeyMode
	err    error // the last failure, shown under the current mode

	// choose a file
	scanned    bool
	scannedFor string // dir + identity files the list was made for
	cands      []keyCandidate
	cursor     int // 0..len(cands): len(cands) is the path field
	offset     int // first visible row of the list
	path       textinput.Model

	// paste
	area      textarea.Model
	pasteSeq  int
	pastedSeq int // seq of pasteKey/pasteErr
	pasteRaw  []byte
	pasteKey  *sshkeys.Key
	pasteErr  error

	// generate
	genType    int
	genPath    textinput.Model
	genEdited  bool // the user changed the suggested path
	generating bool
	spin       spinner.Model
	generated  *keyGeneratedMsg
}

// NewKey makes the key step; hint is a key path to preselect or prefill.
func NewKey(env *Env, d *Draft, hint string) Key {
	p := textinput.New()
	p.Prompt = "Other file: "
	p.Placeholder = "path to a private key"
	p.CharLimit = 4096
	p.ShowSuggestions = true
	p.KeyMap.AcceptSuggestion = env.Keys.Complete
	p.SetValue(hint)

	a := textarea.New()
	a.Placeholder = "-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----"
	a.ShowLineNumbers = false
	a.CharLimit = sshkeys.MaxInputSize
	a.MaxHeight = 1000 // an RSA 16384 PEM key is ~170 lines
	a.SetHeight(6)
	a.Prompt = "│ "

	g := textinput.New()
	g.Prompt = "Save as: "
	g.CharLimit = 4096
	g.ShowSuggestions = true
	g.KeyMap.AcceptSuggestion = env.Keys.Complete

	s := spinner.New(spinner.WithSpinner(spinner.Line))

	m := Key{env: env, draft: d, path: p, area: a, genPath: g, spin: s}
	if hint != "" {
		m.cursor = -1 // select the hint once the list is known
	}
	return m
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
		return m.cursor == len(m.cands)
	case ModePaste:
		return true
	case ModeGenerate:
		return m.generated == nil
	}
	return false
}

func (m Key) scanKey() string {
	s := m.env.SSHDir
	if m.draft.Endpoint != nil {
		s += "\x00" + strings.Join(m.draft.Endpoint.IdentityFiles, "\x00")
	}
	return s
}

// Enter implements Step: (re)scan the key files when the place to look changed.
func (m Key) Enter() (Step, tea.Cmd) {
	var cmds []tea.Cmd
	if !m.scanned || m.scannedFor != m.scanKey() {
		var ids []string
		if m.draft.Endpoint != nil {
			ids = m.draft.Endpoint.IdentityFiles
		}
		m.scannedFor = m.scanKey()
		cmds = append(cmds, scanKeys(m.env.SSHDir, ids))
	}
	if m.genPath.Value() == "" || !m.genEdited {
		cmds = append(cmds, m.suggestGenPath())
	}
	m.err = nil
	m = m.focus()
	return m, tea.Batch(cmds...)
}

func (m Key) suggestGenPath() tea.Cmd {
	base := "gitjira_ed25519"
	if m.genType == genRSA {
		base = "gitjira_rsa"
	}
	return suggestKeyPath(m.genType2String(), m.env.SSHDir, base)
}

func (m Key) genType2String() string {
	if m.genType == genRSA {
		return sshkeys.TypeRSA
	}
	return sshkeys.TypeEd25519
}

// focus gives the focus to the field of the current mode.
func (m Key) focus() Key {
	m.path.Blur()
	m.area.Blur()
	m.genPath.Blur()
	switch m.mode {
	case ModeFile:
		if m.cursor == len(m.cands) {
			m.path.Focus()
		}
	case ModePaste:
		m.area.Focus()
	case ModeGenerate:
		m.genPath.Focus()
	}
	return m
}

// Update implements Step.
func (m Key) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.path.Width = max(10, msg.Width-len(m.path.Prompt)-1)
		m.genPath.Width = max(10, msg.Width-len(m.genPath.Prompt)-1)
		m.area.SetWidth(max(20, msg.Width))
		m.area.SetHeight(max(3, min(8, msg.Height-12)))
		return m, nil
	case keysScannedMsg:
		if msg.dir != m.env.SSHDir {
			return m, nil
		}
		m.scanned = true
		m.cands = msg.list
		hinted := m.cursor == -1
		m.cursor = m.initialCursor()
		if hinted && m.cursor < len(m.cands) {
			m.path.SetValue("") // the hint is in the list, selected: no need to repeat it
		}
		m.offset = 0
		m = m.focus()
		return m, nil
	case keyLoadedMsg:
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.err = nil
		m.draft.SetKey(msg.source, msg.raw, msg.key, false)
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
		if !m.genEdited && msg.typ == m.genType2String() {
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
		m = m.focus()
		return m, nil
	case spinner.TickMsg:
		return m, spin(&m.spin, m.generating, msg)
	case tea.KeyMsg:
		return m.updateKey(msg)
	}
	return m.updateFields(msg)
}

// initialCursor selects the key the draft has, else the hint in the path
// field, else the first usable key.
func (m Key) initialCursor() int {
	want := m.draft.KeySource
	if want == "" && m.cursor == -1 {
		want = m.path.Value()
	}
	if want != "" {
		for i, c := range m.cands {
			if expandHome(c.Path) == expandHome(want) {
				return i
			}
		}
		if m.cursor == -1 {
			return len(m.cands) // the hint is not in the list: it stays in the field
		}
	}
	for i, c := range m.cands {
		if c.Err == nil {
			return i
		}
	}
	return len(m.cands)
}

func (m Key) updateKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	if m.generating {
		return m, nil // only ctrl+c (the wizard's) while the key is written
	}
	switch {
	case key.Matches(msg, k.NextMode), key.Matches(msg, k.PrevMode):
		d := 1
		if key.Matches(msg, k.PrevMode) {
			d = int(modeCount) - 1
		}
		m.mode = (m.mode + KeyMode(d)) % modeCount
		m.err = nil
		m = m.focus()
		return m, nil
	case key.Matches(msg, k.Back):
		if m.mode == ModeGenerate && m.generated != nil {
			// back from the public key to the form; the files stay on disk
			m.generated = nil
			m = m.focus()
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
		if m.cursor > 0 {
			m.cursor--
		}
		m.err = nil
		m = m.focus()
		return m, nil
	case key.Matches(msg, k.Down):
		if m.cursor < len(m.cands) {
			m.cursor++
		}
		m.err = nil
		m = m.focus()
		return m, nil
	case key.Matches(msg, k.Next):
		if m.cursor >= 0 && m.cursor < len(m.cands) {
			c := m.cands[m.cursor]
			if c.Err != nil {
				m.err = c.Err
				return m, nil
			}
			return m, loadKeyFile(c.Path)
		}
		p := strings.TrimSpace(m.path.Value())
		if p == "" {
			m.err = fmt.Errorf("type the path of a private key file, or choose one from the list")
			return m, nil
		}
		return m, loadKeyFile(p)
	}
	if m.cursor != len(m.cands) {
		return m, nil
	}
	before := m.path.Value()
	var cmd tea.Cmd
	m.path, cmd = m.path.Update(msg)
	if v := m.path.Value(); v != before {
		m.err = nil
		cmd = tea.Batch(cmd, completePath(v))
	}
	return m, cmd
}

func (m Key) updatePasteKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	if key.Matches(msg, m.env.Keys.Next) && !msg.Paste && m.pastedSeq == m.pasteSeq && m.pasteKey != nil {
		m.draft.SetKey(PastedSource, m.pasteRaw, m.pasteKey, false)
		return m, done(StepKey)
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
		m.err = nil
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
			m.draft.SetKey(g.path, g.raw, g.key, true)
			return m, done(StepKey)
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Up), key.Matches(msg, k.Down):
		m.genType = 1 - m.genType
		m.err = nil
		if !m.genEdited {
			return m, m.suggestGenPath()
		}
		return m, nil
	case key.Matches(msg, k.Next):
		p := strings.TrimSpace(m.genPath.Value())
		if p == "" {
			m.err = fmt.Errorf("type the file to save the new private key in")
			return m, nil
		}
		opts := sshkeys.GenerateOptions{Type: sshkeys.TypeEd25519, Comment: m.keyComment()}
		if m.genType == genRSA {
			opts = sshkeys.GenerateOptions{Type: sshkeys.TypeRSA, Bits: 4096, Format: sshkeys.FormatPEM, Comment: m.keyComment()}
		}
		m.generating = true
		m.err = nil
		return m, tea.Batch(generateKey(opts, p), m.spin.Tick)
	}
	before := m.genPath.Value()
	var cmd tea.Cmd
	m.genPath, cmd = m.genPath.Update(msg)
	if v := m.genPath.Value(); v != before {
		m.genEdited = true
		m.err = nil
		cmd = tea.Batch(cmd, completePath(v))
	}
	return m, cmd
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

// updateFields passes other messages (cursor blink) to the focused field.
func (m Key) updateFields(msg tea.Msg) (Step, tea.Cmd) {
	var c1, c2, c3 tea.Cmd
	m.path, c1 = m.path.Update(msg)
	m.area, c2 = m.area.Update(msg)
	m.genPath, c3 = m.genPath.Update(msg)
	return m, tea.Batch(c1, c2, c3)
}

// View implements Step.
func (m Key) View() string {
	st := m.env.Styles
	var b strings.Builder
	if a := m.draft.AuthErr; a != nil {
		b.WriteString(wrap(st.Error, m.width, fmt.Sprintf("✗ The server refused key %s for user %s.", a.Fingerprint, a.User)))
		b.WriteString("\n")
		if a.AuthorizedKey != "" {
			b.WriteString(wrap(st.Text, m.width, "Add this public key to the git host's SSH keys page (or the repository's deploy keys), then press enter to try again, or choose another key:"))
			b.WriteString("\n")
			b.WriteString(st.Code.Render(breakLong(a.AuthorizedKey, m.width)))
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	b.WriteString(m.tabsView())
	b.WriteString("\n\n")
	switch m.mode {
	case ModeFile:
		b.WriteString(m.fileView())
	case ModePaste:
		b.WriteString(m.pasteView())
	case ModeGenerate:
		b.WriteString(m.generateView())
	}
	if m.err != nil {
		b.WriteString("\n")
		b.WriteString(wrap(st.Error, m.width, "✗ "+m.err.Error()))
	}
	return strings.TrimRight(b.String(), "\n")
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
		line = st.Cursor.Render(fmt.Sprintf("[%s]", modeNames[m.mode])) + st.Hint.Render(fmt.Sprintf(" %d/%d, tab for more", m.mode+1, modeCount))
	}
	return line
}

// listRows is how many candidate rows fit.
func (m Key) listRows() int {
	if m.height <= 0 {
		return len(m.cands)
	}
	rows := m.height - 8
	if m.draft.AuthErr != nil {
		rows -= 5
	}
	return max(3, rows)
}

func (m Key) fileView() string {
	st := m.env.Styles
	var b strings.Builder
	switch {
	case !m.scanned:
		b.WriteString(st.Hint.Render("Looking for keys in " + m.env.Display(m.env.SSHDir) + "…"))
		b.WriteString("\n")
	case len(m.cands) == 0:
		b.WriteString(wrap(st.Hint, m.width, "No private keys found in "+m.env.Display(m.env.SSHDir)+". Type a path, or press tab to paste or generate a key."))
		b.WriteString("\n")
	default:
		rows := m.listRows()
		off := m.offset
		if m.cursor >= 0 && m.cursor < len(m.cands) {
			if m.cursor < off {
				off = m.cursor
			}
			if m.cursor >= off+rows {
				off = m.cursor - rows + 1
			}
		}
		off = max(0, min(off, len(m.cands)-rows))
		if off > 0 {
			b.WriteString(st.Hint.Render(fmt.Sprintf("  ↑ %d more", off)))
			b.WriteString("\n")
		}
		nameW := 0
		for _, c := range m.cands {
			nameW = max(nameW, lipgloss.Width(filepath.Base(c.Path)))
		}
		nameW = min(nameW, 24)
		for i := off; i < len(m.cands) && i < off+rows; i++ {
			b.WriteString(m.candRow(m.cands[i], i == m.cursor, nameW))
			b.WriteString("\n")
		}
		if rest := len(m.cands) - off - rows; rest > 0 {
			b.WriteString(st.Hint.Render(fmt.Sprintf("  ↓ %d more", rest)))
			b.WriteString("\n")
		}
	}
	marker := "  "
	if m.cursor == len(m.cands) {
		marker = st.Cursor.Render("› ")
	}
	b.WriteString(marker + m.path.View())
	b.WriteString("\n")
	if m.cursor >= 0 && m.cursor < len(m.cands) {
		c := m.cands[m.cursor]
		detail := m.env.Display(c.Path)
		if c.Key != nil && c.Key.Fingerprint != "" {
			detail += "  " + c.Key.Fingerprint
		}
		b.WriteString(wrap(st.Hint, m.width, detail))
		b.WriteString("\n")
	}
	return b.String()
}

func (m Key) candRow(c keyCandidate, selected bool, nameW int) string {
	st := m.env.Styles
	name := filepath.Base(c.Path)
	name = truncate(name, nameW)
	row := fmt.Sprintf("%-*s  ", nameW, name)
	switch {
	case c.Err != nil:
		row += "cannot be used (IdentityFile)"
	default:
		enc := ""
		if c.Key.Encrypted {
			enc = "encrypted"
		}
		row += fmt.Sprintf("%-9s %-9s", keyTypeLabel(c.Key), enc)
		if c.FromConfig {
			row += " (IdentityFile)"
		}
		if fp := c.Key.Fingerprint; fp != "" {
			room := m.width - 2 - lipgloss.Width(row) - 2
			if m.width <= 0 || room >= len(fp) {
				row += "  " + fp
			} else if room >= 16 {
				row += "  " + fp[:room-1] + "…"
			}
		}
	}
	if selected {
		return st.Cursor.Render("› ") + st.Selected.Render(row)
	}
	return "  " + row
}

func (m Key) pasteView() string {
	st := m.env.Styles
	var b strings.Builder
	b.WriteString(wrap(st.Text, m.width, "Paste the whole private key, BEGIN and END lines included (OpenSSH, PEM, PKCS#8 or PuTTY .ppk):"))
	b.WriteString("\n")
	b.WriteString(m.area.View())
	b.WriteString("\n")
	switch {
	case strings.TrimSpace(m.area.Value()) == "":
	case m.pastedSeq != m.pasteSeq:
		b.WriteString(st.Hint.Render("Reading…"))
	case m.pasteErr != nil:
		b.WriteString(wrap(st.Error, m.width, "✗ "+m.pasteErr.Error()))
	case m.pasteKey != nil:
		line := "✓ " + keyTypeLabel(m.pasteKey) + " key"
		if m.pasteKey.Encrypted {
			line += " (encrypted)"
		}
		if m.pasteKey.Fingerprint != "" {
			line += " " + m.pasteKey.Fingerprint
		}
		b.WriteString(wrap(st.Success, m.width, line))
		b.WriteString("\n")
		b.WriteString(wrap(st.Text, m.width, "Press enter to use it."))
	}
	b.WriteString("\n")
	return b.String()
}

func (m Key) generateView() string {
	st := m.env.Styles
	var b strings.Builder
	if g := m.generated; g != nil {
		b.WriteString(wrap(st.Success, m.width, fmt.Sprintf("✓ New %s key written to %s (public key in %s.pub)", keyTypeLabel(g.key), m.env.Display(g.path), m.env.Display(g.path))))
		b.WriteString("\n\n")
		b.WriteString(wrap(st.Text, m.width, "Add this public key to the git host's SSH keys page (or the repository's deploy keys):"))
		b.WriteString("\n\n")
		b.WriteString(st.Code.Render(breakLong(g.key.AuthorizedKey, m.width)))
		b.WriteString("\n\n")
		b.WriteString(wrap(st.Hint, m.width, fmt.Sprintf("Copy it from here, or run: cat %s.pub", m.env.Display(g.path))))
		b.WriteString("\n")
		b.WriteString(wrap(st.Text, m.width, "Press enter once it is added."))
		b.WriteString("\n")
		return b.String()
	}
	b.WriteString(wrap(st.Text, m.width, "Generate a new key pair (↑/↓ to choose the type):"))
	b.WriteString("\n")
	for i, label := range []string{"ed25519 (recommended)", "RSA 4096, PEM format (for older servers)"} {
		mark := "( )"
		if i == m.genType {
			mark = "(•)"
		}
		line := mark + " " + label
		if i == m.genType {
			b.WriteString(st.Cursor.Render("› ") + st.Selected.Render(line))
		} else {
			b.WriteString("  " + line)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(m.genPath.View())
	b.WriteString("\n")
	if m.generating {
		b.WriteString(m.spin.View() + " Generating and writing the key…")
	} else {
		b.WriteString(wrap(st.Hint, m.width, "The private key is written with mode 0600 and the public key beside it (.pub); existing files are never overwritten."))
	}
	b.WriteString("\n")
	return b.String()
}

// Help implements Step.
func (m Key) Help() help.KeyMap {
	k := m.env.Keys
	switch m.mode {
	case ModeFile:
		h := newHelp(upDown(k, "choose"), withHelp(k.Next, "use"), withHelp(k.NextMode, "paste/generate"), k.Back)
		if m.cursor == len(m.cands) {
			h.short = append(h.short, k.Complete)
		}
		return h
	case ModePaste:
		return newHelp(withHelp(k.Next, "use key"), withHelp(k.NextMode, "generate/file"), k.Back)
	default:
		if m.generated != nil {
			return newHelp(withHelp(k.Next, "it is added, continue"), withHelp(k.Back, "back to the form"))
		}
		return newHelp(upDown(k, "key type"), withHelp(k.Next, "generate"), withHelp(k.NextMode, "file/paste"), k.Back)
	}
}
