package gitdir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestForEachRefMatchesGit: loose refs win over packed-refs, names come
// sorted, a detached HEAD is listed, symbolic refs are not; compared with
// what git for-each-ref says of the same repository.
func TestForEachRefMatchesGit(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent",
			"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@x")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("commit", "-q", "--allow-empty", "-m", "one")
	first := git("rev-parse", "HEAD")
	git("tag", "v1")
	git("branch", "b")
	git("pack-refs", "--all")
	git("commit", "-q", "--allow-empty", "-m", "two") // main is loose now, and newer than its packed line
	git("symbolic-ref", "refs/heads/sym", "refs/heads/main")
	gitDir := filepath.Join(dir, ".git")

	var names []string
	got := map[string]plumbing.Hash{}
	if err := ForEachRef(gitDir, func(name string, id plumbing.Hash) error {
		names = append(names, name)
		got[name] = id
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/main", "refs/heads/b", "refs/tags/v1"), "\n") {
		name, id, _ := strings.Cut(line, " ")
		if got[name].String() != id {
			t.Errorf("%s = %s, git says %s", name, got[name], id)
		}
	}
	if _, ok := got["refs/heads/sym"]; ok {
		t.Error("a symbolic ref was listed")
	}
	if strings.Join(names, ",") != "refs/heads/b,refs/heads/main,refs/tags/v1" {
		t.Errorf("names %v", names)
	}
	git("checkout", "-q", "--detach", first)
	got = map[string]plumbing.Hash{}
	ForEachRef(gitDir, func(name string, id plumbing.Hash) error { got[name] = id; return nil })
	if got["HEAD"].String() != first {
		t.Errorf("detached HEAD = %s, want %s", got["HEAD"], first)
	}
}
