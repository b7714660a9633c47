// Package table is the list component of the UI layer: a header, rows that
// scroll under a selected one, a sort arrow, and a line saying how many rows
// are above and below when they do not all fit. Columns share the width by
// weight; a column may wrap its cells over a few lines (a state or an error
// is shown whole rather than cut to one row).
package table

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/keys"
)

// Column is one column: its title, its least width, how much of the spare
// width it takes (Grow, a weight; 0 keeps it at its least width), whether
// its cells are right-aligned (numbers), and whether they wrap over several
// lines instead of being cut (Wrap; at most Model.MaxLines a row).
type Column struct {
	Title string
	Min   int
	Grow  int
	Right bool
	Wrap  bool
}

// minWidth is the least width of c: Min, and never less than its title with
// the sort arrow, so the arrow shows on whichever column is sorted.
func (c Column) minWidth() int { return max(c.Min, ansi.StringWidth(c.Title)+1) }

// Row is one row. Cells are plain text (sanitised by the caller); Styles,
// when set, colour single cells (the state column).
type Row struct {
	Key    string // identifies the row across updates (the repository name)
	Cells  []string
	Styles map[int]lipgloss.Style
}

// Model is the table (a common.Component): ↑/↓, page keys, home and end
// move the selection.
type Model struct {
	st     common.Styles
	keys   keys.KeyMap
	cols   []Column
	rows   []Row
	cursor int
	offset int
	width  int
	height int // header + rows (+ the scroll line)

	// MaxLines bounds how many lines a row with wrapping cells takes
	// (default 3); a cell longer than that ends with "…".
	MaxLines int

	sortCol  int // -1: no arrow
	sortDesc bool
	empty    string // shown when there are no rows
}

// New makes a table with the given columns, in c's styles and keys.
func New(c common.Common, cols ...Column) *Model {
	t := &Model{st: c.Styles, keys: c.Keys, cols: cols, sortCol: -1, MaxLines: 3}
	t.SetSize(c.Width, c.Height)
	return t
}

// Init implements common.Component (nothing to start).
func (t *Model) Init() tea.Cmd { return nil }

// Update moves the selection on the table's keys; other messages are ignored.
func (t *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return t, nil
	}
	switch {
	case key.Matches(km, t.keys.Up):
		t.Move(-1)
	case key.Matches(km, t.keys.Down):
		t.Move(1)
	case key.Matches(km, t.keys.PageUp):
		t.Move(-t.PageRows())
	case key.Matches(km, t.keys.PageDown):
		t.Move(t.PageRows())
	case key.Matches(km, t.keys.Home):
		t.Top()
	case key.Matches(km, t.keys.End):
		t.Bottom()
	}
	return t, nil
}

// Handles reports whether msg is one of the table's moving keys.
func (t *Model) Handles(msg tea.KeyMsg) bool {
	k := t.keys
	return key.Matches(msg, k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End)
}

// ShortHelp is the moving keys, as one entry.
func (t *Model) ShortHelp() []key.Binding {
	return []key.Binding{common.Join("↑/↓", "move", t.keys.Up, t.keys.Down)}
}

// FullHelp is every moving key.
func (t *Model) FullHelp() [][]key.Binding {
	k := t.keys
	return [][]key.Binding{{t.ShortHelp()[0], k.PageUp, k.PageDown, k.Home, k.End}}
}

// SetSize sets the width and the height (header included).
func (t *Model) SetSize(width, height int) {
	t.width, t.height = width, max(2, height)
	t.clamp()
}

// SetRows replaces the rows, keeping the selection on the row with the same
// Key when there is one.
func (t *Model) SetRows(rows []Row) {
	sel := t.SelectedKey()
	t.rows = rows
	if sel != "" {
		t.Select(sel)
	}
	t.clamp()
}

// SetSort sets the sort arrow (col -1: none).
func (t *Model) SetSort(col int, desc bool) { t.sortCol, t.sortDesc = col, desc }

// SetEmpty sets the text shown when there are no rows.
func (t *Model) SetEmpty(s string) { t.empty = s }

// Len is the number of rows.
func (t *Model) Len() int { return len(t.rows) }

// Keys is the rows' keys, in order.
func (t *Model) Keys() []string {
	out := make([]string, len(t.rows))
	for i, r := range t.rows {
		out[i] = r.Key
	}
	return out
}

// Cursor is the index of the selected row (0 when there are none).
func (t *Model) Cursor() int { return t.cursor }

// SelectedKey is the Key of the selected row, "" when there are no rows.
func (t *Model) SelectedKey() string {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return ""
	}
	return t.rows[t.cursor].Key
}

// Select moves the selection to the row with that key, if there is one.
func (t *Model) Select(key string) bool {
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
func (t *Model) Move(n int) {
	t.cursor += n
	t.clamp()
}

// Top selects the first row.
func (t *Model) Top() { t.cursor = 0; t.clamp() }

// Bottom selects the last row.
func (t *Model) Bottom() { t.cursor = len(t.rows) - 1; t.clamp() }

// PageRows is how many rows a page up/down moves.
func (t *Model) PageRows() int { return t.fitFrom(t.heights(), t.offset) }

// heights is the lines each row takes at the current width.
func (t *Model) heights() []int {
	w := t.widths()
	hs := make([]int, len(t.rows))
	for i := range t.rows {
		hs[i] = t.rowHeight(i, w)
	}
	return hs
}

func sum(hs []int) int {
	n := 0
	for _, h := range hs {
		n += h
	}
	return n
}

// room is the lines under the header, less the scroll line when the rows
// do not all fit.
func (t *Model) room(hs []int) int {
	n := t.height - 1
	if sum(hs) > n {
		n--
	}
	return max(1, n)
}

// fitFrom is how many rows from row i fit in the room (at least one: a row
// taller than the room is shown cut).
func (t *Model) fitFrom(hs []int, i int) int {
	room, n := t.room(hs), 0
	for ; i+n < len(hs); n++ {
		if hs[i+n] > room {
			break
		}
		room -= hs[i+n]
	}
	return max(1, n)
}

func (t *Model) clamp() {
	if t.cursor >= len(t.rows) {
		t.cursor = len(t.rows) - 1
	}
	if t.cursor < 0 {
		t.cursor = 0
	}
	if t.offset > t.cursor {
		t.offset = t.cursor
	}
	hs := t.heights()
	for t.offset < t.cursor && t.offset+t.fitFrom(hs, t.offset) <= t.cursor {
		t.offset++
	}
	// No empty room at the bottom while rows are hidden above.
	for t.offset > 0 && sum(hs[t.offset-1:]) <= t.room(hs) {
		t.offset--
	}
	if t.offset < 0 {
		t.offset = 0
	}
}

// widths spreads the width over the columns: each gets its least width,
// the spare cells go to the growing columns by weight; when even the least
// widths do not fit, the growing columns shrink first (down to 4 cells).
func (t *Model) widths() []int {
	w := make([]int, len(t.cols))
	width := t.width
	if width <= 0 {
		width = 80
	}
	avail := width - 2 - (len(t.cols) - 1) // the selection marker, one space between columns
	sum, grow := 0, 0
	for i, c := range t.cols {
		w[i] = c.minWidth()
		sum += w[i]
		grow += c.Grow
	}
	spare := avail - sum
	if spare > 0 && grow > 0 {
		given, last := 0, -1
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
	for pass := 0; pass < 2 && spare < 0; pass++ {
		for i := len(t.cols) - 1; spare < 0 && i >= 0; i-- {
			if pass == 0 && t.cols[i].Grow == 0 {
				continue
			}
			if cut := min(-spare, w[i]-4); cut > 0 {
				w[i] -= cut
				spare += cut
			}
		}
	}
	return w
}

// Widths is the width each column gets at the current size.
func (t *Model) Widths() []int { return t.widths() }

// lines is a cell as the lines it takes: one, cut with "…", or for a
// wrapping column the text wrapped at spaces and at its own line breaks, at
// most MaxLines.
func (t *Model) lines(text string, width int, c Column) []string {
	if width <= 0 {
		return []string{""}
	}
	if !c.Wrap {
		return []string{cut(strings.ReplaceAll(text, "\n", " "), width)}
	}
	if ansi.StringWidth(text) <= width && !strings.Contains(text, "\n") {
		return []string{text}
	}
	ls := strings.Split(ansi.Wrap(text, width, ""), "\n")
	maxLines := max(1, t.MaxLines)
	if len(ls) > maxLines {
		rest := strings.Join(ls[maxLines-1:], " ")
		ls = append(ls[:maxLines-1], ansi.Truncate(rest, width-1, "")+"…")
	}
	for i := range ls {
		ls[i] = cut(strings.TrimRight(ls[i], " "), width)
	}
	return ls
}

func (t *Model) rowHeight(i int, w []int) int {
	h := 1
	for j, c := range t.cols {
		if c.Wrap && j < len(t.rows[i].Cells) {
			h = max(h, len(t.lines(t.rows[i].Cells[j], w[j], c)))
		}
	}
	return h
}

func cut(s string, width int) string {
	if ansi.StringWidth(s) > width {
		return ansi.Truncate(s, width, "…")
	}
	return s
}

// pad pads s (already at most width cells) to exactly width cells.
func pad(s string, width int, right bool) string {
	p := strings.Repeat(" ", max(0, width-ansi.StringWidth(s)))
	if right {
		return p + s
	}
	return s + p
}

// View renders the header and the visible rows.
func (t *Model) View() string {
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
		head[i] = pad(cut(title, w[i]), w[i], c.Right)
	}
	b.WriteString("  " + st.Header.Render(strings.Join(head, " ")))
	if len(t.rows) == 0 {
		b.WriteString("\n  " + st.Hint.Render(ansi.Wrap(t.empty, max(10, t.width-2), "")))
		return b.String()
	}
	hs := t.heights()
	shown := t.fitFrom(hs, t.offset)
	for i := t.offset; i < len(t.rows) && i < t.offset+shown; i++ {
		t.writeRow(&b, i, w)
	}
	if sum(hs) > t.height-1 {
		above, below := t.offset, len(t.rows)-t.offset-shown
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

func (t *Model) writeRow(b *strings.Builder, i int, w []int) {
	st := t.st
	r := t.rows[i]
	cells := make([][]string, len(t.cols))
	h := 1
	for j, c := range t.cols {
		text := ""
		if j < len(r.Cells) {
			text = r.Cells[j]
		}
		cells[j] = t.lines(text, w[j], c)
		h = max(h, len(cells[j]))
	}
	for line := 0; line < h; line++ {
		parts := make([]string, len(t.cols))
		for j, c := range t.cols {
			text := ""
			if line < len(cells[j]) {
				text = cells[j][line]
			}
			text = pad(text, w[j], c.Right)
			if i == t.cursor {
				text = st.Selected.Render(text)
			} else if s, ok := r.Styles[j]; ok {
				text = s.Render(text)
			}
			parts[j] = text
		}
		b.WriteString("\n")
		if i == t.cursor && line == 0 {
			b.WriteString(st.Cursor.Render("› "))
		} else {
			b.WriteString("  ")
		}
		b.WriteString(strings.Join(parts, " "))
	}
}
