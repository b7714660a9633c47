// Package jiracmd is `gitjira jira login|projects`: the Jira site gitjira
// links commits to, and its projects.
package jiracmd

import (
	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
)

// NewCmdJira builds the `gitjira jira` group.
func NewCmdJira(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jira <command>",
		Short: "Log in to a Jira site and list its projects",
		Long: `Log in to a Jira Data Center/Server site and list its projects.

The token comes from the first line of stdin (--token-stdin), the environment
variable JIRA_TOKEN, or a masked prompt on the terminal; never from argv.`,
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.RunGroup,
	}
	cmd.AddCommand(NewCmdLogin(f, nil))
	cmd.AddCommand(NewCmdProjects(f, nil))
	return cmd
}
