// Package termtext makes text from outside (a git server, a Jira site, a
// file) safe to show in a terminal or store in a file: gitjira's one
// sanitiser and one truncation. A peer must not be able to clear the screen,
// set the window title, recolour the terminal or hide text by sending escape
// sequences (git treats this class as a vulnerability, CVE-2024-52005).
package termtext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize returns s with every escape sequence (CSI, OSC, DCS, SOS, PM, APC
// and two-character ESC sequences, in their 7-bit and 8-bit forms) removed,
// every other C0 and C1 control character and DEL removed except newline and
// tab (a tab becomes a space), invalid UTF-8 replaced by U+FFFD, and the
// Unicode bidirectional overrides dropped. Printable text is kept as is.
func Sanitize(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
			i++
			continue
		case r == 0x1b: // ESC
			i += skipEscape(s[i+1:]) + 1
			continue
		case r >= 0x80 && r <= 0x9f: // C1
			i += size
			switch r {
			case 0x9b: // CSI
				i += skipCSI(s[i:])
			case 0x9d, 0x90, 0x98, 0x9e, 0x9f: // OSC, DCS, SOS, PM, APC
				i += skipString(s[i:])
			}
			continue
		case r == '\n':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			// other C0 controls (BEL, BS, CR...) dropped
		case isBidiControl(r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII (and newlines) only: the
// common case, which needs no copy.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\n') || c >= 0x7f {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// skipEscape returns how many bytes of s (what follows an ESC) belong to the
// escape sequence.
func skipEscape(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case '[':
		return 1 + skipCSI(s[1:])
	case ']', 'P', 'X', '^', '_':
		return 1 + skipString(s[1:])
	}
	// ESC, intermediates (0x20-0x2f), then one final byte (0x30-0x7e).
	n := 0
	for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
		n++
	}
	if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
		n++
	}
	return n
}

// skipCSI skips parameter and intermediate bytes and the final byte.
func skipCSI(s string) int {
	n := 0
	for n < len(s) && s[n] >= 0x20 && s[n] <= 0x3f {
		n++
	}
	if n < len(s) && s[n] >= 0x40 && s[n] <= 0x7e {
		n++
	}
	return n
}

// skipString skips a control string up to and including its terminator
// (BEL, ESC \ or the 8-bit ST), or to the end of s.
func skipString(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0x07:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i + 1
		case 0xc2:
			if i+1 < len(s) && s[i+1] == 0x9c {
				return i + 2
			}
		}
	}
	return len(s)
}

// OneLine sanitises s and keeps its first non-empty line, trimmed.
func OneLine(s string) string {
	s = Sanitize(s)
	for _, line := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(line); t != "" {
			return t
		}
	}
	return ""
}

// Truncate shortens s to at most n runes, ending with "…" when it was cut.
// It never splits a rune.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRightFunc(string(r[:n-1]), unicode.IsSpace) + "…"
}

// Field sanitises text from a peer for storing or showing on one line: the
// first line only, at most n runes (n <= 0: no limit).
func Field(s string, n int) string {
	s = OneLine(s)
	if n > 0 {
		s = Truncate(s, n)
	}
	return s
}

// ByteSize is n bytes the way du -h says it: "512 B", "1.5 KiB", "12 MiB".
func ByteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, u := float64(n)/unit, 0
	for v >= unit && u < 5 {
		v /= unit
		u++
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, units[u])
	}
	return fmt.Sprintf("%.0f %s", v, units[u])
}

// Plural is "1 commit", "3 commits".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
