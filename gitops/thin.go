package gitops

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"sync/atomic"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// A fetch asks for a thin pack (the "thin-pack" capability): the server may
// then send new objects as deltas against objects the mirror already has,
// reusing the deltas stored in its own packs instead of computing new ones
// or sending whole objects. That is most of what an incremental `git fetch`
// costs a server, and what it sends. Such a pack is not usable alone: its
// REF_DELTAs name bases outside it. completeThin does what
// `git index-pack --fix-thin` does: once everything the pack resolves by
// itself is resolved, it appends each missing base, read from the mirror,
// as a whole object, rewrites the object count in the header and the
// trailer, and the resolver goes on with the appended bases' children. The
// pack is still the temporary file until the .idx is written, so a fetch
// killed at any point leaves only tmp_ files, which cleanMirror removes.

// baseSource opens objects the mirror already has.
type baseSource interface {
	openObject(id plumbing.Hash) (packfile.Type, int64, io.ReadCloser, error)
}

// openObject streams an object of the mirror, whatever its size; the
// stream is valid until the next call. Close it.
func (m *mirrorObjects) openObject(id plumbing.Hash) (packfile.Type, int64, io.ReadCloser, error) {
	if p, off, ok := m.find(id); ok {
		return m.rd.Open(p, off)
	}
	t, size, rc, err := packfile.OpenLoose(m.objectsDir, id)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil, plumbing.ErrObjectNotFound
	}
	return t, size, rc, err
}

// offsetWriter writes sequentially into a file from an offset.
type offsetWriter struct {
	f   *os.File
	off int64
}

func (w *offsetWriter) Write(b []byte) (int, error) {
	n, err := w.f.WriteAt(b, w.off)
	w.off += int64(n)
	return n, err
}

// crcWriter computes the CRC-32 of what goes through it.
type crcWriter struct {
	w   io.Writer
	crc uint32
}

func (c *crcWriter) Write(b []byte) (int, error) {
	c.crc = crc32.Update(c.crc, crc32.IEEETable, b)
	return c.w.Write(b)
}

// completeThin appends to the pack the bases of the REF_DELTAs the resolver
// could not resolve, as far as the mirror has them, and returns the tasks
// that resolve their children. Bases the mirror lacks are left out: their
// deltas stay unresolved and the caller refuses the pack.
func (ix *packIndexer) completeThin(rs *resolver) ([]resolveTask, error) {
	var missing []plumbing.Hash
	for base, kids := range rs.refKids {
		for _, k := range kids {
			if !rs.refClaimed[k].Load() {
				missing = append(missing, base)
				break
			}
		}
	}
	// Sorted: the completed pack is the same whatever the map's order.
	slices.SortFunc(missing, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })

	n0 := ix.objects.len()
	start := ix.size - 20 // the old trailer is overwritten
	ow := &offsetWriter{f: ix.file, off: start}
	bw := bufio.NewWriterSize(ow, 64<<10)
	pos := func() int64 { return ow.off + int64(bw.Buffered()) }
	zw, _ := zlib.NewWriterLevel(io.Discard, zlib.DefaultCompression)
	hasher := packfile.NewHasher()
	buf := make([]byte, 64<<10)
	var hdr [32]byte
	var tasks []resolveTask
	for _, id := range missing {
		t, size, rc, err := ix.bases.openObject(id)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s from the mirror to complete the thin pack: %w", id, err)
		}
		off := pos()
		cw := &crcWriter{w: bw}
		cw.Write(packfile.AppendEntryHeader(hdr[:0], t, size, 0, plumbing.ZeroHash))
		zw.Reset(cw)
		hasher.Reset()
		hasher.Write(packfile.AppendObjectHeader(hdr[:0], t, size))
		n, err := io.CopyBuffer(io.MultiWriter(zw, hasher), io.LimitReader(rc, size), buf)
		rc.Close()
		if err == nil && n != size {
			err = io.ErrUnexpectedEOF
		}
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			return nil, fmt.Errorf("copying %s from the mirror to complete the thin pack: %w", id, err)
		}
		var got plumbing.Hash
		hasher.Sum(got[:0])
		if got != id {
			return nil, fmt.Errorf("the mirror's object %s is corrupt (its content hashes to %s): run `git fsck` in the mirror", id, got)
		}
		ix.objects.add(packObject{hash: id, offset: off, crc: cw.crc, base: -1, kind: t, typ: t}, 0)
		tasks = append(tasks, resolveTask{idx: int32(n0 + len(tasks))})
	}
	if len(tasks) == 0 {
		return nil, nil
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	end := ow.off
	n := ix.objects.len()
	if n > maxPackObjects {
		return nil, packErr("pack announces too many objects")
	}
	var count [4]byte
	binary.BigEndian.PutUint32(count[:], uint32(n))
	if _, err := ix.file.WriteAt(count[:], 8); err != nil {
		return nil, err
	}
	h := sha1.New()
	if _, err := io.CopyBuffer(h, io.NewSectionReader(ix.file, 0, end), buf); err != nil {
		return nil, err
	}
	var sum plumbing.Hash
	h.Sum(sum[:0])
	if _, err := ix.file.WriteAt(sum[:], end); err != nil {
		return nil, err
	}
	if err := ix.file.Truncate(end + 20); err != nil {
		return nil, err
	}
	ix.size, ix.packSum = end+20, sum

	// The appended objects have no OFS_DELTA children; any object may now
	// be claimed as a REF_DELTA child.
	for range tasks {
		rs.childStart = append(rs.childStart, rs.childStart[n0])
	}
	claimed := make([]atomic.Bool, n)
	for i := range rs.refClaimed {
		claimed[i].Store(rs.refClaimed[i].Load())
	}
	rs.refClaimed = claimed
	return tasks, nil
}
