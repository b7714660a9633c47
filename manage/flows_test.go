package manage

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/ui/uitest"
)

// These tests run the whole screen as a program (uitest.Session, 80x24, ASCII
// profile) against the in-process SSH git server, through lifecycle.

// threeRepos connects api and docs with the Ed25519 key and web with the
// ECDSA one, then makes docs' server repository disappear and syncs it, so
// the list starts with one repository in error.
func threeRepos(t *testing.T) *world {
	w := newWorld(t)
	w.connect("api", 20, keyEd25519)
	w.connect("web", 12, keyECDSA)
	w.connect("docs", 5, keyEd25519)
	w.breakRepo("docs")
	return w
}

// lastFrame is the screen text from the last frame's title line on.
func lastFrame(s *uitest.Session) string {
	all := s.ScreenText()
	if i := strings.LastIndex(all, "gitjira · "); i >= 0 {
		return all[i:]
	}
	return all
}

func TestFlowListSyncProjectsRemoveKeys(t *testing.T) {
	w := threeRepos(t)
	api, _ := w.get("api")
	cfg := w.cfg()
	cfg.Projects = fakeProjects{{Key: "DEMO", Name: "Demo project"}, {Key: "OPS", Name: "Operations"}}
	m := newModel(cfg, newSession())

	// The gate holds api's sync at its first progress event until the
	// screen has shown the row syncing.
	release := make(chan struct{})
	var once sync.Once
	m.syncs.gate = func(name string, p gitops.Progress) {
		if name == "api" {
			once.Do(func() { <-release })
		}
	}
	s := startSession(t, m)

	// The list: three repositories, docs in error with its reason.
	s.WaitFor("docs")
	s.WaitFor("error")
	frame := lastFrame(s)
	for _, want := range []string{"api", "web", "docs", fmt.Sprint(api.Commits), "3 min ago", "[Repositories]"} {
		if !strings.Contains(frame, want) {
			t.Errorf("list lacks %q:\n%s", want, frame)
		}
	}

	// Sync api after 3 new commits on the server: the row shows the sync,
	// then the new count.
	w.addCommits("api", 3)
	s.Runes("s")
	s.WaitFor("connecting")
	close(release)
	s.WaitFor("Synced api: 3 new commits")
	s.WaitFor(fmt.Sprint(api.Commits + 3))

	// Edit api's projects: restrict to DEMO from the Jira project list.
	s.Runes("p")
	s.WaitFor("api · Projects")
	s.WaitFor("Which Jira projects may show this repository's commits?")
	s.Key(tea.KeyDown)
	s.WaitFor("Demo project")
	s.Type("dem")
	s.Key(tea.KeySpace)
	s.WaitFor("1 selected: DEMO")
	s.Key(tea.KeyEnter)
	s.WaitFor("Projects of api: DEMO")

	// Remove docs (the one in error), after the confirmation.
	s.Key(tea.KeyDown) // api -> docs (sorted by name)
	s.Runes("d")
	s.WaitFor("Remove docs?")
	s.Runes("y")
	s.WaitFor("Removed docs")

	// SSH keys: the Ed25519 key is used by api, the ECDSA key by web.
	s.Key(tea.KeyTab)
	s.WaitFor("[SSH keys]")
	s.WaitFor("ECDSA 256")
	frame = lastFrame(s)
	ed := parseKey(t, keyEd25519).Fingerprint
	ec := parseKey(t, keyECDSA).Fingerprint
	if !strings.Contains(frame, ed[:30]) || !strings.Contains(frame, ec[:30]) {
		t.Errorf("keys tab lacks a fingerprint:\n%s", frame)
	}
	s.Runes("q")
	fm := final(s)

	if fm.syncs.progressSeen == 0 {
		t.Error("no sync progress reached the program")
	}
	got, _ := w.get("api")
	if got.Commits != api.Commits+3 || !reflect.DeepEqual(got.Projects, []string{"DEMO"}) || got.LastError != "" {
		t.Errorf("api after sync and edit: %+v", got)
	}
	if _, ok := w.get("docs"); ok {
		t.Error("docs is still listed")
	}
	if _, err := os.Stat(w.mgr.Paths.MirrorDir("docs")); !os.IsNotExist(err) {
		t.Errorf("docs' mirror is left: %v", err)
	}
	groups := fm.keys.groups
	if len(groups) != 2 {
		t.Fatalf("key groups %+v", groups)
	}
	byFP := map[string][]string{}
	for _, g := range groups {
		byFP[g.fingerprint] = g.repos
	}
	if !reflect.DeepEqual(byFP[ed], []string{"api"}) || !reflect.DeepEqual(byFP[ec], []string{"web"}) {
		t.Errorf("keys used by: %v", byFP)
	}
}
