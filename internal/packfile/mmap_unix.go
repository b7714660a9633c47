//go:build unix

package packfile

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps a file read-only. The mapping stays valid if the file is
// replaced or removed (git and gitjira never rewrite a pack in place: a
// repack writes new files and unlinks the old ones). Only the pages that are
// read become resident.
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
