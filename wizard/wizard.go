// Package wizard is the Connect wizard: a Bubble Tea program that walks from
// a repository location to a repository added to gitjira's list, one step
// (package steps) at a time, over the same lifecycle layer as `gitjira
// connect` (Plan, Clone, Commit, Abort).
package wizard

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/scroll"
	"github.com/gitjira/gitjira/ui/keys"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/steps"
	"github.com/gitjira/gitjira/store"
)

// ErrCancelled is returned by Run when the user quit before the repository
// was added. Nothing was added, and a mirror cloned meanwhile was removed.
var ErrCancelled = errors.New("connect cancelled: no repository was added")

// Model is the wizard's root model: it owns the steps, switches between
// them on their DoneMsg/BackMsg/GotoMsg, lays the active step out (its
// question and message always visible, its body in the scroll area), and
// handles quit, help, scrolling and copying.
type Model struct {
	env    *steps.Env
	draft  *steps.Draft
	cancel context.CancelFunc
	// steps are registered by id; order is the wizard's sequence.
	steps     map[steps.ID]steps.Step
	order     []steps.ID
	cur       steps.ID
	banner    string
	clipboard io.Writer

	width, height int
	// raw is set when the renderer does not know the width (Run hides it,
	// see hideSize): long copyable lines then reach the terminal whole and
	// it wraps them itself.
	raw    bool
	help   help.Model
	scroll *scroll.Model
	screen steps.Screen // the active step's, as laid out last
	rows   []string     // the frame, one terminal row each
	copied string       // what the copy key did, shown until the next key

	confirmQuit bool // "cancel the clone and quit?" is asked
	quitting    bool // waiting for the busy step to finish before quitting
	finished    bool // the user ended the wizard on the finish step
	quit        bool // tea.Quit was sent
}

// New makes the wizard. Its styles use lipgloss' default renderer; Run
// points that at the program's output first.
func New(cfg Config) Model { return NewContext(context.Background(), cfg) }

// NewContext makes the wizard with a context: when ctx is done, the work
// the steps run stops.
func NewContext(ctx context.Context, cfg Config) Model {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	env := &steps.Env{
		Ctx:            ctx,
		Manager:        cfg.manager(),
		Paths:          cfg.Paths,
		KnownHostsFile: cfg.KnownHostsFile,
		SSHConfigFile:  cfg.SSHConfigFile,
		SSHDir:         cfg.SSHDir,
		Projects:       cfg.Projects,
		Timeout:        cfg.Timeout,
		Home:           cfg.home(),
		AgentSocket:    cfg.AgentSocket,
		AuthorizeKey:   cfg.AuthorizeKey,
		NextSteps:      cfg.NextSteps,
		Temporary:      cfg.Temporary,
		Styles:         common.NewStyles(nil),
		Keys:           keys.Default(),
		Requests:       &common.Requests{},
		InManage:       cfg.InManage,
		HTTPClient:     cfg.HTTPClient,
	}
	d := &steps.Draft{}
	h := common.NewHelpModel(env.Styles)
	m := Model{
		env:       env,
		draft:     d,
		cancel:    cancel,
		banner:    cfg.Banner,
		clipboard: cfg.Clipboard,
		help:      h,
		scroll:    scroll.New(env.Common(), scroll.PageKeys(env.Keys)),
		steps:     map[steps.ID]steps.Step{},
	}
	factories := cfg.Steps
	if factories == nil {
		factories = DefaultSteps()
	}
	for _, f := range factories {
		m.register(f(env, d, cfg))
	}
	if len(m.order) > 0 {
		m.cur = m.order[0]
	}
	return m
}

// register adds step s at the end of the sequence.
func (m *Model) register(s steps.Step) {
	if _, dup := m.steps[s.ID()]; dup {
		panic("wizard: step " + string(s.ID()) + " registered twice")
	}
	m.steps[s.ID()] = s
	m.order = append(m.order, s.ID())
}

// index is the position of id in the sequence (-1: not registered).
func (m Model) index(id steps.ID) int {
	for i, o := range m.order {
		if o == id {
			return i
		}
	}
	return -1
}

// Run runs the wizard on in/out in the alternate screen and returns the
// repository it added, or ErrCancelled when the user quit. When ctx is done
// (a signal), the program stops as if the user quit: a clone running is
// cancelled and its files removed. The caller prints the summary
// (Config.Summary) on the normal screen.
func Run(ctx context.Context, cfg Config, in io.Reader, out io.Writer) (*store.Repository, error) {
	// One renderer for out, used by our styles and the bubbles' defaults:
	// it knows whether out is a terminal and honours NO_COLOR.
	r := newRenderer(out)
	lipgloss.SetDefaultRenderer(r)
	// Ask the terminal for its background now: lipgloss would otherwise query
	// it during the first render, racing with Bubble Tea for the input.
	r.HasDarkBackground()

	if cfg.Clipboard == nil {
		cfg.Clipboard = &common.LockedWriter{W: out}
	}
	m := NewContext(ctx, cfg)
	// Signals reach the wizard through ctx only (cmd/root cancels it on
	// SIGINT, SIGTERM, SIGHUP): Bubble Tea's own SIGTERM handler would race
	// with the context and can hang the program's shutdown.
	opts := append([]tea.ProgramOption{tea.WithInput(in), tea.WithOutput(out), tea.WithAltScreen(), tea.WithContext(ctx), tea.WithoutSignalHandler()}, ProgramOptions()...)
	final, err := tea.NewProgram(m, opts...).Run()
	m.cancel()
	fm, ok := final.(Model)
	if errors.Is(err, tea.ErrProgramKilled) && ok {
		// Stopped through ctx: clean up what a quit would have, then report
		// the outcome as a quit.
		fm.cleanup()
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("the wizard stopped: %w", err)
	}
	if !ok {
		return nil, ErrCancelled
	}
	return fm.Result()
}

// ProgramOptions are the options the wizard's program needs besides input,
// output and the alternate screen (tests that run the program use them).
func ProgramOptions() []tea.ProgramOption {
	return []tea.ProgramOption{tea.WithFilter(hideSize)}
}

// rawSizeMsg is the terminal size, hidden from Bubble Tea's renderer.
type rawSizeMsg struct{ tea.WindowSizeMsg }

// hideSize keeps the terminal size from Bubble Tea v1's renderer, which
// otherwise cuts every line at the width: a public key or a command must
// reach the terminal whole, so that the terminal soft-wraps it and a mouse
// selection copies it as one line. The wizard then does what the renderer
// did with the width itself: every line fits (or is a copyable line whose
// rows it counts), starts at its row, and erases the rest of it (see frame).
func hideSize(_ tea.Model, msg tea.Msg) tea.Msg {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		return rawSizeMsg{ws}
	}
	return msg
}

// newRenderer is the renderer for the program's output: termenv decides the
// colour profile from whether out is a terminal, TERM/COLORTERM and NO_COLOR.
func newRenderer(out io.Writer, opts ...termenv.OutputOption) *lipgloss.Renderer {
	return lipgloss.NewRenderer(out, opts...)
}

// Result is the added repository, or ErrCancelled.
func (m Model) Result() (*store.Repository, error) {
	// Once added, the repository is the result even if the user then quit
	// with ctrl+c rather than enter.
	if m.draft.Repo == nil {
		return nil, ErrCancelled
	}
	r := *m.draft.Repo
	return &r, nil
}

// Current is the active step.
func (m Model) Current() steps.ID { return m.cur }

// Draft is the repository being connected (for tests and the caller).
func (m Model) Draft() *steps.Draft { return m.draft }

// Step returns the model of step id.
func (m Model) Step(id steps.ID) steps.Step { return m.steps[id] }

func (m Model) active() steps.Step { return m.steps[m.cur] }

// Init implements tea.Model.
func (m Model) Init() tea.Cmd {
	s, cmd := m.steps[m.cur].Enter()
	m.steps[m.cur] = s // steps share their state through the draft; the map is shared too
	return cmd
}

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case rawSizeMsg:
		m.raw = true
		cmd = tea.Batch(m.resize(msg.WindowSizeMsg), tea.ClearScreen) // the terminal may have reflowed
	case tea.WindowSizeMsg:
		cmd = m.resize(msg)
	case tea.KeyMsg:
		cmd = m.updateKey(msg)
	case common.CopiedMsg:
		m.copied = msg.Text
	case steps.DoneMsg, steps.BackMsg, steps.GotoMsg:
		if m.quitting || m.quit {
			break // on the way out: no step is entered, nothing new starts
		}
		cmd = m.navigate(msg)
	case common.Reply:
		cmd = m.reply(msg)
	default:
		// Timers (spinners, cursors) and the like: the active step's.
		cmd = m.updateStep(m.cur, msg)
	}
	if m.quitting && !m.quit && !m.active().Busy() {
		cmd = tea.Batch(cmd, m.quitCmd())
	}
	m.layout()
	return m, cmd
}

func (m *Model) resize(ws tea.WindowSizeMsg) tea.Cmd {
	m.width, m.height = ws.Width, ws.Height
	m.help.Width = ws.Width
	size := tea.WindowSizeMsg{Width: ws.Width, Height: max(5, ws.Height-8)}
	cmds := make([]tea.Cmd, 0, len(m.order))
	for _, id := range m.order {
		cmds = append(cmds, m.updateStep(id, size))
	}
	return tea.Batch(cmds...)
}

// reply routes the result of async work to the step that asked for it, and
// drops it, here and only here, when it is stale: a newer request of the
// same owner was made, or the user left the step (which cancels its
// requests) or cancelled the work. Steps never check.
func (m *Model) reply(r common.Reply) tea.Cmd {
	q := r.Answers()
	if !m.env.Requests.Current(q) {
		return nil
	}
	return m.updateStep(steps.ID(q.Screen()), r)
}

// updateStep gives msg to step id (if registered).
func (m *Model) updateStep(id steps.ID, msg tea.Msg) tea.Cmd {
	s, ok := m.steps[id]
	if !ok {
		return nil
	}
	s, cmd := s.Update(msg)
	m.steps[id] = s
	return cmd
}

// navigate handles the steps' DoneMsg, BackMsg and GotoMsg.
func (m *Model) navigate(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case steps.DoneMsg:
		if msg.From == m.cur {
			if m.cur == steps.StepFinish {
				m.finished = true
				return m.quitCmd()
			}
			return m.move(+1)
		}
	case steps.BackMsg:
		if msg.From == m.cur {
			return m.move(-1)
		}
	case steps.GotoMsg:
		return m.enter(msg.To)
	}
	return nil
}

func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	k := m.env.Keys
	if m.quit {
		return nil
	}
	m.copied = ""
	if m.confirmQuit {
		switch {
		case key.Matches(msg, k.Yes), key.Matches(msg, k.Quit):
			m.confirmQuit = false
			m.quitting = true
			m.cancel() // the clone sees its context done and cleans up
		case key.Matches(msg, k.No), key.Matches(msg, k.Back):
			m.confirmQuit = false
		}
		return nil
	}
	if key.Matches(msg, k.Quit) {
		switch {
		case m.quitting:
			return nil
		case m.cloning():
			m.confirmQuit = true
			return nil
		case m.active().Busy():
			m.quitting = true
			m.cancel()
			return nil
		}
		return m.quitCmd()
	}
	if m.quitting {
		return nil
	}
	typing := m.active().Typing()
	if key.Matches(msg, k.Help) && (!typing || helpWhileTyping(m.active())) {
		m.help.ShowAll = !m.help.ShowAll
		return nil
	}
	if key.Matches(msg, k.Copy) && (!typing || msg.Type == tea.KeyCtrlY) && m.screen.Copy != "" {
		return common.Copy(m.clipboard, m.screen.Copy, m.screen.CopyWhat)
	}
	if m.scroll.Handles(msg) {
		m.scroll.Update(msg)
		return nil
	}
	s, cmd := m.active().Update(msg)
	m.steps[m.cur] = s
	return cmd
}

// helpWhileTyping reports whether the step's text fields never take '?',
// so it is the help key there too.
func helpWhileTyping(s steps.Step) bool {
	h, ok := s.(interface{ HelpKey() bool })
	return ok && h.HelpKey()
}

// cloning reports whether the clone itself runs (quitting asks first).
func (m Model) cloning() bool {
	c, ok := m.active().(steps.Clone)
	return ok && c.Cloning()
}

// quitCmd ends the program; a mirror cloned in this session that was not
// added to the list is deleted first (lifecycle.Manager.Abort), so quitting
// leaves nothing behind.
func (m *Model) quitCmd() tea.Cmd {
	m.quit = true
	m.cancel()
	if !m.finished && m.draft.Staged != nil && m.draft.Repo == nil {
		s := m.draft.Staged
		m.draft.Staged = nil
		return tea.Sequence(steps.AbortStaged(m.env, s), tea.Quit)
	}
	return tea.Quit
}

// cleanup does, synchronously, what quitting does to the files when the
// program was stopped through its context: a mirror cloned in this session
// and not added is removed.
func (m Model) cleanup() {
	m.cancel()
	if !m.finished && m.draft.Staged != nil && m.draft.Repo == nil {
		if msg := steps.AbortStaged(m.env, m.draft.Staged)(); msg != nil {
			m.draft.Staged = nil
		}
	}
}

// move goes to the next (+1) or previous (-1) step that is not skipped.
func (m *Model) move(dir int) tea.Cmd {
	i := m.index(m.cur)
	for {
		i += dir
		if i < 0 || i >= len(m.order) {
			return nil // esc on the first step: nothing before it
		}
		if id := m.order[i]; !m.steps[id].Skip() {
			return m.enter(id)
		}
	}
}

func (m *Model) enter(id steps.ID) tea.Cmd {
	if _, ok := m.steps[id]; !ok {
		if fb := steps.Fallback(id); fb != "" {
			return m.enter(fb)
		}
		return nil
	}
	if id != m.cur {
		// Leaving a step drops the results of its work still running (and
		// cancels that work): the step restarts what it needs on Enter.
		m.env.Requests.Cancel(string(m.cur))
	}
	m.cur = id
	m.help.ShowAll = false
	m.copied = ""
	m.scroll.Top()
	s, cmd := m.steps[id].Enter()
	m.steps[id] = s
	return cmd
}
