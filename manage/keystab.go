package manage

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/scroll"
	"github.com/gitjira/gitjira/ui/components/status"
	"github.com/gitjira/gitjira/ui/components/table"
)

// keyGroup is one key as the SSH keys tab shows it: the stored key files
// with the same fingerprint, and the repositories that use them.
type keyGroup struct {
	fingerprint string
	label       string // "ED25519", "RSA 3072"
	// comments are each stored file's own comment ("" none), by file: a key
	// given to several repositories may have been copied with different
	// comments, and each is shown, not the first repository's.
	comments map[string]string
	// origins are where each stored file was taken from
	// (store.Repository.KeyOrigin: ~/.ssh/id_ed25519, "pasted key"), by file.
	origins    map[string]string
	encrypted  bool
	authorized string // the public key line; "" when the file does not show it unlocked
	files      []string
	repos      []string
	outside    bool   // a key file outside gitjira's keys directory (an older list)
	err        string // why a file could not be read
}

// keysLoadedMsg is the keys read from disk.
type keysLoadedMsg struct {
	seq    int
	groups []keyGroup
	repos  []string // the repository names they were read for
	err    error
}

// loadKeys reads the key of every repository in the list and groups them by
// fingerprint (one key may be given to several repositories).
func loadKeys(c *shared) tea.Cmd {
	c.keysSeq++
	seq, mgr := c.keysSeq, c.Manager
	paths := mgr.Paths
	return func() tea.Msg {
		repos, err := mgr.Repositories()
		if err != nil {
			return keysLoadedMsg{seq: seq, err: err}
		}
		keysDir := paths.KeysDir()
		byFP := map[string]*keyGroup{}
		var order []string
		var names []string
		for _, r := range repos {
			names = append(names, r.Name)
			if r.KeyFile == "" {
				continue
			}
			g := keyGroup{fingerprint: r.KeyFingerprint, files: []string{r.KeyFile}, comments: map[string]string{},
				origins: map[string]string{r.KeyFile: termtext.Field(r.KeyOrigin, 300)}}
			g.outside = !strings.HasPrefix(r.KeyFile, keysDir+string(filepath.Separator))
			k, err := mgr.PublicStoredKey(r)
			switch {
			case err != nil:
				g.err = oneLine(err)
			default:
				g.label, g.encrypted, g.authorized = keyLabel(k), k.Encrypted, k.AuthorizedKey
				g.comments[r.KeyFile] = termtext.Field(k.Comment, 200)
				if k.Fingerprint != "" {
					g.fingerprint = k.Fingerprint
				}
			}
			id := g.fingerprint
			if id == "" {
				id = "file:" + r.KeyFile
			}
			if have, ok := byFP[id]; ok {
				have.repos = append(have.repos, r.Name)
				if !slices.Contains(have.files, r.KeyFile) {
					have.files = append(have.files, r.KeyFile)
					have.comments[r.KeyFile] = g.comments[r.KeyFile]
					have.origins[r.KeyFile] = g.origins[r.KeyFile]
				}
				have.outside = have.outside || g.outside
				continue
			}
			g.repos = []string{r.Name}
			byFP[id] = &g
			order = append(order, id)
		}
		groups := make([]keyGroup, len(order))
		for i, id := range order {
			groups[i] = *byFP[id]
		}
		return keysLoadedMsg{seq: seq, groups: groups, repos: names}
	}
}

// keysTab is the SSH keys tab.
type keysTab struct {
	c       *shared
	groups  []keyGroup
	ready   bool
	loadErr error
	lastSeq int
	readFor []string // the repository names of the last load
	table   *table.Model
}

// The key column is up to three rows: the comment, the whole fingerprint
// (SHA256: and 43 characters) and the file the key was taken from, so keys
// of one type are told apart.
var keyColumns = []table.Column{
	{Title: "Type", Min: 9},
	{Title: "Key", Min: 51, Grow: 1, Wrap: true},
	{Title: "Used by", Min: 10, Grow: 1, Wrap: true},
}

func newKeysTab(c *shared) keysTab {
	t := keysTab{c: c, table: newTable(c, keyColumns...)}
	t.table.SetEmpty("Reading the stored keys…")
	return t
}

func (t keysTab) load() tea.Cmd { return loadKeys(t.c) }

// stale reports whether the keys were read for another set of repositories.
func (t keysTab) stale(repos []store.Repository) bool {
	if len(repos) != len(t.readFor) {
		return true
	}
	for i, r := range repos {
		if t.readFor[i] != r.Name {
			return true
		}
	}
	return false
}

func (t *keysTab) loaded(msg keysLoadedMsg) {
	if msg.seq < t.lastSeq {
		return
	}
	t.lastSeq = msg.seq
	t.loadErr = msg.err
	if msg.err != nil {
		t.table.SetEmpty("Cannot read the repositories list: " + oneLine(msg.err))
		return
	}
	first := !t.ready
	t.ready = true
	t.groups, t.readFor = msg.groups, msg.repos
	rows := make([]table.Row, len(t.groups))
	for i, g := range t.groups {
		label := g.label
		styles := map[int]lipgloss.Style{}
		if g.err != "" {
			label = "unreadable"
			styles[0] = t.c.Styles.Error
		}
		fp := g.fingerprint
		if fp == "" {
			fp = "unknown"
		}
		comment := g.comment()
		if comment == "" {
			comment = "(no comment)"
		}
		cell := comment + "\n" + fp
		if o := g.origin(t.c); o != "" {
			cell += "\nfrom " + o
		}
		rows[i] = table.Row{Key: g.key(), Cells: []string{label, cell, strings.Join(g.repos, ", ")}, Styles: styles}
	}
	t.table.SetRows(rows)
	t.table.SetEmpty("No stored keys: connect a repository (c on the Repositories tab).")
	if first {
		t.table.Select(t.c.sess.selected[tabKeys])
	}
}

func (g keyGroup) key() string {
	if g.fingerprint != "" {
		return g.fingerprint
	}
	return "file:" + strings.Join(g.files, ",")
}

// comment is the key's comments, each once, in file order ("" none).
func (g keyGroup) comment() string {
	var cs []string
	for _, f := range g.files {
		if c := g.comments[f]; c != "" && !slices.Contains(cs, c) {
			cs = append(cs, c)
		}
	}
	return strings.Join(cs, ", ")
}

// origin is where the key came from: its source files (shown the short
// way), each once ("" when no repository recorded it).
func (g keyGroup) origin(c *shared) string {
	var os []string
	for _, f := range g.files {
		if o := g.origins[f]; o != "" && !slices.Contains(os, c.Display(o)) {
			os = append(os, c.Display(o))
		}
	}
	return strings.Join(os, ", ")
}

func (t keysTab) selected() (keyGroup, bool) {
	k := t.table.SelectedKey()
	for _, g := range t.groups {
		if g.key() == k {
			return g, true
		}
	}
	return keyGroup{}, false
}

func (t keysTab) view() string { return t.table.View() }

// status is the lines about the selected key: where it is stored, and who
// uses it with which comment.
func (t keysTab) status() []status.Line {
	st := t.c.Styles
	g, ok := t.selected()
	if !ok {
		return nil
	}
	first := "Stored as " + filesText(t.c, g.files)
	if o := g.origin(t.c); o != "" {
		first = "Taken from " + o + " · " + first
	}
	if g.encrypted {
		first += " · encrypted"
	}
	second := "Used by " + plural(len(g.repos), "repository", "repositories") + ": " + strings.Join(g.repos, ", ")
	if g.err != "" {
		return []status.Line{{Text: first, Style: st.Hint}, {Text: "✗ " + g.err, Style: st.Error}}
	}
	return []status.Line{{Text: first, Style: st.Hint}, {Text: second, Style: st.Hint}}
}

// filesText names key files the short way: "api.key, web.key in ~/.local/share/gitjira/keys".
func filesText(c *shared, files []string) string {
	if len(files) == 0 {
		return "nothing"
	}
	dir := filepath.Dir(files[0])
	var names []string
	for _, f := range files {
		if filepath.Dir(f) != dir {
			var all []string
			for _, f := range files {
				all = append(all, c.Display(f))
			}
			return strings.Join(all, ", ")
		}
		names = append(names, filepath.Base(f))
	}
	return strings.Join(names, ", ") + " in " + c.Display(dir)
}

// removeReason is why the selected key cannot be removed ("" when it can).
func (g keyGroup) removeReason() string {
	if len(g.repos) > 0 {
		return fmt.Sprintf("in use by %s: gitjira keeps one key per repository and deletes it with its repository (d on the Repositories tab)", strings.Join(g.repos, ", "))
	}
	return ""
}

func (t keysTab) help() help.KeyMap {
	k := t.c.Keys
	rm := k.Remove
	if g, ok := t.selected(); ok && g.removeReason() != "" {
		rm = withDesc(k.Remove, "remove (in use)")
	}
	show := common.Join("enter/v", "public key", k.Next, k.Show)
	replace := withDesc(k.Key, "replace")
	tab := withDesc(k.NextMode, "repositories")
	short := []key.Binding{upDown(k, "move"), show, k.Copy, replace, k.Authorize, rm, tab}
	return helpMap{Short: short, Full: [][]key.Binding{{upDown(k, "move"), k.PageUp, k.PageDown, k.Home, k.End}, {show, k.Copy, replace, k.Authorize, rm, tab}}}
}

// copyCmd copies text with the UI layer's OSC 52 copy (common.Copy). From
// the list, where the text is not on screen, the advice says how to show it
// rather than to select it.
func copyCmd(c *shared, what, text string, onScreen bool) tea.Cmd {
	cmd := common.Copy(c.Clipboard, text, what)
	if onScreen {
		return cmd
	}
	return func() tea.Msg {
		msg, _ := cmd().(common.CopiedMsg)
		switch {
		case c.Clipboard == nil:
			msg.Text = "This terminal cannot be sent the " + what + ": press v to show it and select it with the mouse."
		case msg.Err != nil:
			msg.Text = "Could not send the " + what + " to the clipboard: press v to show it and select it with the mouse."
		default:
			msg.Text = "Sent the " + what + " to the clipboard (OSC 52). Nothing to paste? Press v to show it."
		}
		return msg
	}
}

// keysKey handles a key on the SSH keys tab (no page open).
func (m *Model) keysKey(msg tea.KeyMsg) tea.Cmd {
	t := &m.keys
	k := m.c.Keys
	if t.table.Handles(msg) {
		t.table.Update(msg)
		return nil
	}
	g, ok := t.selected()
	if !ok {
		return nil
	}
	switch {
	case key.Matches(msg, k.Next), key.Matches(msg, k.Show):
		return m.open(newPublicKeyPage(m.c, g))
	case key.Matches(msg, k.Copy):
		if g.authorized == "" {
			m.flash = flash{text: noPublicHalf(g), err: true}
			return nil
		}
		return copyCmd(m.c, "public key", g.authorized, false)
	case key.Matches(msg, k.Key):
		var repos []store.Repository
		for _, n := range g.repos {
			if r, ok := m.repos.get(n); ok {
				if m.syncs.has(n) {
					m.flash = flash{text: n + " is syncing: wait for it to finish.", err: true}
					return nil
				}
				repos = append(repos, r)
			}
		}
		if len(repos) == 0 {
			return nil
		}
		return m.open(newKeyChangePage(m.c, repos))
	case key.Matches(msg, k.Authorize):
		for _, n := range g.repos {
			if r, ok := m.repos.get(n); ok {
				return m.open(newStoredKeyAuthorizePage(m.c, r))
			}
		}
		m.flash = flash{text: "No repository uses this key: nothing to authorize it for.", err: true}
		return nil
	case key.Matches(msg, k.Remove):
		if why := g.removeReason(); why != "" {
			m.flash = flash{text: "Cannot remove this key: " + why + ".", err: true}
			return nil
		}
	}
	return nil
}

func noPublicHalf(g keyGroup) string {
	if g.err != "" {
		return "The key file cannot be read: " + g.err
	}
	return "This encrypted key does not show its public half without the passphrase: run `gitjira key inspect " + strings.Join(g.files[:1], "") + "`."
}

// publicKeyPage shows one key: its type, fingerprint, files, users and the
// public key line to copy or select.
type publicKeyPage struct {
	c     *shared
	g     keyGroup
	sc    *scroll.Model
	width int
}

func newPublicKeyPage(c *shared, g keyGroup) (page, tea.Cmd) {
	p := &publicKeyPage{c: c, g: g, sc: newScroll(c), width: 80}
	p.sc.SetSize(80, 10)
	p.sc.SetContent(p.content(), -1)
	return p, nil
}

func (p *publicKeyPage) title() string { return "SSH key · " + p.g.label }
func (p *publicKeyPage) typing() bool  { return false }
func (p *publicKeyPage) busy() bool    { return false }
func (p *publicKeyPage) help() help.KeyMap {
	k := p.c.Keys
	return newHelp(upDown(k, "scroll"), k.Copy, withDesc(k.Back, "back"))
}

func (p *publicKeyPage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width = max(20, msg.Width)
		p.sc.SetSize(p.width, max(3, msg.Height))
		p.sc.SetContent(p.content(), -1)
		return p, nil
	case tea.KeyMsg:
		k := p.c.Keys
		switch {
		case key.Matches(msg, k.Back), key.Matches(msg, k.Next):
			return closePage(flash{}, false)
		case key.Matches(msg, k.Copy):
			if p.g.authorized == "" {
				return p, func() tea.Msg {
					return common.CopiedMsg{What: "public key", Err: errors.New("no public half"), Text: noPublicHalf(p.g)}
				}
			}
			return p, copyCmd(p.c, "public key", p.g.authorized, true)
		}
	}
	p.sc.Update(msg)
	return p, nil
}

func (p *publicKeyPage) view() string { return p.sc.View() }

func (p *publicKeyPage) content() string {
	st := p.c.Styles
	g := p.g
	w := max(20, p.width)
	var b strings.Builder
	row := func(label, value string) {
		const lw = 13
		b.WriteString(st.Label.Render(fmt.Sprintf("%-*s", lw, label)))
		for i, l := range strings.Split(wrapHard(value, max(10, w-lw)), "\n") {
			if i > 0 {
				b.WriteString("\n" + strings.Repeat(" ", lw))
			}
			b.WriteString(st.Value.Render(l))
		}
		b.WriteString("\n")
	}
	row("Type", g.label)
	row("Fingerprint", orNone(g.fingerprint, "unknown"))
	if c := g.comment(); c != "" {
		row("Comment", c)
	}
	enc := "no"
	if g.encrypted {
		enc = "yes (syncs ask for its passphrase once per session)"
	}
	row("Encrypted", enc)
	if o := g.origin(p.c); o != "" {
		row("Taken from", o)
	}
	row("Stored as", filesText(p.c, g.files))
	row("Used by", strings.Join(g.repos, ", "))
	if why := g.removeReason(); why != "" {
		row("Remove", "not available: "+why)
	}
	b.WriteString("\n" + st.Header.Render("Public key") + " " + st.Hint.Render("(add it to the git server account; y copies it)") + "\n")
	if g.authorized == "" {
		b.WriteString(st.Hint.Render(wrapHard(noPublicHalf(g), w)))
	} else {
		// Broken without adding or removing anything, so a selection copies it exactly.
		b.WriteString(st.Code.Render(breakLong(g.authorized, w)))
	}
	return b.String()
}

// breakLong hard-breaks s into lines of at most width cells (no spaces added).
func breakLong(s string, width int) string {
	if width <= 0 || len(s) <= width {
		return s
	}
	var b strings.Builder
	for len(s) > width {
		b.WriteString(s[:width])
		b.WriteByte('\n')
		s = s[width:]
	}
	b.WriteString(s)
	return b.String()
}
