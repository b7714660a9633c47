package common

import (
	"github.com/charmbracelet/x/ansi"

	"github.com/gitjira/gitjira/internal/termtext"
)

// Truncate cuts s to at most width cells, ending with "…" when it was cut.
// It counts cells, not runes (a wide rune takes two), and keeps styles.
func Truncate(s string, width int) string {
	if width <= 0 || ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// TruncateLeft cuts s to at most width cells from the start, beginning with
// "…" when it was cut: the end of a path (its file name) is what matters.
func TruncateLeft(s string, width int) string {
	w := ansi.StringWidth(s)
	if width <= 0 || w <= width {
		return s
	}
	if width == 1 {
		return "…"
	}
	return "…" + ansi.TruncateLeft(s, w-width+1, "")
}

// ByteSize is n bytes the way du -h says it: "512 B", "1.5 KiB", "12 MiB"
// (internal/termtext's, which the domain's messages use too).
func ByteSize(n int64) string { return termtext.ByteSize(n) }

// OneLine is an error (often carrying what a server said) as one sanitised
// line of at most 500 characters; "" for nil.
func OneLine(err error) string {
	if err == nil {
		return ""
	}
	return termtext.Field(err.Error(), 500)
}

// ErrText is an error as a screen shows it in a paragraph: sanitised, its
// lines kept; "" for nil.
func ErrText(err error) string {
	if err == nil {
		return ""
	}
	return termtext.Sanitize(err.Error())
}

// Plural is "1 commit", "3 commits" (internal/termtext's).
func Plural(n int, one, many string) string { return termtext.Plural(n, one, many) }
