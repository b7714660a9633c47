package manage

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gitjira/gitjira/steps"
)

// Column is one column of a Table: its title, its least width, how much of
// the spare width it takes (Grow, a weight; 0 keeps it at Min), and whether
// its cells are right-aligned (numbers).
type Column struct {
	Title string
	Min   int
	Grow  int
	Right bool
}

// Row is one row of a Table. Cells are plain text (sanitised by the
// caller); Styles, when set, colour single cells (the state column).
type Row struct {
	Key    string // identifies the row across updates (the repository name)
	Cells  []string
	Styles map[int]lipgloss.Style
}

// Table is the screen's one list component, used by both tabs: a header,
// rows that scroll under a selected one, a sort marker, and a line saying
// how many rows are above and below when they do not all fit. Cells wider
// than their column are cut with "…" (by display width, so wide runes from
// a server's message never push the row past the screen).
type Table struct {
	st     steps.Styles
	cols   []Column
	rows   []Row
	cursor int
	offset int
	width  int
	height int // header + rows (+ the scroll line)

	sortCol  int // -1: no marker
	sortDesc bool
	empty    string // shown when there are no rows
}

// NewTable makes a table with the given columns.
func NewTable(st steps.Styles, cols ...Column) Table {
	return Table{st: st, cols: cols, sortCol: -1}
}

// SetSize sets the width and the height (header included).
func (t *Table) SetSize(width, height int) {
	t.width, t.height = width, max(2, height)
	t.clamp()
}

// SetRows replaces the rows, keeping the selection on the row with the same
// Key when there is one.
func (t *Table) SetRows(rows []Row) {
	sel := t.SelectedKey()
	t.rows = rows
	if sel != "" {
		t.Select(sel)
	}
	t.clamp()
}

// SetSort sets the sort marker (col -1: none).
func (t *Table) SetSort(col int, desc bool) { t.sortCol, t.sortDesc = col, desc }

// SetEmpty sets the text shown when there are no rows.
func (t *Table) SetEmpty(s string) { t.empty = s }

// Len is the number of rows.
func (t Table) Len() int { return len(t.rows) }

// Cursor is the index of the selected row (0 when there are none).
func (t Table) Cursor() int { return t.cursor }

// SelectedKey is the Key of the selected row, "" when there are no rows.
func (t Table) SelectedKey() string {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return ""
	}
	return t.rows[t.cursor].Key
}

// Select moves the selection to the row with that key, if there is one.
func (t *Table) Select(key string) bool {
	for i, r := range t.rows {
		if r.Key == key {
			t.cursor = i
			t.clamp()
			return true
		}
	}
	return false
}

// Move moves the selection by n rows (negative: up), stopping at the ends.
func (t *Table) Move(n int) {
	t.cursor += n
	t.clamp()
}

// Top and Bottom select the first and the last row.
func (t *Table) Top()    { t.cursor = 0; t.clamp() }
func (t *Table) Bottom() { t.cursor = len(t.rows) - 1; t.clamp() }

// PageRows is how many rows a page up/down moves.
func (t Table) PageRows() int { return max(1, t.visibleRows()) }

// visibleRows is how many rows fit under the header (one line goes to the
// scroll line when they do not all fit).
func (t Table) visibleRows() int {
	n := t.height - 1
	if len(t.rows) > n {
		n--
	}
	return max(1, n)
}

func (t *Table) clamp() {
	if t.cursor >= len(t.rows) {
		t.cursor = len(t.rows) - 1
	}
	if t.cursor < 0 {
		t.cursor = 0
	}
	vis := t.visibleRows()
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+vis {
		t.offset = t.cursor - vis + 1
	}
	if t.offset > max(0, len(t.rows)-vis) {
		t.offset = max(0, len(t.rows)-vis)
	}
	if t.offset < 0 {
		t.offset = 0
	}
}

// widths spreads the width over the columns: each gets its Min, the spare
// cells go to the growing columns by weight; when even the minimums do not
// fit, the growing columns shrink first (down to 4 cells).
func (t Table) widths() []int {
	w := make([]int, len(t.cols))
	avail := t.width - 2 - (len(t.cols) - 1) // the selection marker, one space between columns
	if t.width <= 0 {
		avail = 78 - (len(t.cols) - 1)
	}
	sum, grow := 0, 0
	for i, c := range t.cols {
		w[i] = c.Min
		sum += c.Min
		grow += c.Grow
	}
	spare := avail - sum
	if spare > 0 && grow > 0 {
		given := 0
		last := -1
		for i, c := range t.cols {
			if c.Grow > 0 {
				add := spare * c.Grow / grow
				w[i] += add
				given += add
				last = i
			}
		}
		w[last] += spare - given
	}
	// Too narrow: the growing columns give up width first, then the others.
	for pass := 0; pass < 2 && spare < 0; pass++ {
		for i := len(t.cols) - 1; spare < 0 && i >= 0; i-- {
			if pass == 0 && t.cols[i].Grow == 0 {
				continue
			}
			cut := min(-spare, w[i]-4)
			if cut > 0 {
				w[i] -= cut
				spare += cut
			}
		}
	}
	return w
}

// cell pads or cuts s to exactly width display cells.
func cell(s string, width int, right bool) string {
	if width <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > width {
		s = ansi.Truncate(s, width, "…")
	}
	pad := strings.Repeat(" ", max(0, width-ansi.StringWidth(s)))
	if right {
		return pad + s
	}
	return s + pad
}

// View renders the header and the visible rows.
func (t Table) View() string {
	st := t.st
	w := t.widths()
	var b strings.Builder
	head := make([]string, len(t.cols))
	for i, c := range t.cols {
		title := c.Title
		if i == t.sortCol {
			if t.sortDesc {
				title += "↓"
			} else {
				title += "↑"
			}
		}
		head[i] = cell(title, w[i], c.Right)
	}
	b.WriteString("  " + st.Header.Render(strings.Join(head, " ")))
	if len(t.rows) == 0 {
		b.WriteString("\n  " + st.Hint.Render(t.empty))
		return b.String()
	}
	vis := t.visibleRows()
	for i := t.offset; i < len(t.rows) && i < t.offset+vis; i++ {
		r := t.rows[i]
		cells := make([]string, len(t.cols))
		for j, c := range t.cols {
			text := ""
			if j < len(r.Cells) {
				text = r.Cells[j]
			}
			text = cell(text, w[j], c.Right)
			if i == t.cursor {
				text = st.Selected.Render(text)
			} else if s, ok := r.Styles[j]; ok {
				text = s.Render(text)
			}
			cells[j] = text
		}
		b.WriteString("\n")
		if i == t.cursor {
			b.WriteString(st.Cursor.Render("› "))
		} else {
			b.WriteString("  ")
		}
		b.WriteString(strings.Join(cells, " "))
	}
	if len(t.rows) > vis {
		above, below := t.offset, len(t.rows)-t.offset-vis
		var parts []string
		if above > 0 {
			parts = append(parts, fmt.Sprintf("↑ %d more", above))
		}
		if below > 0 {
			parts = append(parts, fmt.Sprintf("↓ %d more", below))
		}
		b.WriteString("\n  " + st.Hint.Render(strings.Join(parts, " · ")))
	}
	return b.String()
}
