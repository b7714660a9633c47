// Package cmdtest runs gitjira's commands in-process for tests: each test
// gets its own directories, environment and buffers (nothing from the
// process environment), so command tests run in parallel. It also makes the
// real things those tests need: git repositories made by the git CLI, and an
// SSH git server on 127.0.0.1 with keys made by ssh-keygen.
package cmdtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/store"
)

// Env is an isolated environment for commands: gitjira's directories, a
// known_hosts file and an SSH directory under t.TempDir(), and the
// environment variables the commands see (none unless set here).
type Env struct {
	T          *testing.T
	Paths      store.Paths
	KnownHosts string
	SSHDir     string
	Vars       map[string]string
}

// New makes an Env under t.TempDir().
func New(t *testing.T) *Env {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "gitjira-home")
	return &Env{
		T:          t,
		Paths:      store.Paths{Config: home, Data: home},
		KnownHosts: filepath.Join(dir, "known_hosts"),
		SSHDir:     filepath.Join(dir, "ssh"),
		Vars:       map[string]string{},
	}
}

// Factory is a Factory on e with stdin, and the buffers stdout and stderr go to.
func (e *Env) Factory(stdin string) (f *cmdutil.Factory, stdout, stderr *bytes.Buffer) {
	vars := map[string]string{}
	for k, v := range e.Vars {
		vars[k] = v
	}
	ios, stdout, stderr := cmdutil.Test(stdin, vars)
	f = &cmdutil.Factory{
		AppVersion:     "test",
		IOStreams:      ios,
		Paths:          func() store.Paths { return e.Paths },
		KnownHostsFile: func() string { return e.KnownHosts },
		SSHDir:         func() string { return e.SSHDir },
		SSHConfigFile:  func() string { return filepath.Join(e.SSHDir, "config") },
	}
	return f, stdout, stderr
}

// Exec runs `gitjira NAME ARGS...` where the command NAME is what newCmd
// builds, under a root named gitjira set up as cmd/root does it (one-line
// usage errors, exit codes), with stdin. It returns the exit code and both
// streams.
func (e *Env) Exec(newCmd func(*cmdutil.Factory) *cobra.Command, stdin string, args ...string) (code int, stdout, stderr string) {
	return e.ExecContext(context.Background(), newCmd, stdin, args...)
}

// ExecContext is Exec with a context (cancel it to test an interrupted command).
func (e *Env) ExecContext(ctx context.Context, newCmd func(*cmdutil.Factory) *cobra.Command, stdin string, args ...string) (code int, stdout, stderr string) {
	e.T.Helper()
	f, out, errb := e.Factory(stdin)
	root := &cobra.Command{Use: "gitjira"}
	cmd := newCmd(f)
	root.AddCommand(cmd)
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.Err)
	cmdutil.Setup(root)
	name := strings.Fields(cmd.Use)[0]
	root.SetArgs(append([]string{name}, args...))
	err := root.ExecuteContext(ctx)
	code = cmdutil.ExitCode(ctx, f.IOStreams.Err, err)
	return code, out.String(), errb.String()
}

// Git runs the git CLI in dir with a fixed identity and no user or system
// configuration, and returns its trimmed output.
func Git(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ada Author", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Author", "GIT_COMMITTER_EMAIL=ada@example.com")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v (run `make deps` if git is missing): %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// SourceRepo makes a work repository whose commits carry the given messages,
// one hour apart from 2024-01-01T01:00Z, and returns it and the shas.
func SourceRepo(t *testing.T, msgs ...string) (string, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	Git(t, dir, nil, "init", "-q", "-b", "main")
	var shas []string
	for i, m := range msgs {
		d := time.Date(2024, 1, 1, i+1, 0, 0, 0, time.UTC).Format(time.RFC3339)
		Git(t, dir, []string{"GIT_AUTHOR_DATE=" + d, "GIT_COMMITTER_DATE=" + d}, "commit", "-q", "--allow-empty", "-m", m)
		shas = append(shas, Git(t, dir, nil, "rev-parse", "HEAD"))
	}
	return dir, shas
}

// AddRepo mirrors src into the data directory and adds it to the list (with
// a stored key that is not a key: enough for list, issue and remove).
func AddRepo(t *testing.T, p store.Paths, name, src string, projects []string) store.Repository {
	t.Helper()
	mirror := p.MirrorDir(name)
	if err := os.MkdirAll(p.MirrorsDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	Git(t, "/", nil, "clone", "-q", "--mirror", "--no-local", src, mirror)
	// The list entry as the lifecycle layer writes it (no server to clone
	// from here): the stored key, the index, then the entry.
	now := time.Now().UTC().Truncate(time.Second)
	r := store.Repository{Name: name, ID: name, URL: "ssh://git@127.0.0.1:1/" + name + ".git", Mirror: mirror, Enabled: true, Added: now, LastFetched: now}
	var err error
	if r.Projects, err = store.NormalizeProjects(projects); err != nil {
		t.Fatal(err)
	}
	if r.KeyFile, err = store.StoreKey(p, name, []byte("not a real key\n")); err != nil {
		t.Fatal(err)
	}
	res, err := index.Open(p).Update(r)
	if err != nil {
		t.Fatal(err)
	}
	r.Commits, r.IssueKeys = res.Commits, res.IssueKeys
	if err := store.OpenRepositoryList(p).Update(func(rs []store.Repository) ([]store.Repository, error) { return append(rs, r), nil }); err != nil {
		t.Fatal(err)
	}
	return r
}

// SyncBuffer is a bytes.Buffer safe for one writer and one reader at once:
// a test watching a command's stderr while the command writes it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
