package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/jira"
)

// runCmd runs the command line in-process with buffers.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// setHome points gitjira at a fresh GITJIRA_HOME and returns its Paths.
func setHome(t *testing.T) jira.Paths {
	home := t.TempDir()
	t.Setenv("GITJIRA_HOME", home)
	t.Setenv("GITJIRA_PASSPHRASE", "")
	os.Unsetenv("GITJIRA_PASSPHRASE")
	return jira.DefaultPaths()
}

func git(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ada Author", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Author", "GIT_COMMITTER_EMAIL=ada@example.com")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// sourceRepo makes a work repository whose commits carry the given messages,
// one hour apart from 2024-01-01T01:00Z, and returns it and the shas.
func sourceRepo(t *testing.T, msgs ...string) (string, []string) {
	dir := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(dir, 0o755)
	git(t, dir, nil, "init", "-q", "-b", "main")
	var shas []string
	for i, m := range msgs {
		d := time.Date(2024, 1, 1, i+1, 0, 0, 0, time.UTC).Format(time.RFC3339)
		git(t, dir, []string{"GIT_AUTHOR_DATE=" + d, "GIT_COMMITTER_DATE=" + d}, "commit", "-q", "--allow-empty", "-m", m)
		shas = append(shas, git(t, dir, nil, "rev-parse", "HEAD"))
	}
	return dir, shas
}

// addRepo mirrors src into the data directory and adds it to the list.
func addRepo(t *testing.T, p jira.Paths, name, src string, projects []string) jira.Repository {
	t.Helper()
	mirror := p.MirrorDir(name)
	os.MkdirAll(p.MirrorsDir(), 0o700)
	git(t, "/", nil, "clone", "-q", "--mirror", "--no-local", src, mirror)
	r, err := jira.AddRepository(p, jira.Repository{Name: name, URL: "ssh://git@127.0.0.1:1/" + name + ".git", Mirror: mirror, Projects: projects}, []byte("not a real key\n"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIssueCommand(t *testing.T) {
	p := setHome(t)
	srcA, a := sourceRepo(t, "PROJ-7 first", "unrelated", "fixes PROJ-7 and PROJ-70\n\nbody", "OTHER-1")
	srcB, b := sourceRepo(t, "XPROJ-7 no", "later PROJ-7 in b")
	addRepo(t, p, "alpha", srcA, nil)
	addRepo(t, p, "beta", srcB, nil)

	code, out, errOut := runCmd(t, "issue", "PROJ-7", "--json")
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

	code, out, _ = runCmd(t, "issue", "PROJ-7")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "REPOSITORY") || !strings.Contains(lines[1], a[2][:10]) ||
		strings.Contains(lines[1], a[2][:11]) || !strings.Contains(lines[2], "beta") {
		t.Fatalf("table (exit %d):\n%s", code, out)
	}

	code, out, _ = runCmd(t, "issue", "NONE-1", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("no commits: exit %d, %q", code, out)
	}
	code, out, _ = runCmd(t, "issue", "NONE-1")
	if code != 0 || !strings.Contains(out, "No commits mention NONE-1") {
		t.Fatalf("no commits text: exit %d, %q", code, out)
	}
	for _, args := range [][]string{{"issue"}, {"issue", "proj-7"}, {"issue", "PROJ"}, {"issue", "PROJ-7", "PROJ-8"}, {"issue", "--bogus", "PROJ-7"}} {
		if code, _, errOut := runCmd(t, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

func TestIssueCommandRestrictedProjects(t *testing.T) {
	p := setHome(t)
	src, _ := sourceRepo(t, "PROJ-7 here", "OTHER-1 there")
	addRepo(t, p, "only-other", src, []string{"OTHER"})
	if code, out, _ := runCmd(t, "issue", "PROJ-7", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("a repository restricted to OTHER showed PROJ-7: %s", out)
	}
	if code, out, _ := runCmd(t, "issue", "OTHER-1", "--json"); code != 0 || !strings.Contains(out, "OTHER-1 there") {
		t.Fatalf("OTHER-1: %s", out)
	}
}
