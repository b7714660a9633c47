package gitdiff_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/gitdiff"
	"github.com/gitjira/gitjira/index"
	"github.com/go-git/go-git/v5/plumbing"
)

// repo is a real git repository built by the git CLI for a test.
type repo struct {
	t   *testing.T
	dir string
	env []string
	n   int
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("these tests compare with the git CLI, which is not installed")
	}
	dir := t.TempDir()
	r := &repo{t: t, dir: dir, env: append(os.Environ(),
		"HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Lovelace", "GIT_COMMITTER_EMAIL=ada@example.com",
		"TZ=UTC")}
	r.git("init", "-q", "-b", "main")
	r.git("config", "gc.auto", "0")
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	// Each commit a second later, in a time zone of its own.
	r.n++
	cmd.Env = append(r.env, fmt.Sprintf("GIT_AUTHOR_DATE=%d +0530", 1700000000+r.n), fmt.Sprintf("GIT_COMMITTER_DATE=%d +0530", 1700000000+r.n))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func (r *repo) write(path, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *repo) commit(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return strings.TrimSpace(r.git("rev-parse", "HEAD"))
}

// gitShow is what git prints for the commit.
func (r *repo) gitShow(sha string) string {
	r.t.Helper()
	return r.git("-c", "core.abbrev=7", "show", "--no-color", "--no-decorate", "--first-parent", "--format=medium", "--patch", sha)
}

// ourShow is what gitdiff prints for it, reading the repository's packs
// and loose objects through the project's reader.
func (r *repo) ourShow(sha string) string {
	r.t.Helper()
	db, err := index.OpenObjects(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	var b bytes.Buffer
	if err := gitdiff.WriteShow(&b, db, plumbing.NewHash(sha), gitdiff.Options{Abbrev: 7}); err != nil {
		r.t.Fatal(err)
	}
	return b.String()
}

func (r *repo) same(sha string) {
	r.t.Helper()
	want, got := r.gitShow(sha), r.ourShow(sha)
	if want != got {
		r.t.Errorf("commit %s differs from git show:\n%s", sha[:7], lineDiff(want, got))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			lo := max(0, i-3)
			return fmt.Sprintf("line %d\n--- git:\n%s\n--- ours:\n%s", i+1,
				strings.Join(w[lo:min(len(w), i+6)], "\n"), strings.Join(g[lo:min(len(g), i+6)], "\n"))
		}
	}
	return "(same lines)"
}

const goFile = `package demo

import "fmt"

// Greet says hello.
func Greet(name string) string {
	if name == "" {
		name = "world"
	}
	return fmt.Sprintf("hello, %s", name)
}

// Count counts to n.
func Count(n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		out = append(out, i)
	}
	return out
}

func unused() {
	fmt.Println("a")
	fmt.Println("b")
	fmt.Println("c")
	fmt.Println("d")
	fmt.Println("e")
	fmt.Println("f")
	fmt.Println("g")
}
`

func TestShowMatchesGit(t *testing.T) {
	r := newRepo(t)
	r.write("main.go", goFile)
	r.write("README.md", "# Demo\n\nA demo.\n")
	r.write("docs/notes.txt", strings.Repeat("note line\n", 30))
	r.write("bin/data.bin", "\x00\x01\x02binary\x00")
	r.write("no-newline.txt", "one\ntwo")
	r.write("with space.txt", "spaced\n")
	r.write("ünïcode.txt", "unicode\n")
	r.write("big/rename-me.txt", strings.Repeat("a fairly long line that makes up the file\n", 20))
	r.write("empty", "")
	os.Symlink("README.md", filepath.Join(r.dir, "link"))
	r.write("run.sh", "#!/bin/sh\necho hi\n")
	root := r.commit("Initial import PROJ-1\n\nA body line.\n\tIndented with a tab.\n\n\nTrailing paragraph.   \n\n")
	r.same(root)

	// Edits in several places, a function line in the hunk header.
	r.write("main.go", strings.NewReplacer(`"world"`, `"there"`, "i < n", "i <= n", `fmt.Println("d")`, `fmt.Println("D")`).Replace(goFile)+"\nfunc Added() {}\n")
	os.Chmod(filepath.Join(r.dir, "run.sh"), 0o755)
	r.git("mv", "docs/notes.txt", "docs/moved-notes.txt")
	r.git("mv", "big/rename-me.txt", "big/renamed.txt")
	r.write("big/renamed.txt", strings.Repeat("a fairly long line that makes up the file\n", 18)+"changed\n")
	r.write("bin/data.bin", "\x00\x01\x03binary!\x00")
	r.write("no-newline.txt", "one\ntwo\nthree")
	os.Remove(filepath.Join(r.dir, "with space.txt"))
	os.Remove(filepath.Join(r.dir, "link"))
	r.write("link", "now a file\n")
	r.write("new dir/new file.txt", "fresh\n")
	second := r.commit("PROJ-2 edits, renames, a mode change, a type change")
	r.same(second)

	// An empty commit.
	empty := r.commit("PROJ-3 nothing changed")
	r.same(empty)

	// A merge: git show --first-parent shows the diff against the first parent.
	r.git("checkout", "-q", "-b", "side", root)
	r.write("side.txt", "from the side branch\n")
	r.write("README.md", "# Demo\n\nA demo from the side.\n")
	r.commit("side work")
	r.git("checkout", "-q", "main")
	r.git("merge", "-q", "--no-ff", "-m", "Merge side for PROJ-4", "side")
	merge := strings.TrimSpace(r.git("rev-parse", "HEAD"))
	r.same(merge)

	// A deletion of a directory and a file becoming a directory.
	os.RemoveAll(filepath.Join(r.dir, "docs"))
	os.Remove(filepath.Join(r.dir, "empty"))
	r.write("empty/inside.txt", "inside\n")
	r.same(r.commit("PROJ-5 dir changes"))

	// The same after git repacks everything into a pack (deltas).
	r.git("gc", "-q", "--aggressive")
	for _, c := range []string{root, second, empty, merge} {
		r.same(c)
	}
}

// fastImport feeds a git fast-import stream (one process writing one pack:
// thousands of files in a second, where git add takes minutes on a loaded
// machine).
func (r *repo) fastImport(stream string) {
	r.t.Helper()
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = r.dir
	cmd.Env = r.env
	cmd.Stdin = strings.NewReader(stream)
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("git fast-import: %v\n%s", err, out)
	}
}

// A commit with 5,000 changed files (added, then each edited, then a
// directory of them renamed) prints as git prints it.
func TestShowManyFiles(t *testing.T) {
	r := newRepo(t)
	var s strings.Builder
	commit := func(mark int, msg string) {
		fmt.Fprintf(&s, "commit refs/heads/main\nmark :%d\nauthor Ada Lovelace <ada@example.com> %d +0100\ncommitter Ada Lovelace <ada@example.com> %d +0100\ndata %d\n%s\n", mark, 1700000000+mark, 1700000000+mark, len(msg), msg)
		if mark > 1 {
			fmt.Fprintf(&s, "from :%d\n", mark-1)
		}
	}
	file := func(path, content string) {
		fmt.Fprintf(&s, "M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
	}
	commit(1, "PROJ-9 5,000 files")
	for i := range 5000 {
		file(fmt.Sprintf("gen/d%02d/f%04d.txt", i%50, i), fmt.Sprintf("file %d\nline two\nline three\n", i))
	}
	commit(2, "PROJ-9 edit them all")
	for i := range 5000 {
		file(fmt.Sprintf("gen/d%02d/f%04d.txt", i%50, i), fmt.Sprintf("file %d\nline 2\nline three\n", i))
	}
	commit(3, "PROJ-9 move a directory")
	s.WriteString("R gen/d07 moved-d07\n\n")
	r.fastImport(s.String())
	for _, rev := range []string{"main~2", "main~1", "main"} {
		r.same(strings.TrimSpace(r.git("rev-parse", rev)))
	}
}

// MaxLines keeps the first lines of a long file's diff and counts the rest;
// the added and deleted counts cover the whole file.
func TestDiffMaxLines(t *testing.T) {
	r := newRepo(t)
	var before, after strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&before, "line %d\n", i)
		if i%10 == 0 {
			fmt.Fprintf(&after, "changed %d\n", i)
		} else {
			fmt.Fprintf(&after, "line %d\n", i)
		}
	}
	r.write("long.txt", before.String())
	r.commit("first")
	r.write("long.txt", after.String())
	sha := r.commit("second")
	db, err := index.OpenObjects(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := gitdiff.ReadCommit(db, plumbing.NewHash(sha))
	if err != nil {
		t.Fatal(err)
	}
	chs, err := gitdiff.CommitChanges(db, c)
	if err != nil || len(chs) != 1 {
		t.Fatalf("changes %v, %v", chs, err)
	}
	full, err := gitdiff.Diff(db, chs[0], gitdiff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cut, err := gitdiff.Diff(db, chs[0], gitdiff.Options{MaxLines: 100})
	if err != nil {
		t.Fatal(err)
	}
	if full.Added != 300 || full.Deleted != 300 || cut.Added != 300 || cut.Deleted != 300 {
		t.Errorf("counts: full +%d -%d, cut +%d -%d; want +300 -300", full.Added, full.Deleted, cut.Added, cut.Deleted)
	}
	total, kept := 0, 0
	for _, h := range full.Hunks {
		total += len(h.Lines)
	}
	for _, h := range cut.Hunks {
		kept += len(h.Lines)
	}
	if kept != 100 || cut.MoreLines != total-100 || full.MoreLines != 0 {
		t.Errorf("kept %d lines, %d more (of %d); want 100 and %d", kept, cut.MoreLines, total, total-100)
	}
	// The numstat git gives agrees.
	if got := strings.Fields(r.git("show", "--numstat", "--format=", sha)); got[0] != "300" || got[1] != "300" {
		t.Errorf("git --numstat %v", got)
	}
}

func TestResolveAndAbbrev(t *testing.T) {
	r := newRepo(t)
	r.write("a", "a\n")
	first := r.commit("one")
	r.git("tag", "v1")
	r.write("a", "b\n")
	second := r.commit("two")
	db, err := index.OpenObjects(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, want := range map[string]string{first[:7]: first, second: second, "v1": first, "main": second, "HEAD": second, strings.ToUpper(second[:10]): second} {
		got, err := db.Resolve(name)
		if err != nil || got.String() != want {
			t.Errorf("Resolve(%q) = %s, %v; want %s", name, got, err, want)
		}
	}
	for _, bad := range []string{"nope", "12", "zzzzzzz", "0000000"} {
		if _, err := db.Resolve(bad); err == nil {
			t.Errorf("Resolve(%q) gave no error", bad)
		}
	}
	if n := db.Abbrev(plumbing.NewHash(second)); n != 7 {
		t.Errorf("Abbrev in a tiny repository = %d, want 7", n)
	}
}
