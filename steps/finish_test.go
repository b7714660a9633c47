package steps

import (
	"errors"
	"strconv"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira"
)

// clonedDraft is a draft as the clone step leaves it, with a real bare
// repository (the sample) in the mirrors dir.
func clonedDraft(t *testing.T, env *Env, d *Draft) {
	t.Helper()
	dir := env.Paths.MirrorDir("demo")
	if err := gitserver.MakeSampleRepo(dir, sampleCommits); err != nil {
		t.Fatal(err)
	}
	e, err := gitops.ParseURL("ssh://git@127.0.0.1:2222/demo.git")
	if err != nil {
		t.Fatal(err)
	}
	d.SetEndpoint("ssh://git@127.0.0.1:2222/demo.git", e)
	raw := readTestKey(t, "id_ed25519")
	k, err := parseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	d.SetKey("/keys/id_ed25519", raw, k, false)
	d.HostChecked = true
	d.HostKeyFingerprint = pubFingerprint(t, "host_ed25519")
	d.Name = "demo"
	d.Clone = &gitops.CloneResult{Dir: dir, DefaultBranch: "main", Commits: gitserver.SampleCommits(sampleCommits)}
	d.CloneFor = e.String()
	d.Projects = []string{"ALL"}
}

func TestFinishAdds(t *testing.T) {
	env, draft := testEnv(t)
	clonedDraft(t, env, draft)
	d := newDriver(t, NewFinish(env, draft)).enter()
	if !d.s.Busy() {
		t.Error("not adding on entry")
	}
	d.viewHas("Adding: storing the key and indexing the commits", "Issue keys …")
	d.until("added", func(s Step) bool { return !s.Busy() })
	r := draft.Repo
	if r == nil || r.Name != "demo" || r.IssueKeys == 0 || r.KeyFingerprint != pubFingerprint(t, "id_ed25519") || !r.AllProjects() {
		t.Fatalf("repo %+v (%v)", r, d.s.(Finish).err)
	}
	d.viewHas("✓ Added to gitjira's repositories list.", "Name demo", "URL ssh://git@127.0.0.1:2222/demo.git",
		"Host key "+pubFingerprint(t, "host_ed25519"), "Key "+pubFingerprint(t, "id_ed25519"),
		"Branch main", "Commits "+strconv.Itoa(gitserver.SampleCommits(sampleCommits)),
		"Issue keys "+strconv.Itoa(r.IssueKeys), "Projects All projects", "Press enter to exit.")
	d.viewFits(80)
	list, err := jira.OpenRepositoryList(env.Paths).Load()
	if err != nil || len(list) != 1 || list[0].Name != "demo" || list[0].KeyFile == "" {
		t.Fatalf("list %+v %v", list, err)
	}
	// esc cannot take it back; enter ends the wizard
	d.key(tea.KeyEsc).settle()
	if len(d.nav) != 0 {
		t.Fatalf("esc after the add: %v", d.nav)
	}
	d.key(tea.KeyEnter)
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepFinish}) {
		t.Fatalf("got %#v", nav)
	}
	// entering again (it cannot happen in the wizard) does not add twice
	d.enter()
	if d.s.Busy() {
		t.Error("added twice")
	}
}

func TestFinishErrorRetryBack(t *testing.T) {
	env, draft := testEnv(t)
	clonedDraft(t, env, draft)
	// the name was taken meanwhile (another gitjira added it)
	err := jira.OpenRepositoryList(env.Paths).Update(func(r []jira.Repository) ([]jira.Repository, error) {
		return append(r, jira.Repository{Name: "demo", URL: "ssh://x/y", Projects: []string{"ALL"}, Mirror: "/elsewhere"}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, NewFinish(env, draft)).enter()
	d.until("error", func(s Step) bool { return s.(Finish).err != nil })
	if !errors.Is(d.s.(Finish).err, jira.ErrNameTaken) {
		t.Errorf("error %v", d.s.(Finish).err)
	}
	d.viewHas("✗ Not added:", "Press r to try again")
	if draft.Repo != nil || len(d.nav) != 0 {
		t.Fatal("moved on after a failure")
	}
	d.key(tea.KeyEnter).settle()
	if len(d.nav) != 0 {
		t.Fatal("enter after a failure moved on")
	}
	d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	if !d.s.Busy() {
		t.Fatal("r did not retry")
	}
	d.until("error again", func(s Step) bool { return !s.Busy() })
	d.key(tea.KeyEsc)
	if nav := d.waitNav("back"); nav != (BackMsg{From: StepFinish}) {
		t.Fatalf("got %#v", nav)
	}
}
