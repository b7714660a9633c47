package steps

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// repoAddedMsg is the result of lifecycle.Manager.Commit; toLink is the
// number of its commits a sync links to Jira (-1 when unknown).
type repoAddedMsg struct {
	repo   store.Repository
	err    error
	toLink int
	linkIn time.Duration // about how long the first links take (lifecycle's LinkStatus)
	exe    string
}

// commitRepository indexes the staged mirror, stores the key and adds the
// repository to the list (lifecycle.Manager.Commit).
func commitRepository(mgr *lifecycle.Manager, s *lifecycle.Staged, c lifecycle.CommitRequest) tea.Cmd {
	return func() tea.Msg {
		r, err := mgr.Commit(s, c)
		msg := repoAddedMsg{repo: r, err: err, toLink: commitsToLink(mgr.Paths, r, err), exe: executable()}
		if err == nil {
			if st, serr := mgr.LinkStatus(r.Name); serr == nil {
				msg.linkIn = st.Estimate
			}
		}
		return msg
	}
}

// SummaryRows are the label/value pairs describing a repository, in the
// order the finish step (and the wizard's caller, on the normal screen)
// shows them. withMirror is false when the mirror is not kept (the demo).
func SummaryRows(r store.Repository, withMirror bool) [][2]string {
	projects := "All projects"
	if !r.AllProjects() {
		projects = strings.Join(r.Projects, ", ")
	}
	branch := r.DefaultBranch
	if branch == "" {
		branch = "(empty repository)"
	}
	rows := [][2]string{
		{"Name", r.Name},
		{"URL", r.URL},
		{"Host key", r.HostKeyFingerprint},
		{"Key", r.KeyFingerprint},
		{"Branch", branch},
		{"Commits", fmt.Sprint(r.Commits)},
		{"Issue keys", fmt.Sprint(r.IssueKeys)},
		{"Projects", projects},
	}
	if loc, _ := jira.RepositoryWebLocation(r); loc.WebURL != "" || loc.CommitURLTemplate != "" {
		page := loc.WebURL
		if r.CommitURLTemplate != "" || page == "" {
			page = loc.CommitURLTemplate // the user's own layout: show it
		}
		rows = append(rows, [2]string{"Web page", page})
	}
	links := "on"
	switch {
	case r.Link == nil:
		links = "on once a Jira site is logged in (the default)"
	case !*r.Link:
		links = "off"
	}
	rows = append(rows, [2]string{"Jira links", links})
	if withMirror {
		rows = append(rows, [2]string{"Mirror", r.Mirror})
	}
	return rows
}

// DefaultNextSteps is what the finish screen advises after connecting name.
func DefaultNextSteps(name string) string {
	return "Find the commits that mention an issue:\n" +
		"gitjira issue KEY-123\n" +
		"Fetch the new commits of " + name + " (and index them):\n" +
		"gitjira repos fetch " + name
}

// Finish saves the repository (lifecycle.Manager.Commit) as soon as it is
// entered (the review was the last question), then shows the summary with
// what the indexing found and the next steps; enter ends the wizard.
type Finish struct {
	env    *Env
	draft  *Draft
	width  int
	spin   spinner.Model
	adding bool
	err    error
	// cursor is the selected command (c copies it)
	cursor int
	// collect, when set, receives the command lines instead (commands)
	collect *[]string
}

// NewFinish makes the finish step.
func NewFinish(env *Env, d *Draft) Finish {
	return Finish{env: env, draft: d, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

// ID implements Step.
func (m Finish) ID() ID { return StepFinish }

// Skip implements Step.
func (m Finish) Skip() bool { return false }

// Busy implements Step: the list is being written.
func (m Finish) Busy() bool { return m.adding }

// Typing implements Step.
func (m Finish) Typing() bool { return false }

// Enter implements Step: add the repository.
func (m Finish) Enter() (Step, tea.Cmd) {
	if m.draft.Repo != nil || m.adding {
		return m, nil
	}
	m.err = nil
	d := m.draft
	if d.Staged == nil {
		m.err = fmt.Errorf("nothing is cloned to add")
		return m, nil
	}
	// A key held by ssh-agent cannot be copied: none is stored, and syncs
	// find it in the agent by its fingerprint.
	req := lifecycle.CommitRequest{KeyRaw: d.KeyRaw, Projects: d.Projects, KeyInAgent: d.FromAgent,
		WebURL: d.WebURL, CommitURLTemplate: d.CommitURLTemplate, Link: d.Link, KeyOrigin: d.KeySource}
	if d.Key != nil {
		req.KeyFingerprint = d.Key.Fingerprint
	}
	m.adding = true
	s := d.Staged
	return m, tea.Batch(commitRepository(m.env.manager(), s, req), m.spin.Tick)
}

// Update implements Step.
func (m Finish) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		return m, nil
	case repoAddedMsg:
		if !m.adding {
			return m, nil
		}
		m.adding = false
		// Commit consumed the staged clone either way: added, or deleted.
		m.draft.Staged, m.draft.StagedFor = nil, ""
		if msg.err != nil {
			if to, ok := route(m.draft, msg.err); ok {
				return m, gotoStep(to, msg.err)
			}
			m.err = msg.err
			return m, nil
		}
		r := msg.repo
		m.draft.Repo = &r
		m.draft.ToLink, m.draft.LinkIn, m.draft.Executable = msg.toLink, msg.linkIn, msg.exe
		m.cursor = 0
		return m, nil
	case spinner.TickMsg:
		return m, spin(&m.spin, m.adding, msg)
	case tea.KeyMsg:
		k := m.env.Keys
		switch {
		case m.adding:
		case m.draft.Repo != nil:
			switch {
			case key.Matches(msg, k.Next):
				return m, done(StepFinish)
			case key.Matches(msg, k.Up):
				m.cursor = max(0, m.cursor-1)
			case key.Matches(msg, k.Down):
				m.cursor = min(len(m.commands())-1, m.cursor+1)
			}
		case m.err != nil && key.Matches(msg, k.Retry):
			// The failed commit deleted the clone: clone again, then review.
			return m, gotoStep(StepClone, nil)
		}
	}
	return m, nil
}

// View implements Step.
func (m Finish) View() Screen {
	st := m.env.Styles
	top, body, bottom := common.NewLines(m.width), common.NewLines(m.width), common.NewLines(m.width)
	scr := Screen{Focus: -1}
	switch {
	case m.adding:
		top.Add(m.spin.View() + " Saving: storing the key, indexing the commits, adding the list entry…")
	case m.err != nil:
		top.Text(st.Error, "✗ Not added.")
		bottom.Text(st.Error, "✗ "+common.ErrText(m.err))
		bottom.Text(st.Hint, "Nothing was saved and the clone was deleted. Press r to clone again, or ctrl+c to quit.")
	case m.draft.Repo != nil:
		r := *m.draft.Repo
		top.Text(st.Success, fmt.Sprintf("✓ Added %s to gitjira's repositories list.", r.Name))
		// What to do next comes first: on a short terminal the summary's
		// last rows are the ones that scroll.
		cmd := 0
		for _, line := range strings.Split(m.advice(), "\n") {
			if !strings.HasPrefix(line, "gitjira ") {
				body.Text(st.Text, line)
				continue
			}
			m.command(body, line, &cmd)
		}
		m.jiraView(body, r, &cmd)
		scr.Focus = body.Focus()
		if cmds := m.commands(); m.cursor < len(cmds) {
			scr.Copy, scr.CopyWhat = cmds[m.cursor], "command"
		}
		body.Blank()
		for _, row := range SummaryRows(r, !m.env.Temporary) {
			if row[0] == "Mirror" {
				row[1] = m.env.Display(row[1])
			}
			body.Text(st.Text, st.Label.Render(fmt.Sprintf("%-12s", row[0]))+st.Value.Render(row[1]))
		}
		if m.env.InManage {
			bottom.Text(st.Text, "Press enter to go back to Manage.")
		} else {
			bottom.Text(st.Text, "Press enter to exit.")
		}
	}
	scr.Top, scr.Body, scr.Bottom = top.String(), body.String(), bottom.String()
	return scr
}

// Help implements Step.
func (m Finish) Help() help.KeyMap {
	k := m.env.Keys
	switch {
	case m.err != nil:
		return common.NewHelp(common.WithDesc(k.Retry, "clone again"))
	case m.draft.Repo != nil:
		exit := "exit"
		if m.env.InManage {
			exit = "back to Manage"
		}
		h := common.NewHelp(common.WithDesc(k.Next, exit))
		if len(m.commands()) > 1 {
			h.Short = append(h.Short, upDown(k, "choose a command"))
		}
		return h
	}
	return common.NewHelp()
}

// advice is the next steps shown: the caller's or the default advice.
func (m Finish) advice() string {
	if m.env.NextSteps != "" || m.draft.Repo == nil {
		return m.env.NextSteps
	}
	return DefaultNextSteps(m.draft.Repo.Name)
}

// command shows a command line of the finish screen; the selected one
// (↑/↓, number *n in the screen's order) is in the code style and is what
// c copies. (No marker in the line: a mouse selection copies it as it is.)
func (m Finish) command(body *common.Lines, line string, n *int) {
	if m.collect != nil {
		*m.collect = append(*m.collect, line)
	}
	if *n == m.cursor {
		body.FocusNext()
		body.Code(m.env.Styles.Code, line)
	} else {
		body.Code(m.env.Styles.Hint, line)
	}
	*n++
}

// commands are the screen's command lines, in order.
func (m Finish) commands() []string {
	var out []string
	for _, line := range strings.Split(m.advice(), "\n") {
		if strings.HasPrefix(line, "gitjira ") {
			out = append(out, line)
		}
	}
	if m.draft.Repo != nil {
		out = append(out, m.jiraCommands(*m.draft.Repo)...)
	}
	return out
}

// forgeLikeHost reports whether the host of page may serve web pages for
// its repositories: a DNS name with a domain, not an IP address or localhost.
func forgeLikeHost(page string) bool {
	u, err := url.Parse(page)
	if err != nil || u.Hostname() == "" {
		return false
	}
	h := strings.ToLower(u.Hostname())
	if net.ParseIP(h) != nil || h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasSuffix(h, ".local") {
		return false
	}
	return strings.Contains(h, ".")
}
