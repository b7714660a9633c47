package jira

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// Linking commits to Jira issues as remote links (issues 10 and 16).
//
// The default style ("issue") puts one remote link per (issue, repository)
// on each issue the repository's commits mention, updated in place as
// commits arrive: its globalId is gitjira:<repository identity>:<ISSUE-KEY>
// (identity.go), its title counts the commits and names the newest, its
// summary names the authors and the date range, its URL opens the host's
// list of the commits that mention the key (GitHub, GitLab, Gitea,
// Bitbucket Cloud) or else the newest commit. The "commit" style adds one
// link per commit, the newest 10 per issue and repository, and keeps the
// aggregate only to say how many more there are. Jira updates the link that
// has the same globalId instead of adding a second one, so sending a link
// again never duplicates it, whichever home or machine sends it.
//
// What each issue should show comes from the commit index; what it shows is
// the link state (linkstate.go): a run sends only the links that differ (one
// POST per changed issue in the default style, none for unchanged ones) and
// deletes the links the style no longer wants.

// Link styles (store.Repository.LinkStyle).
const (
	LinkStyleIssue  = "issue"
	LinkStyleCommit = "commit"
)

// CommitLinksPerIssue is how many per-commit links the commit style keeps
// per issue and repository (the newest).
const CommitLinksPerIssue = 10

// NormalizeLinkStyle checks a --link-style value ("" is the default, issue).
func NormalizeLinkStyle(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", LinkStyleIssue:
		return LinkStyleIssue, nil
	case LinkStyleCommit, "commits":
		return LinkStyleCommit, nil
	}
	return "", fmt.Errorf("unknown link style %q: use issue (one link per issue and repository) or commit (also a link per commit, the newest %d)", s, CommitLinksPerIssue)
}

// NormalizeLinkIcon checks a --link-icon value: "none", or an https URL
// (http only to this machine).
func NormalizeLinkIcon(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, NoIcon) || s == "" {
		return strings.ToLower(s), nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) || u.User != nil || len(s) > 1000 {
		return "", fmt.Errorf("%q is not an icon URL: give an https:// URL of a 16x16 image (every viewer's browser loads it), or none", termtext.Field(s, 100))
	}
	for _, r := range s {
		if r < 0x21 || r == 0x7f {
			return "", fmt.Errorf("the icon URL contains spaces or control characters")
		}
	}
	return s, nil
}

// LinkReport counts what a linking run did. Counts of links are requests
// Jira accepted; counts of issues are per issue.
type LinkReport struct {
	Created   int `json:"created"`   // new remote links (201)
	Updated   int `json:"updated"`   // links updated in place (200)
	Deleted   int `json:"deleted"`   // links deleted (the other style's, older commits', unlink)
	Unchanged int `json:"unchanged"` // issues whose links were already current: nothing sent
	// Skipped are issues not sent this run: refused on an earlier run and
	// waiting for their retry time, or of a project or site that refuses.
	Skipped int `json:"skipped"`
	// NotVisible, Forbidden and Failed are issues Jira refused in this run:
	// 404 (missing or not visible), 403, and others (400, 5xx, rate limits
	// that did not clear). Each is kept and retried on later runs.
	NotVisible int `json:"not_visible"`
	Forbidden  int `json:"forbidden"`
	Failed     int `json:"failed"`
	// Pending are the issues whose links are still to send after this run.
	Pending int `json:"pending"`
	// Linked is how many links gitjira has on Jira for the repository;
	// Issues on how many issues.
	Linked int `json:"linked"`
	Issues int `json:"issues"`
	// Refused lists the issues Jira refused, this run or earlier ones (still
	// waiting to be retried), by key with the reason; sorted, at most 50.
	Refused      []IssueFailure `json:"refused,omitempty"`
	RefusedTotal int            `json:"refused_total,omitempty"`
	// RefusingProjects are projects that refused links for several distinct
	// issues in this run (their other issues were not tried); SiteRefuses
	// says Jira said issue linking is disabled.
	RefusingProjects []string `json:"refusing_projects,omitempty"`
	SiteRefuses      bool     `json:"site_refuses,omitempty"`
	// Busy: another gitjira process is pushing this repository's links; it
	// sends these too.
	Busy bool `json:"busy,omitempty"`

	NotVisibleIssues  []string      `json:"not_visible_issues,omitempty"` // sorted, at most 20
	ForbiddenProjects []string      `json:"forbidden_projects,omitempty"` // = RefusingProjects (older name)
	Planned           []PlannedLink `json:"planned,omitempty"`            // DryRun: what a real run would send
	// Warnings are lines to show, e.g. that links use a guessed web address.
	Warnings []string `json:"warnings,omitempty"`
	// Smart is what smart commits did (nil when none ran).
	Smart *SmartReport `json:"smart_commits,omitempty"`
}

// RefusedSummary is "2 refused (PROJ-7: 403 …; PROJ-9: 400 …)" or "".
func (r LinkReport) RefusedSummary(max int) string {
	n := r.RefusedTotal
	if n == 0 {
		n = len(r.Refused)
	}
	if n == 0 {
		return ""
	}
	var parts []string
	for i, f := range r.Refused {
		if i == max {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, f.Issue+": "+f.Reason)
	}
	return fmt.Sprintf("%d refused (%s)", n, strings.Join(parts, "; "))
}

// PlannedLink is a link a dry run would send (Delete: delete).
type PlannedLink struct {
	Issue    string `json:"issue"`
	SHA      string `json:"sha,omitempty"`
	GlobalID string `json:"global_id"`
	Title    string `json:"title,omitempty"`
	URL      string `json:"url,omitempty"`
	Delete   bool   `json:"delete,omitempty"`
}

// NoIcon as an icon URL sends no icon (Jira shows its generic one).
const NoIcon = "none"

// DefaultConcurrency and MaxConcurrency bound the requests in flight
// (--link-concurrency).
const (
	DefaultConcurrency = 4
	MaxConcurrency     = 16
)

// DefaultRate and DefaultBurst are the process-wide request pacing: a
// ceiling that keeps a first push of a long history from hammering a site,
// above what 4 connections at Jira's usual latency reach. 429 answers slow
// it further (Retry-After).
const (
	DefaultRate  = 50
	DefaultBurst = 16
)

// LinkOptions tunes linking. Zero values take the defaults.
type LinkOptions struct {
	// DryRun sends nothing and writes nothing: the report's Planned lists
	// what a real run would send.
	DryRun bool
	// RetryNotVisible retries refused issues now, without waiting for their
	// retry time (gitjira repos link).
	RetryNotVisible bool
	// Style overrides the repository's link style ("" = its own).
	Style string
	// IconURL overrides the repository's icon ("" = its own, NoIcon = none).
	IconURL string
	// Concurrency is how many requests are in flight (default 4, at most 16).
	Concurrency int
	// Limiter paces requests; nil = one process-wide golang.org/x/time/rate
	// limiter (DefaultRate, DefaultBurst): Jira's limits are per user.
	Limiter Limiter
	// Clock is used for Retry-After waits and retry times.
	Clock Clock
	// MaxRetries is how often one request is retried after 429/503 (default 5).
	MaxRetries int
	// MaxRetryWait caps one Retry-After wait (default 2 minutes); a longer
	// wait fails the issue, which stays pending for the next run.
	MaxRetryWait time.Duration
	// CommitURL returns the web page of a commit; default the repository's
	// web settings, else the guess from its SSH URL.
	CommitURL func(repo store.Repository, sha string) string
	// Progress is called after each issue with the issues handled and the
	// total to handle (unchanged ones are not counted).
	Progress func(done, total int)
	// CheckpointEvery is how many issues may be handled before the state
	// file is rewritten (default 50): what a killed run sends again.
	CheckpointEvery int
	// StopAfter is how many distinct issues in a row may fail with a server
	// error or no answer before the run stops as "the site is down"
	// (default 5).
	StopAfter int
	// ProjectRefusals is how many distinct issues of a project must refuse
	// (403) in one run, with none accepted, before the project's other
	// issues are left for a later run (default 3).
	ProjectRefusals int
}

// Limiter paces requests (*rate.Limiter is one).
type Limiter interface {
	Wait(ctx context.Context) error
}

// Clock is the time source of Retry-After waits and retry times; tests use
// a fake one.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// sharedLimiter is the process-wide pacing of linking: syncs link several
// repositories at once, and Jira's rate limit is per user.
var sharedLimiter = sync.OnceValue(func() *rate.Limiter { return rate.NewLimiter(DefaultRate, DefaultBurst) })

// Publisher puts a repository's commits on the Jira issues they mention.
// Sync's linking phase calls the site's publisher (SitePublisher) after the
// repository lock is released: remote links (LinkPusher) on Data Center and
// on Cloud without OAuth; the Development Information API when the site has
// OAuth client credentials (jira/devinfo.go).
type Publisher interface {
	// Publish brings Jira up to date with repo's indexed commits; added are
	// the commits this fetch indexed for the first time (nil for a backfill
	// such as repos link). It is idempotent and resumable: a second call
	// sends nothing, a killed one is finished by the next. progress (may be
	// nil) is called with the work done and the total.
	Publish(ctx context.Context, repo store.Repository, added []index.CommitRef, progress func(done, total int)) (LinkReport, error)
}

// LinkPusher links commits to Jira issues as remote links.
type LinkPusher struct {
	Client  *Client
	Paths   store.Paths
	Options LinkOptions
}

// Publish implements Publisher.
func (lp *LinkPusher) Publish(ctx context.Context, repo store.Repository, added []index.CommitRef, progress func(done, total int)) (LinkReport, error) {
	cp := *lp
	if progress != nil {
		cp.Options.Progress = progress
	}
	return cp.Push(ctx, repo, added)
}

// LinkRepository links every indexed commit of r whose issue keys belong to
// r's permitted projects (see LinkPusher.Push).
func LinkRepository(ctx context.Context, p store.Paths, c *Client, r store.Repository, opts LinkOptions) (LinkReport, error) {
	return (&LinkPusher{Client: c, Paths: p, Options: opts}).Link(ctx, r)
}

// UnlinkRepository deletes the remote links gitjira created for r (see
// LinkPusher.Unlink), for `repos remove --unlink`.
func UnlinkRepository(ctx context.Context, p store.Paths, c *Client, r store.Repository) (LinkReport, error) {
	return (&LinkPusher{Client: c, Paths: p}).Unlink(ctx, r)
}

// Unlink deletes from the site what gitjira published for r: its entries in
// the Development panel (OAuth sites) and the remote links it recorded
// (sites with a token; a site that moved to the Development panel may still
// have links from before).
func Unlink(ctx context.Context, p store.Paths, site store.Site, r store.Repository) (LinkReport, error) {
	var rep LinkReport
	if site.DevInfo() {
		dr, err := (&DevInfoPublisher{Site: site, Paths: p}).Unlink(ctx, r)
		if err != nil {
			return dr, err
		}
		rep = dr
		if n, _, _ := RecordedLinks(p, r); !site.HasToken() || n == 0 {
			return rep, nil
		}
	}
	c, err := SiteClient(site)
	if err != nil {
		return rep, err
	}
	lr, err := UnlinkRepository(ctx, p, c, r)
	lr.Deleted += rep.Deleted
	return lr, err
}

// SitePublisher is the publisher of the configured site: the Development
// panel when it has OAuth client credentials (DevInfoPublisher), remote
// links otherwise.
func SitePublisher(p store.Paths, site store.Site, opts LinkOptions) (Publisher, error) {
	if site.DevInfo() {
		return &DevInfoPublisher{Site: site, Paths: p, Progress: opts.Progress}, nil
	}
	c, err := SiteClient(site)
	if err != nil {
		return nil, err
	}
	return &LinkPusher{Client: c, Paths: p, Options: opts}, nil
}

type progressKey struct{}

// WithLinkProgress returns a context whose linking runs (PushCommitLinks)
// report progress to fn: how sync's callers (the Manage screen's "Linking in
// Jira 57/130") follow a run without changing the Link callback's shape.
func WithLinkProgress(ctx context.Context, fn func(done, total int)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// LinkProgressFrom is the progress function of WithLinkProgress, or nil:
// for publishers and Link callbacks other than PushCommitLinks.
func LinkProgressFrom(ctx context.Context) func(done, total int) { return progressFrom(ctx) }

func progressFrom(ctx context.Context) func(done, total int) {
	fn, _ := ctx.Value(progressKey{}).(func(done, total int))
	return fn
}

// PushCommitLinks publishes r's commits on the configured Jira site (every
// indexed commit not published yet; added are the commits this fetch
// indexed, which smart commits act on), reporting progress to the function
// of WithLinkProgress. Without a configured site it returns ErrNoSite.
func PushCommitLinks(ctx context.Context, p store.Paths, repo store.Repository, added []index.CommitRef) (LinkReport, error) {
	return PushCommitLinksWith(ctx, p, repo, added, LinkOptions{})
}

// PushCommitLinksWith is PushCommitLinks with options (e.g. Concurrency).
func PushCommitLinksWith(ctx context.Context, p store.Paths, repo store.Repository, added []index.CommitRef, opts LinkOptions) (LinkReport, error) {
	site, err := store.LoadSite(p)
	if err != nil {
		return LinkReport{}, err
	}
	if site == nil {
		return LinkReport{}, ErrNoSite
	}
	pub, err := SitePublisher(p, *site, opts)
	if err != nil {
		return LinkReport{}, err
	}
	rep, err := pub.Publish(ctx, repo, added, progressFrom(ctx))
	if repo.SmartCommits && len(added) > 0 && ctx.Err() == nil {
		sr, serr := SiteSmartCommits(ctx, p, *site, repo, added)
		rep.Smart = sr.Smart
		if err == nil && serr != nil {
			err = serr
		}
	}
	return rep, err
}

// SiteSmartCommits applies the smart commits of added on the configured
// site (ApplySmartCommits), for a sync whose links are off or done: the
// report carries only Smart.
func SiteSmartCommits(ctx context.Context, p store.Paths, site store.Site, repo store.Repository, added []index.CommitRef) (LinkReport, error) {
	var rep LinkReport
	c, err := SiteClient(site)
	if err != nil {
		return rep, err
	}
	sr, err := ApplySmartCommits(ctx, p, c, site, repo, added, SmartOptions{})
	rep.Smart = &sr
	if err != nil {
		err = fmt.Errorf("smart commits: %w", err)
	}
	return rep, err
}

// LinkingEnabled says whether syncs link r's commits: store.Repository.Link when
// set, else on exactly when a Jira site is configured.
func LinkingEnabled(r store.Repository, siteConfigured bool) bool {
	if r.Link != nil {
		return *r.Link
	}
	return siteConfigured
}

// EstimateLinking is about how long sending requests links takes at the
// given concurrency: each request is assumed to take 250 ms (a Jira under
// load; a fast one answers in 100 ms), within the process-wide pacing.
func EstimateLinking(requests, concurrency int) time.Duration {
	if requests <= 0 {
		return 0
	}
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	concurrency = min(concurrency, MaxConcurrency)
	perSecond := min(float64(concurrency)/0.25, DefaultRate)
	return time.Duration(float64(requests) / perSecond * float64(time.Second)).Round(time.Second)
}

// Bounds of what a link shows (Jira stores at most 255 characters in
// title and summary).
const (
	linkTitleRunes   = 255
	linkSummaryRunes = 255
	shortSHALen      = 10
)

// issueCommit is one commit that mentions an issue.
type issueCommit struct {
	SHA, Subject, Author string
	Date                 time.Time
	order                int // position in the index (newest first within equal dates)
}

// linkContext is what link contents need of a repository.
type linkContext struct {
	repo      store.Repository
	identity  string
	name      string
	style     string
	icon      *RemoteIcon
	commitURL func(sha string) string
	loc       WebLocation
}

// wantedLink is one link an issue should show.
type wantedLink struct {
	link RemoteLink
	hash string
	sha  string
}

func linkHash(l RemoteLink) string {
	b, _ := json.Marshal(l)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// wantedLinks are the links issue should show for these commits (newest
// first), by globalId.
func (lc *linkContext) wantedLinks(issue string, commits []issueCommit) map[string]wantedLink {
	out := map[string]wantedLink{}
	add := func(l RemoteLink, sha string) { out[l.GlobalID] = wantedLink{link: l, hash: linkHash(l), sha: sha} }
	if len(commits) == 0 {
		return out
	}
	if lc.style == LinkStyleCommit {
		for _, c := range commits[:min(len(commits), CommitLinksPerIssue)] {
			add(lc.commitLink(c), c.SHA)
		}
		if len(commits) > CommitLinksPerIssue {
			add(lc.aggregateLink(issue, commits, len(commits)-CommitLinksPerIssue), "")
		}
		return out
	}
	add(lc.aggregateLink(issue, commits, 0), "")
	return out
}

// aggregateLink is the one link of the repository on the issue: title
// "app: 12 commits · latest 3f2a9c1e0b Fix the parser" (with more > 0: "app:
// 2 more commits (12 in all) · latest …"), summary the authors and date range.
func (lc *linkContext) aggregateLink(issue string, commits []issueCommit, more int) RemoteLink {
	newest := commits[0]
	n := len(commits)
	count := termtext.Plural(n, "commit", "commits")
	if more > 0 {
		count = fmt.Sprintf("%s (%d in all)", termtext.Plural(more, "more commit", "more commits"), n)
	}
	title := fmt.Sprintf("%s: %s · latest %s %s", lc.name, count, shortOf(newest.SHA), oneLine(newest.Subject))

	var authors []string
	seen := map[string]bool{}
	first, last := newest.Date, newest.Date
	for _, c := range commits {
		a := termtext.Field(c.Author, 60)
		if a != "" && !seen[a] {
			seen[a] = true
			authors = append(authors, a)
		}
		if !c.Date.IsZero() && (first.IsZero() || c.Date.Before(first)) {
			first = c.Date
		}
		if c.Date.After(last) {
			last = c.Date
		}
	}
	who := ""
	switch {
	case len(authors) > 4:
		who = strings.Join(authors[:3], ", ") + fmt.Sprintf(" and %d others", len(authors)-3)
	case len(authors) > 1:
		who = strings.Join(authors[:len(authors)-1], ", ") + " and " + authors[len(authors)-1]
	case len(authors) == 1:
		who = authors[0]
	}
	summary := "Commits in " + lc.name
	if who != "" {
		summary += " by " + who
	}
	if !first.IsZero() {
		d1, d2 := first.UTC().Format("2006-01-02"), last.UTC().Format("2006-01-02")
		if d1 == d2 {
			summary += ", " + d1
		} else {
			summary += ", " + d1 + " – " + d2
		}
	}
	u := lc.keyFilterURL(issue)
	if u == "" {
		u = lc.commitURL(newest.SHA)
	}
	return RemoteLink{
		GlobalID:     AggregateGlobalID(lc.identity, issue),
		Application:  &RemoteApplication{Type: "com.github.gitjira", Name: "gitjira"},
		Relationship: "mentioned in commits",
		Object: RemoteObject{
			URL:     u,
			Title:   termtext.Field(title, linkTitleRunes),
			Summary: termtext.Field(summary, linkSummaryRunes),
			Icon:    lc.icon,
		},
	}
}

// commitLink is the link of one commit (the commit style).
func (lc *linkContext) commitLink(c issueCommit) RemoteLink {
	summary := "Commit in " + lc.name
	if a := termtext.Field(c.Author, 100); a != "" {
		summary += " by " + a
	}
	if !c.Date.IsZero() {
		summary += ", " + c.Date.UTC().Format("2006-01-02 15:04 UTC")
	}
	return RemoteLink{
		GlobalID:     LinkGlobalID(lc.identity, c.SHA),
		Application:  &RemoteApplication{Type: "com.github.gitjira", Name: "gitjira"},
		Relationship: "mentioned in commit",
		Object: RemoteObject{
			URL:     lc.commitURL(c.SHA),
			Title:   termtext.Field(shortOf(c.SHA)+" "+oneLine(c.Subject), linkTitleRunes),
			Summary: termtext.Field(summary, linkSummaryRunes),
			Icon:    lc.icon,
		},
	}
}

func shortOf(sha string) string {
	if len(sha) > shortSHALen {
		return sha[:shortSHALen]
	}
	return sha
}

// keyFilterURL is the host's list of the repository's commits whose
// messages mention issue, where the host has one: GitHub (and GitHub
// Enterprise) commit search, GitLab's and Gitea's commit list search (on the
// default branch), Bitbucket Cloud's commit search; "" otherwise.
func (lc *linkContext) keyFilterURL(issue string) string {
	web := strings.TrimRight(lc.loc.WebURL, "/")
	if web == "" {
		return ""
	}
	u, err := url.Parse(web)
	if err != nil || u.Host == "" {
		return ""
	}
	q := url.QueryEscape(issue)
	branch := lc.repo.DefaultBranch
	switch lc.loc.Host {
	case HostGitHub:
		return u.Scheme + "://" + u.Host + "/search?q=" + url.QueryEscape("repo:"+strings.Trim(u.Path, "/")+" "+issue) + "&type=commits"
	case HostGitLab:
		if branch == "" {
			return ""
		}
		return web + "/-/commits/" + url.PathEscape(branch) + "?search=" + q
	case HostGitea:
		if branch == "" {
			return ""
		}
		return web + "/commits/branch/" + url.PathEscape(branch) + "/search?q=" + q + "&all=true"
	case HostBitbucketCloud:
		return web + "/commits/?search=" + q
	}
	return ""
}

// defaultIcon is the web host's own favicon (no third-party host sees who
// browses the issue).
func defaultIcon(loc WebLocation) *RemoteIcon {
	u, err := url.Parse(loc.WebURL)
	if err != nil || u.Host == "" {
		return nil
	}
	return &RemoteIcon{URL16x16: u.Scheme + "://" + u.Host + "/favicon.ico", Title: "Git commits"}
}

// commitsByIssue groups commits by allowed issue key, newest first.
func commitsByIssue(repo store.Repository, commits []index.CommitRef) map[string][]issueCommit {
	out := map[string][]issueCommit{}
	seen := map[[2]string]bool{}
	for i, c := range commits {
		if !index.ValidSHA(c.SHA) {
			continue
		}
		for _, issue := range c.Keys {
			k := [2]string{issue, c.SHA}
			if seen[k] || !issueKeyPattern.MatchString(issue) || !repo.AllowsIssue(issue) {
				continue
			}
			seen[k] = true
			out[issue] = append(out[issue], issueCommit{SHA: c.SHA, Subject: c.Subject, Author: c.Author, Date: c.Date, order: i})
		}
	}
	for _, cs := range out {
		slices.SortStableFunc(cs, func(a, b issueCommit) int {
			if c := b.Date.Compare(a.Date); c != 0 {
				return c
			}
			return b.order - a.order
		})
	}
	return out
}
