package issue

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
)

func newIssue(f *cmdutil.Factory) *cobra.Command { return NewCmdIssue(f, nil) }

func TestIssueCommand(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srcA, a := cmdtest.SourceRepo(t, "PROJ-7 first", "unrelated", "fixes PROJ-7 and PROJ-70\n\nbody", "OTHER-1")
	srcB, b := cmdtest.SourceRepo(t, "XPROJ-7 no", "later PROJ-7 in b")
	cmdtest.AddRepo(t, e.Paths, "alpha", srcA, nil)
	cmdtest.AddRepo(t, e.Paths, "beta", srcB, nil)

	code, out, errOut := e.Exec(newIssue, "", "PROJ-7", "--json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// Newest first: a[2] at 03:00, b[1] at 02:00, a[0] at 01:00 (b[1] is 02:00 in its own repo).
	wantSHAs := []string{a[2], b[1], a[0]}
	if len(got) != 3 {
		t.Fatalf("got %d commits, want 3: %s", len(got), out)
	}
	for i, g := range got {
		if g["sha"] != wantSHAs[i] {
			t.Errorf("commit %d = %v, want %s", i, g["sha"], wantSHAs[i])
		}
		if len(g) != 5 {
			t.Errorf("commit %d has fields %v, want exactly repository, sha, author, date, subject", i, g)
		}
	}
	if got[0]["repository"] != "alpha" || got[0]["author"] != "Ada Author" || got[0]["date"] != "2024-01-01T03:00:00Z" ||
		got[0]["subject"] != "fixes PROJ-7 and PROJ-70" {
		t.Errorf("first commit = %v", got[0])
	}
	// --json before KEY works the same.
	if code, out2, _ := e.Exec(newIssue, "", "--json", "PROJ-7"); code != 0 || out2 != out {
		t.Errorf("--json before KEY: exit %d, output differs", code)
	}

	code, out, _ = e.Exec(newIssue, "", "PROJ-7")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "REPOSITORY") || !strings.Contains(lines[1], a[2][:10]) ||
		strings.Contains(lines[1], a[2][:11]) || !strings.Contains(lines[2], "beta") {
		t.Fatalf("table (exit %d):\n%s", code, out)
	}

	code, out, _ = e.Exec(newIssue, "", "NONE-1", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("no commits: exit %d, %q", code, out)
	}
	code, out, _ = e.Exec(newIssue, "", "NONE-1")
	if code != 0 || !strings.Contains(out, "No commits mention NONE-1") {
		t.Fatalf("no commits text: exit %d, %q", code, out)
	}
	// A key typed in lower case is the key (issue 15, defect 10).
	_, upper, _ := e.Exec(newIssue, "", "PROJ-7")
	if code, lower, errOut := e.Exec(newIssue, "", "proj-7"); code != 0 || lower != upper || errOut != "" {
		t.Errorf("proj-7: exit %d, %q; want PROJ-7's table", code, errOut)
	}
	for _, args := range [][]string{{}, {"proj"}, {"PROJ"}, {"PROJ-7", "--json", "--patch"}, {"PROJ-7", "PROJ-8"}, {"--bogus", "PROJ-7"}} {
		code, out, errOut := e.Exec(newIssue, "", args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "gitjira: issue: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line", args, code, out, errOut)
		}
	}
}

func TestIssueCommandRestrictedProjects(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	src, _ := cmdtest.SourceRepo(t, "PROJ-7 here", "OTHER-1 there")
	cmdtest.AddRepo(t, e.Paths, "only-other", src, []string{"OTHER"})
	ios, out, _ := cmdutil.Test("", nil)
	if err := runIssue(&IssueOptions{IO: ios, Paths: e.Paths, Key: "PROJ-7", JSON: true}); err != nil || strings.TrimSpace(out.String()) != "[]" {
		t.Fatalf("a repository restricted to OTHER showed PROJ-7: %v %s", err, out)
	}
	out.Reset()
	if err := runIssue(&IssueOptions{IO: ios, Paths: e.Paths, Key: "OTHER-1", JSON: true}); err != nil || !strings.Contains(out.String(), "OTHER-1 there") {
		t.Fatalf("OTHER-1: %v %s", err, out)
	}
}

// TestIssueCommandShowsWhereAndWhatIsHidden: a key only in the message body
// is shown with its line (issue 11), and a match in a repository restricted
// to other projects is named instead of "No commits mention".
func TestIssueCommandShowsWhereAndWhatIsHidden(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	srcA, a := cmdtest.SourceRepo(t, "refactor the importer\n\nSee OPS-7 for the reason.\nMore text.")
	cmdtest.AddRepo(t, e.Paths, "alpha", srcA, nil)
	srcB, _ := cmdtest.SourceRepo(t, "DOC-3 mention")
	cmdtest.AddRepo(t, e.Paths, "restricted", srcB, []string{"OTHER"})

	code, out, _ := e.Exec(newIssue, "", "OPS-7")
	if code != 0 || !strings.Contains(out, a[0][:10]) || !strings.Contains(out, `OPS-7 in the message: "See OPS-7 for the reason."`) {
		t.Fatalf("body match (exit %d):\n%s", code, out)
	}
	code, out, _ = e.Exec(newIssue, "", "OPS-7", "--json")
	var got []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != 1 || got[0]["match"] != "See OPS-7 for the reason." {
		t.Fatalf("json match (exit %d): %s", code, out)
	}
	code, out, _ = e.Exec(newIssue, "", "DOC-3")
	if code != 0 || strings.Contains(out, "No commits mention DOC-3 in the connected") ||
		!strings.Contains(out, "restricted (1)") || !strings.Contains(out, "other Jira projects than DOC") {
		t.Fatalf("hidden match (exit %d):\n%s", code, out)
	}
}

// --patch prints each commit as git show prints it, newest first, a blank
// line between commits (as git log -p).
func TestIssuePatch(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	git := func(i int, args ...string) string {
		d := time.Date(2024, 1, 1, i, 0, 0, 0, time.UTC).Format(time.RFC3339)
		return cmdtest.Git(t, src, []string{"GIT_AUTHOR_DATE=" + d, "GIT_COMMITTER_DATE=" + d}, args...)
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(0, "init", "-q", "-b", "main")
	write("notes.txt", strings.Repeat("a line of notes\n", 12))
	write("logo.png", "\x89PNG\x00\x01")
	git(1, "add", ".")
	git(1, "commit", "-q", "-m", "PROJ-7 add notes and a logo")
	git(2, "mv", "notes.txt", "docs.txt")
	write("docs.txt", strings.Repeat("a line of notes\n", 11)+"edited\n")
	git(2, "commit", "-q", "-am", "Rename the notes\n\nFor PROJ-7.")
	git(3, "commit", "-q", "--allow-empty", "-m", "PROJ-7: nothing changed")
	shas := strings.Fields(git(4, "rev-list", "main"))
	r := cmdtest.AddRepo(t, e.Paths, "alpha", src, nil)

	code, out, errOut := e.Exec(newIssue, "", "proj-7", "--patch")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var want []string
	for _, s := range shas {
		want = append(want, cmdtest.Git(t, r.Mirror, nil, "show", "--no-color", "--no-decorate", "--first-parent", "--format=medium", "--patch", s)+"\n")
	}
	if out != strings.Join(want, "\n") {
		t.Errorf("--patch differs from git show:\n%s\n--- want:\n%s", out, strings.Join(want, "\n"))
	}
	if code, out, _ := e.Exec(newIssue, "", "NONE-1", "--patch"); code != 0 || out != "" {
		t.Errorf("no commits: exit %d, %q", code, out)
	}
}
