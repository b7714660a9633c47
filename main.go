// Command gitjira connects SSH git repositories to Jira from a terminal.
// With no arguments on a terminal it opens the Connect wizard.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code (0 ok, 1 failed, 2 bad usage).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	io := &IO{In: stdin, Out: stdout, Err: stderr}
	var err error
	if len(args) == 0 {
		if !io.IsTerminal() {
			fmt.Fprintln(stderr, usageText)
			return 2
		}
		err = runConnect(io, nil)
		return exitCode(stderr, err)
	}
	switch args[0] {
	case "connect":
		err = runConnect(io, args[1:])
	case "demo":
		err = runDemo(io, args[1:])
	case "repos":
		err = runRepos(io, args[1:])
	case "key":
		err = runKey(io, args[1:])
	case "jira":
		err = runJira(io, args[1:])
	case "issue":
		err = runIssue(io, args[1:])
	case "version", "--version":
		fmt.Fprintf(stdout, "gitjira %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usageText)
	default:
		err = usageErrorf("unknown command %q: run `gitjira help` for the list of commands", args[0])
	}
	return exitCode(stderr, err)
}

const usageText = `gitjira connects SSH git repositories to Jira.

Usage:
  gitjira                      the Connect wizard (on a terminal)
  gitjira demo                 try the wizard against an embedded SSH git server
  gitjira connect [flags]      connect a repository (wizard, or flags with --yes)
  gitjira repos [list] [--json]
  gitjira repos remove NAME
  gitjira repos fetch [NAME...] [--json] [--link]
  gitjira key inspect FILE|- [--passphrase-stdin] [--json]
  gitjira key convert FILE --to openssh|pem|ppk [-o OUT] [--passphrase-stdin] [--new-passphrase-stdin]
  gitjira key generate [--type ed25519|rsa|ecdsa] [--bits N] [--format openssh|pem] [-C COMMENT] -o FILE
  gitjira jira login --url URL [--token-stdin]
  gitjira jira projects [--json]
  gitjira issue KEY [--json]
  gitjira version

Run 'gitjira COMMAND -h' for a command's flags.`
