// Package root is gitjira's root command: the command tree, help, `help
// CMD`, shell completion, version, the exit code of every error, and the
// signals that cancel a running command.
package root

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/connect"
	"github.com/gitjira/gitjira/cmd/demo"
	"github.com/gitjira/gitjira/cmd/issue"
	jiracmd "github.com/gitjira/gitjira/cmd/jira"
	"github.com/gitjira/gitjira/cmd/key"
	"github.com/gitjira/gitjira/cmd/repos"
	"github.com/gitjira/gitjira/cmd/show"
	"github.com/gitjira/gitjira/cmd/sshconfig"
)

// NewCmdRoot builds the whole command tree on f.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	connectCmd := connect.NewCmdConnect(f, nil)
	cmd := &cobra.Command{
		Use:   "gitjira",
		Short: "Connect SSH git repositories to Jira",
		Long: `gitjira connects SSH git repositories to Jira.

On a terminal, gitjira without a command opens the Manage repositories screen
once a repository is connected, and the Connect wizard (the same as gitjira
connect) before that. Scripts use the commands below with flags; --json prints
data for programs. Exit codes: 0 ok, 1 failed, 2 bad usage, 130 interrupted
or cancelled.`,
		Example: `  gitjira demo
  gitjira connect --yes --url git@git.example.com:team/app.git --key ~/.ssh/id_ed25519 --trust-host SHA256:...
  gitjira repos fetch
  gitjira issue APP-42`,
		Version: f.AppVersion,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			hint := ""
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				hint = fmt.Sprintf(" (did you mean %s?)", s[0])
			}
			return cmdutil.UsageErrorf("unknown command %q%s: run 'gitjira help' for the list of commands", args[0], hint)
		},
		// Without a command: Manage repositories on a terminal when the list
		// has a repository, else the wizard; otherwise the usage
		// on stderr and exit 2, since a script that runs plain `gitjira`
		// forgot its command.
		RunE: func(cmd *cobra.Command, args []string) error {
			if !f.IOStreams.IsTerminal() {
				fmt.Fprint(f.IOStreams.Err, cmd.UsageString())
				return &cmdutil.UsageError{}
			}
			// The Manage repositories screen is where admins live once a
			// repository is connected; the wizard is where they start.
			if hasRepositories(f.Manager()) {
				return runManage(cmd.Context(), f)
			}
			connectCmd.SetContext(cmd.Context())
			return connectCmd.RunE(connectCmd, nil)
		},
	}
	cmd.SetVersionTemplate("gitjira {{.Version}}\n")
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.Err)

	cmd.AddCommand(
		connectCmd,
		demo.NewCmdDemo(f, nil),
		repos.NewCmdRepos(f),
		key.NewCmdKey(f),
		jiracmd.NewCmdJira(f),
		issue.NewCmdIssue(f, nil),
		show.NewCmdShow(f, nil),
		sshconfig.NewCmdSSHConfig(f, nil),
		newCmdVersion(f),
	)
	cmd.SetHelpCommand(newCmdHelp())
	cmd.InitDefaultHelpCmd()
	// Made now rather than by Execute so Setup sees it: `completion` alone or
	// with an unknown shell is then a usage error like any other group's.
	cmd.InitDefaultCompletionCmd()
	for _, c := range cmd.Commands() {
		if c.Name() == "completion" {
			c.Args = cobra.ArbitraryArgs
			c.RunE = cmdutil.RunGroup
			for _, sh := range c.Commands() {
				if sh.Name() == "bash" {
					sh.Long += "\n\nThe script needs the bash-completion package (apt-get install bash-completion,\nor brew install bash-completion@2): it provides the functions the script calls."
				}
			}
			c.Long += "\n\nBash completion needs the bash-completion package (see gitjira completion bash -h)."
		}
	}
	cmdutil.Setup(cmd)
	return cmd
}

func newCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gitjira's version",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(f.IOStreams.Out, "gitjira %s\n", f.AppVersion)
			return err
		},
	}
}

// newCmdHelp is `gitjira help [COMMAND...]`: the command's help, the same as
// `gitjira COMMAND -h`, on stdout. An unknown topic is a usage error (cobra's
// own help command prints the root usage and exits 0).
func newCmdHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Help about any command",
		Long:  "Help about any command: gitjira help COMMAND prints the same as gitjira COMMAND -h.",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, _, err := c.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() || sub.Name() == "help" {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return cmdutil.UsageErrorf("help: unknown command %q: run 'gitjira help' for the list of commands", strings.Join(args, " "))
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}

// Execute runs the command line args on f with ctx and returns the exit code
// (0 ok, 1 failed, 2 bad usage, 130 cancelled or interrupted). Errors are
// printed here, once, on f's stderr.
func Execute(ctx context.Context, f *cmdutil.Factory, args []string) int {
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return cmdutil.ExitCode(ctx, f.IOStreams.Err, err)
}

// graceAfterSignal is how long a command may take to clean up after a signal
// (remove a partial clone, restore the terminal) before the process exits
// anyway: a command blocked where it cannot see its context (reading stdin)
// must not keep an interrupted process alive.
const graceAfterSignal = 5 * time.Second

// Main is Execute for the real process: SIGINT, SIGTERM and SIGHUP cancel
// the command's context; it exits with 130 once the command has cleaned up,
// or after graceAfterSignal at the latest.
func Main(f *cmdutil.Factory, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
			return
		case <-ctx.Done():
		}
		select {
		case <-finished:
		case <-time.After(graceAfterSignal):
			fmt.Fprintf(f.IOStreams.Err, "gitjira: interrupted (%v); stopped without waiting any longer\n", context.Cause(ctx))
			os.Exit(cmdutil.ExitCancelled)
		}
	}()
	return Execute(ctx, f, args)
}
