package jira

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/safefile"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// Link state: per repository, the pairs gitjira has linked and the issues
// that were not visible, in store.Paths.Data/links/id-<ID>.json (name-<name>.json
// for repositories without an ID), mode 0600, replaced atomically
// (internal/fsatomic) and guarded by an flock on the same name + ".lock", so
// two runs on one repository take turns. State is written every
// LinkOptions.CheckpointEvery linked pairs and when a run ends (interrupted
// or not); a run killed between two checkpoints sends the last few pairs
// again, which Jira answers by updating the links that carry their globalIds.

const linkStateVersion = 1

// linkStateFile is the on-disk state of one repository.
type linkStateFile struct {
	Version int    `json:"version"`
	Key     string `json:"key"`  // LinkKey: what the globalIds contain
	Name    string `json:"name"` // the repository's name when last written (for people)
	// Linked maps an issue key to the shas linked to it.
	Linked map[string][]string `json:"linked"`
	// NotVisible maps an issue key Jira answered 404 for to its retry plan.
	NotVisible map[string]notVisible `json:"not_visible,omitempty"`
}

type notVisible struct {
	Attempts int       `json:"attempts"`
	Next     time.Time `json:"next"` // not asked again before this
}

// linkState is the state in memory.
type linkState struct {
	path       string
	key, name  string
	linked     map[string]map[string]bool
	notVisible map[string]notVisible
	count      int
}

func (st *linkState) has(issue, sha string) bool { return st.linked[issue][sha] }

func (st *linkState) add(issue, sha string) {
	m := st.linked[issue]
	if m == nil {
		m = map[string]bool{}
		st.linked[issue] = m
	}
	if !m[sha] {
		m[sha] = true
		st.count++
	}
}

func (st *linkState) remove(issue, sha string) {
	if m := st.linked[issue]; m[sha] {
		delete(m, sha)
		st.count--
		if len(m) == 0 {
			delete(st.linked, issue)
		}
	}
}

// LinkStateFile is where the link state of r is kept.
func LinkStateFile(p store.Paths, r store.Repository) string {
	if r.ID != "" {
		return filepath.Join(p.Data, "links", "id-"+safeFileName(r.ID)+".json")
	}
	return filepath.Join(p.Data, "links", "name-"+safeFileName(r.Name)+".json")
}

// legacyJournal is the pending-links journal of earlier gitjira versions;
// its pairs are all in the index, so a run deletes it and recomputes them.
func legacyJournal(p store.Paths, name string) string {
	return filepath.Join(p.Data, "links", safeFileName(name)+".jsonl")
}

// RemoveLinkState deletes the link state kept under a repository name (for
// repositories without an ID) and the journal of earlier versions. Callers
// that have the store.Repository use RemoveRepositoryLinkState, which also
// removes the state kept under its ID. The links stay on Jira; see
// UnlinkRepository.
func RemoveLinkState(p store.Paths, repoName string) error {
	return removeFiles(
		LinkStateFile(p, store.Repository{Name: repoName}), LinkStateFile(p, store.Repository{Name: repoName})+".lock",
		legacyJournal(p, repoName), legacyJournal(p, repoName)+".lock")
}

// RemoveRepositoryLinkState deletes all link state of r (for repos remove).
func RemoveRepositoryLinkState(p store.Paths, r store.Repository) error {
	err := RemoveLinkState(p, r.Name)
	if r.ID != "" {
		err = errors.Join(err, removeFiles(LinkStateFile(p, r), LinkStateFile(p, r)+".lock"))
	}
	return err
}

func removeFiles(paths ...string) error {
	var errs []error
	for _, f := range paths {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
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

// maxLinkStateSize bounds a link state file read (internal/safefile).
const maxLinkStateSize = 1 << 30

// loadLinkState reads r's state; a missing file is an empty state.
func loadLinkState(p store.Paths, r store.Repository) (*linkState, error) {
	path := LinkStateFile(p, r)
	st := &linkState{path: path, key: LinkKey(r), name: r.Name, linked: map[string]map[string]bool{}, notVisible: map[string]notVisible{}}
	b, err := safefile.Read(path, maxLinkStateSize)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the link state %s: %v", path, err)
	}
	bad := func(why string) error {
		return fmt.Errorf("the link state %s is %s: delete it and run gitjira repos link %s; links are sent again and Jira updates them instead of adding duplicates", path, why, r.Name)
	}
	var f linkStateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, bad("corrupted")
	}
	if f.Version != linkStateVersion {
		return nil, bad(fmt.Sprintf("of format version %d, this gitjira reads %d", f.Version, linkStateVersion))
	}
	if f.Key != st.key {
		// Two identities hashing to one file name, or a file copied by hand.
		return nil, bad(fmt.Sprintf("for another repository (%q)", termtext.Field(f.Key, 80)))
	}
	for issue, shas := range f.Linked {
		if !issueKeyPattern.MatchString(issue) {
			return nil, bad("corrupted")
		}
		for _, sha := range shas {
			if !index.ValidSHA(sha) {
				return nil, bad("corrupted")
			}
			st.add(issue, sha)
		}
	}
	for issue, nv := range f.NotVisible {
		if issueKeyPattern.MatchString(issue) {
			st.notVisible[issue] = nv
		}
	}
	return st, nil
}

// save writes the state atomically, or deletes the file when nothing is
// recorded.
func (st *linkState) save() error {
	if st.count == 0 && len(st.notVisible) == 0 {
		if err := os.Remove(st.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the link state %s: %v", st.path, err)
		}
		return nil
	}
	f := linkStateFile{Version: linkStateVersion, Key: st.key, Name: st.name, Linked: make(map[string][]string, len(st.linked)), NotVisible: st.notVisible}
	for issue, m := range st.linked {
		shas := make([]string, 0, len(m))
		for sha := range m {
			shas = append(shas, sha)
		}
		slices.Sort(shas) // the same state always makes the same bytes
		f.Linked[issue] = shas
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := fsatomic.WriteFile(st.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot write the link state %s: %v", st.path, err)
	}
	return nil
}

// linkCommit is one (issue, commit) pair to link.
type linkCommit struct {
	Issue, SHA, GlobalID, Subject, Author string
	Date                                  time.Time
}

func (lp *LinkPusher) options() LinkOptions {
	o := lp.Options
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Limiter == nil {
		o.Limiter = NewTokenBucket(o.RatePerSecond, o.Burst, o.Clock)
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 5
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 2 * time.Minute
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 50
	}
	return o
}

// Link links every indexed commit of repo whose issue keys belong to repo's
// permitted projects and is not linked yet. See Push.
func (lp *LinkPusher) Link(ctx context.Context, repo store.Repository) (LinkReport, error) {
	return lp.Push(ctx, repo, nil)
}

// Push links, for repo, every pair (allowed issue key, commit) of the
// indexed commits and of the given ones that is not linked yet, oldest
// commits first, and records each linked pair. It is idempotent (a second
// run sends nothing) and resumable (an interrupted run's rest is sent by the
// next one; pairs it sent without recording are updated, not duplicated).
//
// How a run ends:
//   - a refused login (401, CAPTCHA, anonymous answer), a transport failure,
//     an http:// refusal or ctx ending stops it at once with that error;
//   - 403 stops asking for the issue's project (for every project when Jira
//     says issue linking is disabled) and ends with *LinkForbiddenError;
//   - 404 keeps the issue's pairs as NotVisible, retried on later runs;
//   - other refusals (400, 5xx, 429 that did not clear) count as Failed and
//     make the run return an error after the others were tried; five in a
//     row stop it.
//
// Every pair not linked stays pending for the next run.
func (lp *LinkPusher) Push(ctx context.Context, repo store.Repository, commits []index.CommitRef) (LinkReport, error) {
	var rep LinkReport
	if lp.Client == nil {
		return rep, ErrNoSite
	}
	if err := store.ValidName(repo.Name); err != nil {
		return rep, err
	}
	opts := lp.options()
	st, unlock, err := lp.lockState(ctx, repo)
	if err != nil {
		return rep, err
	}
	defer unlock()
	rep.Linked = st.count

	indexed, err := index.IndexedCommits(lp.Paths, repo)
	if err != nil {
		return rep, err
	}
	pairs := pendingPairs(repo, st, append(indexed, commits...))
	total := len(pairs)
	rep.Pending = total
	if !opts.DryRun {
		// Earlier versions journalled pending pairs; they are all in the
		// index, hence in pairs.
		removeFiles(legacyJournal(lp.Paths, repo.Name))
	}
	if total == 0 {
		return rep, nil
	}

	commitURL := opts.CommitURL
	if commitURL == nil {
		loc, confident := RepositoryWebLocation(repo)
		if loc.CommitURLTemplate == "" {
			return rep, fmt.Errorf("no web address is known for repository %s (%s), and a Jira link needs one a browser can open: set it with gitjira connect --web-url URL; %d link(s) kept for the next run",
				repo.Name, termtext.Field(repo.URL, 200), total)
		}
		if !confident {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("the Jira links of %s point to %s, guessed from its SSH URL: if that page does not open, set the right one with gitjira connect --web-url", repo.Name, loc.WebURL))
		}
		commitURL = func(_ store.Repository, sha string) string { return loc.CommitURL(sha) }
	}

	if opts.DryRun {
		for _, pr := range pairs {
			link := commitLink(repo, pr, commitURL(repo, pr.SHA), opts.IconURL)
			rep.Planned = append(rep.Planned, PlannedLink{Issue: pr.Issue, SHA: pr.SHA, GlobalID: pr.GlobalID, Title: link.Object.Title, URL: link.Object.URL})
		}
		return rep, nil
	}

	now := opts.Clock.Now()
	run := linkRun{
		forbidden:  map[string]bool{},
		notVisible: map[string]bool{},
	}
	var firstFail error
	failsInRow, sinceSave, done := 0, 0, 0
	finish := func(runErr error) (LinkReport, error) {
		if err := st.save(); err != nil && runErr == nil {
			runErr = err
		}
		rep.Linked = st.count
		rep.Pending = total - rep.Created - rep.Updated
		rep.NotVisibleIssues = sortedKeys(run.notVisible, 20)
		rep.ForbiddenProjects = sortedKeys(run.forbidden, 0)
		switch {
		case runErr != nil:
		case run.siteWide || len(run.forbidden) > 0:
			runErr = &LinkForbiddenError{SiteWide: run.siteWide, Projects: rep.ForbiddenProjects, Pending: rep.Pending, Message: run.forbiddenMsg}
		case firstFail != nil:
			runErr = fmt.Errorf("%d remote link(s) could not be sent to Jira, kept for the next run; first: %w", rep.Failed, firstFail)
		}
		return rep, runErr
	}
	progress := func() {
		done++
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	for i, pr := range pairs {
		project := issueProject(pr.Issue)
		switch {
		case run.siteWide || run.forbidden[project]:
			rep.Forbidden++
			rep.Skipped++
			progress()
			continue
		case run.notVisible[pr.Issue]:
			rep.NotVisible++
			rep.Skipped++
			progress()
			continue
		}
		if nv, ok := st.notVisible[pr.Issue]; ok && !opts.RetryNotVisible && now.Before(nv.Next) {
			run.notVisible[pr.Issue] = true
			rep.NotVisible++
			rep.Skipped++
			progress()
			continue
		}
		created, err := lp.send(ctx, opts, func(ctx context.Context) (bool, error) {
			return lp.Client.upsertRemoteLink(ctx, pr.Issue, commitLink(repo, pr, commitURL(repo, pr.SHA), opts.IconURL))
		})
		switch {
		case err == nil:
			if created {
				rep.Created++
			} else {
				rep.Updated++
			}
			st.add(pr.Issue, pr.SHA)
			delete(st.notVisible, pr.Issue)
			failsInRow = 0
			if sinceSave++; sinceSave >= opts.CheckpointEvery {
				if err := st.save(); err != nil {
					return finish(err)
				}
				sinceSave = 0
			}
		case isMissingIssue(err):
			// 404 also means "you may not see this issue": keep the pairs
			// and ask again later, less and less often.
			nv := st.notVisible[pr.Issue]
			nv.Attempts++
			nv.Next = now.Add(notVisibleBackoff(nv.Attempts))
			st.notVisible[pr.Issue] = nv
			run.notVisible[pr.Issue] = true
			rep.NotVisible++
			failsInRow = 0
		case isForbidden(err):
			rep.Forbidden++
			run.forbidden[project] = true
			var ae *APIError
			if errors.As(err, &ae) {
				run.forbiddenMsg = ae.Message
				if linkingDisabled(ae) {
					run.siteWide = true
					rep.Forbidden += len(pairs) - i - 1
					rep.Skipped += len(pairs) - i - 1
					done = total - 1
					progress()
					return finish(nil)
				}
			}
		case isPerLinkFailure(err):
			rep.Failed++
			if firstFail == nil {
				firstFail = err
			}
			if failsInRow++; failsInRow >= 5 {
				return finish(fmt.Errorf("Jira refused %d links in a row, stopping; %d kept for the next run; last: %w", failsInRow, total-rep.Created-rep.Updated, err))
			}
		default:
			return finish(err)
		}
		progress()
	}
	return finish(nil)
}

// linkRun is what one run learned about the site.
type linkRun struct {
	forbidden    map[string]bool // projects refused with 403 in this run
	siteWide     bool            // issue linking is disabled
	forbiddenMsg string
	notVisible   map[string]bool // issues answered 404 (or waiting) in this run
}

// notVisibleBackoff is the wait before asking again about an issue that was
// not visible: 1 h, 4 h, 16 h, 64 h, then a week. Keys that only look like
// issue keys (UTF-8, SHA-256) stay in this state for good, costing one
// request a week instead of one per run.
func notVisibleBackoff(attempts int) time.Duration {
	d := time.Hour
	for i := 1; i < attempts && d < 7*24*time.Hour; i++ {
		d *= 4
	}
	return min(d, 7*24*time.Hour)
}

// pendingPairs are the pairs of the commits that repo allows and st has not
// linked, one per (issue, sha), in commit order.
func pendingPairs(repo store.Repository, st *linkState, commits []index.CommitRef) []linkCommit {
	key := LinkKey(repo)
	seen := map[[2]string]bool{}
	var out []linkCommit
	for _, c := range commits {
		if !index.ValidSHA(c.SHA) {
			continue
		}
		for _, issue := range c.Keys {
			k := [2]string{issue, c.SHA}
			if seen[k] || !issueKeyPattern.MatchString(issue) || !repo.AllowsIssue(issue) || st.has(issue, c.SHA) {
				continue
			}
			seen[k] = true
			out = append(out, linkCommit{Issue: issue, SHA: c.SHA, GlobalID: LinkGlobalID(key, c.SHA), Subject: c.Subject, Author: c.Author, Date: c.Date})
		}
	}
	return out
}

// lockState takes the repository's state lock and loads the state.
func (lp *LinkPusher) lockState(ctx context.Context, repo store.Repository) (*linkState, func(), error) {
	path := LinkStateFile(lp.Paths, repo)
	lock, err := fsatomic.Acquire(ctx, path+".lock")
	if err != nil {
		return nil, nil, err
	}
	fsatomic.CleanTemps(path)
	st, err := loadLinkState(lp.Paths, repo)
	if err != nil {
		lock.Unlock()
		return nil, nil, err
	}
	return st, func() { lock.Unlock() }, nil
}

// send waits for the limiter and makes one request, retrying 429/503 after
// Retry-After (default 1s) up to MaxRetries times.
func (lp *LinkPusher) send(ctx context.Context, opts LinkOptions, call func(context.Context) (bool, error)) (bool, error) {
	for attempt := 0; ; attempt++ {
		if err := opts.Limiter.Wait(ctx); err != nil {
			return false, err
		}
		ok, err := call(ctx)
		var ae *APIError
		if err == nil || !errors.As(err, &ae) || ae.kind != nil ||
			(ae.Status != http.StatusTooManyRequests && ae.Status != http.StatusServiceUnavailable) {
			return ok, err
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

// Unlink deletes, issue by issue, the remote links recorded in repo's state
// (DELETE …/remotelink?globalId=…), forgetting each as it goes, so an
// interrupted run resumes; when none is left the state file is removed. A
// 404 (the link or the issue is gone or not visible) counts as NotVisible and
// is forgotten too: there is nothing gitjira can delete. 403 stops with
// *LinkForbiddenError, other failures as in Push; what is left stays recorded
// for the next Unlink.
func (lp *LinkPusher) Unlink(ctx context.Context, repo store.Repository) (LinkReport, error) {
	var rep LinkReport
	if lp.Client == nil {
		return rep, ErrNoSite
	}
	opts := lp.options()
	st, unlock, err := lp.lockState(ctx, repo)
	if err != nil {
		return rep, err
	}
	defer unlock()
	var pairs []linkCommit
	for issue, m := range st.linked {
		for sha := range m {
			pairs = append(pairs, linkCommit{Issue: issue, SHA: sha, GlobalID: LinkGlobalID(st.key, sha)})
		}
	}
	slices.SortFunc(pairs, func(a, b linkCommit) int { return cmp.Or(cmp.Compare(a.Issue, b.Issue), cmp.Compare(a.SHA, b.SHA)) })
	rep.Linked, rep.Pending = st.count, len(pairs)
	if opts.DryRun {
		for _, pr := range pairs {
			rep.Planned = append(rep.Planned, PlannedLink{Issue: pr.Issue, SHA: pr.SHA, GlobalID: pr.GlobalID})
		}
		return rep, nil
	}
	var firstFail error
	sinceSave := 0
	finish := func(runErr error) (LinkReport, error) {
		if st.count == 0 {
			st.notVisible = nil
		}
		if err := st.save(); err != nil && runErr == nil {
			runErr = err
		}
		rep.Linked, rep.Pending = st.count, st.count
		if runErr == nil && firstFail != nil {
			runErr = fmt.Errorf("%d remote link(s) could not be deleted, kept for the next run; first: %w", rep.Failed, firstFail)
		}
		return rep, runErr
	}
	for i, pr := range pairs {
		deleted, err := lp.send(ctx, opts, func(ctx context.Context) (bool, error) {
			return lp.Client.DeleteRemoteLink(ctx, pr.Issue, pr.GlobalID)
		})
		switch {
		case err == nil:
			if deleted {
				rep.Deleted++
			} else {
				rep.NotVisible++
			}
			st.remove(pr.Issue, pr.SHA)
			if sinceSave++; sinceSave >= opts.CheckpointEvery {
				if err := st.save(); err != nil {
					return finish(err)
				}
				sinceSave = 0
			}
		case isForbidden(err):
			var ae *APIError
			errors.As(err, &ae)
			fe := &LinkForbiddenError{Projects: []string{issueProject(pr.Issue)}, SiteWide: ae != nil && linkingDisabled(ae)}
			if ae != nil {
				fe.Message = ae.Message
			}
			r, _ := finish(nil)
			fe.Pending = r.Pending
			return r, fe
		case isPerLinkFailure(err):
			rep.Failed++
			if firstFail == nil {
				firstFail = err
			}
		default:
			return finish(err)
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(pairs))
		}
	}
	return finish(nil)
}

func issueProject(issue string) string {
	if i := strings.LastIndexByte(issue, '-'); i > 0 {
		return issue[:i]
	}
	return issue
}

func sortedKeys(m map[string]bool, limit int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// isMissingIssue: Jira's JSON 404 for the issue (or, on DELETE, the link).
func isMissingIssue(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.kind == nil && ae.Status == http.StatusNotFound
}

// isForbidden: a plain 403 (not a CAPTCHA, which stops the run as a login
// failure).
func isForbidden(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.kind == ErrForbidden
}

// linkingDisabled recognises Jira's answer when issue linking is turned off
// for the whole site ("Issue linking is currently disabled.").
func linkingDisabled(ae *APIError) bool {
	m := strings.ToLower(ae.Message)
	return strings.Contains(m, "linking") && (strings.Contains(m, "disabled") || strings.Contains(m, "not enabled") || strings.Contains(m, "deactivated"))
}

// isPerLinkFailure: the answer concerns this link only (a bad request, a
// server error, rate limiting that did not clear); the next link may well
// succeed. 401 and CAPTCHA fail every request, so they stop the run instead.
func isPerLinkFailure(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.kind == nil
}
