package status

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/ui/common"
)

func TestLongMessagesWrapWhole(t *testing.T) {
	msg := "No terminal clipboard here: press enter to show the public key and select it with the mouse."
	m := New(common.New())
	m.SetSize(80, 0)
	m.Set(Line{Text: msg}, Line{Text: "second"})
	rows := m.Rows()
	if len(rows) != 3 {
		t.Fatalf("%d rows, want the message on 2 and the second line on 1:\n%s", len(rows), m.View())
	}
	if strings.Join(rows[:2], " ") != msg {
		t.Errorf("rows %q do not give back the message", rows[:2])
	}
	for _, r := range rows {
		if lipgloss.Width(r) > 80 || strings.Contains(r, "…") {
			t.Errorf("row %q is cut or too wide", r)
		}
	}
}

func TestPathsStayWhole(t *testing.T) {
	m := New(common.New())
	m.SetSize(22, 0)
	m.Set(Line{Text: "see gitjira-demo-123/ssh now"}, Line{Text: strings.Repeat("x", 25)})
	if got := strings.Join(m.Rows(), "|"); got != "see|gitjira-demo-123/ssh|now|"+strings.Repeat("x", 22)+"|xxx" {
		t.Errorf("rows %q", got)
	}
}

func TestMaxRows(t *testing.T) {
	m := New(common.New())
	m.SetSize(20, 0)
	m.MaxRows = 2
	m.Set(Line{Text: strings.Repeat("word ", 20)})
	rows := m.Rows()
	if len(rows) != 2 || !strings.HasSuffix(rows[1], "…") {
		t.Errorf("%q", rows)
	}
}
