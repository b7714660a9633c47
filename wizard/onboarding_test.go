package wizard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/forge"
	"github.com/gitjira/gitjira/forge/forgetest"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

// Issue 18's onboarding, whole: an account without ~/.ssh, the key step
// opens on Generate; the new key is authorized by upload to a GitHub
// stand-in (whose handler makes the git server accept it, so the re-test is
// a real SSH login); the clone; the permissions step logs in to the Jira
// stand-in, so the projects come from the site; Finish names what is linked.
func TestFlowOnboardingGenerateAuthorizeLogin(t *testing.T) {
	w := newWorld(t, worldOpts{noSSHDir: true, authorized: []string{}})
	if err := gitserver.MakeSampleRepo(filepath.Join(w.srvDir, "octo", "app.git"), sampleCommits); err != nil {
		t.Fatal(err)
	}
	host := forgetest.New(t, forge.GitHub, forgetest.Options{OnAdd: func(line string) {
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			t.Errorf("stand-in got %q: %v", line, err)
			return
		}
		w.srv.AuthorizeKey(pk)
	}})
	w.cfg.HTTPClient = host.Client()
	site := jiratest.NewServer(t)

	s := startSession(t, w.cfg)
	s.typeLocation(w.srv.URL("/octo/app.git"))
	s.WaitFor("[Generate a new key]") // nothing in ~/.ssh: the key step opens on Generate
	s.WaitFor("gitjira_ed25519")
	s.Key(tea.KeyEnter) // generate (no passphrase)
	s.WaitFor("Press enter to go on: the next step adds it")
	s.Key(tea.KeyEnter)
	s.WaitFor("Trust this host and record its key? (y/n)")
	s.Runes("y")

	s.WaitFor("Step 5 of 9 · Authorize the key")
	s.WaitFor("does not accept this key yet")
	s.Key(tea.KeyHome) // the host's API
	s.Key(tea.KeyEnter)
	s.WaitFor("Token")
	s.Key(tea.KeyShiftTab) // the API URL field
	s.Key(tea.KeyCtrlU)
	s.Type(host.URL)
	s.Key(tea.KeyTab)
	s.Type(forgetest.Token)
	s.Key(tea.KeyEnter)

	s.WaitFor("Step 7 of 9 · Permissions")
	s.WaitFor("press l to log in")
	s.Runes("l")
	s.WaitFor("Log in to Jira")
	s.Type(site.URL)
	s.Key(tea.KeyEnter)
	s.Type(jiratest.DefaultToken)
	s.Key(tea.KeyEnter)
	s.WaitFor("Logged in to Jira as Alice Admin")
	s.Key(tea.KeyDown)
	s.WaitFor("[ ] PROJ")
	s.Key(tea.KeyDown)
	s.Key(tea.KeyDown)
	s.Key(tea.KeySpace)
	s.WaitFor("1 selected: PROJ")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 8 of 9 · Review")
	s.Key(tea.KeyEnter)
	s.WaitFor("Step 9 of 9 · Finish")
	s.WaitFor("Unattended sync")
	screen := s.ScreenText()
	if strings.Contains(screen, forgetest.Token) || strings.Contains(screen, jiratest.DefaultToken) {
		t.Error("a token reached the screen")
	}
	s.Key(tea.KeyEnter)
	r, err := s.final().Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Projects) != 1 || r.Projects[0] != "PROJ" || r.URL != w.srv.URL("/octo/app.git") {
		t.Fatalf("repository %+v", r)
	}
	keys := host.Keys()
	pub, err := os.ReadFile(filepath.Join(w.cfg.SSHDir, "gitjira_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !keys[0].ReadOnly || !strings.HasPrefix(strings.TrimSpace(string(pub)), keys[0].Key) {
		t.Fatalf("deploy keys %+v, generated %s", keys, pub)
	}
	if list := w.repos(); len(list) != 1 || list[0].Name != "app" {
		t.Fatalf("list %+v", list)
	}
	if s, err := store.LoadSite(w.cfg.Paths); err != nil || s == nil || s.URL != site.URL {
		t.Fatalf("site saved: %+v %v", s, err)
	}
}
