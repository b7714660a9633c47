package gitops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gitjira/gitjira/internal/fsatomic"
)

// mirrorLockName is the lock file inside a mirror. It is locked with
// flock(2), never merely created, so a killed fetch leaves no lock behind
// (the file itself stays, harmlessly).
const mirrorLockName = "gitjira-fetch.lock"

// ErrMirrorBusy is wrapped by the error of TryLockMirror (and Fetch) when
// another process holds the mirror's lock.
var ErrMirrorBusy = errors.New("the mirror is in use by another gitjira")

// MirrorBusyError means another gitjira process is fetching (or removing)
// the mirror.
type MirrorBusyError struct {
	Dir  string
	Name string // the repository name, from the directory name
}

func (e *MirrorBusyError) Error() string {
	return fmt.Sprintf("another gitjira is fetching %s (its mirror %s is locked): try again when it has finished", e.Name, e.Dir)
}

func (e *MirrorBusyError) Unwrap() error { return ErrMirrorBusy }

func mirrorName(dir string) string {
	return strings.TrimSuffix(filepath.Base(dir), ".git")
}

// LockMirror takes the lock that Fetch holds on the mirror at dir, waiting
// while another process holds it, until ctx is done (then the error is a
// *MirrorBusyError). The lifecycle layer takes it before removing a mirror,
// so a remove never deletes files under a running fetch. Release it with
// Unlock; the kernel releases it if the process dies.
func LockMirror(ctx context.Context, dir string) (*fsatomic.Lock, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	l, err := fsatomic.Acquire(ctx, filepath.Join(dir, mirrorLockName))
	if err != nil {
		if ctx.Err() != nil {
			return nil, &MirrorBusyError{Dir: dir, Name: mirrorName(dir)}
		}
		return nil, err
	}
	return l, nil
}

// TryLockMirror takes the mirror's lock without waiting: a
// *MirrorBusyError when another process holds it.
func TryLockMirror(dir string) (*fsatomic.Lock, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	l, err := fsatomic.TryAcquire(filepath.Join(dir, mirrorLockName))
	if errors.Is(err, fsatomic.ErrLocked) {
		return nil, &MirrorBusyError{Dir: dir, Name: mirrorName(dir)}
	}
	return l, err
}

// cleanMirror removes what a fetch killed outright left in the mirror: pack
// and index temporaries, a pack whose index was never moved in place (the
// pack is renamed first), a packed-refs.lock, and the temporaries of atomic
// writes of HEAD and packed-refs. Call it only with the mirror's lock held.
func cleanMirror(dir string) {
	packDir := filepath.Join(dir, "objects", "pack")
	if entries, err := os.ReadDir(packDir); err == nil {
		idx := map[string]bool{}
		for _, e := range entries {
			if base, ok := strings.CutSuffix(e.Name(), ".idx"); ok {
				idx[base] = true
			}
		}
		for _, e := range entries {
			name := e.Name()
			base, isPack := strings.CutSuffix(name, ".pack")
			if strings.HasPrefix(name, "tmp_") || strings.HasSuffix(name, ".partial") || (isPack && !idx[base]) {
				os.Remove(filepath.Join(packDir, name))
			}
		}
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			name := e.Name()
			// HEAD.tmp-* and packed-refs.lock are what older versions and
			// writeRefs leave; *.partial what an interrupted download may.
			if strings.HasPrefix(name, "HEAD.tmp-") || name == "packed-refs.lock" || strings.HasSuffix(name, ".partial") {
				os.Remove(filepath.Join(dir, name))
			}
		}
	}
	fsatomic.CleanTemps(filepath.Join(dir, "HEAD"))
	fsatomic.CleanTemps(filepath.Join(dir, "packed-refs"))
}
