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
	d.UntilView("api").Settle()
	d.Runes("i")
	d.UntilView("Issue key:")
	d.Type("nope")
	d.Key(tea.KeyEnter)
	d.UntilView("Not an issue key")
	for range 4 {
		d.Key(tea.KeyBackspace)
	}
	d.Type("demo-7") // read as DEMO-7
	d.Key(tea.KeyEnter)
	d.UntilView("DEMO-7")
	d.UntilView("commits in 1 repository")
	d.UntilView(gitserver.SampleFeatureBranch[:12])
	d.Key(tea.KeyEnter)
	d.UntilView("diff --git")
	d.Key(tea.KeyEsc)
	d.UntilView("REPOSITORY")
	d.Key(tea.KeyEsc)
	d.UntilView("Repositories")
	if d.Model.page != nil {
		t.Errorf("esc on the issue list left page %T open", d.Model.page)
	}
}

// enter on the details page lists the recent commits in the issue view;
// enter opens one with its diff; esc comes back to the list, then to the
// details.
func TestRecentCommitsFromDetails(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 12, keyEd25519)
	d := newDriver(t, newModel(w.cfg(), newSession()), 100, 30)
	d.UntilView("api").Settle()
	d.Key(tea.KeyEnter)
	d.Until("the recent commits", func(m Model) bool { p, ok := m.page.(*detailsPage); return ok && p.d != nil })
	d.Key(tea.KeyEnter)
	d.UntilView("8 commits in 1 repository")
	d.Key(tea.KeyEnter)
	d.UntilView("diff --git")
	d.UntilView("commit 1 of 8")
	d.Key(tea.KeyEsc)
	d.UntilView("REPOSITORY")
	d.Key(tea.KeyEsc)
	d.Until("the details again", func(m Model) bool { _, ok := m.page.(*detailsPage); return ok })
	d.ViewHas("Recent commits", "Host key")
}
