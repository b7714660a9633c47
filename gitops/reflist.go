package gitops

import (
	"bytes"
	"iter"
	"slices"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
)

// RefList is a list of refs (full name and object id) sorted by name, each
// name once. It is stored compactly, about 28 bytes per ref plus the name,
// in fixed-size chunks that never need copying as the list grows: a server
// with millions of refs (pull-request and review refs) costs memory in
// proportion, without the map and string overhead (~150 bytes a ref) or the
// copy when an array doubles.
type RefList struct {
	arena   [][]byte     // name bytes, in chunks of arenaChunk
	entries [][]refEntry // in arrival order, in chunks of entryChunk
	n       int
	// order lists entry numbers by name, duplicates removed; nil when the
	// refs arrived sorted and unique (what git sends), the identity.
	order  []uint32
	sorted bool // so far, each name was greater than the one before
	last   []byte
	// peeled holds "^{}" values (what an annotated tag points at) by entry
	// number, in increasing entry order.
	peeled []peeledRef
}

type refEntry struct {
	hash plumbing.Hash
	off  uint32 // chunk<<arenaShift | offset within the chunk
	n    uint16
}

type peeledRef struct {
	entry uint32
	hash  plumbing.Hash
}

const (
	arenaShift = 20
	arenaChunk = 1 << arenaShift // a name (at most 65535 bytes) always fits one chunk
	entryShift = 14
	entryChunk = 1 << entryShift
)

// maxRefNameLen is what refEntry.n can hold; pkt-lines are shorter anyway.
const maxRefNameLen = 1<<16 - 1

func newRefList() *RefList { return &RefList{sorted: true} }

// add appends a ref; call finish when all are added. name must be at most
// maxRefNameLen bytes.
func (l *RefList) add(name []byte, h plumbing.Hash) {
	if l.sorted && l.n > 0 && bytes.Compare(l.last, name) >= 0 {
		l.sorted = false
	}
	a := len(l.arena) - 1
	if a < 0 || len(l.arena[a])+len(name) > arenaChunk {
		l.arena = append(l.arena, make([]byte, 0, arenaChunk))
		a++
	}
	off := uint32(a)<<arenaShift | uint32(len(l.arena[a]))
	l.arena[a] = append(l.arena[a], name...)
	e := l.n >> entryShift
	if e == len(l.entries) {
		l.entries = append(l.entries, make([]refEntry, 0, entryChunk))
	}
	l.entries[e] = append(l.entries[e], refEntry{hash: h, off: off, n: uint16(len(name))})
	l.last = l.nameOf(uint32(l.n))
	l.n++
}

// lastName is the name of the ref added last (nil when none).
func (l *RefList) lastName() []byte {
	if l.n == 0 {
		return nil
	}
	return l.last
}

// addPeeled records the peeled value of the ref added last.
func (l *RefList) addPeeled(h plumbing.Hash) {
	if l.n > 0 {
		e := uint32(l.n - 1)
		if k := len(l.peeled); k > 0 && l.peeled[k-1].entry == e {
			l.peeled[k-1].hash = h
			return
		}
		l.peeled = append(l.peeled, peeledRef{entry: e, hash: h})
	}
}

// finish sorts the list when the refs did not arrive sorted, and drops
// repeated names (keeping the first). It returns the names dropped, at most
// max of them, and how many were dropped in all.
func (l *RefList) finish(max int) (dropped []string, count int) {
	if l.sorted {
		return nil, 0
	}
	order := make([]uint32, l.n)
	for i := range order {
		order[i] = uint32(i)
	}
	sort.SliceStable(order, func(a, b int) bool {
		return bytes.Compare(l.nameOf(order[a]), l.nameOf(order[b])) < 0
	})
	out := order[:0]
	for i, e := range order {
		if i > 0 && bytes.Equal(l.nameOf(e), l.nameOf(out[len(out)-1])) {
			if len(dropped) < max {
				dropped = append(dropped, string(l.nameOf(e)))
			}
			count++
			continue
		}
		out = append(out, e)
	}
	l.order = slices.Clip(out)
	l.sorted = true
	return dropped, count
}

func (l *RefList) entry(e uint32) *refEntry {
	return &l.entries[e>>entryShift][e&(entryChunk-1)]
}

func (l *RefList) nameOf(e uint32) []byte {
	ent := l.entry(e)
	c := l.arena[ent.off>>arenaShift]
	o := ent.off & (arenaChunk - 1)
	return c[o : o+uint32(ent.n)]
}

// at returns the entry number of the i-th ref in name order.
func (l *RefList) at(i int) uint32 {
	if l.order != nil {
		return l.order[i]
	}
	return uint32(i)
}

// Len returns the number of refs.
func (l *RefList) Len() int {
	if l == nil {
		return 0
	}
	if l.order != nil {
		return len(l.order)
	}
	return l.n
}

// Name returns the full name of the i-th ref in name order, e.g. "refs/heads/main".
func (l *RefList) Name(i int) string { return string(l.nameOf(l.at(i))) }

// ID returns the object id (hex) of the i-th ref in name order.
func (l *RefList) ID(i int) string { return l.entry(l.at(i)).hash.String() }

func (l *RefList) name(i int) []byte        { return l.nameOf(l.at(i)) }
func (l *RefList) hash(i int) plumbing.Hash { return l.entry(l.at(i)).hash }
func (l *RefList) peeledAt(i int) (plumbing.Hash, bool) {
	e := l.at(i)
	k, ok := sort.Find(len(l.peeled), func(k int) int {
		switch {
		case e < l.peeled[k].entry:
			return -1
		case e > l.peeled[k].entry:
			return 1
		}
		return 0
	})
	if !ok {
		return plumbing.ZeroHash, false
	}
	return l.peeled[k].hash, true
}

// find returns the position of name, or false.
func (l *RefList) find(name string) (int, bool) {
	n := l.Len()
	i := sort.Search(n, func(i int) bool { return string(l.name(i)) >= name })
	return i, i < n && string(l.name(i)) == name
}

// Get returns the object id (hex) of the ref called name.
func (l *RefList) Get(name string) (id string, ok bool) {
	if l == nil {
		return "", false
	}
	if i, ok := l.find(name); ok {
		return l.ID(i), true
	}
	return "", false
}

// All yields every ref's name and object id (hex) in name order.
func (l *RefList) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i := range l.Len() {
			if !yield(l.Name(i), l.ID(i)) {
				return
			}
		}
	}
}
