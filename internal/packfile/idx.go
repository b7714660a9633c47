package packfile

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
)

// The version 2 pack index (gitformat-pack(5)): magic, version, a 256-entry
// fanout table, the sorted object ids, their CRC-32s, their 4-byte offsets
// (the high bit set means "index into the 8-byte table"), the 8-byte
// offsets, the pack's checksum and the index's own checksum.

var idxMagic = []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}

const idxHeaderLen = 8 + 256*4

// Index is a parsed version 2 pack index. Its methods never read outside
// the data it was given.
type Index struct {
	data   []byte
	n      int
	fanout [256]uint32
	crcOff int // start of the CRC table
	ofsOff int // start of the 4-byte offsets
	bigOff int // start of the 8-byte offsets
	nBig   int
	// PackID is the checksum of the pack the index describes (the pack's
	// last 20 bytes).
	PackID plumbing.Hash
}

// ParseIndex checks the layout of a version 2 index (magic, sizes, a
// monotonic fanout) and returns it; data is kept, not copied.
func ParseIndex(data []byte) (*Index, error) {
	if len(data) < idxHeaderLen+40 || !bytes.Equal(data[:8], idxMagic) {
		return nil, corruptf("not a version 2 pack index")
	}
	x := &Index{data: data}
	prev := uint32(0)
	for i := range x.fanout {
		v := binary.BigEndian.Uint32(data[8+i*4:])
		if v < prev {
			return nil, corruptf("pack index fanout is not sorted")
		}
		x.fanout[i], prev = v, v
	}
	n := int64(x.fanout[255])
	rest := int64(len(data)) - idxHeaderLen - 40
	if n*28 > rest || (rest-n*28)%8 != 0 {
		return nil, corruptf("pack index of %d objects has %d bytes", n, len(data))
	}
	x.n = int(n)
	x.crcOff = idxHeaderLen + x.n*20
	x.ofsOff = x.crcOff + x.n*4
	x.bigOff = x.ofsOff + x.n*4
	x.nBig = int((rest - n*28) / 8)
	copy(x.PackID[:], data[len(data)-40:])
	return x, nil
}

// Count is the number of objects in the index.
func (x *Index) Count() int { return x.n }

// ID returns the i-th object id (in id order).
func (x *Index) ID(i int) plumbing.Hash {
	var h plumbing.Hash
	copy(h[:], x.data[idxHeaderLen+i*20:])
	return h
}

// CRC returns the CRC-32 of the i-th object's raw pack bytes.
func (x *Index) CRC(i int) uint32 { return binary.BigEndian.Uint32(x.data[x.crcOff+i*4:]) }

// Offset returns the pack offset of the i-th object; false when the index
// points outside its 8-byte table.
func (x *Index) Offset(i int) (int64, bool) {
	o := binary.BigEndian.Uint32(x.data[x.ofsOff+i*4:])
	if o&0x80000000 == 0 {
		return int64(o), true
	}
	k := int(o & 0x7fffffff)
	if k >= x.nBig {
		return 0, false
	}
	v := binary.BigEndian.Uint64(x.data[x.bigOff+k*8:])
	if v >= 1<<62 {
		return 0, false
	}
	return int64(v), true
}

// Lookup returns the position of id in the index: a binary search of the
// sorted ids between the fanout bounds, comparing the first 8 bytes as one
// integer (they almost always decide).
func (x *Index) Lookup(id plumbing.Hash) (int, bool) {
	lo := 0
	if id[0] > 0 {
		lo = int(x.fanout[id[0]-1])
	}
	hi := int(x.fanout[id[0]])
	want := binary.BigEndian.Uint64(id[:8])
	tab := x.data[idxHeaderLen:]
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		e := tab[m*20 : m*20+20]
		c := 0
		if v := binary.BigEndian.Uint64(e); v < want {
			c = -1
		} else if v > want {
			c = 1
		} else {
			c = bytes.Compare(e[8:], id[8:])
		}
		switch {
		case c == 0:
			return m, true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

// Find returns the pack offset of id.
func (x *Index) Find(id plumbing.Hash) (int64, bool) {
	i, ok := x.Lookup(id)
	if !ok {
		return 0, false
	}
	return x.Offset(i)
}

// IndexEntry is one object of an index being written.
type IndexEntry struct {
	ID     plumbing.Hash
	CRC    uint32
	Offset int64
}

// WriteIndex writes a version 2 index of n objects; entry(i) returns the
// i-th in id order (it is called several times per object, so the caller
// needs no second table). It returns the index's checksum.
func WriteIndex(w io.Writer, packID plumbing.Hash, n int, entry func(i int) IndexEntry) (plumbing.Hash, error) {
	h := sha1.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 256<<10)
	bw.Write(idxMagic)
	var fan [256]uint32
	for i := 0; i < n; i++ {
		fan[entry(i).ID[0]]++
	}
	var b4 [4]byte
	var sum uint32
	for _, c := range fan {
		sum += c
		binary.BigEndian.PutUint32(b4[:], sum)
		bw.Write(b4[:])
	}
	for i := 0; i < n; i++ {
		id := entry(i).ID
		bw.Write(id[:])
	}
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint32(b4[:], entry(i).CRC)
		bw.Write(b4[:])
	}
	var large []int64
	for i := 0; i < n; i++ {
		off := entry(i).Offset
		if off < 1<<31 {
			binary.BigEndian.PutUint32(b4[:], uint32(off))
		} else {
			binary.BigEndian.PutUint32(b4[:], uint32(len(large))|1<<31)
			large = append(large, off)
		}
		bw.Write(b4[:])
	}
	var b8 [8]byte
	for _, off := range large {
		binary.BigEndian.PutUint64(b8[:], uint64(off))
		bw.Write(b8[:])
	}
	bw.Write(packID[:])
	if err := bw.Flush(); err != nil {
		return plumbing.ZeroHash, err
	}
	var sumID plumbing.Hash
	h.Sum(sumID[:0])
	if _, err := w.Write(sumID[:]); err != nil {
		return plumbing.ZeroHash, err
	}
	return sumID, nil
}
