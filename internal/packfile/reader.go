package packfile

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// Pack is a pack opened for reading: its index, its mapped data, and the
// types file the indexer wrote beside it when there is one.
type Pack struct {
	Path  string // the .pack file
	Index *Index
	data  []byte
	unmap []func() error
	types []Type
}

// OpenPack opens the pack at path (".../pack-<sha>.pack") with its .idx.
// Both are mapped, not read: only the pages that are used become resident.
func OpenPack(path string) (*Pack, error) {
	idxData, unmapIdx, err := mapFile(strings.TrimSuffix(path, ".pack") + ".idx")
	if err != nil {
		return nil, err
	}
	p := &Pack{Path: path, unmap: []func() error{unmapIdx}}
	if p.Index, err = ParseIndex(idxData); err != nil {
		p.Close()
		return nil, err
	}
	data, unmap, err := mapFile(path)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.unmap = append(p.unmap, unmap)
	if len(data) < 32 || string(data[:4]) != "PACK" {
		p.Close()
		return nil, corruptf("%s is not a pack", path)
	}
	if !bytes.Equal(data[len(data)-20:], p.Index.PackID[:]) {
		p.Close()
		return nil, corruptf("the index of %s is for another pack", path)
	}
	p.data = data
	// A damaged types file is not an error: the pack is read without it.
	p.types, _ = ReadTypes(path, p.Index)
	return p, nil
}

// newPackFromBytes makes a Pack of raw bytes with a given index (fuzzing).
func newPackFromBytes(data []byte, x *Index) *Pack { return &Pack{Path: "pack", data: data, Index: x} }

// Close unmaps the pack.
func (p *Pack) Close() error {
	var err error
	for _, u := range p.unmap {
		if e := u(); err == nil {
			err = e
		}
	}
	p.unmap, p.data = nil, nil
	return err
}

// HasTypes reports whether the pack came with a types file.
func (p *Pack) HasTypes() bool { return p.types != nil }

// TypeOf returns the type of the i-th object of the index from the types
// file; 0 when there is none.
func (p *Pack) TypeOf(i int) Type {
	if p.types == nil {
		return 0
	}
	return p.types[i]
}

// header parses the entry header at off.
func (p *Pack) header(off int64) (EntryHeader, error) {
	end := int64(len(p.data)) - 20
	if off < 12 || off >= end {
		return EntryHeader{}, corruptf("offset %d is outside %s", off, p.Path)
	}
	return ParseEntryHeader(p.data[off:end], off)
}

// entryData is the pack from the zlib data of the entry at off on.
func (p *Pack) entryData(off int64, h EntryHeader) []byte {
	return p.data[off+int64(h.Len) : len(p.data)-20]
}

// Types returns the type of every object in index order: from the types
// file, or else by reading every entry header in pack order (one sequential
// read of the file, through the page cache rather than the mapping, so the
// pack does not become resident). A type that cannot be told (a REF_DELTA
// on a base outside the pack) is 0.
func (p *Pack) Types() ([]Type, error) {
	if p.types != nil {
		return p.types, nil
	}
	n := p.Index.Count()
	type entry struct {
		off int64
		pos int32
	}
	ents := make([]entry, n)
	for i := range ents {
		off, ok := p.Index.Offset(i)
		if !ok {
			return nil, corruptf("bad offset in the index of %s", p.Path)
		}
		ents[i] = entry{off, int32(i)}
	}
	slices.SortFunc(ents, func(a, b entry) int { return cmp.Compare(a.off, b.off) })
	f, err := os.Open(p.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	types := make([]Type, n)
	type pending struct{ pos, base int32 }
	var later []pending
	var cur int64
	for k, e := range ents {
		if e.off < cur || e.off >= int64(len(p.data))-20 {
			return nil, corruptf("overlapping or out-of-range offsets in the index of %s", p.Path)
		}
		if _, err := br.Discard(int(e.off - cur)); err != nil {
			return nil, err
		}
		h, err := ReadEntryHeader(br, e.off)
		if err != nil {
			return nil, err
		}
		cur = e.off + int64(h.Len)
		switch h.Type {
		case OFSDelta:
			b, ok := slices.BinarySearchFunc(ents[:k], h.BaseOffset, func(x entry, off int64) int { return cmp.Compare(x.off, off) })
			if !ok {
				return nil, corruptf("delta at offset %d has no base in %s", e.off, p.Path)
			}
			if t := types[ents[b].pos]; t != 0 {
				types[e.pos] = t
			} else {
				later = append(later, pending{e.pos, ents[b].pos})
			}
		case REFDelta:
			b, ok := p.Index.Lookup(h.BaseID)
			if !ok {
				continue // base in another pack: unknown here
			}
			later = append(later, pending{e.pos, int32(b)})
		default:
			types[e.pos] = h.Type
		}
	}
	// REF_DELTA bases may come later in the pack; chains resolve in a few rounds.
	for progress := true; progress && len(later) > 0; {
		progress = false
		rest := later[:0]
		for _, pd := range later {
			if t := types[pd.base]; t != 0 {
				types[pd.pos] = t
				progress = true
			} else {
				rest = append(rest, pd)
			}
		}
		later = rest
	}
	p.types = types
	return types, nil
}

// PositionsOfType returns the index positions of the objects of type t,
// sorted by pack offset (the order that reads the pack forwards, where
// neighbours share delta bases).
func (p *Pack) PositionsOfType(t Type) ([]int, error) {
	types, err := p.Types()
	if err != nil {
		return nil, err
	}
	type po struct {
		off int64
		pos int
	}
	var sel []po
	for i, ty := range types {
		if ty == t {
			off, ok := p.Index.Offset(i)
			if !ok {
				return nil, corruptf("bad offset in the index of %s", p.Path)
			}
			sel = append(sel, po{off, i})
		}
	}
	slices.SortFunc(sel, func(a, b po) int { return cmp.Compare(a.off, b.off) })
	out := make([]int, len(sel))
	for i, s := range sel {
		out[i] = s.pos
	}
	return out, nil
}

// Objects reads objects that are not in the pack being read: a REF_DELTA's
// base in another pack, or a loose object.
type Objects interface {
	// Object returns an object's type and whole content (at most
	// BigObjectThreshold bytes: an error otherwise).
	Object(id plumbing.Hash) (Type, []byte, error)
	// ObjectType returns an object's type without reading it when it can.
	ObjectType(id plumbing.Hash) (Type, error)
}

// ErrBigObject is returned by Reader.Read for an object larger than
// BigObjectThreshold; Reader.Open streams such an object.
var ErrBigObject = errors.New("object too large to read whole")

// ErrBaseMissing is returned for a REF_DELTA whose base is nowhere.
var ErrBaseMissing = errors.New("delta base is missing")

// maxChain bounds delta chains (git's default depth is 50; a pack can make
// them as long as it has objects).
const maxChain = 10000

// Reader reads objects from packs. It keeps recently built delta bases up to
// MaxCache bytes (walking history reads neighbouring commits, which share
// their bases), inflates with one reused decoder, and builds objects larger
// than BigObjectThreshold in temporary files, never in memory. Not safe for
// concurrent use: make one per goroutine (a Pack may be shared).
type Reader struct {
	// MaxCache bounds the bytes of cached delta bases (0: no cache).
	MaxCache int64
	// TempDir holds the temporary files of big objects ("": the system's).
	TempDir string
	// Others reads REF_DELTA bases outside the pack; nil makes them errors.
	Others Objects

	z          Inflater
	cache      map[cacheKey]cached
	cacheBytes int64
	scratch    []byte
}

type cacheKey struct {
	p   *Pack
	off int64
}

type cached struct {
	typ  Type
	data []byte
}

// Read returns the type and content of the object at off. An object larger
// than BigObjectThreshold gives ErrBigObject (use Open). The content is the
// caller's, except that it may be shared with the cache: do not modify it.
func (r *Reader) Read(p *Pack, off int64) (Type, []byte, error) {
	t, c, err := r.load(p, off, BigObjectThreshold)
	if err != nil {
		return 0, nil, err
	}
	return t, c.Data, nil
}

// Open returns the type, size and a stream of the content of the object at
// off, whatever its size, in bounded memory. The stream is valid until the
// next call on r; Close it.
func (r *Reader) Open(p *Pack, off int64) (Type, int64, io.ReadCloser, error) {
	h, err := p.header(off)
	if err != nil {
		return 0, 0, nil, err
	}
	if h.Type.IsObject() {
		zr, err := r.z.Open(p.entryData(off, h))
		if err != nil {
			return 0, 0, nil, err
		}
		return h.Type, h.Size, io.NopCloser(&sizedReader{r: zr, left: h.Size}), nil
	}
	t, c, err := r.load(p, off, MaxObjectSize)
	if err != nil {
		return 0, 0, nil, err
	}
	return t, c.Size, contentReader{Reader: c.Reader(), c: c}, nil
}

type contentReader struct {
	io.Reader
	c *Content
}

func (c contentReader) Close() error { return c.c.Close() }

// sizedReader ends a stream after the size its header declared, and
// reports a shorter stream as corrupt.
type sizedReader struct {
	r    io.Reader
	left int64
}

func (s *sizedReader) Read(b []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > s.left {
		b = b[:s.left]
	}
	n, err := s.r.Read(b)
	s.left -= int64(n)
	if err == io.EOF && s.left > 0 {
		return n, corruptf("object is shorter than its header says")
	}
	if err != nil && err != io.EOF {
		return n, inflateErr(err, s.left)
	}
	return n, nil
}

// TypeAt returns the type of the object at off, following delta bases by
// their headers only: nothing is inflated.
func (r *Reader) TypeAt(p *Pack, off int64) (Type, error) {
	for range maxChain {
		h, err := p.header(off)
		if err != nil {
			return 0, err
		}
		switch h.Type {
		case OFSDelta:
			off = h.BaseOffset
		case REFDelta:
			bo, ok := p.Index.Find(h.BaseID)
			if ok {
				off = bo
				continue
			}
			if r.Others == nil {
				return 0, fmt.Errorf("%w: %s", ErrBaseMissing, h.BaseID)
			}
			return r.Others.ObjectType(h.BaseID)
		default:
			return h.Type, nil
		}
	}
	return 0, corruptf("delta chain longer than %d in %s", maxChain, p.Path)
}

type link struct {
	off int64
	h   EntryHeader
}

// load builds the object at off. A result larger than maxMem is refused
// with ErrBigObject; one larger than BigObjectThreshold (when maxMem allows)
// is built in a temporary file. Deltas are applied from the cached or
// innermost base outwards, one at a time.
func (r *Reader) load(p *Pack, off int64, maxMem int64) (Type, *Content, error) {
	var chain []link
	var cur *Content
	var typ Type
	for {
		if len(chain) > maxChain {
			return 0, nil, corruptf("delta chain longer than %d in %s", maxChain, p.Path)
		}
		if len(chain) > 0 {
			if c, ok := r.cache[cacheKey{p, off}]; ok {
				typ, cur = c.typ, MemContent(c.data)
				break
			}
		}
		h, err := p.header(off)
		if err != nil {
			return 0, nil, err
		}
		if h.Type.IsObject() {
			typ = h.Type
			if len(chain) == 0 && h.Size > maxMem {
				return 0, nil, fmt.Errorf("%w (%d bytes)", ErrBigObject, h.Size)
			}
			if cur, err = r.inflate(p, off, h); err != nil {
				return 0, nil, err
			}
			if len(chain) > 0 {
				r.remember(p, off, typ, cur)
			}
			break
		}
		chain = append(chain, link{off, h})
		if h.Type == OFSDelta {
			off = h.BaseOffset
			continue
		}
		if bo, ok := p.Index.Find(h.BaseID); ok {
			off = bo
			continue
		}
		if r.Others == nil {
			return 0, nil, fmt.Errorf("%w: %s", ErrBaseMissing, h.BaseID)
		}
		t, data, err := r.Others.Object(h.BaseID)
		if err != nil {
			return 0, nil, err
		}
		typ, cur = t, MemContent(data)
		break
	}
	for i := len(chain) - 1; i >= 0; i-- {
		limit := int64(MaxObjectSize)
		if i == 0 {
			limit = maxMem
		}
		next, err := r.apply(p, chain[i], cur, limit)
		cur.Close()
		if err != nil {
			return 0, nil, err
		}
		cur = next
		if i > 0 {
			r.remember(p, chain[i].off, typ, cur)
		}
	}
	return typ, cur, nil
}

// inflate reads a non-delta entry: into memory, or into a temporary file
// when it is big.
func (r *Reader) inflate(p *Pack, off int64, h EntryHeader) (*Content, error) {
	src := p.entryData(off, h)
	if h.Size <= BigObjectThreshold {
		data, err := r.z.Inflate(nil, src, h.Size)
		if err != nil {
			return nil, fmt.Errorf("object at offset %d of %s: %w", off, p.Path, err)
		}
		return MemContent(data), nil
	}
	zr, err := r.z.Open(src)
	if err != nil {
		return nil, err
	}
	sp, err := NewSpill(r.TempDir)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(sp, &sizedReader{r: zr, left: h.Size}); err != nil {
		sp.Abort()
		return nil, fmt.Errorf("object at offset %d of %s: %w", off, p.Path, err)
	}
	return sp.Content()
}

// apply builds the result of the delta entry l on base.
func (r *Reader) apply(p *Pack, l link, base *Content, limit int64) (*Content, error) {
	src := p.entryData(l.off, l.h)
	wrap := func(err error) error { return fmt.Errorf("delta at offset %d of %s: %w", l.off, p.Path, err) }
	if l.h.Size <= BigObjectThreshold {
		delta, err := r.z.Inflate(r.scratch[:0], src, l.h.Size)
		if err != nil {
			return nil, wrap(err)
		}
		r.scratch = delta
		_, rsz, _, err := DeltaSizes(delta)
		if err != nil {
			return nil, wrap(err)
		}
		if rsz > limit {
			return nil, fmt.Errorf("%w (%d bytes)", ErrBigObject, rsz)
		}
		if base.File == nil && rsz <= BigObjectThreshold {
			out, err := ApplyDelta(nil, base.Data, delta)
			if err != nil {
				return nil, wrap(err)
			}
			return MemContent(out), nil
		}
		return r.applyStream(rsz, base, bytes.NewReader(delta), wrap)
	}
	zr, err := r.z.Open(src)
	if err != nil {
		return nil, wrap(err)
	}
	br := bufio.NewReaderSize(&sizedReader{r: zr, left: l.h.Size}, 64<<10)
	head, _ := br.Peek(20)
	_, rsz, _, err := DeltaSizes(head)
	if err != nil {
		return nil, wrap(err)
	}
	if rsz > limit {
		return nil, fmt.Errorf("%w (%d bytes)", ErrBigObject, rsz)
	}
	return r.applyStream(rsz, base, br, wrap)
}

// applyStream applies a delta read from d on base, into memory when the
// result is small and into a temporary file otherwise.
func (r *Reader) applyStream(rsz int64, base *Content, d io.Reader, wrap func(error) error) (*Content, error) {
	if rsz <= BigObjectThreshold {
		w := &fixedWriter{b: make([]byte, rsz)}
		if _, err := ApplyDeltaStream(w, base.ReaderAt(), base.Size, d); err != nil {
			return nil, wrap(err)
		}
		return MemContent(w.b), nil
	}
	sp, err := NewSpill(r.TempDir)
	if err != nil {
		return nil, err
	}
	if _, err := ApplyDeltaStream(sp, base.ReaderAt(), base.Size, d); err != nil {
		sp.Abort()
		return nil, wrap(err)
	}
	return sp.Content()
}

// remember caches a built base; the whole cache is dropped when it would
// pass MaxCache, which bounds it in bytes whatever the objects' sizes.
func (r *Reader) remember(p *Pack, off int64, t Type, c *Content) {
	if c.File != nil || int64(len(c.Data)) > r.MaxCache/2 {
		return
	}
	if r.cache == nil {
		r.cache = map[cacheKey]cached{}
	}
	if r.cacheBytes+int64(len(c.Data)) > r.MaxCache {
		clear(r.cache)
		r.cacheBytes = 0
	}
	r.cache[cacheKey{p, off}] = cached{t, c.Data}
	r.cacheBytes += int64(len(c.Data))
}

// End is where the pack's entries end: the offset of its trailer.
func (p *Pack) End() int64 { return int64(len(p.data)) - 20 }
