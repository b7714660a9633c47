// Package cmdutil is what gitjira's command packages share: the Factory
// each command is built from (streams, paths, the user's SSH files), the
// one-line usage and cancel errors and their exit codes, the JSON writer,
// --timeout, and the key-reading helpers of connect, repos fetch and key.
package cmdutil

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// Factory is what commands are built from, as in GitHub CLI's cmdutil: a
// command's NewCmdX reads it when it runs (not when it is built), so tests
// give each command its own streams and directories and run in parallel.
// The context is the command's (cmd.Context()): cmd/root cancels it on
// SIGINT, SIGTERM and SIGHUP.
type Factory struct {
	// AppVersion is what `gitjira version` prints.
	AppVersion string
	// IOStreams are stdin, stdout, stderr, the environment and the terminal.
	IOStreams *IOStreams
	// Paths is where gitjira's files are (GITJIRA_HOME, else the XDG directories).
	Paths func() store.Paths
	// KnownHostsFile is the default known_hosts file (GITJIRA_KNOWN_HOSTS,
	// else ~/.ssh/known_hosts); --known-hosts overrides it.
	KnownHostsFile func() string
	// SSHDir is the user's SSH directory (~/.ssh): the wizard finds keys in
	// it and writes generated ones to it.
	SSHDir func() string
	// SSHConfigFile is the OpenSSH client configuration read for Host
	// aliases (~/.ssh/config).
	SSHConfigFile func() string

	mgrOnce sync.Once
	mgr     *lifecycle.Manager

	siteOnce sync.Once
	site     *store.Site
	siteErr  error

	clientOnce sync.Once
	client     *jira.Client
	clientErr  error
}

// Manager is the lifecycle manager of this run, built once from Paths,
// KnownHostsFile and SSHConfigFile, so every command and screen reaches the
// repositories with the same SSH settings; what its repairs clean up is said
// on stderr (Manager.Notify). A command with --known-hosts or --timeout sets
// them on it before its first use.
func (f *Factory) Manager() *lifecycle.Manager {
	f.mgrOnce.Do(func() {
		f.mgr = &lifecycle.Manager{Paths: f.Paths(), KnownHostsFile: f.KnownHostsFile(), SSHConfigFile: f.SSHConfigFile(),
			Notify: func(line string) { fmt.Fprintf(f.IOStreams.Err, "gitjira: %s\n", line) }}
	})
	return f.mgr
}

// JiraSite is the configured Jira site, read once per run; nil (and no
// error) when none is configured. A site reached over plain http:// (jira
// login --insecure-http) is said so on stderr here, once per run: every
// command that sends the token reads the site through this.
func (f *Factory) JiraSite() (*store.Site, error) {
	f.siteOnce.Do(func() {
		f.site, f.siteErr = store.LoadSite(f.Paths())
		if f.site != nil {
			for _, w := range jira.SiteWarnings(*f.site) {
				fmt.Fprintf(f.IOStreams.Err, "gitjira: warning: %s\n", w)
			}
		}
	})
	return f.site, f.siteErr
}

// JiraClient is the client of the configured site, built once per run;
// jira.ErrNoSite when none is configured.
func (f *Factory) JiraClient() (*jira.Client, error) {
	f.clientOnce.Do(func() {
		site, err := f.JiraSite()
		switch {
		case err != nil:
			f.clientErr = err
		case site == nil:
			f.clientErr = jira.ErrNoSite
		default:
			f.client, f.clientErr = jira.SiteClient(*site)
		}
	})
	return f.client, f.clientErr
}

// New is the Factory of the real program: the process' streams and
// environment, and the user's directories.
func New(appVersion string) *Factory {
	return &Factory{
		AppVersion:     appVersion,
		IOStreams:      System(),
		Paths:          store.DefaultPaths,
		KnownHostsFile: gitops.DefaultKnownHostsFile,
		SSHDir:         defaultSSHDir,
		SSHConfigFile:  func() string { return filepath.Join(defaultSSHDir(), "config") },
	}
}

func defaultSSHDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".ssh"
	}
	return filepath.Join(home, ".ssh")
}
