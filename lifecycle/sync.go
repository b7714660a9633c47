package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
	"golang.org/x/crypto/ssh"
)

// SyncOptions says which repositories to sync and how.
type SyncOptions struct {
	// Names selects repositories; empty means every enabled one.
	Names []string
	// Signer returns the SSH signer of a repository (its stored key,
	// decrypted). Sync calls it for each repository one after the other,
	// before any network work, so a passphrase prompt never races with
	// other output.
	Signer func(r store.Repository) (ssh.Signer, error)
	// Link, when set, pushes the repository's commits to Jira after the
	// index update, once the repository lock is released (link state has
	// its own lock, so an overlapping fetch of the same repository does not
	// fail "busy" while links are pushed); added are the commits the update
	// indexed. Its report is stored in the result; its error fails only the
	// link part.
	Link func(ctx context.Context, r store.Repository, added []index.CommitRef) (*jira.LinkReport, error)
	// LinkProgress, when set, follows the linking phase of each repository
	// ("Linking in Jira 57/130"): Link's context carries it
	// (jira.WithLinkProgress).
	LinkProgress func(name string, done, total int)
	// Concurrency bounds how many repositories are fetched at once (default
	// 4: enough to overlap network waits, few enough not to flood a host).
	Concurrency int
	// Progress, when set, receives each repository's fetch progress.
	Progress func(name string, p gitops.Progress)
	// Done, when set, is called as each repository finishes (from the
	// goroutine that synced it).
	Done func(SyncResult)
}

// SyncResult is what happened to one repository.
type SyncResult struct {
	Name       string
	Err        error // the fetch or the index failed (nil: fetched and indexed)
	NewCommits int
	Commits    int
	IssueKeys  int
	Links      *jira.LinkReport
	LinkErr    error // linking failed (the fetch is still recorded as done)
	Duration   time.Duration
	// Warnings are what the fetch skipped and why (refs with bad names),
	// sanitised, one line each.
	Warnings []string
}

// OK reports whether the repository was fetched, indexed and (when asked) linked.
func (r SyncResult) OK() bool { return r.Err == nil && r.LinkErr == nil }

// Selection returns the repositories SyncOptions.Names selects, in list
// order for "all", in the order given otherwise (repeats dropped). An
// unknown name is an error naming the ones there are.
func (m *Manager) Selection(names []string) ([]store.Repository, error) {
	repos, err := m.list().Load()
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		var out []store.Repository
		for _, r := range repos {
			if r.Enabled {
				out = append(out, r)
			}
		}
		return out, nil
	}
	byName := make(map[string]store.Repository, len(repos))
	for _, r := range repos {
		byName[r.Name] = r
	}
	var out []store.Repository
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		r, ok := byName[n]
		if !ok {
			_, err := m.list().Get(n)
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Sync fetches the selected repositories, updates their index and, with
// Link, pushes their commits to Jira. Each repository's outcome is written
// to the list as soon as it is known (batched), so one repository that
// hangs until its timeout never keeps the others' results from being
// recorded. The error is for the selection or the list itself; per
// repository failures are in the results.
func (m *Manager) Sync(ctx context.Context, o SyncOptions) ([]SyncResult, error) {
	// What killed runs left is repaired before the selection: a remove
	// killed mid-way is finished, not fetched and reported as failed.
	m.recoverNow()
	repos, err := m.Selection(o.Names)
	if err != nil {
		return nil, err
	}
	if len(repos) == 0 {
		return nil, nil
	}
	signers := make([]ssh.Signer, len(repos))
	keyErrs := make([]error, len(repos))
	for i, r := range repos {
		if o.Signer == nil {
			keyErrs[i] = errors.New("no key source given")
			continue
		}
		signers[i], keyErrs[i] = o.Signer(r)
	}
	n := o.Concurrency
	if n <= 0 {
		n = 4
	}
	rec := newRecorder(m)
	results := make([]SyncResult, len(repos))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, r := range repos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			res := SyncResult{Name: r.Name, Commits: r.Commits, IssueKeys: r.IssueKeys, Err: keyErrs[i]}
			var hostKey string
			var added []index.CommitRef
			if res.Err == nil {
				hostKey, added = m.syncOne(ctx, r, signers[i], o, &res)
			}
			if res.Err == nil && o.Link != nil {
				// The fetch is recorded before linking, which may take long.
				rec.record(res, hostKey)
				lctx := ctx
				if o.LinkProgress != nil {
					lctx = jira.WithLinkProgress(ctx, func(done, total int) { o.LinkProgress(r.Name, done, total) })
				}
				res.Links, res.LinkErr = o.Link(lctx, r, added)
			}
			res.Duration = time.Since(start)
			results[i] = res
			rec.record(res, hostKey)
			if o.Done != nil {
				o.Done(res)
			}
		}()
	}
	wg.Wait()
	return results, rec.close()
}

// syncOne fetches and indexes one repository under its lock; it returns the
// host key fingerprint the server showed ("" when the fetch did not get that
// far) and the commits the index update added (for the linking phase, which
// runs after the lock is released).
func (m *Manager) syncOne(ctx context.Context, r store.Repository, signer ssh.Signer, o SyncOptions, res *SyncResult) (string, []index.CommitRef) {
	lk, err := m.lockName(ctx, r.Name)
	if err != nil {
		res.Err = err
		return "", nil
	}
	defer lk.Unlock()
	ep, err := m.Endpoint(r)
	if err != nil {
		res.Err = err
		return "", nil
	}
	var progress chan gitops.Progress
	var forwarded sync.WaitGroup
	if o.Progress != nil {
		progress = make(chan gitops.Progress, 16)
		forwarded.Add(1)
		go func() {
			defer forwarded.Done()
			for p := range progress {
				o.Progress(r.Name, p)
			}
		}()
	}
	fr, err := gitops.Fetch(ctx, r.Mirror, m.connectOptions(ep, signer), progress)
	if progress != nil {
		close(progress)
		forwarded.Wait()
	}
	if err != nil {
		res.Err = fmt.Errorf("fetch: %w", err)
		return "", nil
	}
	res.Warnings = fr.Warnings
	stage("sync-fetched")
	ur, err := index.Open(m.Paths).Update(r)
	if err != nil {
		res.Err = err
		return fr.HostKeyFingerprint, nil
	}
	res.NewCommits, res.Commits, res.IssueKeys = ur.New, ur.Commits, ur.IssueKeys
	return fr.HostKeyFingerprint, ur.Added
}

// recorder writes sync outcomes to the list as they arrive: while one write
// is under way the next outcomes queue up and go in the following write, so
// 200 repositories cost a handful of list writes, not 200, and none waits
// for the slowest repository.
type recorder struct {
	m       *Manager
	mu      sync.Mutex
	pending map[string]recorded
	kick    chan struct{}
	done    chan error
}

type recorded struct {
	res     SyncResult
	hostKey string
	at      time.Time
}

func newRecorder(m *Manager) *recorder {
	rc := &recorder{m: m, pending: map[string]recorded{}, kick: make(chan struct{}, 1), done: make(chan error, 1)}
	go rc.loop()
	return rc
}

func (rc *recorder) record(res SyncResult, hostKey string) {
	rc.mu.Lock()
	rc.pending[res.Name] = recorded{res: res, hostKey: hostKey, at: rc.m.now().UTC().Truncate(time.Second)}
	rc.mu.Unlock()
	select {
	case rc.kick <- struct{}{}:
	default:
	}
}

func (rc *recorder) close() error {
	close(rc.kick)
	return <-rc.done
}

func (rc *recorder) loop() {
	var errs []error
	for range rc.kick {
		if err := rc.flush(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := rc.flush(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		rc.done <- fmt.Errorf("synced, but could not record the results in the repositories list: %w", errors.Join(errs...))
		return
	}
	rc.done <- nil
}

func (rc *recorder) flush() error {
	rc.mu.Lock()
	batch := rc.pending
	rc.pending = map[string]recorded{}
	rc.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	return rc.m.list().Update(func(repos []store.Repository) ([]store.Repository, error) {
		for i := range repos {
			b, ok := batch[repos[i].Name]
			if !ok {
				continue
			}
			applyResult(&repos[i], b)
		}
		return repos, nil
	})
}

// applyResult records one outcome on a list entry. A link failure alone
// leaves the fetch recorded as done, with the link error as the last error.
func applyResult(r *store.Repository, b recorded) {
	res := b.res
	if b.hostKey != "" {
		r.HostKeyFingerprint = b.hostKey
	}
	if res.Err != nil {
		r.LastError = termtext.Field(res.Err.Error(), 300)
		return
	}
	r.Commits, r.IssueKeys = res.Commits, res.IssueKeys
	r.LastFetched = b.at
	r.LastError = ""
	if res.LinkErr != nil {
		r.LastError = termtext.Field("linking commits to Jira: "+res.LinkErr.Error(), 300)
	}
}
