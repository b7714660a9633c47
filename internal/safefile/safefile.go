// Package safefile is gitjira's one way to read a file it did not write in
// this run: the repositories list, journals, jira.json, the index, stored
// keys, --key files, known_hosts, the SSH config. A file there may have been
// replaced by anything (a FIFO that blocks an open or a read forever,
// /dev/zero that never ends, a directory), so Open never blocks (O_NONBLOCK),
// accepts only a regular file, and refuses one larger than the caller's
// limit, with one line that names the file and what to do.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/gitjira/gitjira/internal/termtext"
)

// ErrRefused is wrapped by every refusal of Open and Read: the path is not a
// regular file, or it is larger than its limit.
var ErrRefused = errors.New("file refused")

// Error is a refusal: what the file is, or how large, and the limit.
type Error struct {
	Path  string
	What  string // "a FIFO", "a directory", ...; "" when the size is the problem
	Size  int64
	Limit int64
}

func (e *Error) Error() string {
	if e.What != "" {
		return fmt.Sprintf("%s is %s, not a regular file: gitjira reads only regular files there; replace it with the file it should be", e.Path, e.What)
	}
	size, limit := sizeText(e.Size), sizeText(e.Limit)
	if size == limit {
		size, limit = fmt.Sprintf("%d bytes", e.Size), fmt.Sprintf("%d bytes", e.Limit)
	}
	return fmt.Sprintf("%s is too large (%s, more than the %s gitjira reads there): it is not the file it should be; replace it or move it aside", e.Path, size, limit)
}

// Is makes errors.Is(err, ErrRefused) true for every refusal.
func (e *Error) Is(target error) bool { return target == ErrRefused }

// Open opens path for reading without blocking (a FIFO or a device opened
// for reading would otherwise wait for a writer or the device), checks that
// it is a regular file of at most limit bytes (limit <= 0: any size) and
// returns it with its size. Errors of the open itself are the os package's,
// so errors.Is(err, fs.ErrNotExist) works as usual.
func Open(path string, limit int64) (*os.File, int64, error) {
	f, err := openNonblock(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, &Error{Path: path, What: kind(fi.Mode())}
	}
	if limit > 0 && fi.Size() > limit {
		f.Close()
		return nil, 0, &Error{Path: path, Size: fi.Size(), Limit: limit}
	}
	return f, fi.Size(), nil
}

// Read reads the regular file path whole, refusing anything else and
// anything over limit bytes (also a file that grows past it while read).
func Read(path string, limit int64) ([]byte, error) {
	f, size, err := Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	max := limit
	if max <= 0 {
		max = size
	}
	// Bounded by the size seen at open, and by limit for a file that grows.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if limit > 0 && int64(len(data)) > limit {
		return nil, &Error{Path: path, Size: int64(len(data)), Limit: limit}
	}
	return data, nil
}

// kind names what a non-regular file is.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

func sizeText(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	return termtext.ByteSize(n)
}
