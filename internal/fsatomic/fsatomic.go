// Package fsatomic is gitjira's one implementation of durable file writes,
// private directories and cross-process locks, so every package writes and
// locks the same way: a file is replaced by temp file + fsync + rename +
// fsync of the directory (google/renameio), and locks are flock(2) locks
// (gofrs/flock) that the kernel releases when the holder dies, so a killed
// process never leaves a lock that blocks the next run.
package fsatomic

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/renameio/v2"
)

// DirMode is the mode of every directory gitjira creates for its own data:
// other local users must not even list repository or key names.
const DirMode fs.FileMode = 0o700

// MkdirPrivate creates dir and its missing parents with mode 0700 and makes
// sure dir itself is 0700 (MkdirAll leaves an existing directory's mode alone).
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm() != DirMode {
		return os.Chmod(dir, DirMode)
	}
	return nil
}

// WriteFile replaces path with data so that a reader, or the file after a
// crash at any instant, shows either the old or the new content. The parent
// directory is created 0700 when missing. Temporary files are named
// ".<base>*" beside path; CleanTemps removes those a killed writer left.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := MkdirPrivate(dir); err != nil {
			return err
		}
	}
	t, err := renameio.NewPendingFile(path, renameio.WithTempDir(dir), renameio.WithPermissions(perm))
	if err != nil {
		return err
	}
	defer t.Cleanup()
	half := len(data) / 2
	if _, err := t.Write(data[:half]); err != nil {
		return err
	}
	hook("half-written", path)
	if _, err := t.Write(data[half:]); err != nil {
		return err
	}
	hook("before-rename", path)
	// CloseAtomicallyReplace syncs the file, renames it over path and syncs the directory.
	if err := t.CloseAtomicallyReplace(); err != nil {
		return err
	}
	hook("renamed", path)
	return nil
}

// ErrExists is wrapped by WriteFileExclusive when path is already there.
var ErrExists = errors.New("file already exists")

// WriteFileExclusive writes data to a new file at path with mode perm and
// never overwrites: an existing path (even a dangling symlink) gives an error
// wrapping ErrExists. The data is written to a synced temporary file that is
// hard-linked to path (link fails if path exists, so the check and the
// creation are one step); a reader never sees a partial file.
func WriteFileExclusive(path string, data []byte, perm fs.FileMode) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
		return err
	}
	return SyncDir(dir)
}

// CleanTemps removes the temporary files that WriteFile and
// WriteFileExclusive leave beside path when the writer is killed mid-write.
// Call it only while holding the lock that serialises writers of path.
func CleanTemps(path string) {
	base := "." + filepath.Base(path)
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), base)
		if !ok || rest == "" {
			continue
		}
		// renameio's names: base + a decimal int64 (maybe negative); ours: base + ".tmp-*".
		if strings.HasPrefix(rest, ".tmp-") || strings.Trim(rest, "-0123456789") == "" {
			os.Remove(filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
}

// SyncDir fsyncs a directory so that renames and removals in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// Lock is an exclusive advisory lock on a separate lock file, so the data it
// guards can be replaced by rename while the lock is held.
type Lock struct{ fl *flock.Flock }

func newLock(path string) (*flock.Flock, error) {
	if err := MkdirPrivate(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", filepath.Dir(path), err)
	}
	return flock.New(path, flock.SetPermissions(0o600)), nil
}

// Acquire blocks until it holds the exclusive lock on path (created 0600 in
// a 0700 directory) or ctx is done.
func Acquire(ctx context.Context, path string) (*Lock, error) {
	fl, err := newLock(path)
	if err != nil {
		return nil, err
	}
	ok, err := fl.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("cannot lock %s: %w", path, ctx.Err())
	}
	return &Lock{fl: fl}, nil
}

// ErrLocked is returned by TryAcquire when another process holds the lock.
var ErrLocked = errors.New("locked by another gitjira process")

// TryAcquire takes the lock on path without waiting; it returns an error
// wrapping ErrLocked when a live process holds it.
func TryAcquire(path string) (*Lock, error) {
	fl, err := newLock(path)
	if err != nil {
		return nil, err
	}
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: %w", path, ErrLocked)
	}
	return &Lock{fl: fl}, nil
}

// Unlock releases the lock (safe on nil and more than once).
func (l *Lock) Unlock() error {
	if l == nil || l.fl == nil {
		return nil
	}
	err := l.fl.Unlock()
	l.fl = nil
	return err
}

// testHook, when set (tests only), is called at stages of WriteFile so a
// test can kill a writer mid-write.
var testHook func(stage, path string)

func hook(stage, path string) {
	if testHook != nil {
		testHook(stage, path)
	}
}

// SetTestHook sets the hook called at stages of WriteFile ("half-written",
// "before-rename", "renamed"); tests only. It returns a function restoring the previous hook.
func SetTestHook(h func(stage, path string)) (restore func()) {
	old := testHook
	testHook = h
	return func() { testHook = old }
}
