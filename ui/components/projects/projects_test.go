package projects

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/uitest"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

type fixed []jira.Project

func (f fixed) Projects(context.Context) ([]jira.Project, error) { return f, nil }

func many() fixed {
	var ps fixed
	for _, k := range []string{"API", "APP", "BACK", "CORE", "DATA", "DOCS", "FRONT", "INFRA", "MOB", "OPS", "PAY", "PROJ", "QA", "SEC", "WEB"} {
		ps = append(ps, jira.Project{Key: k, Name: strings.ToLower(k) + " team"})
	}
	return ps
}

func chosen(d *uitest.Driver[*Model]) []string {
	var got []string
	d.Intercept = func(msg tea.Msg) bool {
		if c, ok := msg.(ChosenMsg); ok {
			got = c.Projects
			return true
		}
		return false
	}
	d.Key(tea.KeyEnter).Settle()
	return got
}

// TestFilterKeepsTheCursorRowAndTheFilterOnScreen (issue 15, defect 1):
// scrolled to the end of a long list, typing a filter shows the filter
// line and the row under the cursor, and space selects that row.
func TestFilterKeepsTheCursorRowAndTheFilterOnScreen(t *testing.T) {
	d := uitest.NewDriver(t, New(common.New(), "permissions", many(), nil), 60, 12)
	d.Until("loaded", func(m *Model) bool { return m.Loaded() })
	d.Key(tea.KeyDown)
	for range 16 {
		d.Key(tea.KeyDown)
	}
	if v := d.View(); !strings.Contains(v, "› [ ] WEB") || !strings.Contains(v, "Filter:") {
		t.Fatalf("at the end of the list the cursor row or the filter is off screen:\n%s", v)
	}
	if rows := strings.Count(d.View(), "\n") + 1; rows > 12 {
		t.Errorf("%d rows in a height of 12:\n%s", rows, d.View())
	}
	d.Type("o")
	v := d.View()
	if !strings.Contains(v, "Filter: o") || !strings.Contains(v, "› [ ] CORE") {
		t.Fatalf("after the filter the cursor's row (the first match) or the filter is not on screen:\n%s", v)
	}
	d.Key(tea.KeySpace)
	if s := uitest.Plain(d.Model.Status()); !strings.Contains(s, "1 selected: CORE") {
		t.Fatalf("space selected %q, not the row under the cursor", s)
	}
	if got := chosen(d); !reflect.DeepEqual(got, []string{"CORE"}) {
		t.Fatalf("chosen %v", got)
	}
}

func TestClearFilterWithCtrlU(t *testing.T) {
	d := uitest.NewDriver(t, New(common.New(), "permissions", many(), nil), 60, 30)
	d.Until("loaded", func(m *Model) bool { return m.Loaded() })
	d.Key(tea.KeyDown).Type("zzz")
	d.ViewHas("no project matches")
	d.Key(tea.KeyCtrlU)
	d.ViewHas("[ ] WEB")
}

func TestStartsFromTheCurrentChoice(t *testing.T) {
	d := uitest.NewDriver(t, New(common.New(), "permissions", nil, []string{"OPS", "PROJ"}), 60, 20)
	d.ViewHas("(•) Restrict to projects", "Project keys: OPS, PROJ")
	if got := chosen(d); !reflect.DeepEqual(got, []string{"OPS", "PROJ"}) {
		t.Fatalf("chosen %v, want the current choice", got)
	}
}

func TestDefaultIsAll(t *testing.T) {
	d := uitest.NewDriver(t, New(common.New(), "permissions", nil, nil), 60, 20)
	if got := chosen(d); !reflect.DeepEqual(got, []string{"ALL"}) {
		t.Fatalf("chosen %v", got)
	}
}
