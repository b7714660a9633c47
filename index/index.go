package index

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gitjira/gitjira/internal/safefile"

	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/store"
	"github.com/go-git/go-git/v5/plumbing"
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
	// Match, set by Lookup, is the first line of the message that mentions
	// the issue looked up, when the subject does not: stored in the index
	// when the commit was indexed (read from the mirror for commits an
	// older gitjira indexed), "" when the subject mentions it.
	Match string
}

// UpdateResult says what Index.Update did.
type UpdateResult struct {
	// Added are the newly indexed commits that mention allowed issue keys
	// (what `repos fetch --link` pushes to Jira), in reverse walk order:
	// roughly oldest first, parents before children along each line.
	Added []CommitRef
	// New is the number of commits newly indexed, mentioning keys or not.
	New int
	// Commits is the number of commits in the repository index, and IssueKeys
	// the number of distinct allowed issue keys they mention.
	Commits, IssueKeys int
}

// Index maps Jira issue keys to the commits that mention them. It keeps one
// file per repository under store.Paths.IndexDir, so a lookup reads those files and
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
//
// Reading the mirror costs memory bounded by design, not by the repository
// (index_objects.go): commits are found through the types file gitjira's
// pack indexer writes beside each pack (a pack without one has its entry
// headers scanned), only commits and tags are inflated, an object larger
// than 16 MiB is streamed rather than read whole, and issue keys and the
// subject come from the first 64 KiB of a message: a key mentioned only
// after that in a huge message is not indexed.
type Index struct {
	paths store.Paths
}

// Open returns the index kept under p.
func Open(p store.Paths) *Index { return &Index{paths: p} }

// sameMirror reports whether an index header's mirror is the one being
// indexed: the same path, or (an index written with absolute paths before
// its home was moved or copied) the same mirrors/NAME.git of the home's own.
func sameMirror(header, stored string, resolvedEqual bool) bool {
	if header == stored || resolvedEqual {
		return true
	}
	return !filepath.IsAbs(stored) && filepath.IsAbs(header) &&
		filepath.Base(filepath.Dir(header)) == "mirrors" && filepath.Base(header) == filepath.Base(stored)
}

// indexVersion is the format version of the per-repository index files.
const indexVersion = 1

func (ix *Index) file(name string) string { return filepath.Join(ix.paths.IndexDir(), name+".idx") }

// Remove deletes the index of the repository called name.
func (ix *Index) Remove(name string) error {
	if err := store.ValidName(name); err != nil {
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
	Version    int    `json:"version"`
	Repository string `json:"repository"`
	Mirror     string `json:"mirror"`
	// TipsDigest sums the refs and the commits they name at the last
	// update (refTips): a fetch that changed no ref changes nothing here.
	// (Older versions kept every ref in a "tips" map, a million refs in
	// the header; it is ignored, not even decoded.)
	TipsDigest string    `json:"tips_digest"`
	Commits    int       `json:"commits"`
	Updated    time.Time `json:"updated"`
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

// entry line: sha \t unix-seconds \t tz-offset-minutes \t KEY,KEY \t author
// \t subject \t matches. matches (absent in lines an older gitjira wrote)
// holds, for each key the subject does not mention, the key, 0x1f and the
// first line of the message that mentions it, the pairs separated by 0x1e
// (control characters never appear in the cleaned text).
func formatEntry(buf []byte, sha plumbing.Hash, when int64, tzMin int, keys []string, author, subject string, matches []keyLine) []byte {
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
	buf = append(buf, '\t')
	for i, m := range matches {
		if i > 0 {
			buf = append(buf, matchSep)
		}
		buf = append(buf, m.key...)
		buf = append(buf, keyLineSep)
		buf = appendClean(buf, m.line)
	}
	return buf
}

// keyLine is an issue key and the first line of a message that mentions it.
type keyLine struct{ key, line string }

const (
	matchSep   = 0x1e
	keyLineSep = 0x1f
	// maxMatchLine bounds a stored line (bytes, cut at a character
	// boundary) and maxMatches the lines stored for one commit.
	maxMatchLine = 240
	maxMatches   = 16
)

// matchLines returns, for each key the subject does not mention, the first
// line of msg that does (trimmed, at most maxMatchLine bytes).
func matchLines(keys []string, subject, msg string) []keyLine {
	var out []keyLine
	var inSubject []string
	for _, k := range keys {
		if len(out) >= maxMatches {
			break
		}
		if inSubject == nil {
			inSubject = append(store.IssueKeys(subject), "")
		}
		if slices.Contains(inSubject, k) {
			continue
		}
		for line := range strings.SplitSeq(msg, "\n") {
			if !strings.Contains(line, k) || !slices.Contains(store.IssueKeys(line), k) {
				continue
			}
			line = strings.TrimSpace(line)
			if len(line) > maxMatchLine {
				cut := maxMatchLine
				for cut > 0 && !utf8.RuneStart(line[cut]) {
					cut--
				}
				line = line[:cut]
			}
			out = append(out, keyLine{k, line})
			break
		}
	}
	return out
}

// storedMatch returns the stored line for key in an entry's matches field.
func storedMatch(matches, key string) string {
	for m := range strings.SplitSeq(matches, string(rune(matchSep))) {
		if k, line, ok := strings.Cut(m, string(rune(keyLineSep))); ok && k == key {
			return line
		}
	}
	return ""
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
	matches string
	// hasMatches is false for a line an older gitjira wrote: its matches
	// are unknown (not "none").
	hasMatches bool
}

func parseEntry(line []byte) (entryFields, bool) {
	parts := bytes.SplitN(line, []byte{'\t'}, 7)
	if len(parts) < 6 || len(parts[0]) != 40 {
		return entryFields{}, false
	}
	when, err1 := strconv.ParseInt(string(parts[1]), 10, 64)
	tz, err2 := strconv.Atoi(string(parts[2]))
	if err1 != nil || err2 != nil {
		return entryFields{}, false
	}
	e := entryFields{sha: string(parts[0]), when: when, tzMin: tz, keys: string(parts[3]), author: string(parts[4]), subject: string(parts[5])}
	if len(parts) == 7 {
		e.matches, e.hasMatches = string(parts[6]), true
	}
	return e, true
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

// MaxFileSize bounds an index file read (opened without blocking, regular
// files only: internal/safefile); git/git's is about 10 MiB.
const MaxFileSize = 1 << 30

func (ix *Index) load(name string) (*indexData, error) {
	path := ix.file(name)
	f, _, err := safefile.Open(path, MaxFileSize)
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
	return fsatomic.WriteFile(ix.file(name), buf.Bytes(), 0o600)
}

// Update indexes the commits of repo's mirror that are not indexed yet:
// every commit reachable from any ref (branches, tags, anything under refs/,
// HEAD), as `git rev-list --all` lists them. Annotated tags are peeled. It is
// safe to run from several processes: updates of one repository are
// serialised by a lock file beside its index.
func (ix *Index) Update(repo store.Repository) (UpdateResult, error) {
	if err := store.ValidName(repo.Name); err != nil {
		return UpdateResult{}, err
	}
	lk, err := fsatomic.Acquire(context.Background(), ix.file(repo.Name)+".lock")
	if err != nil {
		return UpdateResult{}, err
	}
	defer lk.Unlock()

	d, err := ix.load(repo.Name)
	if err != nil {
		return UpdateResult{}, err
	}
	mirror := repo.Mirror
	if a, err := filepath.Abs(mirror); err == nil {
		mirror = a
	}
	// The header names the mirror as the list does, relative to the home
	// when it is the home's own: a moved or copied home keeps its index.
	stored := ix.paths.Relative(mirror)
	if d == nil || !sameMirror(d.header.Mirror, stored, ix.paths.Resolve(d.header.Mirror) == mirror) {
		// No index yet, or the repository now has another mirror: start over.
		d = &indexData{seen: map[plumbing.Hash]struct{}{}}
	}
	odb, err := openObjectDB(mirror)
	if err != nil {
		return UpdateResult{}, fmt.Errorf("cannot index %s: %w", repo.Name, err)
	}
	defer odb.Close()
	tips, digest, err := odb.refTips()
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
		line = formatEntry(line[:0], id, c.when, c.tzMin, c.keys, c.author, c.subject, c.matches)
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
	changed := res.New > 0 || d.header.Mirror != stored || d.header.TipsDigest != digest
	d.header = indexHeader{Version: indexVersion, Repository: repo.Name, Mirror: stored, TipsDigest: digest, Commits: len(d.seen), Updated: time.Now().UTC()}
	if changed {
		if err := ix.save(repo.Name, d); err != nil {
			return UpdateResult{}, fmt.Errorf("cannot write the index of %s: %w", repo.Name, err)
		}
	}
	res.Commits = len(d.seen)
	res.IssueKeys = countKeys(repo, d.entries)
	return res, nil
}

// allowedKeys splits an entry's keys field and keeps the repository's allowed ones.
func allowedKeys(repo store.Repository, field string) []string {
	var out []string
	for k := range strings.SplitSeq(field, ",") {
		if k != "" && repo.AllowsIssue(k) {
			out = append(out, k)
		}
	}
	return out
}

func countKeys(repo store.Repository, entries [][]byte) int {
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
func (ix *Index) Stats(repo store.Repository) (commits, issueKeys int, err error) {
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
	if !store.ValidIssueKey(issueKey) {
		return nil, fmt.Errorf("%q is not a Jira issue key (like PROJ-7)", issueKey)
	}
	repos, err := store.OpenRepositoryList(ix.paths).Load()
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
func (ix *Index) lookupRepo(r store.Repository, issueKey string) ([]CommitRef, error) {
	path := ix.file(r.Name)
	f, _, err := safefile.Open(path, MaxFileSize)
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
	var legacy []int // entries of an older gitjira: matches not stored
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
				ref := e.ref(r.Name, []string{issueKey})
				if e.hasMatches {
					ref.Match = storedMatch(e.matches, issueKey)
				} else if !slices.Contains(store.IssueKeys(e.subject), issueKey) {
					legacy = append(legacy, len(out))
				}
				out = append(out, ref)
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the index %s: %w", path, err)
	}
	if len(legacy) > 0 {
		mirrorMatches(r.Mirror, issueKey, out, legacy)
	}
	return out, nil
}
