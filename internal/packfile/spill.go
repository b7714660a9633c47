package packfile

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"runtime"
)

// Content is an object's data: in memory (Data), or for a big object in a
// temporary file (File) that delta copies read with pread, so that the
// object is never held whole.
type Content struct {
	Data []byte
	File *os.File
	Size int64
	name string // set where an open file cannot be unlinked (Windows)
}

// MemContent wraps data held in memory.
func MemContent(data []byte) *Content { return &Content{Data: data, Size: int64(len(data))} }

// ReaderAt reads the content at any offset.
func (c *Content) ReaderAt() io.ReaderAt {
	if c.File != nil {
		return c.File
	}
	return bytes.NewReader(c.Data)
}

// Reader reads the content from the start.
func (c *Content) Reader() io.Reader { return io.NewSectionReader(c.ReaderAt(), 0, c.Size) }

// Close removes a temporary file; it is a no-op for memory.
func (c *Content) Close() error {
	if c == nil || c.File == nil {
		return nil
	}
	err := c.File.Close()
	if c.name != "" {
		os.Remove(c.name)
	}
	c.File = nil
	return err
}

// SpillWriter writes a big object to a temporary file in dir ("" for the
// system's). On Unix the file is unlinked as soon as it is created, so
// nothing is left behind whatever happens to the process.
type SpillWriter struct {
	f    *os.File
	w    *bufio.Writer
	n    int64
	name string
}

// NewSpill creates a temporary file for a big object.
func NewSpill(dir string) (*SpillWriter, error) {
	f, err := os.CreateTemp(dir, "gitjira-big-")
	if err != nil {
		return nil, err
	}
	s := &SpillWriter{f: f, w: bufio.NewWriterSize(f, 256<<10)}
	if runtime.GOOS == "windows" || os.Remove(f.Name()) != nil {
		s.name = f.Name()
	}
	return s, nil
}

// Write appends to the temporary file.
func (s *SpillWriter) Write(b []byte) (int, error) {
	n, err := s.w.Write(b)
	s.n += int64(n)
	return n, err
}

// Content finishes writing and returns the content for reading.
func (s *SpillWriter) Content() (*Content, error) {
	if err := s.w.Flush(); err != nil {
		s.Abort()
		return nil, err
	}
	return &Content{File: s.f, Size: s.n, name: s.name}, nil
}

// Abort discards the file.
func (s *SpillWriter) Abort() {
	s.f.Close()
	if s.name != "" {
		os.Remove(s.name)
	}
}

// fixedWriter fills a buffer of known size and refuses to overflow it.
type fixedWriter struct {
	b []byte
	n int
}

func (w *fixedWriter) Write(p []byte) (int, error) {
	if len(p) > len(w.b)-w.n {
		return 0, corruptf("object is larger than it declares")
	}
	copy(w.b[w.n:], p)
	w.n += len(p)
	return len(p), nil
}
