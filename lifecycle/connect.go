package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/store"
	"golang.org/x/crypto/ssh"
)

// ConnectRequest is what a front-end collected for a new repository.
type ConnectRequest struct {
	// URL is the location as typed: ssh://, scp-like, or an ~/.ssh/config alias.
	URL string
	// Name is the list name; "" means one derived from the location (for
	// the command line, the last path element; see SuggestName).
	Name string
	// Projects are the Jira project keys that may see the repository; empty
	// or ["ALL"] means all.
	Projects []string
}

// Plan is a validated ConnectRequest: nothing has been created yet.
type Plan struct {
	Name     string
	Endpoint *gitops.Endpoint
	URL      string // resolved, as stored and fetched
	Alias    string // the location as typed, when it differs from URL
	Projects []string
	Mirror   string // where the mirror will be
}

// Plan validates a request without touching the network or the disk: the
// name, the location (resolved through ~/.ssh/config), a repository already
// connected from the same place, the projects. Its errors wrap ErrInvalid,
// store.ErrNameTaken or are an *AlreadyConnectedError.
func (m *Manager) Plan(req ConnectRequest) (*Plan, error) {
	if strings.TrimSpace(req.URL) == "" {
		return nil, invalid(errors.New("the repository location is empty: give it with --url (e.g. git@host:group/repo.git)"))
	}
	ep, err := gitops.ParseURLWithConfig(req.URL, m.sshConfig())
	if err != nil {
		return nil, invalid(err)
	}
	projects, err := store.NormalizeProjects(req.Projects)
	if err != nil {
		return nil, invalid(err)
	}
	name := req.Name
	if name == "" {
		name = ep.RepoName()
	}
	if err := store.ValidName(name); err != nil {
		return nil, invalid(err)
	}
	p := &Plan{Name: name, Endpoint: ep, URL: ep.String(), Projects: projects, Mirror: m.Paths.MirrorDir(name)}
	if strings.TrimSpace(req.URL) != p.URL {
		p.Alias = strings.TrimSpace(req.URL)
	}
	// What killed runs left is repaired before the list is consulted (an
	// unfinished remove still listed would otherwise block this connect).
	// Recover creates nothing: with no home yet it has nothing to look at.
	m.recoverNow()
	repos, err := m.list().Load()
	if err != nil {
		return nil, err
	}
	if other := m.connectedAs(repos, p.URL); other != "" {
		return nil, &AlreadyConnectedError{Name: other, URL: p.URL}
	}
	for _, r := range repos {
		if r.Name == name {
			return nil, fmt.Errorf("%w: a repository called %q is already in the list; choose another with --name, or remove it first with `gitjira repos remove %s`",
				store.ErrNameTaken, name, name)
		}
	}
	return p, nil
}

// ConnectedAs returns the name of the repository connected from the location
// url (as typed or resolved), or "".
func (m *Manager) ConnectedAs(url string) string {
	ep, err := gitops.ParseURLWithConfig(url, m.sshConfig())
	if err != nil {
		return ""
	}
	repos, err := m.list().Load()
	if err != nil {
		return ""
	}
	return m.connectedAs(repos, ep.String())
}

func (m *Manager) connectedAs(repos []store.Repository, resolved string) string {
	for _, r := range repos {
		if m.resolve(Location(r)) == resolved || m.resolve(r.URL) == resolved {
			return r.Name
		}
	}
	return ""
}

// resolve gives the resolved form of a stored URL: entries written by older
// gitjira versions may hold an ~/.ssh/config alias.
func (m *Manager) resolve(url string) string {
	ep, err := gitops.ParseURLWithConfig(url, m.sshConfig())
	if err != nil {
		return url
	}
	return ep.String()
}

// SuggestName is a valid list name, free in the list and on disk, derived
// from a location (its last path element; "repo-2" and so on when taken).
func (m *Manager) SuggestName(url string) string {
	base := "repository"
	if ep, err := gitops.ParseURLWithConfig(url, m.sshConfig()); err == nil {
		base = sanitizeName(ep.RepoName())
	}
	repos, _ := m.list().Load()
	taken := map[string]bool{}
	for _, r := range repos {
		taken[r.Name] = true
	}
	for i := 1; i < 1000; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		if !taken[name] && !exists(m.Paths.MirrorDir(name)) {
			return name
		}
	}
	return base
}

// sanitizeName turns a path element into a valid list name.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	n := strings.TrimLeft(b.String(), ".-")
	if len(n) > 90 {
		n = n[:90]
	}
	if n == "" || store.ValidName(n) != nil {
		n = "repository"
	}
	return n
}

// Staged is a cloned mirror that is not in the list yet. Its name lock is
// held until Commit or Abort; if the process dies first, the next run's
// Recover deletes the mirror.
type Staged struct {
	Plan   *Plan
	Result *gitops.CloneResult
	lock   *fsatomic.Lock
}

// CloneOptions are the connection details of a clone.
type CloneOptions struct {
	Signer ssh.Signer
	// TrustFingerprint accepts an unknown host whose key has this SHA256 fingerprint.
	TrustFingerprint string
	Progress         chan<- gitops.Progress
}

// Clone clones the planned repository into its mirror under the name lock,
// with an intent journal, so a run killed at any instant leaves nothing the
// next run does not remove. On error nothing is left.
func (m *Manager) Clone(ctx context.Context, p *Plan, o CloneOptions) (*Staged, error) {
	if p == nil {
		return nil, errors.New("nothing planned to clone")
	}
	running.Add(1)
	defer running.Done()
	if err := m.ensureDirs(); err != nil {
		return nil, err
	}
	m.recoverNow()
	lk, err := m.lockName(ctx, p.Name)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			lk.Unlock()
		}
	}()
	// Checked again under the lock: another process may have added it since Plan.
	if _, err := m.list().Get(p.Name); err == nil {
		return nil, fmt.Errorf("%w: a repository called %q is already in the list; choose another with --name", store.ErrNameTaken, p.Name)
	}
	if exists(p.Mirror) {
		// Recover ran and the name is ours, so nothing owns this directory;
		// still, a directory gitjira did not plan is never deleted silently.
		return nil, &gitops.DirExistsError{Dir: p.Mirror}
	}
	if err := m.writeIntent(intent{Op: opConnect, Name: p.Name, Mirror: p.Mirror}); err != nil {
		return nil, fmt.Errorf("cannot record the connect in %s: %w", m.journalDir(), err)
	}
	copts := m.connectOptions(p.Endpoint, o.Signer)
	copts.TrustFingerprint = o.TrustFingerprint
	stage("connect-journaled")
	res, err := gitops.Clone(ctx, gitops.CloneOptions{ConnectOptions: copts, Dir: p.Mirror, Progress: o.Progress})
	if err == nil && ctx.Err() != nil {
		// Cancelled (a signal) just as the clone finished: nobody will
		// commit or abort it, so it goes now rather than at the next run.
		err = context.Cause(ctx)
	}
	if err != nil {
		m.deleteArtifacts(p.Name, "", store.Repository{})
		m.clearIntent(p.Name)
		return nil, err
	}
	ok = true
	stage("connect-cloned")
	return &Staged{Plan: p, Result: res, lock: lk}, nil
}

// running counts the clones of this process that have not returned yet: a
// cancelled clone deletes its partial mirror and journal before it returns.
var running sync.WaitGroup

// WaitClones waits, at most timeout, until every clone this process started
// has returned, so a front-end stopped by a signal exits only once a
// cancelled clone has deleted its partial mirror and journal. It reports
// whether they all returned.
func WaitClones(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Abort deletes a staged clone and releases its name (the wizard's cancel,
// or going back to change the location).
func (m *Manager) Abort(s *Staged) error {
	if s == nil || s.lock == nil {
		return nil
	}
	err := m.deleteArtifacts(s.Plan.Name, "", store.Repository{})
	m.clearIntent(s.Plan.Name)
	s.lock.Unlock()
	s.lock = nil
	return err
}

// CommitRequest is what is decided after the clone: the key to store, and
// the projects when they were chosen after the clone (the wizard asks then).
type CommitRequest struct {
	// KeyRaw is the private key as given (still encrypted if it was); it is
	// stored 0600 under Data/keys so the repository keeps working if the
	// original moves. No passphrase is ever stored.
	KeyRaw         []byte
	KeyFingerprint string
	// KeyOrigin is where the key came from (store.Repository.KeyOrigin).
	KeyOrigin string
	// KeyInAgent says the key is held by ssh-agent and cannot be copied: no
	// key file is stored, and syncs find the key in the agent by its
	// fingerprint (KeyRaw must then be empty).
	KeyInAgent bool
	// Projects overrides the plan's projects when not nil.
	Projects []string
	// WebURL and CommitURLTemplate make Jira links clickable (optional).
	WebURL, CommitURLTemplate string
	// Link sets whether syncs link commits to Jira (nil: the default).
	Link *bool
	// LinkIcon is the Jira links' icon URL ("" = the git host's favicon,
	// "none" = no icon); see jira.NormalizeLinkIcon.
	LinkIcon string
}

// Commit indexes the staged mirror, stores the key and adds the repository
// to the list; it releases the name. On error the staged clone is deleted.
func (m *Manager) Commit(s *Staged, c CommitRequest) (store.Repository, error) {
	if s == nil || s.lock == nil {
		return store.Repository{}, errors.New("nothing staged to add: clone the repository first")
	}
	defer func() {
		s.lock.Unlock()
		s.lock = nil
	}()
	p := s.Plan
	projects := p.Projects
	if c.Projects != nil {
		var err error
		if projects, err = store.NormalizeProjects(c.Projects); err != nil {
			m.deleteArtifacts(p.Name, "", store.Repository{})
			m.clearIntent(p.Name)
			return store.Repository{}, invalid(err)
		}
	}
	r := store.Repository{
		ID:                 newID(),
		Name:               p.Name,
		URL:                p.URL,
		Alias:              p.Alias,
		Projects:           projects,
		KeyFingerprint:     c.KeyFingerprint,
		KeyOrigin:          c.KeyOrigin,
		HostKeyFingerprint: s.Result.HostKeyFingerprint,
		Mirror:             s.Result.Dir,
		DefaultBranch:      s.Result.DefaultBranch,
		WebURL:             c.WebURL,
		CommitURLTemplate:  c.CommitURLTemplate,
		Link:               c.Link,
		LinkIcon:           c.LinkIcon,
	}
	added, err := m.add(r, c.KeyRaw, c.KeyInAgent)
	if err != nil {
		m.deleteArtifacts(p.Name, "", store.Repository{})
		m.clearIntent(p.Name)
		return store.Repository{}, err
	}
	stage("connect-listed")
	m.clearIntent(p.Name)
	return added, nil
}

// add stores the key, indexes the mirror and appends the entry to the list,
// in that order: the list entry is the commit point, and until it is written
// the journal makes the key and index leftovers that Recover removes. The
// caller holds the name lock.
func (m *Manager) add(r store.Repository, keyRaw []byte, inAgent bool) (store.Repository, error) {
	switch {
	case inAgent && r.KeyFingerprint == "":
		return store.Repository{}, errors.New("a key held by ssh-agent needs its fingerprint")
	case !inAgent && len(keyRaw) == 0:
		return store.Repository{}, errors.New("no private key given: give one with --key")
	}
	// Checked first without the lock (no key stored, no index built for a
	// location connected meanwhile), and again under it before the write.
	if err := m.checkNotConnected(r); err != nil {
		return store.Repository{}, err
	}
	now := m.now().UTC().Truncate(time.Second)
	r.Added, r.LastFetched, r.Enabled = now, now, true
	if !inAgent {
		keyPath, err := store.StoreKey(m.Paths, r.Name, keyRaw)
		if err != nil {
			return store.Repository{}, err
		}
		r.KeyFile = keyPath
	}
	stage("connect-key-stored")
	ix := index.Open(m.Paths)
	// A leftover index of an earlier repository of that name must not be reused.
	if err := ix.Remove(r.Name); err != nil {
		return store.Repository{}, err
	}
	res, err := ix.Update(r)
	if err != nil {
		return store.Repository{}, err
	}
	r.Commits, r.IssueKeys = res.Commits, res.IssueKeys
	stage("connect-indexed")
	loc, err := m.lockLocation(m.resolve(r.URL))
	if err != nil {
		return store.Repository{}, err
	}
	defer loc.Unlock()
	err = m.list().Update(func(repos []store.Repository) ([]store.Repository, error) {
		if other := m.connectedAs(repos, m.resolve(r.URL)); other != "" {
			return nil, &AlreadyConnectedError{Name: other, URL: r.URL}
		}
		for _, o := range repos {
			if o.Name == r.Name {
				return nil, fmt.Errorf("%w: a repository called %q is already in the list", store.ErrNameTaken, r.Name)
			}
		}
		return append(repos, r), nil
	})
	if err != nil {
		return store.Repository{}, err
	}
	return r, nil
}

// checkNotConnected refuses r when its location is in the list already
// (another process connected it since Plan).
func (m *Manager) checkNotConnected(r store.Repository) error {
	repos, err := m.list().Load()
	if err != nil {
		return err
	}
	if other := m.connectedAs(repos, m.resolve(r.URL)); other != "" {
		return &AlreadyConnectedError{Name: other, URL: r.URL}
	}
	return nil
}

// Connect runs the whole connect: Plan, Clone, Commit.
func (m *Manager) Connect(ctx context.Context, req ConnectRequest, o CloneOptions, c CommitRequest) (store.Repository, error) {
	p, err := m.Plan(req)
	if err != nil {
		return store.Repository{}, err
	}
	s, err := m.Clone(ctx, p, o)
	if err != nil {
		return store.Repository{}, err
	}
	return m.Commit(s, c)
}
