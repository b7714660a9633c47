//go:build unix

package jira

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// fileLock is an exclusive advisory lock held on a separate lock file, so the
// data file itself can be replaced by rename while the lock is held. flock
// locks belong to the open file description: the kernel releases them when
// the process dies, so a writer killed mid-update never leaves a stale lock.
type fileLock struct{ f *os.File }

// lockFile blocks until it holds the exclusive lock on path (created 0600).
func lockFile(path string) (*fileLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open lock file: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

// Unlock releases the lock.
func (l *fileLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// mapFile maps a file read-only (the packfiles the index reads). The mapping
// stays valid if the file is replaced (git and go-git never rewrite a pack in
// place: a repack writes new files and unlinks the old ones).
func mapFile(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := fi.Size()
	if size == 0 || size != int64(int(size)) {
		return nil, nil, fmt.Errorf("%s: cannot map a file of %d bytes", path, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}
