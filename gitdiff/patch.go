package gitdiff

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// FilePatch is one file's diff.
type FilePatch struct {
	Change Change
	// Binary: one side has a NUL in its first 8000 bytes (git's rule); no
	// hunks, git prints "Binary files … differ".
	Binary bool
	// TooLarge: a side is larger than packfile.BigObjectThreshold and is
	// not read; no hunks.
	TooLarge bool
	Hunks    []Hunk
	// Added and Deleted count the lines of all hunks, including those past
	// a MaxLines cut.
	Added, Deleted int
	// MoreLines counts the hunk lines left out past Options.MaxLines.
	MoreLines int
}

// Options bound a diff and shape its output.
type Options struct {
	// Abbrev is the length of abbreviated ids (index and Merge: lines);
	// 0 means 7. AbbrevOf, when set, gives each id's length instead (git
	// lengthens an id that shares its first digits with another object).
	Abbrev   int
	AbbrevOf func(plumbing.Hash) int
	// MaxLines bounds the hunk lines kept of one file (0: no bound).
	MaxLines int
}

// Short is id abbreviated as the options say.
func (o Options) Short(id plumbing.Hash) string {
	n := o.Abbrev
	if o.AbbrevOf != nil {
		n = o.AbbrevOf(id)
	}
	if n <= 0 {
		n = 7
	}
	return id.String()[:min(n, 40)]
}

// blobContent reads what git diffs for one side: a blob's bytes, a
// submodule's "Subproject commit" line, nothing for a missing side.
func blobContent(db Objects, mode uint32, id plumbing.Hash) ([]byte, error) {
	switch {
	case mode == 0:
		return nil, nil
	case mode&0o170000 == ModeGitlink:
		return []byte("Subproject commit " + id.String() + "\n"), nil
	}
	t, data, err := db.Object(id)
	if err != nil {
		return nil, err
	}
	if t != packfile.Blob {
		return nil, fmt.Errorf("object %s is a %s, not a file's content", id, t)
	}
	return data, nil
}

// Diff computes one change's patch. A type change is diffed as git prints
// it only through WritePatch (a deletion then an addition); Diff gives the
// line counts of both halves.
func Diff(db Objects, ch Change, opts Options) (*FilePatch, error) {
	fp := &FilePatch{Change: ch}
	if ch.OldID == ch.NewID && ch.Status != StatusTypeChanged {
		return fp, nil // a pure rename or mode change
	}
	oldMode, newMode := ch.OldMode, ch.NewMode
	a, errA := blobContent(db, oldMode, ch.OldID)
	b, errB := blobContent(db, newMode, ch.NewID)
	for _, err := range []error{errA, errB} {
		if errors.Is(err, packfile.ErrBigObject) {
			fp.TooLarge = true
			return fp, nil
		}
		if err != nil {
			return nil, err
		}
	}
	if isBinary(a) || isBinary(b) {
		fp.Binary = true
		return fp, nil
	}
	if ch.Status == StatusTypeChanged {
		// Two halves: everything deleted, everything added.
		fp.Hunks = append(diffLines(nil, a), diffLines(nil, b)...)
		fp.Hunks[0].Lines = flip(fp.Hunks[0].Lines)
	} else {
		fp.Hunks = diffLines(a, b)
	}
	fp.count(opts.MaxLines)
	return fp, nil
}

// flip turns an all-added hunk into an all-deleted one.
func flip(ls []Line) []Line {
	for i := range ls {
		ls[i].Kind = Deleted
	}
	return ls
}

func diffLines(a, b []byte) []Hunk {
	ra, rb := splitLines(a), splitLines(b)
	return hunks(ra, rb, lineChanges(ra, rb))
}

// count fills Added/Deleted and cuts the hunks past maxLines, copying
// what is kept so the lines left out are not held.
func (fp *FilePatch) count(maxLines int) {
	total := 0
	for _, h := range fp.Hunks {
		total += len(h.Lines)
		for _, l := range h.Lines {
			switch l.Kind {
			case Added:
				fp.Added++
			case Deleted:
				fp.Deleted++
			}
		}
	}
	if maxLines <= 0 || total <= maxLines {
		return
	}
	var kept []Hunk
	left := maxLines
	for _, h := range fp.Hunks {
		if left == 0 {
			break
		}
		if len(h.Lines) > left {
			h.Lines = append([]Line(nil), h.Lines[:left]...)
		}
		left -= len(h.Lines)
		kept = append(kept, h)
	}
	fp.Hunks = kept
	fp.MoreLines = total - maxLines
}

// WritePatch writes ch's diff as `git show` prints it (after the commit
// header): the diff --git line, the mode, rename and index lines, then the
// hunks or the "Binary files … differ" line.
func WritePatch(w io.Writer, db Objects, ch Change, opts Options) error {
	if ch.Status == StatusTypeChanged {
		del := Change{Status: StatusDeleted, OldPath: ch.OldPath, NewPath: ch.OldPath, OldMode: ch.OldMode, OldID: ch.OldID}
		add := Change{Status: StatusAdded, OldPath: ch.NewPath, NewPath: ch.NewPath, NewMode: ch.NewMode, NewID: ch.NewID}
		if err := WritePatch(w, db, del, opts); err != nil {
			return err
		}
		return WritePatch(w, db, add, opts)
	}
	opts.MaxLines = 0
	fp, err := Diff(db, ch, opts)
	if err != nil {
		return err
	}
	return fp.Write(w, opts)
}

// Write writes the patch as git does.
func (fp *FilePatch) Write(w io.Writer, opts Options) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	ch := fp.Change
	aName := quotePath("a/" + ch.OldPath)
	bName := quotePath("b/" + ch.NewPath)
	fmt.Fprintf(bw, "diff --git %s %s\n", aName, bName)
	switch ch.Status {
	case StatusAdded:
		fmt.Fprintf(bw, "new file mode %06o\n", ch.NewMode)
	case StatusDeleted:
		fmt.Fprintf(bw, "deleted file mode %06o\n", ch.OldMode)
	default:
		if ch.OldMode != ch.NewMode {
			fmt.Fprintf(bw, "old mode %06o\nnew mode %06o\n", ch.OldMode, ch.NewMode)
		}
	}
	if ch.Status == StatusRenamed {
		fmt.Fprintf(bw, "similarity index %d%%\nrename from %s\nrename to %s\n", ch.Similarity, quotePath(ch.OldPath), quotePath(ch.NewPath))
	}
	if ch.OldID != ch.NewID {
		fmt.Fprintf(bw, "index %s..%s", opts.Short(ch.OldID), opts.Short(ch.NewID))
		if ch.OldMode == ch.NewMode {
			fmt.Fprintf(bw, " %06o", ch.OldMode)
		}
		bw.WriteString("\n")
	}
	lblA, lblB := aName, bName
	if ch.Status == StatusAdded {
		lblA = "/dev/null"
	}
	if ch.Status == StatusDeleted {
		lblB = "/dev/null"
	}
	switch {
	case fp.Binary:
		fmt.Fprintf(bw, "Binary files %s and %s differ\n", lblA, lblB)
	case fp.TooLarge:
		fmt.Fprintf(bw, "File %s too large to show (over %d MiB)\n", strings.TrimPrefix(lblB, "b/"), packfile.BigObjectThreshold>>20)
	case len(fp.Hunks) > 0:
		fmt.Fprintf(bw, "--- %s%s\n+++ %s%s\n", lblA, tabIfSpace(lblA), lblB, tabIfSpace(lblB))
		for i := range fp.Hunks {
			h := &fp.Hunks[i]
			bw.WriteString(h.Header())
			bw.WriteByte('\n')
			for _, l := range h.Lines {
				bw.WriteByte(l.Kind)
				bw.WriteString(l.Text)
				bw.WriteByte('\n')
				if l.NoNewline {
					bw.WriteString("\\ No newline at end of file\n")
				}
			}
		}
	}
	return bw.Flush()
}

func tabIfSpace(s string) string {
	if strings.Contains(s, " ") {
		return "\t"
	}
	return ""
}

// quotePath is git's quote_c_style with core.quotePath on: a name with
// control characters, '"', '\\' or bytes of 0x80 and above is written in
// double quotes with C escapes.
func quotePath(s string) string {
	need := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			need = true
			break
		}
	}
	if !need {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\v':
			b.WriteString(`\v`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, "\\%03o", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
