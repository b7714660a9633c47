// Package lifecycle is the one flow of a repository's life in gitjira:
// connect (validate, clone, index, add), sync (fetch, index, link) and
// remove. The wizard, the Manage screen and the command line are front-ends
// over it; none of them writes a flow of its own. It has no UI code.
//
// # Order of work
//
// Everything that can be checked without the network is checked first, by
// Plan, which creates nothing: the name (a plain file name), the location
// resolved through ~/.ssh/config (stored resolved, the alias kept for
// display), a repository already connected from the same resolved location,
// the projects. Then the network (clone), then the disk (key, index, list).
//
// # Crash safety
//
// At every instant the state under Paths.Data is the old one, the new one,
// or a leftover that the next run removes by itself:
//
//   - Every operation on a repository holds its name lock, locks/<name>.lock
//     (flock: the kernel drops it when the process dies, so a killed run never
//     blocks the next one).
//   - Before it creates or deletes anything, connect and remove write an
//     intent journal, journal/<name>.json, and delete it when done.
//   - Recover, run at the start of every operation, takes the name lock of
//     every name that has a journal or files (mirror, partial clone, stored
//     key, index) without a list entry; a name whose lock it gets belongs to
//     no live process, so it rolls back an unfinished connect (deletes the
//     mirror, partial clones, key and index the list does not own) and
//     rolls forward an unfinished remove. A name locked by a live process is
//     left alone.
//   - The list itself is replaced atomically under its own lock (jira).
//
// Directories are created 0700 (other local users must not list repository
// names); key files are 0600.
package lifecycle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
	"golang.org/x/crypto/ssh"
)

// Manager runs the lifecycle of the repositories kept under Paths.
type Manager struct {
	Paths store.Paths
	// KnownHostsFile is checked and extended; "" means gitops.DefaultKnownHostsFile().
	KnownHostsFile string
	// SSHConfigFile resolves Host aliases; "" means ~/.ssh/config, "none" reads none.
	SSHConfigFile string
	// Timeout bounds dial, handshake, authentication and any silence of the
	// server (gitops.ConnectOptions.Timeout); 0 means gitops' default.
	Timeout time.Duration
	// LockWait bounds how long an operation waits for a repository another
	// gitjira process is working on (default 10 s).
	LockWait time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
	// Notify, when set, receives the lines that say what the repair at the
	// start of an operation (Recover) cleaned up, and a repair that failed:
	// "cleaned up an interrupted connect of app (22 MiB)". The command line
	// prints them on stderr; a screen shows them itself (List).
	Notify func(line string)
}

// Sentinel errors, wrapped with %w in messages that say what to do.
var (
	// ErrInvalid marks input refused before any network or disk work (a bad
	// name, location or project key): the command line's usage error.
	ErrInvalid = errors.New("invalid input")
	// ErrBusy means another gitjira process is working on the repository.
	ErrBusy = errors.New("repository busy")
)

// AlreadyConnectedError says the location is already in the list.
type AlreadyConnectedError struct {
	Name string // the list entry connected from that location
	URL  string // the resolved location
}

func (e *AlreadyConnectedError) Error() string {
	return fmt.Sprintf("%s is already connected as %q: fetch it with `gitjira repos fetch %s`, or remove it first with `gitjira repos remove %s`",
		e.URL, e.Name, e.Name, e.Name)
}

// recoverNow runs Recover at the start of an operation and passes what it
// did to Notify.
func (m *Manager) recoverNow() {
	rep, err := m.Recover()
	if m.Notify == nil {
		return
	}
	for _, line := range rep.Lines() {
		m.Notify(line)
	}
	if err != nil {
		m.Notify("warning: " + termtext.OneLine(err.Error()))
	}
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) knownHosts() string {
	if m.KnownHostsFile != "" {
		return m.KnownHostsFile
	}
	return gitops.DefaultKnownHostsFile()
}

// sshConfig is the SSH config argument for gitops: "" means ~/.ssh/config
// and /etc/ssh/ssh_config (as ssh reads them), "none" none, else that file.
func (m *Manager) sshConfig() string {
	return m.SSHConfigFile
}

func (m *Manager) lockWait() time.Duration {
	if m.LockWait > 0 {
		return m.LockWait
	}
	return 10 * time.Second
}

func (m *Manager) list() *store.RepositoryList { return store.OpenRepositoryList(m.Paths) }

// dirs are the directories gitjira owns under Data and Config, all 0700.
func (m *Manager) dirs() []string {
	return []string{m.Paths.Data, m.Paths.Config, m.Paths.MirrorsDir(), m.Paths.KeysDir(),
		m.Paths.IndexDir(), m.journalDir(), m.locksDir()}
}

// ensureDirs creates gitjira's directories 0700 and tightens existing ones.
func (m *Manager) ensureDirs() error {
	for _, d := range m.dirs() {
		if err := fsatomic.MkdirPrivate(d); err != nil {
			return fmt.Errorf("cannot create %s: %w", d, err)
		}
	}
	return nil
}

func (m *Manager) locksDir() string   { return filepath.Join(m.Paths.Data, "locks") }
func (m *Manager) journalDir() string { return filepath.Join(m.Paths.Data, "journal") }

// lockName waits (up to LockWait, or ctx) for the name lock of a repository.
func (m *Manager) lockName(ctx context.Context, name string) (*fsatomic.Lock, error) {
	ctx, cancel := context.WithTimeout(ctx, m.lockWait())
	defer cancel()
	l, err := fsatomic.Acquire(ctx, filepath.Join(m.locksDir(), name+".lock"))
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: another gitjira process is working on %q; try again when it has finished", ErrBusy, name)
		}
		return nil, err
	}
	return l, nil
}

// lockLocation takes the lock on a location's identity (its resolved URL),
// locks/location-<sha256>.lock: the "already connected" check and the list
// write happen under it, so two connects of one location never both add it.
func (m *Manager) lockLocation(resolved string) (*fsatomic.Lock, error) {
	sum := sha256.Sum256([]byte(resolved))
	ctx, cancel := context.WithTimeout(context.Background(), m.lockWait())
	defer cancel()
	l, err := fsatomic.Acquire(ctx, filepath.Join(m.locksDir(), "location-"+hex.EncodeToString(sum[:12])+".lock"))
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%w: another gitjira process is connecting %s; try again when it has finished", ErrBusy, resolved)
	}
	return l, err
}

// connectOptions is what gitops needs to reach a repository of the list.
func (m *Manager) connectOptions(ep *gitops.Endpoint, signer ssh.Signer) gitops.ConnectOptions {
	return gitops.ConnectOptions{Endpoint: ep, Signer: signer, KnownHostsFile: m.knownHosts(), Timeout: m.Timeout}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// stageEnv names the environment variable, "STAGE:DURATION" (or
// "STAGE:file=PATH": until PATH exists), that makes an
// operation stop for DURATION at the stage called STAGE, after printing
// "gitjira-stage: STAGE" on stderr: the crash tests kill the real binary
// exactly there (mid-index, between the list write and the file deletions).
// Unset, it costs one Getenv per stage.
const stageEnv = "GITJIRA_TEST_STAGE_PAUSE"

// stage marks a point where a crash must leave a state the next run repairs.
func stage(name string) {
	v := os.Getenv(stageEnv)
	if v == "" {
		return
	}
	at, dur, ok := strings.Cut(v, ":")
	if !ok || at != name {
		return
	}
	if file, ok := strings.CutPrefix(dur, "file="); ok {
		// Wait until the test creates file (at most a minute): two
		// processes held at the same stage are released together.
		fmt.Fprintf(os.Stderr, "gitjira-stage: %s\n", name)
		for deadline := time.Now().Add(time.Minute); !exists(file) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		return
	}
	d, err := time.ParseDuration(dur)
	if err != nil {
		return
	}
	fmt.Fprintf(os.Stderr, "gitjira-stage: %s\n", name)
	time.Sleep(d)
}

// invalidError is input refused before any work; it reads as the message
// that says what is wrong and matches ErrInvalid.
type invalidError struct{ err error }

func (e *invalidError) Error() string        { return e.err.Error() }
func (e *invalidError) Unwrap() error        { return e.err }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(err error) error { return &invalidError{err: err} }
