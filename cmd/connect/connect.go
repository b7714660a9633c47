// Package connect is `gitjira connect`: the Connect wizard on a terminal,
// or, without one (or with --yes), the same steps from flags.
package connect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/wizard"
)

// ConnectOptions are the flags of `gitjira connect` (docs/CLI.md) and what
// the command runs with.
type ConnectOptions struct {
	IO  *cmdutil.IOStreams
	Ctx context.Context

	// Manager is the run's lifecycle manager (Factory.Manager, with
	// --known-hosts and --timeout applied); nil makes one from the fields
	// below (gitjira demo, with its own home).
	Manager *lifecycle.Manager
	// JiraClient is the configured Jira site's client (Factory.JiraClient),
	// asked only when the wizard offers the site's projects.
	JiraClient func() (*jira.Client, error)
	// Paths is where the repositories list, keys and mirrors go.
	Paths store.Paths
	// KnownHostsFile is --known-hosts, else the Factory's default.
	KnownHostsFile string
	// SSHDir and SSHConfigFile are the user's ~/.ssh and ~/.ssh/config.
	SSHDir        string
	SSHConfigFile string

	URL             string
	Key             string
	PassphraseStdin bool
	Name            string
	TrustHost       string
	AllProjects     bool
	Projects        string
	Yes             bool
	JSON            bool
	// Timeout bounds TCP connect, SSH handshake, authentication and any
	// silence of the server (--timeout).
	Timeout time.Duration
	// WebURL and CommitURL make the Jira links clickable (--web-url,
	// --commit-url); Link and NoLink are --link and --no-link.
	WebURL, CommitURL string
	Link, NoLink      bool
	// LinkIcon is --link-icon URL|none (the Jira links' icon).
	LinkIcon string

	// Set by `gitjira demo`, not by flags: the projects the permissions step
	// offers (nil: the configured Jira site's, if any) and a header line.
	Lister wizard.ProjectLister
	Banner string
	// AuthorizeKey, NextSteps and Temporary are the demo's wizard settings
	// (wizard.Config): its embedded server accepts a key the user generates
	// or picks, and its summary points at next steps, not at files it deletes.
	AuthorizeKey func(ssh.PublicKey) (string, error)
	NextSteps    string
	Temporary    bool
}

// NewCmdConnect builds `gitjira connect`. runF, when not nil, is called with
// the parsed options instead of runConnect (tests check flag parsing with it).
func NewCmdConnect(f *cmdutil.Factory, runF func(*ConnectOptions) error) *cobra.Command {
	opts := &ConnectOptions{}
	cmd := &cobra.Command{
		Use:   "connect",
		Short: "Connect a repository: the wizard on a terminal, flags otherwise",
		Long: `Connect an SSH git repository to gitjira: check the key and the host, clone
a mirror, index the commits and add it to the repositories list.

On a terminal this is the Connect wizard. Without a terminal, or with --yes
or --json, every answer comes from the flags and a missing one is an error
that names the flag.`,
		Example: `  gitjira connect
  gitjira connect --yes --url git@git.example.com:team/app.git --key ~/.ssh/id_ed25519 \
      --trust-host SHA256:... --projects APP,OPS`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.Paths = f.Paths()
			if opts.KnownHostsFile == "" {
				opts.KnownHostsFile = f.KnownHostsFile()
			}
			opts.SSHDir = f.SSHDir()
			opts.SSHConfigFile = f.SSHConfigFile()
			if err := cmdutil.ResolveTimeout(cmd, opts.IO, &opts.Timeout); err != nil {
				return err
			}
			opts.Manager = f.Manager()
			opts.Manager.KnownHostsFile, opts.Manager.Timeout = opts.KnownHostsFile, opts.Timeout
			opts.JiraClient = f.JiraClient
			if runF != nil {
				return runF(opts)
			}
			return runConnect(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.URL, "url", "", "`URL` of the repository: ssh://[user@]host[:port]/path, [user@]host:path (scp-like) or git+ssh://")
	fl.StringVar(&opts.Key, "key", "", "private key `FILE`, or - for stdin")
	fl.BoolVar(&opts.PassphraseStdin, "passphrase-stdin", false, "read the key's passphrase from the first line of stdin")
	fl.StringVar(&opts.Name, "name", "", "repository `NAME` in the list (default: last path element without .git)")
	fl.StringVar(&opts.KnownHostsFile, "known-hosts", "", "known_hosts `FILE` to check and extend (default $GITJIRA_KNOWN_HOSTS, else ~/.ssh/known_hosts)")
	fl.StringVar(&opts.TrustHost, "trust-host", "", "accept an unknown host only if its key has this `SHA256:...` fingerprint")
	fl.BoolVar(&opts.AllProjects, "all-projects", false, "associate with all Jira projects (default)")
	fl.StringVar(&opts.Projects, "projects", "", "restrict to the Jira projects `KEY[,KEY...]`")
	fl.BoolVar(&opts.Yes, "yes", false, "never prompt; fail with the missing flag named instead")
	fl.BoolVar(&opts.JSON, "json", false, "print the new repository as JSON")
	fl.StringVar(&opts.WebURL, "web-url", "", "the repository's page in a browser, `URL` (default: derived from --url for known hosts); Jira links point there")
	fl.StringVar(&opts.CommitURL, "commit-url", "", "web URL of one commit, `TEMPLATE` with {sha} (for hosts with other layouts)")
	fl.BoolVar(&opts.Link, "link", false, "link the repository's commits to their Jira issues on every sync (default once a Jira site is logged in)")
	fl.BoolVar(&opts.NoLink, "no-link", false, "never link this repository's commits to Jira")
	fl.StringVar(&opts.LinkIcon, "link-icon", "", "the Jira links' 16x16 icon, an https `URL`, or none (default: the git host's /favicon.ico)")
	cmd.MarkFlagsMutuallyExclusive("link", "no-link")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	return cmd
}

// Run is runConnect for `gitjira demo`, which sets the paths, the server and
// the project list itself.
func Run(opts *ConnectOptions) error { return runConnect(opts) }

// runConnect connects a repository: the wizard when interactive, else from
// the options alone. The repository is added only when every step passed;
// a clone interrupted (ctx) or failed leaves no mirror behind.
func runConnect(o *ConnectOptions) error {
	s := o.IO
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if o.AllProjects && o.Projects != "" {
		return cmdutil.UsageErrorf("connect: --all-projects and --projects exclude each other: pass one")
	}
	if o.TrustHost != "" && !strings.HasPrefix(o.TrustHost, "SHA256:") {
		return cmdutil.UsageErrorf("connect: --trust-host takes a SHA256 fingerprint such as SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8")
	}
	projects, err := parseProjects(o.Projects)
	if err != nil {
		return err
	}
	paths := o.Paths
	knownHosts := o.KnownHostsFile
	sshDir := o.SSHDir
	sshConfig := o.SSHConfigFile

	if !o.Yes && !o.JSON && s.IsTerminal() {
		cfg := wizard.Config{
			Paths:          paths,
			KnownHostsFile: knownHosts,
			SSHConfigFile:  sshConfig,
			SSHDir:         sshDir,
			Lifecycle:      o.manager(),
			URL:            o.URL,
			KeyPath:        o.Key,
			Banner:         o.Banner,
			Projects:       o.Lister,
			Timeout:        o.Timeout,
			AuthorizeKey:   o.AuthorizeKey,
			NextSteps:      o.NextSteps,
			Temporary:      o.Temporary,
		}
		if cfg.Projects == nil && o.JiraClient != nil {
			if c, err := o.JiraClient(); err == nil {
				cfg.Projects = c
			}
		}
		repo, err := runWizard(ctx, cfg, s)
		if errors.Is(err, wizard.ErrCancelled) {
			return &cmdutil.CancelledError{Msg: "cancelled; nothing was added"}
		}
		if err != nil {
			return err
		}
		fmt.Fprint(s.Out, cfg.Summary(repo))
		if line := jira.PendingLinksLine(paths, *repo); line != "" {
			fmt.Fprintln(s.Out, line)
		}
		return nil
	}

	// Without a terminal (or with --yes/--json): every answer comes from
	// flags, and the lifecycle layer validates them all before any network
	// or disk work (name, location through ~/.ssh/config, duplicates).
	if o.URL == "" {
		return cmdutil.UsageErrorf("connect: --url is required without a terminal (e.g. --url git@host:group/repo.git)")
	}
	commit := lifecycle.CommitRequest{Link: o.link()}
	if o.WebURL != "" {
		u, err := jira.NormalizeWebURL(o.WebURL)
		if err != nil {
			return cmdutil.UsageErrorf("connect: --web-url: %v", err)
		}
		commit.WebURL = u
	}
	if o.CommitURL != "" {
		if err := jira.CheckCommitURLTemplate(o.CommitURL); err != nil {
			return cmdutil.UsageErrorf("connect: --commit-url: %v", err)
		}
		commit.CommitURLTemplate = o.CommitURL
	}
	if o.LinkIcon != "" {
		icon, err := jira.NormalizeLinkIcon(o.LinkIcon)
		if err != nil {
			return cmdutil.UsageErrorf("connect: --link-icon: %v", err)
		}
		commit.LinkIcon = icon
	}
	m := o.manager()
	plan, err := m.Plan(lifecycle.ConnectRequest{URL: o.URL, Name: o.Name, Projects: projects})
	if err != nil {
		if errors.Is(err, lifecycle.ErrInvalid) && !isURLError(err) {
			return cmdutil.UsageErrorf("connect: %v", err)
		}
		return err
	}
	if o.Key == "" {
		// As ssh does: the IdentityFile the SSH config names for the
		// location (its private file, or the .pub of a key only an agent
		// holds).
		o.Key = configIdentity(plan.Endpoint)
		if o.Key == "" {
			return cmdutil.UsageErrorf("connect: --key is required without a terminal (a private key file, or - for stdin), unless the SSH config names an IdentityFile for the location")
		}
		fmt.Fprintf(s.Err, "using %s (IdentityFile of the SSH config)\n", o.Key)
	}
	raw, key, err := loadConnectKey(ctx, s, o.Key, o.PassphraseStdin)
	if pub := (*sshkeys.PublicKeyGivenError)(nil); errors.As(err, &pub) && pub.Fingerprint != "" {
		// A public key (or certificate) whose private half only the agent
		// holds (a hardware key, a password manager's agent): use the agent.
		key, err = agentKeyFor(s, plan.Endpoint, o.Key, pub.Fingerprint)
		commit.KeyInAgent = true
	}
	if err != nil {
		return err
	}
	commit.KeyRaw, commit.KeyFingerprint = raw, key.Fingerprint
	if o.Key != "-" {
		commit.KeyOrigin = o.Key
		if abs, err := filepath.Abs(o.Key); err == nil {
			commit.KeyOrigin = abs
		}
	}
	ep := plan.Endpoint
	fmt.Fprintf(s.Err, "connecting to %s as %s with key %s\n", ep.Addr(), ep.User, key.Fingerprint)

	progress := make(chan gitops.Progress, 64)
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		printProgress(s, progress)
	}()
	staged, err := m.Clone(ctx, plan, lifecycle.CloneOptions{Signer: key.Signer, TrustFingerprint: o.TrustHost, Progress: progress})
	close(progress)
	<-printed
	if err != nil {
		return connectError(err)
	}
	res := staged.Result
	for _, w := range res.Warnings {
		fmt.Fprintf(s.Err, "gitjira: warning: %s\n", w)
	}
	fmt.Fprintf(s.Err, "host key %s verified; %s, %s, default branch %s\n", res.HostKeyFingerprint,
		termtext.Plural(res.Commits, "commit", "commits"), termtext.Plural(res.Refs, "ref", "refs"), orNone(res.DefaultBranch))
	added, err := m.Commit(staged, commit)
	if err != nil {
		return err
	}
	if o.JSON {
		return cmdutil.WriteJSON(s.Out, cmdutil.NewRepositoryJSON(added))
	}
	fmt.Fprint(s.Out, wizard.Summary(&added))
	if line := jira.PendingLinksLine(paths, added); line != "" {
		fmt.Fprintln(s.Out, line)
	}
	return nil
}

// manager is the run's lifecycle manager; gitjira demo, with a home of its
// own, gets one on its paths, known_hosts, SSH config and timeout.
func (o *ConnectOptions) manager() *lifecycle.Manager {
	if o.Manager != nil {
		return o.Manager
	}
	return &lifecycle.Manager{Paths: o.Paths, KnownHostsFile: o.KnownHostsFile, SSHConfigFile: o.SSHConfigFile, Timeout: o.Timeout}
}

// link is --link/--no-link: nil when neither was given (the default: on
// once a Jira site is logged in).
func (o *ConnectOptions) link() *bool {
	switch {
	case o.Link:
		t := true
		return &t
	case o.NoLink:
		f := false
		return &f
	}
	return nil
}

// isURLError reports a location gitops refused (an https URL, a local
// path): exit 1 with the form to use, as before, rather than bad usage.
func isURLError(err error) bool {
	var ue *gitops.URLError
	return errors.As(err, &ue)
}

func orNone(s string) string {
	if s == "" {
		return "(none: the repository is empty)"
	}
	return s
}

// runWizard runs the wizard until it ends or ctx does (a signal): the
// wizard stops through its context (tea.WithContext) and cleans up as a quit.
//
// A clone the stop cancelled deletes its partial mirror and journal in its
// own goroutine: it is waited for (lifecycle.WaitClones, within the grace
// cmd/root gives a signalled command), so the process never exits before
// its files are gone.
func runWizard(ctx context.Context, cfg wizard.Config, s *cmdutil.IOStreams) (*store.Repository, error) {
	repo, err := wizard.Run(ctx, cfg, s.In, s.Out)
	lifecycle.WaitClones(cloneCleanupWait)
	return repo, err
}

// cloneCleanupWait bounds the wait for a cancelled clone's cleanup: under
// cmd/root's five seconds of grace after a signal.
const cloneCleanupWait = 4 * time.Second

// parseProjects turns --projects into the list's projects field (["ALL"] when empty).
func parseProjects(flag string) ([]string, error) {
	if strings.TrimSpace(flag) == "" {
		return []string{"ALL"}, nil
	}
	keys, err := store.ParseProjectKeys(flag)
	if err != nil {
		return nil, cmdutil.UsageErrorf("connect: --projects: %v", err)
	}
	return keys, nil
}

// connectError adds the flag that fixes a host-key problem to gitops' message.
func connectError(err error) error {
	var hk *gitops.HostKeyError
	// A pinned fingerprint that does not match keeps gitops' warning: the
	// presented key must never be offered as the one to pin.
	if errors.As(err, &hk) && hk.Unknown() && hk.Expected == "" && !hk.Jump {
		return fmt.Errorf("host %s is not known: its %s key has fingerprint %s; check it with the host's admin, then pass --trust-host %s",
			hk.Host, hk.KeyType, hk.OfferedFingerprint, hk.OfferedFingerprint)
	}
	return err
}

// configIdentity is the first IdentityFile of the endpoint's SSH config
// that exists: the private key, else its .pub (whose private half an agent
// may hold); "" when the config names none.
func configIdentity(ep *gitops.Endpoint) string {
	if ep == nil {
		return ""
	}
	for _, f := range ep.IdentityFiles {
		for _, c := range []string{f, f + ".pub"} {
			if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
				return c
			}
		}
	}
	return ""
}

// agentKeyFor finds the key with fingerprint fp in the ssh-agent the SSH
// config names for the endpoint (IdentityAgent), else $SSH_AUTH_SOCK.
func agentKeyFor(s *cmdutil.IOStreams, ep *gitops.Endpoint, file, fp string) (*sshkeys.Key, error) {
	sock, _ := s.Getenv("SSH_AUTH_SOCK")
	if ep.Route != nil && ep.Route.IdentityAgent != "" {
		sock = ep.Route.IdentityAgent
		if sock == "none" {
			return nil, fmt.Errorf("%s is a public key and the SSH config says IdentityAgent none: give the private key file", file)
		}
	}
	k, err := sshkeys.AgentSigner(sock, fp)
	if err != nil {
		return nil, fmt.Errorf("%s is a public key (%s) and no ssh-agent holds its private half: give the private key file, or load the key with ssh-add (%s)", file, fp, err)
	}
	return k, nil
}

// loadConnectKey reads the private key for a non-interactive connect and
// decrypts it with the passphrase from --passphrase-stdin (the first line of
// stdin, before a key given as "-") or GITJIRA_PASSPHRASE. It never prompts.
func loadConnectKey(ctx context.Context, s *cmdutil.IOStreams, file string, passphraseStdin bool) ([]byte, *sshkeys.Key, error) {
	var pass []byte
	defer func() { clear(pass) }()
	if passphraseStdin {
		line, err := cmdutil.StdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return nil, nil, err
		}
		pass = []byte(line)
	}
	raw, name, err := cmdutil.ReadKeyInput(s, file)
	if err != nil {
		return nil, nil, err
	}
	// No prompt: without a terminal (or with --yes) connect never asks.
	k, locked, err := cmdutil.OpenKey(ctx, s, raw, name, pass, "")
	if err != nil {
		return nil, nil, err
	}
	if locked != nil {
		fp := ""
		if locked.Key != nil && locked.Key.Fingerprint != "" {
			fp = " (" + locked.Key.Fingerprint + ")"
		}
		return nil, nil, fmt.Errorf("%s%s is encrypted: pass its passphrase with --passphrase-stdin or %s", name, fp, cmdutil.PassphraseEnv)
	}
	return raw, k, nil
}
