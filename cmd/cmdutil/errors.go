package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes (docs/CLI.md).
const (
	ExitOK        = 0
	ExitFailed    = 1   // the operation failed
	ExitUsage     = 2   // bad usage: unknown command or flag, missing argument
	ExitCancelled = 130 // interrupted by a signal, or the wizard was quit (128 + SIGINT, as shells report it)
)

// UsageError marks bad usage: exit code 2. Its message is one line; an
// empty message means the usage was printed already.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// UsageErrorf makes a UsageError.
func UsageErrorf(format string, a ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, a...)}
}

// CancelledError is the user's cancel (the wizard quit with ctrl+c or esc):
// exit code 130, with its message.
type CancelledError struct{ Msg string }

func (e *CancelledError) Error() string { return e.Msg }

// ExitCode prints err on stderr ("gitjira: ..." first, detail may follow) and
// returns the exit code for it. ctx is the command's context: when a signal
// ended it, the exit code is 130 whatever the command returned in
// consequence (a network error, a partial result).
func ExitCode(ctx context.Context, stderr io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var ce *CancelledError
	if errors.As(err, &ce) {
		fmt.Fprintf(stderr, "gitjira: %v\n", err)
		return ExitCancelled
	}
	if ctx != nil && ctx.Err() != nil {
		cause := context.Cause(ctx)
		// A signal's cause says which signal (os/signal's NotifyContext);
		// a plain cancel has nothing to add.
		if cause == nil || cause == context.Canceled {
			fmt.Fprintln(stderr, "gitjira: interrupted")
		} else {
			fmt.Fprintf(stderr, "gitjira: interrupted (%v)\n", cause)
		}
		return ExitCancelled
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		if ue.Msg != "" {
			fmt.Fprintf(stderr, "gitjira: %v\n", err)
		}
		return ExitUsage
	}
	fmt.Fprintf(stderr, "gitjira: %v\n", err)
	return ExitFailed
}

// commandName is the command's path without the program's name, as error
// messages start with it ("repos fetch: ...").
func commandName(cmd *cobra.Command) string {
	path := cmd.CommandPath()
	if i := strings.IndexByte(path, ' '); i >= 0 {
		return path[i+1:]
	}
	return path
}

// helpHint is the end of every usage error: where the flags are listed.
func helpHint(cmd *cobra.Command) string {
	return fmt.Sprintf("(%s -h lists the flags)", cmd.CommandPath())
}

// FlagError is the FlagErrorFunc of every command: a flag parse error is one
// line, naming the command and where its flags are listed, exit code 2.
func FlagError(cmd *cobra.Command, err error) error {
	if cmd.HasParent() {
		return UsageErrorf("%s: %v %s", commandName(cmd), err, helpHint(cmd))
	}
	return UsageErrorf("%v %s", err, helpHint(cmd))
}

// Setup makes a command tree behave as docs/CLI.md says: errors are printed
// once, by ExitCode, as one line (SilenceErrors, SilenceUsage); flag and
// argument errors are usage errors (exit 2) whatever validator found them,
// cobra's own (cobra.NoArgs, the completion command's) included. Call it on
// the root after every command was added.
func Setup(root *cobra.Command) {
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.SetFlagErrorFunc(FlagError)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.SilenceErrors, c.SilenceUsage = true, true
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2
		}
		if c.Args != nil {
			c.Args = usageArgs(c.Args)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// usageArgs turns an argument validator's errors into one-line usage errors.
func usageArgs(validate cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		err := validate(cmd, args)
		if err == nil {
			return nil
		}
		var ue *UsageError
		if errors.As(err, &ue) {
			return err
		}
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return UsageErrorf("%s: %s (%s -h shows how to use it)", commandName(cmd), msg, cmd.CommandPath())
	}
}

// NoArgs is the Args of a command that takes no positional argument.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageErrorf("%s: unexpected argument %q (%s -h shows how to use it)", commandName(cmd), args[0], cmd.CommandPath())
	}
	return nil
}

// RunGroup is the RunE of a command group (key, jira, completion): without a
// subcommand it is a usage error naming them; "help" prints the group's help;
// anything else is an unknown subcommand.
func RunGroup(cmd *cobra.Command, args []string) error {
	if len(args) > 0 && args[0] == "help" {
		return cmd.Help()
	}
	return GroupUsageError(cmd, args)
}

// GroupUsageError is the usage error for a group called without one of its
// subcommands (args empty) or with an unknown one (args[0]).
func GroupUsageError(cmd *cobra.Command, args []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	list := strings.Join(names, ", ")
	if i := strings.LastIndex(list, ", "); i >= 0 {
		list = list[:i] + " or " + list[i+2:]
	}
	if len(args) == 0 {
		return UsageErrorf("%s: missing subcommand: use %s (%s -h)", commandName(cmd), list, cmd.CommandPath())
	}
	hint := ""
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf(" (did you mean %s?)", s[0])
	}
	return UsageErrorf("%s: unknown subcommand %q%s: use %s (%s -h)", commandName(cmd), args[0], hint, list, cmd.CommandPath())
}
