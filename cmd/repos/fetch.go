package repos

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// FetchOptions are the arguments and flags of `gitjira repos fetch`.
type FetchOptions struct {
	IO  *cmdutil.IOStreams
	Ctx context.Context
	// Manager is the run's lifecycle manager (Factory.Manager), with
	// --known-hosts and --timeout applied; JiraSite reads the Jira site
	// (once per run, saying so when the token goes over http).
	Manager  *lifecycle.Manager
	JiraSite func() (*store.Site, error)

	// Names are the repositories to fetch; none means every enabled one.
	Names []string
	JSON  bool
	// Link pushes every fetched repository's commits to their Jira issues
	// as remote links (--link); NoLink pushes none (--no-link). Without
	// either, repositories whose linking is on (the default once a Jira site
	// is logged in) are linked.
	Link, NoLink bool
	// LinkConcurrency is --link-concurrency (Jira requests in flight).
	LinkConcurrency int
	// KnownHostsFile is --known-hosts, else the Factory's default.
	KnownHostsFile string
	// PassphraseStdin: the first line of stdin is the passphrase of the
	// stored keys that are encrypted.
	PassphraseStdin bool
	// Timeout bounds each connection's TCP connect, SSH handshake and
	// authentication (--timeout).
	Timeout time.Duration
}

// NewCmdFetch builds `gitjira repos fetch [NAME...]`. runF, when not nil, is
// called with the parsed options instead of runFetch.
func NewCmdFetch(f *cmdutil.Factory, runF func(*FetchOptions) error) *cobra.Command {
	opts := &FetchOptions{}
	cmd := &cobra.Command{
		Use:   "fetch [NAME...]",
		Short: "Fetch new commits over SSH and update the index",
		Long: `Fetch new commits of the named repositories (default: every enabled one) over
SSH into their mirrors and update the commit index. One failure does not stop
the others; the exit code is 1 when any failed.

An encrypted stored key takes its passphrase from the first line of stdin
(--passphrase-stdin) or GITJIRA_PASSPHRASE; with a single repository on a
terminal it is asked for. gitjira never stores it.`,
		Example: "  gitjira repos fetch\n  gitjira repos fetch app --json\n  gitjira repos fetch --link",
		Args:    cobra.ArbitraryArgs,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return repositoryNames(f, args), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.Names = args
			if err := cmdutil.ResolveTimeout(cmd, opts.IO, &opts.Timeout); err != nil {
				return err
			}
			if opts.KnownHostsFile == "" {
				opts.KnownHostsFile = f.KnownHostsFile()
			}
			opts.Manager = f.Manager()
			opts.Manager.KnownHostsFile, opts.Manager.Timeout = opts.KnownHostsFile, opts.Timeout
			opts.JiraSite = f.JiraSite
			if runF != nil {
				return runF(opts)
			}
			return runFetch(opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.JSON, "json", false, "print a JSON array of per-repository results")
	fl.BoolVar(&opts.Link, "link", false, "link every fetched repository's commits to their Jira issues (needs gitjira jira login; default: the repositories whose linking is on)")
	fl.BoolVar(&opts.NoLink, "no-link", false, "do not link commits to Jira in this run")
	fl.IntVar(&opts.LinkConcurrency, "link-concurrency", jira.DefaultConcurrency, fmt.Sprintf("Jira requests in flight while linking, `N` from 1 to %d", jira.MaxConcurrency))
	cmd.MarkFlagsMutuallyExclusive("link", "no-link")
	fl.StringVar(&opts.KnownHostsFile, "known-hosts", "", "known_hosts `FILE` to check host keys against (default $GITJIRA_KNOWN_HOSTS, else ~/.ssh/known_hosts)")
	fl.BoolVar(&opts.PassphraseStdin, "passphrase-stdin", false, "read the stored keys' passphrase from the first line of stdin")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	return cmd
}

// fetchResultJSON is one element of `gitjira repos fetch --json`.
type fetchResultJSON struct {
	Name       string           `json:"name"`
	OK         bool             `json:"ok"`
	Error      string           `json:"error"`
	NewCommits int              `json:"new_commits"`
	Commits    int              `json:"commits"`
	IssueKeys  int              `json:"issue_keys"`
	Links      *jira.LinkReport `json:"links,omitempty"`
}

// runFetch syncs the repositories through the lifecycle layer (fetch,
// index, and Jira links for repositories that link), prints one line per
// repository as each finishes (or one JSON array at the end), and fails when
// any repository failed. Each outcome is recorded in the list as soon as it
// is known, so one repository that hangs until its timeout never keeps the
// others' results from being recorded. It never prompts unless a single
// repository is fetched on a terminal: it is safe under cron and systemd.
func runFetch(o *FetchOptions) error {
	s := o.IO
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	m := o.Manager
	// What killed runs left is repaired before the repositories are picked
	// (a remove killed mid-way is finished, not fetched and failed).
	rec, rerr := m.Recover()
	reportRecovered(s, rec, rerr)
	repos, err := m.Selection(o.Names)
	if err != nil {
		return err
	}
	if len(repos) == 0 {
		if o.JSON {
			return cmdutil.WriteJSON(s.Out, []fetchResultJSON{})
		}
		fmt.Fprintln(s.Out, "No repositories to fetch: connect one with `gitjira connect`.")
		return nil
	}
	var pass []byte
	defer func() { clear(pass) }()
	if o.PassphraseStdin {
		line, err := cmdutil.StdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return err
		}
		pass = []byte(line)
	}
	if o.LinkConcurrency == 0 {
		o.LinkConcurrency = jira.DefaultConcurrency
	}
	if err := checkLinkConcurrency(o.LinkConcurrency); err != nil {
		return err
	}
	link, err := linker(o)
	if err != nil {
		return err
	}
	linkProgress := newProgressLines(s.Err, false, 0)
	defer linkProgress.stop()
	agentSocket, _ := s.Getenv("SSH_AUTH_SOCK")
	var mu sync.Mutex
	results, err := m.Sync(ctx, lifecycle.SyncOptions{
		Names: namesOf(repos),
		// Keys are opened one after the other before any network work: a
		// passphrase prompt never races with other output. Only a single
		// repository may prompt on a terminal.
		Signer: func(r store.Repository) (ssh.Signer, error) {
			k, err := cmdutil.StoredKey(ctx, s, m, r, pass, agentSocket, len(repos) == 1)
			if err != nil {
				return nil, err
			}
			return k.Signer, nil
		},
		Link:         link,
		LinkProgress: func(name string, done, total int) { linkProgress.update(name, done, total) },
		Done: func(r lifecycle.SyncResult) {
			if o.JSON {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(s.Out, resultLine(r))
			for _, w := range r.Warnings {
				fmt.Fprintf(s.Err, "gitjira: warning: %s: %s\n", r.Name, w)
			}
		},
	})
	failed := 0
	out := make([]fetchResultJSON, 0, len(results))
	for _, r := range results {
		if !r.OK() {
			failed++
		}
		out = append(out, toResultJSON(r))
	}
	if o.JSON {
		if werr := cmdutil.WriteJSON(s.Out, out); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	if orphans, oerr := m.Orphans(); oerr == nil {
		reportOrphans(s, orphans)
	}
	switch {
	case failed == 0:
		return nil
	case len(results) == 1:
		return fmt.Errorf("%s could not be fetched (see above)", results[0].Name)
	case failed == len(results):
		return fmt.Errorf("all %d repositories failed (see above)", failed)
	}
	return fmt.Errorf("%d of %d repositories failed; the others were fetched (see above)", failed, len(results))
}

func namesOf(repos []store.Repository) []string {
	names := make([]string, len(repos))
	for i, r := range repos {
		names[i] = r.Name
	}
	return names
}

// linker decides which repositories' commits go to Jira: with --link every
// fetched repository (and a missing site is each one's error), with
// --no-link none, else those whose linking is on (the default once a Jira
// site is logged in).
func linker(o *FetchOptions) (func(context.Context, store.Repository, []index.CommitRef) (*jira.LinkReport, error), error) {
	if o.NoLink {
		return nil, nil
	}
	site, err := o.JiraSite()
	if err != nil && !o.Link {
		return nil, err
	}
	return func(ctx context.Context, r store.Repository, added []index.CommitRef) (*jira.LinkReport, error) {
		if !o.Link && !jira.LinkingEnabled(r, site != nil) {
			if site == nil || !r.SmartCommits || len(added) == 0 {
				return nil, nil
			}
			// Links off, smart commits on: only the commands.
			rep, err := jira.SiteSmartCommits(ctx, o.Manager.Paths, *site, r, added)
			return &rep, err
		}
		rep, err := jira.PushCommitLinksWith(ctx, o.Manager.Paths, r, added, jira.LinkOptions{Concurrency: o.LinkConcurrency})
		return &rep, err
	}, nil
}

func toResultJSON(r lifecycle.SyncResult) fetchResultJSON {
	j := fetchResultJSON{Name: r.Name, OK: r.OK(), NewCommits: r.NewCommits, Commits: r.Commits, IssueKeys: r.IssueKeys, Links: r.Links}
	switch {
	case r.Err != nil:
		j.Error = termtext.OneLine(r.Err.Error())
	case r.LinkErr != nil:
		j.Error = termtext.OneLine("linking commits to Jira: " + r.LinkErr.Error())
	}
	return j
}

// resultLine is the one line a repository's outcome gets on stdout.
func resultLine(r lifecycle.SyncResult) string {
	j := toResultJSON(r)
	if r.Err != nil {
		return fmt.Sprintf("%s: FAILED: %s", r.Name, j.Error)
	}
	line := fmt.Sprintf("%s: ok, %s (%s, %s)", r.Name, termtext.Plural(r.NewCommits, "new commit", "new commits"),
		termtext.Plural(r.Commits, "commit", "commits"), termtext.Plural(r.IssueKeys, "issue key", "issue keys"))
	if l := r.Links; l != nil {
		line += "; Jira links: " + linkSummary(*l)
	}
	if r.LinkErr != nil {
		line += "; FAILED: " + j.Error
	}
	return line
}
