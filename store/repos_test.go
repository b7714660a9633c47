package store

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gitjira/gitjira/internal/fsatomic"
)

// The list tests re-execute the test binary as writer processes: flock and
// rename are about processes, goroutines would not prove anything.
const childEnv = "GITJIRA_TEST_LIST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "writer":
		os.Exit(childWriter())
	case "slow-writer":
		os.Exit(childSlowWriter())
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode")
		os.Exit(3)
	}
}

// childWriter appends N entries "<id>-<i>", one Update each.
func childWriter() int {
	id := os.Getenv("CHILD_ID")
	n, _ := strconv.Atoi(os.Getenv("CHILD_N"))
	l := OpenRepositoryList(DefaultPaths())
	for i := 0; i < n; i++ {
		err := l.Update(func(repos []Repository) ([]Repository, error) {
			return append(repos, Repository{Name: fmt.Sprintf("%s-%d", id, i), URL: "ssh://git@127.0.0.1/r.git", Mirror: "/m", Enabled: true}), nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// childSlowWriter appends "k-<len>" forever; at every stage of the atomic
// write it reports the stage on stdout and pauses, so the parent can kill
// it exactly there.
func childSlowWriter() int {
	out := bufio.NewWriter(os.Stdout)
	fsatomic.SetTestHook(func(stage, _ string) {
		fmt.Fprintln(out, stage)
		out.Flush()
		time.Sleep(30 * time.Millisecond)
	})
	l := OpenRepositoryList(DefaultPaths())
	for {
		err := l.Update(func(repos []Repository) ([]Repository, error) {
			fmt.Fprintln(out, "locked")
			out.Flush()
			return append(repos, Repository{Name: fmt.Sprintf("k-%d", len(repos)), URL: "ssh://h/r", Mirror: "/m"}), nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
}

func childCmd(t *testing.T, home, mode string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "GITJIRA_HOME="+home)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestListConcurrentProcessesLoseNothing(t *testing.T) {
	home := t.TempDir()
	const children, updates = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, children)
	for c := 0; c < children; c++ {
		cmd := childCmd(t, home, "writer", fmt.Sprintf("CHILD_ID=c%d", c), fmt.Sprintf("CHILD_N=%d", updates))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Run(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer process failed: %v", err)
	}
	repos, err := OpenRepositoryList(Paths{Config: home, Data: home}).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != children*updates {
		t.Fatalf("the list has %d entries, want %d: updates were lost", len(repos), children*updates)
	}
	names := map[string]bool{}
	for _, r := range repos {
		names[r.Name] = true
	}
	for c := 0; c < children; c++ {
		for i := 0; i < updates; i++ {
			if !names[fmt.Sprintf("c%d-%d", c, i)] {
				t.Fatalf("entry c%d-%d is missing", c, i)
			}
		}
	}
}

// checkPrefixList loads the list and checks it holds exactly k-0 ... k-(n-1).
func checkPrefixList(t *testing.T, p Paths) int {
	t.Helper()
	repos, err := OpenRepositoryList(p).Load()
	if err != nil {
		t.Fatalf("list unreadable after a kill: %v", err)
	}
	for i, r := range repos {
		if r.Name != fmt.Sprintf("k-%d", i) {
			t.Fatalf("entry %d is %q: the list is neither the old nor the new content", i, r.Name)
		}
	}
	return len(repos)
}

func TestListWriterKilledMidWrite(t *testing.T) {
	home := t.TempDir()
	p := Paths{Config: home, Data: home}
	rng := rand.New(rand.NewPCG(1, 2))
	prev := 0
	stagesHit := map[string]int{}
	for iter := 0; iter < 30; iter++ {
		cmd := childCmd(t, home, "slow-writer")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of reported stages (locked,
		// half-written, before-rename, renamed), i.e. at a random point of
		// a random update.
		killAfter := 1 + rng.IntN(8)
		sc := bufio.NewScanner(stdout)
		last := ""
		for n := 0; n < killAfter && sc.Scan(); n++ {
			last = sc.Text()
		}
		time.Sleep(time.Duration(rng.IntN(25)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		stagesHit[last]++
		n := checkPrefixList(t, p)
		if n < prev {
			t.Fatalf("iteration %d: the list went from %d to %d entries", iter, prev, n)
		}
		prev = n
		if _, err := os.Stat(p.ReposFile() + ".bak"); err == nil {
			data, _ := os.ReadFile(p.ReposFile() + ".bak")
			if _, err := OpenRepositoryList(p).decode(data); err != nil {
				t.Fatalf("the backup is unreadable: %v", err)
			}
		}
	}
	t.Logf("killed after stages %v; the list ended with %d entries", stagesHit, prev)
	if prev == 0 {
		t.Fatal("no update ever completed: the test did not exercise anything")
	}
	for _, st := range []string{"half-written", "before-rename"} {
		if stagesHit[st] == 0 {
			t.Errorf("no kill landed at stage %s", st)
		}
	}
	// A normal writer afterwards works and cleans the killed writers' temp files.
	if err := OpenRepositoryList(p).Update(func(r []Repository) ([]Repository, error) { return r, nil }); err != nil {
		t.Fatal(err)
	}
	if temps, _ := filepath.Glob(filepath.Join(home, ".repositories.json*")); len(temps) != 0 {
		t.Fatalf("temp files left behind: %v", temps)
	}
}

func TestListCorruptedIsRefusedAndKept(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"garbage", "{\"version\":1,\"repositories\":[{\"name\":", "is corrupted (truncated JSON)"},
		{"not json", "hello\n", "is corrupted (invalid JSON at byte 1)"},
		{"empty", "", "is corrupted"},
		{"no version", `{"repositories":[]}`, "has no format version"},
		{"future version", `{"version":2,"repositories":[]}`, "has format version 2 but this gitjira reads version 1"},
		{"wrong type", `{"version":1,"repositories":{"a":1}}`, "wrong type"},
		{"bad name", `{"version":1,"repositories":[{"name":"../x"}]}`, "bad or repeated repository name"},
		{"repeated name", `{"version":1,"repositories":[{"name":"a"},{"name":"a"}]}`, "bad or repeated repository name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPaths(t)
			os.MkdirAll(p.Data, 0o700)
			if err := os.WriteFile(p.ReposFile(), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			l := OpenRepositoryList(p)
			_, lerr := l.Load()
			uerr := l.Update(func(r []Repository) ([]Repository, error) {
				return append(r, Repository{Name: "new"}), nil
			})
			for _, err := range []error{lerr, uerr} {
				if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) ||
					!strings.Contains(err.Error(), p.ReposFile()) || !strings.Contains(err.Error(), ".bak") {
					t.Fatalf("err = %v, want it to name the file, say %q and point to the .bak", err, tc.want)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error is not one line: %q", err)
				}
			}
			if got, _ := os.ReadFile(p.ReposFile()); string(got) != tc.content {
				t.Fatal("the corrupted file was changed")
			}
		})
	}
}

func TestListUpdate(t *testing.T) {
	p := testPaths(t)
	l := OpenRepositoryList(p)
	if repos, err := l.Load(); err != nil || len(repos) != 0 {
		t.Fatalf("missing file: %v %v", repos, err)
	}
	add := func(name string) error {
		return l.Update(func(r []Repository) ([]Repository, error) {
			return append(r, Repository{Name: name, URL: "ssh://h/" + name, Projects: []string{"ALL"}, Enabled: true}), nil
		})
	}
	if err := add("one"); err != nil {
		t.Fatal(err)
	}
	if err := add("two"); err != nil {
		t.Fatal(err)
	}
	if err := add("one"); !errors.Is(err, ErrNameTaken) || !strings.Contains(err.Error(), "--name") {
		t.Fatalf("duplicate name: %v", err)
	}
	if err := l.Update(func(r []Repository) ([]Repository, error) { return nil, errors.New("no") }); err == nil || err.Error() != "no" {
		t.Fatalf("fn error not returned: %v", err)
	}
	repos, err := l.Load()
	if err != nil || len(repos) != 2 || repos[0].Name != "one" || repos[1].Name != "two" {
		t.Fatalf("list = %+v %v", repos, err)
	}
	fi, err := os.Stat(p.ReposFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("list file mode: %v %v", fi.Mode(), err)
	}
	bak, err := os.ReadFile(p.ReposFile() + ".bak")
	if err != nil {
		t.Fatal(err)
	}
	old, err := l.decode(bak)
	if err != nil || len(old) != 1 {
		t.Fatalf("the backup should hold the previous list (one entry): %v %v", old, err)
	}
	var f map[string]any
	data, _ := os.ReadFile(p.ReposFile())
	if json.Unmarshal(data, &f) != nil || f["version"] != float64(1) {
		t.Fatalf("file has no version 1: %s", data)
	}
	if _, err := l.Get("three"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "one, two") {
		t.Fatalf("Get(unknown) = %v", err)
	}
}

func TestPaths(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	for _, tc := range []struct {
		home, xdgConfig, xdgData string
		want                     Paths
	}{
		{"/g", "/c", "/d", Paths{"/g", "/g"}},
		{"", "/c", "/d", Paths{"/c/gitjira", "/d/gitjira"}},
		{"", "", "", Paths{"/home/u/.config/gitjira", "/home/u/.local/share/gitjira"}},
		{"", "relative", "rel", Paths{"/home/u/.config/gitjira", "/home/u/.local/share/gitjira"}},
	} {
		t.Setenv("GITJIRA_HOME", tc.home)
		t.Setenv("XDG_CONFIG_HOME", tc.xdgConfig)
		t.Setenv("XDG_DATA_HOME", tc.xdgData)
		if got := DefaultPaths(); got != tc.want {
			t.Errorf("%+v: got %+v", tc, got)
		}
	}
	p := Paths{"/c", "/d"}
	if p.ReposFile() != "/d/repositories.json" || p.KeysDir() != "/d/keys" || p.MirrorsDir() != "/d/mirrors" ||
		p.IndexDir() != "/d/index" || p.JiraConfigFile() != "/c/jira.json" {
		t.Fatalf("paths: %s %s %s %s %s", p.ReposFile(), p.KeysDir(), p.MirrorsDir(), p.IndexDir(), p.JiraConfigFile())
	}
}

func TestValidNameAndProjects(t *testing.T) {
	for _, n := range []string{"repo", "my-repo.v2", "A_b", strings.Repeat("a", 100)} {
		if err := ValidName(n); err != nil {
			t.Errorf("ValidName(%q) = %v", n, err)
		}
	}
	for _, n := range []string{"", ".hidden", "-x", "a/b", "..", "a b", "é", strings.Repeat("a", 101)} {
		if err := ValidName(n); err == nil {
			t.Errorf("ValidName(%q) accepted", n)
		}
	}
	for _, tc := range []struct {
		in   []string
		want []string
		ok   bool
	}{
		{nil, []string{"ALL"}, true},
		{[]string{"ALL"}, []string{"ALL"}, true},
		{[]string{"PROJ", "ABC", "PROJ", " "}, []string{"ABC", "PROJ"}, true},
		{[]string{"A1_B"}, []string{"A1_B"}, true},
		{[]string{"proj"}, nil, false},
		{[]string{"P"}, nil, false},
		{[]string{"1AB"}, nil, false},
		{[]string{"ALL", "PROJ"}, nil, false},
	} {
		got, err := NormalizeProjects(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("NormalizeProjects(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestStoreKey(t *testing.T) {
	p := testPaths(t)
	key := []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nencrypted bytes stay as they are\r\n-----END OPENSSH PRIVATE KEY-----\n")
	path, err := StoreKey(p, "repo", key)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(p.KeysDir(), "repo.key") {
		t.Fatalf("path = %s", path)
	}
	got, _ := os.ReadFile(path)
	if string(got) != string(key) {
		t.Fatal("stored key differs from the given bytes")
	}
	fi, _ := os.Stat(path)
	di, _ := os.Stat(p.KeysDir())
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Fatalf("modes: key %v dir %v", fi.Mode(), di.Mode())
	}
	if _, err := StoreKey(p, "../x", key); err == nil {
		t.Fatal("a name with a slash was accepted")
	}
	if _, err := StoreKey(p, "empty", []byte(" \n")); err == nil {
		t.Fatal("an empty key was accepted")
	}
}

func testPaths(t testing.TB) Paths {
	d := t.TempDir()
	return Paths{Config: filepath.Join(d, "config"), Data: filepath.Join(d, "data")}
}
