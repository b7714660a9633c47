//go:build !unix

package jira

import (
	"errors"
	"os"
)

type fileLock struct{}

// lockFile is not implemented off Unix: gitjira's list needs flock(2) to
// serialise writers across processes, and writing without it could lose updates.
func lockFile(path string) (*fileLock, error) {
	return nil, errors.New("locking the repositories list needs a Unix system (flock)")
}

func (l *fileLock) Unlock() error { return nil }

// mapFile reads the whole file where mmap is not available.
func mapFile(path string) ([]byte, func() error, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
