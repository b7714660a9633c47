package steps

import (
	"errors"
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

func locStep(s Step) Location { return s.(Location) }

func inspected(s Step) bool { l := locStep(s); return l.inspectedFor == l.Value() }

// addListed puts a repository in the list, as an earlier connect would have.
func addListed(t *testing.T, env *Env, name, url string) {
	t.Helper()
	err := store.OpenRepositoryList(env.Paths).Update(func(r []store.Repository) ([]store.Repository, error) {
		return append(r, store.Repository{Name: name, URL: url, Projects: []string{"ALL"}, Mirror: env.Paths.MirrorDir(name)}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLocationValidatesAsTyped(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewLocation(env, draft, "")).enter()

	d.typeText("git@example.com:org/repo.git")
	d.until("the inspection of the full text", inspected)
	if err := locStep(d.s).parseErr; err != nil {
		t.Fatalf("valid location refused: %v", err)
	}
	d.viewHas("✓ git@example.com:org/repo.git", "Name: repo")
	if draft.Endpoint != nil || draft.Plan != nil {
		t.Fatal("the draft changed before enter")
	}

	d.key(tea.KeyEnter)
	nav := d.waitNav("done")
	if nav != (DoneMsg{From: StepLocation}) {
		t.Fatalf("got %#v, want DoneMsg", nav)
	}
	if draft.Endpoint == nil || draft.Endpoint.Host != "example.com" || draft.Endpoint.User != "git" {
		t.Fatalf("draft endpoint = %+v", draft.Endpoint)
	}
	if draft.Plan == nil || draft.Name != "repo" || draft.Plan.Mirror != env.Paths.MirrorDir("repo") {
		t.Fatalf("plan %+v, name %q", draft.Plan, draft.Name)
	}
	if draft.Location != "git@example.com:org/repo.git" {
		t.Errorf("draft location = %q", draft.Location)
	}
}

func TestLocationRefusesInline(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"https", "https://example.com/org/repo.git", []string{"✗", "connects over SSH"}},
		{"local path", "/srv/git/repo.git", []string{"✗", "SSH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, draft := testEnv(t)
			d := newDriver(t, NewLocation(env, draft, "")).enter()
			d.typeText(tc.text)
			d.until("inspection", inspected)
			d.viewHas(tc.want...)
			d.key(tea.KeyEnter).settle()
			if len(d.nav) != 0 || draft.Endpoint != nil {
				t.Fatalf("an invalid location was accepted: nav %v, endpoint %+v", d.nav, draft.Endpoint)
			}
			d.viewFits(80)
		})
	}
}

func TestLocationEmptyEnter(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewLocation(env, draft, "")).enter()
	d.key(tea.KeyEnter).settle()
	d.viewHas("type the repository's SSH location")
	if len(d.nav) != 0 {
		t.Fatalf("moved on with nothing typed: %v", d.nav)
	}
	// esc on the first step goes nowhere
	d.key(tea.KeyEsc).settle()
	if len(d.nav) != 0 {
		t.Fatalf("esc on the first step: %v", d.nav)
	}
}

func TestLocationSSHConfigAlias(t *testing.T) {
	env, draft := testEnv(t)
	cfg := "Host gitbox\n  HostName 127.0.0.1\n  Port 2222\n  User deploy\n  IdentityFile " + env.SSHDir + "/box_key\n\nHost *.example.com\n  User x\n"
	if err := os.WriteFile(env.SSHConfigFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, NewLocation(env, draft, "")).enter()
	d.until("aliases", func(s Step) bool { return len(locStep(s).aliases) > 0 })
	d.viewHas("Hosts in ~/.ssh/config", "gitbox")
	d.viewLacks("*.example.com")

	// "gi" + tab completes the alias (→ too)
	d.typeText("gi")
	d.key(tea.KeyTab)
	if v := locStep(d.s).Value(); v != "gitbox:" {
		t.Fatalf("completion gave %q, want gitbox:", v)
	}
	d.typeText("team/app.git")
	d.until("inspection", inspected)
	d.key(tea.KeyEnter)
	d.waitNav("done")
	e := draft.Endpoint
	if e == nil || e.Host != "127.0.0.1" || e.Port != 2222 || e.User != "deploy" || e.Alias != "gitbox" {
		t.Fatalf("endpoint = %+v", e)
	}
	if len(e.IdentityFiles) != 1 || e.IdentityFiles[0] != env.SSHDir+"/box_key" {
		t.Errorf("identity files = %v", e.IdentityFiles)
	}
	// stored resolved, the alias kept for display
	if draft.Plan.URL != "ssh://deploy@127.0.0.1:2222/~/team/app.git" || draft.Plan.Alias != "gitbox:team/app.git" {
		t.Errorf("plan url %q alias %q", draft.Plan.URL, draft.Plan.Alias)
	}
}

// TestLocationPrefill: a prefilled location is inspected on entry. (Stale
// results are dropped by the wizard: wizard/routing_test.go.)
func TestLocationPrefill(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewLocation(env, draft, "ssh://git@127.0.0.1:2222/demo.git")).enter()
	d.until("prefill inspected", func(s Step) bool { return locStep(s).parsed != nil })
	d.viewHas("✓ ssh://git@127.0.0.1:2222/demo.git", "Name: demo")
}

// TestLocationQuestionMarkIsNotTyped (issue 15, defect 7): '?' is the help
// key, never part of the location.
func TestLocationQuestionMarkIsNotTyped(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewLocation(env, draft, "")).enter()
	d.typeText("ssh://git@127.0.0.1:2222/demo.git?")
	if v := locStep(d.s).Value(); v != "ssh://git@127.0.0.1:2222/demo.git" {
		t.Fatalf("location %q", v)
	}
	d.until("inspection", inspected)
	d.viewHas("Name: demo")
	d.viewLacks("demo.git-")
}

// TestLocationAlreadyConnected: the same location (here typed as an alias
// of the listed one) is offered as already connected, with the way on.
func TestLocationAlreadyConnected(t *testing.T) {
	env, draft := testEnv(t)
	addListed(t, env, "big", "ssh://git@127.0.0.1:2222/big.git")
	cfg := "Host box\n  HostName 127.0.0.1\n  Port 2222\n  User git\n"
	if err := os.WriteFile(env.SSHConfigFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, NewLocation(env, draft, "")).enter()
	d.typeText("box:/big.git")
	d.until("inspection", inspected)
	d.viewHas(`already connected as "big"`, "gitjira repos fetch big", "or type another location")
	// (issue 15, defect 7) while typing, the name field says so, and is not
	// silently made "big-2"; no ✓ above the ✗
	d.viewHas("✗ already connected as big")
	d.viewLacks("big-2", "✓ ssh://")
	if scr := d.s.View(); scr.Copy != "gitjira repos fetch big" || scr.CopyWhat != "command" {
		t.Errorf("copy %q (%s)", scr.Copy, scr.CopyWhat)
	}
	d.viewFits(80)
	d.key(tea.KeyEnter).settle()
	if len(d.nav) != 0 || draft.Plan != nil {
		t.Fatalf("an already connected location went on: %v", d.nav)
	}
	var ace *lifecycle.AlreadyConnectedError
	if !errors.As(locStep(d.s).err, &ace) || ace.Name != "big" {
		t.Errorf("enter: %v", locStep(d.s).err)
	}
	// another location clears it
	for range len("big.git") {
		d.key(tea.KeyBackspace)
	}
	d.typeText("other.git")
	d.until("inspection", inspected)
	d.viewLacks("already connected")
	d.key(tea.KeyEnter)
	d.waitNav("done")
	if draft.Name != "other" {
		t.Errorf("name %q", draft.Name)
	}
}

func TestLocationNameField(t *testing.T) {
	env, draft := testEnv(t)
	addListed(t, env, "demo", "ssh://git@elsewhere/demo.git")
	d := newDriver(t, NewLocation(env, draft, "")).enter()
	d.typeText("ssh://git@127.0.0.1:2222/demo.git")
	d.until("inspection", inspected)
	// "demo" is taken: the suggestion is free
	if v := locStep(d.s).NameValue(); v != "demo-2" {
		t.Fatalf("suggested name %q, want demo-2", v)
	}
	// a name that is not a plain file name is refused on the name field
	d.key(tea.KeyDown)
	if locStep(d.s).field != fieldName {
		t.Fatal("down did not reach the name field")
	}
	for range len("demo-2") {
		d.key(tea.KeyBackspace)
	}
	d.typeText("../x")
	d.key(tea.KeyEnter)
	d.until("refusal", func(s Step) bool { return locStep(s).err != nil })
	if !errors.Is(locStep(d.s).err, lifecycle.ErrInvalid) || locStep(d.s).field != fieldName {
		t.Fatalf("err %v on field %d", locStep(d.s).err, locStep(d.s).field)
	}
	d.viewHas("✗")
	// the taken name is refused too, and says so
	for range len("../x") {
		d.key(tea.KeyBackspace)
	}
	d.typeText("demo")
	d.key(tea.KeyEnter)
	d.until("refusal", func(s Step) bool { return locStep(s).err != nil })
	if !errors.Is(locStep(d.s).err, store.ErrNameTaken) {
		t.Fatalf("err %v", locStep(d.s).err)
	}
	d.viewHas("already in the list")
	// typing clears the stale message
	d.typeText("-mine")
	if locStep(d.s).err != nil {
		t.Error("stale error kept after typing")
	}
	d.key(tea.KeyEnter)
	d.waitNav("done")
	if draft.Name != "demo-mine" {
		t.Errorf("name %q", draft.Name)
	}
	// the URL stays as typed and the name is not re-suggested on return
	d.enter()
	d.until("inspection", inspected)
	if l := locStep(d.s); l.Value() != "ssh://git@127.0.0.1:2222/demo.git" || l.NameValue() != "demo-mine" {
		t.Errorf("kept %q %q", l.Value(), l.NameValue())
	}
}

// TestLocationShowsRoutedError: a later step sent a failure here (repository
// not found); it is shown with the values kept, and cleared by typing.
func TestLocationShowsRoutedError(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewLocation(env, draft, "ssh://git@127.0.0.1:2222/missing.git")).enter()
	d.until("inspection", inspected)
	d.key(tea.KeyEnter)
	d.waitNav("done")
	draft.LocationErr = &gitops.RepoNotFoundError{Path: "/missing.git", Detail: "\x1b[31mno such repo\x1b[0m"}
	d.enter()
	d.until("inspection", inspected)
	v := d.view()
	if !strings.Contains(v, `repository "/missing.git" not found`) || !strings.Contains(v, "Correct the location") {
		t.Fatalf("routed error not shown:\n%s", v)
	}
	if strings.Contains(d.s.View().Bottom, "\x1b[31m") {
		t.Error("the server's escape sequence reached the screen")
	}
	if locStep(d.s).Value() != "ssh://git@127.0.0.1:2222/missing.git" {
		t.Error("the location was not kept")
	}
	d.key(tea.KeyBackspace)
	if draft.LocationErr != nil || strings.Contains(d.view(), "not found") {
		t.Error("the stale error stayed after typing")
	}
}
