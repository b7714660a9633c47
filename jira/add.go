package jira

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// AddRepository adds a repository whose mirror has been cloned (r.Mirror
// must exist): it checks the name, URL and projects, stores the private key
// (keyBytes as given, still encrypted if it was; when keyBytes is nil the
// file r.KeyFile is copied, so the repository keeps working if the original
// moves), indexes the mirror, fills the counts and appends the repository to
// the list. It all happens under the list's lock, so two processes adding the
// same name cannot both succeed. On failure it leaves no key file, index or
// list entry behind. Added and LastFetched default to now (the clone was the
// first fetch); Enabled is set.
func AddRepository(p Paths, r Repository, keyBytes []byte) (Repository, error) {
	if err := ValidName(r.Name); err != nil {
		return Repository{}, err
	}
	if err := checkURL(r.URL); err != nil {
		return Repository{}, err
	}
	projects, err := NormalizeProjects(r.Projects)
	if err != nil {
		return Repository{}, err
	}
	r.Projects = projects
	if r.Mirror == "" {
		return Repository{}, errors.New("the repository has no mirror: clone it first")
	}
	r.Mirror = absOr(r.Mirror)
	if fi, err := os.Stat(r.Mirror); err != nil || !fi.IsDir() {
		return Repository{}, fmt.Errorf("the mirror %s does not exist: clone the repository first", r.Mirror)
	}
	if keyBytes == nil {
		if r.KeyFile == "" {
			return Repository{}, errors.New("no private key given: give one with --key")
		}
		keyBytes, err = os.ReadFile(r.KeyFile)
		if err != nil {
			return Repository{}, fmt.Errorf("cannot read the key file: %w", err)
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	if r.Added.IsZero() {
		r.Added = now
	}
	if r.LastFetched.IsZero() {
		r.LastFetched = r.Added
	}
	r.Enabled = true
	r.LastError = ""

	ix := OpenIndex(p)
	var added Repository
	created := false
	err = OpenRepositoryList(p).Update(func(repos []Repository) ([]Repository, error) {
		for _, o := range repos {
			if o.Name == r.Name {
				return nil, nameTaken(r.Name)
			}
		}
		created = true
		keyPath, err := StoreKey(p, r.Name, keyBytes)
		if err != nil {
			return nil, err
		}
		r.KeyFile = keyPath
		// A leftover index of an earlier repository of that name must not be reused.
		if err := ix.Remove(r.Name); err != nil {
			return nil, err
		}
		res, err := ix.Update(r)
		if err != nil {
			return nil, err
		}
		r.Commits, r.IssueKeys = res.Commits, res.IssueKeys
		added = r
		return append(repos, r), nil
	})
	if err != nil {
		if created {
			// Only what this call made: the name was free, so the key file
			// and the index are ours.
			os.Remove(filepath.Join(p.KeysDir(), r.Name+".key"))
			ix.Remove(r.Name)
		}
		return Repository{}, err
	}
	return added, nil
}

// checkURL refuses what cannot be a repository location. The full parsing
// (ssh://, scp-like) is gitops.ParseURL's; the list only stores what the
// caller connected to.
func checkURL(u string) error {
	if strings.TrimSpace(u) == "" {
		return errors.New("the repository URL is empty: give it with --url")
	}
	for _, c := range u {
		if c < 0x20 || c == 0x7f || c == ' ' {
			return fmt.Errorf("the repository URL %q contains spaces or control characters: check --url", u)
		}
	}
	return nil
}

// RemoveRepository removes the repository called name from the list, then
// its index, its stored key (when it is under KeysDir) and its mirror (when
// it is under MirrorsDir: gitjira never deletes a directory it did not make).
// It returns the removed entry.
func RemoveRepository(p Paths, name string) (Repository, error) {
	var removed Repository
	err := OpenRepositoryList(p).Update(func(repos []Repository) ([]Repository, error) {
		for i, r := range repos {
			if r.Name == name {
				removed = r
				return append(repos[:i], repos[i+1:]...), nil
			}
		}
		return nil, notFound(name, repos)
	})
	if err != nil {
		return Repository{}, err
	}
	var errs []error
	if err := OpenIndex(p).Remove(name); err != nil {
		errs = append(errs, err)
	}
	if removed.KeyFile != "" && within(p.KeysDir(), removed.KeyFile) {
		if err := os.Remove(removed.KeyFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if removed.Mirror != "" && within(p.MirrorsDir(), removed.Mirror) {
		if err := os.RemoveAll(removed.Mirror); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("removed %s from the list, but could not delete all its files: %w", name, errors.Join(errs...))
	}
	return removed, nil
}

// within reports whether path is strictly inside dir.
func within(dir, path string) bool {
	rel, err := filepath.Rel(absOr(dir), absOr(path))
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel)
}
