package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/store"
)

// RemoveOptions tunes Remove.
type RemoveOptions struct {
	// BeforeDelete, when set, runs after the name and mirror are locked and
	// before anything is deleted (e.g. deleting the repository's Jira links);
	// an error stops the remove with nothing changed.
	BeforeDelete func(ctx context.Context, r store.Repository) error
}

// Remove takes the repository called name out of the list and deletes its
// mirror (only when it is under gitjira's mirrors directory), stored key,
// index and link state. It holds the name lock and the mirror's fetch lock,
// so it never interleaves with a sync of the same repository, and records
// its intent first: a run killed half-way is finished by the next run.
func (m *Manager) Remove(ctx context.Context, name string, o RemoveOptions) (store.Repository, error) {
	if err := store.ValidName(name); err != nil {
		return store.Repository{}, invalid(err)
	}
	m.recoverNow()
	r, err := m.list().Get(name)
	if err != nil {
		return store.Repository{}, err
	}
	if err := m.ensureDirs(); err != nil {
		return store.Repository{}, err
	}
	lk, err := m.lockName(ctx, name)
	if err != nil {
		return store.Repository{}, err
	}
	defer lk.Unlock()
	if r.Mirror != "" && exists(r.Mirror) {
		ml, err := lockMirror(ctx, r.Mirror, m.lockWait())
		if err != nil {
			return store.Repository{}, err
		}
		defer ml.Unlock()
	}
	if o.BeforeDelete != nil {
		if err := o.BeforeDelete(ctx, r); err != nil {
			return store.Repository{}, err
		}
	}
	return m.removeLocked(name)
}

// removeLocked does the remove; the caller holds the name lock.
func (m *Manager) removeLocked(name string) (store.Repository, error) {
	r, err := m.list().Get(name)
	if err != nil {
		return store.Repository{}, err
	}
	if err := m.writeIntent(intent{Op: opRemove, Name: name, ID: r.ID, Mirror: r.Mirror}); err != nil {
		return store.Repository{}, fmt.Errorf("cannot record the remove in %s: %w", m.journalDir(), err)
	}
	stage("remove-journaled")
	var removed store.Repository
	err = m.list().Update(func(repos []store.Repository) ([]store.Repository, error) {
		for i, o := range repos {
			if o.Name == name {
				removed = o
				return append(repos[:i], repos[i+1:]...), nil
			}
		}
		return nil, store.ErrNotFound
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		m.clearIntent(name)
		return store.Repository{}, err
	}
	if removed.Name == "" {
		removed = r
	}
	stage("remove-listed")
	mirror := ""
	if within(m.Paths.MirrorsDir(), removed.Mirror) {
		mirror = removed.Mirror
	}
	if err := m.deleteArtifacts(name, mirror, removed); err != nil {
		// The journal stays: the next run deletes what is left.
		return removed, fmt.Errorf("removed %s from the list, but %w; gitjira will retry on its next run", name, err)
	}
	m.clearIntent(name)
	return removed, nil
}

// lockMirror takes the mirror's fetch lock (gitops.LockMirror), waiting at
// most wait for a fetch of another process to finish.
func lockMirror(ctx context.Context, mirror string, wait time.Duration) (*fsatomic.Lock, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	l, err := gitops.LockMirror(ctx, mirror)
	if errors.Is(err, gitops.ErrMirrorBusy) {
		return nil, fmt.Errorf("%w: %w", ErrBusy, err)
	}
	return l, err
}
