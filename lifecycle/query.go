package lifecycle

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
)

// The queries front-ends need (the command line, the Manage screen): the
// list with its totals and what recovery cleaned, one repository's details.
// Front-ends never open mirrors or key files themselves.

// Listing is the repositories list as a front-end shows it.
type Listing struct {
	Repositories []store.Repository
	Stats        ListStats
	// Orphans are mirrors or stored keys with neither a list entry nor a
	// journal: kept, and reported with the commands that re-add
	// (`repos adopt NAME`) or delete (`repos clean`) them.
	Orphans []Orphan
	// Recovered is what List repaired first (interrupted connects and
	// removes); its Lines are what to tell the user. RecoverErr is a repair
	// that failed (it is retried by the next run).
	Recovered  RecoverReport
	RecoverErr error
}

// ListStats are the list's totals.
type ListStats struct {
	Repositories int
	Enabled      int
	Failing      int // enabled, and the last sync failed
	Commits      int
	IssueKeys    int
}

// List repairs what killed runs left (Recover), then reads the list, its
// totals and the orphans. The list's error (unreadable, corrupted) is
// returned; a failed repair is reported in RecoverErr and does not stop
// the listing.
func (m *Manager) List() (Listing, error) {
	var l Listing
	l.Recovered, l.RecoverErr = m.Recover()
	repos, err := m.list().Load()
	if err != nil {
		return l, err
	}
	l.Repositories = repos
	l.Stats = stats(repos)
	l.Orphans = m.orphans(repos)
	return l, nil
}

func stats(repos []store.Repository) ListStats {
	s := ListStats{Repositories: len(repos)}
	for _, r := range repos {
		if r.Enabled {
			s.Enabled++
			if r.LastError != "" {
				s.Failing++
			}
		}
		s.Commits += r.Commits
		s.IssueKeys += r.IssueKeys
	}
	return s
}

// Repositories reads the list as it is, without repairing anything (shell
// completion, "is there a repository yet").
func (m *Manager) Repositories() ([]store.Repository, error) { return m.list().Load() }

// Repository returns the listed repository called name, or an error
// wrapping store.ErrNotFound that names the ones there are.
func (m *Manager) Repository(name string) (store.Repository, error) { return m.list().Get(name) }

// Details is what the Manage screen's details page shows of a repository.
// Each part that could not be read has its error beside it; the rest is
// still there.
type Details struct {
	Repository store.Repository
	// MirrorSize is the bytes the mirror's files take (du --apparent-size).
	MirrorSize int64
	SizeErr    error
	// Key is the stored key as far as it reads without a passphrase (the
	// public half of an encrypted OpenSSH or PuTTY key); never a secret.
	Key    *sshkeys.Key
	KeyErr error
	// Recent are the latest commits of the default branch, newest first.
	Recent    []CommitSummary
	RecentErr error
}

// CommitSummary is one commit as lists show it.
type CommitSummary struct {
	SHA     string
	Author  string
	Date    time.Time
	Subject string // the first line, sanitised for a terminal
	// IssueKeys are the issue keys the message mentions that the
	// repository's projects may see, found as the index finds them.
	IssueKeys []string
}

// Details reads a repository's details: mirror size, stored key (public
// part) and its recent commits (at most recent). The error is for the name
// (not listed) or the list; the parts' errors are in Details.
func (m *Manager) Details(name string, recent int) (Details, error) {
	r, err := m.list().Get(name)
	if err != nil {
		return Details{}, err
	}
	d := Details{Repository: r}
	d.MirrorSize, d.SizeErr = dirSize(m.mirrorOf(r))
	d.Key, d.KeyErr = m.PublicStoredKey(r)
	d.Recent, d.RecentErr = m.RecentCommits(r, recent)
	return d, nil
}

// RecentCommits are the latest n commits of r's default branch (HEAD of
// its mirror), newest first.
func (m *Manager) RecentCommits(r store.Repository, n int) ([]CommitSummary, error) {
	repo, err := git.PlainOpen(m.mirrorOf(r))
	if err != nil {
		return nil, err
	}
	head, err := repo.Head()
	if err != nil {
		return nil, err
	}
	it, err := repo.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []CommitSummary
	for len(out) < n {
		c, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		out = append(out, commitSummary(r, c))
	}
	return out, nil
}

func commitSummary(r store.Repository, c *object.Commit) CommitSummary {
	var keys []string
	for _, k := range store.IssueKeys(c.Message) {
		if r.AllowsIssue(k) {
			keys = append(keys, k)
		}
	}
	subject, _, _ := strings.Cut(c.Message, "\n")
	return CommitSummary{SHA: c.Hash.String(), Author: termtext.Field(c.Author.Name, 200), Date: c.Author.When,
		Subject: termtext.Field(subject, 200), IssueKeys: keys}
}

// mirrorOf is where r's mirror is: the stored path, resolved against the
// home (store.Repository.Mirror may be relative to it).
func (m *Manager) mirrorOf(r store.Repository) string {
	if r.Mirror == "" {
		return m.Paths.MirrorDir(r.Name)
	}
	return r.Mirror
}

// dirSize is the bytes the regular files under dir take (their sizes, as du
// --apparent-size); symlinks are not followed.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n, err
}
