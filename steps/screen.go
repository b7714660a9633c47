package steps

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Screen is a step's view, in the parts the wizard lays out so that what
// matters is never cut: Top (the step's question) and Bottom (the current
// error or message, and what to do) are always shown; Body, between them,
// scrolls in the wizard's viewport when the terminal is too short.
type Screen struct {
	Top    string
	Body   string
	Bottom string
	// Focus is the line of Body that must stay visible (the selected row,
	// the focused field); -1 when none.
	Focus int
	// Copy is what the copy key puts on the clipboard (a public key, a
	// command), "" when the screen offers nothing to copy; CopyWhat names
	// it for the confirmation ("public key", "command").
	Copy, CopyWhat string
}

// String is the screen as plain lines, Top, Body and Bottom separated by a
// blank line, with every copyable line whole on one line (for tests and for
// callers without a viewport).
func (s Screen) String() string {
	var parts []string
	for _, p := range []string{s.Top, s.Body, s.Bottom} {
		if p != "" {
			parts = append(parts, joinCode(p))
		}
	}
	return strings.Join(parts, "\n\n")
}

// Copyable lines (public keys, commands, fingerprints) must reach the
// terminal whole, so that it soft-wraps them and a mouse selection copies
// them as one line. A step writes one as rows of at most the width (so the
// viewport can count and scroll rows); each row starts with one of these
// zero-width markers (OSC strings no terminal acts on; the wizard removes
// them), and the wizard joins a block's rows back into one line when the
// whole block is on screen and the renderer does not cut long lines.
const (
	// CodeStart marks the first row of a copyable line.
	CodeStart = "\x1b]7701;s\a"
	// CodeCont marks each further row of the same copyable line.
	CodeCont = "\x1b]7701;c\a"
	// CodeEnd ends the last row of a copyable line: a line whose rows are
	// not all on screen (scrolled) is left in rows.
	CodeEnd = "\x1b]7701;e\a"
)

// codeBlock renders text (one line to copy exactly) in style st as rows of
// at most width cells, each marked for the wizard (see CodeStart). Nothing
// is added to or removed from text: rows are cut at exact cell counts.
func codeBlock(st lipgloss.Style, width int, text string) string {
	text = strings.ReplaceAll(text, "\n", " ")
	if width <= 0 || lipgloss.Width(text) <= width {
		return CodeStart + st.Render(text) + CodeEnd
	}
	var rows []string
	for len(text) > 0 {
		cut := ansi.Truncate(text, width, "")
		if cut == "" { // a wide rune wider than the width: take it anyway
			r := []rune(text)
			cut = string(r[0])
		}
		mark := CodeCont
		if len(rows) == 0 {
			mark = CodeStart
		}
		rows = append(rows, mark+st.Render(cut))
		text = text[len(cut):]
	}
	return strings.Join(rows, "\n") + CodeEnd
}

// joinCode joins the rows of each copyable line into one line and removes
// the markers.
func joinCode(s string) string {
	if !strings.Contains(s, CodeStart) {
		return s
	}
	s = strings.ReplaceAll(s, "\n"+CodeCont, "")
	return StripMarks(s)
}

// StripMarks removes the copyable-line markers, leaving the rows as they are.
func StripMarks(s string) string {
	if !strings.Contains(s, "\x1b]7701;") {
		return s
	}
	return strings.NewReplacer(CodeStart, "", CodeCont, "", CodeEnd, "").Replace(s)
}

// lines is a builder for a screen part: text wrapped to the width, blank
// lines, copyable lines, and the index of the focused line.
type lines struct {
	width int
	b     strings.Builder
	n     int // lines written so far
	focus int
}

func newLines(width int) *lines { return &lines{width: width, focus: -1} }

// add appends text (one or more lines, already rendered).
func (l *lines) add(text string) {
	if l.b.Len() > 0 {
		l.b.WriteByte('\n')
	}
	l.b.WriteString(text)
	l.n += strings.Count(text, "\n") + 1
}

// text appends s in style st, word-wrapped to the width.
func (l *lines) text(st lipgloss.Style, s string) { l.add(Wrap(st, l.width, s)) }

// blank appends an empty line.
func (l *lines) blank() { l.add("") }

// code appends a copyable line.
func (l *lines) code(st lipgloss.Style, s string) { l.add(codeBlock(st, l.width, s)) }

// focusNext marks the next line added as the one to keep visible.
func (l *lines) focusNext() { l.focus = l.n }

func (l *lines) String() string { return l.b.String() }
