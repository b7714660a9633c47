package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/gitjira/gitjira/jira"
)

// issueCommitJSON is one element of `gitjira issue KEY --json` (shared/CLI.md).
type issueCommitJSON struct {
	Repository string `json:"repository"`
	SHA        string `json:"sha"`
	Author     string `json:"author"`
	Date       string `json:"date"`
	Subject    string `json:"subject"`
}

// runIssue lists the commits that mention a Jira issue, across the
// repositories list, newest first, from the index (no history walk).
func runIssue(s *IO, args []string) error {
	fs := newFlagSet("issue", s)
	asJSON := fs.Bool("json", false, "print a JSON array of {repository, sha, author, date, subject}")
	setUsage(fs, "issue KEY [--json]\n\nLists the commits that mention the Jira issue KEY (like PROJ-7) in the connected repositories, newest first.")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("issue: give exactly one issue key, like `gitjira issue PROJ-7`")
	}
	key := pos[0]
	if !jira.ValidIssueKey(key) {
		return usageErrorf("issue: %q is not a Jira issue key: keys look like PROJ-7 (project key in capitals, a dash, a number)", key)
	}
	return printIssue(s, jira.DefaultPaths(), key, *asJSON)
}

// printIssue prints the commits of the index under p that mention key,
// newest first: a table, or the JSON array of shared/CLI.md.
func printIssue(s *IO, p jira.Paths, key string, asJSON bool) error {
	refs, err := jira.OpenIndex(p).Lookup(key)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]issueCommitJSON, 0, len(refs))
		for _, r := range refs {
			out = append(out, issueCommitJSON{Repository: r.Repository, SHA: r.SHA, Author: r.Author, Date: r.Date.Format(time.RFC3339), Subject: r.Subject})
		}
		return writeJSON(s.Out, out)
	}
	if len(refs) == 0 {
		fmt.Fprintf(s.Out, "No commits mention %s in the connected repositories.\n", key)
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tSHA\tAUTHOR\tDATE\tSUBJECT")
	for _, r := range refs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Repository, shortSHA(r.SHA), r.Author, r.Date.Format("2006-01-02 15:04"), r.Subject)
	}
	return tw.Flush()
}

func shortSHA(sha string) string {
	if len(sha) > 10 {
		return sha[:10]
	}
	return sha
}
