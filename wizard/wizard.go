// Package wizard is the Connect wizard: a Bubble Tea program that walks from
// a repository location to a repository added to gitjira's list, one step
// (package steps) at a time, with the same domain calls as `gitjira connect`.
package wizard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/steps"
)

// ErrCancelled is returned by Run when the user quit before the repository
// was added. Nothing was added, and a mirror cloned meanwhile was removed.
var ErrCancelled = errors.New("connect cancelled: no repository was added")

// ProjectLister lists the Jira projects offered by the permissions step;
// *jira.Client satisfies it.
type ProjectLister = steps.ProjectLister

// Config is what the wizard needs from its caller.
type Config struct {
	// Paths is where the repositories list, keys and mirrors go (zero: jira.DefaultPaths()).
	Paths jira.Paths
	// KnownHostsFile is checked and extended (default gitops.DefaultKnownHostsFile()).
	KnownHostsFile string
	// SSHConfigFile is read for Host aliases and IdentityFile (default ~/.ssh/config).
	SSHConfigFile string
	// SSHDir is searched for private keys and receives generated ones (default ~/.ssh).
	SSHDir string
	// URL and KeyPath prefill the location and the key (the demo uses them).
	URL, KeyPath string
	// Banner is shown in the header, e.g. "Demo: embedded server on 127.0.0.1:2222".
	Banner string
	// Projects lists the Jira projects; nil means project keys are typed.
	Projects ProjectLister
	// Timeout bounds dial, handshake and authentication (0: gitops' default).
	Timeout time.Duration
}

// withDefaults fills the empty fields.
func (c Config) withDefaults() Config {
	if c.Paths == (jira.Paths{}) {
		c.Paths = jira.DefaultPaths()
	}
	if c.KnownHostsFile == "" {
		c.KnownHostsFile = gitops.DefaultKnownHostsFile()
	}
	if c.SSHConfigFile == "" {
		c.SSHConfigFile = gitops.DefaultSSHConfigFile()
	}
	if c.SSHDir == "" && c.home() != "" {
		c.SSHDir = filepath.Join(c.home(), ".ssh")
	}
	return c
}

func (c Config) home() string {
	home, _ := os.UserHomeDir()
	return home
}

// Model is the wizard's root model: it owns the steps, switches between
// them on their DoneMsg/BackMsg/GotoMsg, and handles quit and help.
type Model struct {
	env    *steps.Env
	draft  *steps.Draft
	cancel context.CancelFunc
	steps  []steps.Step
	cur    steps.ID
	banner string

	width, height int
	help          help.Model

	confirmQuit bool // "cancel the clone and quit?" is asked
	quitting    bool // waiting for the busy step to finish before quitting
	finished    bool // the user ended the wizard on the finish step
	quit        bool // tea.Quit was sent
}

// New makes the wizard. Its styles use lipgloss' default renderer; Run
// points that at the program's output first.
func New(cfg Config) Model {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	env := &steps.Env{
		Ctx:            ctx,
		Paths:          cfg.Paths,
		KnownHostsFile: cfg.KnownHostsFile,
		SSHConfigFile:  cfg.SSHConfigFile,
		SSHDir:         cfg.SSHDir,
		Projects:       cfg.Projects,
		Timeout:        cfg.Timeout,
		Home:           cfg.home(),
		Styles:         steps.NewStyles(nil),
		Keys:           steps.DefaultKeyMap(),
	}
	d := &steps.Draft{}
	h := help.New()
	st := env.Styles
	h.Styles.ShortKey = st.Text
	h.Styles.ShortDesc = st.Hint
	h.Styles.ShortSeparator = st.Hint
	h.Styles.FullKey = st.Text
	h.Styles.FullDesc = st.Hint
	h.Styles.FullSeparator = st.Hint
	h.Styles.Ellipsis = st.Hint
	return Model{
		env:    env,
		draft:  d,
		cancel: cancel,
		banner: cfg.Banner,
		help:   h,
		steps: []steps.Step{
			steps.NewLocation(env, d, cfg.URL),
			steps.NewKey(env, d, cfg.KeyPath),
			steps.NewPassphrase(env, d),
			steps.NewHostKey(env, d),
			steps.NewClone(env, d),
			steps.NewPermissions(env, d),
			steps.NewFinish(env, d),
		},
	}
}

// Run runs the wizard on in/out in the alternate screen and returns the
// repository it added, or ErrCancelled when the user quit. The caller prints
// the summary (Summary) on the normal screen.
func Run(cfg Config, in io.Reader, out io.Writer) (*jira.Repository, error) {
	// One renderer for out, used by our styles and the bubbles' defaults:
	// it knows whether out is a terminal and honours NO_COLOR.
	r := newRenderer(out)
	lipgloss.SetDefaultRenderer(r)
	// Ask the terminal for its background now: lipgloss would otherwise query
	// it during the first render, racing with Bubble Tea for the input.
	r.HasDarkBackground()

	m := New(cfg)
	final, err := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out), tea.WithAltScreen()).Run()
	m.cancel()
	if err != nil {
		return nil, fmt.Errorf("the wizard stopped: %w", err)
	}
	fm, ok := final.(Model)
	if !ok {
		return nil, ErrCancelled
	}
	return fm.Result()
}

// newRenderer is the renderer for the program's output: termenv decides the
// colour profile from whether out is a terminal, TERM/COLORTERM and NO_COLOR.
func newRenderer(out io.Writer, opts ...termenv.OutputOption) *lipgloss.Renderer {
	return lipgloss.NewRenderer(out, opts...)
}

// Result is the added repository, or ErrCancelled.
func (m Model) Result() (*jira.Repository, error) {
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
	m.steps[m.cur] = s // steps share their state through the draft; the slice is shared too
	return cmd
}

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		cmd = m.broadcast(tea.WindowSizeMsg{Width: msg.Width, Height: m.bodyHeight()})
	case tea.KeyMsg:
		cmd = m.updateKey(msg)
	case steps.DoneMsg, steps.BackMsg, steps.GotoMsg:
		if m.quitting || m.quit {
			break // on the way out: no step is entered, nothing new starts
		}
		cmd = m.navigate(msg)
	default:
		cmd = m.broadcast(msg)
	}
	if m.quitting && !m.quit && !m.active().Busy() {
		return m, tea.Batch(cmd, m.quitCmd())
	}
	return m, cmd
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
		case m.cur == steps.StepClone && m.active().Busy():
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
	if key.Matches(msg, k.Help) && !m.active().Typing() {
		m.help.ShowAll = !m.help.ShowAll
		return m.broadcast(tea.WindowSizeMsg{Width: m.width, Height: m.bodyHeight()})
	}
	s, cmd := m.active().Update(msg)
	m.steps[m.cur] = s
	return cmd
}

// quitCmd ends the program; a mirror cloned in this session that was not
// added to the list is removed first, so quitting leaves nothing behind.
func (m *Model) quitCmd() tea.Cmd {
	m.quit = true
	m.cancel()
	if !m.finished && m.draft.Clone != nil && m.draft.Repo == nil {
		dir := m.draft.Clone.Dir
		m.draft.Clone = nil
		return tea.Sequence(steps.RemoveMirror(dir), tea.Quit)
	}
	return tea.Quit
}

// broadcast gives a non-key message to every step: each ignores what is not
// its own, and a command's result reaches its step even if it was left.
func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(m.steps))
	for i, s := range m.steps {
		var c tea.Cmd
		m.steps[i], c = s.Update(msg)
		cmds = append(cmds, c)
	}
	return tea.Batch(cmds...)
}

// move goes to the next (+1) or previous (-1) step that is not skipped.
func (m *Model) move(dir int) tea.Cmd {
	id := m.cur
	for {
		id += steps.ID(dir)
		if id < 0 {
			return nil // esc on the first step: nothing before it
		}
		if id >= steps.Count {
			return nil
		}
		if !m.steps[id].Skip() {
			return m.enter(id)
		}
	}
}

func (m *Model) enter(id steps.ID) tea.Cmd {
	if id < 0 || id >= steps.Count {
		return nil
	}
	m.cur = id
	m.help.ShowAll = false
	s, cmd := m.steps[id].Enter()
	m.steps[id] = s
	return cmd
}

// headerLines and footerLines are the rows the frame around the step takes.
const (
	headerLines = 6 // title, step, repository, key, blank (+ banner when narrow)
	footerLines = 2 // blank, help
)

func (m Model) bodyHeight() int {
	h := m.height - headerLines - footerLines
	if m.help.ShowAll {
		h -= 4
	}
	return max(3, h)
}

// View implements tea.Model.
func (m Model) View() string {
	if m.quit {
		return ""
	}
	st := m.env.Styles
	w := m.width
	var head []string
	title := st.App.Render("gitjira") + st.Hint.Render(" · connect a repository")
	if m.banner != "" {
		if w <= 0 || lipgloss.Width(title)+3+lipgloss.Width(m.banner) <= w {
			title += "   " + st.Banner.Render(m.banner)
		} else {
			head = append(head, title)
			title = st.Banner.Render(truncate(m.banner, w))
		}
	}
	head = append(head, title)
	head = append(head, st.Header.Render(fmt.Sprintf("Step %d of %d · %s", int(m.cur)+1, int(steps.Count), m.cur.Title())))
	if m.cur > steps.StepLocation && m.draft.Endpoint != nil {
		head = append(head, st.Context.Render(truncate("Repository "+m.draft.EndpointString(), w)))
	}
	if m.cur > steps.StepKey && m.draft.Key != nil {
		desc := "Key        " + m.draft.Key.Fingerprint
		if m.draft.Key.Fingerprint == "" {
			desc = "Key        " + m.env.Display(m.draft.KeySource)
		}
		head = append(head, st.Context.Render(truncate(desc, w)))
	}

	body := m.active().View()
	switch {
	case m.confirmQuit:
		body += "\n\n" + st.Value.Render("Cancel the clone and quit? (y/n)")
	case m.quitting:
		body += "\n\n" + st.Hint.Render("Quitting: cleaning up…")
	}

	var helpView string
	switch {
	case m.confirmQuit:
		helpView = m.shortHelp(confirmKeys{m.env.Keys}.ShortHelp())
	case m.help.ShowAll:
		helpView = m.help.FullHelpView(m.helpKeys().FullHelp())
	default:
		helpView = m.shortHelp(m.helpKeys().ShortHelp())
	}

	// Fit the screen: the body gives up its last rows first, so the header
	// and the help line are always visible.
	headStr := strings.Join(head, "\n")
	if m.height > 0 {
		room := m.height - lipgloss.Height(headStr) - 1 - 1 - lipgloss.Height(helpView)
		lines := strings.Split(body, "\n")
		if room < 1 {
			room = 1
		}
		if len(lines) > room {
			lines = append(lines[:room-1], st.Hint.Render("…"))
		}
		body = strings.Join(lines, "\n")
	}
	return headStr + "\n\n" + body + "\n\n" + helpView
}

// shortHelp renders bindings as "key desc • key desc", wrapped to the width
// rather than cut, so every key stays visible on a narrow terminal.
func (m Model) shortHelp(bindings []key.Binding) string {
	st := m.env.Styles
	sep := st.Hint.Render(" • ")
	var lines []string
	line, lineW := "", 0
	for _, b := range bindings {
		if !b.Enabled() {
			continue
		}
		h := b.Help()
		item := st.Text.Render(h.Key) + " " + st.Hint.Render(h.Desc)
		w := lipgloss.Width(h.Key) + 1 + lipgloss.Width(h.Desc)
		switch {
		case lineW == 0:
			line, lineW = item, w
		case m.width > 0 && lineW+3+w > m.width:
			lines = append(lines, line)
			line, lineW = item, w
		default:
			line += sep + item
			lineW += 3 + w
		}
	}
	if lineW > 0 {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// truncate cuts s to width runes with an ellipsis (no-op for width <= 0).
func truncate(s string, width int) string {
	r := []rune(s)
	if width <= 0 || len(r) <= width {
		return s
	}
	return string(r[:max(0, width-1)]) + "…"
}

// helpKeys is the active step's bindings plus the wizard's own.
func (m Model) helpKeys() help.KeyMap {
	return frameKeys{step: m.active().Help(), keys: m.env.Keys, typing: m.active().Typing()}
}

type frameKeys struct {
	step   help.KeyMap
	keys   steps.KeyMap
	typing bool
}

func (f frameKeys) ShortHelp() []key.Binding {
	b := append([]key.Binding{}, f.step.ShortHelp()...)
	b = append(b, f.keys.Quit)
	if !f.typing {
		b = append(b, f.keys.Help)
	}
	return b
}

func (f frameKeys) FullHelp() [][]key.Binding {
	full := append([][]key.Binding{}, f.step.FullHelp()...)
	return append(full, []key.Binding{f.keys.Quit, withDesc(f.keys.Help, "fewer keys")})
}

func withDesc(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

type confirmKeys struct{ k steps.KeyMap }

func (c confirmKeys) ShortHelp() []key.Binding {
	return []key.Binding{withDesc(c.k.Yes, "cancel and quit"), withDesc(c.k.No, "keep going")}
}
func (c confirmKeys) FullHelp() [][]key.Binding { return [][]key.Binding{c.ShortHelp()} }

// Summary is the repository's summary as plain text lines, for the caller to
// print on the normal screen once the wizard has ended.
func Summary(r *jira.Repository) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Added %s to the repositories list.\n", r.Name)
	for _, row := range steps.SummaryRows(*r, true) {
		fmt.Fprintf(&b, "  %-11s %s\n", row[0], row[1])
	}
	return b.String()
}
