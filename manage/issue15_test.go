package manage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// Issue 15, defect 5 (the Manage screen), each case failing before its fix.

// header is the table's title line of a view.
func header(t *testing.T, view string) string {
	t.Helper()
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, "Name") && strings.Contains(l, "State") {
			return l
		}
	}
	t.Fatalf("no table header:\n%s", view)
	return ""
}

// colWidth is the cells from a column's title to the next one's.
func colWidth(t *testing.T, head, col, next string) int {
	t.Helper()
	i, j := strings.Index(head, col), strings.Index(head, next)
	if i < 0 || j < i {
		t.Fatalf("no %s before %s in %q", col, next, head)
	}
	return lipgloss.Width(head[i:j])
}

func TestSortArrowOnEverySortedColumn(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 5, keyEd25519)
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("api").Settle()
	for i := 0; i < colCount; i++ {
		for _, desc := range []bool{false, true} {
			arrow := "↑"
			if desc {
				arrow = "↓"
			}
			if head := header(t, d.View()); !strings.Contains(head, repoColumns[d.Model.repos.sortCol].Title+arrow) {
				t.Errorf("sorted by %s: header %q has no %s", repoColumns[d.Model.repos.sortCol].Title, head, arrow)
			}
			d.Runes("<")
		}
		d.Runes(">")
	}
}

func TestProjectsColumnGrowsOnAWideTerminal(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 5, keyEd25519)
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("api").Settle()
	narrow := colWidth(t, header(t, d.View()), "Projects", "Commits")
	d.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	wide := colWidth(t, header(t, d.View()), "Projects", "Commits")
	if wide <= narrow {
		t.Errorf("the Projects column is %d cells at 120 columns, %d at 80: it should grow", wide, narrow)
	}
}

// TestErrorsAreNotCutToOneRow: a repository in error shows its state over
// more than one row in the table, the whole error in the status lines, and
// a long message (the copy one) whole, wrapped.
func TestErrorsAreNotCutToOneRow(t *testing.T) {
	w := threeRepos(t)
	docs, _ := w.get("docs")
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("docs").Settle()
	d.Key(tea.KeyDown).Settle() // docs
	v := d.View()
	checkFits(t, v, 80, 24)
	lines := strings.Split(v, "\n")
	head := []rune(header(t, v))
	stateAt := len([]rune(string(head)[:strings.Index(string(head), "State")]))
	var state []string
	for i, l := range lines {
		if !strings.HasPrefix(l, "› docs") {
			continue
		}
		for j, r := range lines[i:] {
			rs := []rune(r)
			if len(rs) < stateAt || (j > 0 && strings.TrimSpace(string(rs[:stateAt])) != "") || strings.TrimSpace(string(rs[stateAt:])) == "" {
				break
			}
			state = append(state, strings.TrimSpace(string(rs[stateAt:])))
		}
		break
	}
	if len(state) < 2 {
		t.Errorf("docs' state takes %d row(s), want it wrapped: %q\n%s", len(state), state, v)
	}
	// The status lines: the whole error, wrapped at spaces.
	flat := strings.Join(strings.Fields(v), " ")
	if want := strings.Join(strings.Fields("✗ docs: "+docs.LastError), " "); !strings.Contains(flat, want) {
		t.Errorf("the status lines do not show the whole error %q:\n%s", want, v)
	}

	// A message longer than a row.
	d.Model.flash = flash{text: "No terminal clipboard here: press enter to show the public key and select it with the mouse.", err: true}
	v = d.View()
	if flat := strings.Join(strings.Fields(v), " "); !strings.Contains(flat, "press enter to show the public key and select it with the mouse.") {
		t.Errorf("the message is cut:\n%s", v)
	}
	checkFits(t, v, 80, 24)
}

func TestProjectsEditorUsesTheScreen(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 5, keyEd25519)
	cfg := w.cfg()
	var ps fakeProjects
	for i := 0; i < 30; i++ {
		ps = append(ps, jira.Project{Key: fmt.Sprintf("P%02d", i), Name: fmt.Sprintf("Project %d", i)})
	}
	cfg.Projects = ps
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		d := newDriver(t, newModel(cfg, newSession()), size[0], size[1])
		d.UntilView("api").Settle()
		d.Runes("p").UntilView("Restrict").Settle()
		d.Key(tea.KeyDown).UntilView("P00").Settle()
		v := d.View()
		checkFits(t, v, size[0], size[1])
		lines := strings.Split(v, "\n")
		// Blank rows between the last list row and the help, the scroll
		// line and one separator aside.
		blank := 0
		for i := len(lines) - 1; i >= 0; i-- {
			if strings.Contains(lines[i], "more") {
				break
			}
			if strings.TrimSpace(lines[i]) == "" {
				blank++
			}
		}
		if blank > 2 {
			t.Errorf("%dx%d: %d empty rows under the projects list while projects are hidden:\n%s", size[0], size[1], blank, v)
		}
	}
}

// TestFilterCursorVisibleWithoutColours: NO_COLOR (the ASCII profile)
// drops colours, not the reverse-video cursor of the filter field.
func TestFilterCursorVisibleWithoutColours(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	w := newWorld(t)
	w.connect("api", 5, keyEd25519)
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("api").Settle()
	d.Runes("/").Type("ap")
	v := d.Model.View()
	if !strings.Contains(v, "\x1b[7m") {
		t.Errorf("no visible cursor in the filter field under NO_COLOR:\n%q", v)
	}
}

// TestDetailsShowTheWebURLLinkingUses (issue 15, defect 9 on the details
// page): no "Web URL none" while links use a guessed address; the guess is
// marked, and the advice names the command that works for a connected
// repository.
func TestDetailsShowTheWebURLLinkingUses(t *testing.T) {
	w := newWorld(t)
	api := w.connect("api", 5, keyEd25519)
	loc, confident := jira.RepositoryWebLocation(api)
	if loc.WebURL == "" || confident {
		t.Fatalf("the test needs a guessed web URL for %s: %+v %v", api.URL, loc, confident)
	}
	d := newDriver(t, newModel(w.cfg(), newSession()), 100, 40)
	d.UntilView("api").Settle()
	d.Key(tea.KeyEnter).UntilView("Recent commits").Settle()
	flat := strings.Join(strings.Fields(d.View()), " ")
	for _, want := range []string{"Web URL " + loc.WebURL + " (guessed", "gitjira repos set api --web-url"} {
		if !strings.Contains(flat, want) {
			t.Errorf("details lack %q:\n%s", want, d.View())
		}
	}
	if strings.Contains(flat, "connect --web-url") {
		t.Errorf("details advise connect --web-url, which a connected repository refuses:\n%s", d.View())
	}
}

// TestSyncShowsTheLinkingPhase: after the fetch and the index, a sync that
// links shows "Linking in Jira N/M" (lifecycle's LinkProgress), not
// "indexing…" for the whole linking. Jira is the jiratest stand-in; the
// links go through the real jira.PushCommitLinks.
func TestSyncShowsTheLinkingPhase(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 12, keyEd25519)
	js := jiratest.NewServer(t)
	for i := 1; i <= 60; i++ {
		js.AddIssues(fmt.Sprintf("DEMO-%d", i))
	}
	if err := jira.SaveSite(w.mgr.Paths, store.Site{URL: js.URL, Token: jiratest.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	// The second link request waits until the screen has shown the phase.
	release := make(chan struct{})
	var posts atomic.Int32
	js.OnRequest(func(r jiratest.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/remotelink") && posts.Add(1) > 1 {
			<-release
		}
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	cfg := w.cfg()
	paths := w.mgr.Paths
	cfg.Link = func(ctx context.Context, r store.Repository, added []index.CommitRef) (*jira.LinkReport, error) {
		rep, err := jira.PushCommitLinks(ctx, paths, r, added)
		return &rep, err
	}
	d := newDriver(t, newModel(cfg, newSession()), 80, 24)
	d.UntilView("api").Settle()
	d.Runes("s").UntilView("Linking in Jira 1/")
	if !strings.Contains(d.View(), "linking") {
		t.Errorf("the state column does not say linking:\n%s", d.View())
	}
	close(release)
	d.UntilView("Synced api")
	if js.AllLinks() == 0 {
		t.Error("no links were made")
	}
	// The details count them, as lifecycle's LinkStatus says.
	st, err := w.mgr.LinkStatus("api")
	if err != nil || st.Issues == 0 || st.Pending != 0 {
		t.Fatalf("link status after a complete sync %+v (%q) %v", st, st.String(), err)
	}
	d.Key(tea.KeyEnter).UntilView("Jira links")
	if flat := strings.Join(strings.Fields(d.View()), " "); !strings.Contains(flat, "Jira links "+st.String()) {
		t.Errorf("details lack %q:\n%s", "Jira links "+st.String(), d.View())
	}
}

// TestSSHKeysToldApart (issue 15, defect 6, the SSH keys tab): each key
// shows its comment, its whole fingerprint and the file it was taken from;
// a key given to two repositories from copies with different comments
// shows both, not the first repository's.
func TestSSHKeysToldApart(t *testing.T) {
	w := newWorld(t)
	// The same Ed25519 key, its copy re-commented with ssh-keygen -c.
	laptop := filepath.Join(w.sshDir, "laptop_key")
	if err := os.WriteFile(laptop, readKey(t, keyEd25519), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-c", "-C", "laptop key", "-P", "", "-f", laptop).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -c: %v\n%s", err, out)
	}
	k := parseKey(t, keyEd25519)
	for _, c := range []struct{ name, origin string }{{"api", filepath.Join(w.sshDir, "id_ed25519")}, {"docs", laptop}} {
		raw := readKey(t, keyEd25519)
		if c.name == "docs" {
			raw, _ = os.ReadFile(laptop)
		}
		if _, err := w.mgr.Connect(context.Background(), lifecycle.ConnectRequest{URL: w.repo(c.name, 3), Name: c.name},
			lifecycle.CloneOptions{Signer: k.Signer}, lifecycle.CommitRequest{KeyRaw: raw, KeyFingerprint: k.Fingerprint, KeyOrigin: c.origin}); err != nil {
			t.Fatal(err)
		}
	}
	w.connect("web", 3, keyECDSA)
	d := newDriver(t, newModel(w.cfg(), newSession()), 100, 30)
	d.UntilView("api").Settle()
	d.Key(tea.KeyTab).UntilView("ECDSA")
	d.ViewHas(k.Fingerprint, parseKey(t, keyECDSA).Fingerprint, // whole
		"gitjira ed25519, laptop key", // each copy's own comment
		"from ~/.ssh/id_ed25519, ~/.ssh/laptop_key", "api, docs")
}
