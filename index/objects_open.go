package index

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// Objects is a mirror's object database for readers other than the index
// (the diff engine, gitdiff): commits, trees and blobs read through
// internal/packfile, as the index reads them. Not safe for concurrent use.
type Objects struct {
	db    *objectDB
	count int // packed objects, -1 until counted
}

// OpenObjects opens the objects of the repository at dir (bare or not).
func OpenObjects(dir string) (*Objects, error) {
	db, err := openObjectDB(dir)
	if err != nil {
		return nil, err
	}
	return &Objects{db: db, count: -1}, nil
}

// Object returns an object's type and content (an error wrapping
// packfile.ErrBigObject past packfile.BigObjectThreshold).
func (o *Objects) Object(id plumbing.Hash) (packfile.Type, []byte, error) { return o.db.Object(id) }

// Close unmaps the packs.
func (o *Objects) Close() { o.db.Close() }

// Errors of Resolve.
var (
	ErrUnknownRevision   = errors.New("unknown revision")
	ErrAmbiguousRevision = errors.New("ambiguous revision")
)

// Resolve turns a full or abbreviated (at least 4 hex digits) object id, or
// a ref name (main, refs/heads/main, v1.0, HEAD), into an object id.
func (o *Objects) Resolve(name string) (plumbing.Hash, error) {
	refs, err := listRefs(o.db.dir)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if name == "HEAD" {
		if id, ok := o.head(refs); ok {
			return id, nil
		}
	}
	for _, full := range []string{name, "refs/" + name, "refs/tags/" + name, "refs/heads/" + name, "refs/remotes/" + name} {
		if id, ok := refs[full]; ok {
			return id, nil
		}
	}
	if len(name) < 4 || len(name) > 40 || strings.Trim(strings.ToLower(name), "0123456789abcdef") != "" {
		return plumbing.ZeroHash, fmt.Errorf("%q: %w", name, ErrUnknownRevision)
	}
	prefix := strings.ToLower(name)
	var found []plumbing.Hash
	add := func(id plumbing.Hash) {
		for _, f := range found {
			if f == id {
				return
			}
		}
		found = append(found, id)
	}
	for _, p := range o.db.packs {
		x := p.Index
		i := o.search(x, prefix)
		for ; i < x.Count() && strings.HasPrefix(x.ID(i).String(), prefix) && len(found) < 2; i++ {
			add(x.ID(i))
		}
	}
	if entries, err := os.ReadDir(filepath.Join(o.db.objects, prefix[:2])); err == nil {
		for _, e := range entries {
			if id := prefix[:2] + e.Name(); len(id) == 40 && strings.HasPrefix(id, prefix) {
				add(plumbing.NewHash(id))
			}
		}
	}
	switch len(found) {
	case 0:
		return plumbing.ZeroHash, fmt.Errorf("%q: %w", name, ErrUnknownRevision)
	case 1:
		return found[0], nil
	}
	return plumbing.ZeroHash, fmt.Errorf("%q: %w: give more digits", name, ErrAmbiguousRevision)
}

// head is the commit HEAD names (a symbolic ref read from the HEAD file).
func (o *Objects) head(refs map[string]plumbing.Hash) (plumbing.Hash, bool) {
	data, err := os.ReadFile(filepath.Join(o.db.dir, "HEAD"))
	if err != nil {
		return plumbing.ZeroHash, false
	}
	s := strings.TrimSpace(string(data))
	if target, ok := strings.CutPrefix(s, "ref: "); ok {
		id, ok := refs[target]
		return id, ok
	}
	if len(s) == 40 {
		return plumbing.NewHash(s), true
	}
	return plumbing.ZeroHash, false
}

// search is the position of the first id of x at or after the hex prefix.
func (o *Objects) search(x *packfile.Index, prefix string) int {
	pad := prefix + strings.Repeat("0", 40-len(prefix))
	want, _ := hex.DecodeString(pad)
	return sort.Search(x.Count(), func(i int) bool {
		id := x.ID(i)
		return bytes.Compare(id[:], want) >= 0
	})
}

// Abbrev is the length git abbreviates ids of this repository to: from the
// number of packed objects (git's core.abbrev=auto: half the bits of the
// count, in hex digits, at least 7), longer for id when a packed object
// shares that many leading digits with it.
func (o *Objects) Abbrev(id plumbing.Hash) int {
	if o.count < 0 {
		o.count = 0
		for _, p := range o.db.packs {
			o.count += p.Index.Count()
		}
	}
	n := max(7, (bits.Len(uint(o.count))+1)/2)
	full := id.String()
	for _, p := range o.db.packs {
		x := p.Index
		i := o.search(x, full)
		for _, j := range []int{i - 1, i, i + 1} {
			if j < 0 || j >= x.Count() || x.ID(j) == id {
				continue
			}
			other := x.ID(j).String()
			k := 0
			for k < 40 && other[k] == full[k] {
				k++
			}
			n = max(n, min(k+1, 40))
		}
	}
	return n
}

// Branches returns the repository's branches (refs/heads/*, the name
// without the prefix) and the commits they point at.
func (o *Objects) Branches() (map[string]plumbing.Hash, error) {
	refs, err := listRefs(o.db.dir)
	if err != nil {
		return nil, err
	}
	out := map[string]plumbing.Hash{}
	for name, id := range refs {
		if b, ok := strings.CutPrefix(name, "refs/heads/"); ok {
			out[b] = id
		}
	}
	return out, nil
}
