// Package gitdir reads what a bare git directory keeps beside its objects:
// its refs (loose files and packed-refs). It is the one reader of them, used
// by the fetch (what the mirror has) and the index (what to walk).
package gitdir

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// ForEachRef calls f for every ref of the repository at dir that names an
// object: loose refs, packed refs (a loose one wins), and HEAD when it is
// detached; symbolic refs are left out (their targets are listed
// themselves). Names come in sorted order when packed-refs is sorted (as
// git and gitjira write it). packed-refs is streamed: a million refs are
// never held.
func ForEachRef(dir string, f func(name string, id plumbing.Hash) error) error {
	type ref struct {
		name string
		id   plumbing.Hash
	}
	var loose []ref
	root := filepath.Join(dir, "refs")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if id, ok := parseID(bytes.TrimSpace(b)); ok && !id.IsZero() {
			loose = append(loose, ref{filepath.ToSlash(rel), id})
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot read the refs of %s: %w", dir, err)
	}
	slices.SortFunc(loose, func(a, b ref) int { return strings.Compare(a.name, b.name) })
	isLoose := func(name []byte) bool {
		_, ok := slices.BinarySearchFunc(loose, name, func(r ref, n []byte) int { return strings.Compare(r.name, string(n)) })
		return ok
	}
	next := 0 // loose refs are merged in name order
	if pf, err := os.Open(filepath.Join(dir, "packed-refs")); err == nil {
		defer pf.Close()
		sc := bufio.NewScanner(pf)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if len(line) < 42 || line[0] == '#' || line[0] == '^' || line[40] != ' ' {
				continue
			}
			id, ok := parseID(line[:40])
			name := line[41:]
			if !ok || id.IsZero() || isLoose(name) {
				continue
			}
			for ; next < len(loose) && loose[next].name < string(name); next++ {
				if err := f(loose[next].name, loose[next].id); err != nil {
					return err
				}
			}
			if err := f(string(name), id); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("cannot read the refs of %s: %w", dir, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot read the refs of %s: %w", dir, err)
	}
	for ; next < len(loose); next++ {
		if err := f(loose[next].name, loose[next].id); err != nil {
			return err
		}
	}
	// A detached HEAD names a commit itself.
	if b, err := os.ReadFile(filepath.Join(dir, "HEAD")); err == nil {
		if id, ok := parseID(bytes.TrimSpace(b)); ok && !id.IsZero() {
			return f("HEAD", id)
		}
	}
	return nil
}

// parseID reads a full lower- or upper-case hex object id without
// allocating (a million refs are parsed at a time).
func parseID(b []byte) (plumbing.Hash, bool) {
	var id plumbing.Hash
	if len(b) != 2*len(id) {
		return id, false
	}
	if _, err := hex.Decode(id[:], b); err != nil {
		return plumbing.ZeroHash, false
	}
	return id, true
}
