package manage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
)

// The tabs.
const (
	tabRepos = iota
	tabKeys
	tabCount
)

var tabTitles = [tabCount]string{"Repositories", "SSH keys"}

// shared is what every part of the screen shares: the UI layer's context
// (common.Common: the context cancelled on quit, the terminal size, styles,
// the one keymap, the lifecycle manager, home, request ids, the clipboard)
// and the screen's configuration and session.
type shared struct {
	common.Common
	cfg    Config
	cancel context.CancelFunc
	sshDir string // where the key picker looks for keys and writes new ones
	sess   *session
	now    func() time.Time

	loadSeq int // the last list read asked for (the newest answer wins)
	keysSeq int
}

// flash is the status line's message.
type flash struct {
	text string
	err  bool
}

// page is a screen opened over a tab (details, projects, key, remove,
// passphrase); esc or its own end closes it with pageDoneMsg.
type page interface {
	update(msg tea.Msg) (page, tea.Cmd)
	view() string
	help() help.KeyMap
	title() string
	typing() bool
	busy() bool
}

// closedPage is what a page's update returns to close itself, at once (a
// key typed right after esc already goes to the tab): flash goes to the
// status line and reload asks for the lists again.
type closedPage struct {
	flash  flash
	reload bool
}

func closePage(f flash, reload bool) (page, tea.Cmd) {
	return closedPage{flash: f, reload: reload}, nil
}

func (closedPage) update(tea.Msg) (page, tea.Cmd) { return nil, nil }
func (closedPage) view() string                   { return "" }
func (closedPage) help() help.KeyMap              { return newHelp() }
func (closedPage) title() string                  { return "" }
func (closedPage) typing() bool                   { return false }
func (closedPage) busy() bool                     { return false }

// tickMsg refreshes the relative times and the list (another gitjira, a
// cron `repos fetch`, may have changed it).
type tickMsg struct{}

const refreshEvery = 30 * time.Second

func tick() tea.Cmd { return tea.Tick(refreshEvery, func(time.Time) tea.Msg { return tickMsg{} }) }

// Model is the screen's root model: it owns the two tabs and the open page,
// handles quit, help, tab switching and the status line, and routes each
// message to its owner.
type Model struct {
	c     *shared
	tab   int
	repos reposTab
	keys  keysTab
	page  page
	help  help.Model
	flash flash

	syncs    *syncState
	pageSize [2]int // the size the open page was last given

	quitting     bool // waiting for the work under way (syncs, a page's command) to stop
	quit         bool
	connectAsked bool // quit to run the wizard (Run does)

}

func newModel(cfg Config, sess *session) Model {
	mgr := cfg.Manager
	if mgr == nil {
		mgr = &lifecycle.Manager{Paths: store.DefaultPaths()}
	}
	parent := cfg.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	home, _ := os.UserHomeDir()
	sshDir := cfg.SSHDir
	if sshDir == "" && home != "" {
		sshDir = filepath.Join(home, ".ssh")
	}
	st := common.NewStyles(nil)
	keys := DefaultKeyMap()
	c := &shared{
		Common: common.Common{Ctx: ctx, Styles: st, Keys: keys, Manager: mgr, Home: home, Requests: &common.Requests{}},
		cfg:    cfg, cancel: cancel, sess: sess, now: now, sshDir: sshDir,
	}
	if cfg.Connect == nil {
		c.Keys.Connect.SetEnabled(false)
	}
	m := Model{
		c:     c,
		tab:   sess.tab,
		repos: newReposTab(c),
		keys:  newKeysTab(c),
		help:  newHelpModel(st),
		flash: sess.flash,
		syncs: newSyncState(),
	}
	sess.flash = flash{}
	m.layout()
	return m
}

// saveSession keeps where the user was for the next program of Run's loop.
func (m Model) saveSession() {
	s := m.c.sess
	s.tab = m.tab
	s.selected[tabRepos] = m.repos.table.SelectedKey()
	s.selected[tabKeys] = m.keys.table.SelectedKey()
	s.sortCol, s.sortDesc = m.repos.sortCol, m.repos.sortDesc
	s.filter = m.repos.filter.Value()
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd {
	return tea.Batch(m.repos.load(true), m.keys.load(), tick())
}

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	if m.quitting && !m.quit && !m.syncs.active() && (m.page == nil || !m.page.busy()) {
		m.quit = true
		cmd = tea.Batch(cmd, tea.Quit)
	}
	m.layout()
	// The page's room changes with the help under it (a mode with more
	// keys): it is told, so it never draws past the screen or short of it.
	if m.page != nil {
		w, _ := m.size()
		if size := [2]int{w, m.bodyHeight()}; size != m.pageSize {
			m.pageSize = size
			cmd = tea.Batch(cmd, m.updatePage(tea.WindowSizeMsg{Width: size[0], Height: size[1]}))
		}
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.help.Width = msg.Width
		if m.page != nil {
			return m.updatePage(tea.WindowSizeMsg{Width: msg.Width, Height: m.bodyHeight()})
		}
		return nil
	case tea.KeyMsg:
		return m.updateKey(msg)
	case tickMsg:
		if m.quit {
			return nil
		}
		return tea.Batch(m.repos.load(false), tick())
	case reposLoadedMsg:
		m.repos.loaded(msg)
		if len(msg.recovered) > 0 && msg.err == nil {
			text := strings.Join(msg.recovered, "; ")
			m.flash = flash{text: strings.ToUpper(text[:1]) + text[1:] + "."}
		}
		if m.keys.stale(msg.repos) {
			return m.keys.load()
		}
		return nil
	case keysLoadedMsg:
		m.keys.loaded(msg)
		return nil
	case signersMsg, syncProgressMsg, syncLinkMsg, syncRepoDoneMsg, syncBatchDoneMsg, passphraseDoneMsg:
		return m.updateSync(msg)
	case common.CopiedMsg:
		m.flash = flash{text: msg.Text, err: msg.Err != nil || m.c.Clipboard == nil}
		return nil
	}
	if m.page != nil {
		return m.updatePage(msg)
	}
	return m.repos.updateOther(msg)
}

// updatePage gives msg to the open page.
func (m *Model) updatePage(msg tea.Msg) tea.Cmd {
	if m.page == nil {
		return nil
	}
	var cmd tea.Cmd
	m.page, cmd = m.page.update(msg)
	return tea.Batch(cmd, m.closed())
}

// closed handles a page that closed itself: its message, a reload, and the
// next passphrase a sync waits for.
func (m *Model) closed() tea.Cmd {
	cp, ok := m.page.(closedPage)
	if !ok {
		return nil
	}
	m.page = nil
	if cp.flash.text != "" {
		m.flash = cp.flash
	}
	var cmds []tea.Cmd
	if cp.reload {
		cmds = append(cmds, m.repos.load(false), m.keys.load())
	}
	return tea.Batch(append(cmds, m.advanceSyncs())...)
}

func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	if m.quit {
		return nil
	}
	typing := m.typing()
	if key.Matches(msg, k.Quit) || (!typing && key.Matches(msg, k.QuitQ)) {
		return m.startQuit()
	}
	if m.quitting {
		return nil
	}
	if key.Matches(msg, k.Help) && !typing {
		m.help.ShowAll = !m.help.ShowAll
		if m.page != nil {
			return m.updatePage(tea.WindowSizeMsg{Width: m.c.Width, Height: m.bodyHeight()})
		}
		return nil
	}
	if m.page != nil {
		return m.updatePage(msg)
	}
	if (key.Matches(msg, k.NextMode) || key.Matches(msg, k.PrevMode)) && !typing {
		m.tab = (m.tab + 1) % tabCount
		m.help.ShowAll = false
		if m.tab == tabKeys {
			return m.keys.load()
		}
		return nil
	}
	m.flash = flash{}
	if m.tab == tabKeys {
		return m.keysKey(msg)
	}
	return m.reposKey(msg)
}

// startQuit quits, after cancelling and waiting for running work (a sync
// stopped half-way is safe: lifecycle records nothing half-done).
func (m *Model) startQuit() tea.Cmd {
	if m.quitting {
		return nil
	}
	m.quitting = true
	m.c.cancel()
	return nil
}

// typing reports whether a text field has the focus.
func (m Model) typing() bool {
	if m.page != nil {
		return m.page.typing()
	}
	return m.tab == tabRepos && m.repos.filtering
}

// open opens a page and gives it the size of the body.
func (m *Model) open(p page, cmd tea.Cmd) tea.Cmd {
	m.page = p
	m.help.ShowAll = false
	w, _ := m.size()
	m.pageSize = [2]int{w, m.bodyHeight()}
	return tea.Batch(cmd, m.updatePage(tea.WindowSizeMsg{Width: m.pageSize[0], Height: m.pageSize[1]}))
}
