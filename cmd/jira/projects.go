package jiracmd

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
)

// ProjectsOptions are the flags of `gitjira jira projects`.
type ProjectsOptions struct {
	IO    *cmdutil.IOStreams
	Ctx   context.Context
	Paths store.Paths

	JSON bool
}

// NewCmdProjects builds `gitjira jira projects`. runF, when not nil, is
// called with the parsed options instead of runProjects.
func NewCmdProjects(f *cmdutil.Factory, runF func(*ProjectsOptions) error) *cobra.Command {
	opts := &ProjectsOptions{}
	cmd := &cobra.Command{
		Use:   "projects",
		Short: "List the Jira projects the token's user can see",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.Paths = f.Paths()
			if runF != nil {
				return runF(opts)
			}
			return runProjects(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the projects as a JSON array of {id, key, name}")
	return cmd
}

// projectJSON is one element of `gitjira jira projects --json`.
type projectJSON struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

func runProjects(o *ProjectsOptions) error {
	s := o.IO
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	site, err := store.LoadSite(o.Paths)
	if err != nil {
		return err
	}
	if site == nil {
		return jira.ErrNoSite
	}
	for _, w := range jira.SiteWarnings(*site) {
		fmt.Fprintf(s.Err, "gitjira: warning: %s\n", w)
	}
	client, err := jira.SiteClient(*site)
	if err != nil {
		return fmt.Errorf("the saved Jira site is not usable (%v): run gitjira jira login --url URL", err)
	}
	projects, err := client.Projects(ctx)
	if err != nil {
		return err
	}
	if o.JSON {
		out := make([]projectJSON, 0, len(projects))
		for _, pr := range projects {
			out = append(out, projectJSON{ID: pr.ID, Key: pr.Key, Name: pr.Name})
		}
		return cmdutil.WriteJSON(s.Out, out)
	}
	if len(projects) == 0 {
		fmt.Fprintln(s.Err, "no projects: the token's user cannot browse any Jira project")
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tNAME")
	for _, pr := range projects {
		fmt.Fprintf(tw, "%s\t%s\n", pr.Key, oneLineText(pr.Name))
	}
	return tw.Flush()
}

// oneLineText keeps a name from Jira on one table line (a project name with
// a newline or an escape sequence would break the table or the terminal).
func oneLineText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
