// Package steps holds one Bubble Tea model per step of the Connect wizard
// (location, key, passphrase, host key, clone, permissions, review, finish).
// A step renders and collects input; the work is one call into the
// lifecycle layer (Plan, Clone, Commit, Abort) or a domain package (sshkeys,
// a connection check) inside a tea.Cmd, whose typed result the step shows or
// routes, with GotoMsg, to the step that fixes it. Steps report to the
// wizard with DoneMsg, BackMsg or GotoMsg; only the wizard quits.
package steps

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/keypicker"
	"github.com/gitjira/gitjira/ui/components/projects"
)

// ID identifies a step: its name, as the wizard registers and routes it
// (a Request's Owner starts with it).
type ID string

// The steps of the Connect wizard; their order is the wizard's
// (wizard.DefaultSteps), not the constants'.
const (
	StepLocation    ID = "location"
	StepKey         ID = "key"
	StepPassphrase  ID = "passphrase"
	StepHostKey     ID = "hostkey"
	StepClone       ID = "clone"
	StepPermissions ID = "permissions"
	StepReview      ID = "review"
	StepFinish      ID = "finish"
)

var titles = map[ID]string{
	StepLocation:    "Repository location",
	StepKey:         "Private key",
	StepPassphrase:  "Passphrase",
	StepHostKey:     "Host key",
	StepClone:       "Clone",
	StepPermissions: "Permissions",
	StepReview:      "Review",
	StepFinish:      "Finish",
}

// Title is the step's name as the header shows it; a step not listed here
// gives its own (Titled).
func (id ID) Title() string { return titles[id] }

// Titled is a step that names itself in the header (steps added after the
// built-in ones).
type Titled interface {
	Title() string
}

// Owner is the request owner of the step's slot ("key/paste"): its results
// are routed to the step.
func (id ID) Owner(slot string) string {
	if slot == "" {
		return string(id)
	}
	return string(id) + "/" + slot
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
	// View renders the step in the parts the wizard lays out, wrapped to the
	// width it was given.
	View() Screen
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
type ProjectLister = projects.Lister

// Env is what every step shares and does not change: where files are, the
// lifecycle manager, the Jira project source, the styles and keys, and the
// wizard's context, which is cancelled when the user quits.
type Env struct {
	Ctx context.Context
	// Manager runs the connect: Plan, Clone, Commit, Abort.
	Manager        *lifecycle.Manager
	Paths          store.Paths
	KnownHostsFile string
	SSHConfigFile  string
	// SSHDir is searched for private keys and receives generated ones; it is
	// created (0700) when a key is generated into it and it is missing.
	SSHDir   string
	Projects ProjectLister // nil: project keys are typed
	Timeout  time.Duration // connection timeout for gitops; 0 = gitops' default
	Home     string        // the user's home directory: paths under it are shown as ~/...
	// AgentSocket is the ssh-agent socket whose keys are offered ("": none).
	AgentSocket string
	// AuthorizeKey, when set, is called with the public key the user chose
	// or generated, before the wizard goes on; its message is shown (the
	// demo: "the demo server now accepts this key").
	AuthorizeKey func(ssh.PublicKey) (string, error)
	// NextSteps is shown on the finish screen ("": the default advice).
	NextSteps string
	// Temporary says the repository's files are removed when the program
	// ends (the demo): screens do not point at them as if they stayed.
	Temporary bool
	// InManage says the wizard runs from the Manage screen: quitting it
	// returns there.
	InManage bool
	Styles   Styles
	Keys     KeyMap
	// HTTPClient is used for a git host's API by the authorize step (nil:
	// the default client); tests give a stand-in's TLS client.
	HTTPClient *http.Client
	// Requests issues the ids of the steps' async work; the wizard routes
	// each result to its step, or drops it when stale (common.Reply).
	Requests *common.Requests
}

// Common is the shared UI context the steps' components are built with.
func (e *Env) Common() common.Common {
	return common.Common{Ctx: e.ctx(), Styles: e.Styles, Keys: e.Keys, Manager: e.manager(), Home: e.Home, Requests: e.requests()}
}

// requests is Env.Requests, made on first use (a step tested alone).
func (e *Env) requests() *common.Requests {
	if e.Requests == nil {
		e.Requests = &common.Requests{}
	}
	return e.Requests
}

// start begins a request of the step's slot, with a context cancelled when
// the request becomes stale.
func (e *Env) start(id ID, slot string) (common.Request, context.Context) {
	return e.requests().Start(e.ctx(), id.Owner(slot))
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

func (e *Env) manager() *lifecycle.Manager {
	if e.Manager != nil {
		return e.Manager
	}
	return &lifecycle.Manager{Paths: e.Paths, KnownHostsFile: e.KnownHostsFile, SSHConfigFile: e.SSHConfigFile, Timeout: e.Timeout}
}

// Draft is the repository being connected, filled in step by step and shared
// by all steps (they hold the same pointer). Setters reset what depends on
// the value they change.
type Draft struct {
	// Location is the text the user typed; Endpoint its parsed form; Name the
	// list name; Plan what lifecycle.Manager.Plan validated for them.
	Location string
	Endpoint *gitops.Endpoint
	Name     string
	Plan     *lifecycle.Plan
	// LocationErr is a failure the location step fixes (repository not
	// found, connection refused, name taken), sent there from a later step.
	LocationErr error

	// KeySource is the key's file path, PastedSource or an AgentSource.
	KeySource string
	// KeyRaw is the key as read or pasted (normalised); it is what gets
	// stored. Empty for a key held by ssh-agent, which cannot be copied.
	KeyRaw []byte
	// Key is the parsed key; Signer is nil until an encrypted key is decrypted.
	Key *sshkeys.Key
	// Generated is true when the key was made by the wizard.
	Generated bool
	// FromAgent is true when the key is held by ssh-agent.
	FromAgent bool
	// notes are what Env.AuthorizeKey said, by key fingerprint.
	notes map[string]string
	// AuthErr is the last refusal by the server; the key step shows the public
	// key to add while it is set.
	AuthErr *gitops.AuthError
	// unlocked are decrypted keys by the hash of their file, so choosing the
	// same key again (after going back) does not ask its passphrase again.
	unlocked map[[32]byte]*sshkeys.Key

	// HostKeyErr is the host key waiting for the user's decision (unknown or changed).
	HostKeyErr *gitops.HostKeyError
	// HostChecked is true once the host's key is known, or trusted, for Endpoint.
	HostChecked bool
	// TrustFingerprint is the unknown host key the user said to trust; the
	// clone records it in known_hosts (gitops.ConnectOptions.TrustFingerprint).
	TrustFingerprint string
	// HostKeyFingerprint is the SHA256 fingerprint of the host key accepted for Endpoint.
	HostKeyFingerprint string
	// Remote is what the connection check learnt about the repository.
	Remote *gitops.RemoteInfo

	// Staged is the cloned mirror, not in the list yet; StagedFor says for
	// which plan and key it was cloned.
	Staged    *lifecycle.Staged
	StagedFor string

	// Projects is the permission: ["ALL"] or project keys.
	Projects []string

	// WebURL and CommitURLTemplate are where the repository's commits open
	// in a browser, as the review step accepted them; both "" when the
	// address derived from the URL is certain (jira.GuessWebURL) or none
	// was given. Link says whether syncs link commits to Jira (nil until
	// the review step sets it: the default).
	WebURL, CommitURLTemplate string
	Link                      *bool

	// AuthNote says how the authorize step got the key accepted, when the
	// host took a while ("… accepted the key after 4.2s (3 tries)").
	AuthNote string
	// ToLink is the number of the added repository's commits a sync links
	// to Jira (-1 when unknown), for the finish screen.
	ToLink int
	// LinkIn is about how long linking them takes (jira.EstimateLinking
	// through lifecycle's LinkStatus).
	LinkIn time.Duration
	// Executable is the program's path for the cron line ("": gitjira).
	Executable string

	// Repo is the entry added to the repositories list by the finish step.
	Repo *store.Repository
}

// PastedSource is the KeySource of a key pasted into the wizard.
const PastedSource = keypicker.PastedSource

// AgentSource is the prefix of the KeySource of a key held by ssh-agent.
const AgentSource = keypicker.AgentSource

// SetPlan records a validated location and name; a different endpoint
// forgets what was learnt about the previous host.
func (d *Draft) SetPlan(text string, p *lifecycle.Plan) {
	d.Location = text
	d.Plan = p
	d.Name = p.Name
	d.LocationErr = nil
	e := p.Endpoint
	if d.Endpoint != nil && e != nil && d.Endpoint.String() == e.String() {
		d.Endpoint = e
		return
	}
	d.Endpoint = e
	d.HostKeyErr = nil
	d.HostChecked = false
	d.TrustFingerprint = ""
	d.HostKeyFingerprint = ""
	d.Remote = nil
	d.AuthErr = nil
}

// SetKey records the chosen key (decrypted or not).
func (d *Draft) SetKey(source string, raw []byte, k *sshkeys.Key, generated bool) {
	if d.Key == nil || k == nil || d.Key.Fingerprint == "" || d.Key.Fingerprint != k.Fingerprint {
		d.AuthErr = nil
	}
	if k != nil && k.Encrypted && k.Signer == nil {
		if u := d.unlocked[sha256.Sum256(raw)]; u != nil {
			k = u // decrypted earlier in this session
		}
	}
	if k != nil && k.Encrypted && k.Signer != nil && len(raw) > 0 {
		if d.unlocked == nil {
			d.unlocked = map[[32]byte]*sshkeys.Key{}
		}
		d.unlocked[sha256.Sum256(raw)] = k
	}
	d.KeySource = source
	d.KeyRaw = raw
	d.Key = k
	d.Generated = generated
	d.FromAgent = strings.HasPrefix(source, AgentSource)
	d.Remote = nil
}

// KeyNote is what Env.AuthorizeKey said about the chosen key ("" when
// there is no hook or it said nothing).
func (d *Draft) KeyNote() string {
	if d.Key == nil {
		return ""
	}
	return d.notes[d.Key.Fingerprint]
}

// noted reports whether Env.AuthorizeKey was called for the key.
func (d *Draft) noted(k *sshkeys.Key) bool {
	_, ok := d.notes[k.Fingerprint]
	return ok
}

func (d *Draft) setNote(fingerprint, note string) {
	if d.notes == nil {
		d.notes = map[string]string{}
	}
	d.notes[fingerprint] = note
}

// EndpointString is the canonical form of the endpoint, "" when there is none.
func (d *Draft) EndpointString() string {
	if d.Endpoint == nil {
		return ""
	}
	return d.Endpoint.String()
}

// stageKey identifies what a staged clone was made for: the plan (name and
// location) and the key. A clone for another is aborted and made again.
func (d *Draft) stageKey() string {
	if d.Plan == nil {
		return ""
	}
	fp := ""
	if d.Key != nil {
		fp = d.Key.Fingerprint
	}
	return d.Plan.Name + "\x00" + d.Plan.URL + "\x00" + fp
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
