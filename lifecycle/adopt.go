package lifecycle

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/store"
)

// Adopt re-adds an orphan (a mirror and a stored key with neither a list
// entry nor a journal, e.g. a repository connected after a restored
// repositories.json.bak) from its own files: the location is the one its
// mirror was cloned from, the key the stored one; the index is rebuilt and
// the projects are the given ones (none: all). It runs under the name lock
// and the location lock, as a connect does: a location already in the list
// is refused with the name it is connected as. Nothing goes over the
// network; the next fetch brings it up to date.
func (m *Manager) Adopt(ctx context.Context, name string, projects []string) (store.Repository, error) {
	if err := store.ValidName(name); err != nil {
		return store.Repository{}, invalid(err)
	}
	projects, err := store.NormalizeProjects(projects)
	if err != nil {
		return store.Repository{}, invalid(err)
	}
	m.recoverNow()
	lk, err := m.lockName(ctx, name)
	if err != nil {
		return store.Repository{}, err
	}
	defer lk.Unlock()
	o, err := m.orphanLocked(name)
	if err != nil {
		return store.Repository{}, err
	}
	if !o.Adoptable() {
		return store.Repository{}, invalid(fmt.Errorf("%s cannot be re-added: it needs both a mirror and a stored key; delete it with `gitjira repos clean %s`", name, name))
	}
	url, branch, err := mirrorOrigin(o.Mirror)
	if err != nil {
		return store.Repository{}, fmt.Errorf("cannot re-add %s: its mirror %s does not say where it was cloned from (%v); delete it with `gitjira repos clean %s` and connect it again", name, o.Mirror, err, name)
	}
	ep, err := gitops.ParseURLWithConfig(url, m.sshConfig())
	if err != nil {
		return store.Repository{}, fmt.Errorf("cannot re-add %s: its mirror's location %q: %w", name, url, err)
	}
	r := store.Repository{ID: newID(), Name: name, URL: ep.String(), Projects: projects, KeyFile: o.KeyFile, Mirror: o.Mirror, DefaultBranch: branch}
	key, err := m.PublicStoredKey(r)
	if err != nil {
		return store.Repository{}, err
	}
	r.KeyFingerprint = key.Fingerprint
	raw, err := m.readStoredKey(r)
	if err != nil {
		return store.Repository{}, err
	}
	return m.add(r, raw, false)
}

// mirrorOrigin reads where a mirror was cloned from (its origin remote) and
// the branch its HEAD names.
func mirrorOrigin(dir string) (url, branch string, err error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return "", "", err
	}
	cfg, err := repo.Config()
	if err != nil {
		return "", "", err
	}
	rc, ok := cfg.Remotes["origin"]
	if !ok || len(rc.URLs) == 0 || rc.URLs[0] == "" {
		return "", "", errors.New("no origin remote")
	}
	if head, err := repo.Storer.Reference(plumbing.HEAD); err == nil && head.Type() == plumbing.SymbolicReference && head.Target().IsBranch() {
		branch = head.Target().Short()
	}
	return rc.URLs[0], branch, nil
}
