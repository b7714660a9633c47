package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadRegular(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("hello"), 0o600)
	got, err := Read(p, 10)
	if err != nil || string(got) != "hello" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	if _, err := Read(p, 4); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "too large (5 bytes, more than the 4 bytes") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none"), 10); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// A FIFO with no writer blocks os.Open forever; Read must refuse it at once.
func TestFIFORefusedWithoutBlocking(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(p, 1<<20); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "FIFO") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("FIFO: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Read blocked on a FIFO")
	}
}

// /dev/zero never ends: it must be refused before a byte is read.
func TestDevZeroRefused(t *testing.T) {
	_, err := Read("/dev/zero", 1<<20)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "character device") {
		t.Fatalf("/dev/zero: %v", err)
	}
	link := filepath.Join(t.TempDir(), "repositories.json")
	os.Symlink("/dev/zero", link)
	if _, err := Read(link, 1<<20); !errors.Is(err, ErrRefused) {
		t.Fatalf("symlink to /dev/zero: %v", err)
	}
}

func TestDirectoryRefused(t *testing.T) {
	d := t.TempDir()
	if _, err := Read(d, 10); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "a directory") {
		t.Fatalf("directory: %v", err)
	}
}
