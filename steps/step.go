// Package steps holds one Bubble Tea model per step of the Connect wizard
// (location, key, passphrase, host key, clone, permissions, finish). Each
// step collects input, calls sshkeys/gitops/jira inside a tea.Cmd and reports
// to the wizard with DoneMsg, BackMsg or GotoMsg; only the wizard quits.
package steps

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/sshkeys"
)

// ID identifies a step; the order of the constants is the order of the wizard.
type ID int

// The steps of the Connect wizard, in order.
const (
	StepLocation ID = iota
	StepKey
	StepPassphrase
	StepHostKey
	StepClone
	StepPermissions
	StepFinish
	// Count is the number of steps.
	Count
)

var titles = [Count]string{
	StepLocation:    "Repository location",
	StepKey:         "Private key",
	StepPassphrase:  "Passphrase",
	StepHostKey:     "Host key",
	StepClone:       "Clone",
	StepPermissions: "Permissions",
	StepFinish:      "Finish",
}

// Title is the step's name as the header shows it.
func (id ID) Title() string {
	if id < 0 || id >= Count {
		return ""
	}
	return titles[id]
}

// DoneMsg says the step From is complete; the wizard moves to the next step.
type DoneMsg struct{ From ID }

// BackMsg says the user wants the step before From; values are kept.
type BackMsg struct{ From ID }

// GotoMsg sends the wizard to the step that can fix Reason, e.g. an
// authentication refusal during the clone goes back to the key step.
type GotoMsg struct {
	To     ID
	Reason error
}

func done(id ID) tea.Cmd { return func() tea.Msg { return DoneMsg{From: id} } }
func back(id ID) tea.Cmd { return func() tea.Msg { return BackMsg{From: id} } }
func gotoStep(id ID, reason error) tea.Cmd {
	return func() tea.Msg { return GotoMsg{To: id, Reason: reason} }
}

// Step is one page of the wizard. Steps are values: Update returns the new one.
type Step interface {
	// ID says which step this is.
	ID() ID
	// Enter is called each time the step becomes the active one (forward,
	// back or goto); it returns the commands the step starts with.
	Enter() (Step, tea.Cmd)
	// Update handles a message. Key messages arrive only while the step is
	// active; other messages (command results, ticks, sizes) reach every step,
	// so each step ignores what is not its own.
	Update(msg tea.Msg) (Step, tea.Cmd)
	// View renders the step's body, wrapped to the width it was given.
	View() string
	// Help lists the step's key bindings for the help line.
	Help() help.KeyMap
	// Skip reports whether the wizard passes over this step, given the draft
	// (an unencrypted key needs no passphrase, a known host no trust decision).
	Skip() bool
	// Busy reports whether a command is running that must finish (or be
	// cancelled and finish) before the program may exit.
	Busy() bool
	// Typing reports whether a text field has the focus, so printable keys
	// such as '?' belong to it rather than to the wizard.
	Typing() bool
}

// ProjectLister lists the Jira projects a repository may be restricted to.
// *jira.Client satisfies it.
type ProjectLister interface {
	Projects(ctx context.Context) ([]jira.Project, error)
}

// Env is what every step shares and does not change: where files are, the
// Jira project source, the styles and keys, and the wizard's context, which is
// cancelled when the user quits.
type Env struct {
	Ctx            context.Context
	Paths          jira.Paths
	KnownHostsFile string
	SSHConfigFile  string
	SSHDir         string
	Projects       ProjectLister // nil: project keys are typed
	Timeout        time.Duration // connection timeout for gitops; 0 = gitops' default
	Home           string        // the user's home directory: paths under it are shown as ~/...
	Styles         Styles
	Keys           KeyMap
}

// Display shows a path the short way people write it: ~/.ssh/id_ed25519.
func (e *Env) Display(path string) string {
	if e.Home == "" || path == "" {
		return path
	}
	h := strings.TrimRight(e.Home, "/")
	if path == h {
		return "~"
	}
	if strings.HasPrefix(path, h+"/") {
		return "~" + path[len(h):]
	}
	return path
}

func (e *Env) ctx() context.Context {
	if e.Ctx == nil {
		return context.Background()
	}
	return e.Ctx
}

// Draft is the repository being connected, filled in step by step and shared
// by all steps (they hold the same pointer). Setters reset what depends on
// the value they change.
type Draft struct {
	// Location is the text the user typed; Endpoint its parsed form.
	Location string
	Endpoint *gitops.Endpoint

	// KeySource is the key's file path, or "pasted key".
	KeySource string
	// KeyRaw is the key as read or pasted (normalised); it is what gets stored.
	KeyRaw []byte
	// Key is the parsed key; Signer is nil until an encrypted key is decrypted.
	Key *sshkeys.Key
	// Generated is true when the key was made by the wizard.
	Generated bool
	// AuthErr is the last refusal by the server; the key step shows the public
	// key to add while it is set.
	AuthErr *gitops.AuthError

	// HostKeyErr is the host key waiting for the user's decision (unknown or changed).
	HostKeyErr *gitops.HostKeyError
	// HostChecked is true once the host's key is known (or trusted) for Endpoint.
	HostChecked bool
	// HostKeyFingerprint is the SHA256 fingerprint of the host key accepted for Endpoint.
	HostKeyFingerprint string

	// Name is the repository's name in the list; Clone the mirror made for it,
	// and CloneFor the endpoint (String form) it was cloned from.
	Name     string
	Clone    *gitops.CloneResult
	CloneFor string
	Remote   *gitops.RemoteInfo

	// Projects is the permission: ["ALL"] or project keys.
	Projects []string

	// Repo is the entry added to the repositories list by the finish step.
	Repo *jira.Repository
}

// PastedSource is the KeySource of a key pasted into the wizard.
const PastedSource = "pasted key"

// SetEndpoint records a parsed location; a different endpoint forgets what
// was learnt about the previous host.
func (d *Draft) SetEndpoint(text string, e *gitops.Endpoint) {
	d.Location = text
	if d.Endpoint != nil && e != nil && d.Endpoint.String() == e.String() {
		d.Endpoint = e
		return
	}
	d.Endpoint = e
	d.HostKeyErr = nil
	d.HostChecked = false
	d.HostKeyFingerprint = ""
	d.Remote = nil
	d.AuthErr = nil
}

// SetKey records the chosen key (decrypted or not).
func (d *Draft) SetKey(source string, raw []byte, k *sshkeys.Key, generated bool) {
	if d.Key == nil || k == nil || d.Key.Fingerprint == "" || d.Key.Fingerprint != k.Fingerprint {
		d.AuthErr = nil
	}
	d.KeySource = source
	d.KeyRaw = raw
	d.Key = k
	d.Generated = generated
	d.Remote = nil
}

// EndpointString is the canonical form of the endpoint, "" when there is none.
func (d *Draft) EndpointString() string {
	if d.Endpoint == nil {
		return ""
	}
	return d.Endpoint.String()
}

// connectOptions are the gitops options for the draft's endpoint and key.
func (d *Draft) connectOptions(env *Env) gitops.ConnectOptions {
	o := gitops.ConnectOptions{
		Endpoint:       d.Endpoint,
		KnownHostsFile: env.KnownHostsFile,
		Timeout:        env.Timeout,
	}
	if d.Key != nil {
		o.Signer = d.Key.Signer
	}
	return o
}

// spin advances a step's spinner while the step is busy and lets it stop
// (no next tick) when it is not, so an idle screen does not redraw.
func spin(s *spinner.Model, busy bool, msg spinner.TickMsg) tea.Cmd {
	if !busy {
		return nil
	}
	var cmd tea.Cmd
	*s, cmd = s.Update(msg)
	return cmd
}
