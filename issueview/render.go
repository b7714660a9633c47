package issueview

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/gitjira/gitjira/gitdiff"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// diffStyles colour a diff as git does (--color): meta bold, hunk headers
// cyan, removed lines red, added green. Made from lipgloss' default
// renderer, which Run sets to the program's output (NO_COLOR, ASCII in
// tests).
type diffStyles struct {
	meta, frag, del, add, commit, key lipgloss.Style
}

func newDiffStyles() diffStyles {
	r := lipgloss.DefaultRenderer()
	return diffStyles{
		meta:   r.NewStyle().Bold(true),
		frag:   r.NewStyle().Foreground(lipgloss.Color("6")),
		del:    r.NewStyle().Foreground(lipgloss.Color("1")),
		add:    r.NewStyle().Foreground(lipgloss.Color("2")),
		commit: r.NewStyle().Foreground(lipgloss.Color("3")),
		key:    r.NewStyle().Bold(true).Reverse(true),
	}
}

// maxFileRows bounds the file summary at the top of a commit (the file
// list on tab has them all).
const maxFileRows = 200

// render lays the loaded commit out as rows: header, message (the issue
// key highlighted), the files, then each loaded file's diff.
func (p *commitPage) render() {
	d := p.detail
	m := p.m
	st := m.c.Styles
	ds := newDiffStyles()
	c := d.Commit
	var rows []string
	p.fileRow = p.fileRow[:0]
	add := func(s string) { rows = append(rows, s) }

	add(ds.commit.Render("commit "+c.ID.String()) + st.Hint.Render("  "+d.Repository))
	if len(d.ParentsShort) > 1 {
		add("Merge:  " + strings.Join(d.ParentsShort, " ") + st.Hint.Render("  (the diff is against the first parent)"))
	}
	add("Author: " + clean(c.Author.Name) + " <" + clean(c.Author.Email) + ">")
	add("Date:   " + c.Author.When.Format("Mon Jan 2 15:04:05 2006 -0700"))
	if bs := m.branches[c.ID.String()]; len(bs) > 0 {
		add("Branches: " + clean(strings.Join(bs, ", ")))
	} else if m.branchesLeft > 0 {
		add(st.Hint.Render("Branches: …"))
	}
	if url := clean(p.commit().WebURL); url != "" {
		add("Web:    " + link(url, url))
	}
	add("")
	for line := range strings.SplitSeq(strings.TrimRight(c.Message, "\n"), "\n") {
		add("    " + highlight(expand(clean(line)), m.key, ds.key))
	}
	if c.MessageCut {
		add(st.Hint.Render("    … (the message is longer than 1 MiB; the rest is not shown)"))
	}
	add("")

	added, deleted := 0, 0
	for _, fp := range d.Patches {
		added += fp.Added
		deleted += fp.Deleted
	}
	summary := fmt.Sprintf("%d files changed", len(d.Changes))
	if len(d.Changes) == 1 {
		summary = "1 file changed"
	}
	if len(d.Patches) == len(d.Changes) {
		summary += fmt.Sprintf(", %d insertions(+), %d deletions(-)", added, deleted)
	}
	if len(d.Changes) == 0 {
		summary = "No file changed (an empty commit)."
	}
	add(st.Label.Render(summary) + st.Hint.Render("  (tab: file list)"))
	for i, ch := range d.Changes {
		if i == maxFileRows {
			add(st.Hint.Render(fmt.Sprintf("  … %d more files (tab lists them all)", len(d.Changes)-i)))
			break
		}
		add("  " + colourCounts(fileLine(ch, p.patch(i)), ds))
	}
	add("")

	for _, fp := range d.Patches {
		p.fileRow = append(p.fileRow, len(rows))
		rows = append(rows, patchRows(fp, ds, st.Hint)...)
	}
	if n := len(d.Changes) - len(d.Patches); n > 0 {
		add(st.Hint.Render(fmt.Sprintf("… %d more files: scroll to the end to load them", n)))
	}

	// Cut each row to the width (the viewport would wrap them otherwise).
	p.rows = rows
	p.plain = make([]string, len(rows))
	for i, r := range rows {
		p.plain[i] = strings.ToLower(ansi.Strip(r))
		if p.width > 0 && ansi.StringWidth(r) > p.width {
			rows[i] = ansi.Truncate(r, p.width, "…")
		}
	}
	p.vp.SetContent(strings.Join(rows, "\n"))
}

// fileLine is a file as the list shows it: status, path (old → new for a
// rename), and +/- counts once its diff is loaded.
func fileLine(ch gitdiff.Change, fp *gitdiff.FilePatch) string {
	path := clean(ch.Path())
	if ch.Status == gitdiff.StatusRenamed {
		path = clean(ch.OldPath) + " → " + clean(ch.NewPath) + fmt.Sprintf(" (%d%%)", ch.Similarity)
	}
	if ch.OldMode != 0 && ch.NewMode != 0 && ch.OldMode != ch.NewMode {
		path += fmt.Sprintf(" (mode %06o → %06o)", ch.OldMode, ch.NewMode)
	}
	counts := ""
	switch {
	case fp == nil:
		counts = "…"
	case fp.Binary:
		counts = "binary"
	case fp.TooLarge:
		counts = "too large"
	default:
		counts = fmt.Sprintf("+%d -%d", fp.Added, fp.Deleted)
	}
	return fmt.Sprintf("%c %s  %s", ch.Status, path, counts)
}

// colourCounts colours the trailing "+a -d" of a file line.
func colourCounts(line string, ds diffStyles) string {
	i := strings.LastIndex(line, "  +")
	if i < 0 {
		return line
	}
	plus, minus, _ := strings.Cut(line[i+2:], " ")
	return line[:i+2] + ds.add.Render(plus) + " " + ds.del.Render(minus)
}

// patchRows renders one file's diff in git's layout.
func patchRows(fp *gitdiff.FilePatch, ds diffStyles, hint lipgloss.Style) []string {
	ch := fp.Change
	var rows []string
	rows = append(rows, ds.meta.Render("diff --git a/"+clean(ch.OldPath)+" b/"+clean(ch.NewPath)))
	switch ch.Status {
	case gitdiff.StatusAdded:
		rows = append(rows, ds.meta.Render(fmt.Sprintf("new file mode %06o", ch.NewMode)))
	case gitdiff.StatusDeleted:
		rows = append(rows, ds.meta.Render(fmt.Sprintf("deleted file mode %06o", ch.OldMode)))
	case gitdiff.StatusTypeChanged:
		rows = append(rows, ds.meta.Render(fmt.Sprintf("type change %06o → %06o", ch.OldMode, ch.NewMode)))
	default:
		if ch.OldMode != ch.NewMode {
			rows = append(rows, ds.meta.Render(fmt.Sprintf("old mode %06o", ch.OldMode)), ds.meta.Render(fmt.Sprintf("new mode %06o", ch.NewMode)))
		}
	}
	if ch.Status == gitdiff.StatusRenamed {
		rows = append(rows, ds.meta.Render(fmt.Sprintf("similarity index %d%%", ch.Similarity)),
			ds.meta.Render("rename from "+clean(ch.OldPath)), ds.meta.Render("rename to "+clean(ch.NewPath)))
	}
	switch {
	case fp.Binary:
		rows = append(rows, "Binary files differ (not shown)")
	case fp.TooLarge:
		rows = append(rows, hint.Render("A side is larger than 16 MiB: not shown."))
	}
	for _, h := range fp.Hunks {
		rows = append(rows, ds.frag.Render(clean(h.Header())))
		for _, l := range h.Lines {
			text := string(l.Kind) + expand(clean(l.Text))
			switch l.Kind {
			case gitdiff.Added:
				text = ds.add.Render(text)
			case gitdiff.Deleted:
				text = ds.del.Render(text)
			}
			rows = append(rows, text)
			if l.NoNewline {
				rows = append(rows, hint.Render(`\ No newline at end of file`))
			}
		}
	}
	if fp.MoreLines > 0 {
		rows = append(rows, hint.Render(fmt.Sprintf("… %d more lines of this file: scroll to the end to load them", fp.MoreLines)))
	}
	rows = append(rows, "")
	return rows
}

// clean makes text from the repository safe for the terminal.
func clean(s string) string { return termtext.Sanitize(strings.ReplaceAll(s, "\t", "    ")) }

// expand turns tabs into spaces (4 columns: code stays readable at 80).
func expand(s string) string { return strings.ReplaceAll(s, "\t", "    ") }

// highlight marks each mention of the issue key in a message line.
func highlight(line, key string, st lipgloss.Style) string {
	keys := store.IssueKeys(line)
	found := false
	for _, k := range keys {
		if k == key {
			found = true
		}
	}
	if !found {
		return line
	}
	var b strings.Builder
	rest := line
	for {
		i := strings.Index(rest, key)
		if i < 0 {
			b.WriteString(rest)
			break
		}
		// Only where the index's rules see the key (not XPROJ-7, PROJ-70).
		before := i == 0 || !isWord(rest[i-1])
		after := i+len(key) >= len(rest) || rest[i+len(key)] < '0' || rest[i+len(key)] > '9'
		b.WriteString(rest[:i])
		if before && after {
			b.WriteString(st.Render(key))
		} else {
			b.WriteString(key)
		}
		rest = rest[i+len(key):]
	}
	return b.String()
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// link is an OSC 8 hyperlink: terminals that know it make text clickable,
// the others show text.
func link(url, text string) string {
	return "\x1b]8;;" + url + "\a" + text + "\x1b]8;;\a"
}
