package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
)

// RecoverReport says what Recover cleaned up.
type RecoverReport struct {
	RolledBack []string // unfinished connects undone (their files deleted)
	Finished   []string // unfinished removes completed
	// Cleaned is one entry per repaired name, in the order done, with the
	// bytes its deleted files took: what Lines tells the user.
	Cleaned []Cleaned
}

// Cleaned is one name Recover repaired.
type Cleaned struct {
	Name  string
	Op    string // "connect" (rolled back) or "remove" (finished)
	Bytes int64  // what the deleted files took
}

// Lines are the report for people, one line per repaired name:
// "cleaned up an interrupted connect of app (22 MiB)".
func (r RecoverReport) Lines() []string {
	var out []string
	for _, c := range r.Cleaned {
		switch c.Op {
		case opRemove:
			out = append(out, fmt.Sprintf("finished an interrupted remove of %s (%s freed)", c.Name, termtext.ByteSize(c.Bytes)))
		default:
			out = append(out, fmt.Sprintf("cleaned up an interrupted connect of %s (%s)", c.Name, termtext.ByteSize(c.Bytes)))
		}
	}
	return out
}

// Recover repairs what killed runs left, and only what a journal names: for
// each name with a journal entry whose name lock no live process holds, an
// unfinished connect is rolled back (its mirror, partial clones, stored key,
// index and link state deleted, unless the list has the entry: then it was
// done) and an unfinished remove is finished. Files with neither a list
// entry nor a journal are never deleted here: they are orphans (Orphans),
// e.g. the repositories connected after a restored repositories.json.bak.
// Names a live process is working on are left alone. It is cheap when there
// is nothing to do (one directory listing) and runs at the start of every
// operation.
func (m *Manager) Recover() (RecoverReport, error) {
	var rep RecoverReport
	names := m.journalNames()
	if len(names) == 0 {
		return rep, nil
	}
	var errs []error
	for _, name := range names {
		lk, err := fsatomic.TryAcquire(filepath.Join(m.locksDir(), name+".lock"))
		if err != nil {
			continue // a live process owns it (or the lock cannot be taken: leave it)
		}
		did, bytes, err := m.recoverName(name)
		lk.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		switch did {
		case opConnect:
			rep.RolledBack = append(rep.RolledBack, name)
		case opRemove:
			rep.Finished = append(rep.Finished, name)
		default:
			continue
		}
		rep.Cleaned = append(rep.Cleaned, Cleaned{Name: name, Op: did, Bytes: bytes})
	}
	return rep, errors.Join(errs...)
}

// journalNames are the names with a journal entry, sorted.
func (m *Manager) journalNames() []string {
	entries, _ := os.ReadDir(m.journalDir())
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok && store.ValidName(n) == nil {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// recoverName repairs one name by its journal; the caller holds its name
// lock, so the list entry cannot change under it except through a remove it
// finishes itself. An unreadable journal (gitjira writes them atomically, so
// one is not its own) repairs nothing: the name's files become orphans.
func (m *Manager) recoverName(name string) (string, int64, error) {
	in, err := m.readIntent(name)
	if in == nil || err != nil {
		return "", 0, err
	}
	_, err = m.list().Get(name)
	inList := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", 0, err
	}
	switch {
	case in.Op == opRemove && inList:
		// Killed before the list write: finish the remove that was asked for.
		r, _ := m.list().Get(name)
		size := m.artifactsSize(name, r.Mirror)
		if _, err := m.removeLocked(name); err != nil {
			return "", 0, err
		}
		return opRemove, size, nil
	case inList:
		// A connect that got as far as the list entry: it is done.
		m.clearIntent(name)
		return "", 0, nil
	}
	// Not in the list: what the journal names is owned by no one. A remove
	// recorded the repository's identity, whose link state goes too.
	gone := store.Repository{Name: name, ID: in.ID}
	mirror := ""
	if in.Mirror != "" && within(m.Paths.MirrorsDir(), m.Paths.Resolve(in.Mirror)) {
		mirror = m.Paths.Resolve(in.Mirror)
	}
	size := m.artifactsSize(name, mirror)
	if err := m.deleteArtifacts(name, mirror, gone); err != nil {
		return "", 0, err
	}
	m.clearIntent(name)
	if in.Op == opRemove {
		return opRemove, size, nil
	}
	return opConnect, size, nil
}

// artifactsSize is what the files deleteArtifacts would delete take.
func (m *Manager) artifactsSize(name, mirror string) int64 {
	var n int64
	for _, p := range m.artifactPaths(name, mirror) {
		s, _ := dirSize(p)
		n += s
	}
	return n
}

// artifactPaths are the files and directories gitjira keeps for name under
// Data that exist: mirrors (the usual one and mirror, when it is another
// directory under MirrorsDir), partial clones, the stored key, the index.
func (m *Manager) artifactPaths(name, mirror string) []string {
	var out []string
	mirrors := []string{m.Paths.MirrorDir(name)}
	if mirror != "" && mirror != mirrors[0] && within(m.Paths.MirrorsDir(), mirror) {
		mirrors = append(mirrors, mirror)
	}
	for _, d := range mirrors {
		if exists(d) {
			out = append(out, d)
		}
		out = append(out, partialClones(d)...)
	}
	for _, p := range []string{filepath.Join(m.Paths.KeysDir(), name+".key"), filepath.Join(m.Paths.IndexDir(), name+".idx")} {
		if exists(p) {
			out = append(out, p)
		}
	}
	return out
}

// partialClones are the "<dir>.partial-*" directories a clone into dir left.
func partialClones(dir string) []string {
	entries, _ := os.ReadDir(filepath.Dir(dir))
	prefix := filepath.Base(dir) + ".partial-"
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, filepath.Join(filepath.Dir(dir), e.Name()))
		}
	}
	return out
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

// Orphan is a name with files under the home (a mirror, a partial clone, a
// stored key, an index) but neither a list entry nor a journal: e.g. a
// repository connected after the repositories.json.bak that was restored.
// Recovery never deletes one; `repos adopt NAME` re-adds it from its mirror
// and key, `repos clean` deletes it.
type Orphan struct {
	Name    string
	Mirror  string // the mirror directory, "" when there is none
	KeyFile string // the stored key, "" when there is none
	Paths   []string
	Bytes   int64
}

// Adoptable reports whether the orphan has what `repos adopt` needs: a
// mirror and a stored key.
func (o Orphan) Adoptable() bool { return o.Mirror != "" && o.KeyFile != "" }

// Advice is the one line that says what to do with the orphan.
func (o Orphan) Advice() string {
	what := "files"
	switch {
	case o.Mirror != "" && o.KeyFile != "":
		what = "a mirror and a key"
	case o.Mirror != "":
		what = "a mirror"
	case o.KeyFile != "":
		what = "a stored key"
	}
	if o.Adoptable() {
		return fmt.Sprintf("%s has %s (%s) but is not in the repositories list: re-add it with `gitjira repos adopt %s`, or delete it with `gitjira repos clean %s`",
			o.Name, what, termtext.ByteSize(o.Bytes), o.Name, o.Name)
	}
	return fmt.Sprintf("%s has %s (%s) but is not in the repositories list and cannot be re-added: delete it with `gitjira repos clean %s`",
		o.Name, what, termtext.ByteSize(o.Bytes), o.Name)
}

// Orphans lists the orphans, by name.
func (m *Manager) Orphans() ([]Orphan, error) {
	repos, err := m.list().Load()
	if err != nil {
		return nil, err
	}
	return m.orphans(repos), nil
}

func (m *Manager) orphans(repos []store.Repository) []Orphan {
	listed := map[string]bool{}
	for _, r := range repos {
		listed[r.Name] = true
	}
	var out []Orphan
	for _, name := range m.artifactNames() {
		if listed[name] || exists(m.journalFile(name)) && m.hasReadableIntent(name) {
			continue
		}
		o := Orphan{Name: name, Paths: m.artifactPaths(name, "")}
		if len(o.Paths) == 0 {
			continue
		}
		if d := m.Paths.MirrorDir(name); exists(d) {
			o.Mirror = d
		}
		if k := filepath.Join(m.Paths.KeysDir(), name+".key"); exists(k) {
			o.KeyFile = k
		}
		for _, p := range o.Paths {
			s, _ := dirSize(p)
			o.Bytes += s
		}
		out = append(out, o)
	}
	return out
}

func (m *Manager) hasReadableIntent(name string) bool {
	in, err := m.readIntent(name)
	return in != nil && err == nil
}

// Clean deletes the named orphans (none named: every orphan), each under
// its name lock, checked again there: a name that is listed, has a journal
// or is busy is refused. It returns what it deleted.
func (m *Manager) Clean(ctx context.Context, names []string) ([]Orphan, error) {
	all, err := m.Orphans()
	if err != nil {
		return nil, err
	}
	byName := map[string]Orphan{}
	for _, o := range all {
		byName[o.Name] = o
	}
	if len(names) == 0 {
		for _, o := range all {
			names = append(names, o.Name)
		}
	}
	var done []Orphan
	var errs []error
	for _, name := range names {
		if _, ok := byName[name]; !ok {
			errs = append(errs, m.notOrphan(name))
			continue
		}
		lk, err := m.lockName(ctx, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		o, err := m.orphanLocked(name)
		if err == nil {
			if err = m.deleteArtifacts(name, "", store.Repository{Name: name}); err == nil {
				os.Remove(m.journalFile(name)) // an unreadable one
				done = append(done, o)
			}
		}
		lk.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
	}
	return done, errors.Join(errs...)
}

// orphanLocked checks, under the name lock, that name is still an orphan.
func (m *Manager) orphanLocked(name string) (Orphan, error) {
	repos, err := m.list().Load()
	if err != nil {
		return Orphan{}, err
	}
	for _, o := range m.orphans(repos) {
		if o.Name == name {
			return o, nil
		}
	}
	return Orphan{}, m.notOrphan(name)
}

func (m *Manager) notOrphan(name string) error {
	if _, err := m.list().Get(name); err == nil {
		return invalid(fmt.Errorf("%s is in the repositories list, not an orphan: remove it with `gitjira repos remove %s`", name, name))
	}
	return invalid(fmt.Errorf("%s has no files under %s that the list does not own: `gitjira repos list` shows the orphans", name, m.Paths.Data))
}
