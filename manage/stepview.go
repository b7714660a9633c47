package manage

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/steps"
)

// stepPane lays out a reused wizard step (key, passphrase) on a page the
// way the wizard does: the step's question (Screen.Top) and its message
// (Screen.Bottom) always shown, its body scrolling between them in the
// wizard's scroll area (steps.Scroll), following the focused line.
type stepPane struct {
	scroll        steps.Scroll
	top, bottom   string
	copyText      string // what the copy key copies ("" none)
	copyWhat      string
	width, height int
}

func newStepPane(k steps.KeyMap) stepPane { return stepPane{scroll: steps.NewScroll(k)} }

func (p *stepPane) setSize(width, height int) { p.width, p.height = width, height }

// refresh takes the step's current screen (after every message it got).
func (p *stepPane) refresh(s steps.Step) {
	scr := s.View()
	p.top, p.bottom = steps.StripMarks(scr.Top), steps.StripMarks(scr.Bottom)
	p.copyText, p.copyWhat = scr.Copy, scr.CopyWhat
	room := p.height
	if p.top != "" {
		room -= lipgloss.Height(p.top) + 1
	}
	if p.bottom != "" {
		room -= lipgloss.Height(p.bottom) + 1
	}
	p.scroll.SetSize(p.width, max(1, room))
	p.scroll.SetContent(scr.Body, scr.Focus)
}

// scrollKey scrolls the body on page up/down; it reports whether it did.
func (p *stepPane) scrollKey(msg tea.KeyMsg) bool { return p.scroll.Update(msg) }

// isCopy reports whether msg is the wizard's copy key for what the screen
// offers (while a text field has the focus, only ctrl+y is).
func (p stepPane) isCopy(k steps.KeyMap, msg tea.KeyMsg, typing bool) bool {
	return p.copyText != "" && key.Matches(msg, k.Copy) && (!typing || msg.String() == "ctrl+y")
}

func (p stepPane) view(st steps.Styles) string {
	var parts []string
	if p.top != "" {
		parts = append(parts, p.top)
	}
	if rows := p.scroll.Rows(st); len(rows) > 0 {
		parts = append(parts, steps.StripMarks(strings.Join(rows, "\n")))
	}
	if p.bottom != "" {
		parts = append(parts, p.bottom)
	}
	return strings.Join(parts, "\n\n")
}
