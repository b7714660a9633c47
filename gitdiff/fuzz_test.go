package gitdiff

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// Mirror contents come from a remote: commits and trees are parsed without
// panicking whatever they hold.
func FuzzParseCommit(f *testing.F) {
	f.Add([]byte("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@b> 1700000000 +0100\ncommitter A <a@b> 1700000000 -0130\n\nmsg\n"))
	f.Add([]byte("tree x\n\n"))
	f.Add([]byte("author <> x y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCommit(plumbing.ZeroHash, data)
		if err == nil {
			_ = c.Subject()
			_ = indentMessage(c.Message)
		}
	})
}

type memObjects map[plumbing.Hash][]byte

func (m memObjects) Object(id plumbing.Hash) (packfile.Type, []byte, error) {
	return packfile.Tree, m[id], nil
}

func FuzzReadTree(f *testing.F) {
	f.Add([]byte("100644 a\x00aaaaaaaaaaaaaaaaaaaa40000 d\x00bbbbbbbbbbbbbbbbbbbb"))
	f.Add([]byte("100644 a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		id := plumbing.NewHash("1111111111111111111111111111111111111111")
		entries, err := readTree(memObjects{id: data}, id)
		if err == nil {
			for _, e := range entries {
				_ = compareEntries(e, e)
			}
		}
	})
}

// Applying the hunks of diffLines(a, b) to a gives b, and every line of a
// and b is accounted for: the port of git's Myers, cleanup and compaction
// never loses or invents a line.
func FuzzLineDiff(f *testing.F) {
	f.Add("a\nb\nc\nd\n", "a\nc\nd\ne\n")
	f.Add("x\n\ny\n}\n\nz", "x\n\ny\n}\n\nw\n}\n\nz")
	f.Add("", "one")
	f.Add("same\n", "same\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 4000 || len(b) > 4000 {
			return
		}
		hs := diffLines([]byte(a), []byte(b))
		got := apply(t, splitLines([]byte(a)), hs)
		if got != b {
			t.Fatalf("applying the hunks of %q -> %q gives %q", a, b, got)
		}
	})
}

func apply(t *testing.T, a [][]byte, hs []Hunk) string {
	var out bytes.Buffer
	pos := 0 // next line of a
	for _, h := range hs {
		start := h.OldStart - 1 // Header prints one less for an empty side
		if start < pos || start > len(a) {
			t.Fatalf("hunk %s out of order", h.Header())
		}
		for ; pos < start; pos++ {
			out.Write(a[pos])
		}
		for _, l := range h.Lines {
			text := l.Text
			if !l.NoNewline {
				text += "\n"
			}
			switch l.Kind {
			case Context, Deleted:
				if pos >= len(a) || string(a[pos]) != text {
					t.Fatalf("hunk %s: %q does not match line %d", h.Header(), strings.TrimSpace(text), pos+1)
				}
				pos++
				if l.Kind == Context {
					out.WriteString(text)
				}
			case Added:
				out.WriteString(text)
			}
		}
	}
	for ; pos < len(a); pos++ {
		out.Write(a[pos])
	}
	return out.String()
}
