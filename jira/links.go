package jira

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Pushing commits to Jira issues as remote links (gitjira repos fetch --link).
//
// Each (issue, commit) pair becomes one remote link whose globalId is
// "gitjira:<repository>:<sha>", so pushing the same pair again updates the
// link instead of adding a second one: idempotency comes from Jira itself.
//
// Resuming comes from a journal per repository under Paths.Data/links: the
// pairs to push are appended ("add") before the first request and each pair
// Jira accepted (or reported as a missing issue) is appended as "done". A run
// first finishes what an earlier, interrupted run left pending, then the new
// pairs; when nothing is pending any more the journal is deleted, and pairs
// that failed stay pending for the next run. Journal writes are not fsynced
// per pair: a crash can lose the last few "done" lines, which only means those
// links are upserted again, harmlessly.

// LinkReport counts what PushCommitLinks did.
type LinkReport struct {
	Created int `json:"created"` // new remote links (201)
	Updated int `json:"updated"` // existing links with the same globalId updated (200)
	Skipped int `json:"skipped"` // the issue does not exist (404), nothing to link
	Failed  int `json:"failed"`  // refused or failed; kept pending and retried by the next run
	Pending int `json:"pending"` // still pending after this run (failed + not reached)
}

// LinkOptions tunes a LinkPusher. Zero values take the defaults.
type LinkOptions struct {
	// RatePerSecond and Burst configure the default token bucket (5/s, burst 5):
	// Data Center sites rate-limit REST calls per user, and a first push of a
	// long history would otherwise hammer them.
	RatePerSecond float64
	Burst         int
	// Limiter replaces the token bucket (tests count its waits).
	Limiter Limiter
	// Clock is used by the default limiter and for Retry-After waits.
	Clock Clock
	// MaxRetries is how often one link is retried after 429/503 (default 5).
	MaxRetries int
	// MaxRetryWait caps one Retry-After wait (default 2 minutes); a longer
	// wait fails the link, which stays pending for the next run.
	MaxRetryWait time.Duration
	// CommitURL returns the link URL of a commit; default CommitWebURL.
	CommitURL func(repo Repository, sha string) string
	// Progress is called after each pair with the number handled and the total.
	Progress func(done, total int)
}

// LinkPusher pushes commits to Jira issues as remote links.
type LinkPusher struct {
	Client  *Client
	Paths   Paths
	Options LinkOptions
}

// PushCommitLinks creates or updates one remote link per (issue, commit) for
// each commit's Keys (CommitRef.Keys, as Index.Update reports them in
// UpdateResult.Added) that the repository may show, on the configured Jira
// site, with the default options and one rate limit shared by all calls in the
// process. Without a configured site it returns ErrNoSite. See LinkPusher.Push.
//
// The issue keys come from CommitRef.Keys (the index already extracted them
// from subject and body and applied the repository's projects); they are
// filtered again with Repository.AllowsIssue, so a caller passing other
// commits cannot link an issue of a project the repository may not show.
func PushCommitLinks(ctx context.Context, p Paths, repo Repository, commits []CommitRef) (LinkReport, error) {
	site, err := LoadSite(p)
	if err != nil {
		return LinkReport{}, err
	}
	if site == nil {
		return LinkReport{}, ErrNoSite
	}
	c, err := site.Client()
	if err != nil {
		return LinkReport{}, err
	}
	return (&LinkPusher{Client: c, Paths: p, Options: LinkOptions{Limiter: sharedLinkLimiter()}}).Push(ctx, repo, commits)
}

// sharedLinkLimiter is the one token bucket of PushCommitLinks in this
// process: `repos fetch --link` fetches several repositories at once, and
// Jira's rate limit is per user, not per repository.
var sharedLinkLimiter = sync.OnceValue(func() *TokenBucket { return NewTokenBucket(0, 0, nil) })

// LinkGlobalID is the globalId of the remote link for a commit of a
// repository. Jira limits globalId to 255 characters; a longer one (a very long
// repository name) is shortened with a hash so it stays stable and unique.
func LinkGlobalID(repoName, sha string) string {
	id := "gitjira:" + repoName + ":" + sha
	if len(id) <= 255 {
		return id
	}
	h := sha256.Sum256([]byte(repoName))
	return "gitjira:" + hex.EncodeToString(h[:16]) + ":" + sha
}

// linkItem is one (issue, commit) pair, as journalled.
type linkItem struct {
	Op       string    `json:"op"` // "add" or "done"
	Issue    string    `json:"issue"`
	SHA      string    `json:"sha"`
	GlobalID string    `json:"global_id,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	Author   string    `json:"author,omitempty"`
	Date     time.Time `json:"date,omitzero"`
}

func (it linkItem) id() string { return it.Issue + " " + it.SHA }

// LinkStateFile is the journal of pending remote links of a repository.
func LinkStateFile(p Paths, repoName string) string {
	return filepath.Join(p.Data, "links", safeFileName(repoName)+".jsonl")
}

// RemoveLinkState deletes a repository's pending links (for repos remove).
func RemoveLinkState(p Paths, repoName string) error {
	path := LinkStateFile(p, repoName)
	for _, f := range []string{path, path + ".lock"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// safeFileName keeps names that are safe as file names as they are and
// otherwise uses a hash, so no repository name can escape the directory.
func safeFileName(name string) string {
	ok := name != "" && name != "." && name != ".." && len(name) <= 100
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			ok = false
			break
		}
	}
	if ok {
		return name
	}
	h := sha256.Sum256([]byte(name))
	return "repo-" + hex.EncodeToString(h[:12])
}

// Push links the commits' issue keys that repo allows, resuming pairs an
// earlier run left pending. It stops at the first error that would fail every
// request (token refused, CAPTCHA, not Jira, TLS, timeout, network, ctx
// cancelled) and returns it with the counts so far; the rest stays pending.
// A missing issue (404) is skipped; other refusals (400, 403, 5xx, exhausted
// 429 retries) count as Failed, stay pending, and make Push return an error
// after all pairs were tried.
func (lp *LinkPusher) Push(ctx context.Context, repo Repository, commits []CommitRef) (LinkReport, error) {
	var rep LinkReport
	if lp.Client == nil {
		return rep, ErrNoSite
	}
	opts := lp.Options
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Limiter == nil {
		opts.Limiter = NewTokenBucket(opts.RatePerSecond, opts.Burst, opts.Clock)
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 5
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = 2 * time.Minute
	}
	if opts.CommitURL == nil {
		opts.CommitURL = func(r Repository, sha string) string { return CommitWebURL(r.URL, sha) }
	}

	path := LinkStateFile(lp.Paths, repo.Name)
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return rep, err
	}
	defer lock.Unlock()

	pending, err := readLinkJournal(path)
	if err != nil {
		return rep, err
	}
	// Pairs to add: allowed keys of the given commits, not already pending.
	var added []linkItem
	have := make(map[string]bool, len(pending))
	for _, it := range pending {
		have[it.id()] = true
	}
	for _, c := range commits {
		for _, key := range c.Keys {
			if !issueKeyPattern.MatchString(key) || !repo.AllowsIssue(key) {
				continue
			}
			it := linkItem{Op: "add", Issue: key, SHA: c.SHA, GlobalID: LinkGlobalID(repo.Name, c.SHA),
				Subject: c.Subject, Author: c.Author, Date: c.Date}
			if have[it.id()] {
				continue
			}
			have[it.id()] = true
			added = append(added, it)
		}
	}
	if len(pending) == 0 && len(added) == 0 {
		return rep, nil
	}
	journal, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return rep, fmt.Errorf("cannot write the link journal %s: %v", path, err)
	}
	defer journal.Close()
	if len(added) > 0 {
		if err := appendJournal(journal, added); err != nil {
			return rep, fmt.Errorf("cannot write the link journal %s: %v", path, err)
		}
		if err := journal.Sync(); err != nil {
			return rep, fmt.Errorf("cannot write the link journal %s: %v", path, err)
		}
	}
	queue := append(pending, added...)

	var failed []linkItem
	var firstFail error
	done := 0
	finish := func(runErr error) (LinkReport, error) {
		rest := append(failed, queue[done:]...)
		rep.Pending = len(rest)
		if err := compactLinkJournal(path, rest); err != nil && runErr == nil {
			runErr = err
		}
		if runErr == nil && firstFail != nil {
			runErr = fmt.Errorf("%d remote link(s) could not be pushed to Jira, kept for the next run; first: %w", rep.Failed, firstFail)
		}
		return rep, runErr
	}
	for done < len(queue) {
		it := queue[done]
		created, err := lp.pushOne(ctx, opts, repo, it)
		switch {
		case err == nil && created:
			rep.Created++
		case err == nil:
			rep.Updated++
		case isMissingIssue(err):
			rep.Skipped++
		case isPerLinkFailure(err):
			rep.Failed++
			failed = append(failed, it)
			if firstFail == nil {
				firstFail = err
			}
			done++
			if opts.Progress != nil {
				opts.Progress(done, len(queue))
			}
			continue
		default:
			return finish(err)
		}
		if err := appendJournal(journal, []linkItem{{Op: "done", Issue: it.Issue, SHA: it.SHA, GlobalID: it.GlobalID}}); err != nil {
			return finish(fmt.Errorf("cannot write the link journal %s: %v", path, err))
		}
		done++
		if opts.Progress != nil {
			opts.Progress(done, len(queue))
		}
	}
	return finish(nil)
}

// pushOne waits for the limiter and upserts one link, retrying 429/503 after
// Retry-After (default 1s) up to MaxRetries times.
func (lp *LinkPusher) pushOne(ctx context.Context, opts LinkOptions, repo Repository, it linkItem) (bool, error) {
	link := commitLink(repo, it, opts.CommitURL(repo, it.SHA))
	for attempt := 0; ; attempt++ {
		if err := opts.Limiter.Wait(ctx); err != nil {
			return false, err
		}
		created, err := lp.Client.upsertRemoteLink(ctx, it.Issue, link)
		var ae *APIError
		if err == nil || !errors.As(err, &ae) || ae.kind != nil ||
			(ae.Status != http.StatusTooManyRequests && ae.Status != http.StatusServiceUnavailable) {
			return created, err
		}
		if attempt >= opts.MaxRetries {
			return false, err
		}
		wait := ae.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if wait > opts.MaxRetryWait {
			return false, err
		}
		if err := opts.Clock.Sleep(ctx, wait); err != nil {
			return false, err
		}
	}
}

// commitLink is the remote link shown on an issue for a commit.
func commitLink(repo Repository, it linkItem, commitURL string) RemoteLink {
	short := it.SHA
	if len(short) > 10 {
		short = short[:10]
	}
	summary := "Commit in " + repo.Name
	if it.Author != "" {
		summary += " by " + it.Author
	}
	if !it.Date.IsZero() {
		summary += ", " + it.Date.UTC().Format("2006-01-02 15:04 UTC")
	}
	return RemoteLink{
		GlobalID:     it.GlobalID,
		Application:  &RemoteApplication{Type: "com.github.gitjira", Name: "gitjira"},
		Relationship: "mentioned in commit",
		Object: RemoteObject{
			URL:     commitURL,
			Title:   truncateRunes(oneLine(short+" "+it.Subject), 255),
			Summary: truncateRunes(oneLine(summary), 255),
			Icon:    &RemoteIcon{Title: "Git commit"},
		},
	}
}

func isMissingIssue(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.kind == nil && ae.Status == http.StatusNotFound
}

// isPerLinkFailure: the answer concerns this link only (a bad request, no
// permission on this issue's project, a server error, rate limiting that did
// not clear); the next link may well succeed. 401 and CAPTCHA fail every
// request, so they stop the run instead.
func isPerLinkFailure(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.kind == nil || errors.Is(ae.kind, ErrForbidden)
}

func appendJournal(f *os.File, items []linkItem) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	// One write per batch: O_APPEND keeps each write contiguous.
	_, err := f.Write(buf.Bytes())
	return err
}

// readLinkJournal returns the pairs added and not done, in journal order. A
// line that does not parse (a torn last line after a crash) is ignored: at
// worst a link is pushed again, which is harmless.
func readLinkJournal(path string) ([]linkItem, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the link journal %s: %v", path, err)
	}
	var order []linkItem
	idx := map[string]int{}
	doneSet := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var it linkItem
		if json.Unmarshal(sc.Bytes(), &it) != nil || it.Issue == "" || it.SHA == "" {
			continue
		}
		switch it.Op {
		case "add":
			if _, ok := idx[it.id()]; !ok {
				idx[it.id()] = len(order)
				order = append(order, it)
			}
			delete(doneSet, it.id()) // added again after done: push again
		case "done":
			doneSet[it.id()] = true
		}
	}
	var out []linkItem
	for _, it := range order {
		if !doneSet[it.id()] {
			out = append(out, it)
		}
	}
	return out, nil
}

// compactLinkJournal rewrites the journal with only the pending pairs, or
// deletes it when none are left.
func compactLinkJournal(path string, pending []linkItem) error {
	if len(pending) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the link journal %s: %v", path, err)
		}
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, it := range pending {
		it.Op = "add"
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return writeSiteFileAtomic(path, buf.Bytes())
}

// CommitWebURL returns the web page of a commit when the host is one whose
// URL scheme is known (GitHub, GitLab, Bitbucket Cloud, Codeberg); otherwise
// the repository's SSH URL as an ssh:// URL with the sha as fragment (Jira
// requires a URL; an scp-like address is not one).
func CommitWebURL(repoURL, sha string) string {
	host, path, user, port := splitGitURL(repoURL)
	if host == "" {
		return "ssh://" + strings.TrimPrefix(repoURL, "ssh://") + "#" + sha
	}
	path = strings.Trim(path, "/")
	webPath := strings.TrimSuffix(path, ".git")
	switch strings.ToLower(host) {
	case "github.com", "ssh.github.com":
		return "https://github.com/" + webPath + "/commit/" + sha
	case "gitlab.com", "altssh.gitlab.com":
		return "https://gitlab.com/" + webPath + "/-/commit/" + sha
	case "bitbucket.org", "altssh.bitbucket.org":
		return "https://bitbucket.org/" + webPath + "/commits/" + sha
	case "codeberg.org":
		return "https://codeberg.org/" + webPath + "/commit/" + sha
	}
	u := url.URL{Scheme: "ssh", Host: host, Path: "/" + path, Fragment: sha}
	switch {
	case port != "":
		u.Host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		u.Host = "[" + host + "]"
	}
	if user != "" {
		u.User = url.User(user)
	}
	return u.String()
}

// splitGitURL splits ssh://[user@]host[:port]/path, git+ssh://…, and
// scp-like [user@]host:path. host is "" when raw is none of these.
func splitGitURL(raw string) (host, path, user, port string) {
	for _, scheme := range []string{"ssh://", "git+ssh://", "ssh+git://"} {
		if strings.HasPrefix(raw, scheme) {
			u, err := url.Parse("ssh://" + strings.TrimPrefix(raw, scheme))
			if err != nil || u.Hostname() == "" {
				return "", "", "", ""
			}
			if u.User != nil {
				user = u.User.Username()
			}
			return u.Hostname(), u.Path, user, u.Port()
		}
	}
	if strings.Contains(raw, "://") {
		return "", "", "", ""
	}
	// The host of an scp-like address ends at the first colon, except inside
	// brackets ([::1]:path or user@[::1]:path).
	from := 0
	if j := strings.IndexByte(raw, ']'); j >= 0 && strings.Contains(raw[:j], "[") {
		from = j
	}
	rel := strings.IndexByte(raw[from:], ':')
	if rel < 0 {
		return "", "", "", ""
	}
	i := from + rel
	if i == 0 || strings.ContainsAny(raw[:i], "/") {
		return "", "", "", ""
	}
	hostPart := raw[:i]
	if at := strings.LastIndexByte(hostPart, '@'); at >= 0 {
		user, hostPart = hostPart[:at], hostPart[at+1:]
	}
	hostPart = strings.Trim(hostPart, "[]")
	if hostPart == "" || !utf8.ValidString(raw) {
		return "", "", "", ""
	}
	return hostPart, raw[i+1:], user, ""
}

// Limiter spaces out requests.
type Limiter interface {
	// Wait blocks until the next request may go, or ctx is done.
	Wait(ctx context.Context) error
}

// Clock is the time source of the token bucket and of Retry-After waits;
// tests use a fake one to count waits without sleeping.
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
