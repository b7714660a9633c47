package manage

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/components/status"
	"github.com/gitjira/gitjira/ui/components/table"
)

// The repositories table's columns, in order; the sort key cycles through them.
const (
	colName = iota
	colHost
	colProjects
	colCommits
	colIssues
	colLastSync
	colState
	colCount
)

// Every column is at least its title and the sort arrow wide (the table
// sees to it); Projects grows with the terminal and wraps, and State wraps
// over up to three rows rather than being cut ("error: conne…"): the
// status lines and the details show the whole error.
var repoColumns = []table.Column{
	colName:     {Title: "Name", Min: 10, Grow: 1},
	colHost:     {Title: "Host", Min: 15, Grow: 1},
	colProjects: {Title: "Projects", Min: 8, Grow: 2, Wrap: true},
	colCommits:  {Title: "Commits", Min: 7, Right: true},
	colIssues:   {Title: "Issues", Min: 6, Right: true},
	colLastSync: {Title: "Last sync", Min: 10},
	colState:    {Title: "State", Min: 10, Grow: 2, Wrap: true},
}

// reposLoadedMsg is the repositories list as read from disk.
type reposLoadedMsg struct {
	seq   int
	repos []store.Repository
	err   error
	// recovered says what the first read repaired ("cleaned up an
	// interrupted connect of app (22 MiB)").
	recovered []string
}

// pendingResult is a sync result shown over the list read before it (seq:
// the last list read asked for when it arrived).
type pendingResult struct {
	res lifecycle.SyncResult
	seq int
}

// reposTab is the Repositories tab: the list, its sort and filter, and the
// latest sync results of this session.
type reposTab struct {
	c       *shared
	repos   []store.Repository
	hosts   map[string]string // URL -> host column
	ready   bool
	loadErr error
	lastSeq int

	table     *table.Model
	sortCol   int
	sortDesc  bool
	filter    textinput.Model
	filtering bool

	results map[string]pendingResult        // results a reloaded list may not have yet
	lastRun map[string]lifecycle.SyncResult // this session's last result per repository
}

func newReposTab(c *shared) reposTab {
	f := textinput.New()
	f.Prompt = "Filter: "
	f.Placeholder = "name, host, project or state"
	f.CharLimit = 100
	// The wizard's cursor style: under NO_COLOR it keeps reverse video, so
	// the cursor stays visible without colours.
	f.Cursor.Style = c.Styles.InputCursor
	f.SetValue(c.sess.filter)
	t := reposTab{c: c, table: newTable(c, repoColumns...), filter: f, hosts: map[string]string{},
		results: map[string]pendingResult{}, lastRun: map[string]lifecycle.SyncResult{}, sortCol: c.sess.sortCol, sortDesc: c.sess.sortDesc}
	t.table.SetEmpty("Loading the repositories list…")
	return t
}

// load reads the list in a command; the first load is lifecycle's List,
// which first repairs what killed runs left (and says what it cleaned).
func (t reposTab) load(first bool) tea.Cmd {
	t.c.loadSeq++
	seq, mgr := t.c.loadSeq, t.c.Manager
	return func() tea.Msg {
		if first {
			l, err := mgr.List()
			msg := reposLoadedMsg{seq: seq, repos: l.Repositories, err: err, recovered: l.Recovered.Lines()}
			if l.RecoverErr != nil {
				msg.recovered = append(msg.recovered, "Could not finish repairing an interrupted run (it is retried next time): "+oneLine(l.RecoverErr))
			}
			return msg
		}
		repos, err := mgr.Repositories()
		return reposLoadedMsg{seq: seq, repos: repos, err: err}
	}
}

func (t *reposTab) loaded(msg reposLoadedMsg) {
	if msg.seq < t.lastSeq {
		return // an older read that finished late
	}
	t.lastSeq = msg.seq
	t.loadErr = msg.err
	if msg.err != nil {
		return
	}
	first := !t.ready
	t.ready = true
	t.repos = msg.repos
	for _, r := range t.repos {
		if _, ok := t.hosts[r.URL]; !ok {
			t.hosts[r.URL] = hostOf(r.URL)
		}
		// A list read after the result arrived has it, recorded.
		if p, ok := t.results[r.Name]; ok && msg.seq > p.seq {
			delete(t.results, r.Name)
		}
	}
	if first {
		t.rebuild(nil)
		t.table.Select(t.c.sess.selected[tabRepos])
	}
}

// get returns the listed repository called name.
func (t reposTab) get(name string) (store.Repository, bool) {
	for _, r := range t.repos {
		if r.Name == name {
			return r, true
		}
	}
	return store.Repository{}, false
}

// selected is the selected repository.
func (t reposTab) selected() (store.Repository, bool) { return t.get(t.table.SelectedKey()) }

// withResult is r with this session's latest sync result applied (the list
// on disk has it too once it is reloaded).
func (t reposTab) withResult(r store.Repository) store.Repository {
	p, ok := t.results[r.Name]
	if !ok {
		return r
	}
	res := p.res
	if res.Err != nil {
		r.LastError = termtext.Field(res.Err.Error(), 300)
		return r
	}
	r.Commits, r.IssueKeys, r.LastError = res.Commits, res.IssueKeys, ""
	if res.LinkErr != nil {
		r.LastError = termtext.Field("linking commits to Jira: "+res.LinkErr.Error(), 300)
	}
	return r
}

// stateText is the state column of r.
// It reports whether the repository is syncing.
func stateText(r store.Repository, s *syncState) (string, bool) {
	if p, ok := s.row(r.Name); ok {
		return p.short(), true
	}
	if r.Status() == "error" {
		return "error: " + strings.TrimPrefix(r.LastError, "fetch: "), false
	}
	return r.Status(), false
}

// matches reports whether r matches the filter text q (lower case).
func (t reposTab) matches(r store.Repository, q string, s *syncState) bool {
	if q == "" {
		return true
	}
	state, _ := stateText(r, s)
	for _, f := range []string{r.Name, t.hosts[r.URL], r.URL, r.Alias, projectsText(r), state} {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// rebuild makes the table's rows from the list, the sync states, the filter and the sort.
func (t *reposTab) rebuild(s *syncState) {
	if !t.ready {
		if t.loadErr != nil {
			t.table.SetEmpty("Cannot read the repositories list: " + oneLine(t.loadErr))
		}
		return
	}
	q := strings.ToLower(strings.TrimSpace(t.filter.Value()))
	var rows []store.Repository
	for _, r := range t.repos {
		r = t.withResult(r)
		if t.matches(r, q, s) {
			rows = append(rows, r)
		}
	}
	now := t.c.now()
	slices.SortStableFunc(rows, func(a, b store.Repository) int {
		c := t.compare(a, b, s)
		if c == 0 {
			c = cmp.Compare(a.Name, b.Name)
		}
		if t.sortDesc {
			return -c
		}
		return c
	})
	st := t.c.Styles
	out := make([]table.Row, len(rows))
	for i, r := range rows {
		state, syncing := stateText(r, s)
		styles := map[int]lipgloss.Style{}
		switch {
		case syncing:
			styles[colState] = st.Code
		case r.Status() == "error":
			styles[colState] = st.Error
			styles[colName] = st.Error
		case r.Status() == "ok":
			styles[colState] = st.Success
		default:
			styles[colState] = st.Hint
		}
		out[i] = table.Row{Key: r.Name, Styles: styles, Cells: []string{
			colName:     r.Name,
			colHost:     t.hosts[r.URL],
			colProjects: strings.ReplaceAll(projectsText(r), ",", ", "), // wraps at the commas
			colCommits:  fmt.Sprint(r.Commits),
			colIssues:   fmt.Sprint(r.IssueKeys),
			colLastSync: relTime(r.LastFetched, now),
			colState:    state,
		}}
	}
	t.table.SetRows(out)
	t.table.SetSort(t.sortCol, t.sortDesc)
	switch {
	case len(t.repos) == 0:
		t.table.SetEmpty("No repositories yet: press c to connect one.")
	default:
		t.table.SetEmpty("No repository matches the filter: press esc to clear it.")
	}
}

// compare orders two repositories by the sort column.
func (t reposTab) compare(a, b store.Repository, s *syncState) int {
	switch t.sortCol {
	case colHost:
		return cmp.Compare(t.hosts[a.URL], t.hosts[b.URL])
	case colProjects:
		return cmp.Compare(projectsText(a), projectsText(b))
	case colCommits:
		return cmp.Compare(a.Commits, b.Commits)
	case colIssues:
		return cmp.Compare(a.IssueKeys, b.IssueKeys)
	case colLastSync:
		return a.LastFetched.Compare(b.LastFetched)
	case colState:
		sa, _ := stateText(a, s)
		sb, _ := stateText(b, s)
		return cmp.Compare(sa, sb)
	}
	return cmp.Compare(a.Name, b.Name)
}

func (t reposTab) view() string {
	if t.loadErr != nil && !t.ready {
		return t.c.Styles.Error.Render(ansi.Wrap("✗ Cannot read the repositories list: "+oneLine(t.loadErr), max(20, t.c.Width), ""))
	}
	return t.table.View()
}

// status is the lines about the selected repository: the whole error, the
// sync under way, or where it comes from (wrapped by the status area).
func (t reposTab) status(s *syncState) []status.Line {
	st := t.c.Styles
	if t.loadErr != nil && t.ready {
		return []status.Line{{Text: "✗ Cannot read the repositories list: " + oneLine(t.loadErr), Style: st.Error}}
	}
	r, ok := t.selected()
	if !ok {
		return nil
	}
	r = t.withResult(r)
	if p, ok := s.row(r.Name); ok {
		return []status.Line{{Text: "Syncing " + r.Name + ": " + p.long(), Style: st.Code}, {Text: r.URL, Style: st.Hint}}
	}
	if r.LastError != "" {
		return []status.Line{{Text: "✗ " + r.Name + ": " + r.LastError, Style: st.Error}}
	}
	loc := r.URL
	if r.Alias != "" {
		loc = r.Alias + " (" + r.URL + ")"
	}
	second := ""
	if res, ok := t.lastRun[r.Name]; ok && res.Err == nil {
		second = fmt.Sprintf("Synced in %s: %s.", res.Duration.Round(100*time.Millisecond), plural(res.NewCommits, "new commit", "new commits"))
	} else if !r.LastFetched.IsZero() {
		second = "Last synced " + r.LastFetched.Local().Format("2006-01-02 15:04") + "."
	}
	return []status.Line{{Text: r.Name + " · " + loc, Style: st.Hint}, {Text: second, Style: st.Hint}}
}

// filterLine is the filter field while typing, or the filter in force.
func (t reposTab) filterLine() string {
	st := t.c.Styles
	if t.filtering {
		return t.filter.View()
	}
	if v := t.filter.Value(); v != "" {
		return st.Hint.Render(truncate(fmt.Sprintf("Filter: %s (%d of %d shown; / to change, esc to clear)", v, t.table.Len(), len(t.repos)), max(20, t.c.Width)))
	}
	return ""
}

func (t *reposTab) updateOther(msg tea.Msg) tea.Cmd {
	if !t.filtering {
		return nil
	}
	var cmd tea.Cmd
	t.filter, cmd = t.filter.Update(msg)
	return cmd
}

// help is the tab's key help.
func (t reposTab) help() help.KeyMap {
	k := t.c.Keys
	if t.filtering {
		return newHelp(withDesc(k.Next, "keep filter"), withDesc(k.Back, "clear"))
	}
	details, tab := withDesc(k.Next, "details"), withDesc(k.NextMode, "SSH keys")
	short := []key.Binding{upDown(k, "move"), details, k.Sync, k.SyncAll, k.Projects, k.Key, k.Remove, k.Connect, k.Filter, k.Sort, tab}
	nav := []key.Binding{upDown(k, "move"), k.PageUp, k.PageDown, k.Home, k.End, tab}
	acts := []key.Binding{details, k.Sync, k.SyncAll, k.Projects, k.Key, k.Remove}
	more := []key.Binding{k.Connect, k.Issue, k.Filter, k.Sort, k.Reverse}
	return helpMap{Short: short, Full: [][]key.Binding{nav, acts, more}}
}

// reposKey handles a key on the Repositories tab (no page open).
func (m *Model) reposKey(msg tea.KeyMsg) tea.Cmd {
	t := &m.repos
	k := m.c.Keys
	if t.filtering {
		switch {
		case key.Matches(msg, k.Next):
			t.filtering = false
			t.filter.Blur()
			return nil
		case key.Matches(msg, k.Back):
			t.filtering = false
			t.filter.Blur()
			t.filter.SetValue("")
			return nil
		}
		var cmd tea.Cmd
		t.filter, cmd = t.filter.Update(msg)
		t.table.Top()
		return cmd
	}
	if t.table.Handles(msg) {
		t.table.Update(msg)
		return nil
	}
	switch {
	case key.Matches(msg, k.Filter):
		t.filtering = true
		return t.filter.Focus()
	case key.Matches(msg, k.Back):
		t.filter.SetValue("")
	case key.Matches(msg, k.Sort):
		t.sortCol = (t.sortCol + 1) % colCount
		m.flash = flash{text: "Sorted by " + strings.ToLower(repoColumns[t.sortCol].Title) + "."}
	case key.Matches(msg, k.Reverse):
		t.sortDesc = !t.sortDesc
	case key.Matches(msg, k.SyncAll):
		var names []string
		for _, r := range t.repos {
			if r.Enabled {
				names = append(names, r.Name)
			}
		}
		return m.startSync(names)
	case key.Matches(msg, k.Connect):
		if m.syncs.active() {
			m.flash = flash{text: "Wait for the syncs under way to finish before connecting another repository.", err: true}
			return nil
		}
		m.connectAsked = true
		m.quit = true
		m.c.cancel()
		return tea.Quit
	case key.Matches(msg, k.Issue):
		return m.open(newIssuePage(m.c))
	}
	r, ok := t.selected()
	if !ok {
		return nil
	}
	busy := m.syncs.has(r.Name)
	switch {
	case key.Matches(msg, k.Next):
		return m.open(newDetailsPage(m.c, t.withResult(r)))
	case key.Matches(msg, k.Sync):
		return m.startSync([]string{r.Name})
	case key.Matches(msg, k.Projects), key.Matches(msg, k.Key), key.Matches(msg, k.Remove):
		if busy {
			m.flash = flash{text: r.Name + " is syncing: wait for it to finish.", err: true}
			return nil
		}
		switch {
		case key.Matches(msg, k.Projects):
			return m.open(newProjectsPage(m.c, r))
		case key.Matches(msg, k.Key):
			return m.open(newKeyChangePage(m.c, []store.Repository{r}))
		default:
			return m.open(newRemovePage(m.c, r))
		}
	}
	return nil
}
