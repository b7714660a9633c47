package tabs

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/ui/common"
)

func TestSwitching(t *testing.T) {
	m := New(common.New(), "Repositories", "SSH keys")
	if m.View() != "[Repositories]  SSH keys " {
		t.Errorf("%q", m.View())
	}
	if h := m.ShortHelp(); len(h) != 1 || h[0].Help().Desc != "SSH keys" {
		t.Errorf("help names %v, want the next tab", h)
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyTab})
	if m.Active() != 1 || cmd == nil || cmd() != ActiveTabMsg(1) {
		t.Fatalf("tab: active %d", m.Active())
	}
	m.Update(tea.KeyMsg{Type: tea.KeyShiftTab})
	if m.Active() != 0 || m.View() != "[Repositories]  SSH keys " {
		t.Errorf("shift+tab: %d %q", m.Active(), m.View())
	}
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")}); cmd != nil {
		t.Error("another key switched")
	}
}
