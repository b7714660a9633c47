// Package key is `gitjira key inspect|convert|generate|authorize`: what a
// private key is, converting it between OpenSSH, PEM and PuTTY formats,
// making one, and adding one where a repository's host accepts it.
package key

import (
	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
)

// NewCmdKey builds the `gitjira key` group.
func NewCmdKey(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key <command>",
		Short: "Inspect, convert and generate SSH private keys",
		Long: `Inspect, convert and generate SSH private keys (OpenSSH, PEM, PKCS#8, PuTTY .ppk).

A passphrase never comes from the command line: it is read from the first line
of stdin (--passphrase-stdin), from GITJIRA_PASSPHRASE, or from a prompt when
stdin is a terminal. With FILE "-" the key is read from stdin after those lines.`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.RunGroup,
	}
	cmd.AddCommand(NewCmdInspect(f, nil))
	cmd.AddCommand(NewCmdConvert(f, nil))
	cmd.AddCommand(NewCmdGenerate(f, nil))
	cmd.AddCommand(NewCmdAuthorize(f, nil))
	return cmd
}

// fileArg is the Args of inspect and convert: exactly one FILE (or -).
func fileArg(name string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch len(args) {
		case 0:
			return cmdutil.UsageErrorf("key %s: missing FILE: give the private key file, or - for stdin", name)
		case 1:
			return nil
		default:
			return cmdutil.UsageErrorf("key %s: one FILE only (got %d arguments)", name, len(args))
		}
	}
}
