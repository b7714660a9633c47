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
	d.viewHas("Name demo", "URL ssh://git@127.0.0.1:2222/demo.git",
		"Host key "+pubFingerprint(t, "host_ed25519"), "Key "+pubFingerprint(t, "id_ed25519"),
		"Branch main", "Commits "+strconv.Itoa(gitserver.SampleCommits(sampleCommits)), "Projects All projects", "Press enter to add it and finish")
	d.viewFits(80)
	d.key(tea.KeyEnter)
	if !d.s.Busy() {
		t.Error("not busy while adding")
	}
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepFinish}) {
		t.Fatalf("got %#v", nav)
	}
	r := draft.Repo
	if r == nil || r.Name != "demo" || r.IssueKeys == 0 || r.KeyFingerprint != pubFingerprint(t, "id_ed25519") || !r.AllProjects() {
		t.Fatalf("repo %+v", r)
	}
	list, err := jira.OpenRepositoryList(env.Paths).Load()
	if err != nil || len(list) != 1 || list[0].Name != "demo" || list[0].KeyFile == "" {
		t.Fatalf("list %+v %v", list, err)
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
	d.key(tea.KeyEnter)
	d.until("error", func(s Step) bool { return s.(Finish).err != nil })
	if !errors.Is(d.s.(Finish).err, jira.ErrNameTaken) {
		t.Errorf("error %v", d.s.(Finish).err)
	}
	d.viewHas("✗", "Press r to try again")
	if draft.Repo != nil || len(d.nav) != 0 {
		t.Fatal("moved on after a failure")
	}
	d.key(tea.KeyEsc)
	if nav := d.waitNav("back"); nav != (BackMsg{From: StepFinish}) {
		t.Fatalf("got %#v", nav)
	}
}
