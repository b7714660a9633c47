// Package demo is `gitjira demo`: the Connect wizard against an embedded SSH
// git server on 127.0.0.1, with a sample repository and a fresh key.
package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/connect"
	"github.com/gitjira/gitjira/cmd/issue"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
)

// DemoOptions are the flags of `gitjira demo`.
type DemoOptions struct {
	IO  *cmdutil.IOStreams
	Ctx context.Context

	Yes     bool
	Commits int
	Keep    bool
	// Timeout is passed on to the connect (GITJIRA_TIMEOUT, else 60s).
	Timeout time.Duration
}

// NewCmdDemo builds `gitjira demo`. runF, when not nil, is called with the
// parsed options instead of runDemo.
func NewCmdDemo(f *cmdutil.Factory, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try the wizard against an embedded SSH git server; needs nothing but the binary",
		Long: `Start an embedded SSH git server on 127.0.0.1 with a sample repository and a
fresh key under a temporary home, and run the Connect wizard against it.

Without a terminal, or with --yes, the connect runs from flags (trusting the
embedded server's host key by its fingerprint) and the commits that mention
DEMO-12 are printed. Everything the demo made is removed on exit unless --keep.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			if opts.Commits < 1 || opts.Commits > 2000 {
				return cmdutil.UsageErrorf("demo: --commits takes a number from 1 to 2000")
			}
			if err := cmdutil.ResolveTimeout(cmd, opts.IO, &opts.Timeout); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runDemo(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Yes, "yes", false, "connect without the wizard (also the default without a terminal) and show the result")
	cmd.Flags().IntVar(&opts.Commits, "commits", 300, "`N` commits in the sample repository (1 to 2000)")
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "keep the demo's temporary home and print its path")
	return cmd
}

// demoProjects is the project list the demo's permissions step offers: the
// demo has no Jira site, and these are the projects its sample history mentions.
type demoProjects []jira.Project

func (d demoProjects) Projects(context.Context) ([]jira.Project, error) { return d, nil }

var sampleProjects = demoProjects{
	{ID: "10000", Key: "DEMO", Name: "Demo project"},
	{ID: "10001", Key: "OPS", Name: "Operations"},
	{ID: "10002", Key: "WEB", Name: "Website"},
}

// runDemo starts the embedded SSH git server on 127.0.0.1 with a sample
// repository and a fresh key under a temporary home, and runs the Connect
// wizard against it (or, with --yes or without a terminal, the same steps from
// flags). Everything it made is removed on exit unless --keep.
func runDemo(o *DemoOptions) error {
	s := o.IO
	tmp, err := os.MkdirTemp("", "gitjira-demo-")
	if err != nil {
		return fmt.Errorf("cannot create the demo's temporary directory: %v", err)
	}
	if o.Keep {
		defer fmt.Fprintf(s.Err, "demo files kept in %s (GITJIRA_HOME=%s)\n", tmp, filepath.Join(tmp, "home"))
	} else {
		defer os.RemoveAll(tmp)
	}

	root := filepath.Join(tmp, "repos")
	if err := gitserver.MakeSampleRepo(filepath.Join(root, "demo.git"), o.Commits); err != nil {
		return fmt.Errorf("cannot build the demo repository: %v", err)
	}
	sshDir := filepath.Join(tmp, "ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		return err
	}
	key, private, err := sshkeys.Generate(sshkeys.GenerateOptions{Type: "ed25519", Comment: "gitjira-demo"})
	if err != nil {
		return fmt.Errorf("cannot generate the demo key: %v", err)
	}
	keyPath := filepath.Join(sshDir, "id_ed25519")
	if err := sshkeys.WriteKeyPair(keyPath, private, key.AuthorizedKey); err != nil {
		return err
	}
	hostKey, err := gitserver.GenerateHostKey(gitserver.KeyEd25519)
	if err != nil {
		return err
	}
	srv, err := gitserver.Start(gitserver.Options{
		Root:           root,
		HostKeys:       []ssh.Signer{hostKey},
		AuthorizedKeys: []ssh.PublicKey{key.PublicKey},
	})
	if err != nil {
		return fmt.Errorf("cannot start the demo SSH server: %v", err)
	}
	defer srv.Close()

	home := filepath.Join(tmp, "home")
	paths := store.Paths{Config: home, Data: home}
	// The demo's one lifecycle manager, on its own home (connect and the
	// issue listing both use it).
	mgr := &lifecycle.Manager{Paths: paths, KnownHostsFile: filepath.Join(sshDir, "known_hosts"),
		SSHConfigFile: filepath.Join(sshDir, "config"), Timeout: o.Timeout}
	co := &connect.ConnectOptions{
		Manager:        mgr,
		IO:             s,
		Ctx:            o.Ctx,
		Paths:          paths,
		URL:            "ssh://git@" + srv.Addr() + "/demo.git",
		Key:            keyPath,
		KnownHostsFile: filepath.Join(sshDir, "known_hosts"),
		SSHDir:         sshDir,
		SSHConfigFile:  filepath.Join(sshDir, "config"),
		Timeout:        o.Timeout,
		Lister:         sampleProjects,
		Banner:         "Demo: embedded SSH git server on " + srv.Addr() + " · key " + keyPath,
		// A key generated or picked in the demo is authorized on the
		// embedded server, as a git host's "Add SSH key" page would.
		AuthorizeKey: func(pk ssh.PublicKey) (string, error) {
			srv.AuthorizeKey(pk)
			return "The demo server now accepts this key, as a git host's \"Add SSH key\" page would.", nil
		},
		Temporary: !o.Keep,
		NextSteps: "Connect a real repository (the same steps, against your git host):\n" +
			"gitjira connect\n" +
			"See which commits mention an issue:\n" +
			"gitjira issue DEMO-12\n" +
			"Try it without the wizard:\n" +
			"gitjira demo --yes",
	}
	interactive := !o.Yes && s.IsTerminal()
	if !interactive {
		// The demo's host key is the one we just made: trusting it by
		// fingerprint is exactly what an admin does after checking it.
		co.Yes = true
		co.TrustHost = sshkeys.Fingerprint(hostKey.PublicKey())
		fmt.Fprintf(s.Err, "demo: embedded SSH git server on %s serving demo.git (%d commits); key %s\n",
			srv.Addr(), gitserver.SampleCommits(o.Commits), key.Fingerprint)
	}
	if err := connect.Run(co); err != nil {
		return err
	}
	if !interactive {
		fmt.Fprintln(s.Out, "\nCommits that mention DEMO-12 (gitjira issue DEMO-12):")
		return issue.PrintCommits(s, mgr, "DEMO-12", false)
	}
	return nil
}
