package steps

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// reviewDraft is a draft ready for the review of url (nothing cloned: the
// review only reads the draft).
func reviewDraft(d *Draft, url string) {
	d.Name = "app"
	d.Plan = &lifecycle.Plan{Name: "app", URL: url, Mirror: "/m/app.git"}
	d.Projects = []string{store.AllProjectsValue}
}

type someProjects struct{}

func (someProjects) Projects(context.Context) ([]jira.Project, error) { return nil, nil }

func reviewStep(s Step) Review { return s.(Review) }

// TestReviewAsksAGuessedWebPage: a self-hosted server's web page is a
// guess, so the review opens on it, prefilled, and checks what is typed.
func TestReviewAsksAGuessedWebPage(t *testing.T) {
	env, draft := testEnv(t)
	reviewDraft(draft, "ssh://git@git.example.com:2222/team/app.git")
	d := newDriver(t, NewReview(env, draft)).enter()
	if !d.s.Typing() {
		t.Fatal("the guessed web page is not focused")
	}
	d.viewHas("Jira links (they open commits on the web page)", "› Web page https://git.example.com/team/app",
		"Guessed from the location: check it.", "[x] Link commits to their Jira issues", "linking starts once there is one", "Press enter to save")
	d.viewFits(80)

	// a wrong page: one line on this step, nothing recorded
	d.key(tea.KeyCtrlU).typeText("git.example.com/team/app").key(tea.KeyEnter).settle()
	d.viewHas(`✗ "git.example.com/team/app" is not a web URL`)
	if len(d.nav) != 0 || draft.Link != nil {
		t.Fatal("a wrong web page was accepted")
	}
	// a commit page without {sha} is a web page; with it, a template
	d.key(tea.KeyCtrlU).typeText("https://web.example.com/a b/{sha}").key(tea.KeyEnter).settle()
	d.viewHas("is not a web URL")
	d.key(tea.KeyCtrlU).typeText("https://web.example.com/t/app/commits/{sha}")
	d.viewLacks("✗")
	// down to the linking choice (on by default); space turns it off, on purpose
	d.key(tea.KeyDown)
	if d.s.Typing() {
		t.Fatal("still typing on the linking choice")
	}
	d.viewHas("Web page https://web.example.com/t/app/commits/{sha} (e to edit)", "› [x] Link commits")
	d.key(tea.KeySpace)
	d.viewHas("› [ ] Link commits to their Jira issues", "No Jira site is logged in yet (gitjira jira login).")
	d.key(tea.KeyEnter)
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepReview}) {
		t.Fatalf("got %#v", nav)
	}
	if draft.WebURL != "" || draft.CommitURLTemplate != "https://web.example.com/t/app/commits/{sha}" || draft.Link == nil || *draft.Link {
		t.Fatalf("web %q template %q link %v", draft.WebURL, draft.CommitURLTemplate, draft.Link)
	}

	// back and forth keeps the answers; a web page is normalised and stored
	d.enter()
	d.viewHas("› [ ] Link commits", "Web page https://web.example.com/t/app/commits/{sha}")
	d.send(runes("e"))
	if !d.s.Typing() {
		t.Fatal("e did not edit the web page")
	}
	d.key(tea.KeyCtrlU).typeText("https://Web.Example.com/t/app/").key(tea.KeyEnter)
	d.waitNav("done")
	if draft.WebURL != "https://web.example.com/t/app" || draft.CommitURLTemplate != "" || draft.Link == nil || *draft.Link {
		t.Fatalf("web %q template %q link %v (chosen %v)", draft.WebURL, draft.CommitURLTemplate, draft.Link, d.s.(Review).linkChosen)
	}

	// the guess accepted as it is is stored: the user confirmed it
	env2, draft2 := testEnv(t)
	reviewDraft(draft2, "git@gitlab.corp.example:group/sub/app.git")
	d2 := newDriver(t, NewReview(env2, draft2)).enter()
	d2.key(tea.KeyEnter)
	d2.waitNav("done")
	// untouched without a site: no linking choice stored (the default)
	if draft2.WebURL != "https://gitlab.corp.example/group/sub/app" || draft2.Link != nil {
		t.Fatalf("web %q link %v", draft2.WebURL, draft2.Link)
	}

	// another location: the field follows it
	reviewDraft(draft, "ssh://git@other.example.com/x/y.git")
	d.enter()
	d.viewHas("› Web page https://other.example.com/x/y")
}

// TestReviewCertainWebPage: a known host's page is shown as a line with a
// key to edit it; linking is on when a Jira site is configured.
func TestReviewCertainWebPage(t *testing.T) {
	env, draft := testEnv(t)
	env.Projects = someProjects{}
	reviewDraft(draft, "git@github.com:acme/app.git")
	d := newDriver(t, NewReview(env, draft)).enter()
	if d.s.Typing() {
		t.Fatal("a certain web page is asked")
	}
	d.viewHas("Web page https://github.com/acme/app (e to edit)", "› [x] Link commits to their Jira issues")
	d.viewLacks("No Jira site", "Guessed")
	d.key(tea.KeyEnter)
	d.waitNav("done")
	if draft.WebURL != "" || draft.CommitURLTemplate != "" || draft.Link == nil || !*draft.Link {
		t.Fatalf("web %q template %q link %v", draft.WebURL, draft.CommitURLTemplate, draft.Link)
	}
	// turned off, and the page changed through the editor
	d.enter()
	d.key(tea.KeySpace).key(tea.KeyUp)
	if !d.s.Typing() || !reviewStep(d.s).confident {
		t.Fatal("up did not open the web page")
	}
	d.viewHas("› Web page https://github.com/acme/app", "A commit's page with {sha} also works.")
	d.key(tea.KeyCtrlU).typeText("https://github.com/acme/app-mirror").key(tea.KeyEnter)
	d.waitNav("done")
	if draft.WebURL != "https://github.com/acme/app-mirror" || *draft.Link {
		t.Fatalf("web %q link %v", draft.WebURL, *draft.Link)
	}
}

func TestWebSetting(t *testing.T) {
	gh, ghSure := jira.GuessWebURL("git@github.com:acme/app.git")
	self, selfSure := jira.GuessWebURL("ssh://git@git.example.com/team/app.git")
	for _, c := range []struct {
		text        string
		guess       jira.WebLocation
		sure        bool
		web, tmpl   string
		errContains string
	}{
		{"", self, selfSure, "", "", ""},
		{"   ", gh, ghSure, "", "", ""},
		{"https://github.com/acme/app", gh, ghSure, "", "", ""},  // the certain derivation: nothing to store
		{"https://github.com/acme/app/", gh, ghSure, "", "", ""}, // the same once normalised
		{"https://github.com/acme/other", gh, ghSure, "https://github.com/acme/other", "", ""},
		{"https://git.example.com/team/app", self, selfSure, "https://git.example.com/team/app", "", ""},
		{" http://git.example.com:8080/team/app.git ", self, selfSure, "http://git.example.com:8080/team/app", "", ""},
		{"https://git.example.com/team/app/-/commit/{sha}", self, selfSure, "", "https://git.example.com/team/app/-/commit/{sha}", ""},
		{"git.example.com/team/app", self, selfSure, "", "", "is not a web URL"},
		{"ssh://git.example.com/team/app", self, selfSure, "", "", "is not a web URL"},
		{"https://me:pw@git.example.com/team/app", self, selfSure, "", "", "user name"},
		{"https://git.example.com/team/app?tab=1", self, selfSure, "", "", "query"},
		{"ftp://git.example.com/{sha}", self, selfSure, "", "", "is not a web URL"},
		{"https://git.example.com/a b/{sha}", self, selfSure, "", "", "is not a web URL"},
	} {
		web, tmpl, err := webSetting(c.text, c.guess, c.sure)
		if c.errContains != "" {
			if err == nil || !strings.Contains(err.Error(), c.errContains) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: error %v, want one line with %q", c.text, err, c.errContains)
			}
			continue
		}
		if err != nil || web != c.web || tmpl != c.tmpl {
			t.Errorf("%q: %q %q %v, want %q %q", c.text, web, tmpl, err, c.web, c.tmpl)
		}
	}
}

// TestFinishStoresWebAndLink: the review's answers reach the list entry
// (lifecycle.CommitRequest) and the summary.
func TestFinishStoresWebAndLink(t *testing.T) {
	env, draft := testEnv(t)
	stagedDraft(t, env, draft, "id_ed25519")
	d := newDriver(t, NewReview(env, draft)).enter()
	d.key(tea.KeyCtrlU).typeText("https://web.example.com/team/demo").key(tea.KeyEnter)
	d.waitNav("done")
	f := newDriver(t, NewFinish(env, draft)).enter()
	f.until("added", func(s Step) bool { return !s.Busy() })
	r := draft.Repo
	// Untouched without a Jira site: no choice stored, so linking comes on
	// once a site is logged in (the default).
	if r == nil || r.WebURL != "https://web.example.com/team/demo" || r.CommitURLTemplate != "" || r.Link != nil {
		t.Fatalf("repo %+v (%v)", r, f.s.(Finish).err)
	}
	f.viewHas("Web page https://web.example.com/team/demo", "on once a Jira site is logged in")
	list, err := store.OpenRepositoryList(env.Paths).Load()
	if err != nil || len(list) != 1 || list[0].WebURL != r.WebURL || list[0].Link != nil {
		t.Fatalf("list %+v %v", list, err)
	}
	if u, sure := jira.CommitURL(list[0], "abc"); u != "https://web.example.com/team/demo/commit/abc" || !sure {
		t.Fatalf("commit URL %q %v", u, sure)
	}
}

func TestSummaryRowsWebAndLinks(t *testing.T) {
	on, off := true, false
	row := func(rows [][2]string, label string) string {
		for _, r := range rows {
			if r[0] == label {
				return r[1]
			}
		}
		return "(missing)"
	}
	for _, c := range []struct {
		r         store.Repository
		web, link string
	}{
		{store.Repository{URL: "git@github.com:acme/app.git", Link: &on}, "https://github.com/acme/app", "on"},
		{store.Repository{URL: "ssh://h/x.git", WebURL: "https://w/x", Link: &off}, "https://w/x", "off"},
		{store.Repository{URL: "ssh://h/x.git", CommitURLTemplate: "https://w/c/{sha}"}, "https://w/c/{sha}", "on once a Jira site is logged in (the default)"},
		{store.Repository{URL: "/srv/git/x.git", Link: &on}, "(missing)", "on"},
	} {
		rows := SummaryRows(c.r, false)
		if got := row(rows, "Web page"); got != c.web {
			t.Errorf("%s: web page %q, want %q", c.r.URL, got, c.web)
		}
		if got := row(rows, "Jira links"); got != c.link {
			t.Errorf("%s: links %q, want %q", c.r.URL, got, c.link)
		}
	}
}
