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
	"github.com/gitjira/gitjira/jira"
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
	db, err := jira.OpenObjects(r.dir)
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
