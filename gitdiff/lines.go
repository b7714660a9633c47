package gitdiff

import (
	"bytes"
	"unicode/utf8"
)

// The line diff.
//
// The longest common subsequence comes from go-udiff's lcs package (a copy
// of gopls' internal/diff/lcs: Myers' algorithm, forward and backward, with
// a bound on the edit distance it searches). Around it, gitdiff does what
// git's xdiff does before and after its own Myers so that the hunks are the
// ones `git show` prints:
//   - lines are compared as records including their newline (a last line
//     without one differs from the same text with one);
//   - the common prefix and suffix are taken off, and lines that occur
//     nowhere in the other file are marked changed before the LCS runs
//     (xprepare.c's xdl_cleanup_records), which keeps the searched edit
//     distance small on rewrites;
//   - every group of changed lines is then slid as git's
//     xdl_change_compact slides it: as far down as it goes, back up to line
//     up with a change on the other side, else to the position the indent
//     heuristic (git's default since 2.14) scores best;
//   - hunks take 3 lines of context and merge when at most 6 lines apart,
//     and the header carries git's default function line (the nearest line
//     above the hunk that starts with a letter, '_' or '$', cut to 80 bytes).

// line kinds in a Hunk.
const (
	Context = ' '
	Added   = '+'
	Deleted = '-'
)

// Line is one line of a hunk: its kind and text without the newline.
type Line struct {
	Kind byte
	Text string
	// NoNewline: the file ends on this line without a newline (git's
	// "\ No newline at end of file").
	NoNewline bool
}

// Hunk is one @@ block.
type Hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	Func               string // the function line after the second @@
	Lines              []Line
}

// Header is the hunk's @@ line as git prints it.
func (h *Hunk) Header() string {
	var b []byte
	b = append(b, "@@ -"...)
	b = appendRange(b, h.OldStart, h.OldLines)
	b = append(b, " +"...)
	b = appendRange(b, h.NewStart, h.NewLines)
	b = append(b, " @@"...)
	if h.Func != "" {
		b = append(b, ' ')
		b = append(b, h.Func...)
	}
	return string(b)
}

func appendRange(b []byte, start, n int) []byte {
	if n == 0 {
		start--
	}
	b = appendInt(b, start)
	if n != 1 {
		b = append(b, ',')
		b = appendInt(b, n)
	}
	return b
}

func appendInt(b []byte, n int) []byte {
	var tmp [20]byte
	i := len(tmp)
	if n == 0 {
		return append(b, '0')
	}
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		tmp[i] = '-'
	}
	return append(b, tmp[i:]...)
}

// splitLines cuts data into records that keep their newline.
func splitLines(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	n := bytes.Count(data, []byte{'\n'})
	if data[len(data)-1] != '\n' {
		n++
	}
	out := make([][]byte, 0, n)
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			out = append(out, data)
			break
		}
		out = append(out, data[:i+1])
		data = data[i+1:]
	}
	return out
}

// change is one run of changed lines: a[I1:I1+N1] replaced by b[I2:I2+N2].
type change struct{ i1, n1, i2, n2 int }

// lineChanges marks the changed lines of a and b (records with their
// newlines) as git does and returns the runs, in order.
func lineChanges(a, b [][]byte) []change {
	// Number the distinct lines so comparisons are integer compares.
	ids := map[string]int32{}
	num := func(recs [][]byte) []int32 {
		out := make([]int32, len(recs))
		for i, r := range recs {
			id, ok := ids[string(r)]
			if !ok {
				id = int32(len(ids))
				ids[string(r)] = id
			}
			out[i] = id
		}
		return out
	}
	ra, rb := num(a), num(b)
	// Sentinels at both ends: changed[-1] and changed[n] are false.
	ca := make([]bool, len(ra)+2)
	cb := make([]bool, len(rb)+2)
	markChanged(ra, rb, ca[1:len(ca)-1], cb[1:len(cb)-1])
	compact(ra, ca, cb, a)
	compact(rb, cb, ca, b)
	var out []change
	i1, i2 := 0, 0
	for i1 < len(ra) || i2 < len(rb) {
		if i1 < len(ra) && ca[i1+1] || i2 < len(rb) && cb[i2+1] {
			s1, s2 := i1, i2
			for i1 < len(ra) && ca[i1+1] {
				i1++
			}
			for i2 < len(rb) && cb[i2+1] {
				i2++
			}
			out = append(out, change{s1, i1 - s1, s2, i2 - s2})
			continue
		}
		i1++
		i2++
	}
	return out
}

// markChanged sets ca/cb (one entry per line of a and b) for the lines
// outside the common subsequence git's Myers finds.
func markChanged(a, b []int32, ca, cb []bool) {
	// xdl_trim_ends: the common prefix and suffix are not changed.
	lo := 0
	for lo < len(a) && lo < len(b) && a[lo] == b[lo] {
		lo++
	}
	ea, eb := len(a), len(b)
	for ea > lo && eb > lo && a[ea-1] == b[eb-1] {
		ea--
		eb--
	}
	// xdl_cleanup_records: a line with no match in the other file is a
	// change; one with many matches is a change when it sits in a run of
	// such lines; the rest go to Myers.
	nA, nB := map[int32]int{}, map[int32]int{}
	for _, x := range a {
		nA[x]++
	}
	for _, x := range b {
		nB[x]++
	}
	ra := cleanup(a, lo, ea, nB, ca)
	rb := cleanup(b, lo, eb, nA, cb)
	x := make([]int32, len(ra))
	for i, k := range ra {
		x[i] = a[k]
	}
	y := make([]int32, len(rb))
	for i, k := range rb {
		y[i] = b[k]
	}
	m := newMyers(x, y)
	m.compare(0, len(x), 0, len(y), false)
	for i, ch := range m.changedX {
		if ch {
			ca[ra[i]] = true
		}
	}
	for i, ch := range m.changedY {
		if ch {
			cb[rb[i]] = true
		}
	}
}

const (
	discard     = 0
	keep        = 1
	investigate = 2

	kpdisRun      = 4
	maxEqLimit    = 1024
	simscanWindow = 100
)

// cleanup returns the indexes of recs[lo:hi] kept for Myers and marks the
// discarded ones changed (xprepare.c).
func cleanup(recs []int32, lo, hi int, other map[int32]int, changed []bool) []int {
	mlim := min(bogosqrt(len(recs)), maxEqLimit)
	action := make([]byte, hi-lo)
	for i := range action {
		switch nm := other[recs[lo+i]]; {
		case nm == 0:
			action[i] = discard
		case nm < mlim:
			action[i] = keep
		default:
			action[i] = investigate
		}
	}
	var kept []int
	for i, act := range action {
		if act == investigate {
			if cleanMatch(action, i) {
				act = discard
			} else {
				act = keep
			}
		}
		if act == keep {
			kept = append(kept, lo+i)
		} else {
			changed[lo+i] = true
		}
	}
	return kept
}

// cleanMatch is xdl_clean_mmatch: whether a many-match line at i lies in
// a run mostly made of lines without a match.
func cleanMatch(action []byte, i int) bool {
	s, e := 0, len(action)-1
	if i-s > simscanWindow {
		s = i - simscanWindow
	}
	if e-i > simscanWindow {
		e = i + simscanWindow
	}
	rdis0, rpdis0 := 0, 1
	for r := 1; i-r >= s; r++ {
		if action[i-r] == discard {
			rdis0++
		} else if action[i-r] == investigate {
			rpdis0++
		} else {
			break
		}
	}
	if rdis0 == 0 {
		return false
	}
	rdis1, rpdis1 := 0, 1
	for r := 1; i+r <= e; r++ {
		if action[i+r] == discard {
			rdis1++
		} else if action[i+r] == investigate {
			rpdis1++
		} else {
			break
		}
	}
	if rdis1 == 0 {
		return false
	}
	rdis1 += rdis0
	rpdis1 += rpdis0
	return rpdis1*kpdisRun < rpdis1+rdis1
}

// bogosqrt is xdl_bogosqrt.
func bogosqrt(n int) int {
	i := 1
	for ; n > 0; n >>= 2 {
		i <<= 1
	}
	return i
}

// Git's xdl_change_compact, ported (xdiff/xdiffi.c): slide each group of
// changed lines of one file, keeping the other file's groups in step.
// changed has a false sentinel at index 0 and at len(recs)+1; recs[i] is
// changed[i+1].
func compact(recs []int32, changed, other []bool, text [][]byte) {
	n := len(recs)
	c := func(i int) bool { return changed[i+1] }
	set := func(i int, v bool) { changed[i+1] = v }
	oc := func(i int) bool { return other[i+1] }
	on := len(other) - 2

	type group struct{ start, end int }
	initG := func(ch func(int) bool) group {
		g := group{}
		for ch(g.end) {
			g.end++
		}
		return g
	}
	next := func(g *group, ch func(int) bool, nrec int) bool {
		if g.end == nrec {
			return false
		}
		g.start = g.end + 1
		g.end = g.start
		for ch(g.end) {
			g.end++
		}
		return true
	}
	prev := func(g *group, ch func(int) bool) bool {
		if g.start == 0 {
			return false
		}
		g.end = g.start - 1
		g.start = g.end
		for ch(g.start - 1) {
			g.start--
		}
		return true
	}
	slideDown := func(g *group) bool {
		if g.end < n && recs[g.start] == recs[g.end] {
			set(g.start, false)
			g.start++
			set(g.end, true)
			g.end++
			for c(g.end) {
				g.end++
			}
			return true
		}
		return false
	}
	slideUp := func(g *group) bool {
		if g.start > 0 && recs[g.start-1] == recs[g.end-1] {
			g.start--
			set(g.start, true)
			g.end--
			set(g.end, false)
			for c(g.start - 1) {
				g.start--
			}
			return true
		}
		return false
	}

	g := initG(c)
	og := initG(oc)
	for {
		if g.end != g.start {
			var groupsize, earliestEnd int
			endMatchingOther := -1
			for {
				groupsize = g.end - g.start
				endMatchingOther = -1
				for slideUp(&g) {
					prev(&og, oc)
				}
				earliestEnd = g.end
				if og.end > og.start {
					endMatchingOther = g.end
				}
				for slideDown(&g) {
					next(&og, oc, on)
					if og.end > og.start {
						endMatchingOther = g.end
					}
				}
				if groupsize == g.end-g.start {
					break
				}
			}
			switch {
			case g.end == earliestEnd:
			case endMatchingOther != -1:
				for og.end == og.start {
					slideUp(&g)
					prev(&og, oc)
				}
			default:
				shift := earliestEnd
				if g.end-groupsize-1 > shift {
					shift = g.end - groupsize - 1
				}
				if g.end-indentMaxSliding > shift {
					shift = g.end - indentMaxSliding
				}
				bestShift := -1
				var best splitScore
				for ; shift <= g.end; shift++ {
					var s splitScore
					s.add(measureSplit(text, shift))
					s.add(measureSplit(text, shift-groupsize))
					if bestShift == -1 || s.cmp(best) <= 0 {
						best, bestShift = s, shift
					}
				}
				for g.end > bestShift {
					slideUp(&g)
					prev(&og, oc)
				}
			}
		}
		if !next(&g, c, n) {
			break
		}
		next(&og, oc, on)
	}
}

// The indent heuristic (xdiff/xdiffi.c), constants as git tuned them.
const (
	maxIndent                  = 200
	maxBlanks                  = 20
	indentMaxSliding           = 100
	startOfFilePenalty         = 1
	endOfFilePenalty           = 21
	totalBlankWeight           = -30
	postBlankWeight            = 6
	relIndentPenalty           = -4
	relIndentWithBlankPenalty  = 10
	relOutdentPenalty          = 24
	relOutdentWithBlankPenalty = 17
	relDedentPenalty           = 23
	relDedentWithBlankPenalty  = 17
	indentWeight               = 60
)

func getIndent(rec []byte) int {
	ret := 0
	for _, c := range rec {
		if !isSpace(c) {
			return ret
		} else if c == ' ' {
			ret++
		} else if c == '\t' {
			ret += 8 - ret%8
		}
		if ret >= maxIndent {
			return maxIndent
		}
	}
	return -1
}

// isSpace is git's XDL_ISSPACE (isspace in the C locale).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

type splitMeasurement struct {
	endOfFile             bool
	indent                int
	preBlank, preIndent   int
	postBlank, postIndent int
}

func measureSplit(recs [][]byte, split int) splitMeasurement {
	var m splitMeasurement
	if split >= len(recs) {
		m.endOfFile = true
		m.indent = -1
	} else {
		m.indent = getIndent(recs[split])
	}
	m.preIndent = -1
	for i := split - 1; i >= 0; i-- {
		m.preIndent = getIndent(recs[i])
		if m.preIndent != -1 {
			break
		}
		m.preBlank++
		if m.preBlank == maxBlanks {
			m.preIndent = 0
			break
		}
	}
	m.postIndent = -1
	for i := split + 1; i < len(recs); i++ {
		m.postIndent = getIndent(recs[i])
		if m.postIndent != -1 {
			break
		}
		m.postBlank++
		if m.postBlank == maxBlanks {
			m.postIndent = 0
			break
		}
	}
	return m
}

type splitScore struct{ effectiveIndent, penalty int }

func (s *splitScore) add(m splitMeasurement) {
	if m.preIndent == -1 && m.preBlank == 0 {
		s.penalty += startOfFilePenalty
	}
	if m.endOfFile {
		s.penalty += endOfFilePenalty
	}
	postBlank := 0
	if m.indent == -1 {
		postBlank = 1 + m.postBlank
	}
	totalBlank := m.preBlank + postBlank
	s.penalty += totalBlankWeight * totalBlank
	s.penalty += postBlankWeight * postBlank
	indent := m.indent
	if indent == -1 {
		indent = m.postIndent
	}
	anyBlanks := totalBlank != 0
	s.effectiveIndent += indent
	switch {
	case indent == -1, m.preIndent == -1, indent == m.preIndent:
	case indent > m.preIndent:
		s.penalty += pick(anyBlanks, relIndentWithBlankPenalty, relIndentPenalty)
	case m.postIndent != -1 && m.postIndent > indent:
		s.penalty += pick(anyBlanks, relOutdentWithBlankPenalty, relOutdentPenalty)
	default:
		s.penalty += pick(anyBlanks, relDedentWithBlankPenalty, relDedentPenalty)
	}
}

func pick(c bool, a, b int) int {
	if c {
		return a
	}
	return b
}

func (s splitScore) cmp(o splitScore) int {
	ci := 0
	if s.effectiveIndent > o.effectiveIndent {
		ci = 1
	} else if s.effectiveIndent < o.effectiveIndent {
		ci = -1
	}
	return indentWeight*ci + (s.penalty - o.penalty)
}

// contextLines is git's default -U3.
const contextLines = 3

// hunks turns the changes between a and b into git's hunks (xemit.c).
func hunks(a, b [][]byte, chs []change) []Hunk {
	var out []Hunk
	var funcLine string
	funcPrev := -1
	for i := 0; i < len(chs); {
		// Take the changes at most 2*context lines apart into one hunk.
		j := i
		for j+1 < len(chs) && chs[j+1].i1-(chs[j].i1+chs[j].n1) <= 2*contextLines {
			j++
		}
		first, last := chs[i], chs[j]
		s1 := max(first.i1-contextLines, 0)
		s2 := max(first.i2-contextLines, 0)
		lctx := min(contextLines, len(a)-(last.i1+last.n1), len(b)-(last.i2+last.n2))
		e1 := last.i1 + last.n1 + lctx
		e2 := last.i2 + last.n2 + lctx
		// The function line: searched from s1-1 upwards down to the
		// previous hunk's search start; kept from before when none.
		for l := s1 - 1; l != funcPrev && l >= 0; l-- {
			if f, ok := funcName(a[l]); ok {
				funcLine = f
				break
			}
		}
		funcPrev = s1 - 1
		h := Hunk{OldStart: s1 + 1, OldLines: e1 - s1, NewStart: s2 + 1, NewLines: e2 - s2, Func: funcLine}
		emit := func(kind byte, rec []byte) {
			l := Line{Kind: kind}
			if n := len(rec); n > 0 && rec[n-1] == '\n' {
				l.Text = string(rec[:n-1])
			} else {
				l.Text, l.NoNewline = string(rec), true
			}
			h.Lines = append(h.Lines, l)
		}
		for ; s2 < first.i2; s2++ {
			emit(Context, b[s2])
		}
		p1, p2 := first.i1, first.i2
		for k := i; k <= j; k++ {
			ch := chs[k]
			for ; p1 < ch.i1 && p2 < ch.i2; p1, p2 = p1+1, p2+1 {
				emit(Context, b[p2])
			}
			for p1 = ch.i1; p1 < ch.i1+ch.n1; p1++ {
				emit(Deleted, a[p1])
			}
			for p2 = ch.i2; p2 < ch.i2+ch.n2; p2++ {
				emit(Added, b[p2])
			}
		}
		for s2 = last.i2 + last.n2; s2 < e2; s2++ {
			emit(Context, b[s2])
		}
		out = append(out, h)
		i = j + 1
	}
	return out
}

// funcName is git's default function-line rule (xemit.c def_ff).
func funcName(rec []byte) (string, bool) {
	if len(rec) == 0 {
		return "", false
	}
	c := rec[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$') {
		return "", false
	}
	if len(rec) > 80 {
		rec = rec[:80]
	}
	for len(rec) > 0 && isSpace(rec[len(rec)-1]) {
		rec = rec[:len(rec)-1]
	}
	return validPrefix(rec), true
}

// validPrefix is rec up to its first invalid UTF-8 sequence: git cuts the
// hunk header line there (diff.c's sane_truncate_line), so a function
// line cut at 80 bytes inside a character loses that character.
func validPrefix(rec []byte) string {
	for i := 0; i < len(rec); {
		r, n := utf8.DecodeRune(rec[i:])
		if r == utf8.RuneError && n <= 1 {
			return string(rec[:i])
		}
		i += n
	}
	return string(rec)
}
