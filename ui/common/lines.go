package common

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// Lines builds a part of a screen: text wrapped to the width, blank lines,
// copyable lines (CodeBlock), and the index of the line to keep visible.
type Lines struct {
	width int
	b     strings.Builder
	n     int // lines written so far
	focus int
}

// NewLines is a builder for width cells (0: no wrapping).
func NewLines(width int) *Lines { return &Lines{width: width, focus: -1} }

// Add appends text (one or more lines, already rendered).
func (l *Lines) Add(text string) {
	if l.b.Len() > 0 {
		l.b.WriteByte('\n')
	}
	l.b.WriteString(text)
	l.n += strings.Count(text, "\n") + 1
}

// Text appends s in style st, word-wrapped to the width.
func (l *Lines) Text(st lipgloss.Style, s string) { l.Add(Wrap(st, l.width, s)) }

// Blank appends an empty line.
func (l *Lines) Blank() { l.Add("") }

// Code appends a copyable line.
func (l *Lines) Code(st lipgloss.Style, s string) { l.Add(CodeBlock(st, l.width, s)) }

// FocusNext marks the next line added as the one to keep visible.
func (l *Lines) FocusNext() { l.focus = l.n }

// Focus is the line to keep visible (-1: none).
func (l *Lines) Focus() int { return l.focus }

// Len is the number of lines written.
func (l *Lines) Len() int { return l.n }

func (l *Lines) String() string { return l.b.String() }
