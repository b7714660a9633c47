package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// screenshotsEnv, set to 1, makes TestE2EManageInTmux write the screens it
// sees to docs/screenshots/manage-*.txt (80x24, from the real binary).
const screenshotsEnv = "GITJIRA_UPDATE_SCREENSHOTS"

// cellAt returns the text of a table cell on a captured screen: the row
// whose first cell is name, under the column titled col. The numeric
// columns are as wide as their titles and the sort arrow, right-aligned, so
// the cell is exactly under the title and its arrow.
func cellAt(t *testing.T, screen, name, col string) string {
	t.Helper()
	lines := strings.Split(screen, "\n")
	var header []rune
	for _, l := range lines {
		if strings.Contains(l, "Name") && strings.Contains(l, col) {
			header = []rune(l)
			break
		}
	}
	if header == nil {
		t.Fatalf("no table header with %q on the screen:\n%s", col, screen)
	}
	hs := string(header)
	start := len([]rune(hs[:strings.Index(hs, col)]))
	end := start + len([]rune(col)) + 1 // the room of the sort arrow
	for _, l := range lines {
		r := []rune(l)
		f := strings.Fields(strings.TrimLeft(l, "› "))
		if len(f) == 0 || f[0] != name || len(r) < end {
			continue
		}
		return strings.TrimSpace(string(r[start:end]))
	}
	t.Fatalf("no row %q on the screen:\n%s", name, screen)
	return ""
}

// manageWorld is a real sshd serving api (40 commits) and web (25), both
// connected with `connect --yes` and one Ed25519 key, gitjira's files under
// HOME as by default (screens show ~/... paths), the repositories under a
// short fixed-length path (so screenshots can show a plain one).
type manageWorld struct {
	srv      *sshdtest.Server
	e        *e2eEnv
	api, web string // the server's repositories
	short    string // the short directory the URLs use
	fp       string // the server's host key fingerprint
}

func newManageWorld(t *testing.T) *manageWorld {
	t.Helper()
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	api := srv.NewBareRepo("api", 40)
	web := srv.NewBareRepo("web", 25)
	e := newE2EEnv(t)
	// gitjira's files under HOME, as by default, so screens show ~/... paths.
	var home string
	for _, kv := range e.env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	if home == "" {
		t.Fatal("the e2e environment has no HOME")
	}
	for i, kv := range e.env {
		if strings.HasPrefix(kv, "GITJIRA_HOME=") {
			e.home = filepath.Join(home, ".local", "share", "gitjira")
			e.env[i] = "GITJIRA_HOME=" + e.home
		}
	}
	// Short, fixed-length repository paths (symbolic links to the server's
	// repositories), so the screenshots can show a plain path instead.
	short := shortRepoDir(t)
	for _, repo := range []string{api, web} {
		if err := os.Symlink(repo, filepath.Join(short, filepath.Base(repo))); err != nil {
			t.Fatal(err)
		}
	}
	// The key in ~/.ssh, as people keep it (the SSH keys tab shows where
	// it was taken from).
	sshDir := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := sshKeygen(t, sshDir, "id_ed25519", "ed25519", "")
	srv.AuthorizeKey(readFile(t, key+".pub"))
	fp := srv.HostKeyFingerprints()[sshdtest.Ed25519]
	for _, repo := range []string{api, web} {
		code, _, stderr := e.run("", "connect", "--yes", "--url", srv.URL(filepath.Join(short, filepath.Base(repo))), "--key", key, "--trust-host", fp)
		if code != 0 {
			t.Fatalf("connect %s: exit %d\n%s", repo, code, stderr)
		}
	}
	return &manageWorld{srv: srv, e: e, api: api, web: web, short: short, fp: fp}
}

// TestE2EManageInTmux: two repositories connected with `connect --yes`,
// then `gitjira` on a terminal opens Manage repositories listing both; a
// sync of one after new commits on the server shows its new commit count,
// and `repos list --json` agrees with the screen.
func TestE2EManageInTmux(t *testing.T) {
	mw := newManageWorld(t)
	srv, e, api, web, short, fp := mw.srv, mw.e, mw.api, mw.web, mw.short, mw.fp
	s := startTmux(t, 80, 24, e.env, gitjiraBinary(t))
	scr := s.waitFor("Manage repositories", "[Repositories]", "api", "web")
	if got := cellAt(t, scr, "api", "Commits"); got != "40" {
		t.Fatalf("api shows %s commits before the sync, want 40:\n%s", got, scr)
	}
	if got := cellAt(t, scr, "web", "Commits"); got != "25" {
		t.Fatalf("web shows %s commits, want 25:\n%s", got, scr)
	}

	srv.AddCommits(api, 5)
	s.keys("s") // api is selected: the list is sorted by name
	scr = s.waitFor("Synced api: 5 new commits")
	shots := map[string]string{"manage-list": scr}
	onScreen := cellAt(t, scr, "api", "Commits")
	if onScreen != "45" {
		t.Fatalf("api shows %s commits after the sync, want 45:\n%s", onScreen, scr)
	}

	s.keys("Enter")
	shots["manage-details"] = s.waitFor("Recent commits", "Host key", fp)
	s.keys("Escape")
	s.waitFor("[Repositories]")
	s.keys("Tab")
	scr = s.waitFor("[SSH keys]", "ED25519", "api, web")
	shots["manage-keys"] = scr
	s.keys("q")
	s.waitFor("EXIT=0")

	code, stdout, stderr := e.run("", "repos", "list", "--json")
	if code != 0 {
		t.Fatalf("repos list: exit %d\n%s", code, stderr)
	}
	var list []struct {
		Name    string `json:"name"`
		Commits int    `json:"commits"`
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list) != 2 {
		t.Fatalf("repos list --json: %v\n%s", err, stdout)
	}
	for _, r := range list {
		want := strings.TrimSpace(srv.Git(map[string]string{"api": api, "web": web}[r.Name], "rev-list", "--all", "--count"))
		if fmt.Sprint(r.Commits) != want {
			t.Errorf("%s: repos list says %d commits, git says %s", r.Name, r.Commits, want)
		}
		if r.Name == "api" && fmt.Sprint(r.Commits) != onScreen {
			t.Errorf("api: repos list says %d commits, the screen said %s", r.Commits, onScreen)
		}
	}

	writeScreenshots(t, short, shots)
}

// shortRepoDir makes /tmp/gj-NNNNNN (14 characters), removed at the end.
func shortRepoDir(t *testing.T) string {
	t.Helper()
	for i := 0; i < 100; i++ {
		dir := fmt.Sprintf("/tmp/gj-%06d", rand.IntN(1000000))
		if err := os.Mkdir(dir, 0o755); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	t.Fatal("cannot make a directory /tmp/gj-NNNNNN")
	return ""
}

// headerCol is where a column title starts on a captured screen's table
// header, in cells (-1: not there).
func headerCol(screen, title string) int {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "Name") && strings.Contains(l, "State") {
			if i := strings.Index(l, title); i >= 0 {
				return len([]rune(l[:i]))
			}
		}
	}
	return -1
}

// TestE2EManageSizesInTmux (issue 15, defect 5): the real binary at 80x24
// and at 120x40. Sorted by any column, its arrow is on screen (it used to
// vanish on Projects and Commits); the Projects column is wider at 120
// columns than at 80 (it stayed 8 wide).
func TestE2EManageSizesInTmux(t *testing.T) {
	mw := newManageWorld(t)
	if code, _, stderr := mw.e.run("", "repos", "set", "api", "--projects", "DEMO,OPS,PAYMENTS"); code != 0 {
		t.Fatalf("repos set: exit %d\n%s", code, stderr)
	}
	projectsWidth := map[int]int{}
	shots := map[string]string{}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		s := startTmux(t, size[0], size[1], mw.e.env, gitjiraBinary(t))
		scr := s.waitFor("Manage repositories", "[Repositories]", "api", "web", "Name↑")
		projectsWidth[size[0]] = headerCol(scr, "Commits") - headerCol(scr, "Projects")
		// > sorts by the next column: Host, Projects, Commits, Issues, Last
		// sync, State; < reverses.
		for _, col := range []string{"Host", "Projects", "Commits", "Issues", "Last sync", "State"} {
			s.keys(">")
			s.waitFor(col + "↑")
			s.keys("<")
			scr = s.waitFor(col + "↓")
			s.keys("<")
			s.waitFor(col + "↑")
		}
		for _, l := range strings.Split(scr, "\n") {
			if n := len([]rune(strings.TrimRight(l, " "))); n > size[0] {
				t.Errorf("%dx%d: a line is %d cells wide: %q", size[0], size[1], n, l)
			}
		}
		s.keys(">") // back to Name
		scr = s.waitFor("Name↑")
		if size[0] == 120 {
			shots["manage-list-120x40"] = scr
		}
		s.keys("q")
		s.waitFor("EXIT=0")
	}
	if projectsWidth[120] <= projectsWidth[80] || projectsWidth[80] <= 0 {
		t.Errorf("the Projects column is %d cells at 120 columns and %d at 80: it should be wider at 120", projectsWidth[120], projectsWidth[80])
	}
	writeScreenshots(t, mw.short, shots)
}

// writeScreenshots writes the screens to docs/screenshots/NAME.txt when
// GITJIRA_UPDATE_SCREENSHOTS=1, the short repository directory shown as a
// path of the same length.
func writeScreenshots(t *testing.T, short string, shots map[string]string) {
	t.Helper()
	if os.Getenv(screenshotsEnv) != "1" {
		return
	}
	for name, shot := range shots {
		shot = strings.ReplaceAll(shot, short, "/srv/git/teams") // as long as short
		lines := strings.Split(strings.TrimRight(shot, "\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " ")
		}
		path := filepath.Join("docs", "screenshots", name+".txt")
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
