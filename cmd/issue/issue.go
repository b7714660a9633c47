// Package issue is `gitjira issue KEY`: the commits that mention a Jira
// issue, across the repositories list, from the index.
package issue

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// IssueOptions are the arguments and flags of `gitjira issue`.
type IssueOptions struct {
	IO    *cmdutil.IOStreams
	Paths store.Paths

	Key  string
	JSON bool
}

// NewCmdIssue builds `gitjira issue KEY`. runF, when not nil, is called with
// the parsed options instead of runIssue.
func NewCmdIssue(f *cmdutil.Factory, runF func(*IssueOptions) error) *cobra.Command {
	opts := &IssueOptions{}
	cmd := &cobra.Command{
		Use:   "issue KEY",
		Short: "List the commits that mention a Jira issue, across the repositories list",
		Long: `Lists the commits that mention the Jira issue KEY (like PROJ-7) in the
connected repositories, newest first, from the index (no history walk).`,
		Example: "  gitjira issue PROJ-7\n  gitjira issue PROJ-7 --json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.UsageErrorf("issue: give exactly one issue key, like `gitjira issue PROJ-7`")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Paths = f.Paths()
			opts.Key = args[0]
			if !store.ValidIssueKey(opts.Key) {
				return cmdutil.UsageErrorf("issue: %q is not a Jira issue key: keys look like PROJ-7 (project key in capitals, a dash, a number)", opts.Key)
			}
			if runF != nil {
				return runF(opts)
			}
			return runIssue(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array of {repository, sha, author, date, subject}")
	return cmd
}

func runIssue(opts *IssueOptions) error {
	return PrintCommits(opts.IO, opts.Paths, opts.Key, opts.JSON)
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
// projects does, it says so. `gitjira demo` uses it too.
func PrintCommits(s *cmdutil.IOStreams, p store.Paths, key string, asJSON bool) error {
	ix := index.Open(p)
	refs, err := ix.Lookup(key)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]commitJSON, 0, len(refs))
		for _, r := range refs {
			out = append(out, commitJSON{Repository: r.Repository, SHA: r.SHA, Author: r.Author, Date: r.Date.Format(time.RFC3339), Subject: r.Subject, Match: r.Match})
		}
		return cmdutil.WriteJSON(s.Out, out)
	}
	hidden, _ := ix.HiddenMatches(key)
	if len(refs) == 0 {
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
	if len(refs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tSHA\tAUTHOR\tDATE\tSUBJECT")
	for _, r := range refs {
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
