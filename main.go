// Command gitjira connects SSH git repositories to Jira from a terminal.
// With no arguments on a terminal it opens the Connect wizard. The commands
// live under cmd/ (cmd/root builds the tree).
package main

import (
	"os"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/root"
	"github.com/gitjira/gitjira/internal/memlimit"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	// A soft memory limit sized to the machine: the clone's and the index's
	// garbage is collected before the heap doubles (issue 9).
	memlimit.Set()
	f := cmdutil.New(version)
	os.Exit(root.Main(f, os.Args[1:]))
}
