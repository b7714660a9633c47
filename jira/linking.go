package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// options fills in the defaults.
func (lp *LinkPusher) options() LinkOptions {
	o := lp.Options
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Limiter == nil {
		o.Limiter = sharedLimiter()
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
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	o.Concurrency = min(o.Concurrency, MaxConcurrency)
	if o.StopAfter <= 0 {
		o.StopAfter = 5
	}
	if o.ProjectRefusals <= 0 {
		o.ProjectRefusals = 3
	}
	return o
}

// Link links every indexed commit of repo (see Push).
func (lp *LinkPusher) Link(ctx context.Context, repo store.Repository) (LinkReport, error) {
	return lp.Push(ctx, repo, nil)
}

// issueWork is what one issue needs: links to send and links to delete.
type issueWork struct {
	issue   string
	posts   []wantedLink
	deletes []string
}

func (w issueWork) requests() int { return len(w.posts) + len(w.deletes) }

// plan is the work of a run.
type plan struct {
	lc        *linkContext
	work      []issueWork
	unchanged int
	waiting   []string // issues refused earlier, waiting for their retry time
	warnings  []string
}

// makePlan compares what each issue should show (from the index and the
// given commits) with what the state says it shows.
func (lp *LinkPusher) makePlan(repo store.Repository, st *linkState, commits []index.CommitRef, opts LinkOptions, now time.Time) (*plan, error) {
	style := repo.LinkStyle
	if opts.Style != "" {
		style = opts.Style
	}
	style, err := NormalizeLinkStyle(style)
	if err != nil {
		return nil, err
	}
	loc, confident := RepositoryWebLocation(repo)
	pl := &plan{}
	commitURL := func(sha string) string { return loc.CommitURL(sha) }
	if opts.CommitURL != nil {
		commitURL = func(sha string) string { return opts.CommitURL(repo, sha) }
	}
	icon := repo.LinkIcon
	if opts.IconURL != "" {
		icon = opts.IconURL
	}
	lc := &linkContext{repo: repo, identity: RepositoryIdentity(repo), name: termtext.Field(repo.Name, 100), style: style, commitURL: commitURL, loc: loc}
	switch icon {
	case NoIcon:
	case "":
		lc.icon = defaultIcon(loc)
	default:
		lc.icon = &RemoteIcon{URL16x16: icon, Title: "Git commits"}
	}
	pl.lc = lc
	byIssue := commitsByIssue(repo, commits)
	if len(byIssue) > 0 && opts.CommitURL == nil {
		if loc.CommitURLTemplate == "" {
			return nil, fmt.Errorf("no web address is known for repository %s (%s), and a Jira link needs one a browser can open: set it with gitjira repos set %s --web-url URL; links kept for the next run",
				repo.Name, termtext.Field(repo.URL, 200), repo.Name)
		}
		if !confident {
			pl.warnings = append(pl.warnings, fmt.Sprintf("the Jira links of %s point to %s, guessed from its SSH URL: if that page does not open, set the right one with gitjira repos set %s --web-url URL", repo.Name, loc.WebURL, repo.Name))
		}
	}
	issues := map[string]bool{}
	for k := range byIssue {
		issues[k] = true
	}
	st.mu.Lock()
	for k := range st.issues {
		issues[k] = true
	}
	st.mu.Unlock()
	keys := make([]string, 0, len(issues))
	for k := range issues {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareIssueKeys)
	for _, issue := range keys {
		want := lc.wantedLinks(issue, byIssue[issue])
		have := st.links(issue)
		w := issueWork{issue: issue}
		// The aggregate goes last among posts: in the commit style it
		// counts the links before it.
		var gids []string
		for gid := range want {
			gids = append(gids, gid)
		}
		slices.Sort(gids)
		for _, gid := range gids {
			if h, ok := have[gid]; !ok || h != want[gid].hash {
				w.posts = append(w.posts, want[gid])
			}
		}
		slices.SortStableFunc(w.posts, func(a, b wantedLink) int {
			switch {
			case a.sha == "" && b.sha != "":
				return 1
			case a.sha != "" && b.sha == "":
				return -1
			}
			return 0
		})
		for gid := range have {
			if _, ok := want[gid]; !ok {
				w.deletes = append(w.deletes, gid)
			}
		}
		slices.Sort(w.deletes)
		if w.requests() == 0 {
			if st.fail(issue) != nil {
				st.setFail(issue, nil)
			}
			pl.unchanged++
			continue
		}
		if f := st.fail(issue); f != nil && !opts.RetryNotVisible && now.Before(f.Next) {
			pl.waiting = append(pl.waiting, issue)
			continue
		}
		pl.work = append(pl.work, w)
	}
	return pl, nil
}

// Push brings the remote links of repo up to date: for each issue its
// commits (indexed, plus the given ones) mention, the links the style wants
// are sent when they differ from what was sent before, and links it no
// longer wants are deleted. Issues are handled Concurrency at a time.
//
// Nothing one issue says blocks the others: a 403, 400 or 404 on an issue
// is that issue's failure, recorded with its reason and retried after a
// back-off (1 h, 4 h, 16 h, 64 h, then weekly; repos link retries at once).
// A project is skipped for the rest of the run only when several distinct
// issues of it refuse with 403 and none is accepted; the site only when Jira
// says issue linking is disabled. 429 and 503 are retried after Retry-After:
// a per-issue write limit (RateLimit-Reason: jira-per-issue-on-write)
// delays only that issue, others pause every request. Server errors and
// missing answers on StopAfter distinct issues in a row stop the run (the
// site is down). A refused login, an http:// refusal or ctx ending stop it
// at once. Every issue not done stays pending for the next run.
func (lp *LinkPusher) Push(ctx context.Context, repo store.Repository, commits []index.CommitRef) (LinkReport, error) {
	var rep LinkReport
	if lp.Client == nil {
		return rep, ErrNoSite
	}
	if err := store.ValidName(repo.Name); err != nil {
		return rep, err
	}
	opts := lp.options()
	st, unlock, err := lp.lockState(ctx, repo, !opts.DryRun)
	if errors.Is(err, fsatomic.ErrLocked) {
		rep.Busy = true
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("another gitjira process is linking %s's commits now; what it does not send, the next run does", repo.Name))
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	defer unlock()

	indexed, err := index.IndexedCommits(lp.Paths, repo)
	if err != nil {
		return rep, err
	}
	now := opts.Clock.Now()
	pl, err := lp.makePlan(repo, st, append(indexed, commits...), opts, now)
	if err != nil {
		rep.Linked, rep.Issues = st.counts()
		return rep, err
	}
	rep.Warnings = append(rep.Warnings, pl.warnings...)
	rep.Unchanged = pl.unchanged
	rep.Skipped = len(pl.waiting)
	if opts.DryRun {
		for _, w := range pl.work {
			for _, p := range w.posts {
				rep.Planned = append(rep.Planned, PlannedLink{Issue: w.issue, SHA: p.sha, GlobalID: p.link.GlobalID, Title: p.link.Object.Title, URL: p.link.Object.URL})
			}
			for _, gid := range w.deletes {
				rep.Planned = append(rep.Planned, PlannedLink{Issue: w.issue, GlobalID: gid, Delete: true})
			}
		}
		rep.Pending = len(pl.work) + len(pl.waiting)
		rep.Linked, rep.Issues = st.counts()
		lp.fillRefused(&rep, st)
		return rep, nil
	}
	removeFiles(legacyJournal(lp.Paths, repo.Name))

	r := &linkRun{lp: lp, opts: opts, st: st, rep: &rep, total: len(pl.work),
		projRefused: map[string]int{}, projOK: map[string]bool{}, refusing: map[string]bool{}, notVisible: map[string]bool{}}
	runErr := r.run(ctx, pl.work)
	if err := st.save(); err != nil && runErr == nil {
		runErr = err
	}
	rep.Linked, rep.Issues = st.counts()
	rep.Pending = len(pl.work) - r.finished + len(pl.waiting)
	rep.RefusingProjects = sortedKeys(r.refusing, 0)
	rep.ForbiddenProjects = rep.RefusingProjects
	rep.NotVisibleIssues = sortedKeys(r.notVisible, 20)
	lp.fillRefused(&rep, st)
	if runErr == nil && r.siteRefuses {
		rep.SiteRefuses = true
		runErr = &LinkForbiddenError{SiteWide: true, Pending: rep.Pending, Message: r.siteMessage}
	}
	return rep, runErr
}

func (lp *LinkPusher) fillRefused(rep *LinkReport, st *linkState) {
	fails := st.failures()
	rep.RefusedTotal = len(fails)
	if len(fails) > 50 {
		fails = fails[:50]
	}
	rep.Refused = fails
}

// linkRun is one run's workers and what they learned.
type linkRun struct {
	lp    *LinkPusher
	opts  LinkOptions
	st    *linkState
	rep   *LinkReport
	total int

	mu         sync.Mutex
	progMu     sync.Mutex
	done       int
	finished   int // issues done (linked or refused; not pending)
	sinceSave  int
	failsInRow int
	lastFail   error // the last failure that was the site's, not the issue's
	// pendingFails are issues left pending by the site's failures (5xx, no
	// answer, rate limits that did not clear): they make the run an error.
	pendingFails int
	projRefused  map[string]int
	projOK       map[string]bool
	refusing     map[string]bool
	notVisible   map[string]bool
	siteRefuses  bool
	siteMessage  string
	stopErr      error
	pauseUntil   time.Time
}

// outcome of one issue.
type outcome int

const (
	outDone    outcome = iota // all its requests accepted
	outRefused                // Jira refused it (recorded, backed off)
	outPending                // not finished (site trouble, skipped); retried next run
	outRetry                  // per-issue rate limit: try again after a delay
	outStop                   // the run must stop (error in stopErr)
)

func (r *linkRun) run(ctx context.Context, work []issueWork) error {
	if len(work) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan int, len(work))
	for i := range work {
		queue <- i
	}
	// remaining counts the issues not finished; the last one closes the
	// queue (a cancelled run leaves it open: its workers end on ctx).
	var remainMu sync.Mutex
	remaining := len(work)
	finishOne := func() {
		remainMu.Lock()
		defer remainMu.Unlock()
		if remaining--; remaining == 0 {
			close(queue)
		}
	}
	retries := make([]int, len(work))
	var wg sync.WaitGroup
	for range r.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var i int
				var ok bool
				select {
				case <-ctx.Done():
					return
				case i, ok = <-queue:
					if !ok {
						return
					}
				}
				out, delay := r.issue(ctx, work[i])
				if out == outRetry && retries[i] < r.opts.MaxRetries {
					retries[i]++
					go func() {
						if r.opts.Clock.Sleep(ctx, delay) == nil {
							queue <- i
						}
					}()
					continue
				}
				if out == outRetry {
					// Still rate-limited after MaxRetries: this issue's
					// failure (recorded by failed), retried next run.
					r.mu.Lock()
					r.rep.Failed++
					r.pendingFails++
					r.mu.Unlock()
					out = outRefused
				}
				r.finish(work[i].issue, out)
				if out == outStop {
					cancel()
				}
				finishOne()
			}
		}()
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopErr != nil {
		return r.stopErr
	}
	if err := ctx.Err(); err != nil && r.finished < len(work) {
		if perr := context.Cause(ctx); perr != nil && !errors.Is(perr, context.Canceled) {
			return perr
		}
		return fmt.Errorf("linking interrupted: %w", err)
	}
	if r.lastFail != nil && r.pendingFails > 0 {
		return fmt.Errorf("%d issue(s) could not be linked because Jira failed or kept rate-limiting (kept for the next run); last: %w", r.pendingFails, r.lastFail)
	}
	return nil
}

// finish records an issue's end and reports progress.
func (r *linkRun) finish(issue string, out outcome) {
	// One issue's end at a time: Progress sees done counts in order and is
	// never called concurrently.
	r.progMu.Lock()
	defer r.progMu.Unlock()
	r.mu.Lock()
	r.done++
	if out == outDone || out == outRefused {
		r.finished++
	}
	r.sinceSave++
	save := r.sinceSave >= r.opts.CheckpointEvery
	if save {
		r.sinceSave = 0
	}
	done, total := r.done, r.total
	r.mu.Unlock()
	if save {
		if err := r.st.save(); err != nil {
			r.mu.Lock()
			if r.stopErr == nil {
				r.stopErr = err
			}
			r.mu.Unlock()
		}
	}
	if r.opts.Progress != nil {
		r.opts.Progress(done, total)
	}
}

// skipping reports whether the issue's project or the site refuses.
func (r *linkRun) skipping(issue string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.siteRefuses || r.refusing[issueProject(issue)] || r.stopErr != nil
}

// issue sends one issue's requests in order: posts, then deletes.
func (r *linkRun) issue(ctx context.Context, w issueWork) (outcome, time.Duration) {
	if r.skipping(w.issue) {
		r.mu.Lock()
		r.rep.Skipped++
		r.mu.Unlock()
		return outPending, 0
	}
	for _, p := range w.posts {
		created, err := r.send(ctx, func(ctx context.Context) (bool, error) {
			return r.lp.Client.upsertRemoteLink(ctx, w.issue, p.link)
		})
		if err != nil {
			return r.failed(w.issue, err)
		}
		r.st.setLink(w.issue, p.link.GlobalID, p.hash)
		r.mu.Lock()
		if created {
			r.rep.Created++
		} else {
			r.rep.Updated++
		}
		r.mu.Unlock()
	}
	for _, gid := range w.deletes {
		deleted, err := r.send(ctx, func(ctx context.Context) (bool, error) {
			return r.lp.Client.DeleteRemoteLink(ctx, w.issue, gid)
		})
		if err != nil {
			return r.failed(w.issue, err)
		}
		r.st.dropLink(w.issue, gid)
		if deleted {
			r.mu.Lock()
			r.rep.Deleted++
			r.mu.Unlock()
		}
	}
	r.st.setFail(w.issue, nil)
	r.mu.Lock()
	r.failsInRow = 0
	r.projOK[issueProject(w.issue)] = true
	r.mu.Unlock()
	return outDone, 0
}

// failed classifies an issue's error.
func (r *linkRun) failed(issue string, err error) (outcome, time.Duration) {
	var ae *APIError
	isAPI := errors.As(err, &ae)
	switch {
	case isAPI && ae.kind == nil && ae.Status == http.StatusTooManyRequests && perIssueLimit(ae):
		d := ae.RetryAfter
		if d <= 0 {
			d = time.Second
		}
		r.fail(issue, err, false)
		r.mu.Lock()
		r.lastFail = err
		if d > r.opts.MaxRetryWait {
			r.rep.Failed++
			r.mu.Unlock()
			return outRefused, 0
		}
		r.mu.Unlock()
		return outRetry, d
	case isMissingIssue(err):
		r.fail(issue, err, true)
		r.mu.Lock()
		r.rep.NotVisible++
		r.notVisible[issue] = true
		r.failsInRow = 0
		r.mu.Unlock()
		return outRefused, 0
	case isForbidden(err):
		if linkingDisabled(ae) {
			r.mu.Lock()
			r.siteRefuses, r.siteMessage = true, ae.Message
			r.mu.Unlock()
			return outPending, 0
		}
		r.fail(issue, err, true)
		p := issueProject(issue)
		r.mu.Lock()
		r.rep.Forbidden++
		r.failsInRow = 0
		r.projRefused[p]++
		if r.projRefused[p] >= r.opts.ProjectRefusals && !r.projOK[p] {
			r.refusing[p] = true
		}
		r.mu.Unlock()
		return outRefused, 0
	case isAPI && ae.kind == nil && ae.Status >= 400 && ae.Status < 500:
		// 400 (e.g. the issue is at Jira's remote link cap), 409, 413, 429
		// that did not clear: this issue's failure.
		r.fail(issue, err, true)
		r.mu.Lock()
		r.rep.Failed++
		r.failsInRow = 0
		r.mu.Unlock()
		return outRefused, 0
	case isAPI && ae.kind == nil, isTransient(err):
		// 5xx or no answer: the site's trouble, not the issue's; it stays
		// pending without a back-off. StopAfter distinct issues in a row
		// stop the run.
		r.mu.Lock()
		defer r.mu.Unlock()
		r.rep.Failed++
		r.pendingFails++
		r.lastFail = err
		r.failsInRow++
		if r.failsInRow >= r.opts.StopAfter && r.stopErr == nil {
			r.stopErr = fmt.Errorf("Jira failed on %d issues in a row, stopping (the site seems down; everything not linked is kept for the next run); last: %w", r.failsInRow, err)
			return outStop, 0
		}
		return outPending, 0
	}
	r.mu.Lock()
	if r.stopErr == nil {
		r.stopErr = err
	}
	r.mu.Unlock()
	return outStop, 0
}

// fail records an issue's refusal (with a back-off when backoff is set).
func (r *linkRun) fail(issue string, err error, backoff bool) {
	f := r.st.fail(issue)
	if f == nil {
		f = &IssueFailure{Issue: issue}
	}
	f.Attempts++
	f.Next = r.opts.Clock.Now().Add(notVisibleBackoff(f.Attempts))
	if !backoff {
		f.Next = r.opts.Clock.Now()
	}
	f.Status, f.Reason = failureReason(err)
	r.st.setFail(issue, f)
}

// failureReason is a short, sanitised reason for an issue's failure.
func failureReason(err error) (int, string) {
	var ae *APIError
	if !errors.As(err, &ae) {
		return 0, termtext.Field(err.Error(), 200)
	}
	said := ""
	if ae.Message != "" {
		said = ": " + termtext.Field(ae.Message, 160)
	}
	switch ae.Status {
	case http.StatusNotFound:
		return ae.Status, "not visible (404): the issue does not exist or the user may not browse it"
	case http.StatusForbidden:
		return ae.Status, "refused (403)" + said
	case http.StatusBadRequest:
		return ae.Status, "rejected (400)" + said
	case http.StatusTooManyRequests:
		return ae.Status, "rate-limited (429)" + said
	}
	return ae.Status, fmt.Sprintf("failed (%d)%s", ae.Status, said)
}

// perIssueLimit: Jira Cloud's per-issue write limit (RateLimit-Reason:
// jira-per-issue-on-write), which concerns only the issue written to.
func perIssueLimit(ae *APIError) bool {
	return strings.Contains(strings.ToLower(ae.RateLimitReason), "per-issue")
}

// isTransient: no answer (timeout, connection refused or reset).
func isTransient(err error) bool {
	var te *TimeoutError
	if errors.As(err, &te) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "cannot connect to Jira") || strings.Contains(s, "cannot reach Jira")
}

// send waits for the limiter and any site-wide pause, makes one request,
// and retries 429 (not per issue) and 503 after Retry-After (default 1 s),
// pausing every worker meanwhile, up to MaxRetries times.
func (r *linkRun) send(ctx context.Context, call func(context.Context) (bool, error)) (bool, error) {
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		until := r.pauseUntil
		r.mu.Unlock()
		if d := until.Sub(r.opts.Clock.Now()); d > 0 {
			if err := r.opts.Clock.Sleep(ctx, d); err != nil {
				return false, err
			}
		}
		if err := r.opts.Limiter.Wait(ctx); err != nil {
			return false, err
		}
		ok, err := call(ctx)
		var ae *APIError
		if err == nil || !errors.As(err, &ae) || ae.kind != nil ||
			(ae.Status != http.StatusTooManyRequests && ae.Status != http.StatusServiceUnavailable) ||
			(ae.Status == http.StatusTooManyRequests && perIssueLimit(ae)) {
			return ok, err
		}
		if attempt >= r.opts.MaxRetries {
			return false, err
		}
		wait := ae.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if wait > r.opts.MaxRetryWait {
			return false, err
		}
		r.mu.Lock()
		if t := r.opts.Clock.Now().Add(wait); t.After(r.pauseUntil) {
			r.pauseUntil = t
		}
		r.mu.Unlock()
	}
}

// notVisibleBackoff is the wait before asking again about a refused issue:
// 1 h, 4 h, 16 h, 64 h, then a week.
func notVisibleBackoff(attempts int) time.Duration {
	d := time.Hour
	for i := 1; i < attempts && d < 7*24*time.Hour; i++ {
		d *= 4
	}
	return min(d, 7*24*time.Hour)
}

// lockState takes the link state's lock (without waiting when wait is
// false: fsatomic.ErrLocked) and loads the state.
func (lp *LinkPusher) lockState(ctx context.Context, repo store.Repository, exclusive bool) (*linkState, func(), error) {
	path := LinkStateFile(lp.Paths, repo)
	if !exclusive {
		st, err := loadLinkState(lp.Paths, repo)
		return st, func() {}, err
	}
	lock, err := fsatomic.TryAcquire(path + ".lock")
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

// Unlink deletes the remote links of repo: those recorded in its state and
// those the current style would make (another home's links have the same
// globalIds), forgetting each as it goes, so an interrupted run resumes.
// 404 (the link or the issue is gone or not visible) counts as done.
func (lp *LinkPusher) Unlink(ctx context.Context, repo store.Repository) (LinkReport, error) {
	var rep LinkReport
	if lp.Client == nil {
		return rep, ErrNoSite
	}
	opts := lp.options()
	path := LinkStateFile(lp.Paths, repo)
	lock, err := fsatomic.Acquire(ctx, path+".lock")
	if err != nil {
		return rep, err
	}
	defer lock.Unlock()
	st, err := loadLinkState(lp.Paths, repo)
	if err != nil {
		return rep, err
	}
	indexed, err := index.IndexedCommits(lp.Paths, repo)
	if err != nil {
		return rep, err
	}
	lc := &linkContext{identity: RepositoryIdentity(repo)}
	gids := map[string]map[string]bool{}
	add := func(issue, gid string) {
		if gids[issue] == nil {
			gids[issue] = map[string]bool{}
		}
		gids[issue][gid] = true
	}
	for issue, cs := range commitsByIssue(repo, indexed) {
		add(issue, AggregateGlobalID(lc.identity, issue))
		for _, c := range cs[:min(len(cs), CommitLinksPerIssue)] {
			add(issue, LinkGlobalID(lc.identity, c.SHA))
		}
	}
	for issue := range st.issues {
		for gid := range st.issues[issue].Links {
			add(issue, gid)
		}
	}
	var work []issueWork
	for issue, m := range gids {
		w := issueWork{issue: issue}
		for gid := range m {
			w.deletes = append(w.deletes, gid)
		}
		slices.Sort(w.deletes)
		work = append(work, w)
	}
	slices.SortFunc(work, func(a, b issueWork) int { return compareIssueKeys(a.issue, b.issue) })
	if opts.DryRun {
		for _, w := range work {
			for _, gid := range w.deletes {
				rep.Planned = append(rep.Planned, PlannedLink{Issue: w.issue, GlobalID: gid, Delete: true})
			}
		}
		return rep, nil
	}
	r := &linkRun{lp: lp, opts: opts, st: st, rep: &rep, total: len(work),
		projRefused: map[string]int{}, projOK: map[string]bool{}, refusing: map[string]bool{}, notVisible: map[string]bool{}}
	runErr := r.run(ctx, work)
	if runErr == nil {
		for _, w := range work {
			st.mu.Lock()
			delete(st.issues, w.issue)
			st.mu.Unlock()
		}
	}
	if err := st.save(); err != nil && runErr == nil {
		runErr = err
	}
	rep.Linked, rep.Issues = st.counts()
	rep.Pending = len(work) - r.finished
	if runErr == nil && r.siteRefuses {
		runErr = &LinkForbiddenError{SiteWide: true, Pending: rep.Pending, Message: r.siteMessage}
	}
	if runErr == nil && rep.Forbidden > 0 {
		runErr = fmt.Errorf("Jira refused to delete the links of %d issue(s) (403); they stay in Jira", rep.Forbidden)
	}
	return rep, runErr
}

// RecordedLinks is how many links the state of r says gitjira has on Jira,
// on how many issues.
func RecordedLinks(p store.Paths, r store.Repository) (links, issues int, err error) {
	st, err := loadLinkState(p, r)
	if err != nil {
		return 0, 0, err
	}
	links, issues = st.counts()
	return links, issues, nil
}

// LinkSummary is what the Manage screen and `repos list` show of a
// repository's links: "Links 130 ✓ · 2 refused".
type LinkSummary struct {
	Links   int            `json:"links"`   // links gitjira has on Jira
	Issues  int            `json:"issues"`  // issues they are on
	Pending int            `json:"pending"` // issues whose links are still to send
	Refused []IssueFailure `json:"refused,omitempty"`
	// Requests is about how many requests the pending issues take, and
	// Estimate about how long at the default concurrency.
	Requests int           `json:"requests"`
	Estimate time.Duration `json:"estimate"`
}

// String is "130 ✓ · 2 refused · 5 pending" (parts that are zero left out).
func (s LinkSummary) String() string {
	out := fmt.Sprintf("%d ✓", s.Issues)
	if n := len(s.Refused); n > 0 {
		out += fmt.Sprintf(" · %d refused", n)
	}
	if s.Pending > 0 {
		out += fmt.Sprintf(" · %d pending", s.Pending)
	}
	return out
}

// LinkStatus reads r's link state and index (no lock, nothing sent): what
// is linked, refused and pending, and how long the pending work takes.
func LinkStatus(p store.Paths, r store.Repository) (LinkSummary, error) {
	var s LinkSummary
	st, err := loadLinkState(p, r)
	if err != nil {
		return s, err
	}
	s.Links, s.Issues = st.counts()
	s.Refused = st.failures()
	indexed, err := index.IndexedCommits(p, r)
	if err != nil {
		return s, err
	}
	// The plan compares what would be sent with what was, URLs included:
	// it must build the links as a real run does (the repository's web
	// location). Only without one (no run could link) a placeholder lets
	// the plan count the work.
	lp := &LinkPusher{Paths: p}
	if loc, _ := RepositoryWebLocation(r); loc.CommitURLTemplate == "" {
		lp.Options.CommitURL = func(store.Repository, string) string { return "https://invalid/" }
	}
	pl, err := lp.makePlan(r, st, indexed, lp.options(), time.Now())
	if err != nil {
		return s, err
	}
	for _, w := range pl.work {
		s.Pending++
		s.Requests += w.requests()
	}
	s.Pending += len(pl.waiting)
	s.Estimate = EstimateLinking(s.Requests, DefaultConcurrency)
	return s, nil
}

// PendingLinksLine is what connect and the wizard's Finish say about the
// links a new repository will make: "Jira: 130 issues to link (about 10 s);
// the next gitjira repos fetch links them, or now: gitjira repos link app".
// "" when linking is off or no Jira site is configured, or nothing is
// pending.
func PendingLinksLine(p store.Paths, r store.Repository) string {
	site, err := store.LoadSite(p)
	if err != nil || site == nil || !LinkingEnabled(r, true) {
		return ""
	}
	if site.DevInfo() {
		n, err := DevInfoPending(p, r, RepositoryIdentity(r))
		if err != nil || n == 0 {
			return ""
		}
		// Batches of up to 1,000 commits, about a second each.
		est := time.Duration((n+devInfoBatch-1)/devInfoBatch) * time.Second
		return fmt.Sprintf("Jira: %s to send to the Development panel (about %s); the next gitjira repos fetch sends them, or now: gitjira repos link %s",
			termtext.Plural(n, "commit", "commits"), RoughDuration(est), r.Name)
	}
	s, err := LinkStatus(p, r)
	if err != nil || s.Pending == 0 {
		return ""
	}
	return fmt.Sprintf("Jira: %s to link (about %s); the next gitjira repos fetch links them, or now: gitjira repos link %s",
		termtext.Plural(s.Pending, "issue", "issues"), RoughDuration(s.Estimate), r.Name)
}

// RoughDuration is a duration as a person says it: "10 s", "4 min", "2 h 10 min".
func RoughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(1, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
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
	if ae == nil {
		return false
	}
	m := strings.ToLower(ae.Message)
	return strings.Contains(m, "linking") && (strings.Contains(m, "disabled") || strings.Contains(m, "not enabled") || strings.Contains(m, "deactivated"))
}
