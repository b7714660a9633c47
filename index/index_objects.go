package index

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gitjira/gitjira/internal/gitdir"
	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/gitjira/gitjira/store"
	"github.com/go-git/go-git/v5/plumbing"
)

// Reading commits from a mirror.
//
// go-git's object decoding (and its Log with All: true, which also misses
// commits reachable only through merges) is several times slower than git
// itself on large histories. The walk only needs commits and tags, so it
// reads them straight from the packs with internal/packfile, the same code
// gitops received and indexed them with: the .idx maps an id to an offset,
// the .pack is memory-mapped (only the pages of the objects read become
// resident), deltas are applied with a byte-bounded cache of bases, and loose
// objects are read from objects/xx/.
//
// What is read, and how much of it, is bounded whatever the repository holds:
//   - Types come from the types file the indexer wrote beside each pack
//     (packfile.TypesPath), so a first index finds every commit without
//     touching any other object, and a ref to a blob or tree is recognised
//     without reading it (a tag to a 1 GiB blob costs the tag). A pack without
//     one (a mirror made before types files existed, or repacked by git) has
//     its entry headers scanned once instead, still without inflating.
//   - Only commits and tags are ever inflated. An object up to
//     packfile.BigObjectThreshold is read whole; a larger one is streamed and
//     only its headers (tree, parents, author, committer: at most
//     maxCommitHeaders bytes) and the start of its message are kept.
//   - Issue keys and the subject are taken from the first maxMessageScan
//     bytes (64 KiB) of a message: a key mentioned only after that in a huge
//     message is not indexed.

// maxMessageScan is how much of a commit message is searched for issue keys.
const maxMessageScan = 64 << 10

// maxCommitHeaders bounds the header lines kept from a big commit (a commit
// with hundreds of thousands of parents is refused rather than held).
const maxCommitHeaders = 16 << 20

// maxCacheBytes bounds the delta bases the readers keep, all readers together.
const maxCacheBytes = 32 << 20

type objectDB struct {
	dir     string
	objects string // dir/objects
	packs   []*packfile.Pack
	shallow map[plumbing.Hash]bool
	rd      *packfile.Reader // the walk's reader (predecode has its own)
}

func openObjectDB(dir string) (*objectDB, error) {
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil && fi.IsDir() {
		dir = filepath.Join(dir, ".git")
	}
	if _, err := os.Stat(filepath.Join(dir, "objects")); err != nil {
		return nil, fmt.Errorf("the mirror %s is missing or is not a git repository: fetch it again (remove and reconnect the repository)", dir)
	}
	db := &objectDB{dir: dir, objects: filepath.Join(dir, "objects")}
	db.rd = &packfile.Reader{MaxCache: maxCacheBytes, Others: db}
	packs, _ := filepath.Glob(filepath.Join(db.objects, "pack", "*.pack"))
	for _, path := range packs {
		p, err := packfile.OpenPack(path)
		if err != nil {
			// A pack without a version 2 index (being written, or from
			// an ancient git) is skipped; its objects are reported missing.
			continue
		}
		db.packs = append(db.packs, p)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "shallow")); err == nil {
		db.shallow = map[plumbing.Hash]bool{}
		for _, l := range strings.Fields(string(data)) {
			db.shallow[plumbing.NewHash(l)] = true
		}
	}
	return db, nil
}

func (db *objectDB) Close() {
	for _, p := range db.packs {
		p.Close()
	}
	db.packs = nil
}

func (db *objectDB) find(id plumbing.Hash) (*packfile.Pack, int, int64, bool) {
	for _, p := range db.packs {
		if pos, ok := p.Index.Lookup(id); ok {
			if off, ok := p.Index.Offset(pos); ok {
				return p, pos, off, true
			}
		}
	}
	return nil, 0, 0, false
}

func missing(id plumbing.Hash) error {
	return fmt.Errorf("object %s is missing from the mirror: the mirror is incomplete; fetch again or reconnect the repository", id)
}

// ObjectType returns the type of id without inflating it: from the pack's
// types file, else from entry headers, else from a loose object's header.
func (db *objectDB) ObjectType(id plumbing.Hash) (packfile.Type, error) {
	if p, pos, off, ok := db.find(id); ok {
		if t := p.TypeOf(pos); t != 0 {
			return t, nil
		}
		return db.rd.TypeAt(p, off)
	}
	t, _, rc, err := packfile.OpenLoose(db.objects, id)
	if errors.Is(err, os.ErrNotExist) {
		return 0, missing(id)
	}
	if err != nil {
		return 0, err
	}
	rc.Close()
	return t, nil
}

// Object returns the type and whole content of id (at most
// packfile.BigObjectThreshold bytes).
func (db *objectDB) Object(id plumbing.Hash) (packfile.Type, []byte, error) {
	t, size, data, err := db.readPrefix(id, 0)
	if err == nil && int64(len(data)) < size {
		return 0, nil, fmt.Errorf("object %s: %w (%d bytes)", id, packfile.ErrBigObject, size)
	}
	return t, data, err
}

// read returns the type and whole content of a small object.
func (db *objectDB) read(id plumbing.Hash) (packfile.Type, []byte, error) { return db.Object(id) }

// readPrefix returns id's type and size, and its content when it is at most
// packfile.BigObjectThreshold bytes, else its first limit bytes.
func (db *objectDB) readPrefix(id plumbing.Hash, limit int) (packfile.Type, int64, []byte, error) {
	if p, _, off, ok := db.find(id); ok {
		t, data, err := db.rd.Read(p, off)
		if err == nil {
			return t, int64(len(data)), data, nil
		}
		if !errors.Is(err, packfile.ErrBigObject) {
			return 0, 0, nil, err
		}
		t, size, rc, err := db.rd.Open(p, off)
		if err != nil {
			return 0, 0, nil, err
		}
		defer rc.Close()
		data, err = readUpTo(rc, limit)
		return t, size, data, err
	}
	t, size, rc, err := packfile.OpenLoose(db.objects, id)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil, missing(id)
	}
	if err != nil {
		return 0, 0, nil, err
	}
	defer rc.Close()
	n := size
	if n > packfile.BigObjectThreshold {
		n = min(n, int64(limit))
	}
	data, err := readUpTo(rc, int(n))
	return t, size, data, err
}

func readUpTo(r io.Reader, limit int) ([]byte, error) {
	buf := make([]byte, limit)
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return buf[:n], err
}

// readCommit returns commit id's bytes: the whole commit when it is at most
// packfile.BigObjectThreshold, else its kept headers and the start of its
// message (condenseCommit).
func (db *objectDB) readCommit(id plumbing.Hash) ([]byte, error) {
	if p, _, off, ok := db.find(id); ok {
		return readCommitAt(db.rd, p, off)
	}
	t, _, rc, err := packfile.OpenLoose(db.objects, id)
	if errors.Is(err, os.ErrNotExist) {
		return nil, missing(id)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if t != packfile.Commit {
		return nil, fmt.Errorf("object %s is not a commit", id)
	}
	return condenseCommit(rc)
}

func readCommitAt(rd *packfile.Reader, p *packfile.Pack, off int64) ([]byte, error) {
	t, data, err := rd.Read(p, off)
	if errors.Is(err, packfile.ErrBigObject) {
		var rc io.ReadCloser
		if t, _, rc, err = rd.Open(p, off); err == nil {
			defer rc.Close()
			if t == packfile.Commit {
				data, err = condenseCommit(rc)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if t != packfile.Commit {
		return nil, errors.New("not a commit")
	}
	return data, nil
}

// condenseCommit reads a big commit as a stream and keeps what the index
// uses: the tree, parent, author and committer lines (other headers, such
// as a signature, are skipped), then the first maxMessageScan bytes of the
// message.
func condenseCommit(r io.Reader) ([]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []byte
	for {
		line, err := br.ReadSlice('\n')
		long := err == bufio.ErrBufferFull
		if err != nil && !long {
			if err == io.EOF {
				return append(out, line...), nil // no message
			}
			return nil, err
		}
		if string(line) == "\n" {
			out = append(out, '\n')
			break
		}
		keep := bytes.HasPrefix(line, []byte("tree ")) || bytes.HasPrefix(line, []byte("parent ")) ||
			bytes.HasPrefix(line, []byte("author ")) || bytes.HasPrefix(line, []byte("committer "))
		if keep {
			out = append(out, line...)
		}
		for long { // skip the rest of an over-long line
			_, err = br.ReadSlice('\n')
			long = err == bufio.ErrBufferFull
			if err != nil && !long {
				return out, nil
			}
		}
		if keep && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		if len(out) > maxCommitHeaders {
			return nil, fmt.Errorf("the commit has more than %d bytes of headers (parents), more than gitjira indexes", maxCommitHeaders)
		}
	}
	msg, err := readUpTo(br, maxMessageScan)
	return append(out, msg...), err
}

// predecodeMin is the number of packed objects from which a first index
// decodes the packs' commits in parallel before walking (a variable so
// tests can force either path).
var predecodeMin = 20000

// predecode inflates and parses every commit of the packs on all cores
// and returns them by id. Inflating is most of a walk's work and the walk
// itself is sequential (each commit names the next ones), so a first index
// of a large mirror decodes everything up front: nearly every packed
// commit of a fresh mirror is reachable. The commits are found from the
// packs' types files, read in pack order. Commits it could not decode on its
// own (a delta base in another pack) are left to the walk.
func (db *objectDB) predecode() map[plumbing.Hash]*commitMeta {
	type entry struct {
		p   *packfile.Pack
		off int64
		id  plumbing.Hash
	}
	var commits []entry
	for _, p := range db.packs {
		positions, err := p.PositionsOfType(packfile.Commit)
		if err != nil {
			continue // left to the walk
		}
		for _, pos := range positions {
			off, _ := p.Index.Offset(pos)
			commits = append(commits, entry{p: p, off: off, id: p.Index.ID(pos)})
		}
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	results := make([]*commitMeta, len(commits))
	const chunk = 256
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		rd := &packfile.Reader{MaxCache: maxCacheBytes / int64(workers)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c commitInfo
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= len(commits) {
					return
				}
				for i := start; i < min(start+chunk, len(commits)); i++ {
					data, err := readCommitAt(rd, commits[i].p, commits[i].off)
					if err != nil || parseCommit(data, &c) != nil {
						continue
					}
					results[i] = newMeta(&c)
				}
			}
		}()
	}
	wg.Wait()
	out := make(map[plumbing.Hash]*commitMeta, len(commits))
	for i, m := range results {
		if m != nil {
			out[commits[i].id] = m
		}
	}
	return out
}

func (db *objectDB) packedObjects() int {
	n := 0
	for _, p := range db.packs {
		n += p.Index.Count()
	}
	return n
}

// commitInfo is what the index needs of a commit.
type commitInfo struct {
	parents []plumbing.Hash
	author  string
	when    int64
	tzMin   int
	message string // its first maxMessageScan bytes
}

// subject is the first paragraph of the message on one line, as git's %s.
func (c *commitInfo) subject() string {
	msg := strings.TrimLeft(c.message, "\n")
	if i := strings.Index(msg, "\n\n"); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimRight(msg, "\n")
	if !strings.Contains(msg, "\n") {
		return strings.TrimSpace(msg)
	}
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

// parseCommit reads the headers git writes (tree, parent*, author,
// committer, then optional ones like gpgsig or mergetag whose continuation
// lines start with a space) and the message after the first blank line, of
// which it keeps the first maxMessageScan bytes.
func parseCommit(data []byte, c *commitInfo) error {
	c.parents = c.parents[:0]
	c.author, c.when, c.tzMin, c.message = "", 0, 0, ""
	pos := 0
	for pos < len(data) {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += pos
		}
		line := data[pos:end]
		pos = end + 1
		if len(line) == 0 {
			if pos <= len(data) {
				c.message = string(data[pos:min(len(data), pos+maxMessageScan)])
			}
			return nil
		}
		switch {
		case bytes.HasPrefix(line, []byte("parent ")):
			h, ok := parseHex(line[7:])
			if !ok {
				return errors.New("bad parent line")
			}
			c.parents = append(c.parents, h)
		case bytes.HasPrefix(line, []byte("author ")):
			c.author, c.when, c.tzMin = parseSignature(line[7:])
		}
	}
	return nil
}

func parseHex(b []byte) (plumbing.Hash, bool) {
	var h plumbing.Hash
	if len(b) != 40 {
		return h, false
	}
	_, err := hex.Decode(h[:], b)
	return h, err == nil
}

// parseSignature splits "Name <email> 1700000000 +0200".
func parseSignature(b []byte) (name string, when int64, tzMin int) {
	lt := bytes.IndexByte(b, '<')
	gt := bytes.LastIndexByte(b, '>')
	if lt < 0 || gt < lt {
		return strings.TrimSpace(string(b)), 0, 0
	}
	name = strings.TrimSpace(string(b[:lt]))
	rest := strings.Fields(string(b[gt+1:]))
	if len(rest) >= 1 {
		when, _ = strconv.ParseInt(rest[0], 10, 64)
	}
	if len(rest) >= 2 && len(rest[1]) == 5 {
		tz := rest[1]
		h, err1 := strconv.Atoi(tz[1:3])
		m, err2 := strconv.Atoi(tz[3:5])
		if err1 == nil && err2 == nil {
			tzMin = h*60 + m
			if tz[0] == '-' {
				tzMin = -tzMin
			}
		}
	}
	return name, when, tzMin
}

// refTips returns every ref (HEAD included) peeled to the commit it names;
// refs to trees or blobs are left out, as git rev-list --all leaves them.
// Types come from the types files or entry headers: only tags are read (their
// first lines), never the object a ref or tag points at unless it is a tag.
//
// It returns the distinct commits, in the order of the first ref (by name)
// naming each, and a digest of the whole (name, commit) list that says
// whether the refs changed since the last update. Refs are streamed, never
// held: a mirror with a million refs costs what its distinct commits cost.
func (db *objectDB) refTips() ([]plumbing.Hash, string, error) {
	peeled := map[plumbing.Hash]plumbing.Hash{} // ref target -> commit (zero: none)
	var tips []plumbing.Hash
	added := map[plumbing.Hash]bool{}
	var digest tipsDigest
	err := gitdir.ForEachRef(db.dir, func(name string, id plumbing.Hash) error {
		c, ok := peeled[id]
		if !ok {
			var err error
			if c, err = db.peel(id); err != nil {
				return fmt.Errorf("ref %s: %w", name, err)
			}
			peeled[id] = c
		}
		if c.IsZero() {
			return nil
		}
		digest.add(name, c)
		if !added[c] {
			added[c] = true
			tips = append(tips, c)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return tips, digest.String(), nil
}

// peel returns the commit id names, following tags; zero for a tree or a
// blob.
func (db *objectDB) peel(id plumbing.Hash) (plumbing.Hash, error) {
	for range 100 { // tags of tags, with a bound against cycles
		typ, err := db.ObjectType(id)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if typ == packfile.Commit {
			return id, nil
		}
		if typ != packfile.Tag {
			break
		}
		// "object <id>" is the tag's first line.
		_, _, data, err := db.readPrefix(id, 64)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if len(data) < 47 || !bytes.HasPrefix(data, []byte("object ")) {
			return plumbing.ZeroHash, fmt.Errorf("bad tag object %s", id)
		}
		next, ok := parseHex(data[7:47])
		if !ok {
			return plumbing.ZeroHash, fmt.Errorf("bad tag object %s", id)
		}
		id = next
	}
	return plumbing.ZeroHash, nil
}

// tipsDigest sums a hash of each (ref name, commit) pair: the same refs
// give the same digest in whatever order they are listed, loose or packed.
type tipsDigest struct {
	sum [4]uint64
	n   uint64
}

func (d *tipsDigest) add(name string, c plumbing.Hash) {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(c[:])
	var b [32]byte
	h.Sum(b[:0])
	for i := range d.sum {
		d.sum[i] += binary.BigEndian.Uint64(b[i*8:])
	}
	d.n++
}

func (d *tipsDigest) String() string {
	return fmt.Sprintf("%d:%016x%016x%016x%016x", d.n, d.sum[0], d.sum[1], d.sum[2], d.sum[3])
}

// commitMeta is what the index keeps of a decoded commit.
type commitMeta struct {
	parents []plumbing.Hash
	author  string
	when    int64
	tzMin   int
	keys    []string
	subject string // set when keys is not empty
	matches []keyLine
}

func newMeta(c *commitInfo) *commitMeta {
	m := &commitMeta{parents: slices.Clone(c.parents), author: c.author, when: c.when, tzMin: c.tzMin, keys: store.IssueKeys(c.message)}
	if len(m.keys) > 0 {
		m.subject = c.subject()
		m.matches = matchLines(m.keys, m.subject, c.message)
	}
	return m
}

// walk visits every commit reachable from tips that is not in seen (breadth
// first over parents), adds it to seen and calls visit. Commits listed in
// the mirror's shallow file have their parents cut, as git does.
func (db *objectDB) walk(tips []plumbing.Hash, seen map[plumbing.Hash]struct{}, visit func(plumbing.Hash, *commitMeta)) error {
	var pre map[plumbing.Hash]*commitMeta
	if len(seen) == 0 && db.packedObjects() >= predecodeMin {
		pre = db.predecode()
	}
	var queue []plumbing.Hash
	for _, h := range tips { // in ref name order: the new entries' order is deterministic
		if _, ok := seen[h]; !ok {
			seen[h] = struct{}{}
			queue = append(queue, h)
		}
	}
	var c commitInfo
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		m := pre[id]
		if m == nil {
			data, err := db.readCommit(id)
			if err != nil {
				return fmt.Errorf("commit %s: %w", id, err)
			}
			if err := parseCommit(data, &c); err != nil {
				return fmt.Errorf("commit %s: %w", id, err)
			}
			m = newMeta(&c)
		} else {
			delete(pre, id) // what the walk took is not needed twice
		}
		visit(id, m)
		if db.shallow[id] {
			continue
		}
		for _, p := range m.parents {
			if _, ok := seen[p]; !ok {
				seen[p] = struct{}{}
				queue = append(queue, p)
			}
		}
	}
	return nil
}

// listRefs returns every ref of forEachRef in a map (for lookups by name
// among a repository's refs; the index itself streams them).
func listRefs(dir string) (map[string]plumbing.Hash, error) {
	refs := map[string]plumbing.Hash{}
	err := gitdir.ForEachRef(dir, func(name string, id plumbing.Hash) error {
		refs[name] = id
		return nil
	})
	return refs, err
}
