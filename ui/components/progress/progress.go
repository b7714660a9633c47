// Package progress shows the progress of a clone or a fetch: each finished
// phase as a ✓ line, the current one with its counts, bytes and speed and,
// when its total is known, a bar. Line is the same text for the command
// line's plain progress output.
package progress

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	bprogress "github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/ui/common"
)

var phaseNames = map[gitops.Phase]string{
	gitops.PhaseConnecting:  "Connecting",
	gitops.PhaseCounting:    "Counting objects",
	gitops.PhaseCompressing: "Compressing objects",
	gitops.PhaseReceiving:   "Receiving objects",
	gitops.PhaseResolving:   "Resolving deltas",
	gitops.PhaseUpdatingRef: "Updating refs",
	gitops.PhaseDone:        "Done",
}

// PhaseName is a phase as git names it on screen ("Receiving objects").
func PhaseName(p gitops.Phase) string {
	if n, ok := phaseNames[p]; ok {
		return n
	}
	return string(p)
}

// Line is one progress event as text: "Receiving objects: 120/300, 1.5
// MiB | 512 KiB/s" (finished: without the speed).
func Line(p gitops.Progress, finished bool) string {
	line := PhaseName(p.Phase)
	switch {
	case p.Total > 0:
		line += fmt.Sprintf(": %d/%d", p.Current, p.Total)
	case p.Current > 0:
		line += fmt.Sprintf(": %d", p.Current)
	}
	if p.Bytes > 0 {
		line += ", " + common.ByteSize(p.Bytes)
		if !finished && p.BytesPerSec > 0 {
			line += " | " + common.ByteSize(int64(p.BytesPerSec)) + "/s"
		}
	}
	return line
}

// Model is the progress display.
type Model struct {
	c        common.Common
	spin     spinner.Model
	bar      bprogress.Model
	cur      gitops.Progress   // the current phase's latest event
	finished []gitops.Progress // finished phases, in order
	// Skip names a phase not to list as finished (the host says it
	// otherwise, e.g. "✓ Connected").
	Skip gitops.Phase
}

// New makes the display.
func New(c common.Common) *Model {
	bar := bprogress.New(bprogress.WithSolidFill("#9B8CFF"), bprogress.WithoutPercentage(), bprogress.WithColorProfile(c.Styles.Profile()))
	return &Model{c: c, spin: spinner.New(spinner.WithSpinner(spinner.Line)), bar: bar}
}

// Reset forgets the phases (a new attempt).
func (m *Model) Reset() { m.cur, m.finished = gitops.Progress{}, nil }

// Set records an event.
func (m *Model) Set(p gitops.Progress) {
	if m.cur.Phase != "" && p.Phase != m.cur.Phase && !m.cur.Done {
		m.finished = append(m.finished, m.cur)
	}
	if p.Done {
		m.finished = append(m.finished, p)
		m.cur = gitops.Progress{Phase: p.Phase, Done: true}
	} else {
		m.cur = p
	}
}

// Current is the latest event of the current phase.
func (m *Model) Current() gitops.Progress { return m.cur }

// Tick starts the spinner.
func (m *Model) Tick() tea.Cmd { return m.spin.Tick }

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// SetSize implements common.Component.
func (m *Model) SetSize(width, height int) {
	m.c.SetSize(width, height)
	m.bar.Width = max(10, min(50, width-30))
}

// Update implements tea.Model: the spinner's ticks.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.SetSize(msg.Width, msg.Height)
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	}
	return m, nil
}

// Spinner is the spinner's frame (for the host's own waiting lines).
func (m *Model) Spinner() string { return m.spin.View() }

// Lines are the finished phases and, when running, the current one.
func (m *Model) Lines(running bool) []string {
	st := m.c.Styles
	var out []string
	for _, p := range m.finished {
		if m.Skip != "" && p.Phase == m.Skip {
			continue
		}
		out = append(out, st.Success.Render("✓ ")+Line(p, true))
	}
	if !running {
		return out
	}
	switch {
	case m.cur.Phase == "" || m.cur.Done:
		out = append(out, m.spin.View()+" Waiting for the server…")
	case m.cur.Total > 0 && (m.cur.Phase == gitops.PhaseReceiving || m.cur.Phase == gitops.PhaseResolving):
		out = append(out, "  "+Line(m.cur, false))
		out = append(out, "  "+m.bar.ViewAs(m.cur.Fraction())+fmt.Sprintf(" %3.0f%%", 100*m.cur.Fraction()))
	default:
		// the server counts: no total yet
		out = append(out, m.spin.View()+" "+Line(m.cur, false))
	}
	return out
}

// View implements tea.Model.
func (m *Model) View() string { return strings.Join(m.Lines(true), "\n") }

// ShortHelp implements help.KeyMap: the display takes no keys.
func (m *Model) ShortHelp() []key.Binding { return nil }

// FullHelp implements help.KeyMap.
func (m *Model) FullHelp() [][]key.Binding { return nil }

var _ common.Component = (*Model)(nil)
