// Package manage is the Manage repositories screen: a Bubble Tea program
// listing every connected repository with its state, last sync and counts,
// with actions on each (sync, projects, key, details, remove), a second tab
// for the SSH keys gitjira stores, and the Connect wizard one key away. Every
// action goes through the lifecycle layer inside a tea.Cmd, so the screen
// never blocks.
//
// # Connecting another repository
//
// `c` does not run the wizard inside this program: the wizard is a program
// of its own (wizard.Run) that quits when it ends. The model instead ends
// with a "connect" result; Run then calls Config.Connect, which runs the
// wizard on the same terminal, and starts the screen again where it was
// (tab, selection, sort, filter, decrypted keys), with the outcome in the
// status line. Each program gets its own view of the input (see
// handoffInput), so no keystroke meant for one is eaten by the other.
package manage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/projects"
	"github.com/gitjira/gitjira/wizard"
)

// ProjectLister lists the Jira projects a repository may be restricted to;
// *jira.Client satisfies it (the same interface as the wizard's).
type ProjectLister = projects.Lister

// Config is what the screen needs from its caller.
type Config struct {
	// Manager runs every action (nil: one on store.DefaultPaths() with the
	// default known_hosts and ~/.ssh/config).
	Manager *lifecycle.Manager
	// Signer returns the SSH signer of a repository for syncs. nil means the
	// stored key (Repository.KeyFile) is read and parsed here. When it
	// returns an error wrapping *sshkeys.PassphraseMissingError (the key is
	// encrypted and no passphrase was to be had), the screen asks for the
	// passphrase itself, masked; the decrypted signer is kept in memory for
	// the rest of the session, the passphrase nowhere.
	Signer func(r store.Repository) (ssh.Signer, error)
	// Link, when set, pushes newly indexed commits to Jira during syncs
	// (lifecycle.SyncOptions.Link).
	Link func(ctx context.Context, r store.Repository, added []index.CommitRef) (*jira.LinkReport, error)
	// Unlink, when set, deletes a repository's Jira links; the remove
	// confirmation then offers it as a checkbox. It runs after the
	// repository is locked and before anything is deleted, and its error
	// stops the remove (lifecycle.RemoveOptions.BeforeDelete).
	Unlink func(ctx context.Context, r store.Repository) error
	// Projects lists the Jira projects for the projects editor; nil means
	// project keys are typed.
	Projects ProjectLister
	// Connect runs the Connect wizard on in/out and returns the repository
	// it added: wizard.Run. A cancelled wizard returns nil and nil or
	// wizard.ErrCancelled. nil hides the `c` action.
	Connect func(in io.Reader, out io.Writer) (*store.Repository, error)
	// SSHDir is where the key step looks for keys and writes generated ones
	// (default ~/.ssh).
	SSHDir string
	// Banner is shown in the header, like the wizard's (e.g. the demo's).
	Banner string
	// Context, when set, ends the screen when it is done (signals).
	Context context.Context
	// Now is the clock for relative times (tests); nil means time.Now.
	Now func() time.Time
}

// session is what outlives one program of Run's loop: where the user was,
// the keys decrypted so far, and the message to show on return.
type session struct {
	mu      sync.Mutex
	signers map[string]ssh.Signer // by repository name; in memory only

	tab      int
	selected [2]string // the selected row's key, per tab
	sortCol  int
	sortDesc bool
	filter   string
	flash    flash
}

func newSession() *session { return &session{signers: map[string]ssh.Signer{}} }

func (s *session) signer(name string) ssh.Signer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signers[name]
}

func (s *session) setSigner(name string, sg ssh.Signer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sg == nil {
		delete(s.signers, name)
		return
	}
	s.signers[name] = sg
}

// New makes the screen's model with lipgloss' default renderer (tests set
// its profile; Run points it at the program's output first).
func New(cfg Config) tea.Model { return newModel(cfg, newSession()) }

// Run runs the screen on in/out in the alternate screen until the user
// quits. `c` runs Config.Connect between two runs of the screen (see the
// package comment). The error is for the terminal; failed actions are shown
// on the screen, not returned.
func Run(cfg Config, in io.Reader, out io.Writer) error {
	// One renderer for out, used by our styles and the bubbles' defaults:
	// it knows whether out is a terminal and honours NO_COLOR.
	r := newRenderer(out)
	lipgloss.SetDefaultRenderer(r)
	// Ask the terminal for its background now: lipgloss would otherwise
	// query it during the first render, racing with Bubble Tea for the input.
	r.HasDarkBackground()

	ctx := cfg.Context
	if ctx == nil {
		ctx = context.Background()
	}
	input := newHandoffInput(in)
	sess := newSession()
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		m := newModel(cfg, sess)
		m.c.Clipboard = clipboard(out)
		progIn := input.next()
		final, err := tea.NewProgram(m, tea.WithInput(progIn), tea.WithOutput(out), tea.WithAltScreen(), tea.WithContext(ctx)).Run()
		input.release(progIn)
		m.c.cancel()
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the Manage screen stopped: %w", err)
		}
		fm, ok := final.(Model)
		if !ok || !fm.connectAsked || cfg.Connect == nil {
			return nil
		}
		fm.saveSession()
		wizIn := input.next()
		added, err := cfg.Connect(wizIn, out)
		input.release(wizIn)
		// The wizard set lipgloss' default renderer to its own, for the same out.
		lipgloss.SetDefaultRenderer(r)
		sess.flash = connectOutcome(added, err)
		if added != nil {
			sess.tab = tabRepos
			sess.selected[tabRepos] = added.Name
			sess.filter = ""
		}
	}
}

// connectOutcome is the status line after the wizard.
func connectOutcome(added *store.Repository, err error) flash {
	switch {
	case added != nil:
		return flash{text: fmt.Sprintf("Connected %s: %d commits, %d issue keys.", added.Name, added.Commits, added.IssueKeys)}
	case err == nil || errors.Is(err, wizard.ErrCancelled):
		return flash{text: "Connect cancelled: no repository was added."}
	}
	return flash{text: "Connect failed: " + oneLine(err), err: true}
}

// newRenderer is the renderer for the program's output: termenv decides the
// colour profile from whether out is a terminal, TERM/COLORTERM and NO_COLOR.
func newRenderer(out io.Writer, opts ...termenv.OutputOption) *lipgloss.Renderer {
	return lipgloss.NewRenderer(out, opts...)
}

// clipboard is where the copy key's OSC 52 sequence goes: the program's
// output when it is a terminal (one locked write per sequence, so it never
// lands inside a frame); nil elsewhere, nothing would receive it.
func clipboard(out io.Writer) io.Writer {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &common.LockedWriter{W: f}
}
