package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gitjira/gitjira/internal/safefile"
)

// The list stores the home's own files relative to it, so a moved or copied
// home works on its own mirrors and keys; an old list with absolute paths
// into another home is read as this home's files.
func TestListPathsRelativeToHome(t *testing.T) {
	p := testPaths(t)
	os.MkdirAll(filepath.Join(p.Data, "mirrors", "app.git"), 0o700)
	os.MkdirAll(filepath.Join(p.Data, "keys"), 0o700)
	os.WriteFile(filepath.Join(p.Data, "keys", "app.key"), []byte("k"), 0o600)
	l := OpenRepositoryList(p)
	err := l.Update(func(repos []Repository) ([]Repository, error) {
		return append(repos, Repository{Name: "app", URL: "ssh://h/app", Mirror: p.MirrorDir("app"),
			KeyFile: filepath.Join(p.KeysDir(), "app.key"), Enabled: true},
			Repository{Name: "ext", URL: "ssh://h/ext", Mirror: "/srv/ext.git", Enabled: true}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p.ReposFile())
	if !strings.Contains(string(raw), `"mirror": "mirrors/app.git"`) || !strings.Contains(string(raw), `"key_file": "keys/app.key"`) ||
		!strings.Contains(string(raw), `"mirror": "/srv/ext.git"`) {
		t.Fatalf("stored:\n%s", raw)
	}
	// Moved: the same files under another directory.
	moved := Paths{Config: filepath.Join(t.TempDir(), "h"), Data: filepath.Join(t.TempDir(), "h")}
	os.Remove(moved.Data)
	if err := os.Rename(p.Data, moved.Data); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRepositoryList(moved).Get("app")
	if err != nil || r.Mirror != moved.MirrorDir("app") || r.KeyFile != filepath.Join(moved.KeysDir(), "app.key") {
		t.Fatalf("moved home: %+v %v", r, err)
	}
	// An old list with absolute paths into the home it was copied from:
	// this home's own files are used, the other home is not touched.
	old := strings.ReplaceAll(string(raw), `"mirrors/app.git"`, `"`+p.MirrorDir("app")+`"`)
	old = strings.ReplaceAll(old, `"keys/app.key"`, `"`+filepath.Join(p.KeysDir(), "app.key")+`"`)
	os.WriteFile(moved.ReposFile(), []byte(old), 0o600)
	os.MkdirAll(p.MirrorDir("app"), 0o700) // the original still exists
	r, err = OpenRepositoryList(moved).Get("app")
	if err != nil || r.Mirror != moved.MirrorDir("app") || r.KeyFile != filepath.Join(moved.KeysDir(), "app.key") {
		t.Fatalf("copied home with an old list: %+v %v", r, err)
	}
	// The next write migrates it to relative paths.
	OpenRepositoryList(moved).Update(func(repos []Repository) ([]Repository, error) {
		repos[0].LastError = "x"
		return repos, nil
	})
	if raw, _ := os.ReadFile(moved.ReposFile()); !strings.Contains(string(raw), `"mirror": "mirrors/app.git"`) {
		t.Fatalf("not migrated:\n%s", raw)
	}
}

// The backup is the previous good list, refreshed only when the content changes.
func TestListBackupOnlyOnChange(t *testing.T) {
	p := testPaths(t)
	l := OpenRepositoryList(p)
	add := func(name string) {
		if err := l.Update(func(repos []Repository) ([]Repository, error) {
			return append(repos, Repository{Name: name, URL: "ssh://h/" + name, Enabled: true}), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	add("a")
	add("b")
	same := func(repos []Repository) ([]Repository, error) { return repos, nil }
	l.Update(same)
	bak, err := os.ReadFile(p.ReposFile() + ".bak")
	if err != nil || !strings.Contains(string(bak), `"a"`) || strings.Contains(string(bak), `"b"`) {
		t.Fatalf("backup after a no-op write: %s %v", bak, err)
	}
}

// The list and jira.json replaced by a FIFO or /dev/zero are refused at
// once, in one line; nothing blocks or fills memory.
func TestHomeFilesFIFOAndDevZero(t *testing.T) {
	for _, target := range []string{"fifo", "/dev/zero"} {
		p := testPaths(t)
		os.MkdirAll(p.Data, 0o700)
		os.MkdirAll(p.Config, 0o700)
		for _, f := range []string{p.ReposFile(), p.JiraConfigFile()} {
			if target == "fifo" {
				syscall.Mkfifo(f, 0o600)
			} else {
				os.Symlink(target, f)
			}
		}
		done := make(chan [2]error, 1)
		go func() {
			_, e1 := OpenRepositoryList(p).Load()
			_, e2 := LoadSite(p)
			done <- [2]error{e1, e2}
		}()
		select {
		case errs := <-done:
			for _, err := range errs {
				if !errors.Is(err, safefile.ErrRefused) || strings.Contains(err.Error(), "\n") {
					t.Errorf("%s: %v", target, err)
				}
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: blocked", target)
		}
	}
}
