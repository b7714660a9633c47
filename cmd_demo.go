package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/sshkeys"
)

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
func runDemo(s *IO, args []string) error {
	fs := newFlagSet("demo", s)
	yes := fs.Bool("yes", false, "connect without the wizard (also the default without a terminal) and show the result")
	commits := fs.Int("commits", 300, "commits in the sample repository")
	keep := fs.Bool("keep", false, "keep the demo's temporary home and print its path")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErrorf("demo: unexpected argument %q", rest[0])
	}
	if *commits < 1 || *commits > 2000 {
		return usageErrorf("demo: --commits takes a number from 1 to 2000")
	}
	tmp, err := os.MkdirTemp("", "gitjira-demo-")
	if err != nil {
		return fmt.Errorf("cannot create the demo's temporary directory: %v", err)
	}
	if *keep {
		defer fmt.Fprintf(s.Err, "demo files kept in %s (GITJIRA_HOME=%s)\n", tmp, filepath.Join(tmp, "home"))
	} else {
		defer os.RemoveAll(tmp)
	}

	root := filepath.Join(tmp, "repos")
	if err := gitserver.MakeSampleRepo(filepath.Join(root, "demo.git"), *commits); err != nil {
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
	paths := jira.Paths{Config: home, Data: home}
	o := connectOptions{
		URL:        "ssh://git@" + srv.Addr() + "/demo.git",
		Key:        keyPath,
		KnownHosts: filepath.Join(sshDir, "known_hosts"),
		paths:      &paths,
		lister:     sampleProjects,
		sshDir:     sshDir,
		sshConfg:   filepath.Join(sshDir, "config"),
		banner:     "Demo: embedded SSH git server on " + srv.Addr() + " · key " + keyPath,
	}
	interactive := !*yes && s.IsTerminal()
	if !interactive {
		// The demo's host key is the one we just made: trusting it by
		// fingerprint is exactly what an admin does after checking it.
		o.Yes = true
		o.TrustHost = sshkeys.Fingerprint(hostKey.PublicKey())
		fmt.Fprintf(s.Err, "demo: embedded SSH git server on %s serving demo.git (%d commits); key %s\n",
			srv.Addr(), gitserver.SampleCommits(*commits), key.Fingerprint)
	}
	if err := connect(s, o); err != nil {
		return err
	}
	if !interactive {
		fmt.Fprintln(s.Out, "\nCommits that mention DEMO-12 (gitjira issue DEMO-12):")
		return printIssue(s, paths, "DEMO-12", false)
	}
	return nil
}
