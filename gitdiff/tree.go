package gitdiff

import (
	"bytes"
	"fmt"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// File modes as git stores them in trees.
const (
	ModeDir     = 0o40000
	ModeFile    = 0o100644
	ModeExec    = 0o100755
	ModeSymlink = 0o120000
	ModeGitlink = 0o160000
)

// Status says what happened to a file.
type Status byte

// The statuses, as git's --name-status letters.
const (
	StatusAdded    Status = 'A'
	StatusDeleted  Status = 'D'
	StatusModified Status = 'M'
	StatusRenamed  Status = 'R'
	// StatusTypeChanged: a regular file became a symlink or a submodule,
	// or back (git prints it as a deletion and an addition).
	StatusTypeChanged Status = 'T'
)

// Change is one file a commit changed.
type Change struct {
	Status           Status
	OldPath, NewPath string // both set; equal unless renamed
	OldMode, NewMode uint32 // 0 for the missing side
	OldID, NewID     plumbing.Hash
	// Similarity is a rename's similarity index in percent.
	Similarity int
}

// Path is the file's path after the commit (before it for a deletion).
func (c *Change) Path() string {
	if c.Status == StatusDeleted {
		return c.OldPath
	}
	return c.NewPath
}

// maxTreeDepth bounds how deep trees are followed (a hostile mirror could
// nest them without end).
const maxTreeDepth = 4096

type treeEntry struct {
	name string
	mode uint32
	id   plumbing.Hash
}

func isDir(mode uint32) bool { return mode&0o170000 == ModeDir }

func readTree(db Objects, id plumbing.Hash) ([]treeEntry, error) {
	if id.IsZero() {
		return nil, nil
	}
	t, data, err := db.Object(id)
	if err != nil {
		return nil, err
	}
	if t != packfile.Tree {
		return nil, fmt.Errorf("object %s is a %s, not a tree", id, t)
	}
	var out []treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp < 0 || nul < sp || len(data) < nul+21 {
			return nil, fmt.Errorf("tree %s is damaged", id)
		}
		var mode uint32
		for _, c := range data[:sp] {
			if c < '0' || c > '7' {
				return nil, fmt.Errorf("tree %s is damaged", id)
			}
			mode = mode<<3 | uint32(c-'0')
		}
		var h plumbing.Hash
		copy(h[:], data[nul+1:nul+21])
		out = append(out, treeEntry{name: string(data[sp+1 : nul]), mode: mode, id: h})
		data = data[nul+21:]
	}
	return out, nil
}

// compareEntries orders entries as git sorts trees: by name, a directory's
// name compared as if it ended in '/'.
func compareEntries(a, b treeEntry) int {
	n := min(len(a.name), len(b.name))
	if c := bytes.Compare([]byte(a.name[:n]), []byte(b.name[:n])); c != 0 {
		return c
	}
	ca, cb := nameEnd(a, n), nameEnd(b, n)
	switch {
	case ca < cb:
		return -1
	case ca > cb:
		return 1
	}
	return 0
}

func nameEnd(e treeEntry, n int) int {
	if n < len(e.name) {
		return int(e.name[n])
	}
	if isDir(e.mode) {
		return '/'
	}
	return 0
}

// kind groups modes that diff as the same kind of file.
func kind(mode uint32) uint32 {
	switch mode & 0o170000 {
	case 0o100000:
		return 0o100000
	default:
		return mode & 0o170000
	}
}

// diffTrees appends the changes between trees a and b (zero: empty) under
// prefix, recursively, in git's order.
func diffTrees(db Objects, a, b plumbing.Hash, prefix string, depth int, out *[]Change) error {
	if a == b {
		return nil
	}
	if depth > maxTreeDepth {
		return fmt.Errorf("trees nested deeper than %d levels", maxTreeDepth)
	}
	ea, err := readTree(db, a)
	if err != nil {
		return err
	}
	eb, err := readTree(db, b)
	if err != nil {
		return err
	}
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		var c int
		switch {
		case i == len(ea):
			c = 1
		case j == len(eb):
			c = -1
		default:
			c = compareEntries(ea[i], eb[j])
		}
		switch {
		case c < 0:
			if err := removed(db, ea[i], prefix, depth, out); err != nil {
				return err
			}
			i++
		case c > 0:
			if err := added(db, eb[j], prefix, depth, out); err != nil {
				return err
			}
			j++
		default:
			x, y := ea[i], eb[j]
			i++
			j++
			if x.id == y.id && x.mode == y.mode {
				continue
			}
			path := prefix + x.name
			if isDir(x.mode) { // both directories (compareEntries)
				if err := diffTrees(db, x.id, y.id, path+"/", depth+1, out); err != nil {
					return err
				}
				continue
			}
			st := StatusModified
			if kind(x.mode) != kind(y.mode) {
				st = StatusTypeChanged
			}
			*out = append(*out, Change{Status: st, OldPath: path, NewPath: path, OldMode: x.mode, NewMode: y.mode, OldID: x.id, NewID: y.id})
		}
	}
	return nil
}

func removed(db Objects, e treeEntry, prefix string, depth int, out *[]Change) error {
	path := prefix + e.name
	if isDir(e.mode) {
		return diffTrees(db, e.id, plumbing.ZeroHash, path+"/", depth+1, out)
	}
	*out = append(*out, Change{Status: StatusDeleted, OldPath: path, NewPath: path, OldMode: e.mode, OldID: e.id})
	return nil
}

func added(db Objects, e treeEntry, prefix string, depth int, out *[]Change) error {
	path := prefix + e.name
	if isDir(e.mode) {
		return diffTrees(db, plumbing.ZeroHash, e.id, path+"/", depth+1, out)
	}
	*out = append(*out, Change{Status: StatusAdded, OldPath: path, NewPath: path, NewMode: e.mode, NewID: e.id})
	return nil
}

// TreeChanges returns the files that differ between trees a and b (a zero
// id is the empty tree), renames detected as git does by default.
func TreeChanges(db Objects, a, b plumbing.Hash) ([]Change, error) {
	var out []Change
	if err := diffTrees(db, a, b, "", 0, &out); err != nil {
		return nil, err
	}
	return detectRenames(db, out)
}

// CommitChanges returns what commit c changed: against its first parent
// (as `git show --first-parent` for a merge), or everything for a root
// commit.
func CommitChanges(db Objects, c *Commit) ([]Change, error) {
	var parentTree plumbing.Hash
	if len(c.Parents) > 0 {
		p, err := ReadCommit(db, c.Parents[0])
		if err != nil {
			return nil, fmt.Errorf("parent %s: %w", c.Parents[0], err)
		}
		parentTree = p.Tree
	}
	return TreeChanges(db, parentTree, c.Tree)
}
