package gitserver

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Sample repository layout, fixed so tests can assert exact numbers.
const (
	// SampleFeatureBranch has SampleFeatureCommits commits on top of main's
	// commit number 2n/3 (for n >= 3 commits on main).
	SampleFeatureBranch  = "feature/DEMO-7-login"
	SampleFeatureCommits = 3
	// SampleTags: "v0.1" (lightweight, at commit n/3) and "v1.0" (annotated,
	// at main's tip).
	SampleTagLight     = "v0.1"
	SampleTagAnnotated = "v1.0"
	// SampleIssueKeys is how many distinct DEMO-n keys the messages cycle through.
	SampleIssueKeys = 40
)

// SampleCommits returns how many commits MakeSampleRepo(dir, n) creates in all.
func SampleCommits(n int) int {
	if n >= 3 {
		return n + SampleFeatureCommits
	}
	return n
}

var sampleAuthor = object.Signature{Name: "Demo Developer", Email: "demo@example.invalid"}

var sampleStart = time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)

var sampleVerbs = []string{"Fix", "Add", "Refactor", "Document", "Test", "Speed up", "Clean up"}
var sampleThings = []string{"login form", "session timeout", "password reset", "audit log",
	"search index", "export to CSV", "rate limiter", "error messages", "settings page", "dark mode"}

// SampleMessage returns the message of main's commit i (0-based) in a sample
// repository. It mentions DEMO-(i%SampleIssueKeys+1), and every fifth
// commit a second key as well.
func SampleMessage(i int) string {
	k := i%SampleIssueKeys + 1
	msg := fmt.Sprintf("DEMO-%d: %s %s", k, sampleVerbs[i%len(sampleVerbs)], sampleThings[(i/len(sampleVerbs))%len(sampleThings)])
	if i%5 == 4 {
		msg += fmt.Sprintf("\n\nAlso touches DEMO-%d.", (i+17)%SampleIssueKeys+1)
	}
	return msg + "\n"
}

// MakeSampleRepo creates a bare repository at dir (which must not exist or
// be empty) with `commits` commits on main over a few files, a feature branch
// and two tags (see the Sample constants), all with a fixed author and
// times, so the object ids are the same on every run. It uses go-git only:
// no git binary is needed.
func MakeSampleRepo(dir string, commits int) error {
	if commits < 1 {
		return errors.New("gitserver: a sample repository needs at least one commit")
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("gitserver: %s exists and is not empty", dir)
	}
	// Objects are built in memory and written as one pack: thousands of
	// loose-object files are slow to create and to serve.
	st := memory.NewStorage()
	var err error
	files := map[string]string{
		"README.md":       "# demo\n\nA sample repository for gitjira's demo.\n",
		"src/app.go":      "package app\n",
		"src/login.go":    "package app\n\n// Login handling.\n",
		"docs/guide.md":   "# Guide\n",
		"CHANGELOG.md":    "# Changelog\n",
		"config/app.toml": "[app]\nname = \"demo\"\n",
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var parent plumbing.Hash
	var mainTips []plumbing.Hash
	commit := func(i int, msg string, parents ...plumbing.Hash) (plumbing.Hash, error) {
		tree, err := writeTree(st, files)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		sig := sampleAuthor
		sig.When = sampleStart.Add(time.Duration(i) * 37 * time.Minute)
		c := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree}
		for _, p := range parents {
			if !p.IsZero() {
				c.ParentHashes = append(c.ParentHashes, p)
			}
		}
		obj := st.NewEncodedObject()
		if err := c.Encode(obj); err != nil {
			return plumbing.ZeroHash, err
		}
		return st.SetEncodedObject(obj)
	}
	for i := 0; i < commits; i++ {
		// Each commit changes one or two files, appending a line.
		p := paths[i%len(paths)]
		files[p] += fmt.Sprintf("// change %d for DEMO-%d\n", i, i%SampleIssueKeys+1)
		if i%3 == 0 {
			files["CHANGELOG.md"] += fmt.Sprintf("- %s", SampleMessage(i)[:strings.IndexByte(SampleMessage(i), '\n')+1])
		}
		if parent, err = commit(i, SampleMessage(i), parent); err != nil {
			return err
		}
		mainTips = append(mainTips, parent)
	}
	refs := []*plumbing.Reference{plumbing.NewHashReference("refs/heads/main", parent)}
	if commits >= 3 {
		// The feature branch starts from an older main commit. Its trees build
		// on main's latest files: git does not relate a commit's tree to its parent's.
		base := commits * 2 / 3
		snapshot := map[string]string{}
		for k, v := range files {
			snapshot[k] = v
		}
		featureTip := mainTips[base]
		files["src/login.go"] += "\n// Feature work for DEMO-7.\n"
		for j := 0; j < SampleFeatureCommits; j++ {
			files["src/login.go"] += fmt.Sprintf("// login step %d\n", j+1)
			msg := fmt.Sprintf("DEMO-7: login step %d of %d\n", j+1, SampleFeatureCommits)
			if featureTip, err = commit(commits+j, msg, featureTip); err != nil {
				return err
			}
		}
		files = snapshot
		refs = append(refs,
			plumbing.NewHashReference(plumbing.NewBranchReferenceName(SampleFeatureBranch), featureTip),
			plumbing.NewHashReference(plumbing.NewTagReferenceName(SampleTagLight), mainTips[commits/3]))
	}
	// Annotated tag at main's tip.
	sig := sampleAuthor
	sig.When = sampleStart.Add(time.Duration(commits+SampleFeatureCommits) * 37 * time.Minute)
	tag := &object.Tag{Name: SampleTagAnnotated, Tagger: sig, Message: "Release 1.0 (DEMO-1)\n", TargetType: plumbing.CommitObject, Target: parent}
	tobj := st.NewEncodedObject()
	if err := tag.Encode(tobj); err != nil {
		return err
	}
	th, err := st.SetEncodedObject(tobj)
	if err != nil {
		return err
	}
	refs = append(refs, plumbing.NewHashReference(plumbing.NewTagReferenceName(SampleTagAnnotated), th))
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		return err
	}
	fs := repo.Storer.(*filesystem.Storage)
	var hashes []plumbing.Hash
	for h := range st.Objects {
		hashes = append(hashes, h)
	}
	sort.Slice(hashes, func(i, j int) bool { return hashes[i].String() < hashes[j].String() })
	w, err := fs.PackfileWriter()
	if err != nil {
		return err
	}
	if _, err := packfile.NewEncoder(w, st, false).Encode(hashes, 10); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	for _, r := range refs {
		if err := fs.SetReference(r); err != nil {
			return err
		}
	}
	return fs.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, "refs/heads/main"))
}

// writeTree stores the trees for files (paths with '/' separators) and
// returns the root tree's hash.
func writeTree(st storer.EncodedObjectStorer, files map[string]string) (plumbing.Hash, error) {
	type dir struct {
		files map[string]string
		dirs  map[string]*dir
	}
	root := &dir{files: map[string]string{}, dirs: map[string]*dir{}}
	for p, content := range files {
		d := root
		parts := strings.Split(p, "/")
		for _, name := range parts[:len(parts)-1] {
			if d.dirs[name] == nil {
				d.dirs[name] = &dir{files: map[string]string{}, dirs: map[string]*dir{}}
			}
			d = d.dirs[name]
		}
		d.files[parts[len(parts)-1]] = content
	}
	var write func(d *dir) (plumbing.Hash, error)
	write = func(d *dir) (plumbing.Hash, error) {
		var entries []object.TreeEntry
		for name, content := range d.files {
			obj := st.NewEncodedObject()
			obj.SetType(plumbing.BlobObject)
			w, err := obj.Writer()
			if err != nil {
				return plumbing.ZeroHash, err
			}
			w.Write([]byte(content))
			w.Close()
			h, err := st.SetEncodedObject(obj)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
		}
		for name, sub := range d.dirs {
			h, err := write(sub)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
		}
		// git orders tree entries by name, directories compared as "name/".
		key := func(e object.TreeEntry) string {
			if e.Mode == filemode.Dir {
				return e.Name + "/"
			}
			return e.Name
		}
		sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
		t := &object.Tree{Entries: entries}
		obj := st.NewEncodedObject()
		if err := t.Encode(obj); err != nil {
			return plumbing.ZeroHash, err
		}
		return st.SetEncodedObject(obj)
	}
	return write(root)
}
