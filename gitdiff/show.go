package gitdiff

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
)

// gitDate is git's default date format ("Thu Apr 7 15:13:13 2005 -0700").
const gitDate = "Mon Jan 2 15:04:05 2006 -0700"

// WriteHeader writes the commit as `git show` (format medium, no
// decorations) prints it before the diff: commit, Merge:, Author:, Date:
// lines and the message indented by four spaces, tabs expanded.
func WriteHeader(w io.Writer, c *Commit, opts Options) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("commit " + c.ID.String() + "\n")
	if len(c.Parents) > 1 {
		bw.WriteString("Merge:")
		for _, p := range c.Parents {
			bw.WriteString(" " + opts.Short(p))
		}
		bw.WriteString("\n")
	}
	bw.WriteString("Author: " + c.Author.Name + " <" + c.Author.Email + ">\n")
	bw.WriteString("Date:   " + c.Author.When.Format(gitDate) + "\n")
	bw.WriteString("\n")
	bw.WriteString(indentMessage(c.Message))
	return bw.Flush()
}

// indentMessage is pretty.c's pp_remainder for the medium format: leading
// blank lines skipped, each line's trailing white space dropped, four
// spaces and tabs expanded to 8 columns, trailing blank lines dropped.
func indentMessage(msg string) string {
	var b strings.Builder
	first := true
	for line := range strings.SplitSeq(msg, "\n") {
		line = strings.TrimRightFunc(line, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
		if line == "" && first {
			continue
		}
		first = false
		b.WriteString("    ")
		b.WriteString(expandTabs(line))
		b.WriteByte('\n')
	}
	out := strings.TrimRight(b.String(), " \t\n")
	if out == "" {
		return ""
	}
	return out + "\n"
}

func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		s = s[n:]
		if r == '\t' {
			k := 8 - col%8
			b.WriteString(strings.Repeat(" ", k))
			col += k
			continue
		}
		b.WriteRune(r)
		col++
	}
	return b.String()
}

// WriteShow writes commit id as `git show --first-parent` prints it:
// header, message, then each changed file's diff, one file in memory at a
// time.
func WriteShow(w io.Writer, db Objects, id plumbing.Hash, opts Options) error {
	c, err := ReadCommit(db, id)
	if err != nil {
		return err
	}
	chs, err := CommitChanges(db, c)
	if err != nil {
		return err
	}
	if err := WriteHeader(w, c, opts); err != nil {
		return err
	}
	if len(chs) > 0 {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	for _, ch := range chs {
		if err := WritePatch(w, db, ch, opts); err != nil {
			return err
		}
	}
	return nil
}
