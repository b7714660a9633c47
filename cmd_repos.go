package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/sshkeys"
)

// runRepos dispatches `gitjira repos [list|remove|fetch]`.
func runRepos(s *IO, args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	p := jira.DefaultPaths()
	switch sub {
	case "list", "ls":
		return runReposList(s, p, args)
	case "remove", "rm":
		return runReposRemove(s, p, args)
	case "fetch":
		return runReposFetch(s, p, args)
	}
	return usageErrorf("repos: unknown subcommand %q: use list, remove or fetch", sub)
}

// ---- list ----

// repoJSON is one element of `gitjira repos list --json` (shared/CLI.md).
// Times are RFC 3339; last_fetched is null when never fetched.
type repoJSON struct {
	Name               string   `json:"name"`
	URL                string   `json:"url"`
	Projects           []string `json:"projects"`
	KeyFingerprint     string   `json:"key_fingerprint"`
	HostKeyFingerprint string   `json:"host_key_fingerprint"`
	Mirror             string   `json:"mirror"`
	DefaultBranch      string   `json:"default_branch"`
	Commits            int      `json:"commits"`
	IssueKeys          int      `json:"issue_keys"`
	Added              *string  `json:"added"`
	LastFetched        *string  `json:"last_fetched"`
}

func rfc3339OrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.RFC3339)
	return &s
}

func toRepoJSON(r jira.Repository) repoJSON {
	projects := r.Projects
	if r.AllProjects() {
		projects = []string{jira.AllProjectsValue}
	}
	return repoJSON{
		Name: r.Name, URL: r.URL, Projects: projects, KeyFingerprint: r.KeyFingerprint,
		HostKeyFingerprint: r.HostKeyFingerprint, Mirror: r.Mirror, DefaultBranch: r.DefaultBranch,
		Commits: r.Commits, IssueKeys: r.IssueKeys, Added: rfc3339OrNil(r.Added), LastFetched: rfc3339OrNil(r.LastFetched),
	}
}

func runReposList(s *IO, p jira.Paths, args []string) error {
	fs := newFlagSet("repos list", s)
	asJSON := fs.Bool("json", false, "print the list as a JSON array")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("repos list: unexpected argument %q", pos[0])
	}
	repos, err := jira.OpenRepositoryList(p).Load()
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]repoJSON, 0, len(repos))
		for _, r := range repos {
			out = append(out, toRepoJSON(r))
		}
		return writeJSON(s.Out, out)
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
			status = "error: " + truncate(r.LastError, 80)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.Name, r.URL, projects, r.Commits, fetched, status)
	}
	return tw.Flush()
}

func truncate(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ---- remove ----

func runReposRemove(s *IO, p jira.Paths, args []string) error {
	fs := newFlagSet("repos remove", s)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("repos remove: give exactly one repository name (see `gitjira repos list`)")
	}
	r, err := jira.RemoveRepository(p, pos[0])
	if err != nil && r.Name == "" {
		return err
	}
	// Pending Jira links of a repository that is gone must not be pushed later.
	if lerr := jira.RemoveLinkState(p, r.Name); lerr != nil && err == nil {
		err = lerr
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
	return err
}

// ---- fetch ----

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

// fetchConcurrency bounds how many repositories are fetched at once: enough
// to overlap network waits, few enough not to flood a git host or the disk.
const fetchConcurrency = 4

type fetchJob struct {
	repo   jira.Repository
	signer *sshkeys.Key
	err    error // set when the key could not be loaded
	res    fetchResultJSON
}

func runReposFetch(s *IO, p jira.Paths, args []string) error {
	fs := newFlagSet("repos fetch", s)
	asJSON := fs.Bool("json", false, "print a JSON array of per-repository results")
	link := fs.Bool("link", false, "push newly indexed commits to their Jira issues as remote links (needs `gitjira jira login`)")
	knownHosts := fs.String("known-hosts", "", "known_hosts file to check host keys against (default $GITJIRA_KNOWN_HOSTS or ~/.ssh/known_hosts)")
	names, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	list := jira.OpenRepositoryList(p)
	repos, err := list.Load()
	if err != nil {
		return err
	}
	var jobs []*fetchJob
	if len(names) == 0 {
		for _, r := range repos {
			if r.Enabled {
				jobs = append(jobs, &fetchJob{repo: r})
			}
		}
		if len(jobs) == 0 {
			if *asJSON {
				return writeJSON(s.Out, []fetchResultJSON{})
			}
			fmt.Fprintln(s.Out, "No repositories to fetch: connect one with `gitjira connect`.")
			return nil
		}
	} else {
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				continue
			}
			seen[n] = true
			r, err := list.Get(n)
			if err != nil {
				return err
			}
			jobs = append(jobs, &fetchJob{repo: r})
		}
	}

	// Keys first, one after the other: a passphrase prompt must not race
	// with other output. Only a single repository may prompt on a terminal;
	// several encrypted keys take GITJIRA_PASSPHRASE.
	for _, j := range jobs {
		j.signer, j.err = loadStoredKey(s, j.repo, len(jobs) == 1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ix := jira.OpenIndex(p)
	sem := make(chan struct{}, fetchConcurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fetchOne(ctx, p, ix, j, *knownHosts, *link)
		}()
	}
	wg.Wait()

	// Record the outcome in the list, in one locked update.
	byName := map[string]*fetchJob{}
	for _, j := range jobs {
		byName[j.repo.Name] = j
	}
	now := time.Now().UTC().Truncate(time.Second)
	uerr := list.Update(func(repos []jira.Repository) ([]jira.Repository, error) {
		for i := range repos {
			j, ok := byName[repos[i].Name]
			if !ok {
				continue
			}
			if j.res.OK || j.res.Commits > 0 {
				repos[i].Commits, repos[i].IssueKeys = j.res.Commits, j.res.IssueKeys
			}
			if j.repo.HostKeyFingerprint != "" {
				repos[i].HostKeyFingerprint = j.repo.HostKeyFingerprint
			}
			if j.fetchFailed() {
				repos[i].LastError = j.res.Error
			} else {
				repos[i].LastFetched, repos[i].LastError = now, ""
			}
		}
		return repos, nil
	})

	failed := 0
	results := make([]fetchResultJSON, 0, len(jobs))
	for _, j := range jobs {
		if !j.res.OK {
			failed++
		}
		results = append(results, j.res)
	}
	if *asJSON {
		if err := writeJSON(s.Out, results); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			if r.OK {
				fmt.Fprintf(s.Out, "%s: ok, %d new commits (%d commits, %d issue keys)", r.Name, r.NewCommits, r.Commits, r.IssueKeys)
				if r.Links != nil {
					fmt.Fprintf(s.Out, "; Jira links: %d created, %d updated, %d skipped", r.Links.Created, r.Links.Updated, r.Links.Skipped)
				}
				fmt.Fprintln(s.Out)
			} else {
				fmt.Fprintf(s.Out, "%s: FAILED: %s\n", r.Name, r.Error)
			}
		}
	}
	if uerr != nil {
		return fmt.Errorf("fetched, but could not record the results in the repositories list: %w", uerr)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d repositories failed; the others were fetched (see above)", failed, len(jobs))
	}
	return nil
}

// fetchFailed reports whether the fetch or the index update failed (a link
// failure alone leaves the fetch recorded as done).
func (j *fetchJob) fetchFailed() bool { return !j.res.OK && j.res.Links == nil }

// loadStoredKey reads a repository's stored key and decrypts it when needed,
// with GITJIRA_PASSPHRASE or, when mayPrompt and stdin is a terminal, a
// masked prompt (cron jobs and scripts never hang on a prompt).
func loadStoredKey(s *IO, r jira.Repository, mayPrompt bool) (*sshkeys.Key, error) {
	if r.KeyFile == "" {
		return nil, fmt.Errorf("no stored key for %s: remove it and connect it again", r.Name)
	}
	raw, err := os.ReadFile(r.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read the stored key of %s (%v): remove the repository and connect it again", r.Name, err)
	}
	prompt := ""
	if mayPrompt {
		prompt = fmt.Sprintf("Passphrase for the key of %s: ", r.Name)
	}
	k, locked, err := openKey(s, raw, "the stored key of "+r.Name, nil, prompt)
	if err != nil {
		return nil, err
	}
	if locked != nil {
		return nil, fmt.Errorf("the key of %s is encrypted: set %s to its passphrase for unattended fetches (gitjira never stores it)", r.Name, keyPassphraseEnv)
	}
	return k, nil
}

// fetchOne fetches one repository's mirror, updates its index and, with
// link, pushes the new commits to Jira. It fills j.res; it never panics the
// others out of their work.
func fetchOne(ctx context.Context, p jira.Paths, ix *jira.Index, j *fetchJob, knownHosts string, link bool) {
	r := j.repo
	j.res = fetchResultJSON{Name: r.Name, Commits: r.Commits, IssueKeys: r.IssueKeys}
	fail := func(err error) { j.res.Error = oneLineErr(err) }
	if j.err != nil {
		fail(j.err)
		return
	}
	ep, err := gitops.ParseURL(r.URL)
	if err != nil {
		fail(err)
		return
	}
	opts := gitops.ConnectOptions{Endpoint: ep, Signer: j.signer.Signer, KnownHostsFile: knownHosts}
	fr, err := gitops.Fetch(ctx, r.Mirror, opts, nil)
	if err != nil {
		fail(fmt.Errorf("fetch: %w", err))
		return
	}
	if fr != nil && fr.HostKeyFingerprint != "" {
		j.repo.HostKeyFingerprint = fr.HostKeyFingerprint
	}
	res, err := ix.Update(r)
	if err != nil {
		fail(err)
		return
	}
	j.res.OK = true
	j.res.NewCommits, j.res.Commits, j.res.IssueKeys = res.New, res.Commits, res.IssueKeys
	if !link {
		return
	}
	// Called even with no new commits: it also finishes what an interrupted
	// earlier run left pending.
	rep, err := jira.PushCommitLinks(ctx, p, r, res.Added)
	j.res.Links = &rep
	if err != nil {
		j.res.OK = false
		fail(fmt.Errorf("linking commits to Jira: %w", err))
	}
}

// oneLineErr keeps the first line of an error for a results table or JSON.
func oneLineErr(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
