package termtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"main", "main"},
		{"line one\nline two", "line one\nline two"},
		{"a\tb", "a b"},
		{"\x1b[2J\x1b[Hcleared", "cleared"},
		{"\x1b]0;pwned title\x07after", "after"},
		{"\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"red\x1b[31mtext\x1b[0m", "redtext"},
		{"\u009b31mcsi8", "csi8"},
		{"\u009d0;title\u009cok", "ok"},
		{"bell\x07 back\x08space\r\n", "bell backspace\n"},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"rtl \u202eevil", "rtl evil"},
		{"\x1bPdcs string\x1b\\tail", "tail"},
		{"\x1b(Bcharset", "charset"},
		{"trailing esc\x1b", "trailing esc"},
		{"ünïcödé ✓ 日本", "ünïcödé ✓ 日本"},
		{"del\x7f", "del"},
	}
	for _, c := range cases {
		if got := Sanitize(c.in); got != c.want {
			t.Errorf("Sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOneLineTruncateField(t *testing.T) {
	if got := OneLine("\n  \n  first \x1b[1mline\nsecond"); got != "first line" {
		t.Errorf("OneLine = %q", got)
	}
	if got := Truncate("abcdef", 4); got != "abc…" {
		t.Errorf("Truncate = %q", got)
	}
	if got := Truncate("日本語テキスト", 3); got != "日本…" {
		t.Errorf("Truncate runes = %q", got)
	}
	if got := Truncate("short", 10); got != "short" {
		t.Errorf("Truncate short = %q", got)
	}
	if got := Field("error: \x1b]0;x\x07repo gone\nmore", 8); got != "error:…" {
		t.Errorf("Field = %q", got)
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "\x1b]0;t\x07", "\u009b1m", "a\tb\nc", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if (r < 0x20 && r != '\n') || (r >= 0x7f && r <= 0x9f) || isBidiControl(r) {
				t.Fatalf("control %U left in %q (from %q)", r, out, s)
			}
		}
		if Sanitize(out) != out {
			t.Fatalf("not idempotent on %q", s)
		}
		if len(out) > len(s)*3+3 {
			t.Fatalf("grew too much")
		}
		_ = strings.Count(out, "\n")
	})
}
