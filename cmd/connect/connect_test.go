package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

func newConnect(f *cmdutil.Factory) *cobra.Command { return NewCmdConnect(f, nil) }

func TestPrintProgressFirstAndLastOfEachPhase(t *testing.T) {
	t.Parallel()
	ch := make(chan gitops.Progress, 100)
	ch <- gitops.Progress{Phase: gitops.PhaseConnecting}
	ch <- gitops.Progress{Phase: gitops.PhaseConnecting, Done: true}
	for i := int64(0); i <= 50; i++ {
		ch <- gitops.Progress{Phase: gitops.PhaseReceiving, Current: i, Total: 50, Bytes: i * 1024, Done: i == 50}
	}
	ch <- gitops.Progress{Phase: gitops.PhaseResolving, Current: 0, Total: 10}
	ch <- gitops.Progress{Phase: gitops.PhaseResolving, Current: 7, Total: 10}
	ch <- gitops.Progress{Phase: gitops.PhaseDone, Done: true}
	close(ch)
	ios, _, errb := cmdutil.Test("", nil)
	printProgress(ios, ch)
	want := []string{
		"connecting",
		"receiving:   0% (0/50)",
		"receiving: 100% (50/50), 50.0 KiB",
		"resolving:   0% (0/10)",
		"resolving:  70% (7/10)",
	}
	got := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(got) != len(want) {
		t.Fatalf("printed %d lines, want %d:\n%s", len(got), len(want), errb.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestParseProjects(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
		bad      bool
	}{
		{"", "ALL", false},
		{"proj, ops,PROJ", "PROJ OPS", false},
		{"PROJ,,", "PROJ", false},
		{",", "", true},
		{"PROJ,9X", "", true},
		{"two words", "TWO WORDS", false}, // spaces separate keys as commas do
		{"PROJ a", "", true},
	} {
		got, err := parseProjects(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("parseProjects(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("parseProjects(%q) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
}

// TestNewCmdConnectFlags checks flag parsing alone (runF).
func TestNewCmdConnectFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(t *testing.T, e *cmdtest.Env, o *ConnectOptions)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, e *cmdtest.Env, o *ConnectOptions) {
			if o.Timeout != 60*time.Second || o.KnownHostsFile != e.KnownHosts || o.SSHDir != e.SSHDir ||
				o.SSHConfigFile != filepath.Join(e.SSHDir, "config") || o.Paths != e.Paths || o.Yes || o.JSON || o.Ctx == nil {
				t.Errorf("options %+v", *o)
			}
		}},
		{name: "every flag", args: []string{"--url", "git@h:a/b.git", "--key", "-", "--passphrase-stdin", "--name", "n", "--known-hosts", "/kh",
			"--trust-host", "SHA256:x", "--projects", "A,B", "--yes", "--json", "--timeout", "3s"},
			check: func(t *testing.T, e *cmdtest.Env, o *ConnectOptions) {
				if o.URL != "git@h:a/b.git" || o.Key != "-" || !o.PassphraseStdin || o.Name != "n" || o.KnownHostsFile != "/kh" ||
					o.TrustHost != "SHA256:x" || o.Projects != "A,B" || !o.Yes || !o.JSON || o.Timeout != 3*time.Second {
					t.Errorf("options %+v", *o)
				}
			}},
		{name: "timeout from env", env: map[string]string{"GITJIRA_TIMEOUT": "45s"}, check: func(t *testing.T, e *cmdtest.Env, o *ConnectOptions) {
			if o.Timeout != 45*time.Second {
				t.Errorf("timeout %v", o.Timeout)
			}
		}},
		{name: "bad timeout", args: []string{"--timeout", "1 minute"}, wantErr: "connect: invalid argument"},
		{name: "negative timeout", args: []string{"--timeout", "-1s"}, wantErr: "--timeout must be more than 0"},
		{name: "bad env timeout", env: map[string]string{"GITJIRA_TIMEOUT": "0"}, wantErr: `GITJIRA_TIMEOUT="0" is not a duration`},
		{name: "unknown flag", args: []string{"--bogus"}, wantErr: "connect: unknown flag: --bogus (gitjira connect -h lists the flags)"},
		{name: "argument", args: []string{"git@h:a/b.git"}, wantErr: `connect: unexpected argument "git@h:a/b.git"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := cmdtest.New(t)
			for k, v := range tt.env {
				e.Vars[k] = v
			}
			var got *ConnectOptions
			newCmd := func(f *cmdutil.Factory) *cobra.Command {
				return NewCmdConnect(f, func(o *ConnectOptions) error { got = o; return nil })
			}
			code, stdout, stderr := e.Exec(newCmd, "", tt.args...)
			if tt.wantErr != "" {
				if code != 2 || stdout != "" || !strings.Contains(stderr, tt.wantErr) || strings.Count(stderr, "\n") != 1 {
					t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and one line with %q", code, stdout, stderr, tt.wantErr)
				}
				return
			}
			if code != 0 || got == nil {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			tt.check(t, e, got)
		})
	}
}

func TestConnectUsageErrors(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--yes", "--key", "k"}, "--url is required"},
		{[]string{"--yes", "--url", "git@example.com:a/b.git"}, "--key is required"},
		{[]string{"--yes", "--url", "u", "--key", "k", "--projects", "not a key"}, "project key"},
		{[]string{"--yes", "--url", "u", "--key", "k", "--projects", ","}, "no Jira project key"},
		{[]string{"--yes", "--url", "u", "--key", "k", "--all-projects", "--projects", "PROJ"}, "--all-projects"},
		{[]string{"--yes", "--url", "u", "--key", "k", "--trust-host", "md5:aa"}, "--trust-host"},
		// Without a terminal connect runs from flags even without --yes.
		{nil, "--url is required"},
	}
	for _, c := range cases {
		code, stdout, stderr := e.Exec(newConnect, "", c.args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("connect %v: exit %d, stderr %q; want exit 2, one line naming %q", c.args, code, stderr, c.want)
		}
	}
}

// connectSetup is a git server with a repository "app" and an Env whose
// known_hosts file does not know the server yet.
func connectSetup(t *testing.T, opts gitserver.Options) (*cmdtest.Env, *cmdtest.GitServer) {
	t.Helper()
	e := cmdtest.New(t)
	srv := cmdtest.StartGitServer(t, e, opts)
	srv.Serve(t, "app", "PROJ-1 one", "PROJ-2 two", "nothing")
	os.Remove(e.KnownHosts)
	return e, srv
}

func TestRunConnect(t *testing.T) {
	t.Parallel()
	e, srv := connectSetup(t, gitserver.Options{})
	url := srv.URL("app.git")

	// Unknown host without --trust-host: exit 1, the fingerprint and the flag named.
	code, _, stderr := e.Exec(newConnect, "", "--yes", "--url", url, "--key", srv.KeyFile)
	if code != 1 || !strings.Contains(stderr, "--trust-host "+srv.HostKeyFingerprint()) {
		t.Fatalf("unknown host: exit %d\n%s", code, stderr)
	}
	// An encrypted key without a passphrase: exit 1, the flag named; with it, connected.
	code, _, stderr = e.Exec(newConnect, "", "--yes", "--url", url, "--key", srv.EncKeyFile, "--trust-host", srv.HostKeyFingerprint())
	if code != 1 || !strings.Contains(stderr, "--passphrase-stdin") {
		t.Fatalf("encrypted key: exit %d\n%s", code, stderr)
	}

	code, stdout, stderr := e.Exec(newConnect, cmdtest.KeyPassphrase+"\n", "--yes", "--url", url, "--key", srv.EncKeyFile, "--passphrase-stdin",
		"--trust-host", srv.HostKeyFingerprint(), "--projects", "proj", "--json", "--timeout", "10s")
	if code != 0 {
		t.Fatalf("connect: exit %d\n%s", code, stderr)
	}
	var got cmdutil.RepositoryJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if got.Name != "app" || got.Commits != 3 || got.IssueKeys != 2 || strings.Join(got.Projects, ",") != "PROJ" ||
		got.HostKeyFingerprint != srv.HostKeyFingerprint() || got.DefaultBranch != "main" || got.Added == nil {
		t.Fatalf("connect --json = %+v", got)
	}
	if !strings.Contains(stderr, "host key "+srv.HostKeyFingerprint()+" verified") || strings.Contains(stdout+stderr, cmdtest.KeyPassphrase) {
		t.Errorf("stderr:\n%s", stderr)
	}
	if kh, _ := os.ReadFile(e.KnownHosts); !bytes.Contains(kh, []byte(srv.Addr()[len("127.0.0.1:"):])) {
		t.Errorf("known_hosts not extended: %q", kh)
	}
	// The same repository again is refused before anything is cloned, under
	// its own name or another (issue 8: the wizard once saved it twice).
	for _, extra := range [][]string{nil, {"--name", "app2"}} {
		args := append([]string{"--yes", "--url", url, "--key", srv.KeyFile}, extra...)
		code, _, stderr = e.Exec(newConnect, "", args...)
		if code != 1 || !strings.Contains(stderr, `already connected as "app"`) {
			t.Fatalf("second connect %v: exit %d\n%s", extra, code, stderr)
		}
	}
	repos, _ := store.OpenRepositoryList(e.Paths).Load()
	if len(repos) != 1 {
		t.Fatalf("list: %+v", repos)
	}
}

// TestRunConnectCancelledMidClone: a connect whose context ends in the
// middle of the pack (a signal, in the real program) leaves no mirror and
// adds nothing, and its exit code is 130.
func TestRunConnectCancelledMidClone(t *testing.T) {
	t.Parallel()
	e, srv := connectSetup(t, gitserver.Options{})
	src, _ := cmdtest.SourceRepo(t, "PROJ-1 big")
	// Enough data that the pack is well past StallAfter.
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(rng.Uint32()) // random: the pack stays as large as the file
	}
	if err := os.WriteFile(filepath.Join(src, "blob"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmdtest.Git(t, src, nil, "add", ".")
	cmdtest.Git(t, src, nil, "commit", "-q", "-m", "PROJ-2 blobs")
	cmdtest.Git(t, "/", nil, "clone", "-q", "--bare", src, filepath.Join(srv.Root, "big.git"))
	srv.SetStallAfter(64 << 10)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ios, _, _ := cmdutil.Test("", nil)
	errb := &cmdtest.SyncBuffer{}
	ios.Err = errb
	// Cancel once the clone is receiving (a progress line on stderr).
	go func() {
		for ctx.Err() == nil {
			if strings.Contains(errb.String(), "receiving") {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	done := make(chan error, 1)
	go func() {
		done <- runConnect(&ConnectOptions{
			IO: ios, Ctx: ctx, Paths: e.Paths, KnownHostsFile: e.KnownHosts, SSHDir: e.SSHDir,
			URL: srv.URL("big.git"), Key: srv.KeyFile, TrustHost: srv.HostKeyFingerprint(), Yes: true, Timeout: 10 * time.Second,
		})
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("runConnect did not return within 30 s of its context ending")
	}
	if err == nil || ctx.Err() == nil || !strings.Contains(errb.String(), "receiving") {
		t.Fatalf("err %v, ctx %v: want an error after a cancel in the middle of the pack; stderr:\n%s", err, ctx.Err(), errb)
	}
	t.Logf("stderr:\n%s\nerror: %v", errb, err)
	var stderr bytes.Buffer
	if code := cmdutil.ExitCode(ctx, &stderr, err); code != 130 || stderr.String() != "gitjira: interrupted\n" {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if _, serr := os.Stat(e.Paths.MirrorDir("big")); !os.IsNotExist(serr) {
		t.Errorf("the partial mirror was left: %v", serr)
	}
	if repos, _ := store.OpenRepositoryList(e.Paths).Load(); len(repos) != 0 {
		t.Errorf("an interrupted connect added %+v", repos)
	}
}

// TestConnectSaysPendingLinks: with a Jira site logged in, connect says how
// many issues wait to be linked and about how long that takes; --link-icon
// is stored.
func TestConnectSaysPendingLinks(t *testing.T) {
	t.Parallel()
	e, srv := connectSetup(t, gitserver.Options{})
	js := jiratest.NewServer(t)
	if err := jira.SaveSite(e.Paths, store.Site{URL: js.URL, Token: jiratest.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := e.Exec(newConnect, "", "--yes", "--url", srv.URL("app.git"), "--key", srv.KeyFile,
		"--trust-host", srv.HostKeyFingerprint(), "--link-icon", "none", "--timeout", "10s")
	if code != 0 || !strings.Contains(stdout, "Jira: 2 issues to link (about 1 s); the next gitjira repos fetch links them, or now: gitjira repos link app") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if r, _ := store.OpenRepositoryList(e.Paths).Get("app"); r.LinkIcon != "none" {
		t.Errorf("link icon %q", r.LinkIcon)
	}
	if code, _, stderr = e.Exec(newConnect, "", "--yes", "--url", srv.URL("app.git"), "--key", srv.KeyFile, "--link-icon", "http://example.com/x.png"); code != 2 || !strings.Contains(stderr, "--link-icon") {
		t.Errorf("bad icon: exit %d %s", code, stderr)
	}
}
