package main

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/jira"
)

func TestReposListEmpty(t *testing.T) {
	setHome(t)
	code, out, errOut := runCmd(t, "repos", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" || errOut != "" {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "repos")
	if code != 0 || !strings.Contains(out, "gitjira connect") {
		t.Fatalf("empty text list: exit %d %q", code, out)
	}
}

func TestReposListAndRemove(t *testing.T) {
	p := setHome(t)
	src, _ := sourceRepo(t, "PROJ-7 a", "PROJ-8 b", "c")
	addRepo(t, p, "alpha", src, nil)
	addRepo(t, p, "beta", src, []string{"PROJ", "ABC"})

	code, out, errOut := runCmd(t, "repos", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	var fields []string
	for k := range got[0] {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	want := []string{"added", "commits", "default_branch", "host_key_fingerprint", "issue_keys", "key_fingerprint", "last_fetched", "mirror", "name", "projects", "url"}
	if !slices.Equal(fields, want) {
		t.Fatalf("fields %v, want %v", fields, want)
	}
	if got[0]["name"] != "alpha" || got[0]["commits"] != float64(3) || got[0]["issue_keys"] != float64(2) ||
		!slices.Equal(toStrings(got[0]["projects"]), []string{"ALL"}) || !slices.Equal(toStrings(got[1]["projects"]), []string{"ABC", "PROJ"}) {
		t.Fatalf("entries: %v", got)
	}

	code, out, _ = runCmd(t, "repos")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "LAST FETCHED") ||
		!strings.Contains(lines[1], "alpha") || !strings.Contains(lines[1], " all ") || !strings.Contains(lines[2], "ABC,PROJ") || !strings.Contains(lines[1], "ok") {
		t.Fatalf("table:\n%s", out)
	}

	// Unknown name: exit 1, the names listed.
	code, _, errOut = runCmd(t, "repos", "remove", "gamma")
	if code != 1 || !strings.Contains(errOut, "alpha, beta") {
		t.Fatalf("remove unknown: exit %d %q", code, errOut)
	}
	if code, _, _ := runCmd(t, "repos", "remove"); code != 2 {
		t.Fatalf("remove without a name: exit %d", code)
	}
	if code, _, _ := runCmd(t, "repos", "frobnicate"); code != 2 {
		t.Fatalf("unknown subcommand: exit %d", code)
	}
	code, out, errOut = runCmd(t, "repos", "remove", "alpha")
	if code != 0 || !strings.Contains(out, "Removed alpha") {
		t.Fatalf("remove: exit %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(p.MirrorDir("alpha")); !os.IsNotExist(err) {
		t.Fatal("mirror still there")
	}
	if code, out, _ := runCmd(t, "issue", "PROJ-7", "--json"); code != 0 || strings.Count(out, `"repository": "beta"`) != 1 || strings.Contains(out, "alpha") {
		t.Fatalf("issue after remove: %s", out)
	}
	repos, _ := jira.OpenRepositoryList(p).Load()
	if len(repos) != 1 || repos[0].Name != "beta" {
		t.Fatalf("list after remove: %+v", repos)
	}
}

func TestReposListCorrupted(t *testing.T) {
	p := setHome(t)
	os.MkdirAll(p.Data, 0o700)
	os.WriteFile(p.ReposFile(), []byte("{oops"), 0o600)
	code, out, errOut := runCmd(t, "repos", "--json")
	if code != 1 || out != "" || !strings.Contains(errOut, p.ReposFile()) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("exit %d out %q err %q", code, out, errOut)
	}
	if code, _, _ := runCmd(t, "repos", "remove", "x"); code != 1 {
		t.Fatalf("remove on a corrupted list: exit %d", code)
	}
	if data, _ := os.ReadFile(p.ReposFile()); string(data) != "{oops" {
		t.Fatal("corrupted list changed")
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
