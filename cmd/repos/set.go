package repos

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// SetOptions are the arguments and flags of `gitjira repos set`.
type SetOptions struct {
	IO      *cmdutil.IOStreams
	Ctx     context.Context
	Manager *lifecycle.Manager

	Name string
	// Each setting is changed only when its flag was given.
	WebURL, CommitURL         *string
	Projects                  *string
	AllProjects, Link, NoLink bool
	JSON                      bool
	// LinkStyle (--link-style issue|commit) and LinkIcon (--link-icon
	// URL|none) change how commits look on Jira issues; SmartCommits
	// (--smart-commits / --no-smart-commits) turns smart commits on or off.
	LinkStyle, LinkIcon *string
	SmartCommits        *bool
}

// NewCmdSet builds `gitjira repos set NAME`.
func NewCmdSet(f *cmdutil.Factory, runF func(*SetOptions) error) *cobra.Command {
	opts := &SetOptions{}
	var webURL, commitURL, projects, linkStyle, linkIcon string
	var smart, noSmart bool
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Change a repository's projects, web URL or linking",
		Long: `Change settings of a connected repository that need no network: the Jira
projects that may see it, its web URL (where Jira links open commits), the
commit URL template, and whether its commits are linked to Jira. Only the
settings whose flags are given change. An empty --web-url or --commit-url
goes back to the address derived from the SSH URL.`,
		Example:           "  gitjira repos set app --web-url https://git.example.com/team/app\n  gitjira repos set app --projects APP,OPS --no-link",
		Args:              oneRepositoryName("repos set"),
		ValidArgsFunction: completeOneName(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.Manager = f.Manager()
			opts.Name = args[0]
			fl := cmd.Flags()
			if fl.Changed("web-url") {
				opts.WebURL = &webURL
			}
			if fl.Changed("commit-url") {
				opts.CommitURL = &commitURL
			}
			if fl.Changed("projects") {
				opts.Projects = &projects
			}
			if fl.Changed("link-style") {
				opts.LinkStyle = &linkStyle
			}
			if fl.Changed("link-icon") {
				opts.LinkIcon = &linkIcon
			}
			if smart || noSmart {
				opts.SmartCommits = &smart
			}
			if runF != nil {
				return runF(opts)
			}
			return runSet(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&webURL, "web-url", "", "the repository's page in a browser, `URL`")
	fl.StringVar(&commitURL, "commit-url", "", "web URL of one commit, `TEMPLATE` with {sha}")
	fl.StringVar(&projects, "projects", "", "restrict to the Jira projects `KEY[,KEY...]`")
	fl.BoolVar(&opts.AllProjects, "all-projects", false, "let every Jira project see it")
	fl.BoolVar(&opts.Link, "link", false, "link its commits to Jira on every sync")
	fl.BoolVar(&opts.NoLink, "no-link", false, "never link its commits to Jira")
	fl.BoolVar(&opts.JSON, "json", false, "print the changed repository as JSON")
	fl.StringVar(&linkStyle, "link-style", "", "how commits appear on Jira issues: `issue` (one link per issue and repository, the default) or commit (also a link per commit, the newest 10)")
	fl.StringVar(&linkIcon, "link-icon", "", "the links' 16x16 icon, an https `URL`, or none (default: the git host's /favicon.ico)")
	fl.BoolVar(&smart, "smart-commits", false, "apply smart commit commands (#comment, #time, #transition) of newly fetched commits")
	fl.BoolVar(&noSmart, "no-smart-commits", false, "stop applying smart commit commands")
	cmd.MarkFlagsMutuallyExclusive("link", "no-link")
	cmd.MarkFlagsMutuallyExclusive("smart-commits", "no-smart-commits")
	cmd.MarkFlagsMutuallyExclusive("projects", "all-projects")
	return cmd
}

func runSet(o *SetOptions) error {
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	// Every value is checked before the list is touched.
	var web, tmpl string
	if o.WebURL != nil && *o.WebURL != "" {
		u, err := jira.NormalizeWebURL(*o.WebURL)
		if err != nil {
			return cmdutil.UsageErrorf("repos set: --web-url: %v", err)
		}
		web = u
	}
	if o.CommitURL != nil && *o.CommitURL != "" {
		if err := jira.CheckCommitURLTemplate(*o.CommitURL); err != nil {
			return cmdutil.UsageErrorf("repos set: --commit-url: %v", err)
		}
		tmpl = *o.CommitURL
	}
	var style, icon string
	if o.LinkStyle != nil {
		v, err := jira.NormalizeLinkStyle(*o.LinkStyle)
		if err != nil {
			return cmdutil.UsageErrorf("repos set: --link-style: %v", err)
		}
		style = v
	}
	if o.LinkIcon != nil {
		v, err := jira.NormalizeLinkIcon(*o.LinkIcon)
		if err != nil {
			return cmdutil.UsageErrorf("repos set: --link-icon: %v", err)
		}
		icon = v
	}
	var projects []string
	switch {
	case o.AllProjects:
		projects = []string{store.AllProjectsValue}
	case o.Projects != nil:
		keys, err := parseProjectKeys("repos set", *o.Projects)
		if err != nil {
			return err
		}
		projects = keys
	}
	r, err := o.Manager.Edit(ctx, o.Name, func(r *store.Repository) error {
		if o.WebURL != nil {
			r.WebURL = web
		}
		if o.CommitURL != nil {
			r.CommitURLTemplate = tmpl
		}
		if projects != nil {
			r.Projects = projects
		}
		switch {
		case o.Link:
			t := true
			r.Link = &t
		case o.NoLink:
			f := false
			r.Link = &f
		}
		if o.LinkStyle != nil {
			r.LinkStyle = style
		}
		if o.LinkIcon != nil {
			r.LinkIcon = icon
		}
		if o.SmartCommits != nil {
			r.SmartCommits = *o.SmartCommits
		}
		return nil
	})
	if err != nil {
		return err
	}
	if o.JSON {
		return cmdutil.WriteJSON(o.IO.Out, cmdutil.NewRepositoryJSON(r))
	}
	fmt.Fprintf(o.IO.Out, "Updated %s.\n", r.Name)
	if o.LinkStyle != nil || o.LinkIcon != nil {
		fmt.Fprintf(o.IO.Out, "Its Jira links change on the next fetch, or now with: gitjira repos link %s\n", r.Name)
	}
	if o.SmartCommits != nil && *o.SmartCommits {
		fmt.Fprintln(o.IO.Out, "Smart commits apply to commits fetched from now on, never to the history already indexed.")
	}
	return nil
}

// parseProjectKeys reads --projects KEY[,KEY...].
func parseProjectKeys(command, flag string) ([]string, error) {
	keys, err := store.ParseProjectKeys(flag)
	if err != nil {
		return nil, cmdutil.UsageErrorf("%s: --projects: %v; or pass --all-projects", command, err)
	}
	return keys, nil
}
