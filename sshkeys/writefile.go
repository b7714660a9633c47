package sshkeys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gitjira/gitjira/internal/fsatomic"
)

// ErrExists is wrapped by WriteKeyPair and WriteFileExclusive when a file
// they would create is already there. errors.Is also matches it with
// fsatomic.ErrExists, for callers that use both packages.
var ErrExists = errors.New("file already exists")

// ErrDirMissing is wrapped by CheckNewFile, WriteFileExclusive and
// WriteKeyPair when the file's directory does not exist and is not one they
// create (it is outside the user's home directory).
var ErrDirMissing = errors.New("directory does not exist")

// dirMissing is the one-line answer for a missing directory gitjira does not create.
func dirMissing(dir string) error {
	return sentinelErrorf(ErrDirMissing, "directory %s does not exist: create it first or choose another path (gitjira creates missing directories only inside your home directory)", dir)
}

// existsError names the file that is in the way and what to do about it.
type existsError struct{ path string }

func (e *existsError) Error() string {
	return fmt.Sprintf("%s already exists: choose another -o path or remove it first", e.path)
}

func (e *existsError) Unwrap() []error { return []error{ErrExists, fsatomic.ErrExists} }

// WriteKeyPair writes the private key file at path (0600) and the public key
// line to path+".pub" (0644, with a final newline). Neither file may exist:
// both are checked before anything is written, each is created exclusively,
// and a file is only ever linked into place complete and synced, so no
// half-written key is left behind. If the .pub cannot be created, the private
// file just created is removed again.
//
// A missing parent directory inside the user's home directory is created
// with mode 0700, as ssh-keygen and `gh auth login` create ~/.ssh on a fresh
// account (see CheckNewFile); elsewhere a missing directory is an error.
func WriteKeyPair(path string, private []byte, authorizedKey string) error {
	pubPath := path + ".pub"
	for _, p := range []string{path, pubPath} {
		if err := checkAbsent(p); err != nil {
			return err
		}
	}
	if err := WriteFileExclusive(path, private, 0o600); err != nil {
		return err
	}
	if err := WriteFileExclusive(pubPath, []byte(authorizedKey+"\n"), 0o644); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// WriteFileExclusive writes data to a new file at path with mode perm. It
// never overwrites: an existing path (even a dangling symlink) gives an error
// wrapping ErrExists. The write itself is internal/fsatomic's
// WriteFileExclusive (a synced temporary file hard-linked to path, so the
// check and the creation are one step and a reader never sees a partial
// file); on file systems without hard links (FAT, some FUSE mounts) it falls
// back to an O_EXCL create. A missing parent directory inside the user's
// home directory is created 0700 first (see CheckNewFile). Errors are one
// line, naming path.
func WriteFileExclusive(path string, data []byte, perm fs.FileMode) error {
	if err := checkAbsent(path); err != nil {
		return err
	}
	if err := makeParentDir(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	err := fsatomic.WriteFileExclusive(path, data, perm)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fsatomic.ErrExists):
		return &existsError{path: path}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == dir {
		// Only the fsync of the directory failed, after the file was
		// linked into place: it is there and complete; durability after a
		// crash is weaker, which is not worth failing the write for.
		return nil
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		// No hard links here: fall back to an exclusive create, removing
		// the file if the write fails.
		return writeExclusiveDirect(path, data, perm)
	}
	return fmt.Errorf("cannot write %s: %v", path, shortPathError(err))
}

// writeExclusiveDirect creates path with O_EXCL and writes data, removing the
// file again if anything fails.
func writeExclusiveDirect(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &existsError{path: path}
		}
		return fmt.Errorf("cannot write %s: %v", path, shortPathError(err))
	}
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("cannot write %s: %v", path, shortPathError(err))
	}
	_ = fsatomic.SyncDir(filepath.Dir(path)) // durability only, as above
	return nil
}

// CheckNewFile reports, before any slow work, whether WriteFileExclusive could
// create path: an error wrapping ErrExists if something is already there, or
// a one-line error if its directory is missing and would not be created. A
// directory that is missing inside the user's home directory (~/.ssh on a
// fresh account) is fine: WriteFileExclusive and WriteKeyPair create it,
// mode 0700. Nothing is created here. WriteFileExclusive checks again when
// it writes, so a file appearing in between is still never overwritten.
func CheckNewFile(path string) error { return checkAbsent(path) }

// checkAbsent returns an ErrExists error if anything (file, directory,
// symlink) is at path, and a clear error if its directory is missing and
// outside the home directory, or is not a directory.
func checkAbsent(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return &existsError{path: path}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot use %s: %v", path, shortPathError(err))
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, ok := creatableInHome(dir); ok {
				return nil
			}
			return dirMissing(dir)
		}
		return fmt.Errorf("cannot use directory %s: %v", dir, shortPathError(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory: choose another path", dir)
	}
	return nil
}

// makeParentDir creates path's missing parent directories, 0700, when they
// are all inside the user's home directory (see creatableInHome).
func makeParentDir(path string) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return nil // there (or unusable, which the write reports)
	}
	if _, ok := creatableInHome(dir); !ok {
		return dirMissing(dir)
	}
	if err := fsatomic.MkdirPrivate(dir); err != nil {
		return fmt.Errorf("cannot create directory %s: %v", dir, shortPathError(err))
	}
	return nil
}

// creatableInHome reports whether the missing directory dir may be created:
// its deepest existing ancestor is the user's home directory or inside it,
// so only levels below home are made, never home itself or anything outside
// it (as ssh-keygen creates ~/.ssh, and only that). It returns that ancestor.
func creatableInHome(dir string) (string, bool) {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", false
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	existing := abs
	for {
		st, err := os.Stat(existing)
		if err == nil {
			if !st.IsDir() {
				return "", false
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", false
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return "", false
		}
		existing = parent
	}
	// Compare real paths, so a home reached through a symlink (/home ->
	// /usr/home) still counts, and a symlink out of home does not.
	realHome, err1 := filepath.EvalSymlinks(home)
	realExisting, err2 := filepath.EvalSymlinks(existing)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(realHome, realExisting)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return existing, true
}

// shortPathError drops the *PathError wrapper, whose message repeats the path.
func shortPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
