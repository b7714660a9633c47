package uitest

import (
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

type echoMsg struct{ n int }

// counter starts async work on "w" and shows the results it got, in order.
type counter struct {
	got  []int
	next int
}

func (c counter) Init() tea.Cmd { return nil }
func (c counter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if msg.String() == "w" {
			c.next++
			n := c.next
			return c, func() tea.Msg { return echoMsg{n} }
		}
		if msg.String() == "q" {
			return c, tea.Quit
		}
	case echoMsg:
		c.got = append(c.got, msg.n)
	}
	return c, nil
}
func (c counter) View() string { return fmt.Sprint("got ", c.got) }

func TestDriverHoldRelease(t *testing.T) {
	d := NewDriver(t, counter{}, 20, 5)
	d.Hold(func(m tea.Msg) bool { return m == echoMsg{1} })
	d.Runes("w").UntilHeld("the first result", 1)
	d.Runes("w").UntilView("got [2]")
	d.Release()
	if d.View() != "got [2 1]" {
		t.Errorf("view %q, want the held result after the second", d.View())
	}
	d.Runes("q").Settle()
	if !d.Quit {
		t.Error("tea.Quit not seen")
	}
}

func TestSession(t *testing.T) {
	s := Start(t, counter{}, 20, 5)
	s.Runes("w")
	s.WaitFor("got [1]")
	s.Runes("q")
	if m := s.Final().(counter); len(m.got) != 1 {
		t.Errorf("final %v", m.got)
	}
}
