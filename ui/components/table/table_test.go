package table

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gitjira/gitjira/ui/common"
)

// The Manage screen's repositories columns: the widths the tests check are
// the ones users see.
var cols = []Column{
	{Title: "Name", Min: 10, Grow: 2},
	{Title: "Host", Min: 15, Grow: 1},
	{Title: "Projects", Min: 8, Grow: 1},
	{Title: "Commits", Min: 7, Right: true},
	{Title: "Issues", Min: 6, Right: true},
	{Title: "Last sync", Min: 10},
	{Title: "State", Min: 10, Grow: 2, Wrap: true},
}

func newTable(width, height int, rows ...Row) *Model {
	t := New(common.New(), cols...)
	t.SetSize(width, height)
	t.SetRows(rows)
	return t
}

func row(name, state string) Row {
	return Row{Key: name, Cells: []string{name, "git.example.com", "DEMO,OPS", "120", "7", "3 min ago", state}}
}

func TestSortArrowOnEveryColumn(t *testing.T) {
	for _, width := range []int{80, 120} {
		for i, c := range cols {
			for _, desc := range []bool{false, true} {
				tb := newTable(width, 10, row("api", "ok"))
				tb.SetSort(i, desc)
				arrow := "↑"
				if desc {
					arrow = "↓"
				}
				head := strings.Split(ansi.Strip(tb.View()), "\n")[0]
				if !strings.Contains(head, c.Title+arrow) {
					t.Errorf("%d columns, sorted by %s: header %q lacks %q", width, c.Title, head, c.Title+arrow)
				}
				if w := lipgloss.Width(head); w > width {
					t.Errorf("%d columns: header is %d wide", width, w)
				}
			}
		}
	}
}

func TestGrowingColumnsWiderOnAWideTerminal(t *testing.T) {
	narrow, wide := newTable(80, 10).Widths(), newTable(120, 10).Widths()
	for i, c := range cols {
		if c.Grow > 0 && wide[i] <= narrow[i] {
			t.Errorf("%s: %d cells at 120 columns, %d at 80: it should grow", c.Title, wide[i], narrow[i])
		}
		if c.Grow == 0 && wide[i] != narrow[i] {
			t.Errorf("%s: fixed column changed width %d -> %d", c.Title, narrow[i], wide[i])
		}
	}
	for _, w := range []int{80, 120, 200} {
		ws := newTable(w, 10).Widths()
		total := 2 + len(ws) - 1
		for _, x := range ws {
			total += x
		}
		if total != w {
			t.Errorf("at %d columns the table takes %d", w, total)
		}
	}
}

func TestWrappingColumnShowsTheWholeText(t *testing.T) {
	state := "error: connection refused"
	tb := newTable(80, 10, row("api", state), row("web", "ok"))
	tb.Move(1) // the error row is not selected: its style is its own
	view := ansi.Strip(tb.View())
	// The state's words, in order, across the row's lines.
	var got []string
	lines := strings.Split(view, "\n")
	stateAt := strings.Index(lines[0], "State")
	for _, l := range lines[1:] {
		if strings.HasPrefix(strings.TrimLeft(l, "› "), "web") {
			break
		}
		if len(l) > stateAt {
			got = append(got, strings.TrimSpace(l[stateAt:]))
		}
	}
	if strings.Join(got, " ") != state {
		t.Errorf("state column shows %q, want the whole %q:\n%s", strings.Join(got, " "), state, view)
	}
	if strings.Contains(view, "…") {
		t.Errorf("the state was cut:\n%s", view)
	}
	for _, l := range lines {
		if lipgloss.Width(l) > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
	}
}

func TestWrappingIsBoundedAndSaysSo(t *testing.T) {
	tb := newTable(80, 20, row("api", strings.Repeat("word ", 40)))
	lines := strings.Split(ansi.Strip(tb.View()), "\n")
	if len(lines) != 1+3 {
		t.Fatalf("a row takes %d lines, want MaxLines=3:\n%s", len(lines)-1, strings.Join(lines, "\n"))
	}
	if !strings.HasSuffix(strings.TrimRight(lines[3], " "), "…") {
		t.Errorf("a cut cell does not end with …: %q", lines[3])
	}
}

func TestScrollingKeepsTheSelectionVisibleWithTallRows(t *testing.T) {
	var rows []Row
	for i := 0; i < 30; i++ {
		state := "ok"
		if i%3 == 0 {
			state = "error: connection refused by the server at git.example.com"
		}
		rows = append(rows, row(fmt.Sprintf("repo%02d", i), state))
	}
	tb := newTable(80, 12, rows...)
	for i := 0; i < 30; i++ {
		view := ansi.Strip(tb.View())
		lines := strings.Split(view, "\n")
		if len(lines) > 12 {
			t.Fatalf("row %d: view is %d lines, more than 12:\n%s", i, len(lines), view)
		}
		if !strings.Contains(view, fmt.Sprintf("› repo%02d", i)) {
			t.Fatalf("row %d selected but not shown:\n%s", i, view)
		}
		tb.Update(tea.KeyMsg{Type: tea.KeyDown})
	}
	view := ansi.Strip(tb.View())
	if !strings.Contains(view, "↑ ") || strings.Contains(view, "↓ ") {
		t.Errorf("at the bottom the scroll line should count the rows above only:\n%s", view)
	}
	tb.Update(tea.KeyMsg{Type: tea.KeyHome})
	if tb.Cursor() != 0 || !strings.Contains(ansi.Strip(tb.View()), "↓ ") {
		t.Errorf("home: cursor %d\n%s", tb.Cursor(), ansi.Strip(tb.View()))
	}
}

func TestSelectionFollowsTheKey(t *testing.T) {
	tb := newTable(80, 10, row("a", "ok"), row("b", "ok"), row("c", "ok"))
	tb.Select("b")
	tb.SetRows([]Row{row("c", "ok"), row("b", "ok")})
	if tb.SelectedKey() != "b" {
		t.Errorf("selection %q after a reorder, want b", tb.SelectedKey())
	}
	tb.SetRows(nil)
	tb.SetEmpty("No repositories yet: press c to connect one.")
	if tb.SelectedKey() != "" || !strings.Contains(tb.View(), "No repositories yet") {
		t.Errorf("empty table: %q\n%s", tb.SelectedKey(), tb.View())
	}
}

func tableRows(n int) []Row {
	var rows []Row
	for i := 0; i < n; i++ {
		rows = append(rows, Row{Key: string(rune('a' + i)), Cells: []string{string(rune('a' + i)), "x"}})
	}
	return rows
}

func TestTableScrollsAndKeepsSelection(t *testing.T) {
	tb := New(common.New(), Column{Title: "Name", Min: 6, Grow: 1}, Column{Title: "N", Min: 3, Right: true})
	tb.SetSize(30, 6) // header + 4 rows + the scroll line
	tb.SetRows(tableRows(10))
	v := ansi.Strip(tb.View())
	if got := strings.Count(v, "\n") + 1; got != 6 {
		t.Fatalf("view has %d lines, want 6:\n%s", got, v)
	}
	if !strings.Contains(v, "↓ 6 more") || strings.Contains(v, "↑") {
		t.Errorf("scroll line:\n%s", v)
	}
	tb.Move(5)
	v = ansi.Strip(tb.View())
	if tb.SelectedKey() != "f" || !strings.Contains(v, "› f") || !strings.Contains(v, "↑ 2 more · ↓ 4 more") {
		t.Errorf("after moving 5, selected %q:\n%s", tb.SelectedKey(), v)
	}
	// New rows (re-sorted): the selection follows the key.
	rows := tableRows(10)
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	tb.SetRows(rows)
	if tb.SelectedKey() != "f" {
		t.Errorf("selection lost on re-sort: %q", tb.SelectedKey())
	}
	tb.Move(100)
	if tb.SelectedKey() != "a" {
		t.Errorf("move past the end: %q", tb.SelectedKey())
	}
	tb.SetRows(tableRows(2))
	if tb.Cursor() != 0 && tb.Cursor() != 1 {
		t.Errorf("cursor %d out of 2 rows", tb.Cursor())
	}
	tb.SetRows(nil)
	tb.SetEmpty("nothing here")
	if tb.SelectedKey() != "" || !strings.Contains(ansi.Strip(tb.View()), "nothing here") {
		t.Errorf("empty table:\n%s", ansi.Strip(tb.View()))
	}
}

func TestTableCellsNeverOverflow(t *testing.T) {
	tb := New(common.New(), Column{Title: "Name", Min: 10, Grow: 2}, Column{Title: "Fingerprint", Min: 50}, Column{Title: "State", Min: 10, Grow: 1})
	wide := strings.Repeat("界", 40) // double-width runes from a server's message
	tb.SetRows([]Row{{Key: "k", Cells: []string{"name", strings.Repeat("F", 60), wide}}})
	for _, w := range []int{120, 80, 60, 40, 20} {
		tb.SetSize(w, 5)
		for _, l := range strings.Split(tb.View(), "\n") {
			if n := lipgloss.Width(l); n > max(w, 2+4*3+2) {
				t.Errorf("width %d: line is %d cells: %q", w, n, ansi.Strip(l))
			}
		}
	}
}
