package steps

import (
	"strings"

	"github.com/gitjira/gitjira/ui/common"
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
