package gitops

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/pjbgf/sha1cd"
)

// This file is gitjira's own pack indexer, the equivalent of `git index-pack`.
//
// Why not go-git's packfile.Parser: it resolves deltas on one goroutine and
// re-reads bases through its object cache; on a 50k-commit pack it spends 90%
// of a clone building the index (see issue 3). Here, like git index-pack:
//
//  1. receive: the pack streams to a temporary file while each object is
//     inflated once, which finds where it ends (zlib has no length prefix),
//     counts it for progress, and hashes non-delta objects. Small delta
//     payloads are kept in memory up to deltaCacheBudget.
//  2. resolve: deltas form trees under their non-delta bases. All CPUs walk
//     these trees in parallel from a shared LIFO stack (depth first, so only
//     the bases on the current paths are held in memory), re-inflating bases
//     and uncached deltas from the file.
//  3. write a version 2 .idx (hashes, CRC-32s, offsets), then move
//     pack-<sha>.pack and pack-<sha>.idx into objects/pack: the same files git
//     and go-git read.
//
// Memory is bounded by the object table (about 100 bytes per object), the
// delta cache budget, and the objects on the delta chains being walked
// (depth <= 50 by git's default, per worker).

// deltaCacheBudget is how many bytes of inflated delta payloads the receive
// pass keeps for the resolve pass, saving a second inflate of each.
var deltaCacheBudget int64 = 64 << 20

// maxObjectSize bounds an object held in memory while resolving deltas; a
// hostile pack could otherwise announce (and really send, highly compressed)
// a base or delta result of many gigabytes.
const maxObjectSize = 1 << 30

// maxPackObjects bounds the object count a pack header may announce (git's
// own limit is 2^32-1); it protects the object table from a hostile header.
const maxPackObjects = 1 << 28

// Object types in a pack header (git's pack-format.txt).
const (
	objCommit   = 1
	objTree     = 2
	objBlob     = 3
	objTag      = 4
	objOFSDelta = 6
	objREFDelta = 7
)

// newObjectHasher hashes object contents. sha1cd is SHA-1 with collision
// detection, as git and go-git use.
var newObjectHasher = func() hash.Hash { return sha1cd.New() }

type packObject struct {
	offset int64
	end    int64 // where the compressed data ends (next object's offset)
	size   int64 // inflated size from the header
	base   int64 // ofs-delta: offset of the base
	hash   plumbing.Hash
	crc    uint32
	hdrLen uint8
	kind   uint8 // type in the pack header (1-4, 6, 7)
	typ    uint8 // resolved object type (1-4)
}

// indexedPack describes a pack written into a repository.
type indexedPack struct {
	Hash    plumbing.Hash
	Objects int
	Deltas  int
	Commits int
	Bytes   int64
	// Types counts objects by resolved type (index objCommit..objTag).
	Types [5]int
	// sorted holds the pack's object ids in order, for Has.
	sorted []plumbing.Hash
}

// Has reports whether the pack holds object h.
func (p *indexedPack) Has(h plumbing.Hash) bool {
	i := sort.Search(len(p.sorted), func(i int) bool { return bytes.Compare(p.sorted[i][:], h[:]) >= 0 })
	return i < len(p.sorted) && p.sorted[i] == h
}

// packIndexer receives one pack into dir/objects/pack.
type packIndexer struct {
	packDir string
	rep     *reporter

	file    *os.File
	tmpPack string
	objects []packObject
	cached  [][]byte              // inflated delta payloads by object index, when kept
	refBase map[int]plumbing.Hash // ref-delta: object index -> base hash
	packSum plumbing.Hash
	size    int64
}

// receivePack reads a pack stream from r into repoDir/objects/pack and
// indexes it. A pack with zero objects writes nothing.
func receivePack(ctx context.Context, r io.Reader, repoDir string, rep *reporter) (*indexedPack, error) {
	ix := &packIndexer{packDir: filepath.Join(repoDir, "objects", "pack"), rep: rep, refBase: map[int]plumbing.Hash{}}
	if err := os.MkdirAll(ix.packDir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(ix.packDir, "tmp_pack_")
	if err != nil {
		return nil, err
	}
	ix.file, ix.tmpPack = f, f.Name()
	ok := false
	defer func() {
		f.Close()
		if !ok {
			os.Remove(ix.tmpPack)
		}
	}()
	n, err := ix.receive(ctx, r)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return &indexedPack{}, nil
	}
	res, err := ix.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if res.sorted, err = ix.writeIndex(); err != nil {
		return nil, err
	}
	ok = true
	return res, nil
}

// teeCounter copies everything read from r to w, counting bytes and hashing
// all but the last 20 (the pack trailer is the SHA-1 of what precedes it, and
// the stream ends right after it).
type teeCounter struct {
	r    io.Reader
	w    io.Writer
	n    atomic.Int64
	h    hash.Hash
	tail [20]byte
	nt   int
	err  error
}

func (t *teeCounter) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if n > 0 {
		if _, werr := t.w.Write(b[:n]); werr != nil {
			t.err = werr
			return n, werr
		}
		t.hashLagging(b[:n])
		t.n.Add(int64(n))
	}
	return n, err
}

func (t *teeCounter) hashLagging(b []byte) {
	if t.nt+len(b) <= len(t.tail) {
		copy(t.tail[t.nt:], b)
		t.nt += len(b)
		return
	}
	total := t.nt + len(b)
	hashN := total - len(t.tail) // bytes that are certainly not the trailer
	if hashN <= t.nt {
		t.h.Write(t.tail[:hashN])
		var nt [20]byte
		k := copy(nt[:], t.tail[hashN:t.nt])
		copy(nt[k:], b)
		t.tail = nt
	} else {
		t.h.Write(t.tail[:t.nt])
		t.h.Write(b[:hashN-t.nt])
		copy(t.tail[:], b[hashN-t.nt:])
	}
	t.nt = len(t.tail)
}

var errPackFormat = errors.New("the server sent a malformed pack")

func packErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errPackFormat, fmt.Sprintf(format, a...))
}

// receive is pass 1. It returns the number of objects.
func (ix *packIndexer) receive(ctx context.Context, r io.Reader) (int, error) {
	fw := bufio.NewWriterSize(ix.file, 256<<10)
	tee := &teeCounter{r: r, w: fw, h: sha1.New()}
	br := bufio.NewReaderSize(tee, 128<<10)
	pos := func() int64 { return tee.n.Load() - int64(br.Buffered()) }

	var hdr [12]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return 0, fmt.Errorf("reading pack header: %w", unexpectedEOF(err))
	}
	if string(hdr[:4]) != "PACK" {
		return 0, packErr("no PACK signature")
	}
	if v := binary.BigEndian.Uint32(hdr[4:8]); v != 2 && v != 3 {
		return 0, packErr("unsupported pack version %d", v)
	}
	count := binary.BigEndian.Uint32(hdr[8:12])
	if count > maxPackObjects {
		return 0, packErr("pack announces %d objects", count)
	}
	ix.objects = make([]packObject, 0, min(int(count), 1<<20))
	ix.cached = make([][]byte, 0, min(int(count), 1<<20))

	start := time.Now()
	rate := newRateMeter(start)
	report := func(done bool) {
		b := pos()
		ix.rep.send(Progress{Phase: PhaseReceiving, Current: int64(len(ix.objects)), Total: int64(count),
			Bytes: b, BytesPerSec: rate.update(time.Now(), b, done), Done: done})
	}
	report(false)

	var zr io.ReadCloser
	hasher := newObjectHasher()
	copyBuf := make([]byte, 32<<10)
	var cacheUsed int64
	lastReport := time.Now()
	for i := 0; i < int(count); i++ {
		if i&255 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			if now := time.Now(); now.Sub(lastReport) >= progressThrottle {
				lastReport = now
				report(false)
			}
		}
		o := packObject{offset: pos()}
		c, err := br.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("reading object %d of %d: %w", i+1, count, unexpectedEOF(err))
		}
		o.kind = (c >> 4) & 7
		size := int64(c & 15)
		shift := uint(4)
		for c&0x80 != 0 {
			if c, err = br.ReadByte(); err != nil {
				return 0, unexpectedEOF(err)
			}
			if shift > 56 {
				return 0, packErr("object size too large at offset %d", o.offset)
			}
			size |= int64(c&0x7f) << shift
			shift += 7
		}
		o.size = size
		switch o.kind {
		case objCommit, objTree, objBlob, objTag:
			o.typ = o.kind
		case objOFSDelta:
			if c, err = br.ReadByte(); err != nil {
				return 0, unexpectedEOF(err)
			}
			ofs := int64(c & 0x7f)
			for c&0x80 != 0 {
				if c, err = br.ReadByte(); err != nil {
					return 0, unexpectedEOF(err)
				}
				if ofs > 1<<48 {
					return 0, packErr("bad delta base offset at %d", o.offset)
				}
				ofs = ((ofs + 1) << 7) | int64(c&0x7f)
			}
			o.base = o.offset - ofs
			if ofs <= 0 || o.base < 12 {
				return 0, packErr("delta base offset out of the pack at %d", o.offset)
			}
		case objREFDelta:
			var h plumbing.Hash
			if _, err := io.ReadFull(br, h[:]); err != nil {
				return 0, unexpectedEOF(err)
			}
			ix.refBase[i] = h
		default:
			return 0, packErr("object of unknown type %d at offset %d", o.kind, o.offset)
		}
		o.hdrLen = uint8(pos() - o.offset)

		if zr == nil {
			if zr, err = zlib.NewReader(br); err != nil {
				return 0, packErr("object at offset %d: %v", o.offset, err)
			}
		} else if err := zr.(zlib.Resetter).Reset(br, nil); err != nil {
			return 0, packErr("object at offset %d: %v", o.offset, err)
		}
		var payload []byte
		if o.typ != 0 {
			hasher.Reset()
			writeObjectHeader(hasher, o.typ, size)
			n, err := io.CopyBuffer(hasher, zr, copyBuf)
			if err != nil {
				return 0, inflateErr(o.offset, err)
			}
			if n != size {
				return 0, packErr("object at offset %d inflates to %d bytes, header says %d", o.offset, n, size)
			}
			hasher.Sum(o.hash[:0])
		} else {
			var n int64
			if cacheUsed+size <= deltaCacheBudget {
				payload = make([]byte, size)
				k, err := io.ReadFull(zr, payload)
				if err != nil {
					return 0, inflateErr(o.offset, err)
				}
				n = int64(k)
				// Consume the zlib end and checksum.
				if m, err := io.CopyBuffer(io.Discard, zr, copyBuf); err != nil {
					return 0, inflateErr(o.offset, err)
				} else {
					n += m
				}
				cacheUsed += size
			} else if n, err = io.CopyBuffer(io.Discard, zr, copyBuf); err != nil {
				return 0, inflateErr(o.offset, err)
			}
			if n != size {
				return 0, packErr("delta at offset %d inflates to %d bytes, header says %d", o.offset, n, size)
			}
		}
		if i > 0 {
			ix.objects[i-1].end = o.offset
		}
		ix.objects = append(ix.objects, o)
		ix.cached = append(ix.cached, payload)
	}
	end := pos()
	if count > 0 {
		ix.objects[count-1].end = end
	}
	var trailer plumbing.Hash
	if _, err := io.ReadFull(br, trailer[:]); err != nil {
		return 0, fmt.Errorf("reading pack checksum: %w", unexpectedEOF(err))
	}
	// The stream must end here; reading to EOF also makes the tee see every byte.
	if extra, err := io.Copy(io.Discard, br); err != nil {
		return 0, err
	} else if extra != 0 {
		return 0, packErr("%d bytes after the pack checksum", extra)
	}
	if tee.err != nil {
		return 0, tee.err
	}
	if err := fw.Flush(); err != nil {
		return 0, err
	}
	var sum plumbing.Hash
	tee.h.Sum(sum[:0])
	if tee.nt != 20 || sum != trailer || !bytes.Equal(tee.tail[:], trailer[:]) {
		return 0, packErr("pack checksum mismatch")
	}
	ix.packSum = trailer
	ix.size = end + 20
	report(true)
	return int(count), nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func inflateErr(off int64, err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, zlib.ErrChecksum) || errors.Is(err, zlib.ErrHeader) || errors.As(err, &corrupt) {
		return packErr("object at offset %d: %v", off, err)
	}
	return fmt.Errorf("object at offset %d: %w", off, unexpectedEOF(err))
}

var typeNames = [...]string{objCommit: "commit", objTree: "tree", objBlob: "blob", objTag: "tag"}

func writeObjectHeader(h hash.Hash, typ uint8, size int64) {
	var b [32]byte
	s := append(b[:0], typeNames[typ]...)
	s = append(s, ' ')
	s = strconv.AppendInt(s, size, 10)
	s = append(s, 0)
	h.Write(s)
}

// rateMeter smooths the transfer rate over about a second.
type rateMeter struct {
	t     time.Time
	b     int64
	start time.Time
	rate  float64
}

func newRateMeter(t time.Time) *rateMeter { return &rateMeter{t: t, start: t} }

func (m *rateMeter) update(now time.Time, b int64, done bool) float64 {
	if done {
		if el := now.Sub(m.start).Seconds(); el > 0 {
			return float64(b) / el
		}
		return m.rate
	}
	dt := now.Sub(m.t).Seconds()
	if dt < 0.05 {
		return m.rate
	}
	inst := float64(b-m.b) / dt
	if m.rate == 0 {
		m.rate = inst
	} else {
		a := min(dt, 1.0)
		m.rate = a*inst + (1-a)*m.rate
	}
	m.t, m.b = now, b
	return m.rate
}

// resolveTask is a delta (or a base, when base is nil) whose content must be
// computed; base is the content of its base object.
type resolveTask struct {
	idx  int32
	base []byte
	typ  uint8
}

// resolve is pass 2: it computes the hash and type of every delta.
func (ix *packIndexer) resolve(ctx context.Context) (*indexedPack, error) {
	objs := ix.objects
	n := len(objs)
	// Children of each object by ofs-delta, as CSR arrays.
	childStart := make([]int32, n+1)
	baseIdx := make([]int32, n)
	deltas := 0
	for i := range objs {
		baseIdx[i] = -1
		switch objs[i].kind {
		case objOFSDelta:
			deltas++
			b := sort.Search(i, func(j int) bool { return objs[j].offset >= objs[i].base })
			if b >= i || objs[b].offset != objs[i].base {
				return nil, packErr("delta at offset %d has no base at offset %d", objs[i].offset, objs[i].base)
			}
			baseIdx[i] = int32(b)
			childStart[b+1]++
		case objREFDelta:
			deltas++
		}
	}
	for i := 0; i < n; i++ {
		childStart[i+1] += childStart[i]
	}
	children := make([]int32, childStart[n])
	fill := make([]int32, n)
	for i := range objs {
		if b := baseIdx[i]; b >= 0 {
			children[childStart[b]+fill[b]] = int32(i)
			fill[b]++
		}
	}
	fill, baseIdx = nil, nil
	refClaimed := make([]atomic.Bool, n)
	refChildren := map[plumbing.Hash][]int32{}
	for i, h := range ix.refBase {
		refChildren[h] = append(refChildren[h], int32(i))
	}

	res := &indexedPack{Hash: ix.packSum, Objects: n, Deltas: deltas, Bytes: ix.size}
	var resolved atomic.Int64
	report := func(done bool) {
		ix.rep.send(Progress{Phase: PhaseResolving, Current: resolved.Load(), Total: int64(deltas), Done: done})
	}
	report(false)

	// CRC-32 of each object's raw bytes, for the index; read sequentially.
	crcErr := make(chan error, 1)
	go func() { crcErr <- ix.computeCRCs() }()

	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		stack   []resolveTask
		active  int
		failErr error
	)
	for i := n - 1; i >= 0; i-- {
		if objs[i].typ != 0 && (childStart[i+1] > childStart[i] || len(refChildren[objs[i].hash]) > 0) {
			stack = append(stack, resolveTask{idx: int32(i)})
		}
	}
	fail := func(err error) {
		mu.Lock()
		if failErr == nil {
			failErr = err
		}
		mu.Unlock()
		cond.Broadcast()
	}
	stop := context.AfterFunc(ctx, func() { fail(ctx.Err()) })
	defer stop()

	worker := func() {
		w := &resolveWorker{ix: ix, hasher: newObjectHasher()}
		for {
			mu.Lock()
			for len(stack) == 0 && active > 0 && failErr == nil {
				cond.Wait()
			}
			if failErr != nil || len(stack) == 0 {
				mu.Unlock()
				cond.Broadcast()
				return
			}
			t := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			active++
			mu.Unlock()

			// Walk down: process t, push all children but one, continue with that one.
			for {
				content, typ, h, err := w.content(t)
				if err != nil {
					fail(err)
					break
				}
				if t.base != nil {
					if r := resolved.Add(1); r&255 == 0 {
						report(false)
					}
				}
				kids := children[childStart[t.idx]:childStart[t.idx+1]]
				if rk := refChildren[h]; len(rk) > 0 {
					// A ref-delta is claimed once: with duplicate objects (or a
					// delta that reproduces its own base) it would come again.
					kids = append([]int32(nil), kids...)
					for _, k := range rk {
						if refClaimed[k].CompareAndSwap(false, true) {
							kids = append(kids, k)
						}
					}
				}
				if len(kids) == 0 {
					break
				}
				if len(kids) > 1 {
					mu.Lock()
					for _, k := range kids[1:] {
						stack = append(stack, resolveTask{idx: k, base: content, typ: typ})
					}
					mu.Unlock()
					cond.Broadcast()
				}
				t = resolveTask{idx: kids[0], base: content, typ: typ}
			}
			mu.Lock()
			active--
			mu.Unlock()
			cond.Broadcast()
		}
	}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() { defer wg.Done(); worker() }()
	}
	wg.Wait()
	stop()
	// fail may still run on the AfterFunc goroutine: read under the lock.
	mu.Lock()
	err := failErr
	mu.Unlock()
	if crc := <-crcErr; crc != nil && err == nil {
		err = crc
	}
	if err != nil {
		return nil, err
	}
	if r := resolved.Load(); r != int64(deltas) {
		return nil, packErr("%d of %d deltas have no base in the pack", int64(deltas)-r, deltas)
	}
	for i := range objs {
		res.Types[objs[i].typ]++
	}
	res.Commits = res.Types[objCommit]
	ix.cached = nil
	report(true)
	return res, nil
}

type resolveWorker struct {
	ix     *packIndexer
	hasher hash.Hash
	raw    []byte
	zr     io.ReadCloser
	br     bytes.Reader
}

// content returns the content, type and hash of t's object, recording type
// and hash for deltas.
func (w *resolveWorker) content(t resolveTask) ([]byte, uint8, plumbing.Hash, error) {
	o := &w.ix.objects[t.idx]
	if t.base == nil {
		data, err := w.inflate(o)
		return data, o.typ, o.hash, err
	}
	delta := w.ix.cached[t.idx]
	if delta == nil {
		var err error
		if delta, err = w.inflate(o); err != nil {
			return nil, 0, plumbing.ZeroHash, err
		}
	}
	if sz := deltaTargetSize(delta); sz > maxObjectSize {
		return nil, 0, plumbing.ZeroHash, packErr("delta at offset %d makes a %d-byte object, more than gitjira holds in memory", o.offset, sz)
	}
	data, err := packfile.PatchDelta(t.base, delta)
	if err != nil {
		return nil, 0, plumbing.ZeroHash, packErr("delta at offset %d: %v", o.offset, err)
	}
	w.hasher.Reset()
	writeObjectHeader(w.hasher, t.typ, int64(len(data)))
	w.hasher.Write(data)
	var h plumbing.Hash
	w.hasher.Sum(h[:0])
	// Each delta is written by exactly one worker; readers wait for wg.
	o.hash, o.typ = h, t.typ
	return data, t.typ, h, nil
}

// inflate reads and inflates one object's data from the pack file.
func (w *resolveWorker) inflate(o *packObject) ([]byte, error) {
	start := o.offset + int64(o.hdrLen)
	n := int(o.end - start)
	if cap(w.raw) < n {
		w.raw = make([]byte, n)
	}
	raw := w.raw[:n]
	if _, err := w.ix.file.ReadAt(raw, start); err != nil {
		return nil, err
	}
	w.br.Reset(raw)
	var err error
	if w.zr == nil {
		w.zr, err = zlib.NewReader(&w.br)
	} else {
		err = w.zr.(zlib.Resetter).Reset(&w.br, nil)
	}
	if err != nil {
		return nil, packErr("object at offset %d: %v", o.offset, err)
	}
	if o.size > maxObjectSize {
		return nil, packErr("object at offset %d is %d bytes, more than gitjira holds in memory (%d)", o.offset, o.size, maxObjectSize)
	}
	out := make([]byte, o.size)
	if _, err := io.ReadFull(w.zr, out); err != nil {
		return nil, inflateErr(o.offset, err)
	}
	return out, nil
}

// deltaTargetSize reads the result size from a delta's header (after the
// base size; both are little-endian base-128 varints).
func deltaTargetSize(delta []byte) uint64 {
	i := 0
	for i < len(delta) && delta[i]&0x80 != 0 {
		i++
	}
	i++
	var sz uint64
	for shift := uint(0); i < len(delta) && shift < 64; shift += 7 {
		c := delta[i]
		sz |= uint64(c&0x7f) << shift
		i++
		if c&0x80 == 0 {
			break
		}
	}
	return sz
}

func (ix *packIndexer) computeCRCs() error {
	r := bufio.NewReaderSize(io.NewSectionReader(ix.file, 0, ix.size), 256<<10)
	if _, err := r.Discard(12); err != nil {
		return err
	}
	var buf [32 << 10]byte
	for i := range ix.objects {
		o := &ix.objects[i]
		crc := uint32(0)
		for left := o.end - o.offset; left > 0; {
			k := int(min(left, int64(len(buf))))
			if _, err := io.ReadFull(r, buf[:k]); err != nil {
				return err
			}
			crc = crc32.Update(crc, crc32.IEEETable, buf[:k])
			left -= int64(k)
		}
		o.crc = crc
	}
	return nil
}

// writeIndex writes the version 2 .idx and moves both files in place.
func (ix *packIndexer) writeIndex() ([]plumbing.Hash, error) {
	objs := ix.objects
	order := make([]int32, len(objs))
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(a, b int) bool {
		return bytes.Compare(objs[order[a]].hash[:], objs[order[b]].hash[:]) < 0
	})
	for k := 1; k < len(order); k++ {
		if objs[order[k]].hash == objs[order[k-1]].hash {
			return nil, packErr("object %s appears twice", objs[order[k]].hash)
		}
	}
	idx, err := os.CreateTemp(ix.packDir, "tmp_idx_")
	if err != nil {
		return nil, err
	}
	defer func() {
		idx.Close()
		os.Remove(idx.Name())
	}()
	h := sha1.New()
	w := bufio.NewWriterSize(io.MultiWriter(idx, h), 256<<10)
	w.Write([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2})
	var fan [256]uint32
	for _, i := range order {
		fan[objs[i].hash[0]]++
	}
	var b4 [4]byte
	var sum uint32
	for _, c := range fan {
		sum += c
		binary.BigEndian.PutUint32(b4[:], sum)
		w.Write(b4[:])
	}
	for _, i := range order {
		w.Write(objs[i].hash[:])
	}
	for _, i := range order {
		binary.BigEndian.PutUint32(b4[:], objs[i].crc)
		w.Write(b4[:])
	}
	var large []int64
	for _, i := range order {
		off := objs[i].offset
		if off < 1<<31 {
			binary.BigEndian.PutUint32(b4[:], uint32(off))
		} else {
			binary.BigEndian.PutUint32(b4[:], uint32(len(large))|1<<31)
			large = append(large, off)
		}
		w.Write(b4[:])
	}
	var b8 [8]byte
	for _, off := range large {
		binary.BigEndian.PutUint64(b8[:], uint64(off))
		w.Write(b8[:])
	}
	w.Write(ix.packSum[:])
	if err := w.Flush(); err != nil {
		return nil, err
	}
	if _, err := idx.Write(h.Sum(nil)); err != nil {
		return nil, err
	}
	if err := idx.Close(); err != nil {
		return nil, err
	}
	base := filepath.Join(ix.packDir, "pack-"+hex.EncodeToString(ix.packSum[:]))
	if err := os.Chmod(ix.tmpPack, 0o444); err != nil {
		return nil, err
	}
	if err := os.Chmod(idx.Name(), 0o444); err != nil {
		return nil, err
	}
	// Pack first: an .idx makes the pack visible to readers.
	if err := os.Rename(ix.tmpPack, base+".pack"); err != nil {
		return nil, err
	}
	if err := os.Rename(idx.Name(), base+".idx"); err != nil {
		os.Remove(base + ".pack")
		return nil, err
	}
	sorted := make([]plumbing.Hash, len(order))
	for k, i := range order {
		sorted[k] = objs[i].hash
	}
	return sorted, nil
}
