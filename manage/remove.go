package manage

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

type removedMsg struct {
	name string
	err  error
}

// removePage asks before removing a repository, with the option (when the
// caller can do it) to remove its Jira links too.
type removePage struct {
	c        *shared
	r        store.Repository
	unlink   bool
	removing bool
	spin     spinner.Model
	err      error
	width    int
}

func newRemovePage(c *shared, r store.Repository) (page, tea.Cmd) {
	return &removePage{c: c, r: r, spin: spinner.New(spinner.WithSpinner(spinner.Line))}, nil
}

func (p *removePage) title() string { return p.r.Name + " · Remove" }
func (p *removePage) typing() bool  { return false }
func (p *removePage) busy() bool    { return p.removing }

func (p *removePage) help() help.KeyMap {
	k := p.c.Keys
	if p.removing {
		return newHelp()
	}
	b := []key.Binding{withDesc(k.Yes, "remove")}
	if p.c.cfg.Unlink != nil {
		b = append(b, withDesc(k.Toggle, "Jira links"))
	}
	keep := key.NewBinding(key.WithKeys(append(k.No.Keys(), k.Back.Keys()...)...), key.WithHelp("n/esc", "keep"))
	return newHelp(append(b, keep)...)
}

func (p *removePage) update(msg tea.Msg) (page, tea.Cmd) {
	k := p.c.Keys
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width = msg.Width
	case removedMsg:
		if msg.name != p.r.Name || !p.removing {
			return p, nil
		}
		p.removing = false
		if msg.err != nil {
			p.err = msg.err
			return p, nil
		}
		text := "Removed " + p.r.Name + ": its mirror, key and index are deleted."
		if p.unlink {
			text = "Removed " + p.r.Name + " and its Jira links."
		}
		return closePage(flash{text: text}, true)
	case spinner.TickMsg:
		if p.removing {
			var cmd tea.Cmd
			p.spin, cmd = p.spin.Update(msg)
			return p, cmd
		}
	case tea.KeyMsg:
		if p.removing {
			return p, nil
		}
		switch {
		case key.Matches(msg, k.Yes):
			return p.remove()
		case key.Matches(msg, k.No), key.Matches(msg, k.Back):
			return closePage(flash{}, false)
		case p.c.cfg.Unlink != nil && key.Matches(msg, k.Toggle):
			p.unlink = !p.unlink
		}
	}
	return p, nil
}

func (p *removePage) remove() (page, tea.Cmd) {
	p.removing, p.err = true, nil
	mgr, ctx, name := p.c.Manager, p.c.Ctx, p.r.Name
	var o lifecycle.RemoveOptions
	if p.unlink && p.c.cfg.Unlink != nil {
		o.BeforeDelete = p.c.cfg.Unlink
	}
	return p, tea.Batch(func() tea.Msg {
		_, err := mgr.Remove(ctx, name, o)
		return removedMsg{name: name, err: err}
	}, p.spin.Tick)
}

func (p *removePage) view() string {
	st := p.c.Styles
	w := max(20, p.width)
	var b strings.Builder
	b.WriteString(st.Value.Render("Remove " + p.r.Name + "?"))
	b.WriteString("\n\n")
	b.WriteString(st.Text.Render(wrapHard("gitjira forgets "+p.r.Name+" ("+p.r.URL+") and deletes its mirror, its stored key and its index. The repository on the server is not touched; connect it again at any time.", w)))
	b.WriteString("\n\n")
	if p.c.cfg.Unlink != nil {
		mark := "[ ]"
		if p.unlink {
			mark = "[x]"
		}
		b.WriteString(st.Cursor.Render("› ") + mark + " Also remove its links from the Jira issues (space)\n\n")
	}
	switch {
	case p.removing:
		b.WriteString(p.spin.View() + " Removing " + p.r.Name + "…")
	case p.err != nil:
		b.WriteString(st.Error.Render(wrapHard("✗ "+oneLine(p.err), w)))
		b.WriteString("\n\n" + st.Value.Render("Try again? (y/n)"))
	default:
		b.WriteString(st.Value.Render("Remove it? (y/n)"))
	}
	return b.String()
}
