// Package repos is `gitjira repos [list|remove|fetch]`: the repositories
// list, removing a repository, and fetching new commits into the index.
package repos

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/lifecycle"
)

// ListOptions are the flags of `gitjira repos [list]`.
type ListOptions struct {
	IO      *cmdutil.IOStreams
	Manager *lifecycle.Manager

	JSON bool
}

// NewCmdRepos builds the `gitjira repos` group; without a subcommand it is
// `repos list`.
func NewCmdRepos(f *cmdutil.Factory) *cobra.Command {
	cmd := newCmdList(f, nil, "repos [list]")
	cmd.Short = "The repositories list: list, remove, fetch, link, set, adopt, clean"
	cmd.Long = `The repositories list. Without a subcommand, the same as ` + "`gitjira repos list`" + `.`
	cmd.Example = "  gitjira repos\n  gitjira repos fetch --link\n  gitjira repos remove app"
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 && args[0] != "help" {
			return cmdutil.GroupUsageError(cmd, args)
		}
		return nil
	}
	list := NewCmdList(f, nil)
	cmd.AddCommand(list, NewCmdRemove(f, nil), NewCmdFetch(f, nil), NewCmdLink(f, nil), NewCmdSet(f, nil),
		NewCmdAdopt(f, nil), NewCmdClean(f, nil))
	return cmd
}

// NewCmdList builds `gitjira repos list`. runF, when not nil, is called with
// the parsed options instead of runList.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	return newCmdList(f, runF, "list")
}

func newCmdList(f *cmdutil.Factory, runF func(*ListOptions) error, use string) *cobra.Command {
	opts := &ListOptions{}
	cmd := &cobra.Command{
		Use:     use,
		Short:   "Show the repositories list",
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 { // `repos help`
				return cmd.Help()
			}
			opts.IO = f.IOStreams
			opts.Manager = f.Manager()
			if runF != nil {
				return runF(opts)
			}
			return runList(opts)
		},
	}
	if use != "list" {
		cmd.Aliases = nil
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the list as a JSON array")
	return cmd
}

// repositoryNames completes a repository name: the names in the list that
// are not in args already (nothing when the list cannot be read).
func repositoryNames(f *cmdutil.Factory, args []string) []cobra.Completion {
	repos, err := f.Manager().Repositories()
	if err != nil {
		return nil
	}
	var names []cobra.Completion
	for _, r := range repos {
		if !slices.Contains(args, r.Name) {
			names = append(names, r.Name)
		}
	}
	return names
}

// runList repairs what killed runs left (one line each on stderr), prints
// the list, and ends with the orphans: files no list entry or journal owns,
// with the commands that re-add or delete them.
func runList(o *ListOptions) error {
	s := o.IO
	l, err := o.Manager.List()
	reportRecovered(s, l.Recovered, l.RecoverErr)
	if err != nil {
		return err
	}
	repos := l.Repositories
	defer reportOrphans(s, l.Orphans)
	if o.JSON {
		out := make([]cmdutil.RepositoryJSON, 0, len(repos))
		for _, r := range repos {
			j := cmdutil.NewRepositoryJSON(r)
			j.Route = cmdutil.NewRouteJSON(lifecycle.Location(r), o.Manager.SSHConfigFile)
			out = append(out, j)
		}
		return cmdutil.WriteJSON(s.Out, out)
	}
	if len(repos) == 0 {
		fmt.Fprintln(s.Out, "No repositories yet: connect one with `gitjira connect` (or try `gitjira demo`).")
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tPROJECTS\tCOMMITS\tLAST FETCHED\tSTATUS")
	for _, r := range repos {
		projects := "all"
		if !r.AllProjects() {
			projects = strings.Join(r.Projects, ",")
		}
		fetched := "never"
		if !r.LastFetched.IsZero() {
			fetched = r.LastFetched.Local().Format("2006-01-02 15:04")
		}
		status := r.Status()
		if status == "error" {
			status = "error: " + termtext.Truncate(termtext.OneLine(r.LastError), 80)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Name, termtext.Field(r.URL, 0), projects, r.Commits, fetched, status)
	}
	return tw.Flush()
}

// reportRecovered says on stderr, one line each, what recovery repaired,
// and a repair that failed (the next run retries it).
func reportRecovered(s *cmdutil.IOStreams, rep lifecycle.RecoverReport, err error) {
	for _, line := range rep.Lines() {
		fmt.Fprintf(s.Err, "gitjira: %s\n", line)
	}
	if err != nil {
		fmt.Fprintf(s.Err, "gitjira: warning: %s\n", termtext.OneLine(err.Error()))
	}
}

// reportOrphans says on stderr, one line each, which files no list entry
// or journal owns and what to do with them.
func reportOrphans(s *cmdutil.IOStreams, orphans []lifecycle.Orphan) {
	for _, o := range orphans {
		fmt.Fprintf(s.Err, "gitjira: %s\n", o.Advice())
	}
}

// oneRepositoryName is the Args check of a command on one repository.
func oneRepositoryName(command string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return cmdutil.UsageErrorf("%s: give exactly one repository name (see `gitjira repos list`)", command)
		}
		return nil
	}
}

// completeOneName completes the first argument with the list's names.
func completeOneName(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return repositoryNames(f, args), cobra.ShellCompDirectiveNoFileComp
	}
}
