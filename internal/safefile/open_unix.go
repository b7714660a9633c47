//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// openNonblock opens read-only with O_NONBLOCK: opening a FIFO then returns
// at once instead of waiting for a writer, and a terminal never becomes the
// controlling one. On a regular file, the only kind Open goes on to read,
// O_NONBLOCK changes nothing.
func openNonblock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}
