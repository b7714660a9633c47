package jira

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// Linking commits to Jira issues as remote links (issue 10).
//
// Each (issue, commit) pair becomes one remote link whose globalId is
// "gitjira:<repository ID>:<sha>" (the repository's name for entries made
// before repositories had IDs). Jira updates the link that has the same
// globalId instead of adding a second one, so sending a pair again never
// duplicates it, and the ID survives a rename.
//
// Which pairs exist comes from the commit index: every indexed commit whose
// message mentions issues of the repository's permitted projects. Which were
// linked is local state per repository (linking.go), so a run sends only the
// pairs not linked yet: the history present at connect time, commits fetched
// without linking, pairs an interrupted or failed run left. Killing a run
// loses at most the last checkpoint's worth of state; the next run sends
// those pairs again and Jira updates them.

// LinkReport counts what a linking run did. Every pair not linked when the
// run ends is Pending and is tried again by the next run.
type LinkReport struct {
	Created int `json:"created"` // new remote links (201)
	Updated int `json:"updated"` // links that already had the globalId, updated (200)
	// Skipped are pairs not sent this run: their issue was not visible on a
	// recent run and waits for its retry time, or Jira refused their
	// project earlier in this run.
	Skipped int `json:"skipped"`
	// NotVisible are pairs whose issue Jira answers 404 for: it does not
	// exist or the user may not see it. They are kept and retried later
	// (after 1 h, 4 h, 16 h, … up to a week), never dropped.
	NotVisible int `json:"not_visible"`
	// Forbidden are pairs of projects Jira refused to link (403).
	Forbidden int `json:"forbidden"`
	// Failed are pairs refused otherwise (400, 5xx, 429 that did not clear).
	Failed int `json:"failed"`
	// Pending are the pairs still to link after this run.
	Pending int `json:"pending"`
	// Linked is how many links gitjira has made for the repository in all.
	Linked int `json:"linked"`
	// Deleted counts links removed by UnlinkRepository.
	Deleted int `json:"deleted,omitempty"`

	NotVisibleIssues  []string      `json:"not_visible_issues,omitempty"` // sorted, at most 20
	ForbiddenProjects []string      `json:"forbidden_projects,omitempty"` // sorted
	Planned           []PlannedLink `json:"planned,omitempty"`            // DryRun: what a real run would send
	// Warnings are lines to show, e.g. that links use a guessed web address.
	Warnings []string `json:"warnings,omitempty"`
}

// PlannedLink is a link a dry run would create (or, when unlinking, delete).
type PlannedLink struct {
	Issue    string `json:"issue"`
	SHA      string `json:"sha"`
	GlobalID string `json:"global_id"`
	Title    string `json:"title"`
	URL      string `json:"url"`
}

// DefaultIconURL is the 16x16 icon of commit links: git's own favicon, served
// by git-scm.com for many years at this address. Jira's remote link fields
// document object.icon.url16x16 as an icon URL (a browser loads it when it
// shows the issue, so Jira needs no access to it); data: URLs are not
// documented for it, so a stable public https URL is used. Sites whose
// browsers cannot reach the internet set LinkOptions.IconURL to one of
// their own, or to NoIcon.
const DefaultIconURL = "https://git-scm.com/favicon.ico"

// NoIcon as LinkOptions.IconURL sends no icon (Jira shows its generic one).
const NoIcon = "none"

// LinkOptions tunes linking. Zero values take the defaults.
type LinkOptions struct {
	// DryRun sends nothing and writes nothing: the report's Planned lists
	// the links a real run would create.
	DryRun bool
	// RetryNotVisible retries issues that were not visible at once, without
	// waiting for their retry time (gitjira repos link).
	RetryNotVisible bool
	// IconURL is the links' 16x16 icon: "" = DefaultIconURL, NoIcon = none.
	IconURL string
	// RatePerSecond and Burst configure the token bucket (5/s, burst 5):
	// Jira sites rate-limit REST calls per user, and a first push of a long
	// history would otherwise hammer them. Without them (and without
	// Limiter) LinkRepository and PushCommitLinks share one bucket per process.
	RatePerSecond float64
	Burst         int
	// Limiter replaces the token bucket (tests count its waits).
	Limiter Limiter
	// Clock is used by the default limiter, for Retry-After waits and for
	// the retry times of issues that were not visible.
	Clock Clock
	// MaxRetries is how often one link is retried after 429/503 (default 5).
	MaxRetries int
	// MaxRetryWait caps one Retry-After wait (default 2 minutes); a longer
	// wait fails the link, which stays pending for the next run.
	MaxRetryWait time.Duration
	// CommitURL returns the link URL of a commit; default CommitURL (the
	// repository's web settings, else the guess from its SSH URL).
	CommitURL func(repo store.Repository, sha string) string
	// Progress is called after each pair with the number handled and the total.
	Progress func(done, total int)
	// CheckpointEvery is how many linked pairs may be recorded in memory
	// before the state file is rewritten (default 50): what a killed run can
	// lose, and send again.
	CheckpointEvery int
}

// LinkPusher links commits to Jira issues as remote links.
type LinkPusher struct {
	Client  *Client
	Paths   store.Paths
	Options LinkOptions
}

// LinkRepository links every indexed commit of r whose issue keys belong to
// r's permitted projects and that is not linked yet (see LinkPusher.Link).
// Without opts.Limiter or a rate, it shares one rate limit with every other
// linking call of the process (Jira's limit is per user, not per repository).
func LinkRepository(ctx context.Context, p store.Paths, c *Client, r store.Repository, opts LinkOptions) (LinkReport, error) {
	return newPusher(p, c, opts).Link(ctx, r)
}

// UnlinkRepository deletes the remote links gitjira created for r (see
// LinkPusher.Unlink), for `repos remove --unlink`.
func UnlinkRepository(ctx context.Context, p store.Paths, c *Client, r store.Repository) (LinkReport, error) {
	return newPusher(p, c, LinkOptions{}).Unlink(ctx, r)
}

// PushCommitLinks links r's commits on the configured Jira site: every
// indexed commit not linked yet (as LinkRepository does) plus the given
// commits (as index.Index.Update reports them in index.UpdateResult.Added; the index
// already has them, so they only matter to callers linking commits that are
// not indexed). Without a configured site it returns ErrNoSite.
func PushCommitLinks(ctx context.Context, p store.Paths, repo store.Repository, commits []index.CommitRef) (LinkReport, error) {
	site, err := store.LoadSite(p)
	if err != nil {
		return LinkReport{}, err
	}
	if site == nil {
		return LinkReport{}, ErrNoSite
	}
	c, err := SiteClient(*site)
	if err != nil {
		return LinkReport{}, err
	}
	return newPusher(p, c, LinkOptions{}).Push(ctx, repo, commits)
}

func newPusher(p store.Paths, c *Client, opts LinkOptions) *LinkPusher {
	if opts.Limiter == nil && opts.RatePerSecond <= 0 && opts.Burst <= 0 && opts.Clock == nil {
		opts.Limiter = sharedLinkLimiter()
	}
	return &LinkPusher{Client: c, Paths: p, Options: opts}
}

// sharedLinkLimiter is the one token bucket of LinkRepository and
// PushCommitLinks in this process: syncs link several repositories at once,
// and Jira's rate limit is per user, not per repository.
var sharedLinkLimiter = sync.OnceValue(func() *TokenBucket { return NewTokenBucket(0, 0, nil) })

// LinkKey is the repository identity in globalIds and state file names: its
// ID, or its name for entries made before repositories had IDs. (Giving
// such an entry an ID later changes its globalIds; an ID equal to the old
// name keeps them.)
func LinkKey(r store.Repository) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Name
}

// LinkGlobalID is the globalId of the remote link for a commit of the
// repository whose LinkKey is key. Jira limits globalId to 255 characters; a
// longer one is shortened with a hash so it stays stable and unique.
func LinkGlobalID(key, sha string) string {
	id := "gitjira:" + key + ":" + sha
	if len(id) <= 255 {
		return id
	}
	h := sha256.Sum256([]byte(key))
	return "gitjira:" + hex.EncodeToString(h[:16]) + ":" + sha
}

// LinkingEnabled says whether syncs link r's commits: store.Repository.Link when
// set, else on exactly when a Jira site is configured.
func LinkingEnabled(r store.Repository, siteConfigured bool) bool {
	if r.Link != nil {
		return *r.Link
	}
	return siteConfigured
}

// Bounds of what a link shows (Jira stores at most 255 characters in
// title and summary).
const (
	linkTitleRunes   = 255
	linkSummaryRunes = 255
	shortSHALen      = 10
)

// commitLink is the remote link shown on an issue for a commit: the title
// people scan (short sha and subject), a summary saying where it comes from
// (repository, author, date), git's icon, and the commit's web page.
// Everything from the commit is sanitised: a subject may carry escape
// sequences, and Jira shows what it is given.
func commitLink(repo store.Repository, c linkCommit, commitURL, iconURL string) RemoteLink {
	short := c.SHA
	if len(short) > shortSHALen {
		short = short[:shortSHALen]
	}
	name := termtext.Field(repo.Name, 100)
	summary := "Commit in " + name
	if a := termtext.Field(c.Author, 100); a != "" {
		summary += " by " + a
	}
	if !c.Date.IsZero() {
		summary += ", " + c.Date.UTC().Format("2006-01-02 15:04 UTC")
	}
	link := RemoteLink{
		GlobalID:     c.GlobalID,
		Application:  &RemoteApplication{Type: "com.github.gitjira", Name: "gitjira"},
		Relationship: "mentioned in commit",
		Object: RemoteObject{
			URL:     commitURL,
			Title:   termtext.Field(short+" "+oneLine(c.Subject), linkTitleRunes),
			Summary: termtext.Field(summary, linkSummaryRunes),
		},
	}
	switch iconURL {
	case NoIcon:
	case "":
		link.Object.Icon = &RemoteIcon{URL16x16: DefaultIconURL, Title: "Git commit"}
	default:
		link.Object.Icon = &RemoteIcon{URL16x16: iconURL, Title: "Git commit"}
	}
	return link
}

// Limiter spaces out requests.
type Limiter interface {
	// Wait blocks until the next request may go, or ctx is done.
	Wait(ctx context.Context) error
}

// Clock is the time source of the token bucket, of Retry-After waits and of
// retry times; tests use a fake one to count waits without sleeping.
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

// TokenBucket is a Limiter allowing Burst requests at once and RatePerSecond
// on average.
type TokenBucket struct {
	rate  float64
	burst float64
	clock Clock

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// NewTokenBucket returns a full bucket. rate <= 0 means 5 per second, burst
// <= 0 means 5, a nil clock the real one.
func NewTokenBucket(rate float64, burst int, clock Clock) *TokenBucket {
	if rate <= 0 {
		rate = 5
	}
	if burst <= 0 {
		burst = 5
	}
	if clock == nil {
		clock = realClock{}
	}
	return &TokenBucket{rate: rate, burst: float64(burst), clock: clock, tokens: float64(burst), last: clock.Now()}
}

// Wait takes a token, sleeping until one is available.
func (b *TokenBucket) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.mu.Lock()
		now := b.clock.Now()
		if el := now.Sub(b.last); el > 0 {
			b.tokens = min(b.burst, b.tokens+el.Seconds()*b.rate)
		}
		b.last = now
		// The epsilon absorbs float rounding (0.2s × 5/s may come out as
		// 0.9999…), which would otherwise cost an extra tiny sleep.
		if b.tokens >= 1-1e-9 {
			b.tokens = max(0, b.tokens-1)
			b.mu.Unlock()
			return nil
		}
		need := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
		b.mu.Unlock()
		if need < time.Millisecond {
			need = time.Millisecond
		}
		if err := b.clock.Sleep(ctx, need); err != nil {
			return err
		}
	}
}
