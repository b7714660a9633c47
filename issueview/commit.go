package issueview

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/gitjira/gitjira/gitdiff"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/ui/common"
)

// Budget is how much of a commit's diff is read when it opens, and again
// each time the user scrolls to the end of what is loaded.
var Budget = lifecycle.DefaultDiffBudget

// commitPage is one commit opened from the list.
type commitPage struct {
	m   *Model
	row int // the table row it was opened from (index into m.visible)

	detail      *lifecycle.CommitDetail
	err         error
	loading     bool
	loadingMore bool

	vp      viewport.Model
	rows    []string // rendered rows
	plain   []string // the same, lower-case without styles (search)
	fileRow []int    // the row of each loaded file's header

	picking bool // the file list is open
	pick    int

	searching bool
	search    textinput.Model
	query     string

	width, height int
}

func newCommitPage(m *Model) *commitPage {
	p := &commitPage{m: m, vp: viewport.New(m.c.Width, 1)}
	p.search = common.NewInput(m.c.Styles, "/ ")
	p.setSize(m.c.Width, m.c.Height)
	return p
}

func (p *commitPage) setSize(width, height int) {
	p.width, p.height = width, height
	p.vp.Width = width
	// Around the diff: the title, the status line and the help line.
	p.vp.Height = max(1, height-2-p.m.helpRows())
	p.search.Width = max(10, width-4)
	if p.detail != nil {
		off := p.vp.YOffset
		p.render()
		p.vp.SetYOffset(off)
	}
}

func (p *commitPage) commit() lifecycle.IssueCommit {
	m := p.m
	return m.res.Commits[m.visible[p.row]]
}

func (p *commitPage) sha() string {
	if p.m.res == nil || p.row >= len(p.m.visible) {
		return ""
	}
	return p.commit().SHA
}

// load opens the commit at table row `row`: its header, files and the
// first part of its diff, read in a tea.Cmd.
func (p *commitPage) load(row int) tea.Cmd {
	p.row, p.detail, p.err, p.rows, p.plain, p.fileRow = row, nil, nil, nil, nil, nil
	p.loading, p.loadingMore, p.picking, p.searching = true, false, false, false
	p.vp.SetContent("")
	p.vp.GotoTop()
	p.m.c.Requests.Cancel(owner + "/more")
	c := p.commit()
	q, _ := p.m.c.Requests.Start(p.m.c.Context(), owner+"/detail")
	mgr := p.m.c.Manager
	return func() tea.Msg {
		d, err := mgr.CommitDetail(c.Repository, c.SHA, Budget)
		return detailMsg{Request: q, idx: row, detail: d, err: err}
	}
}

// loadMore reads the next part of the diff: the rest of a file cut by the
// budget, else the next files.
func (p *commitPage) loadMore() tea.Cmd {
	d := p.detail
	if d == nil || p.loadingMore || !p.hasMore() {
		return nil
	}
	p.loadingMore = true
	q, _ := p.m.c.Requests.Start(p.m.c.Context(), owner+"/more")
	mgr, repo := p.m.c.Manager, d.Repository
	last := d.Patches[len(d.Patches)-1]
	if last.MoreLines > 0 {
		shown := 0
		for _, h := range last.Hunks {
			shown += len(h.Lines)
		}
		ch := last.Change
		budget := lifecycle.DiffBudget{Files: 1, Lines: shown + Budget.Lines}
		return func() tea.Msg {
			ps, err := mgr.MorePatches(repo, []gitdiff.Change{ch}, budget)
			return moreMsg{Request: q, replace: true, patches: ps, err: err}
		}
	}
	rest := d.Changes[len(d.Patches):]
	return func() tea.Msg {
		ps, err := mgr.MorePatches(repo, rest, Budget)
		return moreMsg{Request: q, patches: ps, err: err}
	}
}

func (p *commitPage) hasMore() bool {
	d := p.detail
	if d == nil || len(d.Patches) == 0 {
		return false
	}
	return len(d.Patches) < len(d.Changes) || d.Patches[len(d.Patches)-1].MoreLines > 0
}

func (p *commitPage) reply(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case detailMsg:
		p.loading = false
		if msg.idx != p.row {
			return nil
		}
		p.detail, p.err = msg.detail, msg.err
		if p.err == nil {
			p.render()
		}
	case moreMsg:
		p.loadingMore = false
		if msg.err != nil {
			p.m.status = "Could not read more of the diff: " + common.OneLine(msg.err)
			return nil
		}
		d := p.detail
		if msg.replace && len(msg.patches) > 0 {
			d.Patches[len(d.Patches)-1] = msg.patches[0]
			msg.patches = msg.patches[1:]
		}
		d.Patches = append(d.Patches, msg.patches...)
		off := p.vp.YOffset
		p.render()
		p.vp.SetYOffset(off)
		if p.picking {
			return p.jump()
		}
	}
	return nil
}

func (p *commitPage) setBranches([]string) {
	if p.detail != nil {
		off := p.vp.YOffset
		p.render()
		p.vp.SetYOffset(off)
	}
}

// key handles a key; closed says the user went back to the list.
func (p *commitPage) key(msg tea.KeyMsg) (cmd tea.Cmd, closed bool) {
	m := p.m
	k := m.c.Keys
	if p.searching {
		switch {
		case key.Matches(msg, k.Back):
			p.searching = false
		case key.Matches(msg, k.Next):
			p.query = strings.ToLower(p.search.Value())
			p.find()
		default:
			m.status = ""
			p.search, cmd = p.search.Update(msg)
		}
		return cmd, false
	}
	if m.showHelp {
		m.showHelp = false
		if key.Matches(msg, k.Help, k.Back) {
			return nil, false
		}
	}
	if p.picking {
		switch {
		case key.Matches(msg, k.Back, k.NextMode):
			p.picking = false
		case key.Matches(msg, k.Up):
			p.pick = max(0, p.pick-1)
		case key.Matches(msg, k.Down):
			if p.detail != nil {
				p.pick = min(len(p.detail.Changes)-1, p.pick+1)
			}
		case key.Matches(msg, k.PageUp):
			p.pick = max(0, p.pick-10)
		case key.Matches(msg, k.PageDown):
			if p.detail != nil {
				p.pick = min(len(p.detail.Changes)-1, p.pick+10)
			}
		case key.Matches(msg, k.Next):
			return p.jump(), false
		}
		return nil, false
	}
	switch {
	case key.Matches(msg, k.Back):
		return nil, true
	case key.Matches(msg, k.QuitQ) && m.standalone:
		return tea.Quit, false
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.NextItem):
		if p.row+1 < len(m.visible) {
			m.table.Move(1)
			return p.load(p.row + 1), false
		}
		m.status = "This is the last commit."
	case key.Matches(msg, k.PrevItem):
		if p.row > 0 {
			m.table.Move(-1)
			return p.load(p.row - 1), false
		}
		m.status = "This is the first commit."
	case key.Matches(msg, k.NextMode):
		if p.detail != nil && len(p.detail.Changes) > 0 {
			p.picking = true
			p.pick = p.currentFile()
		}
	case key.Matches(msg, k.Filter):
		p.searching = true
		return p.search.Focus(), false
	case key.Matches(msg, k.Copy):
		return common.Copy(m.c.Clipboard, p.sha(), "commit id"), false
	case key.Matches(msg, k.Open):
		return m.openWeb(p.commit().WebURL), false
	case key.Matches(msg, k.Up):
		p.vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		p.vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		p.vp.PageUp()
	case key.Matches(msg, k.PageDown):
		p.vp.PageDown()
	case key.Matches(msg, k.Home):
		p.vp.GotoTop()
	case key.Matches(msg, k.End):
		p.vp.GotoBottom()
	}
	if p.vp.AtBottom() {
		return p.loadMore(), false
	}
	return nil, false
}

// currentFile is the file whose diff is at the top of the screen.
func (p *commitPage) currentFile() int {
	cur := 0
	for i, r := range p.fileRow {
		if r <= p.vp.YOffset {
			cur = i
		}
	}
	return cur
}

// jump scrolls to the picked file, loading the diff up to it first.
func (p *commitPage) jump() tea.Cmd {
	if p.pick < len(p.fileRow) {
		p.picking = false
		p.vp.SetYOffset(p.fileRow[p.pick])
		return nil
	}
	p.m.status = "Loading the diff up to " + p.detail.Changes[p.pick].Path() + "…"
	return p.loadMore()
}

// find scrolls to the next row (after the top one) that contains the query.
func (p *commitPage) find() {
	if p.query == "" {
		return
	}
	n := len(p.plain)
	for i := 1; i <= n; i++ {
		r := (p.vp.YOffset + i) % n
		if strings.Contains(p.plain[r], p.query) {
			p.vp.SetYOffset(r)
			p.m.status = fmt.Sprintf("%q at line %d (enter: next match, esc: done)", p.query, r+1)
			return
		}
	}
	p.m.status = fmt.Sprintf("%q is not in what is loaded of this commit.", p.query)
}

func (p *commitPage) shortHelp() []key.Binding {
	k := p.m.c.Keys
	switch {
	case p.searching:
		return []key.Binding{common.WithDesc(k.Next, "find next"), common.WithDesc(k.Back, "done")}
	case p.picking:
		return []key.Binding{common.Join("↑/↓", "file", k.Up, k.Down), common.WithDesc(k.Next, "go to file"), common.WithDesc(k.Back, "close")}
	}
	return []key.Binding{common.Join("↑/↓", "scroll", k.Up, k.Down), common.WithDesc(k.NextMode, "files"),
		common.Join("n/p", "next/previous commit", k.NextItem, k.PrevItem), common.WithDesc(k.Filter, "search"),
		k.Help, common.WithDesc(k.Back, "list")}
}

func (p *commitPage) fullHelp() [][]key.Binding {
	k := p.m.c.Keys
	return [][]key.Binding{p.shortHelp(), {common.WithDesc(k.Copy, "copy the commit id"), common.WithDesc(k.Open, "open the commit's web page"),
		k.PageUp, k.PageDown, k.Home, k.End, k.Quit}}
}

func (p *commitPage) view() string {
	m := p.m
	st := m.c.Styles
	c := p.commit()
	var b strings.Builder
	title := st.App.Render("gitjira") + st.Hint.Render(" · ") + st.Header.Render(m.key) + st.Hint.Render(fmt.Sprintf(" · %s · commit %d of %d", c.Repository, p.row+1, len(m.visible)))
	b.WriteString(ansi.Truncate(title, p.width, "…") + "\n")
	body := ""
	switch {
	case p.err != nil:
		body = common.Wrap(st.Error, p.width, common.ErrText(p.err))
	case p.loading:
		body = st.Hint.Render("Reading " + c.SHA[:min(12, len(c.SHA))] + " from the mirror…")
	case p.picking:
		body = p.pickerView()
	default:
		body = p.vp.View()
	}
	b.WriteString(fitRows(body, p.vp.Height) + "\n")
	status := m.status
	switch {
	case p.searching && m.status == "":
		status = p.search.View()
	case p.loadingMore:
		status = "Loading more of the diff…"
	}
	b.WriteString(ansi.Truncate(st.Hint.Render(status), p.width, "…"))
	switch {
	case !m.standalone:
	case m.showHelp:
		b.WriteString("\n")
		h := common.NewHelpModel(st)
		h.ShowAll = true
		h.Width = p.width
		b.WriteString(h.View(m))
	default:
		b.WriteString("\n" + ansi.Truncate(common.HelpLine(st, 0, p.shortHelp()), p.width, "…"))
	}
	return b.String()
}

// fitRows pads or cuts s to n rows.
func fitRows(s string, n int) string {
	rows := strings.Split(s, "\n")
	if len(rows) > n {
		rows = rows[:n]
	}
	for len(rows) < n {
		rows = append(rows, "")
	}
	return strings.Join(rows, "\n")
}

func (p *commitPage) pickerView() string {
	st := p.m.c.Styles
	d := p.detail
	h := p.vp.Height
	start := max(0, min(p.pick-h/2, len(d.Changes)-h))
	var rows []string
	for i := start; i < min(len(d.Changes), start+h); i++ {
		line := fileLine(d.Changes[i], p.patch(i))
		if i == p.pick {
			rows = append(rows, st.Cursor.Render("> ")+st.Selected.Render(ansi.Truncate(line, p.width-2, "…")))
		} else {
			rows = append(rows, "  "+ansi.Truncate(line, p.width-2, "…"))
		}
	}
	return strings.Join(rows, "\n")
}

func (p *commitPage) patch(i int) *gitdiff.FilePatch {
	if p.detail != nil && i < len(p.detail.Patches) {
		return p.detail.Patches[i]
	}
	return nil
}
