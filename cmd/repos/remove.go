package repos

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// RemoveOptions are the arguments of `gitjira repos remove`.
type RemoveOptions struct {
	IO *cmdutil.IOStreams
	// Manager is the run's lifecycle manager (Factory.Manager); JiraSite
	// the configured site (Factory.JiraSite), used by --unlink.
	Manager  *lifecycle.Manager
	JiraSite func() (*store.Site, error)

	Ctx context.Context

	// Name is the repository to remove from the list.
	Name string
	// Unlink first deletes the remote links gitjira created on Jira issues
	// for the repository's commits (--unlink).
	Unlink bool
}

// NewCmdRemove builds `gitjira repos remove NAME`. runF, when not nil, is
// called with the parsed options instead of runRemove.
func NewCmdRemove(f *cmdutil.Factory, runF func(*RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{}
	cmd := &cobra.Command{
		Use:               "remove NAME",
		Aliases:           []string{"rm"},
		Short:             "Remove a repository from the list and delete its mirror",
		Args:              oneRepositoryName("repos remove"),
		ValidArgsFunction: completeOneName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.Manager = f.Manager()
			opts.JiraSite = f.JiraSite
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runRemove(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Unlink, "unlink", false, "first delete the Jira links gitjira created for its commits")
	return cmd
}

// runRemove removes the repository through the lifecycle layer (under its
// name and mirror locks, with an intent journal: a run killed half-way is
// finished by the next), with --unlink first deleting the Jira links it
// created, and says what it did.
func runRemove(o *RemoveOptions) error {
	s := o.IO
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	m := o.Manager
	var ro lifecycle.RemoveOptions
	var unlinked *jira.LinkReport
	var stay, stayIssues int
	if o.Unlink {
		site, err := o.JiraSite()
		if errors.Is(err, jira.ErrNoSite) || (err == nil && site == nil) {
			return fmt.Errorf("--unlink needs the Jira site the links are on: log in with `gitjira jira login`, or remove without --unlink")
		}
		if err != nil {
			return err
		}
		ro.BeforeDelete = func(ctx context.Context, r store.Repository) error {
			rep, err := jira.Unlink(ctx, m.Paths, *site, r)
			if err != nil {
				return fmt.Errorf("could not delete the Jira links of %s (nothing was removed): %w", r.Name, err)
			}
			unlinked = &rep
			return nil
		}
	} else {
		// Without --unlink the links stay in Jira: count them before the
		// link state goes with the repository.
		ro.BeforeDelete = func(ctx context.Context, r store.Repository) error {
			stay, stayIssues, _ = jira.RecordedLinks(m.Paths, r)
			return nil
		}
	}
	r, err := m.Remove(ctx, o.Name, ro)
	if err != nil && r.Name == "" {
		return err
	}
	fmt.Fprintf(s.Out, "Removed %s from the repositories list", r.Name)
	if r.Mirror != "" {
		if _, serr := os.Stat(r.Mirror); errors.Is(serr, os.ErrNotExist) {
			fmt.Fprintf(s.Out, " and deleted its mirror %s", r.Mirror)
		} else {
			fmt.Fprintf(s.Out, "; its mirror %s is outside gitjira's data directory and was left in place", r.Mirror)
		}
	}
	fmt.Fprintln(s.Out, ".")
	if unlinked != nil {
		fmt.Fprintf(s.Out, "Deleted %d Jira links it had created.\n", unlinked.Deleted)
	}
	if stay > 0 {
		fmt.Fprintf(s.Out, "Its %d Jira links (on %d issues) stay in Jira. Connecting the same repository again updates them instead of adding new ones; to delete them, connect it again and run gitjira repos remove %s --unlink.\n", stay, stayIssues, r.Name)
	}
	return err
}
