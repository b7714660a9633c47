package jira

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// CommitRef is one commit that mentions Jira issue keys.
type CommitRef struct {
	Repository string
	SHA        string // full hex
	Author     string // author name
	Date       time.Time
	Subject    string
	// Keys are the issue keys the message mentions that the repository's
	// projects allow, in order of first appearance.
	Keys []string
}

// UpdateResult says what Index.Update did.
type UpdateResult struct {
	// Added are the newly indexed commits that mention allowed issue keys
	// (what `repos fetch --link` pushes to Jira), in reverse walk order:
	// roughly oldest first, parents before children along each line.
	Added []CommitRef
	// New is the number of commits newly indexed, mentioning keys or not.
	New int
	// Commits is the number of commits in the repository's index, IssueKeys
	// the number of distinct allowed issue keys they mention.
	Commits, IssueKeys int
}

// Index maps Jira issue keys to the commits that mention them. It keeps one
// file per repository under Paths.IndexDir, so a lookup reads those files and
// never walks history.
//
// Each repository's file records the ref tips seen at the last update, every
// commit already indexed (the walk's seen set), and for each commit that
// mentions issue keys: sha, author, date, subject and all the keys. An update
// walks only from the refs' current tips down to already-indexed commits, so
// a fetch indexes only what is new. Commits that became unreachable (a
// force-push, a deleted branch) stay in the index: Jira keeps showing a commit
// once seen, as the Jira app does, and dropping them would need a full walk.
//
// The project restriction is applied when counting, when reporting Added and
// in Lookup, not when storing: changing a repository's projects takes effect
// without re-indexing.
type Index struct {
	paths Paths
}

// OpenIndex returns the index kept under p.
func OpenIndex(p Paths) *Index { return &Index{paths: p} }

// indexVersion is the format version of the per-repository index files.
const indexVersion = 1

func (ix *Index) file(name string) string { return filepath.Join(ix.paths.IndexDir(), name+".idx") }

// Remove deletes the index of the repository called name.
func (ix *Index) Remove(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	err := os.Remove(ix.file(name))
	os.Remove(ix.file(name) + ".lock")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// indexHeader is the first line of an index file (JSON).
type indexHeader struct {
	Version    int               `json:"version"`
	Repository string            `json:"repository"`
	Mirror     string            `json:"mirror"`
	Tips       map[string]string `json:"tips"`
	Commits    int               `json:"commits"`
	Updated    time.Time         `json:"updated"`
}

// indexData is a repository's index in memory.
type indexData struct {
	header  indexHeader
	entries [][]byte // entry lines (without newline), see formatEntry
	seen    map[plumbing.Hash]struct{}
}

// The file layout: a magic line, the JSON header line, the entry lines, then
// "seen N" and N raw 20-byte commit ids. Lookup stops at the "seen" line.
const (
	indexMagic  = "gitjira-index 1"
	seenSection = "seen "
)

// entry line: sha \t unix-seconds \t tz-offset-minutes \t KEY,KEY \t author \t subject
func formatEntry(buf []byte, sha plumbing.Hash, when int64, tzMin int, keys []string, author, subject string) []byte {
	buf = hex.AppendEncode(buf, sha[:])
	buf = append(buf, '\t')
	buf = strconv.AppendInt(buf, when, 10)
	buf = append(buf, '\t')
	buf = strconv.AppendInt(buf, int64(tzMin), 10)
	buf = append(buf, '\t')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, k...)
	}
	buf = append(buf, '\t')
	buf = appendClean(buf, author)
	buf = append(buf, '\t')
	buf = appendClean(buf, subject)
	return buf
}

// appendClean appends s with tabs, newlines and other control characters
// turned into spaces, so a field never breaks the line format.
func appendClean(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		buf = append(buf, c)
	}
	return buf
}

type entryFields struct {
	sha     string
	when    int64
	tzMin   int
	keys    string // comma separated
	author  string
	subject string
}

func parseEntry(line []byte) (entryFields, bool) {
	parts := bytes.SplitN(line, []byte{'\t'}, 6)
	if len(parts) != 6 || len(parts[0]) != 40 {
		return entryFields{}, false
	}
	when, err1 := strconv.ParseInt(string(parts[1]), 10, 64)
	tz, err2 := strconv.Atoi(string(parts[2]))
	if err1 != nil || err2 != nil {
		return entryFields{}, false
	}
	return entryFields{string(parts[0]), when, tz, string(parts[3]), string(parts[4]), string(parts[5])}, true
}

func (e entryFields) ref(repo string, keys []string) CommitRef {
	return CommitRef{Repository: repo, SHA: e.sha, Author: e.author, Date: unixDate(e.when, e.tzMin), Subject: e.subject, Keys: keys}
}

func unixDate(when int64, tzMin int) time.Time {
	t := time.Unix(when, 0)
	if tzMin == 0 {
		return t.UTC()
	}
	sign := "+"
	m := tzMin
	if m < 0 {
		sign, m = "-", -m
	}
	return t.In(time.FixedZone(fmt.Sprintf("%s%02d%02d", sign, m/60, m%60), tzMin*60))
}

// entryKeys returns the keys field of an entry line without parsing the rest.
func entryKeys(line []byte) []byte {
	// sha \t when \t tz \t keys \t ...
	for f := 0; f < 3; f++ {
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			return nil
		}
		line = line[i+1:]
	}
	if i := bytes.IndexByte(line, '\t'); i >= 0 {
		return line[:i]
	}
	return nil
}

func (ix *Index) load(name string) (*indexData, error) {
	path := ix.file(name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	d := &indexData{seen: map[plumbing.Hash]struct{}{}}
	br := bufio.NewReaderSize(f, 1<<16)
	corrupt := func(why string) error {
		return fmt.Errorf("the index %s is corrupted (%s): remove it and run `gitjira repos fetch %s` to rebuild it", path, why, name)
	}
	magic, err := br.ReadString('\n')
	if err != nil || strings.TrimSuffix(magic, "\n") != indexMagic {
		return nil, corrupt("bad first line")
	}
	head, err := br.ReadBytes('\n')
	if err != nil || json.Unmarshal(head, &d.header) != nil || d.header.Version != indexVersion {
		return nil, corrupt("bad header")
	}
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return nil, corrupt("truncated")
		}
		line = line[:len(line)-1]
		if bytes.HasPrefix(line, []byte(seenSection)) {
			n, err := strconv.Atoi(string(line[len(seenSection):]))
			if err != nil || n < 0 || int64(n) > size/20 {
				return nil, corrupt("bad seen count")
			}
			raw := make([]byte, n*20)
			if _, err := io.ReadFull(br, raw); err != nil {
				return nil, corrupt("truncated commit list")
			}
			for i := 0; i < n; i++ {
				var h plumbing.Hash
				copy(h[:], raw[i*20:])
				d.seen[h] = struct{}{}
			}
			return d, nil
		}
		if _, ok := parseEntry(line); !ok {
			return nil, corrupt("bad entry line")
		}
		d.entries = append(d.entries, line)
	}
}

func (ix *Index) save(name string, d *indexData) error {
	var buf bytes.Buffer
	buf.Grow(len(d.entries)*120 + len(d.seen)*20 + 1024)
	buf.WriteString(indexMagic + "\n")
	head, err := json.Marshal(d.header)
	if err != nil {
		return err
	}
	buf.Write(head)
	buf.WriteByte('\n')
	for _, e := range d.entries {
		buf.Write(e)
		buf.WriteByte('\n')
	}
	fmt.Fprintf(&buf, "%s%d\n", seenSection, len(d.seen))
	ids := make([]plumbing.Hash, 0, len(d.seen))
	for h := range d.seen {
		ids = append(ids, h)
	}
	// Sorted so that the same index always makes the same bytes.
	slices.SortFunc(ids, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	for _, h := range ids {
		buf.Write(h[:])
	}
	return writeFileAtomic(ix.file(name), buf.Bytes(), 0o600)
}

// Update indexes the commits of repo's mirror that are not indexed yet:
// every commit reachable from any ref (branches, tags, anything under refs/,
// HEAD), as `git rev-list --all` lists them. Annotated tags are peeled. It is
// safe to run from several processes: updates of one repository are
// serialised by a lock file beside its index.
func (ix *Index) Update(repo Repository) (UpdateResult, error) {
	if err := ValidName(repo.Name); err != nil {
		return UpdateResult{}, err
	}
	lk, err := lockFile(ix.file(repo.Name) + ".lock")
	if err != nil {
		return UpdateResult{}, err
	}
	defer lk.Unlock()

	d, err := ix.load(repo.Name)
	if err != nil {
		return UpdateResult{}, err
	}
	mirror := absOr(repo.Mirror)
	if d == nil || d.header.Mirror != mirror {
		// No index yet, or the repository now has another mirror: start over.
		d = &indexData{seen: map[plumbing.Hash]struct{}{}}
	}
	odb, err := openObjectDB(mirror)
	if err != nil {
		return UpdateResult{}, fmt.Errorf("cannot index %s: %w", repo.Name, err)
	}
	defer odb.Close()
	tips, err := odb.refTips()
	if err != nil {
		return UpdateResult{}, fmt.Errorf("cannot index %s: %w", repo.Name, err)
	}

	var res UpdateResult
	var line []byte
	newEntries := len(d.entries)
	err = odb.walk(tips, d.seen, func(id plumbing.Hash, c *commitMeta) {
		res.New++
		if len(c.keys) == 0 {
			return
		}
		line = formatEntry(line[:0], id, c.when, c.tzMin, c.keys, c.author, c.subject)
		d.entries = append(d.entries, slices.Clone(line))
	})
	if err != nil {
		return UpdateResult{}, fmt.Errorf("cannot index %s: %w", repo.Name, err)
	}
	// The walk goes from the tips down; report the new commits the other
	// way round, roughly oldest first, the order Jira should receive them in.
	for i := len(d.entries) - 1; i >= newEntries; i-- {
		e, _ := parseEntry(d.entries[i])
		if keys := allowedKeys(repo, e.keys); len(keys) > 0 {
			res.Added = append(res.Added, e.ref(repo.Name, keys))
		}
	}
	changed := res.New > 0 || d.header.Mirror != mirror || !mapsEqual(d.header.Tips, tips)
	d.header = indexHeader{Version: indexVersion, Repository: repo.Name, Mirror: mirror, Tips: tips, Commits: len(d.seen), Updated: time.Now().UTC()}
	if changed {
		if err := ix.save(repo.Name, d); err != nil {
			return UpdateResult{}, fmt.Errorf("cannot write the index of %s: %w", repo.Name, err)
		}
	}
	res.Commits = len(d.seen)
	res.IssueKeys = countKeys(repo, d.entries)
	return res, nil
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// allowedKeys splits an entry's keys field and keeps the repository's allowed ones.
func allowedKeys(repo Repository, field string) []string {
	var out []string
	for k := range strings.SplitSeq(field, ",") {
		if k != "" && repo.AllowsIssue(k) {
			out = append(out, k)
		}
	}
	return out
}

func countKeys(repo Repository, entries [][]byte) int {
	set := map[string]struct{}{}
	for _, e := range entries {
		for k := range bytes.SplitSeq(entryKeys(e), []byte{','}) {
			if len(k) == 0 {
				continue
			}
			if _, ok := set[string(k)]; ok {
				continue
			}
			if s := string(k); repo.AllowsIssue(s) {
				set[s] = struct{}{}
			}
		}
	}
	return len(set)
}

// Stats returns the number of indexed commits and of distinct allowed issue
// keys of repo, from its index file (zeros when it has none yet).
func (ix *Index) Stats(repo Repository) (commits, issueKeys int, err error) {
	d, err := ix.load(repo.Name)
	if err != nil || d == nil {
		return 0, 0, err
	}
	return len(d.seen), countKeys(repo, d.entries), nil
}

// Lookup returns the commits that mention issueKey in the repositories of
// the list whose projects allow it, newest first (author date, then
// repository and sha so the order is stable).
func (ix *Index) Lookup(issueKey string) ([]CommitRef, error) {
	if !ValidIssueKey(issueKey) {
		return nil, fmt.Errorf("%q is not a Jira issue key (like PROJ-7)", issueKey)
	}
	repos, err := OpenRepositoryList(ix.paths).Load()
	if err != nil {
		return nil, err
	}
	var out []CommitRef
	for _, r := range repos {
		if !r.AllowsIssue(issueKey) {
			continue
		}
		refs, err := ix.lookupRepo(r, issueKey)
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.After(b.Date)
		}
		if a.Repository != b.Repository {
			return a.Repository < b.Repository
		}
		return a.SHA < b.SHA
	})
	return out, nil
}

// lookupRepo scans one index file's entry lines; it stops before the commit
// list, which lookups do not need.
func (ix *Index) lookupRepo(r Repository, issueKey string) ([]CommitRef, error) {
	path := ix.file(r.Name)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	want := []byte(issueKey)
	var out []CommitRef
	for n := 0; sc.Scan(); n++ {
		line := sc.Bytes()
		if n < 2 {
			if n == 0 && string(line) != indexMagic {
				return nil, fmt.Errorf("the index %s is corrupted (bad first line): remove it and run `gitjira repos fetch %s` to rebuild it", path, r.Name)
			}
			continue
		}
		if bytes.HasPrefix(line, []byte(seenSection)) {
			break
		}
		keys := entryKeys(line)
		if !bytes.Contains(keys, want) {
			continue
		}
		for k := range bytes.SplitSeq(keys, []byte{','}) {
			if bytes.Equal(k, want) {
				e, ok := parseEntry(line)
				if !ok {
					return nil, fmt.Errorf("the index %s is corrupted (bad entry line): remove it and run `gitjira repos fetch %s` to rebuild it", path, r.Name)
				}
				out = append(out, e.ref(r.Name, []string{issueKey}))
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the index %s: %w", path, err)
	}
	return out, nil
}

// ---- reading commits from a mirror ----
//
// go-git's object decoding (and its Log with All: true, which also misses
// commits reachable only through merges) is several times slower than git
// itself on large histories. The walk only needs commits and tags, so it reads
// them straight from the packfiles: the .idx v2 tables map an id to an
// offset, the .pack is memory-mapped, objects are inflated with a reused zlib
// reader, and delta chains (OFS_DELTA and REF_DELTA) are resolved with a cache
// of recently resolved bases. Objects not found in a v2-indexed pack (loose
// objects, alternates) come from go-git's storage.

type objType byte

const (
	objCommit   objType = 1
	objTree     objType = 2
	objBlob     objType = 3
	objTag      objType = 4
	objOfsDelta objType = 6
	objRefDelta objType = 7
)

type packFile struct {
	path   string
	data   []byte // the mapped .pack
	unmap  func() error
	idx    []byte // the whole .idx file
	n      int
	fanout [256]uint32
	shaOff int // offset of the id table in idx
	offOff int // offset of the 4-byte offsets table
	bigOff int // offset of the 8-byte offsets table
}

type objectDB struct {
	dir     string
	packs   []*packFile
	shallow map[plumbing.Hash]bool
	gogit   *gogitObjects // opened on first need
	main    *inflater
}

// inflater reads objects from the packs with its own zlib reader and delta
// base cache; the parallel pre-decoding runs one per goroutine.
type inflater struct {
	db *objectDB
	zr io.ReadCloser
	br bytes.Reader
	// cache of resolved delta bases, by pack and offset
	cache      map[cacheKey]cachedObject
	cacheBytes int
	maxCache   int
	// local: a REF_DELTA base outside the object's own pack is an error
	// instead of a lookup through the whole object database (not goroutine-safe).
	local bool
}

func (db *objectDB) newInflater(maxCache int, local bool) *inflater {
	return &inflater{db: db, cache: map[cacheKey]cachedObject{}, maxCache: maxCache, local: local}
}

type cacheKey struct {
	pack *packFile
	off  int64
}

type cachedObject struct {
	typ  objType
	data []byte
}

const maxCacheBytes = 64 << 20

func openObjectDB(dir string) (*objectDB, error) {
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil && fi.IsDir() {
		dir = filepath.Join(dir, ".git")
	}
	if _, err := os.Stat(filepath.Join(dir, "objects")); err != nil {
		return nil, fmt.Errorf("the mirror %s is missing or is not a git repository: fetch it again (remove and reconnect the repository)", dir)
	}
	db := &objectDB{dir: dir}
	db.main = db.newInflater(maxCacheBytes, false)
	idxs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.idx"))
	for _, idx := range idxs {
		p, err := openPack(strings.TrimSuffix(idx, ".idx"))
		if err != nil {
			// An unreadable or old-format pack is left to go-git.
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
		p.close()
	}
	db.packs = nil
}

func openPack(base string) (*packFile, error) {
	idx, err := os.ReadFile(base + ".idx")
	if err != nil {
		return nil, err
	}
	// v2: magic, version, 256 fanout entries, ids, CRCs, offsets, 8-byte offsets, 2 checksums.
	if len(idx) < 8+256*4+40 || !bytes.Equal(idx[:8], []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}) {
		return nil, errors.New("not a v2 pack index")
	}
	p := &packFile{path: base + ".pack", idx: idx}
	for i := range p.fanout {
		p.fanout[i] = be32(idx[8+i*4:])
	}
	p.n = int(p.fanout[255])
	p.shaOff = 8 + 256*4
	p.offOff = p.shaOff + p.n*20 + p.n*4
	p.bigOff = p.offOff + p.n*4
	if p.bigOff+40 > len(idx) {
		return nil, errors.New("truncated pack index")
	}
	data, unmap, err := mapFile(p.path)
	if err != nil {
		return nil, err
	}
	if len(data) < 12 || string(data[:4]) != "PACK" {
		unmap()
		return nil, errors.New("not a pack")
	}
	p.data, p.unmap = data, unmap
	return p, nil
}

func (p *packFile) close() {
	if p.unmap != nil {
		p.unmap()
		p.unmap = nil
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// find returns the offset of id in the pack: a binary search of the sorted
// id table between the fanout bounds, comparing the first 8 bytes as one
// integer (they almost always decide).
func (p *packFile) find(id plumbing.Hash) (int64, bool) {
	lo := 0
	if id[0] > 0 {
		lo = int(p.fanout[id[0]-1])
	}
	hi := int(p.fanout[id[0]])
	want := binary.BigEndian.Uint64(id[:8])
	tab := p.idx[p.shaOff:]
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
			return p.offsetAt(m)
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

// offsetAt returns the pack offset of the m-th id of the index.
func (p *packFile) offsetAt(m int) (int64, bool) {
	o := be32(p.idx[p.offOff+m*4:])
	if o&0x80000000 == 0 {
		return int64(o), true
	}
	i := p.bigOff + int(o&0x7fffffff)*8
	if i+8 > len(p.idx) {
		return 0, false
	}
	return int64(be32(p.idx[i:]))<<32 | int64(be32(p.idx[i+4:])), true
}

// packTypes tells the types of a pack's objects without inflating
// anything: a delta has its base's type, found by following base offsets
// (or, for REF_DELTA, the base's id in the same pack). offs is sorted and
// types[i] is the type of the object at offs[i], 0 while unknown.
type packTypes struct {
	p     *packFile
	offs  []int64
	types []objType
}

func (pt *packTypes) index(off int64) (int, bool) {
	i, ok := slices.BinarySearch(pt.offs, off)
	return i, ok
}

// typeAt returns the type of the object at off; 0 when it cannot be told (a
// base in another pack, a corrupt header): the walk then reads that commit
// the slow way.
func (pt *packTypes) typeAt(off int64, depth int) objType {
	i, ok := pt.index(off)
	if ok && pt.types[i] != 0 {
		return pt.types[i]
	}
	data := pt.p.data
	if !ok || depth > 10000 || off < 12 || off >= int64(len(data)) {
		return 0
	}
	pos := int(off)
	c := data[pos]
	pos++
	typ := objType(c >> 4 & 7)
	for c&0x80 != 0 {
		if pos >= len(data) {
			return 0
		}
		c = data[pos]
		pos++
	}
	switch typ {
	case objCommit, objTree, objBlob, objTag:
	case objOfsDelta:
		if pos >= len(data) {
			return 0
		}
		c = data[pos]
		pos++
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if pos >= len(data) || rel > 1<<55 {
				return 0
			}
			c = data[pos]
			pos++
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		typ = pt.typeAt(off-rel, depth+1)
	case objRefDelta:
		if pos+20 > len(data) {
			return 0
		}
		var bid plumbing.Hash
		copy(bid[:], data[pos:pos+20])
		boff, ok := pt.p.find(bid)
		if !ok {
			return 0
		}
		typ = pt.typeAt(boff, depth+1)
	default:
		return 0
	}
	pt.types[i] = typ
	return typ
}

var (
	errCorruptPack = errors.New("corrupt packfile")
	errNotLocal    = errors.New("delta base in another pack")
)

// read returns the type and content of object id.
func (db *objectDB) read(id plumbing.Hash) (objType, []byte, error) {
	for _, p := range db.packs {
		if off, ok := p.find(id); ok {
			return db.main.readAt(p, off, 0)
		}
	}
	if db.gogit == nil {
		g, err := openGogitObjects(db.dir)
		if err != nil {
			return 0, nil, err
		}
		db.gogit = g
	}
	return db.gogit.read(id)
}

// readAt reads the object at off in p, resolving deltas.
func (in *inflater) readAt(p *packFile, off int64, depth int) (objType, []byte, error) {
	if depth > 10000 {
		return 0, nil, fmt.Errorf("%w: delta chain too deep in %s", errCorruptPack, p.path)
	}
	data := p.data
	if off < 12 || off >= int64(len(data)) {
		return 0, nil, fmt.Errorf("%w: offset %d out of range in %s", errCorruptPack, off, p.path)
	}
	pos := int(off)
	c := data[pos]
	pos++
	typ := objType(c >> 4 & 7)
	size := uint64(c & 15)
	for shift := 4; c&0x80 != 0; shift += 7 {
		if pos >= len(data) || shift > 60 {
			return 0, nil, fmt.Errorf("%w: bad object header in %s", errCorruptPack, p.path)
		}
		c = data[pos]
		pos++
		size |= uint64(c&0x7f) << shift
	}
	switch typ {
	case objCommit, objTree, objBlob, objTag:
		out, err := in.inflate(data[pos:], size)
		return typ, out, err
	case objOfsDelta:
		if pos >= len(data) {
			return 0, nil, fmt.Errorf("%w: truncated delta in %s", errCorruptPack, p.path)
		}
		c = data[pos]
		pos++
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if pos >= len(data) || rel > 1<<55 {
				return 0, nil, fmt.Errorf("%w: bad delta offset in %s", errCorruptPack, p.path)
			}
			c = data[pos]
			pos++
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		baseTyp, base, err := in.cachedAt(p, off-rel, depth)
		if err != nil {
			return 0, nil, err
		}
		delta, err := in.inflate(data[pos:], size)
		if err != nil {
			return 0, nil, err
		}
		out, err := applyDelta(base, delta)
		return baseTyp, out, err
	case objRefDelta:
		if pos+20 > len(data) {
			return 0, nil, fmt.Errorf("%w: truncated delta in %s", errCorruptPack, p.path)
		}
		var bid plumbing.Hash
		copy(bid[:], data[pos:pos+20])
		pos += 20
		var baseTyp objType
		var base []byte
		var err error
		if boff, ok := p.find(bid); ok {
			baseTyp, base, err = in.cachedAt(p, boff, depth)
		} else if in.local {
			return 0, nil, errNotLocal
		} else {
			baseTyp, base, err = in.db.read(bid)
		}
		if err != nil {
			return 0, nil, err
		}
		delta, err := in.inflate(data[pos:], size)
		if err != nil {
			return 0, nil, err
		}
		out, err := applyDelta(base, delta)
		return baseTyp, out, err
	}
	return 0, nil, fmt.Errorf("%w: unknown object type %d in %s", errCorruptPack, typ, p.path)
}

// cachedAt reads a delta base through the cache: walking history reads
// neighbouring commits, which share their delta bases.
func (in *inflater) cachedAt(p *packFile, off int64, depth int) (objType, []byte, error) {
	k := cacheKey{p, off}
	if o, ok := in.cache[k]; ok {
		return o.typ, o.data, nil
	}
	typ, data, err := in.readAt(p, off, depth+1)
	if err != nil {
		return 0, nil, err
	}
	if in.cacheBytes+len(data) > in.maxCache {
		clear(in.cache)
		in.cacheBytes = 0
	}
	in.cache[k] = cachedObject{typ, data}
	in.cacheBytes += len(data)
	return typ, data, nil
}

func (in *inflater) inflate(src []byte, size uint64) ([]byte, error) {
	if size > 1<<32 {
		return nil, fmt.Errorf("%w: object too large", errCorruptPack)
	}
	in.br.Reset(src)
	if in.zr == nil {
		zr, err := newZlibReader(&in.br)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errCorruptPack, err)
		}
		in.zr = zr
	} else if err := resetZlib(in.zr, &in.br); err != nil {
		return nil, fmt.Errorf("%w: %v", errCorruptPack, err)
	}
	if size <= 1<<20 {
		out := make([]byte, size)
		if _, err := io.ReadFull(in.zr, out); err != nil {
			return nil, fmt.Errorf("%w: %v", errCorruptPack, err)
		}
		return out, nil
	}
	// A large size is only believed as the data arrives: a lying header
	// must not make the walk allocate gigabytes up front.
	var b bytes.Buffer
	b.Grow(1 << 20)
	if _, err := io.CopyN(&b, in.zr, int64(size)); err != nil {
		return nil, fmt.Errorf("%w: %v", errCorruptPack, err)
	}
	return b.Bytes(), nil
}

// applyDelta applies a git delta (copy/insert instructions) to base, with
// go-git's PatchDelta (the same one gitops' pack indexer uses), which checks
// every instruction against base and the declared size and never
// preallocates more than a bounded amount for a lying header.
func applyDelta(base, delta []byte) ([]byte, error) {
	out, err := packfile.PatchDelta(base, delta)
	if err != nil {
		return nil, fmt.Errorf("%w: bad delta: %v", errCorruptPack, err)
	}
	return out, nil
}

// commitInfo is what the index needs of a commit.
type commitInfo struct {
	parents []plumbing.Hash
	author  string
	when    int64
	tzMin   int
	message string
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
// lines start with a space) and the message after the first blank line.
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
				c.message = string(data[pos:])
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
func (db *objectDB) refTips() (map[string]string, error) {
	refs, err := listRefs(db.dir)
	if err != nil {
		return nil, err
	}
	tips := map[string]string{}
	for name, id := range refs {
		for range 100 { // peel tags of tags, with a bound against cycles
			typ, data, err := db.read(id)
			if err != nil {
				return nil, fmt.Errorf("ref %s: %w", name, err)
			}
			if typ == objCommit {
				tips[name] = id.String()
				break
			}
			if typ != objTag {
				break
			}
			// "object <id>" is the tag's first line.
			if len(data) < 47 || !bytes.HasPrefix(data, []byte("object ")) {
				return nil, fmt.Errorf("ref %s: bad tag object %s", name, id)
			}
			next, ok := parseHex(data[7:47])
			if !ok {
				return nil, fmt.Errorf("ref %s: bad tag object %s", name, id)
			}
			id = next
		}
	}
	return tips, nil
}

// commitMeta is what the index keeps of a decoded commit.
type commitMeta struct {
	parents []plumbing.Hash
	author  string
	when    int64
	tzMin   int
	keys    []string
	subject string // set when keys is not empty
}

func newMeta(c *commitInfo) *commitMeta {
	m := &commitMeta{parents: slices.Clone(c.parents), author: c.author, when: c.when, tzMin: c.tzMin, keys: IssueKeys(c.message)}
	if len(m.keys) > 0 {
		m.subject = c.subject()
	}
	return m
}

// predecodeMin is the number of packed objects from which a first index
// decodes the packs' commits in parallel before walking (a variable so
// tests can force either path).
var predecodeMin = 20000

// predecode inflates and parses every commit of the packs on all cores
// and returns them by id. Inflating is most of a walk's work and the walk
// itself is sequential (each commit names the next ones), so a first index
// of a large mirror decodes everything up front: nearly every packed
// commit of a fresh mirror is reachable. Commits it could not decode on its
// own (a delta base in another pack) are left to the walk.
func (db *objectDB) predecode() map[plumbing.Hash]*commitMeta {
	type entry struct {
		p   *packFile
		off int64
		id  plumbing.Hash
	}
	var commits []entry
	for _, p := range db.packs {
		// Offsets sorted, each with its position in the index in the low
		// 24 bits: one integer sort, no comparison callbacks. In offset
		// order an OFS_DELTA's base (at a lower offset) is typed before the
		// delta, and neighbouring commits share delta bases.
		if p.n >= 1<<24 || int64(len(p.data)) >= 1<<39 {
			continue // a pack that large is left to the walk
		}
		keyed := make([]uint64, 0, p.n)
		for i := 0; i < p.n; i++ {
			if off, ok := p.offsetAt(i); ok && off >= 0 && off < 1<<39 {
				keyed = append(keyed, uint64(off)<<24|uint64(i))
			}
		}
		slices.Sort(keyed)
		pt := &packTypes{p: p, offs: make([]int64, len(keyed)), types: make([]objType, len(keyed))}
		for j, k := range keyed {
			pt.offs[j] = int64(k >> 24)
		}
		for j, k := range keyed {
			if pt.typeAt(pt.offs[j], 0) == objCommit {
				e := entry{p: p, off: pt.offs[j]}
				i := int(k & (1<<24 - 1))
				copy(e.id[:], p.idx[p.shaOff+i*20:])
				commits = append(commits, e)
			}
		}
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	results := make([]*commitMeta, len(commits))
	const chunk = 256
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		in := db.newInflater(maxCacheBytes/workers, true)
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
					typ, data, err := in.readAt(commits[i].p, commits[i].off, 0)
					if err != nil || typ != objCommit || parseCommit(data, &c) != nil {
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
		n += p.n
	}
	return n
}

// walk visits every commit reachable from tips that is not in seen (breadth
// first over parents), adds it to seen and calls visit. Commits listed in
// the mirror's shallow file have their parents cut, as git does.
func (db *objectDB) walk(tips map[string]string, seen map[plumbing.Hash]struct{}, visit func(plumbing.Hash, *commitMeta)) error {
	var pre map[plumbing.Hash]*commitMeta
	if len(seen) == 0 && db.packedObjects() >= predecodeMin {
		pre = db.predecode()
	}
	var queue []plumbing.Hash
	names := make([]string, 0, len(tips))
	for n := range tips {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic order of the new entries
	for _, n := range names {
		h := plumbing.NewHash(tips[n])
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
			typ, data, err := db.read(id)
			if err != nil {
				return fmt.Errorf("commit %s: %w", id, err)
			}
			if typ != objCommit {
				return fmt.Errorf("object %s is not a commit", id)
			}
			if err := parseCommit(data, &c); err != nil {
				return fmt.Errorf("commit %s: %w", id, err)
			}
			m = newMeta(&c)
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

// Objects are zlib streams; the walk inflates the raw deflate data after
// the 2-byte zlib header and skips the Adler-32 check (git verified the
// pack's SHA-1 trailer when it received it), which saves a pass over every object.
func newZlibReader(r *bytes.Reader) (io.ReadCloser, error) {
	if err := skipZlibHeader(r); err != nil {
		return nil, err
	}
	return flate.NewReader(r), nil
}

func resetZlib(zr io.ReadCloser, r *bytes.Reader) error {
	if err := skipZlibHeader(r); err != nil {
		return err
	}
	return zr.(flate.Resetter).Reset(r, nil)
}

func skipZlibHeader(r *bytes.Reader) error {
	cmf, err1 := r.ReadByte()
	flg, err2 := r.ReadByte()
	if err1 != nil || err2 != nil || cmf&0x0f != 8 || (uint16(cmf)<<8|uint16(flg))%31 != 0 || flg&0x20 != 0 {
		return errors.New("bad zlib header")
	}
	return nil
}

// gogitObjects reads what the pack reader does not: loose objects, packs
// with an old index format, alternates.
type gogitObjects struct {
	st *filesystem.Storage
}

func openGogitObjects(dir string) (*gogitObjects, error) {
	return &gogitObjects{st: filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(8<<20))}, nil
}

func (g *gogitObjects) read(id plumbing.Hash) (objType, []byte, error) {
	o, err := g.st.EncodedObject(plumbing.AnyObject, id)
	if err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return 0, nil, fmt.Errorf("object %s is missing from the mirror: the mirror is incomplete; fetch again or reconnect the repository", id)
		}
		return 0, nil, err
	}
	r, err := o.Reader()
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, nil, err
	}
	return objType(o.Type()), data, nil
}

// listRefs returns every ref of the repository at dir (loose and packed,
// and HEAD when it is detached), symbolic refs left out (their targets are
// listed themselves).
func listRefs(dir string) (map[string]plumbing.Hash, error) {
	st := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(0))
	iter, err := st.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("cannot read the refs of %s: %w", dir, err)
	}
	defer iter.Close()
	refs := map[string]plumbing.Hash{}
	err = iter.ForEach(func(r *plumbing.Reference) error {
		if r.Type() == plumbing.HashReference && !r.Hash().IsZero() {
			refs[r.Name().String()] = r.Hash()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the refs of %s: %w", dir, err)
	}
	return refs, nil
}
