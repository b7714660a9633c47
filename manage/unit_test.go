package manage

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/uitest"
)

func TestRelTime(t *testing.T) {
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ago  time.Duration
		want string
	}{
		{0, "just now"},
		{59 * time.Second, "just now"},
		{time.Minute, "1 min ago"},
		{3*time.Minute + 30*time.Second, "3 min ago"},
		{59 * time.Minute, "59 min ago"},
		{time.Hour, "1 h ago"},
		{23 * time.Hour, "23 h ago"},
		{30 * time.Hour, "yesterday"},
		{3 * 24 * time.Hour, "3 days ago"},
		{40 * 24 * time.Hour, "2025-04-23"},
		{-30 * time.Second, "just now"},
		{-48 * time.Hour, "2025-06-04"},
	} {
		if got := relTime(now.Add(-c.ago), now); got != c.want {
			t.Errorf("relTime(-%v) = %q, want %q", c.ago, got, c.want)
		}
	}
	if got := relTime(time.Time{}, now); got != "never" {
		t.Errorf("zero time: %q", got)
	}
}

func TestByteSizeHostAndLabels(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 12 << 20: "12 MiB", 3 << 30: "3.0 GiB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
	for url, want := range map[string]string{
		"ssh://git@git.example.com/team/app.git": "git.example.com",
		"ssh://git@127.0.0.1:2222/app.git":       "127.0.0.1:2222",
		"ssh://git@[::1]:2222/app.git":           "[::1]:2222",
		"not a url at all":                       "?",
	} {
		if got := hostOf(url); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", url, got, want)
		}
	}
	for _, c := range []struct {
		typ  string
		bits int
		want string
	}{{"ssh-ed25519", 256, "ED25519"}, {"ssh-rsa", 3072, "RSA 3072"}, {"ecdsa-sha2-nistp256", 256, "ECDSA 256"}, {"", 0, "?"}} {
		if got := keyTypeLabel(c.typ, c.bits); got != c.want {
			t.Errorf("keyTypeLabel(%q, %d) = %q, want %q", c.typ, c.bits, got, c.want)
		}
	}
}

func TestRowProgressText(t *testing.T) {
	for _, c := range []struct {
		r           rowProgress
		short, long string
	}{
		{rowProgress{stage: "starting"}, "starting…", "loading its key…"},
		{rowProgress{stage: "passphrase"}, "locked key", "waiting for the passphrase of its key…"},
		{rowProgress{stage: "fetch"}, "connecting…", "connecting…"},
		{rowProgress{stage: "fetch", p: gitops.Progress{Phase: gitops.PhaseReceiving, Current: 45, Total: 100, Bytes: 2048}}, "receiving 45%", "receiving objects 45% (45/100), 2.0 KiB"},
		{rowProgress{stage: "fetch", p: gitops.Progress{Phase: gitops.PhaseResolving, Current: 1, Total: 4}}, "resolving 25%", "resolving deltas 25% (1/4)"},
		{rowProgress{stage: "fetch", p: gitops.Progress{Phase: gitops.PhaseCounting, Current: 9, Total: 20, Message: "Counting objects:  45% (9/20)\x1b[2J"}}, "counting 45%", "server: Counting objects:  45% (9/20)"},
		{rowProgress{stage: "fetch", p: gitops.Progress{Phase: gitops.PhaseDone, Done: true}}, "indexing…", "indexing the new commits…"},
	} {
		if got := c.r.short(); got != c.short {
			t.Errorf("%+v short = %q, want %q", c.r, got, c.short)
		}
		if got := c.r.long(); got != c.long {
			t.Errorf("%+v long = %q, want %q", c.r, got, c.long)
		}
		if len(c.r.short()) > 14 {
			t.Errorf("%q is wider than the state column", c.r.short())
		}
	}
}

// repoModel is a model on a fake list (no I/O): loaded as if read.
func repoModel(t *testing.T, repos []store.Repository) Model {
	m := newModel(Config{Manager: &lifecycle.Manager{Paths: store.Paths{Config: t.TempDir(), Data: t.TempDir()}},
		Now: func() time.Time { return fixedNow }}, newSession())
	m.c.loadSeq = 1
	nm, _ := m.Update(reposLoadedMsg{seq: 1, repos: repos})
	nm, _ = nm.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return nm.(Model)
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func press(m Model, keys ...string) Model {
	for _, k := range keys {
		nm, _ := m.Update(keyMsg(k))
		m = nm.(Model)
	}
	return m
}

func names(m Model) string {
	var out []string
	return strings.Join(append(out, m.repos.table.Keys()...), ",")
}

func sampleRepos() []store.Repository {
	return []store.Repository{
		{Name: "web", URL: "ssh://git@b.example.com/web.git", Projects: []string{"ALL"}, Commits: 50, IssueKeys: 5, Enabled: true, LastFetched: fixedNow.Add(-time.Hour)},
		{Name: "api", URL: "ssh://git@a.example.com/api.git", Projects: []string{"OPS"}, Commits: 900, IssueKeys: 40, Enabled: true, LastFetched: fixedNow.Add(-2 * time.Minute)},
		{Name: "docs", URL: "ssh://git@c.example.com/docs.git", Projects: []string{"ALL"}, Commits: 7, Enabled: true, LastError: "fetch: connection refused", LastFetched: fixedNow.Add(-48 * time.Hour)},
	}
}

func TestSortCyclesColumns(t *testing.T) {
	m := repoModel(t, sampleRepos())
	if got := names(m); got != "api,docs,web" {
		t.Fatalf("by name: %s", got)
	}
	for _, c := range []struct{ col, want string }{
		{"host", "api,web,docs"},
		{"projects", "api,docs,web"}, // "OPS" < "all"
		{"commits", "docs,web,api"},
		{"issues", "docs,web,api"},
		{"last sync", "docs,web,api"},
		{"state", "docs,api,web"}, // "error: …" < "ok"
		{"name", "api,docs,web"},
	} {
		m = press(m, ">")
		if got := names(m); got != c.want {
			t.Errorf("by %s: %s, want %s", c.col, got, c.want)
		}
		if !strings.Contains(m.flash.text, c.col) {
			t.Errorf("flash %q does not name %s", m.flash.text, c.col)
		}
	}
	m = press(m, "<")
	if got := names(m); got != "web,docs,api" {
		t.Errorf("reversed: %s", got)
	}
}

func TestFilterByTyping(t *testing.T) {
	m := repoModel(t, sampleRepos())
	m = press(m, "/", "e", "r", "r")
	if got := names(m); got != "docs" {
		t.Errorf("filter err: %s", got)
	}
	if !m.typing() || !strings.Contains(uitest.Plain(m.View()), "Filter: err") {
		t.Errorf("filter field not shown:\n%s", uitest.Plain(m.View()))
	}
	// q while typing is text, not quit.
	m = press(m, "q")
	if m.quitting || m.repos.filter.Value() != "errq" {
		t.Errorf("q while filtering: quitting=%v filter=%q", m.quitting, m.repos.filter.Value())
	}
	m = press(m, "esc")
	if got := names(m); got != "api,docs,web" || m.typing() {
		t.Errorf("esc clears: %s typing=%v", got, m.typing())
	}
	m = press(m, "/", "O", "P", "S", "enter")
	if got := names(m); got != "api" || m.typing() {
		t.Errorf("filter OPS kept: %s typing=%v", got, m.typing())
	}
	if v := uitest.Plain(m.View()); !strings.Contains(v, "1 of 3 shown") {
		t.Errorf("kept filter not shown:\n%s", v)
	}
	m = press(m, "/", "zzz", "enter")
	if v := uitest.Plain(m.View()); !strings.Contains(v, "No repository matches the filter") {
		t.Errorf("no match:\n%s", v)
	}
}

// Every screen fits the terminal, from 40x12 to 160x50.
func TestScreensFit(t *testing.T) {
	repos := sampleRepos()
	for i := 0; i < 40; i++ {
		r := repos[i%3]
		r.Name = r.Name + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		r.LastError = strings.Repeat("a long reason from the server ", i%4)
		repos = append(repos, r)
	}
	for _, size := range [][2]int{{40, 12}, {60, 20}, {80, 24}, {100, 30}, {160, 50}} {
		m := repoModel(t, repos)
		nm, _ := m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		m = nm.(Model)
		check := func(what string) {
			t.Helper()
			v := m.View()
			if strings.Count(v, "\n")+1 != size[1] {
				t.Errorf("%dx%d %s: %d lines", size[0], size[1], what, strings.Count(v, "\n")+1)
			}
			checkFits(t, v, size[0], size[1])
		}
		check("list")
		m = press(m, "down", "down", "down")
		check("list, error selected")
		m = press(m, "?")
		check("full help")
		m = press(m, "?", "enter")
		check("details")
		m = press(m, "esc", "p")
		check("projects")
		m = press(m, "esc", "d")
		check("remove")
		m = press(m, "esc", "/", "a")
		check("filter")
		m = press(m, "esc", "tab")
		check("keys")
	}
}

// NO_COLOR: the renderer for a terminal with NO_COLOR set has the ASCII
// profile, so the screen has no colour or attribute sequences at all.
func TestNoColor(t *testing.T) {
	var out bytes.Buffer
	r := newRenderer(&out, termenv.WithTTY(true), termenv.WithEnvironment(fakeEnv{"NO_COLOR": "1", "TERM": "xterm-256color"}))
	if r.ColorProfile() != termenv.Ascii {
		t.Fatalf("profile %v under NO_COLOR, want Ascii", r.ColorProfile())
	}
	c := newRenderer(&out, termenv.WithTTY(true), termenv.WithEnvironment(fakeEnv{"TERM": "xterm-256color", "COLORTERM": "truecolor"}))
	if c.ColorProfile() == termenv.Ascii {
		t.Fatal("a colour terminal got the ASCII profile: the test proves nothing")
	}
	old := lipgloss.DefaultRenderer()
	defer lipgloss.SetDefaultRenderer(old)
	lipgloss.SetDefaultRenderer(r)
	m := repoModel(t, sampleRepos())
	v := press(m, "down").View()
	if strings.Contains(v, "\x1b[") {
		t.Errorf("escape sequences under NO_COLOR: %q", v[:min(len(v), 300)])
	}
	lipgloss.SetDefaultRenderer(c)
	m = repoModel(t, sampleRepos())
	if v := press(m, "down").View(); !strings.Contains(v, "\x1b[") {
		t.Error("no colour on a colour terminal")
	}
}

type fakeEnv map[string]string

func (e fakeEnv) Environ() []string {
	var out []string
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}
func (e fakeEnv) Getenv(k string) string { return e[k] }

// The input handed from one program to the next: a read blocked in an
// ended program's view returns EOF and takes nothing.
func TestHandoffInput(t *testing.T) {
	pr, pw := io.Pipe()
	h := newHandoffInput(pr)
	first := h.next()
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 8)
		n, err := first.Read(b)
		if err != nil {
			got <- "err:" + err.Error()
			return
		}
		got <- string(b[:n])
	}()
	pw.Write([]byte("a"))
	if s := <-got; s != "a" {
		t.Fatalf("first read %q", s)
	}
	// A stale read, as Bubble Tea's fallback reader leaves behind.
	stale := make(chan error, 1)
	go func() {
		_, err := first.Read(make([]byte, 8))
		stale <- err
	}()
	time.Sleep(20 * time.Millisecond)
	h.release(first)
	if err := <-stale; !errors.Is(err, io.EOF) {
		t.Fatalf("stale read: %v", err)
	}
	second := h.next()
	go pw.Write([]byte("hello"))
	b := make([]byte, 2)
	var all []byte
	for len(all) < 5 {
		n, err := second.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b[:n]...)
	}
	if string(all) != "hello" {
		t.Errorf("second program read %q", all)
	}
	pw.Close()
	if _, err := second.Read(b); !errors.Is(err, io.EOF) {
		t.Errorf("after the input ends: %v", err)
	}
}
