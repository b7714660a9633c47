package lifecycle

import (
	"context"
	"fmt"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/store"
	"golang.org/x/crypto/ssh"
)

// Edit changes the settings of a listed repository that need no network:
// its projects, web URLs and linking. fn gets a copy of the entry; what it
// returns replaces it (Name, URL, Mirror, KeyFile and ID are kept). The
// project selection is normalised and checked.
func (m *Manager) Edit(ctx context.Context, name string, fn func(r *store.Repository) error) (store.Repository, error) {
	if _, err := m.list().Get(name); err != nil {
		return store.Repository{}, err // names the repositories there are
	}
	lk, err := m.lockName(ctx, name)
	if err != nil {
		return store.Repository{}, err
	}
	defer lk.Unlock()
	var out store.Repository
	err = m.list().Update(func(repos []store.Repository) ([]store.Repository, error) {
		for i := range repos {
			if repos[i].Name != name {
				continue
			}
			r := repos[i]
			if err := fn(&r); err != nil {
				return nil, err
			}
			projects, err := store.NormalizeProjects(r.Projects)
			if err != nil {
				return nil, invalid(err)
			}
			r.Projects = projects
			keep := repos[i]
			r.Name, r.URL, r.Mirror, r.KeyFile, r.ID = keep.Name, keep.URL, keep.Mirror, keep.KeyFile, keep.ID
			if r.ID == "" {
				// An entry from before IDs: its Jira links' globalIds were made
				// from its name, so the name becomes its identity.
				r.ID = keep.Name
			}
			repos[i], out = r, r
			return repos, nil
		}
		return nil, fmt.Errorf("%w: %q", store.ErrNotFound, name)
	})
	if err != nil {
		return store.Repository{}, err
	}
	// The counts depend on the projects: recount from the index (no walk).
	if c, k, err := index.Open(m.Paths).Stats(out); err == nil && (c != out.Commits || k != out.IssueKeys) {
		out.Commits, out.IssueKeys = c, k
		m.list().Update(func(repos []store.Repository) ([]store.Repository, error) {
			for i := range repos {
				if repos[i].Name == name {
					repos[i].Commits, repos[i].IssueKeys = c, k
				}
			}
			return repos, nil
		})
	}
	return out, nil
}

// SetProjects restricts a repository to the given Jira projects (empty or
// ["ALL"]: all projects).
func (m *Manager) SetProjects(ctx context.Context, name string, projects []string) (store.Repository, error) {
	return m.Edit(ctx, name, func(r *store.Repository) error {
		r.Projects = projects
		return nil
	})
}

// ReplaceKey checks that the server accepts a new key for the repository
// (one authenticated ref listing), then stores it in place of the old one,
// atomically. The old key stays if anything fails.
func (m *Manager) ReplaceKey(ctx context.Context, name string, keyRaw []byte, signer ssh.Signer, fingerprint, origin string) (store.Repository, error) {
	r, err := m.list().Get(name)
	if err != nil {
		return store.Repository{}, err
	}
	ep, err := m.Endpoint(r)
	if err != nil {
		return store.Repository{}, err
	}
	info, err := gitops.Check(ctx, m.connectOptions(ep, signer))
	if err != nil {
		return store.Repository{}, err
	}
	lk, err := m.lockName(ctx, name)
	if err != nil {
		return store.Repository{}, err
	}
	defer lk.Unlock()
	keyPath, err := store.StoreKey(m.Paths, name, keyRaw)
	if err != nil {
		return store.Repository{}, err
	}
	var out store.Repository
	err = m.list().Update(func(repos []store.Repository) ([]store.Repository, error) {
		for i := range repos {
			if repos[i].Name == name {
				repos[i].KeyFile, repos[i].KeyFingerprint, repos[i].KeyOrigin = keyPath, fingerprint, origin
				if info.HostKeyFingerprint != "" {
					repos[i].HostKeyFingerprint = info.HostKeyFingerprint
				}
				repos[i].LastError = ""
				out = repos[i]
				return repos, nil
			}
		}
		return nil, fmt.Errorf("%w: %q", store.ErrNotFound, name)
	})
	return out, err
}
