package jira

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/gitjira/gitjira/gitdiff"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
	"github.com/go-git/go-git/v5/plumbing"
)

// Publishing commits to Jira Cloud's Development panel (issue 16, item 5).
//
// With OAuth client credentials stored for the site (store.Site.DevInfo),
// a repository's commits go to the Development Information API instead of
// remote links: the issue's Development panel shows a count and the list per
// repository, as it does for Bitbucket, GitHub or GitLab. The repository is
// one entity whose id is its identity (stable across reconnects, homes and
// machines), tagged with a property so `repos remove --unlink` deletes
// everything gitjira sent for it with one DELETE …/bulkByProperties.
//
// The history present when publishing starts goes with operationType
// BACKFILL and preventTransitions (no issue moves because of old commits);
// later commits go NORMAL, with transitions allowed only when the repository
// has smart commits turned on, since on Cloud Jira applies smart commits from
// the Development Information itself.
//
// What was accepted is local state per repository identity
// (Data/links/devinfo-<hash>.json), written after each accepted batch: a
// killed run sends at most one batch again, which Jira takes as an update
// (same ids, higher updateSequenceId). Issue keys Jira does not know
// (unknownIssueKeys) are dropped from later pushes; a commit left with none
// is not sent again.

// Limits of the Development Information API (per request: at most 1,000
// entities across repositories; per commit: at most 100 issue keys; texts
// bounded) and what one run may spend.
const (
	devInfoBatch      = 1000
	devInfoMaxKeys    = 100
	devInfoMaxMessage = 1024
	devInfoMaxName    = 255
	devInfoRetries    = 5
	devInfoMaxWait    = 2 * time.Minute
	devInfoStateVer   = 1
)

// DevInfoProperty is the property every repository entity gitjira sends is
// tagged with; its value is a hash of the repository identity.
const DevInfoProperty = "gitjiraRepository"

// DevInfoPublisher publishes a repository's indexed commits to the
// Development panel of Jira Cloud.
type DevInfoPublisher struct {
	Site  store.Site
	Paths store.Paths
	HTTP  *http.Client // nil: the default; tests pass the stand-in's
	// Identity is the repository's stable identity (the same for the same
	// repository connected again, from anywhere); nil: RepositoryIdentity.
	Identity func(store.Repository) string
	// FileCount gives the number of files a commit changed (the panel shows
	// it); nil: counted from the mirror as `git show --first-parent
	// --name-only` lists them (gitdiff.CommitChanges, renames detected).
	// When a commit cannot be read the count sent is 0.
	FileCount func(repo store.Repository, sha string) (int, error)
	// Progress is called after each batch with commits sent and the total.
	Progress func(done, total int)
	// Sleep waits out Retry-After (tests shorten it); nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// devInfoState is what was accepted for one repository identity.
type devInfoState struct {
	Version    int      `json:"version"`
	Identity   string   `json:"identity"`
	Backfilled bool     `json:"backfilled"`
	Sent       []string `json:"sent"`    // sorted shas Jira accepted
	Unknown    []string `json:"unknown"` // sorted issue keys Jira does not know

	path string
	sent map[string]bool
	unk  map[string]bool
}

func devInfoHash(identity string) string {
	h := sha256.Sum256([]byte(identity))
	return hex.EncodeToString(h[:16])
}

// DevInfoStateFile is where the Development panel state of a repository
// identity is kept.
func DevInfoStateFile(p store.Paths, identity string) string {
	return filepath.Join(p.Data, "links", "devinfo-"+devInfoHash(identity)+".json")
}

func loadDevInfoState(p store.Paths, identity string) (*devInfoState, error) {
	st := &devInfoState{Version: devInfoStateVer, Identity: identity, path: DevInfoStateFile(p, identity), sent: map[string]bool{}, unk: map[string]bool{}}
	b, err := os.ReadFile(st.path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the Development panel state %s: %v", st.path, err)
	}
	var f devInfoState
	if json.Unmarshal(b, &f) != nil || f.Version != devInfoStateVer || f.Identity != identity {
		// Damaged or foreign: start over. Sending again is an update in
		// Jira (same ids), never a duplicate.
		return st, nil
	}
	st.Backfilled = f.Backfilled
	for _, s := range f.Sent {
		if index.ValidSHA(s) {
			st.sent[s] = true
		}
	}
	for _, k := range f.Unknown {
		if store.ValidIssueKey(k) {
			st.unk[k] = true
		}
	}
	return st, nil
}

func (st *devInfoState) save() error {
	st.Sent = st.Sent[:0]
	for s := range st.sent {
		st.Sent = append(st.Sent, s)
	}
	sort.Strings(st.Sent)
	st.Unknown = st.Unknown[:0]
	for k := range st.unk {
		st.Unknown = append(st.Unknown, k)
	}
	sort.Strings(st.Unknown)
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := fsatomic.MkdirPrivate(filepath.Dir(st.path)); err != nil {
		return err
	}
	return fsatomic.WriteFile(st.path, append(b, '\n'), 0o600)
}

// devInfoBody is POST …/bulk.
type devInfoBody struct {
	Repositories       []devInfoRepository `json:"repositories"`
	PreventTransitions bool                `json:"preventTransitions"`
	OperationType      string              `json:"operationType"`
	Properties         map[string]string   `json:"properties"`
	ProviderMetadata   map[string]string   `json:"providerMetadata,omitempty"`
}

type devInfoRepository struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	URL              string          `json:"url"`
	UpdateSequenceID int64           `json:"updateSequenceId"`
	Commits          []devInfoCommit `json:"commits"`
}

type devInfoCommit struct {
	ID               string            `json:"id"`
	IssueKeys        []string          `json:"issueKeys"`
	UpdateSequenceID int64             `json:"updateSequenceId"`
	Hash             string            `json:"hash"`
	Message          string            `json:"message"`
	Author           map[string]string `json:"author"`
	FileCount        int               `json:"fileCount"`
	URL              string            `json:"url"`
	AuthorTimestamp  string            `json:"authorTimestamp"`
	DisplayID        string            `json:"displayId"`
}

// devInfoAnswer is the 202 answer of …/bulk.
type devInfoAnswer struct {
	Accepted map[string]struct {
		Commits []string `json:"commits"`
	} `json:"acceptedDevinfoEntities"`
	Failed map[string]struct {
		Commits []struct {
			ID            string `json:"id"`
			ErrorMessages []struct {
				Message string `json:"message"`
			} `json:"errorMessages"`
		} `json:"commits"`
	} `json:"failedDevinfoEntities"`
	UnknownIssueKeys []string `json:"unknownIssueKeys"`
}

func (dp *DevInfoPublisher) identity(r store.Repository) string {
	if dp.Identity != nil {
		if id := dp.Identity(r); id != "" {
			return id
		}
	}
	return RepositoryIdentity(r)
}

func (dp *DevInfoPublisher) now() time.Time {
	if dp.Now != nil {
		return dp.Now()
	}
	return time.Now()
}

// Publish implements Publisher: every indexed commit of repo that mentions
// issues of its permitted projects and that Jira has not accepted yet is
// sent (added, the commits this fetch indexed, are among them; what was
// accepted is known from the state, so a backfill and a fetch are the same
// call).
func (dp *DevInfoPublisher) Publish(ctx context.Context, repo store.Repository, added []index.CommitRef, progress func(done, total int)) (LinkReport, error) {
	commits, err := index.IndexedCommits(dp.Paths, repo)
	if err != nil {
		return LinkReport{}, err
	}
	cp := *dp
	if progress != nil {
		cp.Progress = progress
	}
	return cp.publish(ctx, repo, commits)
}

// publish sends the commits of repo not accepted yet, in batches of at most
// 1,000: BACKFILL until the first complete run, NORMAL afterwards.
func (dp *DevInfoPublisher) publish(ctx context.Context, repo store.Repository, commits []index.CommitRef) (LinkReport, error) {
	var rep LinkReport
	c, err := devInfoClient(ctx, dp.Site, dp.HTTP)
	if err != nil {
		return rep, err
	}
	identity := dp.identity(repo)
	lockPath := DevInfoStateFile(dp.Paths, identity) + ".lock"
	if err := fsatomic.MkdirPrivate(filepath.Dir(lockPath)); err != nil {
		return rep, err
	}
	lk, err := fsatomic.Acquire(ctx, lockPath)
	if err != nil {
		return rep, err
	}
	defer lk.Unlock()
	st, err := loadDevInfoState(dp.Paths, identity)
	if err != nil {
		return rep, err
	}

	web, _ := RepositoryWebLocation(repo)
	repoURL := web.WebURL
	if repoURL == "" {
		repoURL = repo.URL
	}
	var pending []index.CommitRef
	for _, cm := range commits {
		if st.sent[cm.SHA] || !index.ValidSHA(cm.SHA) {
			continue
		}
		var keys []string
		for _, k := range cm.Keys {
			if !st.unk[k] && repo.AllowsIssue(k) && !slices.Contains(keys, k) && len(keys) < devInfoMaxKeys {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		cm.Keys = keys
		pending = append(pending, cm)
	}
	rep.Linked = len(st.sent)
	total := len(pending)
	operation, prevent := "NORMAL", true
	if !st.Backfilled {
		operation = "BACKFILL"
	} else if repo.SmartCommits {
		prevent = false
	}
	props := map[string]string{DevInfoProperty: devInfoHash(identity)}
	fileCount := dp.FileCount
	if fileCount == nil && len(pending) > 0 {
		db, err := index.OpenObjects(dp.Paths.Resolve(repo.Mirror))
		if err == nil {
			defer db.Close()
			fileCount = func(_ store.Repository, sha string) (int, error) {
				c, err := gitdiff.ReadCommit(db, plumbing.NewHash(sha))
				if err != nil {
					return 0, err
				}
				ch, err := gitdiff.CommitChanges(db, c)
				return len(ch), err
			}
		}
	}
	var firstErr error
	for start := 0; start < len(pending); start += devInfoBatch {
		batch := pending[start:min(start+devInfoBatch, len(pending))]
		seq := dp.now().UnixMilli()
		body := devInfoBody{
			Repositories: []devInfoRepository{{
				ID:               identity,
				Name:             termtext.Field(repo.Name, devInfoMaxName),
				URL:              repoURL,
				UpdateSequenceID: seq,
			}},
			PreventTransitions: prevent,
			OperationType:      operation,
			Properties:         props,
			ProviderMetadata:   map[string]string{"product": "gitjira"},
		}
		for _, cm := range batch {
			fc := 0
			if fileCount != nil {
				if n, err := fileCount(repo, cm.SHA); err == nil {
					fc = n
				}
			}
			cu, _ := CommitURL(repo, cm.SHA)
			if cu == "" {
				cu = repoURL
			}
			author := termtext.Field(cm.Author, devInfoMaxName)
			if author == "" {
				author = "unknown"
			}
			body.Repositories[0].Commits = append(body.Repositories[0].Commits, devInfoCommit{
				ID: cm.SHA, IssueKeys: cm.Keys, UpdateSequenceID: seq, Hash: cm.SHA,
				Message:         termtext.Field(cm.Subject, devInfoMaxMessage),
				Author:          map[string]string{"name": author},
				FileCount:       fc,
				URL:             cu,
				AuthorTimestamp: cm.Date.Format(time.RFC3339),
				DisplayID:       cm.SHA[:10],
			})
		}
		var ans devInfoAnswer
		if err := dp.send(ctx, c, http.MethodPost, "/bulk", body, &ans); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			rep.Failed += len(batch)
			if ctx.Err() != nil || isFatalDevInfo(err) {
				break
			}
			continue
		}
		accepted := map[string]bool{}
		for _, e := range ans.Accepted {
			for _, id := range e.Commits {
				accepted[id] = true
			}
		}
		failedMsg := ""
		for _, e := range ans.Failed {
			for _, fc := range e.Commits {
				rep.Failed++
				if failedMsg == "" && len(fc.ErrorMessages) > 0 {
					failedMsg = termtext.Field(fc.ErrorMessages[0].Message, 200)
				}
			}
		}
		for _, k := range ans.UnknownIssueKeys {
			if store.ValidIssueKey(k) {
				st.unk[k] = true
			}
		}
		for _, cm := range batch {
			// Accepted, or every key unknown to Jira: done. The answer may
			// list accepted ids or leave them out (asynchronous storage);
			// a commit not named as failed was taken.
			if accepted[cm.SHA] || !failedIn(ans, cm.SHA) {
				if !st.sent[cm.SHA] {
					st.sent[cm.SHA] = true
					rep.Created++
				}
			}
		}
		if failedMsg != "" && firstErr == nil {
			firstErr = fmt.Errorf("Jira refused some commits' development information: %s", failedMsg)
		}
		if err := st.save(); err != nil {
			return rep, err
		}
		if dp.Progress != nil {
			dp.Progress(min(start+len(batch), total), total)
		}
	}
	if firstErr == nil && !st.Backfilled {
		st.Backfilled = true
		if err := st.save(); err != nil {
			return rep, err
		}
	}
	rep.Linked = len(st.sent)
	rep.Pending = total - rep.Created
	if n := len(st.unk); n > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d issue keys are not known to Jira and are left out (e.g. %s)", n, firstSorted(st.unk)))
	}
	if firstErr != nil {
		return rep, firstErr
	}
	return rep, nil
}

func failedIn(ans devInfoAnswer, sha string) bool {
	for _, e := range ans.Failed {
		for _, fc := range e.Commits {
			if fc.ID == sha {
				return true
			}
		}
	}
	return false
}

func firstSorted(m map[string]bool) string {
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return l[0]
}

// isFatalDevInfo: refusals no later batch of this run can get past.
func isFatalDevInfo(err error) bool {
	var ae *APIError
	var oe *OAuthError
	return errors.As(err, &oe) || (errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden))
}

// send makes one request, waiting out 429/503 with Retry-After (bounded).
func (dp *DevInfoPublisher) send(ctx context.Context, c *Client, method, path string, body, out any) error {
	for attempt := 0; ; attempt++ {
		_, err := c.do(ctx, method, path, body, out)
		var ae *APIError
		if err == nil || !errors.As(err, &ae) || (ae.Status != http.StatusTooManyRequests && ae.Status != http.StatusServiceUnavailable) || attempt >= devInfoRetries {
			if errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden) {
				return fmt.Errorf("Jira refused the development information (%d): the OAuth credentials need the \"Development information\" permission (Jira Settings, Apps, OAuth credentials), or were revoked: run gitjira jira login --oauth-client-id again", ae.Status)
			}
			return err
		}
		wait := ae.RetryAfter
		if wait <= 0 {
			wait = time.Duration(1<<attempt) * time.Second
		}
		if wait > devInfoMaxWait {
			return fmt.Errorf("Jira asks to wait %s before sending more development information: kept for the next run", wait.Round(time.Second))
		}
		sleep := dp.Sleep
		if sleep == nil {
			sleep = sleepCtx
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unlink deletes everything gitjira published for repo from the Development
// panel (one DELETE …/bulkByProperties) and forgets the state. Jira deletes
// asynchronously; the answer is 202.
func (dp *DevInfoPublisher) Unlink(ctx context.Context, repo store.Repository) (LinkReport, error) {
	var rep LinkReport
	c, err := devInfoClient(ctx, dp.Site, dp.HTTP)
	if err != nil {
		return rep, err
	}
	identity := dp.identity(repo)
	st, err := loadDevInfoState(dp.Paths, identity)
	if err != nil {
		return rep, err
	}
	q := url.Values{DevInfoProperty: {devInfoHash(identity)}}
	if err := dp.send(ctx, c, http.MethodDelete, "/bulkByProperties?"+q.Encode(), nil, nil); err != nil {
		return rep, err
	}
	rep.Deleted = len(st.sent)
	if err := os.Remove(st.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return rep, err
	}
	return rep, nil
}

// DevInfoPending counts the commits of repo not yet accepted by the
// Development panel (for estimates before a run).
func DevInfoPending(p store.Paths, repo store.Repository, identity string) (int, error) {
	commits, err := index.IndexedCommits(p, repo)
	if err != nil {
		return 0, err
	}
	st, err := loadDevInfoState(p, identity)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, cm := range commits {
		if st.sent[cm.SHA] {
			continue
		}
		for _, k := range cm.Keys {
			if !st.unk[k] && repo.AllowsIssue(k) {
				n++
				break
			}
		}
	}
	return n, nil
}
