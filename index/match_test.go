package index

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gitjira/gitjira/store"
)

// lookupSetup indexes a mirror whose commits mention keys in their subject
// or only in their body, and lists it as repository "r".
func lookupSetup(t *testing.T) (ix *Index, mirror string, body, subj string) {
	g := newGitRepo(t)
	g.commit("PROJ-1: start")
	body = g.commit("Fix the flaky retry\n\nThe cause is in the pool.\n  See OPS-7 for the reason.  \nAlso OPS-7 again, and PROJ-2.")
	subj = g.commit("OPS-7: the subject says it")
	mirror = filepath.Join(t.TempDir(), "mirror.git")
	runGit(t, "/", nil, "clone", "-q", "--mirror", "--no-local", g.dir, mirror)
	p := testPaths(t)
	repo := store.Repository{Name: "r", Mirror: mirror, Projects: []string{"ALL"}}
	ix = Open(p)
	if _, err := ix.Update(repo); err != nil {
		t.Fatal(err)
	}
	if err := store.OpenRepositoryList(p).Update(func([]store.Repository) ([]store.Repository, error) { return []store.Repository{repo}, nil }); err != nil {
		t.Fatal(err)
	}
	return ix, mirror, body, subj
}

func matchesBySHA(t *testing.T, ix *Index, key string) map[string]string {
	t.Helper()
	refs, err := ix.Lookup(key)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range refs {
		m[r.SHA] = r.Match
	}
	return m
}

// The line that mentions a key outside the subject comes from the index:
// it is there with the mirror gone (issue 17 item 12: `gitjira issue` read
// each commit from the mirror, loading a whole pack index).
func TestLookupMatchFromIndex(t *testing.T) {
	ix, mirror, body, subj := lookupSetup(t)
	if err := os.RemoveAll(mirror); err != nil {
		t.Fatal(err)
	}
	got := matchesBySHA(t, ix, "OPS-7")
	if len(got) != 2 || got[body] != "See OPS-7 for the reason." || got[subj] != "" {
		t.Fatalf("OPS-7 matches = %q", got)
	}
	if got := matchesBySHA(t, ix, "PROJ-2"); got[body] != "Also OPS-7 again, and PROJ-2." {
		t.Fatalf("PROJ-2 matches = %q", got)
	}
}

// An index an older gitjira wrote (six fields, no matching lines) still
// shows the line: read from the mirror for those commits.
func TestLookupMatchLegacyIndexReadsMirror(t *testing.T) {
	ix, _, body, subj := lookupSetup(t)
	path := ix.file("r")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, seen, _ := bytes.Cut(data, []byte("\nseen "))
	lines := strings.Split(string(head), "\n")
	for i := 2; i < len(lines); i++ {
		parts := strings.SplitN(lines[i], "\t", 7)
		if len(parts) != 7 {
			t.Fatalf("entry without a matches field: %q", lines[i])
		}
		lines[i] = strings.Join(parts[:6], "\t")
	}
	legacy := strings.Join(lines, "\n") + "\nseen " + string(seen)
	if err := os.WriteFile(path, []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	got := matchesBySHA(t, ix, "OPS-7")
	if len(got) != 2 || got[body] != "See OPS-7 for the reason." || got[subj] != "" {
		t.Fatalf("OPS-7 matches from a legacy index = %q", got)
	}
	// The rest of the entry is read as before.
	if c, err := IndexedCommits(ix.paths, store.Repository{Name: "r", Projects: []string{"ALL"}}); err != nil || len(c) != 3 || c[1].Subject != "Fix the flaky retry" {
		t.Fatalf("IndexedCommits of a legacy index: %+v %v", c, err)
	}
}

func TestMatchLinesBounded(t *testing.T) {
	long := "PROJ-3 " + strings.Repeat("é", 300)
	got := matchLines([]string{"PROJ-1", "PROJ-3"}, "PROJ-1 in the subject", "PROJ-1 in the subject\n\n"+long)
	if len(got) != 1 || got[0].key != "PROJ-3" || len(got[0].line) > maxMatchLine || !utf8.ValidString(got[0].line) || !strings.HasPrefix(long, got[0].line) {
		t.Fatalf("matchLines = %q", got)
	}
	line := formatEntry(nil, [20]byte{1}, 1, 0, []string{"PROJ-3"}, "a\tb", "s\x1ft", []keyLine{{"PROJ-3", "x\x1ey\tz"}})
	e, ok := parseEntry(line)
	if !ok || !e.hasMatches || storedMatch(e.matches, "PROJ-3") != "x y z" || e.subject != "s t" {
		t.Fatalf("entry %q parsed as %+v", line, e)
	}
}
