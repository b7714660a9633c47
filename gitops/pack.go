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
	"math/bits"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/memlimit"
	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// This file is gitjira's own pack indexer, the equivalent of `git index-pack`,
// built on internal/packfile (the one implementation of the pack format,
// which the commit index reads packs with too).
//
// Why not go-git's packfile.Parser: it resolves deltas on one goroutine and
// re-reads bases through its object cache; on a 50k-commit pack it spends 90%
// of a clone building the index (see issue 3). Here, like git index-pack:
//
//  1. receive: the pack streams to a temporary file while each object is
//     inflated once, which finds where it ends (zlib has no length prefix),
//     counts it for progress, and hashes non-delta objects as they inflate
//     (so an object of any size is never held). Small delta payloads are
//     kept in memory up to deltaCacheBudget.
//  2. resolve: deltas form trees under their non-delta bases. All CPUs walk
//     these trees from a shared LIFO stack (depth first, so only the bases on
//     the current paths are held), re-reading bases and uncached deltas from
//     the file with pread.
//  3. write a version 2 .idx (hashes, CRC-32s, offsets) and the types file
//     (the resolved type of every object, which the commit index uses to
//     find the commits without scanning the pack), then move
//     pack-<sha>.pack and pack-<sha>.idx into objects/pack: the same files git
//     and go-git read.
//
// Memory is bounded by design, not by the repository (issue 9):
//   - the object table is 44 bytes per object (in chunks, never copied to
//     grow) plus 8 for the delta graph;
//   - delta payloads kept from the receive pass: at most deltaCacheBudget;
//   - bases held for pending delta children: at most resolveBudget; past it
//     a base is dropped and rebuilt from the pack when its children come up;
//   - objects above packfile.BigObjectThreshold (git's core.bigFileThreshold
//     idea) are hashed as they stream and, when a delta needs one as its
//     base, kept in an unlinked temporary file that copies pread from;
//   - a delta result is written straight into the hash when nothing else
//     needs it, otherwise built in a recycled buffer (bufPool) or at the
//     exact size its header declares.
//
// The collector runs at GOGC=25 meanwhile (memlimit.Lean): the tables hold
// no pointers, so collecting is cheap, and the heap stays near its live size
// instead of twice it. After the index is written the memory is returned to
// the OS (debug.FreeOSMemory), so the commit index that runs next starts low.

// deltaCacheBudget is how many bytes of inflated delta payloads the receive
// pass keeps for the resolve pass, saving a second read and inflate of each
// (only small ones, where that costs most per byte). A pack announcing few
// objects gets less: 64 bytes an object.
var deltaCacheBudget int64 = 8 << 20

// resolveBudget bounds the bytes of object contents held in memory for
// delta children waiting on the stack.
var resolveBudget int64 = 64 << 20

// spillBudget bounds the bytes of big objects held in temporary files for
// delta children waiting on the stack.
var spillBudget int64 = 8 << 30

// maxPackObjects bounds the object count a pack header may announce (git's
// own limit is 2^32-1); it protects the object table from a hostile header.
const maxPackObjects = 1 << 28

// packObject is one entry of the pack, in pack order. 40 bytes.
type packObject struct {
	hash   plumbing.Hash
	offset int64
	crc    uint32
	// base is the index of the delta base: set when received for an
	// OFS_DELTA, when resolved for a REF_DELTA; -1 for other objects.
	base int32
	kind packfile.Type // as stored: an object type, OFSDelta or REFDelta
	typ  packfile.Type // resolved object type
}

// objectTable holds the pack's entries, in pack order, in chunks of 64Ki:
// it grows with what arrives (the header's count is the server's word)
// without ever copying, where a growing slice would briefly hold the old
// and the new array (on a large pack, the peak of the whole clone). Each
// entry's delta-cache reference sits in its chunk too.
type objectTable struct {
	chunks []*objChunk
	n      int
}

const (
	objChunkBits = 16
	objChunkLen  = 1 << objChunkBits
)

type objChunk struct {
	objs  [objChunkLen]packObject
	cache [objChunkLen]uint32 // deltaCache references
}

func (t *objectTable) len() int { return t.n }

func (t *objectTable) at(i int) *packObject {
	return &t.chunks[i>>objChunkBits].objs[i&(objChunkLen-1)]
}

func (t *objectTable) cacheRef(i int) uint32 {
	return t.chunks[i>>objChunkBits].cache[i&(objChunkLen-1)]
}

func (t *objectTable) add(o packObject, ref uint32) {
	if t.n&(objChunkLen-1) == 0 {
		t.chunks = append(t.chunks, new(objChunk))
	}
	c := t.chunks[t.n>>objChunkBits]
	c.objs[t.n&(objChunkLen-1)] = o
	c.cache[t.n&(objChunkLen-1)] = ref
	t.n++
}

// end returns where entry i's data ends: the next entry's offset, or the
// trailer's for the last.
func (t *objectTable) end(i int, packSize int64) int64 {
	if i+1 < t.n {
		return t.at(i + 1).offset
	}
	return packSize - 20
}

// find returns the index of the entry at offset off.
func (t *objectTable) find(off int64) (int, bool) {
	i := sort.Search(t.n, func(i int) bool { return t.at(i).offset >= off })
	return i, i < t.n && t.at(i).offset == off
}

type refDelta struct {
	idx  int32
	base plumbing.Hash
}

// indexedPack describes a pack written into a repository.
type indexedPack struct {
	Hash    plumbing.Hash
	Objects int
	Deltas  int
	Commits int
	Bytes   int64
	// Types counts objects by resolved type (index packfile.Commit..Tag).
	Types [5]int
	// Thin counts the bases appended from the mirror to complete a thin
	// pack; Received is the size of the pack as it came (Bytes is the
	// size once completed).
	Thin     int
	Received int64
	// sorted holds the pack's object ids in order, for Has.
	sorted []plumbing.Hash
	// rebuilds and spills count bases rebuilt after being dropped for the
	// budget, and big objects written to temporary files (for tests).
	rebuilds, spills int64
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

	file      *os.File
	tmpPack   string
	objects   objectTable
	refDeltas []refDelta
	cache     deltaCache
	packSum   plumbing.Hash
	size      int64 // bytes of the pack, trailer included
	// bases, when set, completes a thin pack with the mirror's objects.
	bases baseSource
}

// receivePack reads a pack stream from r into repoDir/objects/pack and
// indexes it. A pack with zero objects writes nothing.
func receivePack(ctx context.Context, r io.Reader, repoDir string, rep *reporter) (*indexedPack, error) {
	return receiveThinPack(ctx, r, repoDir, rep, nil)
}

// receiveThinPack is receivePack for a pack that may be thin: REF_DELTA
// bases missing from it are taken from bases (completeThin).
func receiveThinPack(ctx context.Context, r io.Reader, repoDir string, rep *reporter, bases baseSource) (*indexedPack, error) {
	// The tables are pointer-free: collecting often is cheap, and keeps the
	// heap near its live size instead of twice it.
	defer memlimit.Lean(25)()
	ix := &packIndexer{packDir: filepath.Join(repoDir, "objects", "pack"), rep: rep, bases: bases}
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
	// The table and caches are garbage now: give the memory back before
	// the caller goes on (the commit index reads the mirror next, and its
	// mapped pages would come on top of a heap kept for reuse).
	ix.objects, ix.refDeltas, ix.cache = objectTable{}, nil, deltaCache{}
	debug.FreeOSMemory()
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

// formatErr turns the codec's corrupt-data errors into errPackFormat.
func formatErr(err error) error {
	if errors.Is(err, packfile.ErrCorrupt) && !errors.Is(err, errPackFormat) {
		return fmt.Errorf("%w: %v", errPackFormat, err)
	}
	return err
}

// deltaCache keeps inflated delta payloads from the receive pass for the
// resolve pass, packed into 1 MiB chunks up to a byte budget: no slice
// header or map entry per object. An entry's reference (in the object
// table; 0: not kept) is chunk<<20 | offset, plus one; each payload is
// prefixed with its length as a uvarint.
type deltaCache struct {
	chunks [][]byte
	used   int64
	budget int64
}

const (
	cacheChunk    = 1 << 20
	cacheMaxEntry = 512
)

// slot returns where a payload of size bytes goes, or nil when it is not kept.
func (c *deltaCache) slot(size int64) ([]byte, uint32) {
	if size > cacheMaxEntry || c.used+size > c.budget {
		return nil, 0
	}
	need := int(size) + binary.MaxVarintLen32
	if len(c.chunks) == 0 || cap(c.chunks[len(c.chunks)-1])-len(c.chunks[len(c.chunks)-1]) < need {
		if len(c.chunks) >= 1<<11 {
			return nil, 0
		}
		c.chunks = append(c.chunks, make([]byte, 0, cacheChunk))
	}
	k := len(c.chunks) - 1
	ch := c.chunks[k]
	ref := uint32(k)<<20 | uint32(len(ch))
	ch = binary.AppendUvarint(ch, uint64(size))
	start := len(ch)
	ch = ch[:start+int(size)]
	c.chunks[k] = ch
	c.used += size
	return ch[start:], ref + 1
}

// undo drops the last slot (its payload did not inflate).
func (c *deltaCache) undo(ref uint32, size int64) {
	ref--
	k := ref >> 20
	c.chunks[k] = c.chunks[k][:ref&(1<<20-1)]
	c.used -= size
}

func (c *deltaCache) get(ref uint32) []byte {
	if ref == 0 {
		return nil
	}
	ref--
	ch := c.chunks[ref>>20][ref&(1<<20-1):]
	n, k := binary.Uvarint(ch)
	return ch[k : k+int(n)]
}

// receive is pass 1. It returns the number of objects.
func (ix *packIndexer) receive(ctx context.Context, r io.Reader) (_ int, err error) {
	fw := bufio.NewWriterSize(ix.file, 256<<10)
	tee := &teeCounter{r: r, w: fw, h: sha1.New()}
	br := bufio.NewReaderSize(tee, 128<<10)
	pos := func() int64 { return tee.n.Load() - int64(br.Buffered()) }
	var count uint32
	defer func() {
		// The stream ended early: the server (or the network) went away.
		// Any end of input before the trailer is early, whichever read saw
		// it; so is a connection reset under a read (the SSH transport
		// writes window adjustments while we read, and a dead peer fails
		// those with ECONNRESET or EPIPE).
		if err != nil && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
			errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)) {
			pct := 0
			if count > 0 {
				pct = int(int64(ix.objects.len()) * 100 / int64(count))
			}
			err = &TransferClosedError{Percent: pct, Bytes: tee.n.Load(), Err: err}
		}
	}()

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
	count = binary.BigEndian.Uint32(hdr[8:12])
	if count > maxPackObjects {
		return 0, packErr("pack announces %d objects", count)
	}
	ix.cache.budget = min(deltaCacheBudget, int64(count)*64)

	start := time.Now()
	rate := newRateMeter(start)
	report := func(done bool) {
		b := pos()
		ix.rep.send(Progress{Phase: PhaseReceiving, Current: int64(ix.objects.len()), Total: int64(count),
			Bytes: b, BytesPerSec: rate.update(time.Now(), b, done), Done: done})
	}
	report(false)

	var zr io.ReadCloser
	hasher := packfile.NewHasher()
	copyBuf := make([]byte, 64<<10)
	var hdrBuf [32]byte
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
		o := packObject{offset: pos(), base: -1}
		h, err := packfile.ReadEntryHeader(br, o.offset)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, fmt.Errorf("reading object %d of %d: %w", i+1, count, unexpectedEOF(err))
			}
			return 0, formatErr(err)
		}
		o.kind = h.Type
		switch h.Type {
		case packfile.OFSDelta:
			b, found := ix.objects.find(h.BaseOffset)
			if !found {
				return 0, packErr("delta at offset %d has no base at offset %d", o.offset, h.BaseOffset)
			}
			o.base = int32(b)
		case packfile.REFDelta:
			ix.refDeltas = append(ix.refDeltas, refDelta{idx: int32(i), base: h.BaseID})
		default:
			o.typ = h.Type
		}

		if zr == nil {
			if zr, err = zlib.NewReader(br); err != nil {
				return 0, inflateErr(o.offset, err)
			}
		} else if err := zr.(zlib.Resetter).Reset(br, nil); err != nil {
			return 0, inflateErr(o.offset, err)
		}
		var ref uint32
		if o.typ != 0 {
			// Hashed as it inflates, whatever its size: never held whole.
			hasher.Reset()
			hasher.Write(packfile.AppendObjectHeader(hdrBuf[:0], o.typ, h.Size))
			// At most one byte past the declared size: a zlib bomb (a few
			// KiB that inflate to gigabytes) is refused at once, not
			// inflated to its end first.
			n, err := io.CopyBuffer(hasher, io.LimitReader(zr, h.Size+1), copyBuf)
			if err != nil {
				return 0, inflateErr(o.offset, err)
			}
			if n > h.Size {
				return 0, packErr("object at offset %d inflates to more than the %d bytes its header says", o.offset, h.Size)
			}
			if n != h.Size {
				return 0, packErr("object at offset %d inflates to %d bytes, header says %d", o.offset, n, h.Size)
			}
			hasher.Sum(o.hash[:0])
		} else {
			var n int64
			if dst, sref := ix.cache.slot(h.Size); dst != nil {
				k, err := io.ReadFull(zr, dst)
				if err != nil {
					ix.cache.undo(sref, h.Size)
					if err == io.ErrUnexpectedEOF || err == io.EOF {
						return 0, packErr("delta at offset %d inflates to %d bytes, header says %d", o.offset, k, h.Size)
					}
					return 0, inflateErr(o.offset, err)
				}
				n, ref = int64(k), sref
			}
			// The rest (all of an uncached delta), and the zlib end and
			// checksum; at most one byte past the declared size.
			m, err := io.CopyBuffer(io.Discard, io.LimitReader(zr, h.Size-n+1), copyBuf)
			if err != nil {
				return 0, inflateErr(o.offset, err)
			}
			if n += m; n > h.Size {
				return 0, packErr("delta at offset %d inflates to more than the %d bytes its header says", o.offset, h.Size)
			}
			if n != h.Size {
				return 0, packErr("delta at offset %d inflates to %d bytes, header says %d", o.offset, n, h.Size)
			}
		}
		ix.objects.add(o, ref)
	}
	end := pos()
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
	if errors.Is(err, zlib.ErrChecksum) || errors.Is(err, zlib.ErrHeader) || errors.As(err, &corrupt) || errors.Is(err, packfile.ErrCorrupt) {
		return packErr("object at offset %d: %v", off, err)
	}
	return fmt.Errorf("object at offset %d: %w", off, unexpectedEOF(err))
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

// held is an object's content kept for the delta children that still need
// it; refs counts the tasks (and worker memos) holding it, acct the bytes
// counted against the budget.
type held struct {
	c    *packfile.Content
	refs atomic.Int32
	acct int64
}

// bufPool recycles the buffers of contents once their last delta child is
// done: without it every base would be a fresh allocation (gigabytes over a
// large pack), and the garbage collector would let the heap run to twice
// the live size between collections. Buffers come in power-of-two classes;
// what it keeps is bounded by poolMax.
type bufPool struct {
	mu    sync.Mutex
	free  [maxPoolClass + 1][][]byte
	bytes int64
}

const (
	minPoolClass = 9  // 512 bytes
	maxPoolClass = 24 // 16 MiB
	poolMax      = 16 << 20
)

// get returns a buffer of length n, its capacity rounded up to a class.
func (p *bufPool) get(n int64) []byte {
	k := max(bits.Len64(uint64(n-1)), minPoolClass)
	if n <= 0 || k > maxPoolClass {
		return make([]byte, n)
	}
	p.mu.Lock()
	if l := len(p.free[k]); l > 0 {
		b := p.free[k][l-1]
		p.free[k][l-1] = nil
		p.free[k] = p.free[k][:l-1]
		p.bytes -= int64(cap(b))
		p.mu.Unlock()
		return b[:n]
	}
	p.mu.Unlock()
	return make([]byte, n, 1<<k)
}

// put gives back a buffer that nothing references any more.
func (p *bufPool) put(b []byte) {
	c := cap(b)
	k := bits.Len64(uint64(c - 1))
	if c == 0 || c != 1<<k || k < minPoolClass || k > maxPoolClass {
		return
	}
	p.mu.Lock()
	if p.bytes+int64(c) <= poolMax {
		p.free[k] = append(p.free[k], b[:0])
		p.bytes += int64(c)
	}
	p.mu.Unlock()
}

// resolveTask is an object whose content must be computed: a delta (base is
// its base's content, or nil when that was dropped and must be rebuilt) or
// a non-delta object with children (base nil).
type resolveTask struct {
	idx  int32
	base *held
}

// resolver is the state of the resolve pass shared by its workers.
type resolver struct {
	ix         *packIndexer
	childStart []int32 // children of object i by OFS_DELTA: children[childStart[i]:childStart[i+1]]
	children   []int32
	refKids    map[plumbing.Hash][]int32 // REF_DELTAs by base id
	refClaimed []atomic.Bool             // per object, when the pack has REF_DELTAs
	heldMem    atomic.Int64
	heldDisk   atomic.Int64
	pool       bufPool
	resolved   atomic.Int64
	rebuilds   atomic.Int64
	spills     atomic.Int64
	report     func(bool)
}

// resolve is pass 2: it computes the hash and type of every delta.
func (ix *packIndexer) resolve(ctx context.Context) (*indexedPack, error) {
	objs := &ix.objects
	n := objs.len()
	rs := &resolver{ix: ix, childStart: make([]int32, n+1)}
	deltas := len(ix.refDeltas)
	for i := range n {
		if b := objs.at(i).base; b >= 0 {
			deltas++
			rs.childStart[b+1]++
		}
	}
	for i := 0; i < n; i++ {
		rs.childStart[i+1] += rs.childStart[i]
	}
	rs.children = make([]int32, rs.childStart[n])
	fill := make([]int32, n)
	for i := range n {
		if b := objs.at(i).base; b >= 0 {
			rs.children[rs.childStart[b]+fill[b]] = int32(i)
			fill[b]++
		}
	}
	fill = nil
	if len(ix.refDeltas) > 0 {
		rs.refClaimed = make([]atomic.Bool, n)
		rs.refKids = map[plumbing.Hash][]int32{}
		for _, rd := range ix.refDeltas {
			rs.refKids[rd.base] = append(rs.refKids[rd.base], rd.idx)
		}
	}

	res := &indexedPack{Hash: ix.packSum, Objects: n, Deltas: deltas, Bytes: ix.size, Received: ix.size}
	rs.report = func(done bool) {
		ix.rep.send(Progress{Phase: PhaseResolving, Current: rs.resolved.Load(), Total: int64(deltas), Done: done})
	}
	rs.report(false)

	// CRC-32 of each object's raw bytes, for the index; read sequentially.
	crcErr := make(chan error, 1)
	go func() { crcErr <- ix.computeCRCs() }()

	var seed []resolveTask
	for i := n - 1; i >= 0; i-- {
		if o := objs.at(i); o.typ != 0 && (rs.childStart[i+1] > rs.childStart[i] || len(rs.refKids[o.hash]) > 0) {
			seed = append(seed, resolveTask{idx: int32(i)})
		}
	}
	err := rs.run(ctx, seed)
	if crc := <-crcErr; crc != nil && err == nil {
		err = crc
	}
	if err != nil {
		return nil, err
	}
	if r := rs.resolved.Load(); r != int64(deltas) && ix.bases != nil {
		// A thin pack: the REF_DELTAs left name bases the mirror has.
		// Append them, as `git index-pack --fix-thin` does, and resolve
		// their children.
		if seed, err = ix.completeThin(rs); err != nil {
			return nil, err
		}
		if err := rs.run(ctx, seed); err != nil {
			return nil, err
		}
		res.Objects, res.Bytes, res.Hash = ix.objects.len(), ix.size, ix.packSum
		res.Thin = len(seed)
	}
	if r := rs.resolved.Load(); r != int64(deltas) {
		return nil, packErr("%d of %d deltas have no base in the pack", int64(deltas)-r, deltas)
	}
	for i := range ix.objects.len() {
		res.Types[objs.at(i).typ]++
	}
	res.Commits = res.Types[packfile.Commit]
	res.rebuilds, res.spills = rs.rebuilds.Load(), rs.spills.Load()
	ix.cache = deltaCache{}
	rs.report(true)
	return res, nil
}

// run resolves, on all CPUs, the delta trees under the seed tasks.
func (rs *resolver) run(ctx context.Context, seed []resolveTask) error {
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		stack   = seed
		active  int
		failErr error
	)
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
		w := &resolveWorker{rs: rs, hasher: packfile.NewHasher()}
		defer w.close()
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
			// Clear the slot: a stale pointer there would keep a base alive.
			stack[len(stack)-1] = resolveTask{}
			stack = stack[:len(stack)-1]
			active++
			mu.Unlock()

			// Walk down: process t, push all children but one, continue with that one.
			for {
				content, kids, err := w.process(t)
				rs.release(t.base)
				if err != nil {
					fail(err)
					rs.release(content)
					break
				}
				if len(kids) == 0 {
					rs.release(content)
					break
				}
				if len(kids) > 1 {
					// Siblings share the content, unless holding more would
					// pass the budget: then they rebuild it when they come up.
					share := content
					if rs.overBudget(content) {
						share = nil
					} else {
						content.refs.Add(int32(len(kids) - 1))
					}
					mu.Lock()
					for _, k := range kids[1:] {
						stack = append(stack, resolveTask{idx: k, base: share})
					}
					mu.Unlock()
					cond.Broadcast()
				}
				t = resolveTask{idx: kids[0], base: content}
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
	// After a failure, tasks left on the stack may still hold contents.
	for _, t := range stack {
		rs.release(t.base)
	}
	mu.Unlock()
	return err
}

// overBudget reports whether keeping c for more tasks would pass the budget.
func (rs *resolver) overBudget(c *held) bool {
	if c.c.File != nil {
		return rs.heldDisk.Load() > spillBudget
	}
	return rs.heldMem.Load() > resolveBudget
}

// hold wraps a new content with one reference and accounts for it.
func (rs *resolver) hold(c *packfile.Content) *held {
	h := &held{c: c}
	h.refs.Store(1)
	if c.File != nil {
		h.acct = c.Size
		rs.heldDisk.Add(h.acct)
	} else {
		h.acct = int64(cap(c.Data))
		rs.heldMem.Add(h.acct)
	}
	return h
}

// release drops one reference; the last one frees the content.
func (rs *resolver) release(h *held) {
	if h == nil || h.refs.Add(-1) != 0 {
		return
	}
	if h.c.File != nil {
		rs.heldDisk.Add(-h.acct)
	} else {
		rs.heldMem.Add(-h.acct)
	}
	rs.drop(h.c)
	h.c = nil
}

// drop frees a content nothing references any more.
func (rs *resolver) drop(c *packfile.Content) {
	if c.File == nil {
		rs.pool.put(c.Data)
	}
	c.Close()
}

type resolveWorker struct {
	rs     *resolver
	hasher hash.Hash
	z      packfile.Inflater
	raw    []byte // compressed bytes of the entry being read
	delta  []byte // inflated delta payload
	result []byte // a delta result that may turn out to be needed
	hdr    [32]byte
	memo   *held // the last base rebuilt, for its next sibling
	memoAt int32
}

func (w *resolveWorker) close() {
	w.rs.release(w.memo)
	w.memo = nil
}

// process computes t's object: its hash and type when it is a delta, and
// the content when it has delta children, which it returns with one
// reference, together with the children.
func (w *resolveWorker) process(t resolveTask) (*held, []int32, error) {
	rs := w.rs
	objs := &rs.ix.objects
	i := t.idx
	o := objs.at(int(i))
	ofsKids := rs.children[rs.childStart[i]:rs.childStart[i+1]]
	if o.kind.IsObject() {
		c, err := w.load(i)
		if err != nil {
			return nil, nil, err
		}
		return rs.hold(c), w.kids(ofsKids, o.hash, i), nil
	}
	base := t.base
	if base == nil {
		b, err := w.rebuild(o.base)
		if err != nil {
			return nil, nil, err
		}
		defer rs.release(b)
		base = b
	}
	typ := objs.at(int(o.base)).typ
	// A REF_DELTA child is only known once the hash is: with REF_DELTAs in
	// the pack every result may be needed.
	keep := len(ofsKids) > 0 || rs.refKids != nil
	c, h, reused, err := w.build(i, base.c, typ, keep, len(ofsKids) > 0)
	if err != nil {
		return nil, nil, err
	}
	// Each delta is written by exactly one worker; readers wait for wg.
	o.hash, o.typ = h, typ
	if r := rs.resolved.Add(1); r&255 == 0 {
		rs.report(false)
	}
	kids := w.kids(ofsKids, h, i)
	if c == nil {
		return nil, kids, nil
	}
	if len(kids) == 0 {
		if !reused {
			rs.drop(c)
		}
		return nil, nil, nil
	}
	if reused {
		// Built in the worker's reusable buffer: the children need their own copy.
		b := rs.pool.get(int64(len(c.Data)))
		copy(b, c.Data)
		c = packfile.MemContent(b)
	}
	return rs.hold(c), kids, nil
}

// kids returns i's children: its OFS_DELTAs and the REF_DELTAs naming id,
// each of those claimed once (with duplicate objects, or a delta that
// reproduces its own base, the same id comes twice). A claimed REF_DELTA
// records its base, for rebuilding.
func (w *resolveWorker) kids(ofs []int32, id plumbing.Hash, i int32) []int32 {
	rk := w.rs.refKids[id]
	if len(rk) == 0 {
		return ofs
	}
	kids := slices.Clone(ofs)
	for _, k := range rk {
		if w.rs.refClaimed[k].CompareAndSwap(false, true) {
			w.rs.ix.objects.at(int(k)).base = i
			kids = append(kids, k)
		}
	}
	return kids
}

// build applies delta object i on base (of type typ) and computes its hash.
// The content is returned when keep is set: in memory at its exact size
// when fresh is set (children are sure to need it), otherwise in the
// worker's reusable buffer (reused: the caller copies it if it turns out to
// be needed), or in a temporary file when it is big. When nothing needs it,
// the result goes straight into the hash and is never built.
func (w *resolveWorker) build(i int32, base *packfile.Content, typ packfile.Type, keep, fresh bool) (out *packfile.Content, id plumbing.Hash, reused bool, err error) {
	ix := w.rs.ix
	off := ix.objects.at(int(i)).offset
	delta := ix.cache.get(ix.objects.cacheRef(int(i)))
	var stream *bufio.Reader
	if delta == nil {
		e, err := w.entry(i)
		if err != nil {
			return nil, id, false, err
		}
		r, err := w.open(e)
		if err != nil {
			return nil, id, false, err
		}
		if e.h.Size <= packfile.BigObjectThreshold {
			if w.delta, err = readExact(r, w.delta, e.h.Size); err != nil {
				return nil, id, false, packErr("delta at offset %d: %v", off, err)
			}
			delta = w.delta
		} else {
			stream = bufio.NewReaderSize(r, 64<<10)
		}
	}
	var rsz int64
	if delta != nil {
		rsz, err = packfile.ResultSize(delta)
	} else {
		head, _ := stream.Peek(20)
		rsz, err = packfile.ResultSize(head)
	}
	if err != nil {
		return nil, id, false, w.corrupt(off, err)
	}
	w.hasher.Reset()
	w.hasher.Write(packfile.AppendObjectHeader(w.hdr[:0], typ, rsz))
	switch {
	case delta != nil && base.File == nil && rsz <= packfile.BigObjectThreshold:
		if !keep {
			if _, err := packfile.WriteDelta(w.hasher, base.Data, delta); err != nil {
				return nil, id, false, w.corrupt(off, err)
			}
			break
		}
		buf := w.result
		if fresh {
			buf = w.rs.pool.get(rsz)
		}
		data, err := packfile.ApplyDelta(buf, base.Data, delta)
		if err != nil {
			return nil, id, false, w.corrupt(off, err)
		}
		if !fresh {
			w.result, reused = data, true
		}
		w.hasher.Write(data)
		out = packfile.MemContent(data)
	default:
		// A big base, delta or result: streamed, in bounded memory.
		var d io.Reader = stream
		if stream == nil {
			d = bytes.NewReader(delta)
		}
		var dst io.Writer = w.hasher
		var sp *packfile.SpillWriter
		var mem []byte
		if keep {
			if rsz > packfile.BigObjectThreshold {
				if sp, err = packfile.NewSpill(ix.packDir); err != nil {
					return nil, id, false, err
				}
				w.rs.spills.Add(1)
				dst = io.MultiWriter(w.hasher, sp)
			} else {
				mem = w.rs.pool.get(rsz)[:0]
				dst = io.MultiWriter(w.hasher, (*appendWriter)(&mem))
			}
		}
		if _, err := packfile.ApplyDeltaStream(dst, base.ReaderAt(), base.Size, d); err != nil {
			if sp != nil {
				sp.Abort()
			}
			return nil, id, false, w.corrupt(off, err)
		}
		if sp != nil {
			if out, err = sp.Content(); err != nil {
				return nil, id, false, err
			}
		} else if keep {
			out = packfile.MemContent(mem)
		}
	}
	w.hasher.Sum(id[:0])
	return out, id, reused, nil
}

// appendWriter appends to a slice allocated at its final size.
type appendWriter []byte

func (a *appendWriter) Write(b []byte) (int, error) {
	*a = append(*a, b...)
	return len(b), nil
}

func (w *resolveWorker) corrupt(off int64, err error) error {
	if errors.Is(err, packfile.ErrCorrupt) {
		return packErr("object at offset %d: %v", off, err)
	}
	return err
}

// packEntry is one entry read back from the pack file: its header and its
// compressed data, in memory (raw, in a reused buffer) when it is at most
// 4 MiB compressed, else as a buffered stream.
type packEntry struct {
	off    int64
	h      packfile.EntryHeader
	raw    []byte
	stream *bufio.Reader
}

func (w *resolveWorker) entry(i int32) (packEntry, error) {
	ix := w.rs.ix
	e := packEntry{off: ix.objects.at(int(i)).offset}
	n := ix.objects.end(int(i), ix.size) - e.off
	var err error
	if n <= 4<<20 {
		if int64(cap(w.raw)) < n {
			w.raw = make([]byte, n)
		}
		raw := w.raw[:n]
		if _, err := ix.file.ReadAt(raw, e.off); err != nil {
			return e, err
		}
		if e.h, err = packfile.ParseEntryHeader(raw, e.off); err != nil {
			return e, w.corrupt(e.off, err)
		}
		e.raw = raw[e.h.Len:]
		return e, nil
	}
	e.stream = bufio.NewReaderSize(io.NewSectionReader(ix.file, e.off, n), 256<<10)
	if e.h, err = packfile.ReadEntryHeader(e.stream, e.off); err != nil {
		return e, w.corrupt(e.off, err)
	}
	return e, nil
}

// open returns a reader of the entry's inflated data.
func (w *resolveWorker) open(e packEntry) (io.Reader, error) {
	var r io.Reader
	var err error
	if e.raw != nil {
		r, err = w.z.Open(e.raw)
	} else {
		r, err = w.z.OpenStream(e.stream)
	}
	if err != nil {
		return nil, w.corrupt(e.off, err)
	}
	return r, nil
}

// readExact reads exactly size bytes, the whole rest of r, into buf (grown
// to size when too small).
func readExact(r io.Reader, buf []byte, size int64) ([]byte, error) {
	if int64(cap(buf)) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	var one [1]byte
	if n, _ := r.Read(one[:]); n != 0 {
		return nil, errors.New("more data than the header says")
	}
	return buf, nil
}

// load reads non-delta object i: into memory at its exact size, or into a
// temporary file when it is big.
func (w *resolveWorker) load(i int32) (*packfile.Content, error) {
	e, err := w.entry(i)
	if err != nil {
		return nil, err
	}
	r, err := w.open(e)
	if err != nil {
		return nil, err
	}
	if e.h.Size <= packfile.BigObjectThreshold {
		data, err := readExact(r, w.rs.pool.get(e.h.Size), e.h.Size)
		if err != nil {
			return nil, packErr("object at offset %d: %v", e.off, err)
		}
		return packfile.MemContent(data), nil
	}
	sp, err := packfile.NewSpill(w.rs.ix.packDir)
	if err != nil {
		return nil, err
	}
	w.rs.spills.Add(1)
	if n, err := io.Copy(sp, io.LimitReader(r, e.h.Size)); err != nil || n != e.h.Size {
		sp.Abort()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, packErr("object at offset %d: %v", e.off, err)
	}
	return sp.Content()
}

// rebuild recomputes the content of object b (already resolved) from its
// chain of bases, when the content was dropped to stay within budget. It
// returns it with a reference for the caller. The worker remembers the
// last one: siblings come off the stack together.
func (w *resolveWorker) rebuild(b int32) (*held, error) {
	if w.memo != nil && w.memoAt == b {
		w.memo.refs.Add(1)
		return w.memo, nil
	}
	w.rs.rebuilds.Add(1)
	objs := &w.rs.ix.objects
	var chain []int32
	for j := b; ; j = objs.at(int(j)).base {
		chain = append(chain, j)
		o := objs.at(int(j))
		if o.kind.IsObject() {
			break
		}
		if o.base < 0 || len(chain) > objs.len() {
			return nil, packErr("delta at offset %d has no base", o.offset)
		}
	}
	cur, err := w.load(chain[len(chain)-1])
	if err != nil {
		return nil, err
	}
	for k := len(chain) - 2; k >= 0; k-- {
		j := chain[k]
		next, _, _, err := w.build(j, cur, objs.at(int(j)).typ, true, true)
		w.rs.drop(cur)
		if err != nil {
			return nil, err
		}
		cur = next
	}
	h := w.rs.hold(cur)
	w.rs.release(w.memo)
	h.refs.Add(1) // the memo's
	w.memo, w.memoAt = h, b
	return h, nil
}

func (ix *packIndexer) computeCRCs() error {
	r := bufio.NewReaderSize(io.NewSectionReader(ix.file, 0, ix.size), 256<<10)
	if _, err := r.Discard(12); err != nil {
		return err
	}
	var buf [32 << 10]byte
	for i := range ix.objects.len() {
		o := ix.objects.at(i)
		end := ix.objects.end(i, ix.size)
		crc := uint32(0)
		for left := end - o.offset; left > 0; {
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

// sortByID returns the object indexes in id order: a counting sort on the
// first two bytes, then a sort of each (small) bucket.
func sortByID(objs *objectTable) []int32 {
	var count [1<<16 + 1]int32
	for i := range objs.len() {
		h := &objs.at(i).hash
		count[int(h[0])<<8|int(h[1])+1]++
	}
	for k := 1; k < len(count); k++ {
		count[k] += count[k-1]
	}
	order := make([]int32, objs.len())
	next := count
	for i := range objs.len() {
		h := &objs.at(i).hash
		b := int(h[0])<<8 | int(h[1])
		order[next[b]] = int32(i)
		next[b]++
	}
	for b := 0; b < 1<<16; b++ {
		bucket := order[count[b]:count[b+1]]
		if len(bucket) > 1 {
			slices.SortFunc(bucket, func(x, y int32) int { return bytes.Compare(objs.at(int(x)).hash[:], objs.at(int(y)).hash[:]) })
		}
	}
	return order
}

// writeIndex writes the version 2 .idx and the types file, and moves the
// pack and the index in place.
func (ix *packIndexer) writeIndex() ([]plumbing.Hash, error) {
	objs := &ix.objects
	order := sortByID(objs)
	for k := 1; k < len(order); k++ {
		if h := objs.at(int(order[k])).hash; h == objs.at(int(order[k-1])).hash {
			return nil, packErr("object %s appears twice", h)
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
	_, err = packfile.WriteIndex(idx, ix.packSum, len(order), func(i int) packfile.IndexEntry {
		o := objs.at(int(order[i]))
		return packfile.IndexEntry{ID: o.hash, CRC: o.crc, Offset: o.offset}
	})
	if err != nil {
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
	// Pack first, then its types, then the .idx, which makes the pack
	// visible to readers.
	if err := os.Rename(ix.tmpPack, base+".pack"); err != nil {
		return nil, err
	}
	types := packfile.EncodeTypes(ix.packSum, len(order), func(i int) packfile.Type { return objs.at(int(order[i])).typ })
	typesPath := packfile.TypesPath(base + ".pack")
	if err := os.MkdirAll(filepath.Dir(typesPath), 0o755); err != nil {
		os.Remove(base + ".pack")
		return nil, err
	}
	if err := fsatomic.WriteFile(typesPath, types, 0o444); err != nil {
		os.Remove(base + ".pack")
		return nil, err
	}
	if err := os.Rename(idx.Name(), base+".idx"); err != nil {
		os.Remove(base + ".pack")
		os.Remove(typesPath)
		return nil, err
	}
	sorted := make([]plumbing.Hash, len(order))
	for k, i := range order {
		sorted[k] = objs.at(int(i)).hash
	}
	return sorted, nil
}
