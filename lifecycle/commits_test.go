package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gitRun runs the git CLI in dir with a fixed identity and clock.
func gitRun(t *testing.T, dir string, n int, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Grace Hopper", "GIT_AUTHOR_EMAIL=grace@example.com",
		"GIT_COMMITTER_NAME=Grace Hopper", "GIT_COMMITTER_EMAIL=grace@example.com",
		fmt.Sprintf("GIT_AUTHOR_DATE=%d +0000", 1700000000+n*60), fmt.Sprintf("GIT_COMMITTER_DATE=%d +0000", 1700000000+n*60))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// historyFixture serves /hist.git: main and feature branches whose
// commits mention PROJ-1, connected as "hist".
func historyFixture(t *testing.T) (*fixture, map[string]string) {
	f := newFixture(t, 1)
	work := t.TempDir()
	n := 0
	git := func(args ...string) string { n++; return gitRun(t, work, n, args...) }
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sha := map[string]string{}
	git("init", "-q", "-b", "main")
	write("app.go", "package app\n\nfunc A() int {\n\treturn 1\n}\n")
	git("add", ".")
	git("commit", "-q", "-m", "PROJ-1 first")
	sha["first"] = git("rev-parse", "HEAD")
	git("checkout", "-q", "-b", "feature")
	write("feature.txt", "feature\n")
	git("add", ".")
	git("commit", "-q", "-m", "feature work for PROJ-1")
	sha["feature"] = git("rev-parse", "HEAD")
	git("checkout", "-q", "main")
	write("app.go", "package app\n\nfunc A() int {\n\treturn 2\n}\n")
	git("commit", "-q", "-am", "unrelated")
	write("app.go", "package app\n\nfunc A() int {\n\treturn 3\n}\n")
	git("commit", "-q", "-am", "Return three\n\nRefs PROJ-1 and OTHER-2.")
	sha["body"] = git("rev-parse", "HEAD")
	git("clone", "-q", "--bare", work, filepath.Join(f.root, "hist.git"))
	f.connect("hist", f.srv.URL("/hist.git"))
	return f, sha
}

func TestIssueCommitsAndBranches(t *testing.T) {
	f, sha := historyFixture(t)
	got, err := f.m.IssueCommits("proj-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != "PROJ-1" || len(got.Commits) != 3 {
		t.Fatalf("IssueCommits(proj-1) = %s, %d commits; want PROJ-1, 3", got.Key, len(got.Commits))
	}
	order := []string{got.Commits[0].SHA, got.Commits[1].SHA, got.Commits[2].SHA}
	if !slices.Equal(order, []string{sha["body"], sha["feature"], sha["first"]}) {
		t.Errorf("not newest first: %v", order)
	}
	if m := got.Commits[0].Match; m != "Refs PROJ-1 and OTHER-2." {
		t.Errorf("match line %q", m)
	}
	if got.Commits[1].Match != "" {
		t.Errorf("a subject that mentions the key got a match line %q", got.Commits[1].Match)
	}

	br, err := f.m.CommitBranches(context.Background(), "hist", order)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{sha["body"]: {"main"}, sha["feature"]: {"feature"}, sha["first"]: {"feature", "main"}}
	for s, w := range want {
		if !slices.Equal(br[s], w) {
			t.Errorf("branches of %s = %v, want %v", s[:7], br[s], w)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.m.CommitBranches(ctx, "hist", order); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled walk: %v", err)
	}

	for _, bad := range []string{"proj", "12", "PROJ-", "-1", "pr oj-1"} {
		if _, err := f.m.IssueCommits(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("IssueCommits(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestCommitDetailAndShow(t *testing.T) {
	f, sha := historyFixture(t)
	d, err := f.m.CommitDetail("hist", sha["body"][:8], DefaultDiffBudget)
	if err != nil {
		t.Fatal(err)
	}
	if d.Commit.ID.String() != sha["body"] || len(d.Changes) != 1 || len(d.Patches) != 1 {
		t.Fatalf("detail: %s, %d changes, %d patches", d.Commit.ID, len(d.Changes), len(d.Patches))
	}
	if p := d.Patches[0]; p.Added != 1 || p.Deleted != 1 || p.Change.NewPath != "app.go" {
		t.Errorf("patch +%d -%d %s", p.Added, p.Deleted, p.Change.NewPath)
	}
	if d.Short != sha["body"][:7] || len(d.ParentsShort) != 1 {
		t.Errorf("short ids %s %v", d.Short, d.ParentsShort)
	}
	var b bytes.Buffer
	if err := f.m.WriteShow(&b, "hist", "main"); err != nil {
		t.Fatal(err)
	}
	r, _ := f.m.list().Get("hist")
	want := gitRun(t, r.Mirror, 4, "show", "--no-color", "--no-decorate", "--first-parent", "--format=medium", "--patch", sha["body"])
	if strings.TrimSpace(b.String()) != want {
		t.Errorf("WriteShow differs from git show:\n%s\n---\n%s", b.String(), want)
	}
	if _, err := f.m.CommitDetail("hist", "0123456", DefaultDiffBudget); err == nil {
		t.Error("an unknown commit gave no error")
	}
	if _, err := f.m.CommitDetail("nope", "main", DefaultDiffBudget); err == nil {
		t.Error("an unknown repository gave no error")
	}
}
