package lifecycle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
)

// RecoverReport says what Recover cleaned up.
type RecoverReport struct {
	RolledBack []string // unfinished connects undone (their files deleted)
	Finished   []string // unfinished removes completed
}

// Recover repairs what killed runs left: for each name with a journal entry
// or files but no list entry, whose name lock no live process holds, it
// deletes the mirror, partial clones, stored key, index and link state the
// list does not own; an unfinished remove is completed. Names a live process
// is working on are left alone. It is cheap when there is nothing to do (a
// few directory listings) and runs at the start of every operation.
func (m *Manager) Recover() (RecoverReport, error) {
	var rep RecoverReport
	candidates := m.artifactNames()
	if len(candidates) == 0 {
		return rep, nil
	}
	repos, err := m.list().Load()
	if err != nil {
		return rep, err
	}
	listed := map[string]bool{}
	for _, r := range repos {
		listed[r.Name] = true
	}
	var errs []error
	for name := range candidates {
		in := m.readIntent(name)
		if listed[name] && in == nil {
			continue // a listed repository's own files
		}
		lk, err := fsatomic.TryAcquire(filepath.Join(m.locksDir(), name+".lock"))
		if err != nil {
			continue // a live process owns it (or the lock cannot be taken: leave it)
		}
		did, err := m.recoverName(name)
		lk.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		switch did {
		case opConnect:
			rep.RolledBack = append(rep.RolledBack, name)
		case opRemove:
			rep.Finished = append(rep.Finished, name)
		}
	}
	return rep, errors.Join(errs...)
}

// recoverName repairs one name; the caller holds its name lock, so the list
// entry cannot change under it except through a remove it finishes itself.
func (m *Manager) recoverName(name string) (string, error) {
	in := m.readIntent(name)
	_, err := m.list().Get(name)
	inList := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	switch {
	case in != nil && in.Op == opRemove && inList:
		// Killed before the list write: finish the remove that was asked for.
		if _, err := m.removeLocked(name); err != nil {
			return "", err
		}
		return opRemove, nil
	case inList:
		// A connect that got as far as the list entry: it is done.
		m.clearIntent(name)
		return "", nil
	}
	// Not in the list: nothing under this name is owned by anyone. A remove
	// recorded the repository's identity, whose link state goes too.
	gone := store.Repository{Name: name}
	if in != nil {
		gone.ID = in.ID
	}
	if err := m.deleteArtifacts(name, "", gone); err != nil {
		return "", err
	}
	m.clearIntent(name)
	if in != nil && in.Op == opRemove {
		return opRemove, nil
	}
	return opConnect, nil
}

// deleteArtifacts deletes the files gitjira keeps for name under Data: the
// mirror (and mirror, when it is another directory under MirrorsDir), its
// partial clones, the stored key, the index and the link state. Nothing
// outside gitjira's own directories is touched.
func (m *Manager) deleteArtifacts(name, mirror string, r store.Repository) error {
	var errs []error
	rm := func(path string, all bool) {
		var err error
		if all {
			err = os.RemoveAll(path)
		} else {
			err = os.Remove(path)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	mirrors := []string{m.Paths.MirrorDir(name)}
	if mirror != "" && mirror != mirrors[0] && within(m.Paths.MirrorsDir(), mirror) {
		mirrors = append(mirrors, mirror)
	}
	for _, d := range mirrors {
		if err := gitops.RemovePartialClones(d); err != nil {
			errs = append(errs, err)
		}
		rm(d, true)
	}
	rm(filepath.Join(m.Paths.KeysDir(), name+".key"), false)
	if err := index.Open(m.Paths).Remove(name); err != nil {
		errs = append(errs, err)
	}
	if err := jira.RemoveLinkState(m.Paths, name); err != nil {
		errs = append(errs, err)
	}
	if r.ID != "" {
		if err := jira.RemoveRepositoryLinkState(m.Paths, r); err != nil {
			errs = append(errs, err)
		}
	}
	fsatomic.SyncDir(m.Paths.MirrorsDir())
	if len(errs) > 0 {
		return fmt.Errorf("could not delete all files of %s: %w", name, errors.Join(errs...))
	}
	return nil
}

// within reports whether path is strictly inside dir.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !filepath.IsAbs(rel) && !startsWithDotDot(rel)
}

func startsWithDotDot(rel string) bool {
	return len(rel) >= 3 && rel[:3] == ".."+string(filepath.Separator)
}
