package sshkeys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is wrapped by WriteKeyPair and WriteFileExclusive when a file
// they would create is already there.
var ErrExists = errors.New("file already exists")

// existsError names the file that is in the way and what to do about it.
type existsError struct{ path string }

func (e *existsError) Error() string {
	return fmt.Sprintf("%s already exists: choose another -o path or remove it first", e.path)
}

func (e *existsError) Unwrap() error { return ErrExists }

// WriteKeyPair writes the private key file at path (0600) and the public key
// line to path+".pub" (0644, with a final newline). Neither file may exist:
// both are checked before anything is written, each is created exclusively,
// and a file is only ever linked into place complete and synced, so no
// half-written key is left behind. If the .pub cannot be created, the private
// file just created is removed again.
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
// wrapping ErrExists. The data goes to a temporary file in the same directory,
// which is synced and then hard-linked to path (link fails if path exists, so
// the check and the creation are one step); a reader never sees a partial file.
func WriteFileExclusive(path string, data []byte, perm fs.FileMode) error {
	if err := checkAbsent(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, shortPathError(err))
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after the link, only the temporary name goes
	// CreateTemp makes the file 0600; Chmod sets perm exactly, whatever the umask.
	err = tmp.Chmod(perm)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, shortPathError(err))
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &existsError{path: path}
		}
		// Some file systems (FAT, some FUSE mounts) have no hard links: fall
		// back to an exclusive create, removing the file if the write fails.
		if err := writeExclusiveDirect(path, data, perm); err != nil {
			return err
		}
	}
	syncDir(dir)
	return nil
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
	return nil
}

// CheckNewFile reports, before any slow work, whether WriteFileExclusive could
// create path: an error wrapping ErrExists if something is already there, or
// a one-line error if its directory is missing. WriteFileExclusive checks
// again when it writes, so a file appearing in between is still never overwritten.
func CheckNewFile(path string) error { return checkAbsent(path) }

// checkAbsent returns an ErrExists error if anything (file, directory,
// symlink) is at path, and a clear error if its directory is missing.
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
			return fmt.Errorf("directory %s does not exist: create it first or choose another -o path", dir)
		}
		return fmt.Errorf("cannot use directory %s: %v", dir, shortPathError(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory: choose another -o path", dir)
	}
	return nil
}

// syncDir makes the new directory entry durable; failure only weakens
// durability after a crash, so it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
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
