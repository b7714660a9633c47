package repos

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

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
	// Concurrency is --link-concurrency (requests in flight, 1..16).
	Concurrency int
	// ProgressEvery is how often a progress line is printed without a
	// terminal (default 30 s).
	ProgressEvery time.Duration
}

// NewCmdLink builds `gitjira repos link [NAME...]`.
func NewCmdLink(f *cmdutil.Factory, runF func(*LinkOptions) error) *cobra.Command {
	opts := &LinkOptions{}
	cmd := &cobra.Command{
		Use:   "link [NAME...]",
		Short: "Bring the Jira links of every indexed commit up to date (backfill, resync)",
		Long: `Bring the Jira links of the named repositories (default: every enabled one)
up to date with their indexed commits, the history present at connect time
too: by default one link per issue and repository, updated in place (see
repos set --link-style). Only issues of the repository's permitted projects
are linked. It is idempotent and resumable: links that are current are not
sent again, and an interrupted run is finished by the next. Issues Jira
refused earlier (not visible, no permission, at the link limit) are retried
now. Nothing is fetched, and smart commits are never applied here.`,
		Example: "  gitjira repos link\n  gitjira repos link app --dry-run\n  gitjira repos link --link-concurrency 8",
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
			if err := checkLinkConcurrency(opts.Concurrency); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runLink(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the links it would send or delete; send and write nothing")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array of per-repository reports")
	cmd.Flags().IntVar(&opts.Concurrency, "link-concurrency", jira.DefaultConcurrency, fmt.Sprintf("Jira requests in flight, `N` from 1 to %d", jira.MaxConcurrency))
	return cmd
}

func checkLinkConcurrency(n int) error {
	if n < 1 || n > jira.MaxConcurrency {
		return cmdutil.UsageErrorf("--link-concurrency must be from 1 to %d (default %d)", jira.MaxConcurrency, jira.DefaultConcurrency)
	}
	return nil
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
	// Remote links need the REST client; a Development panel site (OAuth
	// client credentials) publishes through its own API.
	var c *jira.Client
	if !site.DevInfo() {
		if c, err = jira.SiteClient(*site); err != nil {
			return err
		}
	}
	var out []linkResultJSON
	failed := 0
	for _, r := range repos {
		res := linkResultJSON{Name: r.Name}
		opts := jira.LinkOptions{DryRun: o.DryRun, RetryNotVisible: true, Concurrency: o.Concurrency}
		var pl *progressLines
		if !o.DryRun {
			pl = newProgressLines(s.Err, s.IsTerminal() && !o.JSON, o.ProgressEvery)
			opts.Progress = pl.progress(r.Name)
		}
		var rep jira.LinkReport
		switch {
		case c != nil:
			rep, err = jira.LinkRepository(ctx, o.Paths, c, r, opts)
		case o.DryRun:
			var n int
			n, err = jira.DevInfoPending(o.Paths, r, jira.RepositoryIdentity(r))
			rep.Pending = n
		default:
			pub := &jira.DevInfoPublisher{Site: *site, Paths: o.Paths}
			rep, err = pub.Publish(ctx, r, nil, opts.Progress)
		}
		pl.stop()
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
		if o.DryRun && c == nil {
			fmt.Fprintf(s.Out, "%s: would send %d commits to the Development panel\n", r.Name, rep.Pending)
			continue
		}
		if o.DryRun {
			fmt.Fprintf(s.Out, "%s: would send %d requests\n", r.Name, len(rep.Planned))
			for _, p := range rep.Planned {
				verb := "link  "
				if p.Delete {
					verb = "delete"
				}
				fmt.Fprintf(s.Out, "  %s %s  %s\n", verb, p.Issue, termtext.Field(firstNonEmpty(p.Title, p.GlobalID), 80))
			}
			continue
		}
		line := r.Name + ": " + linkSummary(rep)
		if err != nil {
			line += "; FAILED: " + res.Error
		}
		fmt.Fprintln(s.Out, line)
		for _, f := range rep.Refused {
			fmt.Fprintf(s.Out, "  %s %s (retried %s)\n", f.Issue, f.Reason, retryWhen(f))
		}
		if rep.RefusedTotal > len(rep.Refused) {
			fmt.Fprintf(s.Out, "  … and %d more (see --json)\n", rep.RefusedTotal-len(rep.Refused))
		}
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

// linkSummary is one line of counts: "12 created, 3 updated, 130 ✓, 2
// refused (PROJ-7, PROJ-9), 5 pending".
func linkSummary(rep jira.LinkReport) string {
	parts := []string{fmt.Sprintf("%d created, %d updated", rep.Created, rep.Updated)}
	if rep.Deleted > 0 {
		parts = append(parts, fmt.Sprintf("%d deleted", rep.Deleted))
	}
	parts = append(parts, fmt.Sprintf("%d issues linked", rep.Issues))
	if n := max(rep.RefusedTotal, len(rep.Refused)); n > 0 {
		var keys []string
		for i, f := range rep.Refused {
			if i == 5 {
				keys = append(keys, "…")
				break
			}
			keys = append(keys, f.Issue)
		}
		parts = append(parts, fmt.Sprintf("%d refused (%s)", n, strings.Join(keys, ", ")))
	}
	if len(rep.RefusingProjects) > 0 {
		parts = append(parts, "no permission to link in "+strings.Join(rep.RefusingProjects, ", "))
	}
	if rep.Pending > 0 {
		parts = append(parts, fmt.Sprintf("%d pending", rep.Pending))
	}
	if rep.Busy {
		parts = append(parts, "another gitjira is linking it now")
	}
	if sm := rep.Smart; sm != nil && (sm.Applied > 0 || len(sm.Skipped) > 0 || sm.Pending > 0) {
		parts = append(parts, fmt.Sprintf("smart commits: %d applied, %d skipped", sm.Applied, len(sm.Skipped)))
	}
	return strings.Join(parts, ", ")
}

func retryWhen(f jira.IssueFailure) string {
	if f.Next.IsZero() || !time.Now().Before(f.Next) {
		return "on the next run"
	}
	return "after " + f.Next.Local().Format("2006-01-02 15:04")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// progressLines shows linking progress: on a terminal one line rewritten in
// place; otherwise (cron, systemd, a pipe) a line at least every 30 s while
// a long run goes on, so a log shows it is alive.
type progressLines struct {
	w        io.Writer
	terminal bool
	mu       sync.Mutex
	name     string
	done     int
	total    int
	shown    bool
	quit     chan struct{}
	wg       sync.WaitGroup
}

func newProgressLines(w io.Writer, terminal bool, every time.Duration) *progressLines {
	if every <= 0 {
		every = 30 * time.Second
	}
	p := &progressLines{w: w, terminal: terminal, quit: make(chan struct{})}
	if !terminal {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-p.quit:
					return
				case <-t.C:
					p.mu.Lock()
					if p.total > 0 && p.done < p.total {
						fmt.Fprintf(p.w, "gitjira: %s: linking in Jira %d/%d\n", p.name, p.done, p.total)
					}
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

// progress returns the callback for repository name.
func (p *progressLines) progress(name string) func(done, total int) {
	return func(done, total int) { p.update(name, done, total) }
}

func (p *progressLines) update(name string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.name, p.done, p.total = name, done, total
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s: linking in Jira %d/%d", name, done, total)
		p.shown = true
	}
}

// stop ends the ticker and the terminal line (safe on nil).
func (p *progressLines) stop() {
	if p == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}
