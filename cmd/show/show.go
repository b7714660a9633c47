// Package show is `gitjira show REPO REV`: one commit of a connected
// repository as git show prints it, read from its mirror.
package show

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// ShowOptions are the arguments of `gitjira show`.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Paths   store.Paths
	Manager *lifecycle.Manager

	Repository string
	Revision   string
}

// NewCmdShow builds `gitjira show REPO REV`. runF, when not nil, is called
// with the parsed options instead of runShow.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{}
	cmd := &cobra.Command{
		Use:   "show REPO REV",
		Short: "Print one commit of a connected repository as git show does",
		Long: `Prints commit REV of the connected repository REPO as git show prints it:
the header, the message and the diff (a merge against its first parent, as
git show --first-parent), read from gitjira's mirror, no checkout needed.
REV is a commit id (at least 4 digits) or a branch or tag name.`,
		Example: "  gitjira show app 1a2b3c4\n  gitjira show app main | less",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return cmdutil.UsageErrorf("show: give a repository and a commit, like `gitjira show app 1a2b3c4` (gitjira repos list names the repositories)")
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			repos, _ := store.OpenRepositoryList(f.Paths()).Load()
			var names []cobra.Completion
			for _, r := range repos {
				names = append(names, r.Name)
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Paths = f.Paths()
			opts.Manager = f.Manager()
			opts.Repository, opts.Revision = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return runShow(opts)
		},
	}
	return cmd
}

func runShow(opts *ShowOptions) error {
	err := opts.Manager.WriteShow(opts.IO.Out, opts.Repository, opts.Revision)
	switch {
	case errors.Is(err, index.ErrUnknownRevision), errors.Is(err, index.ErrAmbiguousRevision):
		return cmdutil.UsageErrorf("show: %v", err)
	case err != nil:
		if _, gerr := store.OpenRepositoryList(opts.Paths).Get(opts.Repository); gerr != nil {
			return cmdutil.UsageErrorf("show: %v (gitjira repos list names the repositories)", gerr)
		}
		return fmt.Errorf("show: %w", err)
	}
	return nil
}
