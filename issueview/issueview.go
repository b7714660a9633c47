// Package issueview is the issue view of gitjira's terminal UI: the
// commits that mention a Jira issue across the connected repositories
// (newest first, filterable by repository and by text, with the branches
// that contain each), and one commit opened with its message, files and
// coloured diff. It is a component of the UI layer (ui/common): `gitjira
// issue KEY` runs it as a program, the Manage screen hosts it. All reading
// goes through the lifecycle layer in tea.Cmds; the view holds one commit's
// first diff lines at a time, so memory stays flat however many commits
// are opened.
package issueview

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitdiff"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/table"
)

// owner is the request owner prefix of the view's async work.
const owner = "issue"

// ClosedMsg is sent when the user leaves the view (esc on the list) and
// the view is hosted (not Standalone): the host shows what it showed
// before.
type ClosedMsg struct{}

// Messages of the view's async work; each carries the request it answers.
type (
	commitsMsg struct {
		common.Request
		res *lifecycle.IssueCommits
		err error
	}
	branchesMsg struct {
		common.Request
		repo     string
		branches map[string][]string
		err      error
	}
	detailMsg struct {
		common.Request
		idx    int
		detail *lifecycle.CommitDetail
		err    error
	}
	moreMsg struct {
		common.Request
		replace bool // the first patch replaces the last loaded (a cut file)
		patches []*gitdiff.FilePatch
		err     error
	}
	openedMsg struct {
		url string
		err error
	}
)

// Model is the issue view (a common.Component).
type Model struct {
	c          common.Common
	key        string
	standalone bool

	loading bool
	err     error
	res     *lifecycle.IssueCommits
	given   *lifecycle.IssueCommits // NewCommits' list: no lookup
	// branches of each commit (by sha), filled in as repositories answer.
	branches     map[string][]string
	branchesLeft int
	repos        []string // the repositories with commits, sorted
	repoFilter   int      // 0: all, i: repos[i-1]

	search    textinput.Model
	searching bool
	query     string

	table   *table.Model
	visible []int // indexes into res.Commits, as the table shows them

	page     *commitPage // the open commit, nil on the list
	status   string
	showHelp bool
}

// New makes the view of issue key (upper-cased by the caller or not: it is
// parsed again). standalone: esc on the list quits the program instead of
// sending ClosedMsg.
func New(c common.Common, key string, standalone bool) *Model {
	m := &Model{c: c, key: strings.ToUpper(strings.TrimSpace(key)), standalone: standalone, branches: map[string][]string{}}
	m.search = common.NewInput(c.Styles, "/ ")
	m.search.Placeholder = "text in the subject, author, id or branch"
	m.table = table.New(c,
		table.Column{Title: "REPOSITORY", Min: 8, Grow: 1},
		table.Column{Title: "COMMIT", Min: 9},
		table.Column{Title: "DATE", Min: 16},
		table.Column{Title: "AUTHOR", Min: 8, Grow: 1},
		table.Column{Title: "SUBJECT", Min: 12, Grow: 4},
		table.Column{Title: "BRANCHES", Min: 8, Grow: 1},
	)
	m.table.SetEmpty("Loading…")
	m.SetSize(c.Width, c.Height)
	return m
}

// NewCommits makes the view over given commits (a repository's recent
// ones on the Manage screen's details page) instead of an issue's: title
// replaces the issue key in the header; it opens on the list.
func NewCommits(c common.Common, title string, commits []lifecycle.IssueCommit, standalone bool) *Model {
	m := New(c, "", standalone)
	m.key, m.given = title, &lifecycle.IssueCommits{Key: title, Commits: commits}
	return m
}

// Init loads the issue's commits.
func (m *Model) Init() tea.Cmd {
	if m.given != nil {
		res := m.given
		return func() tea.Msg { return commitsMsg{res: res} }
	}
	m.loading = true
	q, _ := m.c.Requests.Start(m.c.Context(), owner+"/commits")
	mgr, key := m.c.Manager, m.key
	return func() tea.Msg {
		res, err := mgr.IssueCommits(key)
		return commitsMsg{Request: q, res: res, err: err}
	}
}

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) {
	m.c.SetSize(width, height)
	m.table.SetSize(width, max(3, height-m.chromeHeight()))
	m.search.Width = max(10, width-4)
	if m.page != nil {
		m.page.setSize(width, height)
	}
}

// Typing reports whether a text field has the focus (a search): a host
// then leaves q and ? to it.
func (m *Model) Typing() bool { return m.searching || (m.page != nil && m.page.searching) }

// chromeHeight is the rows of the list screen that are not the table: the
// title, the filter line, the status and help lines.
func (m *Model) chromeHeight() int { return 3 + m.helpRows() }

// helpRows is the help line's rows: a host (Manage) shows the view's help
// under it itself.
func (m *Model) helpRows() int {
	if m.standalone {
		return 1
	}
	return 0
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
		return m, nil
	case common.Reply:
		if !m.c.Requests.Current(msg.Answers()) {
			return m, nil // stale: the user moved on
		}
		m.c.Requests.Done(msg.Answers())
		return m.reply(msg)
	case common.CopiedMsg:
		m.status = msg.Text
		return m, nil
	case openedMsg:
		if msg.err != nil {
			m.status = fmt.Sprintf("No browser here (%v): the commit's page is %s", msg.err, msg.url)
		} else {
			m.status = "Opened " + msg.url
		}
		return m, nil
	case tea.KeyMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m *Model) reply(msg common.Reply) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case commitsMsg:
		m.loading = false
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		m.res = msg.res
		seen := map[string]bool{}
		for _, c := range m.res.Commits {
			if !seen[c.Repository] {
				seen[c.Repository] = true
				m.repos = append(m.repos, c.Repository)
			}
		}
		sort.Strings(m.repos)
		m.refresh()
		return m, m.loadBranches()
	case branchesMsg:
		m.branchesLeft--
		if msg.err == nil {
			for sha, bs := range msg.branches {
				m.branches[sha] = bs
			}
			m.refresh()
			if m.page != nil {
				m.page.setBranches(m.branches[m.page.sha()])
			}
		}
		return m, nil
	case detailMsg, moreMsg:
		if m.page == nil {
			return m, nil
		}
		return m, m.page.reply(msg)
	}
	return m, nil
}

// loadBranches asks, per repository, which branches contain its commits.
func (m *Model) loadBranches() tea.Cmd {
	byRepo := map[string][]string{}
	for _, c := range m.res.Commits {
		byRepo[c.Repository] = append(byRepo[c.Repository], c.SHA)
	}
	var cmds []tea.Cmd
	for _, repo := range m.repos {
		q, ctx := m.c.Requests.Start(m.c.Context(), owner+"/branches/"+repo)
		mgr, shas, repo := m.c.Manager, byRepo[repo], repo
		m.branchesLeft++
		cmds = append(cmds, func() tea.Msg {
			bs, err := mgr.CommitBranches(ctx, repo, shas)
			return branchesMsg{Request: q, repo: repo, branches: bs, err: err}
		})
	}
	return tea.Batch(cmds...)
}

// handleKey handles a key on the list or hands it to the open commit.
func (m *Model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.c.Keys
	// "/" and what follows typed at once reach us as one message: the
	// search key, then the text for the search field.
	if first, rest, ok := splitSearch(msg, m.Typing()); ok {
		_, c1 := m.handleKey(first)
		_, c2 := m.handleKey(rest)
		return m, tea.Batch(c1, c2)
	}
	if key.Matches(msg, k.Quit) {
		return m, m.quit()
	}
	if m.page != nil {
		cmd, closed := m.page.key(msg)
		if closed {
			m.c.Requests.Cancel(owner + "/detail")
			m.page = nil // the commit's diff is dropped: memory stays flat
			m.status = ""
		}
		return m, cmd
	}
	if m.searching {
		switch {
		case key.Matches(msg, k.Back):
			m.searching, m.query = false, ""
			m.search.SetValue("")
			m.refresh()
		case key.Matches(msg, k.Next):
			m.searching = false
			m.search.Blur()
		default:
			var cmd tea.Cmd
			m.search, cmd = m.search.Update(msg)
			m.query = m.search.Value()
			m.refresh()
			return m, cmd
		}
		return m, nil
	}
	if m.showHelp {
		m.showHelp = false
		if key.Matches(msg, k.Help, k.Back) {
			return m, nil
		}
	}
	switch {
	case key.Matches(msg, k.Back):
		if m.query != "" || m.repoFilter != 0 {
			m.query, m.repoFilter = "", 0
			m.search.SetValue("")
			m.refresh()
			return m, nil
		}
		if m.standalone {
			return m, tea.Quit
		}
		m.c.Requests.Cancel(owner)
		return m, func() tea.Msg { return ClosedMsg{} }
	case key.Matches(msg, k.QuitQ) && m.standalone:
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.Filter):
		m.searching = true
		return m, m.search.Focus()
	case key.Matches(msg, k.NextMode), key.Matches(msg, k.PrevMode):
		if len(m.repos) > 1 {
			n := len(m.repos) + 1
			if key.Matches(msg, k.NextMode) {
				m.repoFilter = (m.repoFilter + 1) % n
			} else {
				m.repoFilter = (m.repoFilter + n - 1) % n
			}
			m.refresh()
		}
	case key.Matches(msg, k.Next):
		if i := m.table.Cursor(); i >= 0 && i < len(m.visible) {
			return m, m.open(i)
		}
	case key.Matches(msg, k.Copy):
		if c, ok := m.selected(); ok {
			return m, common.Copy(m.c.Clipboard, c.SHA, "commit id")
		}
	case key.Matches(msg, k.Open):
		if c, ok := m.selected(); ok {
			return m, m.openWeb(c.WebURL)
		}
	default:
		_, cmd := m.table.Update(msg)
		return m, cmd
	}
	return m, nil
}

// splitSearch splits "/text" typed in one message, outside a text field,
// into the "/" key and the text.
func splitSearch(msg tea.KeyMsg, typing bool) (tea.KeyMsg, tea.KeyMsg, bool) {
	if typing || msg.Type != tea.KeyRunes || msg.Paste || len(msg.Runes) < 2 || msg.Runes[0] != '/' {
		return msg, msg, false
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[:1]}, tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[1:]}, true
}

func (m *Model) quit() tea.Cmd {
	m.c.Requests.Cancel(owner)
	if m.standalone {
		return tea.Quit
	}
	return func() tea.Msg { return ClosedMsg{} }
}

func (m *Model) selected() (lifecycle.IssueCommit, bool) {
	i := m.table.Cursor()
	if m.res == nil || i < 0 || i >= len(m.visible) {
		return lifecycle.IssueCommit{}, false
	}
	return m.res.Commits[m.visible[i]], true
}

// open shows the commit at row i of the table (n and p move from there).
func (m *Model) open(row int) tea.Cmd {
	if m.page == nil {
		m.page = newCommitPage(m)
	}
	m.table.Move(row - m.table.Cursor())
	return m.page.load(row)
}

func (m *Model) openWeb(url string) tea.Cmd {
	if url == "" {
		m.status = "This repository has no web page (set one with gitjira repos set NAME --web-url URL)."
		return nil
	}
	return func() tea.Msg { return openedMsg{url: url, err: openURL(context.Background(), url)} }
}
