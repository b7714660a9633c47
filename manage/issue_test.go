package manage

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops/gitserver"
)

// i on the repositories tab asks for an issue key and opens the issue
// view; a bad key is said, enter on a commit shows its diff, esc goes back
// to the list and then to the tab.
func TestIssueViewFromManage(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 30, keyEd25519)
	d := newDriver(t, newModel(w.cfg(), newSession()), 100, 30)
	d.untilView("api").settle()
	d.runes("i")
	d.untilView("Issue key:")
	d.typeText("nope")
	d.key(tea.KeyEnter)
	d.untilView("Not an issue key")
	for range 4 {
		d.key(tea.KeyBackspace)
	}
	d.typeText("demo-7") // read as DEMO-7
	d.key(tea.KeyEnter)
	d.untilView("DEMO-7")
	d.untilView("commits in 1 repository")
	d.untilView(gitserver.SampleFeatureBranch[:12])
	d.key(tea.KeyEnter)
	d.untilView("diff --git")
	d.key(tea.KeyEsc)
	d.untilView("REPOSITORY")
	d.key(tea.KeyEsc)
	d.untilView("Repositories")
	if d.m.page != nil {
		t.Errorf("esc on the issue list left page %T open", d.m.page)
	}
}
