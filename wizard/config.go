package wizard

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/steps"
	"github.com/gitjira/gitjira/store"
	"golang.org/x/crypto/ssh"
)

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
	// Lifecycle is the run's lifecycle manager (the command Factory builds
	// it once, with the SSH config, known_hosts and timeout); nil: one on
	// Paths, KnownHostsFile, SSHConfigFile and Timeout.
	Lifecycle *lifecycle.Manager
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

// manager is the lifecycle manager the wizard connects with: the caller's
// (Config.Lifecycle, the command Factory's one manager), or, for a wizard
// run alone (tests), one on the Config's settings.
func (c Config) manager() *lifecycle.Manager {
	if c.Lifecycle != nil {
		return c.Lifecycle
	}
	c = c.withDefaults()
	return &lifecycle.Manager{Paths: c.Paths, KnownHostsFile: c.KnownHostsFile, SSHConfigFile: c.SSHConfigFile, Timeout: c.Timeout}
}

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
