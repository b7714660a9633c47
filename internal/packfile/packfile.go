// Package packfile is gitjira's one implementation of git's pack format
// (gitformat-pack(5)): object types and entry headers, zlib inflation, delta
// application, the version 2 pack index (.idx), the object-type file the
// indexer writes beside each pack, and a bounded-memory reader of packed
// objects. gitops receives and indexes packs with it; jira reads commits from
// the mirrors with it. Everything it parses may come from a hostile server:
// every length is checked, no allocation trusts a size from the input beyond
// what the input itself holds or a fixed bound, and big objects are streamed.
//
// # Memory
//
// Objects up to BigObjectThreshold are handled in memory; larger ones (git's
// core.bigFileThreshold idea) are never held whole: they are hashed while
// they inflate, and when one is needed as a delta base it is written to a
// temporary file (Spill) that delta copies read with pread. Delta results
// are allocated at the exact size the delta header declares, or written
// straight into a hash without being built at all.
package packfile

import (
	"bufio"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/pjbgf/sha1cd"
)

// Type is an object type as a pack entry header stores it.
type Type uint8

// Object types (gitformat-pack(5)). OFSDelta and REFDelta appear only in
// entry headers: the object they make has the type of their base.
const (
	Commit   Type = 1
	Tree     Type = 2
	Blob     Type = 3
	Tag      Type = 4
	OFSDelta Type = 6
	REFDelta Type = 7
)

var typeNames = [...]string{Commit: "commit", Tree: "tree", Blob: "blob", Tag: "tag", OFSDelta: "ofs-delta", REFDelta: "ref-delta"}

// String returns git's name of the type ("commit", "ofs-delta", ...).
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type " + strconv.Itoa(int(t))
}

// IsObject reports whether t is the type of an object (commit, tree, blob
// or tag), not a delta.
func (t Type) IsObject() bool { return t >= Commit && t <= Tag }

// ErrCorrupt is wrapped by every error about malformed pack, index or delta
// data (as opposed to I/O errors).
var ErrCorrupt = errors.New("corrupt pack data")

func corruptf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, a...))
}

// BigObjectThreshold is the size above which an object or delta payload is
// never held whole in memory (git's core.bigFileThreshold is 512 MiB; ours is
// lower because several objects are resolved at once on every core). It is
// a variable only so that tests can take the big-object paths with small
// objects.
var BigObjectThreshold int64 = 16 << 20

// MaxObjectSize bounds the size of any object, streamed or not: a pack of a
// few megabytes can announce and really make (by delta copies or by
// compressing zeros) objects of any size, each costing time to hash.
const MaxObjectSize = 4 << 30

// HeaderMaxLen is the longest entry header: a type-and-size varint of at
// most 10 bytes, then an OFS_DELTA offset of at most 10 bytes or a
// REF_DELTA base id of 20.
const HeaderMaxLen = 10 + 20

// EntryHeader is the header of one pack entry.
type EntryHeader struct {
	Type Type  // as stored: an object type, OFSDelta or REFDelta
	Size int64 // inflated size of the entry's data (the object, or the delta)
	// BaseOffset is where an OFSDelta's base starts in the pack.
	BaseOffset int64
	// BaseID names a REFDelta's base.
	BaseID plumbing.Hash
	// Len is the number of header bytes; the zlib data follows.
	Len int
}

// ParseEntryHeader parses the header at the start of b, which holds the
// pack's bytes from offset off on.
func ParseEntryHeader(b []byte, off int64) (EntryHeader, error) {
	var h EntryHeader
	if len(b) == 0 {
		return h, errTruncated(off)
	}
	c := b[0]
	i := 1
	h.Type = Type(c>>4) & 7
	size := uint64(c & 15)
	for shift := uint(4); c&0x80 != 0; shift += 7 {
		if shift > 60 {
			return h, corruptf("entry at offset %d: size varint too long", off)
		}
		if i >= len(b) {
			return h, errTruncated(off)
		}
		c = b[i]
		i++
		size |= uint64(c&0x7f) << shift
	}
	if size > MaxObjectSize {
		return h, corruptf("entry at offset %d is %d bytes, more than gitjira accepts (%d)", off, size, uint64(MaxObjectSize))
	}
	h.Size = int64(size)
	switch h.Type {
	case Commit, Tree, Blob, Tag:
	case OFSDelta:
		// Big-endian base-128 where each continuation adds one ("offset
		// encoding" in gitformat-pack(5)), so every value has one encoding.
		if i >= len(b) {
			return h, errTruncated(off)
		}
		c = b[i]
		i++
		rel := uint64(c & 0x7f)
		for c&0x80 != 0 {
			if rel >= 1<<55 {
				return h, corruptf("entry at offset %d: delta base offset too long", off)
			}
			if i >= len(b) {
				return h, errTruncated(off)
			}
			c = b[i]
			i++
			rel = (rel+1)<<7 | uint64(c&0x7f)
		}
		if rel == 0 || rel > uint64(off) || off-int64(rel) < 12 {
			return h, corruptf("entry at offset %d: delta base offset %d is outside the pack", off, rel)
		}
		h.BaseOffset = off - int64(rel)
	case REFDelta:
		if i+20 > len(b) {
			return h, errTruncated(off)
		}
		copy(h.BaseID[:], b[i:i+20])
		i += 20
	default:
		return h, corruptf("entry at offset %d has unknown type %d", off, h.Type)
	}
	h.Len = i
	return h, nil
}

// errTruncated is ParseEntryHeader's error for a header that runs past the
// bytes it was given.
type errTruncatedHeader struct{ off int64 }

func (e errTruncatedHeader) Error() string {
	return fmt.Sprintf("%v: entry at offset %d is truncated", ErrCorrupt, e.off)
}
func (e errTruncatedHeader) Unwrap() error { return ErrCorrupt }

func errTruncated(off int64) error { return errTruncatedHeader{off} }

// ReadEntryHeader reads the header of the entry at offset off from r and
// consumes it. A stream that ends inside the header gives
// io.ErrUnexpectedEOF (io.EOF when it ends before it).
func ReadEntryHeader(r *bufio.Reader, off int64) (EntryHeader, error) {
	b, err := r.Peek(HeaderMaxLen)
	if len(b) == 0 {
		if err == nil {
			err = io.EOF
		}
		return EntryHeader{}, err
	}
	h, perr := ParseEntryHeader(b, off)
	if perr != nil {
		var short errTruncatedHeader
		if err != nil && errors.As(perr, &short) {
			// Cut short by the stream, not malformed.
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return h, err
		}
		return h, perr
	}
	r.Discard(h.Len)
	return h, nil
}

// AppendObjectHeader appends what git hashes before an object's content:
// "<type> <size>\x00".
func AppendObjectHeader(b []byte, t Type, size int64) []byte {
	b = append(b, typeNames[t&7]...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, size, 10)
	return append(b, 0)
}

// NewHasher returns the object hash: SHA-1 with collision detection, as git
// and go-git compute it.
func NewHasher() hash.Hash { return sha1cd.New() }

// HashObject returns the id of an object of type t with content data.
func HashObject(t Type, data []byte) plumbing.Hash {
	h := NewHasher()
	var hdr [32]byte
	h.Write(AppendObjectHeader(hdr[:0], t, int64(len(data))))
	h.Write(data)
	var id plumbing.Hash
	h.Sum(id[:0])
	return id
}

// AppendEntryHeader appends a pack entry header for an object of type t
// (an object type or a delta) whose data inflates to size bytes: the
// type-and-size varint, then for OFSDelta the distance back to the base
// (rel, in git's offset encoding) and for REFDelta the base id.
func AppendEntryHeader(b []byte, t Type, size int64, rel int64, base plumbing.Hash) []byte {
	c := byte(t&7)<<4 | byte(size&15)
	size >>= 4
	for size > 0 {
		b = append(b, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	b = append(b, c)
	switch t {
	case OFSDelta:
		var tmp [10]byte
		i := len(tmp) - 1
		tmp[i] = byte(rel & 0x7f)
		for rel >>= 7; rel > 0; rel >>= 7 {
			rel--
			i--
			tmp[i] = 0x80 | byte(rel&0x7f)
		}
		b = append(b, tmp[i:]...)
	case REFDelta:
		b = append(b, base[:]...)
	}
	return b
}
