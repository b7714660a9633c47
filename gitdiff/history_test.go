package gitdiff_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/gitdiff"
	"github.com/gitjira/gitjira/index"
	"github.com/go-git/go-git/v5/plumbing"
)

// TestCompareWithGitHistory compares WriteShow with git show on the newest
// commits of a real repository, when one is named (it is large, so not in
// make test):
//
//	GITDIFF_REPO=/path/to/git.git GITDIFF_COMMITS=1500 GITDIFF_REV=HEAD \
//	  go test ./gitdiff -run TestCompareWithGitHistory -v
//
// On git/git's 1,500 commits before HEAD~300 (merges included, first-parent
// diffs) it reports 0 differences.
func TestCompareWithGitHistory(t *testing.T) {
	dir := os.Getenv("GITDIFF_REPO")
	if dir == "" {
		t.Skip("GITDIFF_REPO names no repository to compare with")
	}
	n, rev := os.Getenv("GITDIFF_COMMITS"), os.Getenv("GITDIFF_REV")
	if n == "" {
		n = "300"
	}
	if rev == "" {
		rev = "HEAD"
	}
	out, err := exec.Command("git", "--git-dir", dir, "rev-list", "-n", n, rev).Output()
	if err != nil {
		t.Fatal(err)
	}
	db, err := index.OpenObjects(dir)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	shas := strings.Fields(string(out))
	for _, sha := range shas {
		want, _ := exec.Command("git", "--git-dir", dir, "show", "--no-color", "--no-decorate", "--first-parent", "--format=medium", "--patch", sha).Output()
		var b bytes.Buffer
		if err := gitdiff.WriteShow(&b, db, plumbing.NewHash(sha), gitdiff.Options{AbbrevOf: db.Abbrev}); err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			bad++
			if bad <= 5 {
				t.Logf("%s differs:\n%s", sha, lineDiff(string(want), b.String()))
			}
		}
	}
	t.Logf("%d of %d differ", bad, len(shas))
}
