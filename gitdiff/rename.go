package gitdiff

import (
	"errors"
	"sort"
	"strings"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// Rename detection as git's diffcore-rename.c does it by default (git diff
// and git show: renames on, similarity at least 50%, no copies):
//  1. exact renames: an added file whose blob a deleted file had (same
//     kind for non-regular files), preferring a source with the same
//     basename;
//  2. files whose basename is unique among the remaining sources and
//     destinations are paired when at least 75% similar;
//  3. the remaining pairs are scored (diffcore-delta.c's span hashes:
//     what share of the larger file's bytes, in lines of at most 64 bytes,
//     the source holds), the best 4 sources of each destination kept, and
//     pairs taken best first; none when sources × destinations exceed
//     renameLimit², as git skips inexact detection then.
// The rename sits at the new path's place in the list.

const (
	maxScore       = 60000
	minScore       = maxScore / 2 // -M50%
	basenameScore  = minScore + (maxScore-minScore)/2
	renameLimit    = 1000 // diff.renameLimit's default
	candidatesPerD = 4
)

// detectRenames pairs deletions and additions in chs.
func detectRenames(db Objects, chs []Change) ([]Change, error) {
	var srcs, dsts []int
	for i, c := range chs {
		switch c.Status {
		case StatusDeleted:
			srcs = append(srcs, i)
		case StatusAdded:
			dsts = append(dsts, i)
		}
	}
	if len(srcs) == 0 || len(dsts) == 0 {
		return chs, nil
	}
	used := make(map[int]bool)   // sources taken
	renamed := make(map[int]int) // destination -> source
	score := make(map[int]int)   // destination -> score
	pair := func(d, s, sc int) { renamed[d], score[d], used[s] = s, sc, true }

	// 1. Exact.
	byID := map[plumbing.Hash][]int{}
	for _, s := range srcs {
		byID[chs[s].OldID] = append(byID[chs[s].OldID], s)
	}
	for _, d := range dsts {
		best, bestScore := -1, -1
		for _, s := range byID[chs[d].NewID] {
			if used[s] {
				continue
			}
			if !isRegular(chs[s].OldMode) || !isRegular(chs[d].NewMode) {
				if chs[s].OldMode != chs[d].NewMode {
					continue
				}
			}
			sc := 1 + basenameSame(chs[s].OldPath, chs[d].NewPath)
			if sc > bestScore {
				best, bestScore = s, sc
				if sc == 2 {
					break
				}
			}
		}
		if best >= 0 {
			pair(d, best, maxScore)
		}
	}
	remainS := func() []int {
		var out []int
		for _, s := range srcs {
			if !used[s] {
				out = append(out, s)
			}
		}
		return out
	}
	remainD := func() []int {
		var out []int
		for _, d := range dsts {
			if _, ok := renamed[d]; !ok {
				out = append(out, d)
			}
		}
		return out
	}
	sigs := map[plumbing.Hash]*blobSig{}
	sig := func(id plumbing.Hash) *blobSig {
		if s, ok := sigs[id]; ok {
			return s
		}
		s := readSig(db, id)
		sigs[id] = s
		return s
	}
	similarity := func(s, d int) int {
		if !isRegular(chs[s].OldMode) || !isRegular(chs[d].NewMode) {
			return 0
		}
		a, b := sig(chs[s].OldID), sig(chs[d].NewID)
		if a == nil || b == nil {
			return 0
		}
		return estimate(a, b)
	}

	// 2. Unique basenames.
	rs, rd := remainS(), remainD()
	srcBase := map[string]int{}
	for _, s := range rs {
		b := basename(chs[s].OldPath)
		if _, dup := srcBase[b]; dup {
			srcBase[b] = -1
		} else {
			srcBase[b] = s
		}
	}
	dstBase := map[string]int{}
	for _, d := range rd {
		b := basename(chs[d].NewPath)
		if _, dup := dstBase[b]; dup {
			dstBase[b] = -1
		} else {
			dstBase[b] = d
		}
	}
	for _, s := range rs {
		b := basename(chs[s].OldPath)
		d, ok := dstBase[b]
		if !ok || srcBase[b] != s || d < 0 {
			continue
		}
		if _, done := renamed[d]; done {
			continue
		}
		if sc := similarity(s, d); sc >= basenameScore {
			pair(d, s, sc)
		}
	}

	// 3. Inexact.
	rs, rd = remainS(), remainD()
	if len(rs) > 0 && len(rd) > 0 && len(rs)*len(rd) <= renameLimit*renameLimit {
		type cand struct{ src, dst, score, nameScore int }
		worse := func(a, b cand) bool { // a sorts after b
			if a.dst < 0 {
				return b.dst >= 0
			}
			if b.dst < 0 {
				return false
			}
			if a.score == b.score {
				return a.nameScore < b.nameScore
			}
			return a.score < b.score
		}
		var mx []cand
		for _, d := range rd {
			m := [candidatesPerD]cand{}
			for k := range m {
				m[k].dst = -1
			}
			for _, s := range rs {
				o := cand{src: s, dst: d, score: similarity(s, d), nameScore: basenameSame(chs[s].OldPath, chs[d].NewPath)}
				w := 0
				for k := 1; k < candidatesPerD; k++ {
					if worse(m[k], m[w]) {
						w = k
					}
				}
				if worse(m[w], o) {
					m[w] = o
				}
			}
			mx = append(mx, m[:]...)
		}
		sort.SliceStable(mx, func(i, j int) bool { return worse(mx[j], mx[i]) })
		for _, c := range mx {
			if c.dst < 0 || c.score < minScore {
				break
			}
			if _, done := renamed[c.dst]; done || used[c.src] {
				continue
			}
			pair(c.dst, c.src, c.score)
		}
	}
	if len(renamed) == 0 {
		return chs, nil
	}
	out := make([]Change, 0, len(chs)-len(renamed))
	for i, c := range chs {
		if c.Status == StatusDeleted && used[i] {
			continue
		}
		if s, ok := renamed[i]; ok {
			src := chs[s]
			c.Status = StatusRenamed
			c.OldPath, c.OldMode, c.OldID = src.OldPath, src.OldMode, src.OldID
			c.Similarity = score[i] * 100 / maxScore // diff.c similarity_index truncates
		}
		out = append(out, c)
	}
	return out, nil
}

func isRegular(mode uint32) bool { return mode&0o170000 == 0o100000 }

func basename(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// basenameSame is diffcore-rename.c's basename_same.
func basenameSame(a, b string) int {
	i, j := len(a), len(b)
	for i > 0 && j > 0 {
		i--
		j--
		if a[i] != b[j] {
			return 0
		}
		if a[i] == '/' {
			return 1
		}
	}
	if (i == 0 || a[i-1] == '/') && (j == 0 || b[j-1] == '/') {
		return 1
	}
	return 0
}

// blobSig is what similarity needs of a blob: its size and span hashes.
type blobSig struct {
	size  int
	spans map[uint32]uint32
}

// readSig reads a blob and hashes it (nil when it cannot be read or is too
// large to read whole: such files are not paired inexactly).
func readSig(db Objects, id plumbing.Hash) *blobSig {
	t, data, err := db.Object(id)
	if err != nil || t != packfile.Blob {
		if err != nil && !errors.Is(err, packfile.ErrBigObject) {
			return nil
		}
		return nil
	}
	return &blobSig{size: len(data), spans: hashSpans(data)}
}

// hashSpans is diffcore-delta.c's hash_chars: spans end at a newline or
// after 64 bytes; a CR before LF is skipped in text.
func hashSpans(buf []byte) map[uint32]uint32 {
	const hashBase = 107927
	text := !isBinary(buf)
	out := map[uint32]uint32{}
	var n, accum1, accum2 uint32
	for i := 0; i < len(buf); i++ {
		c := uint32(buf[i])
		old1 := accum1
		if text && c == '\r' && i+1 < len(buf) && buf[i+1] == '\n' {
			continue
		}
		accum1 = (accum1 << 7) ^ (accum2 >> 25)
		accum2 = (accum2 << 7) ^ (old1 >> 25)
		accum1 += c
		n++
		if n < 64 && c != '\n' {
			continue
		}
		out[(accum1+accum2*0x61)%hashBase] += n
		n, accum1, accum2 = 0, 0, 0
	}
	if n > 0 {
		out[(accum1+accum2*0x61)%hashBase] += n
	}
	return out
}

// estimate is estimate_similarity: 0..maxScore.
func estimate(src, dst *blobSig) int {
	maxSize, baseSize := max(src.size, dst.size), min(src.size, dst.size)
	delta := maxSize - baseSize
	if int64(maxSize)*(maxScore-minScore) < int64(delta)*maxScore {
		return 0
	}
	if dst.size == 0 {
		return 0
	}
	var copied int64
	for h, sc := range src.spans {
		dc := dst.spans[h]
		copied += int64(min(sc, dc))
	}
	return int(copied * maxScore / int64(maxSize))
}

// isBinary is git's buffer_is_binary: a NUL in the first 8000 bytes.
func isBinary(b []byte) bool {
	if len(b) > 8000 {
		b = b[:8000]
	}
	for _, c := range b {
		if c == 0 {
			return true
		}
	}
	return false
}
