package steps

import (
	"reflect"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/ui/components/projects"
)

func permStep(s Step) *projects.Model { return s.(Permissions).Picker() }

var _ ProjectLister = (*jira.Client)(nil)

func TestPermissionsDefaultAll(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewPermissions(env, draft)).enter()
	d.viewHas("› (•) All projects (default)", "( ) Restrict to projects")
	if d.s.Typing() {
		t.Error("typing on the radio buttons")
	}
	d.key(tea.KeyEnter)
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepPermissions}) {
		t.Fatalf("got %#v", nav)
	}
	if !reflect.DeepEqual(draft.Projects, []string{"ALL"}) {
		t.Fatalf("projects %v", draft.Projects)
	}
}

func TestPermissionsTypedKeys(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewPermissions(env, draft)).enter()
	d.key(tea.KeyDown)
	d.viewHas("(•) Restrict to projects", "No Jira site is configured", "Project keys:")
	if !d.s.Typing() {
		t.Fatal("keys field not focused")
	}
	// nothing typed
	d.key(tea.KeyEnter).settle()
	d.viewHas("type one or more Jira project keys")
	// an invalid key
	d.typeText("ops, 9x").key(tea.KeyEnter).settle()
	d.viewHas(`"9x" is not a Jira project key`)
	if len(d.nav) != 0 {
		t.Fatal("invalid keys accepted")
	}
	for range 2 {
		d.key(tea.KeyBackspace)
	}
	d.typeText("DEMO OPS").key(tea.KeyEnter)
	d.waitNav("done")
	if !reflect.DeepEqual(draft.Projects, []string{"DEMO", "OPS"}) {
		t.Fatalf("projects %v", draft.Projects)
	}
	// back to All: the typed keys stay in the field but All is what counts
	d.enter()
	d.key(tea.KeyUp).key(tea.KeyEnter)
	d.waitNav("done")
	if !reflect.DeepEqual(draft.Projects, []string{"ALL"}) {
		t.Fatalf("projects %v", draft.Projects)
	}
}

func TestPermissionsFromJira(t *testing.T) {
	site := jiratest.NewServer(t)
	client, err := jira.NewClient(site.URL, jiratest.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	env, draft := testEnv(t)
	env.Projects = client
	d := newDriver(t, NewPermissions(env, draft)).enter()
	d.until("projects", func(s Step) bool { return permStep(s).Loaded() })
	if err := permStep(d.s).LoadErr(); err != nil {
		t.Fatal(err)
	}
	d.key(tea.KeyDown)
	d.viewHas("Filter:", "[ ] OPS", "[ ] PROJ")
	// nothing selected
	d.key(tea.KeyEnter).settle()
	d.viewHas("select at least one project")
	// select both, the second through the filter
	d.key(tea.KeyDown).key(tea.KeySpace)
	d.viewHas("[x] OPS", "1 selected: OPS")
	d.typeText("pro")
	d.viewLacks("[x] OPS")
	d.viewHas("› [ ] PROJ")
	d.key(tea.KeySpace)
	d.viewHas("2 selected: OPS, PROJ")
	d.key(tea.KeyEnter)
	d.waitNav("done")
	if !reflect.DeepEqual(draft.Projects, []string{"OPS", "PROJ"}) {
		t.Fatalf("projects %v", draft.Projects)
	}
}

func TestPermissionsJiraDownFallsBackToTyped(t *testing.T) {
	site := jiratest.NewServer(t)
	site.FailNext(500, -1)
	client, err := jira.NewClient(site.URL, jiratest.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	env, draft := testEnv(t)
	env.Projects = client
	d := newDriver(t, NewPermissions(env, draft)).enter()
	d.until("projects", func(s Step) bool { return permStep(s).Loaded() })
	d.key(tea.KeyDown)
	d.viewHas("Could not list the Jira projects", "type the keys instead", "Project keys:")
	d.typeText("PROJ").key(tea.KeyEnter)
	d.waitNav("done")
	if !reflect.DeepEqual(draft.Projects, []string{"PROJ"}) {
		t.Fatalf("projects %v", draft.Projects)
	}
}

// TestPermissionsStartFromTheDraft: a restricted choice in the draft (going
// back, or the Manage screen editing a repository) is where the step starts,
// so enter keeps it instead of widening it to every project.
func TestPermissionsStartFromTheDraft(t *testing.T) {
	env, draft := testEnv(t)
	draft.Projects = []string{"OPS", "PROJ"}
	d := newDriver(t, NewPermissions(env, draft)).enter()
	d.viewHas("(•) Restrict to projects", "Project keys:")
	if !d.s.Typing() {
		t.Fatal("keys field not focused")
	}
	d.key(tea.KeyEnter)
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepPermissions}) {
		t.Fatalf("got %#v", nav)
	}
	if !reflect.DeepEqual(draft.Projects, []string{"OPS", "PROJ"}) {
		t.Fatalf("projects %v, want the draft's", draft.Projects)
	}
}
