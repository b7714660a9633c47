package manage

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/issueview"
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
