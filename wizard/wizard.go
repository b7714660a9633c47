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
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/keys"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/steps"
	"github.com/gitjira/gitjira/store"
)

// ErrCancelled is returned by Run when the user quit before the repository
// was added. Nothing was added, and a mirror cloned meanwhile was removed.
var ErrCancelled = errors.New("connect cancelled: no repository was added")

// ProjectLister lists the Jira projects offered by the permissions step;
// *jira.Client satisfies it.
type ProjectLister = steps.ProjectLister

// Config is what the wizard needs from its caller.
type Config struct {
	// Paths is where the repositories list, keys and mirrors go (zero: store.DefaultPaths()).
	Paths store.Paths
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

	// AgentSocket is the ssh-agent whose keys are offered beside the files:
	// "" means $SSH_AUTH_SOCK, "none" offers none.
	AgentSocket string
	// AuthorizeKey, when set, is called with the public key the user chose
	// or generated before the wizard connects with it; its message is shown.
	// The demo authorizes the key on its embedded server, as a git host's
	// "Add SSH key" page would.
	AuthorizeKey func(ssh.PublicKey) (message string, err error)
	// NextSteps replaces the finish screen's advice (and Config.Summary's).
	// Lines that start with "gitjira " are shown as commands to copy.
	NextSteps string
	// Temporary says the repository's files are deleted when the program
	// ends (the demo): the screens and the summary do not point at them.
	Temporary bool
	// HTTPClient is used for the git host's API when the key is authorized
	// by upload (nil: the default client; tests give a stand-in's).
	HTTPClient *http.Client
	// Clipboard receives the OSC 52 sequence of the copy key; Run uses the
	// program's output. nil (with New) disables copying.
	Clipboard io.Writer
	// InManage says the wizard was opened from the Manage screen: quitting
	// returns there, and the screens say so.
	InManage bool
	// Steps are the wizard's steps in order (nil: DefaultSteps()). A new
	// step is a screen over ui components, added here.
	Steps []StepFactory
}

// StepFactory makes one step of the wizard, sharing env and the draft.
type StepFactory func(env *steps.Env, d *steps.Draft, cfg Config) steps.Step

// DefaultSteps are the steps of the Connect wizard, in order.
func DefaultSteps() []StepFactory {
	return []StepFactory{
		func(e *steps.Env, d *steps.Draft, c Config) steps.Step { return steps.NewLocation(e, d, c.URL) },
		func(e *steps.Env, d *steps.Draft, c Config) steps.Step { return steps.NewKey(e, d, c.KeyPath) },
		func(e *steps.Env, d *steps.Draft, _ Config) steps.Step { return steps.NewPassphrase(e, d) },
		func(e *steps.Env, d *steps.Draft, _ Config) steps.Step { return steps.NewHostKey(e, d) },
		func(e *steps.Env, d *steps.Draft, _ Config) steps.Step { return steps.NewAuthorize(e, d) },
		func(e *steps.Env, d *steps.Draft, _ Config) steps.Step { return steps.NewClone(e, d) },
		func(e *steps.Env, d *steps.Draft, _ Config) steps.Step { return steps.NewPermissions(e, d) },
		func(e *steps.Env, d *steps.Draft, _ Config) steps.Step { return steps.NewReview(e, d) },
		func(e *steps.Env, d *steps.Draft, _ Config) steps.Step { return steps.NewFinish(e, d) },
	}
}

// withDefaults fills the empty fields.
func (c Config) withDefaults() Config {
	if c.Paths == (store.Paths{}) {
		c.Paths = store.DefaultPaths()
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
	switch c.AgentSocket {
	case "":
		c.AgentSocket = os.Getenv("SSH_AUTH_SOCK")
	case "none":
		c.AgentSocket = ""
	}
	return c
}

func (c Config) home() string {
	home, _ := os.UserHomeDir()
	return home
}

// Manager is the lifecycle manager the wizard connects with.
func (c Config) Manager() *lifecycle.Manager {
	c = c.withDefaults()
	return &lifecycle.Manager{Paths: c.Paths, KnownHostsFile: c.KnownHostsFile, SSHConfigFile: c.SSHConfigFile, Timeout: c.Timeout}
}

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
	scroll steps.Scroll
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
		Manager:        cfg.Manager(),
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
		scroll:    steps.NewScroll(env.Keys),
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
	if m.scroll.Update(msg) {
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

// View implements tea.Model.
func (m Model) View() string {
	if m.quit {
		return ""
	}
	rows := m.rows
	if rows == nil {
		m.layout()
		rows = m.rows
	}
	if m.raw {
		return frame(rows, m.width)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = common.StripMarks(r)
	}
	return strings.Join(out, "\n")
}

// layout renders the frame: the header, the step's question, its body in
// the scroll area, its message, the help. The body gives up rows first, so
// the question, the current error and the keys are always on screen.
func (m *Model) layout() {
	st := m.env.Styles
	w, h := m.width, m.height
	scr := m.active().View()
	m.screen = scr

	head := m.header(h > 0 && h < 22)
	top := splitRows(scr.Top)
	bottom := splitRows(scr.Bottom)
	if m.copied != "" {
		bottom = append(bottom, splitRows(common.Wrap(st.Success, w, "✓ "+m.copied))...)
	}
	switch {
	case m.confirmQuit:
		bottom = append(bottom, st.Value.Render("Cancel the clone and quit? (y/n)"))
	case m.quitting:
		bottom = append(bottom, st.Hint.Render("Quitting: cleaning up…"))
	}
	body := scr.Body
	helpRows := splitRows(m.helpView())

	// Fixed rows, and the blank lines that separate the parts, which go
	// first when the terminal is short.
	sepHead, sepHelp := 1, 1
	sepTop := b2i(len(top) > 0 && body != "")
	sepBottom := b2i(len(bottom) > 0 && (body != "" || len(top) > 0))
	fixed := func() int {
		return len(head) + sepHead + len(top) + sepTop + len(bottom) + sepBottom + sepHelp + len(helpRows)
	}
	bodyRows := len(splitRows(body))
	if h > 0 {
		need := min(bodyRows, 3)
		for _, drop := range []*int{&sepTop, &sepBottom, &sepHelp, &sepHead} {
			if h-fixed() >= need {
				break
			}
			*drop = 0
		}
		for h-fixed() < need && len(head) > 2 {
			head = head[:len(head)-1] // the context lines under the step title
		}
	}
	room := bodyRows
	if h > 0 {
		room = max(0, h-fixed())
	}
	m.scroll.SetSize(w, room)
	m.scroll.SetContent(body, scr.Focus)
	var bodyView []string
	if room > 0 {
		bodyView = m.scroll.Rows(st)
	}

	rows := append([]string{}, head...)
	rows = appendBlank(rows, sepHead)
	rows = append(rows, top...)
	rows = appendBlank(rows, sepTop*b2i(len(bodyView) > 0))
	rows = append(rows, bodyView...)
	rows = appendBlank(rows, sepBottom)
	rows = append(rows, bottom...)
	rows = appendBlank(rows, sepHelp)
	rows = append(rows, helpRows...)
	if h > 0 && len(rows) > h {
		// Only when even the question, the message and the keys do not fit:
		// keep the header's first line and the end (message and keys).
		rows = append(rows[:1], rows[len(rows)-h+1:]...)
	}
	m.rows = rows
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func appendBlank(rows []string, n int) []string {
	for range n {
		rows = append(rows, "")
	}
	return rows
}

// splitRows splits rendered text into rows ("" has none).
func splitRows(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// header is the title, the step and what is chosen so far; compact puts
// the banner on the title's line (short terminals).
func (m Model) header(compact bool) []string {
	st := m.env.Styles
	w := m.width
	var head []string
	title := st.App.Render("gitjira") + st.Hint.Render(" · connect a repository")
	if m.banner != "" {
		switch {
		case w <= 0 || lipgloss.Width(title)+3+lipgloss.Width(m.banner) <= w:
			title += "   " + st.Banner.Render(m.banner)
		case compact:
			title = st.App.Render("gitjira") + "  " + st.Banner.Render(common.Truncate(m.banner, w-9))
		default:
			head = append(head, title)
			title = st.Banner.Render(common.Truncate(m.banner, w))
		}
	}
	head = append(head, title)
	head = append(head, st.Header.Render(common.Truncate(fmt.Sprintf("Step %d of %d · %s", m.index(m.cur)+1, len(m.order), m.title()), w)))
	if m.after(steps.StepLocation) && m.draft.Endpoint != nil {
		head = append(head, st.Context.Render(common.Truncate("Repository "+m.draft.EndpointString(), w)))
	}
	if m.after(steps.StepKey) && m.draft.Key != nil {
		desc := "Key        " + m.draft.Key.Fingerprint
		if m.draft.Key.Fingerprint == "" {
			desc = "Key        " + m.env.Display(m.draft.KeySource)
		} else if w > 0 && lipgloss.Width(desc) > w && lipgloss.Width(m.draft.Key.Fingerprint) <= w {
			// A fingerprint is compared character by character: on a narrow
			// terminal it goes whole, without its label, rather than cut.
			desc = m.draft.Key.Fingerprint
		}
		head = append(head, st.Context.Render(common.Truncate(desc, w)))
	}
	return head
}

// title is the active step's title.
func (m Model) title() string {
	if t, ok := m.active().(steps.Titled); ok {
		return t.Title()
	}
	return m.cur.Title()
}

// after reports whether the active step comes after step id.
func (m Model) after(id steps.ID) bool {
	i := m.index(id)
	return i >= 0 && m.index(m.cur) > i
}

func (m Model) helpView() string {
	switch {
	case m.confirmQuit:
		return m.shortHelp(confirmKeys{m.env.Keys}.ShortHelp())
	case m.help.ShowAll:
		return m.help.FullHelpView(m.helpKeys().FullHelp())
	}
	return m.shortHelp(m.helpKeys().ShortHelp())
}

// frame turns the rows into what Bubble Tea writes when it does not know
// the width (raw mode). Every line starts with the cursor at its row, so a
// line the renderer skips (unchanged: it moves down one row) never shifts
// the next; a copyable line whose rows are all on screen is written whole,
// the terminal wrapping it over its rows, whose own lines then only move the
// cursor; every other line erases the rest of its row, as the renderer would
// have. The frame has one line per row, whatever it shows.
func frame(rows []string, width int) string {
	out := make([]string, 0, len(rows))
	for i := 0; i < len(rows); i++ {
		pos := fmt.Sprintf("\x1b[%d;1H", i+1)
		row := rows[i]
		if strings.HasPrefix(row, common.CodeStart) {
			j := i + 1
			for j < len(rows) && strings.HasPrefix(rows[j], common.CodeCont) {
				j++
			}
			if j-i > 1 && strings.Contains(rows[j-1], common.CodeEnd) {
				// Back to the line's first row once written: the renderer's
				// "\r\n" (or "\n" for an unchanged line) then reaches the
				// next row, as if the line had taken one row.
				whole := common.StripMarks(strings.Join(rows[i:j], ""))
				out = append(out, pos+whole+eraseRest(whole, width)+pos)
				for k := i + 1; k < j; k++ {
					out = append(out, fmt.Sprintf("\x1b[%d;1H", k+1))
				}
				i = j - 1
				continue
			}
		}
		row = common.StripMarks(row)
		out = append(out, pos+row+eraseRest(row, width))
	}
	return strings.Join(out, "\n")
}

// eraseRest erases the rest of the last row s takes, unless s ends exactly
// at the right edge (where the cursor waits on the last cell and an erase
// would take that cell).
func eraseRest(s string, width int) string {
	w := lipgloss.Width(s)
	if width > 0 && w > 0 && w%width == 0 {
		return ""
	}
	return "\x1b[K"
}

// shortHelp is the help line of the bindings (steps.HelpLine).
func (m Model) shortHelp(bindings []key.Binding) string {
	return common.HelpLine(m.env.Styles, m.width, bindings)
}

// helpKeys is the active step's bindings plus the wizard's own.
func (m Model) helpKeys() help.KeyMap {
	f := frameKeys{step: m.active().Help(), keys: m.env.Keys, typing: m.active().Typing(), scroll: m.scroll.Help(),
		helpKey: !m.active().Typing() || helpWhileTyping(m.active())}
	if m.screen.Copy != "" {
		c := m.env.Keys.Copy
		desc := "copy the " + m.screen.CopyWhat
		if f.typing {
			f.copy = key.NewBinding(key.WithKeys("ctrl+y"), key.WithHelp("ctrl+y", desc))
		} else {
			f.copy = key.NewBinding(key.WithKeys(c.Keys()...), key.WithHelp("c", desc))
		}
	}
	return f
}

type frameKeys struct {
	step   help.KeyMap
	scroll help.KeyMap
	keys   steps.KeyMap
	copy   key.Binding
	typing bool
	// helpKey: '?' shows the keys (no text field takes it)
	helpKey bool
}

func (f frameKeys) ShortHelp() []key.Binding {
	b := append([]key.Binding{}, f.step.ShortHelp()...)
	if len(f.copy.Keys()) > 0 && !hasKey(b, f.copy.Help().Key) {
		b = append(b, f.copy)
	}
	b = append(b, f.scroll.ShortHelp()...)
	b = append(b, f.keys.Quit)
	if f.helpKey {
		b = append(b, f.keys.Help)
	}
	return b
}

func hasKey(bs []key.Binding, k string) bool {
	for _, b := range bs {
		if b.Help().Key == k {
			return true
		}
	}
	return false
}

func (f frameKeys) FullHelp() [][]key.Binding {
	full := append([][]key.Binding{}, f.step.FullHelp()...)
	last := []key.Binding{}
	if len(f.copy.Keys()) > 0 {
		last = append(last, f.copy)
	}
	last = append(last, f.keys.PageUp, f.keys.PageDown, f.keys.Quit, common.WithDesc(f.keys.Help, "fewer keys"))
	return append(full, last)
}

type confirmKeys struct{ k steps.KeyMap }

func (c confirmKeys) ShortHelp() []key.Binding {
	return []key.Binding{common.WithDesc(c.k.Yes, "cancel and quit"), common.WithDesc(c.k.No, "keep going")}
}
func (c confirmKeys) FullHelp() [][]key.Binding { return [][]key.Binding{c.ShortHelp()} }

// Summary is the repository's summary as plain text lines, for the caller to
// print on the normal screen once the wizard has ended.
func Summary(r *store.Repository) string {
	return Config{}.Summary(r)
}

// Summary is the repository's summary and what to do next, for the caller
// to print on the normal screen once the wizard has ended: with Temporary
// it does not point at the mirror, and NextSteps replaces the advice.
func (c Config) Summary(r *store.Repository) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Added %s to the repositories list.\n", r.Name)
	for _, row := range steps.SummaryRows(*r, !c.Temporary) {
		fmt.Fprintf(&b, "  %-11s %s\n", row[0], row[1])
	}
	next := c.NextSteps
	if next == "" {
		next = steps.DefaultNextSteps(r.Name)
	}
	b.WriteString("\nNext:\n")
	for _, line := range strings.Split(next, "\n") {
		fmt.Fprintf(&b, "  %s\n", line)
	}
	return b.String()
}
