// Package issue is `gitjira issue KEY`: the commits that mention a Jira
// issue, across the repositories list, from the index: the issue view on a
// terminal, a table in a pipe, JSON for scripts, or each commit as git
// show prints it.
package issue

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/issueview"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// IssueOptions are the arguments and flags of `gitjira issue`.
type IssueOptions struct {
	IO      *cmdutil.IOStreams
	Paths   store.Paths
	Manager *lifecycle.Manager // nil: one for Paths
	Ctx     context.Context

	Key   string // upper-cased
	JSON  bool
	Patch bool
	// View opens the issue view (set when stdin and stdout are a terminal
	// and neither --json nor --patch is given); nil prints the table.
	View func(ctx context.Context, m *lifecycle.Manager, key string) error
}

// NewCmdIssue builds `gitjira issue KEY`. runF, when not nil, is called with
// the parsed options instead of runIssue.
func NewCmdIssue(f *cmdutil.Factory, runF func(*IssueOptions) error) *cobra.Command {
	opts := &IssueOptions{}
	cmd := &cobra.Command{
		Use:   "issue KEY",
		Short: "Show the commits that mention a Jira issue, across the repositories list",
		Long: `Shows the commits that mention the Jira issue KEY (like PROJ-7; proj-7 is
read as PROJ-7) in the connected repositories, newest first, from the index
(no history walk).

On a terminal it opens the issue view: the commits grouped by repository,
enter shows one with its diff. In a pipe it prints a table; --json prints
JSON for scripts; --patch prints each commit as git show prints it
(header, message, diff; a merge against its first parent).`,
		Example: "  gitjira issue PROJ-7\n  gitjira issue PROJ-7 --json\n  gitjira issue PROJ-7 --patch | less",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("issue: give exactly one issue key, like `gitjira issue PROJ-7`")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Paths = f.Paths()
			opts.Manager = f.Manager()
			opts.Ctx = cmd.Context()
			key, err := lifecycle.ParseIssueKey(args[0])
			if err != nil {
				return cmdutil.UsageErrorf("issue: %q is not a Jira issue key: keys look like PROJ-7 (a project key, a dash, a number)", args[0])
			}
			opts.Key = key
			if opts.JSON && opts.Patch {
				return cmdutil.UsageErrorf("issue: give --json or --patch, not both")
			}
			if !opts.JSON && !opts.Patch && f.IOStreams.IsTerminal() {
				opts.View = func(ctx context.Context, m *lifecycle.Manager, key string) error {
					return issueview.Run(ctx, m, key, f.IOStreams.In, f.IOStreams.Out)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runIssue(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array of {repository, sha, author, date, subject}")
	cmd.Flags().BoolVar(&opts.Patch, "patch", false, "print each commit as git show prints it (header, message, diff)")
	return cmd
}

func runIssue(opts *IssueOptions) error {
	m := opts.Manager
	if m == nil {
		m = &lifecycle.Manager{Paths: opts.Paths}
	}
	ctx := opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	switch {
	case opts.View != nil:
		return opts.View(ctx, m, opts.Key)
	case opts.Patch:
		return printPatches(ctx, opts.IO, m, opts.Key)
	}
	return PrintCommits(opts.IO, m, opts.Key, opts.JSON)
}

// printPatches writes each commit that mentions key as git show prints it,
// newest first, with a blank line between commits as git log -p has.
func printPatches(ctx context.Context, s *cmdutil.IOStreams, m *lifecycle.Manager, key string) error {
	found, err := m.IssueCommits(key)
	if err != nil {
		return err
	}
	if len(found.Commits) == 0 {
		fmt.Fprintf(s.Err, "No commits mention %s in the connected repositories.\n", key)
		return nil
	}
	for i, c := range found.Commits {
		if err := ctx.Err(); err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(s.Out)
		}
		if err := m.WriteShow(s.Out, c.Repository, c.SHA); err != nil {
			return fmt.Errorf("commit %s of %s: %w", c.SHA, c.Repository, err)
		}
	}
	return nil
}

// commitJSON is one element of `gitjira issue KEY --json` (docs/CLI.md);
// match (added) is the line of the message that mentions the key when the
// subject does not.
type commitJSON struct {
	Repository string `json:"repository"`
	SHA        string `json:"sha"`
	Author     string `json:"author"`
	Date       string `json:"date"`
	Subject    string `json:"subject"`
	Match      string `json:"match,omitempty"`
}

// PrintCommits prints the commits of the index under p that mention key,
// newest first: a table, or the JSON array of docs/CLI.md. When the subject
// does not mention the key, the line of the message that does is shown. When
// no allowed repository mentions it but a repository restricted to other
// projects does, it says so. `gitjira demo` uses it too, with the manager
// of its own home.
func PrintCommits(s *cmdutil.IOStreams, m *lifecycle.Manager, key string, asJSON bool) error {
	found, err := m.IssueCommits(key)
	if err != nil {
		return err
	}
	key = found.Key
	if asJSON {
		out := make([]commitJSON, 0, len(found.Commits))
		for _, r := range found.Commits {
			out = append(out, commitJSON{Repository: r.Repository, SHA: r.SHA, Author: r.Author, Date: r.Date.Format(time.RFC3339), Subject: r.Subject, Match: r.Match})
		}
		return cmdutil.WriteJSON(s.Out, out)
	}
	hidden := found.Hidden
	if len(found.Commits) == 0 {
		if len(hidden) == 0 {
			fmt.Fprintf(s.Out, "No commits mention %s in the connected repositories.\n", key)
			return nil
		}
		fmt.Fprintf(s.Out, "No commits mention %s in the repositories its project may see.\n", key)
	}
	if len(hidden) > 0 {
		names := make([]string, 0, len(hidden))
		for n, c := range hidden {
			names = append(names, fmt.Sprintf("%s (%d)", n, c))
		}
		sort.Strings(names)
		project := key[:strings.LastIndexByte(key, '-')]
		fmt.Fprintf(s.Out, "Commits that mention %s in %s are not shown: those repositories are restricted to other Jira projects than %s (change that with gitjira repos set NAME --projects).\n",
			key, strings.Join(names, ", "), project)
	}
	if len(found.Commits) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tSHA\tAUTHOR\tDATE\tSUBJECT")
	for _, r := range found.Commits {
		subject := termtext.Field(r.Subject, 0)
		if m := r.Match; m != "" {
			subject += "  (" + key + " in the message: \"" + termtext.Field(m, 60) + "\")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Repository, shortSHA(r.SHA), termtext.Field(r.Author, 40), r.Date.Format("2006-01-02 15:04"), subject)
	}
	return tw.Flush()
}

func shortSHA(sha string) string {
	if len(sha) > 10 {
		return sha[:10]
	}
	return sha
}
