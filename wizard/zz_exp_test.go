package wizard

import (
	"context"
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/steps"
)

type fakeLister []jira.Project

func (f fakeLister) Projects(context.Context) ([]jira.Project, error) { return f, nil }

func TestExpFilter(t *testing.T) {
	var ps fakeLister
	for _, k := range []string{"API", "APP", "BACK", "CORE", "DATA", "DOCS", "FRONT", "INFRA", "MOB", "OPS", "PAY", "PROJ", "QA", "SEC", "WEB"} {
		ps = append(ps, jira.Project{Key: k, Name: k + " project"})
	}
	w := newWorld(t, worldOpts{})
	cfg := w.cfg
	cfg.Projects = ps
	cfg.Steps = []StepFactory{func(e *steps.Env, d *steps.Draft, c Config) steps.Step { return steps.NewPermissions(e, d) }}
	d := newDriver(t, cfg, 80, 24)
	d.UntilView("All projects")
	d.Settle()
	d.Key(tea.KeyDown)
	for i := 0; i < 14; i++ {
		d.Key(tea.KeyDown)
	}
	fmt.Println(d.View())
	d.Type("a")
	fmt.Println("-----\n" + d.View())
	d.Key(tea.KeySpace)
	fmt.Println("-----\n" + d.View())
}
