package status

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

func TestLongMessagesWrapWhole(t *testing.T) {
	msg := "No terminal clipboard here: press enter to show the public key and select it with the mouse."
	m := New()
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

func TestWrapKeepsPathsWholeAndCutsHugeWords(t *testing.T) {
	got := Wrap("see gitjira-demo-123/ssh now", 22)
	if strings.Join(got, "|") != "see|gitjira-demo-123/ssh|now" {
		t.Errorf("a path with hyphens is broken: %q", got)
	}
	got = Wrap(strings.Repeat("x", 25), 10)
	if len(got) != 3 || got[0] != strings.Repeat("x", 10) || got[2] != strings.Repeat("x", 5) {
		t.Errorf("a long word: %q", got)
	}
}

func TestMaxRows(t *testing.T) {
	m := New()
	m.SetSize(20, 0)
	m.MaxRows = 2
	m.Set(Line{Text: strings.Repeat("word ", 20)})
	rows := m.Rows()
	if len(rows) != 2 || !strings.HasSuffix(rows[1], "…") {
		t.Errorf("%q", rows)
	}
}
