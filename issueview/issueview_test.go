package issueview

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/uitest"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// gitIn runs git in dir with a fixed identity; commit n is n minutes
// after 2024-01-01T00:00Z.
func gitIn(t testing.TB, dir string, n int, args ...string) string {
	t.Helper()
	d := time.Date(2024, 1, 1, 0, n, 0, 0, time.UTC).Format(time.RFC3339)
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir,
		"GIT_AUTHOR_NAME=Ada Author", "GIT_AUTHOR_EMAIL=ada@example.com", "GIT_COMMITTER_NAME=Ada Author",
		"GIT_COMMITTER_EMAIL=ada@example.com", "GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// addRepo mirrors src into the home and lists it, as a connect leaves it
// (indexed), without a server.
func addRepo(t testing.TB, p store.Paths, name, src string) {
	t.Helper()
	mirror := p.MirrorDir(name)
	if err := os.MkdirAll(p.MirrorsDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	gitIn(t, "/", 0, "clone", "-q", "--mirror", "--no-local", src, mirror)
	r := store.Repository{Name: name, ID: name, URL: "ssh://git@git.example.com/team/" + name + ".git", Mirror: mirror, Enabled: true, Projects: []string{"ALL"}}
	if _, err := index.Open(p).Update(r); err != nil {
		t.Fatal(err)
	}
	if err := store.OpenRepositoryList(p).Update(func(rs []store.Repository) ([]store.Repository, error) { return append(rs, r), nil }); err != nil {
		t.Fatal(err)
	}
}

// fixture: repository "alpha" (main and topic branches, a rename, a
// binary file, five files in one commit) and "beta", all mentioning PROJ-7.
func fixture(t testing.TB) *lifecycle.Manager {
	home := t.TempDir()
	p := store.Paths{Config: home, Data: home}
	a := filepath.Join(t.TempDir(), "alpha")
	os.MkdirAll(a, 0o755)
	n := 0
	g := func(args ...string) string { n++; return gitIn(t, a, n, args...) }
	w := func(name, content string) {
		os.MkdirAll(filepath.Dir(filepath.Join(a, name)), 0o755)
		if err := os.WriteFile(filepath.Join(a, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	g("init", "-q", "-b", "main")
	w("app.go", "package app\n\nfunc A() int {\n\treturn 1\n}\n")
	w("logo.png", "\x89PNG\x00\x00")
	g("add", ".")
	g("commit", "-q", "-m", "PROJ-7 first version")
	g("checkout", "-q", "-b", "topic")
	w("topic.txt", "on the topic branch\n")
	g("add", ".")
	g("commit", "-q", "-m", "topic work\n\nPart of PROJ-7.")
	g("checkout", "-q", "main")
	g("mv", "app.go", "main.go")
	w("main.go", "package app\n\nfunc A() int {\n\treturn 2\n}\n")
	w("logo.png", "\x89PNG\x00\x01")
	g("add", ".")
	g("commit", "-q", "-m", "PROJ-7 rename and return two")
	for i := range 5 {
		w(fmt.Sprintf("gen/f%d.txt", i), strings.Repeat(fmt.Sprintf("generated %d\n", i), 8))
	}
	g("add", ".")
	g("commit", "-q", "-m", "PROJ-7 five generated files")
	addRepo(t, p, "alpha", a)

	b := filepath.Join(t.TempDir(), "beta")
	os.MkdirAll(b, 0o755)
	gitIn(t, b, 0, "init", "-q", "-b", "main")
	gitIn(t, b, 30, "commit", "-q", "--allow-empty", "-m", "beta: PROJ-7 noted")
	addRepo(t, p, "beta", b)
	return &lifecycle.Manager{Paths: p}
}

type copyBuf struct{ strings.Builder }

func newDriver(t *testing.T, mgr *lifecycle.Manager, standalone bool) (*uitest.Driver[*Model], *copyBuf) {
	c := common.New()
	c.Manager = mgr
	clip := &copyBuf{}
	c.Clipboard = clip
	d := uitest.NewDriver(t, New(c, "proj-7", standalone), 100, 30)
	return d, clip
}

func TestListAndCommit(t *testing.T) {
	d, clip := newDriver(t, fixture(t), true)
	d.UntilView("5 commits in 2 repositories")
	d.Until("branches", func(m *Model) bool { return m.branchesLeft == 0 })
	d.ViewHas("PROJ-7 five generated files", "beta: PROJ-7 noted", "topic work", "main, topic", "repository: all")
	// Newest first: beta's commit (00:30) is above alpha's (00:01-00:05).
	v := d.View()
	if strings.Index(v, "beta: PROJ-7") > strings.Index(v, "five generated") {
		t.Errorf("not newest first:\n%s", v)
	}
	// The subject of "topic work" does not mention the key: its line does.
	d.ViewHas("topic work (Part of PROJ-7")

	// tab filters by repository.
	d.Key(tea.KeyTab)
	d.ViewHas("repository: alpha")
	d.ViewLacks("beta: PROJ-7 noted")
	d.Key(tea.KeyTab).Key(tea.KeyTab)
	d.ViewHas("repository: all", "beta: PROJ-7 noted")

	// / searches.
	d.Runes("/").Type("rename")
	d.ViewHas("PROJ-7 rename and return two")
	d.ViewLacks("five generated", "beta: PROJ-7")
	d.Key(tea.KeyEnter)

	// enter opens the commit: header, message with the key, files, diff.
	d.Key(tea.KeyEnter)
	d.UntilView("diff --git")
	d.ViewHas("Author: Ada Author <ada@example.com>", "PROJ-7 rename and return two", "2 files changed",
		"R app.go → main.go (", "M logo.png binary", "similarity index", "rename from app.go",
		"-\treturn 1", "Binary files differ", "commit 1 of 1")
	d.ViewHas("+    return 2")

	// c copies the sha (OSC 52 to the terminal).
	d.Runes("c").UntilView("Sent the commit id")
	if !strings.Contains(clip.String(), "\x1b]52;") {
		t.Errorf("no OSC 52 sequence written: %q", clip.String())
	}

	// esc back to the list, esc clears the search, esc quits.
	d.Key(tea.KeyEsc).UntilView("REPOSITORY")
	d.Key(tea.KeyEsc)
	d.ViewHas("beta: PROJ-7 noted")
	d.Key(tea.KeyEsc).Settle()
	if !d.Quit {
		t.Error("esc on the list did not quit the standalone view")
	}
}

func TestNextPreviousAndFileJump(t *testing.T) {
	d, _ := newDriver(t, fixture(t), true)
	d.UntilView("5 commits")
	d.Key(tea.KeyDown) // alpha's newest: five generated files
	d.Key(tea.KeyEnter).UntilView("5 files changed")
	d.ViewHas("commit 2 of 5", "A gen/f0.txt +8 -0")
	// tab opens the file list; jump to the fourth file.
	d.Key(tea.KeyTab)
	d.ViewHas("> A gen/f0.txt")
	d.Key(tea.KeyDown).Key(tea.KeyDown).Key(tea.KeyDown).Key(tea.KeyEnter)
	// The file's header is on screen (at the top unless the diff ends
	// within a screen of it).
	d.ViewHas("diff --git a/gen/f3.txt")
	d.ViewLacks("diff --git a/gen/f0.txt")
	// / finds text in the diff.
	d.Runes("/").Type("generated 4").Key(tea.KeyEnter)
	d.ViewHas(`"generated 4" at line`)
	d.Key(tea.KeyEsc)
	// n and p move between commits.
	d.Runes("n").UntilView("commit 3 of 5")
	d.UntilView("rename and return two")
	d.Runes("p").UntilView("commit 2 of 5")
	d.UntilView("five generated files")
	d.Runes("p").UntilView("commit 1 of 5")
	d.Runes("p")
	d.ViewHas("This is the first commit.")
}

// A commit larger than the budget opens at once with its first part and
// says how much more there is; scrolling to the end loads the rest.
func TestHugeCommitLoadsOnDemand(t *testing.T) {
	old := Budget
	Budget = lifecycle.DiffBudget{Files: 2, Lines: 12}
	t.Cleanup(func() { Budget = old })
	d, _ := newDriver(t, fixture(t), true)
	d.UntilView("5 commits")
	d.Key(tea.KeyDown).Key(tea.KeyEnter).UntilView("5 files changed")
	d.Until("first part", func(m *Model) bool { return m.page.detail != nil })
	if got := len(d.Model.page.detail.Patches); got != 2 {
		t.Fatalf("%d patches loaded at first, want 2", got)
	}
	d.Key(tea.KeyEnd)
	d.ViewHas("more lines of this file")
	for range 10 {
		d.Until("a load", func(m *Model) bool { return !m.page.loadingMore })
		d.Key(tea.KeyEnd)
	}
	d.Until("every file", func(m *Model) bool {
		p := m.page
		return !p.loadingMore && len(p.detail.Patches) == 5 && !p.hasMore()
	})
	d.ViewLacks("more files", "more lines")
}

// Opening hundreds of commits keeps one commit's diff in memory.
func TestMemoryFlatAcrossCommits(t *testing.T) {
	d, _ := newDriver(t, fixture(t), true)
	d.UntilView("5 commits")
	d.Key(tea.KeyDown).Key(tea.KeyEnter).UntilView("5 files changed")
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	step := func() {
		d.Runes("n").Until("next", func(m *Model) bool { return m.page.detail != nil && !m.page.loading })
		d.Runes("p").Until("back", func(m *Model) bool { return m.page.detail != nil && !m.page.loading })
		d.Key(tea.KeyEsc).Key(tea.KeyEnter).Until("reopen", func(m *Model) bool { return m.page.detail != nil && !m.page.loading })
	}
	for range 20 {
		step()
	}
	before := heap()
	for range 100 {
		step()
	}
	if after := heap(); after > before+4<<20 {
		t.Errorf("heap grew from %d to %d bytes over 300 opened commits", before, after)
	}
}

// Hosted (Manage), esc on the list says ClosedMsg instead of quitting.
func TestHostedClose(t *testing.T) {
	d, _ := newDriver(t, fixture(t), false)
	d.UntilView("5 commits")
	var closed bool
	d.Intercept = func(msg tea.Msg) bool {
		if _, ok := msg.(ClosedMsg); ok {
			closed = true
			return true
		}
		return false
	}
	d.Key(tea.KeyEsc)
	d.Until("closed", func(*Model) bool { return closed })
	if d.Quit {
		t.Error("the hosted view quit the program")
	}
}

func TestUnknownKeyAndErrors(t *testing.T) {
	mgr := fixture(t)
	c := common.New()
	c.Manager = mgr
	d := uitest.NewDriver(t, New(c, "NONE-1", true), 80, 24)
	d.UntilView("No commits mention NONE-1")
	d2 := uitest.NewDriver(t, New(c, "not a key", true), 80, 24)
	d2.UntilView("is not a Jira issue key")
}

// "/" and text typed at once (one key message from the terminal) start the
// search with that text, on the list and in a commit.
func TestSearchTypedAtOnce(t *testing.T) {
	d, _ := newDriver(t, fixture(t), true)
	d.UntilView("5 commits")
	d.Runes("/rename")
	d.ViewHas("/ rename", "PROJ-7 rename and return two")
	d.ViewLacks("beta: PROJ-7")
	d.Key(tea.KeyEnter).Key(tea.KeyEnter).UntilView("diff --git")
	d.Runes("/return 2").Key(tea.KeyEnter)
	d.ViewHas(`"return 2" at line`)
}
