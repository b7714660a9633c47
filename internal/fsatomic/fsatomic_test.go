package fsatomic

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteFileReplacesAtomicallyWithMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub", "dir")
	p := filepath.Join(dir, "f.json")
	if err := WriteFile(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("created dir mode %v, want 0700", fi.Mode().Perm())
	}
	os.Chmod(p, 0o644)
	if err := WriteFile(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	fi, _ = os.Stat(p)
	if string(b) != "two" || fi.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v", b, fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
}

func TestCleanTempsRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "list.json")
	os.WriteFile(p, []byte("x"), 0o600)
	for _, n := range []string{".list.json123", ".list.json-45", ".list.json.tmp-9"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o600)
	}
	os.WriteFile(filepath.Join(dir, ".other"), nil, 0o600)
	CleanTemps(p)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("left %v", entries)
	}
}

func TestWriteFileExclusiveNeverOverwrites(t *testing.T) {
	p := filepath.Join(t.TempDir(), "key")
	if err := WriteFileExclusive(p, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteFileExclusive(p, []byte("b"), 0o600)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "a" {
		t.Errorf("overwritten: %q", b)
	}
}

func TestMkdirPrivateFixesMode(t *testing.T) {
	d := filepath.Join(t.TempDir(), "home")
	os.Mkdir(d, 0o755)
	if err := MkdirPrivate(d); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(d)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

func TestLocks(t *testing.T) {
	p := filepath.Join(t.TempDir(), "locks", "x.lock")
	l, err := Acquire(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryAcquire(p); !errors.Is(err, ErrLocked) {
		t.Fatalf("second TryAcquire: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx, p); err == nil {
		t.Fatal("Acquire while held succeeded")
	}
	l.Unlock()
	l2, err := TryAcquire(p)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	l2.Unlock()
	l2.Unlock()
}
