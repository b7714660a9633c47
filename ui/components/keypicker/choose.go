package keypicker

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/ui/common"
)

// chooser is the "Choose a key" mode: the IdentityFile entries, the keys of
// ssh-agent and the key files of the ssh directory, and a path field.
type chooser struct {
	c          *common.Common
	owner      string
	sshDir     string
	scanned    bool
	agentDone  bool
	scannedFor string
	files      []Candidate
	agent      []Candidate
	cursor     int    // 0..len(cands): len(cands) is the path field
	selected   string // the id of the selected candidate
	pinned     bool   // the user moved the cursor: keep it there when the list changes
	hint       string // a key path given by the caller: select it once the list is known
	want       string // the id to select when it shows up (the current key)
	path       textinput.Model
	loading    bool
}

func newChooser(c *common.Common, owner, sshDir, hint string) chooser {
	p := common.NewInput(c.Styles, "Other file: ")
	p.Placeholder = "path to a private key"
	p.CharLimit = 4096
	p.ShowSuggestions = true
	p.KeyMap.AcceptSuggestion = c.Keys.TabComplete
	p.SetValue(hint)
	return chooser{c: c, owner: owner, sshDir: sshDir, path: p, hint: hint}
}

// cands is the list offered: IdentityFile entries, ssh-agent keys, then
// the key files of the ssh directory.
func (m *chooser) cands() []Candidate {
	var out []Candidate
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

func candID(c Candidate) string {
	if c.Agent {
		return "agent:" + c.Key.Fingerprint
	}
	return "file:" + expandHome(c.Path)
}

func (m *chooser) onPath() bool { return m.cursor >= len(m.cands()) }

func (m *chooser) current() (Candidate, bool) {
	c := m.cands()
	if m.cursor >= 0 && m.cursor < len(c) {
		return c[m.cursor], true
	}
	return Candidate{}, false
}

// done reports whether the files and the agent have both answered.
func (m *chooser) done() bool { return m.scanned && m.agentDone }

// reselect puts the cursor back on the candidate it was on after the list
// changed (the files and the agent's keys arrive separately): the one the
// user chose, else the current key, else the given key path, else the
// first usable key.
func (m *chooser) reselect() {
	c := m.cands()
	want := ""
	switch {
	case m.pinned:
		want = m.selected
	case m.want != "":
		want = m.want
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
	m.focus()
}

func (m *chooser) focus() {
	if m.onPath() {
		m.path.Focus()
	} else {
		m.path.Blur()
	}
}

func (m *chooser) move(d int) {
	c := m.cands()
	m.cursor = max(0, min(len(c), m.cursor+d))
	m.pinned = true
	if m.cursor < len(c) {
		m.selected = candID(c[m.cursor])
	} else {
		m.selected = "path"
	}
	m.focus()
}

// update handles a key; chosen is set when a key was picked (an agent key
// at once; a file is read first: keyLoadedMsg).
func (m *chooser) update(msg tea.KeyMsg) (tea.Cmd, *ChosenMsg, error) {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Up):
		m.move(-1)
		return nil, nil, nil
	case key.Matches(msg, k.Down):
		m.move(+1)
		return nil, nil, nil
	case key.Matches(msg, k.Next):
		if c, ok := m.current(); ok {
			switch {
			case c.Err != nil:
				return nil, nil, c.Err
			case c.Agent:
				label := AgentSource
				if c.Key.Comment != "" {
					label += ": " + c.Key.Comment
				}
				return nil, &ChosenMsg{Source: label, Key: c.Key}, nil
			}
			m.loading = true
			return loadKeyFile(m.c.Requests.New(m.owner+"/load"), c.Path), nil, nil
		}
		p := strings.TrimSpace(m.path.Value())
		if p == "" {
			return nil, nil, fmt.Errorf("type the path of a private key file, or choose one from the list")
		}
		m.loading = true
		return loadKeyFile(m.c.Requests.New(m.owner+"/load"), p), nil, nil
	case m.onPath() && key.Matches(msg, k.Clear):
		m.path.SetValue("")
		return nil, nil, nil
	}
	if !m.onPath() {
		return nil, nil, nil
	}
	before := m.path.Value()
	var cmd tea.Cmd
	m.path, cmd = m.path.Update(msg)
	if v := m.path.Value(); v != before {
		cmd = tea.Batch(cmd, completePath(v))
	}
	return cmd, nil, nil
}

// view renders the list, the path field and what is known of the selected
// key (its file, comment and whole fingerprint).
func (m *chooser) view(b *common.Lines) {
	st := m.c.Styles
	c := m.cands()
	switch {
	case !m.scanned:
		b.Text(st.Hint, "Looking for keys in "+m.c.Display(m.sshDir)+"…")
	case len(c) == 0:
		b.Text(st.Hint, "No private keys found in "+m.c.Display(m.sshDir)+". Type a path, or press shift+tab to paste or generate a key.")
	default:
		nameW := 0
		for _, cand := range c {
			nameW = max(nameW, lipgloss.Width(candName(cand)))
		}
		nameW = min(nameW, 24)
		for i, cand := range c {
			if i == m.cursor {
				b.FocusNext()
			}
			b.Add(m.row(cand, i == m.cursor, nameW))
		}
	}
	marker := "  "
	if m.onPath() {
		marker = st.Cursor.Render("› ")
		b.FocusNext()
	}
	b.Add(marker + m.path.View())
	if cand, ok := m.current(); ok {
		b.Blank()
		switch {
		case cand.Agent:
			b.Text(st.Hint, "Held by ssh-agent: it signs for gitjira; the key itself cannot be copied.")
		default:
			b.Text(st.Hint, m.c.Display(cand.Path))
		}
		if cand.Key != nil && cand.Key.Comment != "" && !cand.Agent {
			b.Text(st.Hint, "Comment: "+cand.Key.Comment)
		}
		if cand.Key != nil && cand.Key.Fingerprint != "" {
			b.Code(st.Hint, cand.Key.Fingerprint)
		}
	}
}

// candName is the name column of a candidate: the file name, or the agent
// key's comment.
func candName(c Candidate) string {
	if c.Agent {
		if c.Key.Comment != "" {
			return c.Key.Comment
		}
		return "(no comment)"
	}
	return filepath.Base(c.Path)
}

// row is one candidate: name, type, state, and, where they fit, its
// comment and whole fingerprint (a fingerprint is never cut: the selected
// key's is shown whole under the list).
func (m *chooser) row(c Candidate, selected bool, nameW int) string {
	st := m.c.Styles
	width := m.c.Width
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
		row += fmt.Sprintf("%-9s %-9s", TypeLabel(c.Key), tag)
		if c.FromConfig {
			row += " (IdentityFile)"
		}
		room := func() int { return width - 2 - lipgloss.Width(row) - 2 }
		if fp := c.Key.Fingerprint; fp != "" && (width <= 0 || room() >= len(fp)) {
			row += "  " + fp
		}
		if cm := c.Key.Comment; cm != "" && !c.Agent && (width <= 0 || room() >= 8) {
			row += "  " + common.Truncate(cm, max(8, room()))
		}
	}
	if width > 0 {
		row = common.Truncate(row, width-2)
	}
	if selected {
		return st.Cursor.Render("› ") + st.Selected.Render(row)
	}
	return "  " + row
}
