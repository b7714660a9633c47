// Package cmdutil is what gitjira's command packages share: the Factory
// each command is built from (streams, paths, the user's SSH files), the
// one-line usage and cancel errors and their exit codes, the JSON writer,
// --timeout, and the key-reading helpers of connect, repos fetch and key.
package cmdutil

import (
	"os"
	"path/filepath"

	"github.com/gitjira/gitjira/gitops"
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
