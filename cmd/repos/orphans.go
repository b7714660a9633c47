package repos

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/lifecycle"
)

// AdoptOptions are the arguments and flags of `gitjira repos adopt`.
type AdoptOptions struct {
	IO      *cmdutil.IOStreams
	Ctx     context.Context
	Manager *lifecycle.Manager

	Name     string
	Projects string
	JSON     bool
}

// NewCmdAdopt builds `gitjira repos adopt NAME`.
func NewCmdAdopt(f *cmdutil.Factory, runF func(*AdoptOptions) error) *cobra.Command {
	opts := &AdoptOptions{}
	cmd := &cobra.Command{
		Use:   "adopt NAME",
		Short: "Re-add a repository from the mirror and key it left (an orphan)",
		Long: `Re-add a repository whose mirror and stored key are in gitjira's home but
not in the repositories list: an orphan, e.g. a repository connected after the
repositories.json.bak that was restored. gitjira repos list shows the orphans.
The location is the one the mirror was cloned from and the key the stored one;
the index is rebuilt. Nothing goes over the network: the next fetch brings it
up to date.`,
		Example: "  gitjira repos adopt app\n  gitjira repos adopt app --projects APP,OPS",
		Args:    oneRepositoryName("repos adopt"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return orphanNames(f, args), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.Manager = f.Manager()
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runAdopt(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Projects, "projects", "", "restrict to the Jira projects `KEY[,KEY...]` (default: all)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the re-added repository as JSON")
	return cmd
}

func runAdopt(o *AdoptOptions) error {
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var projects []string
	if o.Projects != "" {
		keys, err := parseProjectKeys("repos adopt", o.Projects)
		if err != nil {
			return err
		}
		projects = keys
	}
	r, err := o.Manager.Adopt(ctx, o.Name, projects)
	if errors.Is(err, lifecycle.ErrInvalid) {
		return cmdutil.UsageErrorf("repos adopt: %v", err)
	}
	if err != nil {
		return err
	}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO.Out, cmdutil.NewRepositoryJSON(r))
	}
	fmt.Fprintf(o.IO.Out, "Re-added %s (%s) from its mirror and key: %d commits, %d issue keys. Fetch it with `gitjira repos fetch %s`.\n",
		r.Name, termtext.Field(r.URL, 0), r.Commits, r.IssueKeys, r.Name)
	return nil
}

// CleanOptions are the arguments of `gitjira repos clean`.
type CleanOptions struct {
	IO      *cmdutil.IOStreams
	Ctx     context.Context
	Manager *lifecycle.Manager

	Names  []string
	DryRun bool
}

// NewCmdClean builds `gitjira repos clean [NAME...]`.
func NewCmdClean(f *cmdutil.Factory, runF func(*CleanOptions) error) *cobra.Command {
	opts := &CleanOptions{}
	cmd := &cobra.Command{
		Use:   "clean [NAME...]",
		Short: "Delete the files of orphans (mirrors and keys no list entry owns)",
		Long: `Delete the mirror, partial clones, stored key and index of the named orphans
(default: every orphan): files in gitjira's home that neither the repositories
list nor an interrupted operation owns. gitjira never deletes them by itself;
gitjira repos list shows them, and gitjira repos adopt NAME re-adds one
instead. Repositories in the list are never touched.`,
		Example: "  gitjira repos clean --dry-run\n  gitjira repos clean app",
		Args:    cobra.ArbitraryArgs,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return orphanNames(f, args), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.Manager = f.Manager()
			opts.Names = args
			if runF != nil {
				return runF(opts)
			}
			return runClean(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print what would be deleted; delete nothing")
	return cmd
}

func runClean(o *CleanOptions) error {
	s := o.IO
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if o.DryRun {
		orphans, err := o.Manager.Orphans()
		if err != nil {
			return err
		}
		if len(orphans) == 0 {
			fmt.Fprintln(s.Out, "No orphans: every mirror and key belongs to a listed repository.")
		}
		for _, or := range orphans {
			if len(o.Names) > 0 && !contains(o.Names, or.Name) {
				continue
			}
			fmt.Fprintf(s.Out, "would delete %s (%s):\n", or.Name, termtext.ByteSize(or.Bytes))
			for _, p := range or.Paths {
				fmt.Fprintf(s.Out, "  %s\n", p)
			}
		}
		return nil
	}
	done, err := o.Manager.Clean(ctx, o.Names)
	for _, or := range done {
		fmt.Fprintf(s.Out, "Deleted the files of %s (%s).\n", or.Name, termtext.ByteSize(or.Bytes))
	}
	if len(done) == 0 && err == nil {
		fmt.Fprintln(s.Out, "No orphans: every mirror and key belongs to a listed repository.")
	}
	if errors.Is(err, lifecycle.ErrInvalid) {
		return cmdutil.UsageErrorf("repos clean: %v", err)
	}
	return err
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// orphanNames completes an orphan's name.
func orphanNames(f *cmdutil.Factory, args []string) []cobra.Completion {
	orphans, err := f.Manager().Orphans()
	if err != nil {
		return nil
	}
	var names []cobra.Completion
	for _, o := range orphans {
		if !contains(args, o.Name) {
			names = append(names, o.Name)
		}
	}
	return names
}
