package common

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

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

// CodeBlock renders text (one line to copy exactly) in style st as rows of
// at most width cells, each marked for the wizard (see CodeStart). Nothing
// is added to or removed from text: rows are cut at exact cell counts.
func CodeBlock(st lipgloss.Style, width int, text string) string {
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

// JoinCode joins the rows of each copyable line into one line and removes
// the markers.
func JoinCode(s string) string {
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
