package gitops

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// Every fetch that brings something adds a pack to the mirror. Readers look
// an object up in each pack in turn, so, as `git gc --auto` does when there
// are more than gc.autoPackLimit packs, a fetch that leaves more than
// AutoPackLimit packs consolidates them into one (Consolidate).
//
// The new pack is written with the project's pack codec by copying each
// object's stored bytes as they are (no inflating, no delta search: a few
// seconds of I/O for a large mirror, where `git repack` spends minutes of
// CPU). Objects found in several packs (bases a thin fetch appended) are
// kept once; an OFS_DELTA's base offset is rewritten for the new layout.
// The .idx comes from the old indexes (ids, as they are) and the new
// offsets and CRC-32s, and the types file from the old ones. Memory: about
// 36 bytes per object, the packs themselves mapped, not read.
//
// Crash safety: the new pack is written to tmp_ files, moved in place as a
// fetch's pack is (pack, types, then .idx, which makes it visible), and only
// then are the old packs removed, each .idx first. Killed at any point, the
// mirror has every object in at least one complete pack; cleanMirror
// removes temporaries and packs left without their .idx.

// AutoPackLimit is how many packs a mirror may have after a fetch before
// they are consolidated into one (git's gc.autoPackLimit). 0 turns it off.
var AutoPackLimit = 50

// ConsolidateResult says what Consolidate did.
type ConsolidateResult struct {
	Packs   int   // packs replaced (0: nothing done)
	Objects int   // objects in the new pack
	Bytes   int64 // size of the new pack
}

// Consolidate replaces the packs of the bare repository at dir by one, as
// described above. Packs with a .keep file are left alone. The caller holds
// the mirror's lock (TryLockMirror); Fetch calls it itself past
// AutoPackLimit.
func Consolidate(ctx context.Context, dir string) (*ConsolidateResult, error) {
	return consolidate(ctx, dir, nil)
}

// repackEntry is an entry of an old pack, listed in pack order.
type repackEntry struct {
	off  int64
	pos  uint32 // position in the pack's .idx
	keep bool   // the copy written (the first pack that has the object)
}

type repackSource struct {
	p       *packfile.Pack
	entries []repackEntry // by offset
	newOff  []int64       // by .idx position: where the object went (kept ones)
	crc     []uint32      // by .idx position
	types   []packfile.Type
}

func consolidate(ctx context.Context, dir string, rep *reporter) (*ConsolidateResult, error) {
	packDir := filepath.Join(dir, "objects", "pack")
	paths, err := filepath.Glob(filepath.Join(packDir, "pack-*.pack"))
	if err != nil {
		return nil, err
	}
	var srcs []*repackSource
	defer func() {
		for _, s := range srcs {
			s.p.Close()
		}
	}()
	for _, path := range paths {
		base := strings.TrimSuffix(path, ".pack")
		if _, err := os.Stat(base + ".idx"); err != nil {
			continue // not moved in completely; cleanMirror removes it
		}
		if _, err := os.Stat(base + ".keep"); err == nil {
			continue
		}
		p, err := packfile.OpenPack(path)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, &repackSource{p: p})
	}
	if len(srcs) < 2 {
		return &ConsolidateResult{}, nil
	}
	// The largest pack (the clone's) first: most objects are written from
	// it, and the others' duplicates of them are the ones dropped.
	slices.SortStableFunc(srcs, func(a, b *repackSource) int { return -cmp.Compare(a.p.End(), b.p.End()) })

	kept := 0
	for k, s := range srcs {
		x := s.p.Index
		n := x.Count()
		s.entries = make([]repackEntry, n)
		for i := range n {
			off, ok := x.Offset(i)
			if !ok {
				return nil, fmt.Errorf("%s: %w: bad offset in its index", s.p.Path, packfile.ErrCorrupt)
			}
			e := repackEntry{off: off, pos: uint32(i), keep: true}
			id := x.ID(i)
			for _, q := range srcs[:k] {
				if _, ok := q.p.Index.Lookup(id); ok {
					e.keep = false
					break
				}
			}
			if e.keep {
				kept++
			}
			s.entries[i] = e
		}
		slices.SortFunc(s.entries, func(a, b repackEntry) int { return cmp.Compare(a.off, b.off) })
		s.newOff = make([]int64, n)
		s.crc = make([]uint32, n)
		if s.types, err = s.p.Types(); err != nil {
			return nil, err
		}
	}
	if kept > maxPackObjects {
		return nil, fmt.Errorf("%d objects are more than one pack may hold here", kept)
	}

	tmp, err := os.CreateTemp(packDir, "tmp_pack_")
	if err != nil {
		return nil, err
	}
	tmpName := tmp.Name()
	done := false
	defer func() {
		tmp.Close()
		if !done {
			os.Remove(tmpName)
		}
	}()
	sum := sha1.New()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, sum), 256<<10)
	var hdr [12]byte
	copy(hdr[:], "PACK\x00\x00\x00\x02")
	binary.BigEndian.PutUint32(hdr[8:], uint32(kept))
	bw.Write(hdr[:])
	pos := int64(len(hdr))
	written := 0
	var eh [packfile.HeaderMaxLen]byte
	for k, s := range srcs {
		// Read in pack order through the page cache (pread), not the
		// mapping: the copied bytes never count as this process's memory.
		f, err := os.Open(s.p.Path)
		if err != nil {
			return nil, err
		}
		br := bufio.NewReaderSize(io.NewSectionReader(f, 0, s.p.End()), 1<<20)
		at := int64(0)
		copyEntries := func() error {
			for j, e := range s.entries {
				end := s.p.End()
				if j+1 < len(s.entries) {
					end = s.entries[j+1].off
				}
				if e.off < at || end < e.off {
					return fmt.Errorf("%w: overlapping entries at offset %d", packfile.ErrCorrupt, e.off)
				}
				if _, err := br.Discard(int(e.off - at)); err != nil {
					return err
				}
				at = end
				if !e.keep {
					if _, err := br.Discard(int(end - e.off)); err != nil {
						return err
					}
					continue
				}
				if written&4095 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
					rep.send(Progress{Phase: PhaseCompacting, Current: int64(written), Total: int64(kept)})
				}
				peek, _ := br.Peek(int(min(end-e.off, packfile.HeaderMaxLen)))
				h, err := packfile.ParseEntryHeader(peek, e.off)
				if err != nil {
					return err
				}
				br.Discard(h.Len)
				var head []byte
				switch h.Type {
				case packfile.OFSDelta:
					baseAt, err := repackBase(srcs, k, h.BaseOffset)
					if err != nil {
						return fmt.Errorf("entry at offset %d: %w", e.off, err)
					}
					head = packfile.AppendEntryHeader(eh[:0], packfile.OFSDelta, h.Size, pos-baseAt, plumbing.ZeroHash)
				default:
					head = packfile.AppendEntryHeader(eh[:0], h.Type, h.Size, 0, h.BaseID)
				}
				cw := &crcWriter{w: bw}
				cw.Write(head)
				data := end - e.off - int64(h.Len)
				if _, err := io.CopyN(cw, br, data); err != nil {
					return err
				}
				s.newOff[e.pos] = pos
				s.crc[e.pos] = cw.crc
				pos += int64(len(head)) + data
				written++
			}
			return nil
		}
		err = copyEntries()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.p.Path, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	var packID plumbing.Hash
	sum.Sum(packID[:0])
	if _, err := tmp.Write(packID[:]); err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	size := pos + 20

	// The kept objects in id order: a merge of the old indexes, each sorted.
	order := make([]repackRef, 0, kept)
	heads := make([]int, len(srcs))
	for {
		best := -1
		for k, s := range srcs {
			for heads[k] < s.p.Index.Count() && !s.kept(heads[k]) {
				heads[k]++
			}
			if heads[k] >= s.p.Index.Count() {
				continue
			}
			if best < 0 {
				best = k
				continue
			}
			a, b := s.p.Index.ID(heads[k]), srcs[best].p.Index.ID(heads[best])
			if bytes.Compare(a[:], b[:]) < 0 {
				best = k
			}
		}
		if best < 0 {
			break
		}
		order = append(order, repackRef{src: uint16(best), pos: uint32(heads[best])})
		heads[best]++
	}
	if len(order) != kept {
		return nil, fmt.Errorf("consolidating the packs: %d objects listed, %d written", len(order), kept)
	}
	var objects *mirrorObjects // for types the old packs could not tell
	defer func() {
		if objects != nil {
			objects.close()
		}
	}()
	typeAt := func(i int) packfile.Type {
		r := order[i]
		s := srcs[r.src]
		if t := s.types[r.pos]; t != 0 {
			return t
		}
		if objects == nil {
			objects, _ = openMirrorObjects(dir)
		}
		if objects != nil {
			if t, err := objects.ObjectType(s.p.Index.ID(int(r.pos))); err == nil {
				return t
			}
		}
		return 0
	}
	types := packfile.EncodeTypes(packID, kept, typeAt)

	idx, err := os.CreateTemp(packDir, "tmp_idx_")
	if err != nil {
		return nil, err
	}
	defer func() {
		idx.Close()
		os.Remove(idx.Name())
	}()
	_, err = packfile.WriteIndex(idx, packID, kept, func(i int) packfile.IndexEntry {
		r := order[i]
		s := srcs[r.src]
		return packfile.IndexEntry{ID: s.p.Index.ID(int(r.pos)), CRC: s.crc[r.pos], Offset: s.newOff[r.pos]}
	})
	if err == nil {
		err = idx.Sync()
	}
	if err == nil {
		err = idx.Close()
	}
	if err != nil {
		return nil, err
	}

	base := filepath.Join(packDir, "pack-"+hex.EncodeToString(packID[:]))
	exists := false
	for _, s := range srcs {
		// The same bytes as a pack already there (the others hold only
		// duplicates of its objects): that one stays, the others go.
		exists = exists || s.p.Path == base+".pack"
	}
	if !exists {
		if err := moveInPack(tmpName, idx.Name(), base, types); err != nil {
			return nil, err
		}
		done = true
	}
	// The new pack is complete and visible: the old ones go, .idx first.
	for _, s := range srcs {
		if s.p.Path == base+".pack" {
			continue
		}
		old := strings.TrimSuffix(s.p.Path, ".pack")
		if err := os.Remove(old + ".idx"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		os.Remove(old + ".pack")
		os.Remove(old + ".rev")
		os.Remove(old + ".bitmap")
		os.Remove(packfile.TypesPath(s.p.Path))
	}
	rep.send(Progress{Phase: PhaseCompacting, Current: int64(kept), Total: int64(kept), Done: true})
	return &ConsolidateResult{Packs: len(srcs), Objects: kept, Bytes: size}, nil
}

// moveInPack moves a written pack and its index in place as base.pack and
// base.idx, with its types file: the pack, then the types, then the .idx,
// which makes it visible.
func moveInPack(tmpPack, tmpIdx, base string, types []byte) error {
	if err := os.Chmod(tmpPack, 0o444); err != nil {
		return err
	}
	if err := os.Chmod(tmpIdx, 0o444); err != nil {
		return err
	}
	if err := os.Rename(tmpPack, base+".pack"); err != nil {
		return err
	}
	typesPath := packfile.TypesPath(base + ".pack")
	if err := os.MkdirAll(filepath.Dir(typesPath), fsatomic.DirMode); err != nil {
		os.Remove(base + ".pack")
		return err
	}
	if err := fsatomic.WriteFile(typesPath, types, 0o444); err != nil {
		os.Remove(base + ".pack")
		return err
	}
	if err := os.Rename(tmpIdx, base+".idx"); err != nil {
		os.Remove(base + ".pack")
		os.Remove(typesPath)
		return err
	}
	return fsatomic.SyncDir(filepath.Dir(base))
}

type repackRef struct {
	src uint16
	pos uint32
}

func (s *repackSource) kept(pos int) bool {
	// entries is by offset; find pos's entry through its offset.
	off, _ := s.p.Index.Offset(pos)
	j, ok := slices.BinarySearchFunc(s.entries, off, func(e repackEntry, off int64) int { return cmp.Compare(e.off, off) })
	return ok && s.entries[j].keep
}

// repackBase returns where the base of an OFS_DELTA of source k (at
// baseOff in that pack) was written: its copy in this pack, or, when this
// pack's copy was dropped as a duplicate, the copy of an earlier source.
func repackBase(srcs []*repackSource, k int, baseOff int64) (int64, error) {
	s := srcs[k]
	j, ok := slices.BinarySearchFunc(s.entries, baseOff, func(e repackEntry, off int64) int { return cmp.Compare(e.off, off) })
	if !ok {
		return 0, fmt.Errorf("%w: a delta's base offset %d is not an entry", packfile.ErrCorrupt, baseOff)
	}
	e := s.entries[j]
	if e.keep {
		return s.newOff[e.pos], nil
	}
	id := s.p.Index.ID(int(e.pos))
	for _, q := range srcs[:k] {
		if i, ok := q.p.Index.Lookup(id); ok && q.kept(i) {
			return q.newOff[i], nil
		}
	}
	return 0, fmt.Errorf("%w: the base %s of a delta was not written", packfile.ErrCorrupt, id)
}
