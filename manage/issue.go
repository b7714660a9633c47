package manage

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/issueview"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/ui/common"
)

// issuePage is `i` on the repositories tab: it asks for a Jira issue key,
// then shows the issue view (the package issueview, as `gitjira issue KEY`
// does) until esc brings the tab back.
type issuePage struct {
	c     *shared
	input textinput.Model
	err   string
	iv    *issueview.Model
	key   string
	w, h  int
}

func newIssuePage(c *shared) (page, tea.Cmd) {
	p := &issuePage{c: c, input: common.NewInput(c.Styles, "Issue key: ")}
	p.input.Placeholder = "PROJ-7"
	return p, p.input.Focus()
}

func (p *issuePage) title() string {
	if p.iv != nil {
		return "Issue " + p.key
	}
	return "Issue"
}

func (p *issuePage) typing() bool { return p.iv == nil || p.iv.Typing() }
func (p *issuePage) busy() bool   { return false }

func (p *issuePage) help() help.KeyMap {
	if p.iv != nil {
		return p.iv
	}
	k := p.c.Keys
	return newHelp(withDesc(k.Next, "show its commits"), withDesc(k.Back, "back"))
}

func (p *issuePage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.w, p.h = msg.Width, msg.Height
		p.input.Width = max(10, msg.Width-len(p.input.Prompt)-2)
		if p.iv != nil {
			p.iv.SetSize(msg.Width, msg.Height)
		}
		return p, nil
	case issueview.ClosedMsg:
		return closePage(flash{}, false)
	}
	if p.iv != nil {
		_, cmd := p.iv.Update(msg)
		return p, cmd
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil
	}
	k := p.c.Keys
	switch {
	case key.Matches(km, k.Back):
		return closePage(flash{}, false)
	case key.Matches(km, k.Next):
		issue, err := lifecycle.ParseIssueKey(p.input.Value())
		if err != nil {
			p.err = "Not an issue key: keys look like PROJ-7 (a project key, a dash, a number)."
			return p, nil
		}
		p.key = issue
		p.iv = issueview.New(p.c.Common, issue, false)
		p.iv.SetSize(p.w, p.h)
		return p, p.iv.Init()
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(km)
	p.err = ""
	return p, cmd
}

func (p *issuePage) view() string {
	if p.iv != nil {
		return p.iv.View()
	}
	st := p.c.Styles
	out := st.Text.Render("The commits that mention a Jira issue, across the repositories:") + "\n\n" + p.input.View()
	if p.err != "" {
		out += "\n" + st.Error.Render(p.err)
	}
	return out
}

// recentPage is enter on the details page: the repository's recent commits
// in the issue view's list, enter opening one with its diff; esc returns
// to the details.
type recentPage struct {
	c       *shared
	details page
	iv      *issueview.Model
}

func newRecentPage(c *shared, details *detailsPage, recent []lifecycle.CommitSummary) (page, tea.Cmd) {
	r := details.r
	commits := make([]lifecycle.IssueCommit, len(recent))
	for i, s := range recent {
		commits[i].Repository, commits[i].SHA, commits[i].Author, commits[i].Date, commits[i].Subject = r.Name, s.SHA, s.Author, s.Date, s.Subject
		commits[i].WebURL, _ = jira.CommitURL(r, s.SHA)
	}
	p := &recentPage{c: c, details: details, iv: issueview.NewCommits(c.Common, r.Name+" · recent commits", commits, false)}
	p.iv.SetSize(details.width, details.height)
	return p, p.iv.Init()
}

func (p *recentPage) title() string     { return p.details.title() + " · Recent commits" }
func (p *recentPage) typing() bool      { return p.iv.Typing() }
func (p *recentPage) busy() bool        { return false }
func (p *recentPage) help() help.KeyMap { return p.iv }
func (p *recentPage) view() string      { return p.iv.View() }
func (p *recentPage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case issueview.ClosedMsg:
		return p.details, nil
	case tea.WindowSizeMsg:
		p.iv.SetSize(msg.Width, msg.Height)
		p.details.update(msg)
		return p, nil
	}
	_, cmd := p.iv.Update(msg)
	return p, cmd
}
