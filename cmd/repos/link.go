package repos

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// LinkOptions are the arguments and flags of `gitjira repos link`.
type LinkOptions struct {
	IO    *cmdutil.IOStreams
	Ctx   context.Context
	Paths store.Paths
	// Manager is the run's lifecycle manager (Factory.Manager); JiraSite
	// reads the site once per run (Factory.JiraSite, which says so when the
	// token goes over http).
	Manager  *lifecycle.Manager
	JiraSite func() (*store.Site, error)

	// Names are the repositories to link; none means every enabled one.
	Names  []string
	DryRun bool
	JSON   bool
}

// NewCmdLink builds `gitjira repos link [NAME...]`.
func NewCmdLink(f *cmdutil.Factory, runF func(*LinkOptions) error) *cobra.Command {
	opts := &LinkOptions{}
	cmd := &cobra.Command{
		Use:   "link [NAME...]",
		Short: "Link every indexed commit to the Jira issues it mentions (backfill, resync)",
		Long: `Link every indexed commit of the named repositories (default: every enabled
one) to the Jira issues it mentions, as remote links people can click: the
history present at connect time too. Only issues of the repository's
permitted projects are linked. It is idempotent and resumable: links made
before are not sent again, and an interrupted run is finished by the next.
Issues that were not visible are retried now. Nothing is fetched.`,
		Example: "  gitjira repos link\n  gitjira repos link app --dry-run",
		Args:    cobra.ArbitraryArgs,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return repositoryNames(f, args), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.Paths = f.Paths()
			opts.Manager = f.Manager()
			opts.JiraSite = f.JiraSite
			opts.Names = args
			if runF != nil {
				return runF(opts)
			}
			return runLink(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the links it would create; send and write nothing")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array of per-repository reports")
	return cmd
}

// linkResultJSON is one element of `gitjira repos link --json`.
type linkResultJSON struct {
	Name   string          `json:"name"`
	OK     bool            `json:"ok"`
	Error  string          `json:"error"`
	Report jira.LinkReport `json:"report"`
}

func runLink(o *LinkOptions) error {
	s := o.IO
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	repos, err := o.Manager.Selection(o.Names)
	if err != nil {
		return err
	}
	site, err := o.JiraSite()
	if err != nil {
		return err
	}
	if site == nil {
		return jira.ErrNoSite
	}
	c, err := jira.SiteClient(*site)
	if err != nil {
		return err
	}
	var out []linkResultJSON
	failed := 0
	for _, r := range repos {
		res := linkResultJSON{Name: r.Name}
		opts := jira.LinkOptions{DryRun: o.DryRun, RetryNotVisible: true}
		if !o.JSON && !o.DryRun && s.IsTerminal() {
			opts.Progress = func(done, total int) { fmt.Fprintf(s.Err, "\r%s: %d/%d", r.Name, done, total) }
		}
		rep, err := jira.LinkRepository(ctx, o.Paths, c, r, opts)
		if opts.Progress != nil {
			fmt.Fprintln(s.Err)
		}
		res.Report, res.OK = rep, err == nil
		if err != nil {
			failed++
			res.Error = termtext.OneLine(err.Error())
		}
		out = append(out, res)
		if o.JSON {
			continue
		}
		for _, w := range rep.Warnings {
			fmt.Fprintf(s.Err, "gitjira: warning: %s\n", termtext.OneLine(w))
		}
		if o.DryRun {
			fmt.Fprintf(s.Out, "%s: would create %d links\n", r.Name, len(rep.Planned))
			for _, p := range rep.Planned {
				fmt.Fprintf(s.Out, "  %s  %s  %s\n", p.Issue, shortSHA(p.SHA), termtext.Field(p.Title, 70))
			}
			continue
		}
		line := fmt.Sprintf("%s: %d created, %d updated, %d links in all", r.Name, rep.Created, rep.Updated, rep.Linked)
		if rep.NotVisible > 0 {
			line += fmt.Sprintf(", %d not visible (%s; kept for the next run)", rep.NotVisible, strings.Join(rep.NotVisibleIssues, ", "))
		}
		if len(rep.ForbiddenProjects) > 0 {
			line += fmt.Sprintf(", no permission to link in %s", strings.Join(rep.ForbiddenProjects, ", "))
		}
		if rep.Pending > 0 {
			line += fmt.Sprintf(", %d pending", rep.Pending)
		}
		if err != nil {
			line += "; FAILED: " + res.Error
		}
		fmt.Fprintln(s.Out, line)
	}
	if o.JSON {
		if out == nil {
			out = []linkResultJSON{}
		}
		if err := cmdutil.WriteJSON(s.Out, out); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d repositories could not be linked completely; run gitjira repos link again to finish", failed, len(repos))
	}
	return nil
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
