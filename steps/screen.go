package steps

import (
	"strings"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/lipgloss"
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
			parts = append(parts, common.JoinCode(p))
		}
	}
	return strings.Join(parts, "\n\n")
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
func (l *lines) text(st lipgloss.Style, s string) { l.add(common.Wrap(st, l.width, s)) }

// blank appends an empty line.
func (l *lines) blank() { l.add("") }

// code appends a copyable line.
func (l *lines) code(st lipgloss.Style, s string) { l.add(common.CodeBlock(st, l.width, s)) }

// focusNext marks the next line added as the one to keep visible.
func (l *lines) focusNext() { l.focus = l.n }

func (l *lines) String() string { return l.b.String() }
