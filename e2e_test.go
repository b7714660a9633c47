package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// The end-to-end tests drive the real gitjira binary (built once per test
// run) against a real OpenSSH sshd on 127.0.0.1 serving repositories through
// the real git-upload-pack.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// TestMain removes the binary built for the end-to-end tests: `make test`
// leaves nothing in the temporary directory.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// gitjiraBinary builds the binary under test once per `go test` run.
func gitjiraBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gitjira-e2e-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "gitjira")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{out: string(out), err: err}
		}
	})
	if binErr != nil {
		t.Fatalf("building gitjira: %v", binErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// e2eEnv is an isolated environment for the binary: its own GITJIRA_HOME and
// HOME, no passphrase or Jira token inherited from the caller.
type e2eEnv struct {
	t    *testing.T
	home string
	env  []string
}

func newE2EEnv(t *testing.T) *e2eEnv {
	dir := t.TempDir()
	home := filepath.Join(dir, "gitjira-home")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"GITJIRA_HOME=" + home,
		"GITJIRA_KNOWN_HOSTS=" + filepath.Join(dir, "known_hosts"),
		"NO_COLOR=1",
		"TERM=xterm-256color",
	}
	return &e2eEnv{t: t, home: home, env: env}
}

// run runs gitjira with args and stdin; it returns the exit code, stdout and stderr.
func (e *e2eEnv) run(stdin string, args ...string) (int, string, string) {
	e.t.Helper()
	cmd := exec.Command(gitjiraBinary(e.t), args...)
	cmd.Env = e.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("running gitjira %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// sshKeygen makes a key with the real ssh-keygen and returns its path.
func sshKeygen(t *testing.T, dir, name, typ, passphrase string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	out, err := exec.Command("ssh-keygen", "-q", "-t", typ, "-N", passphrase, "-C", name, "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// commitsMentioning asks git itself which commits of repo mention issue, as
// the oracle for the index: a key not preceded by a letter, digit or
// underscore and not followed by a digit.
func commitsMentioning(t *testing.T, srv *sshdtest.Server, repo, issue string) []string {
	t.Helper()
	out := srv.Git(repo, "log", "--all", "-E", "--format=%H",
		"--grep=(^|[^A-Za-z0-9_])"+issue+"([^0-9]|$)")
	shas := strings.Fields(out)
	sort.Strings(shas)
	return shas
}

func TestE2EConnectNonInteractiveThenIssue(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{})
	repo := srv.NewBareRepo("app", 160)
	e := newE2EEnv(t)
	keyDir := t.TempDir()
	key := sshKeygen(t, keyDir, "id_ed25519", "ed25519", "")
	srv.AuthorizeKey(readFile(t, key+".pub"))
	url := srv.URL(repo)

	// Unknown host, no --trust-host: refused, with the fingerprint and the flag to pass.
	code, _, stderr := e.run("", "connect", "--yes", "--url", url, "--key", key)
	if code != 1 {
		t.Fatalf("connect to an unknown host: exit %d, want 1; stderr:\n%s", code, stderr)
	}
	first := errorLine(stderr)
	if !strings.Contains(first, "--trust-host") || !strings.Contains(stderr, "SHA256:") {
		t.Fatalf("unknown host message should name the fingerprint and --trust-host, got:\n%s", stderr)
	}

	// A fingerprint that is not the host's: refused, nothing added.
	code, _, stderr = e.run("", "connect", "--yes", "--url", url, "--key", key, "--trust-host", "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	if code != 1 {
		t.Fatalf("connect with a wrong --trust-host: exit %d, want 1; stderr:\n%s", code, stderr)
	}

	// The offered host key type depends on sshd's preference; trust whichever it offered.
	offered := ""
	for _, f := range srv.HostKeyFingerprints() {
		if strings.Contains(first, f) {
			offered = f
		}
	}
	if offered == "" {
		t.Fatalf("the refusal names none of the host's fingerprints %v:\n%s", srv.HostKeyFingerprints(), first)
	}

	code, stdout, stderr := e.run("", "connect", "--yes", "--url", url, "--key", key, "--trust-host", offered, "--projects", "PROJ,OPS", "--json")
	if code != 0 {
		t.Fatalf("connect: exit %d; stderr:\n%s", code, stderr)
	}
	var added map[string]any
	if err := json.Unmarshal([]byte(stdout), &added); err != nil {
		t.Fatalf("connect --json printed no JSON object: %v\n%s", err, stdout)
	}
	if added["name"] != "app" || added["host_key_fingerprint"] != offered || added["default_branch"] != "main" {
		t.Fatalf("connect --json = %v", added)
	}
	wantCommits := strings.TrimSpace(srv.Git(repo, "rev-list", "--all", "--count"))
	if got := jsonNumber(added["commits"]); got != wantCommits {
		t.Fatalf("commits = %s, git rev-list --all --count = %s", got, wantCommits)
	}
	if !strings.Contains(stderr, "receiving") {
		t.Errorf("no progress lines on stderr:\n%s", stderr)
	}

	// gitjira issue PROJ-7 --json returns exactly the commits that mention PROJ-7.
	want := commitsMentioning(t, srv, repo, "PROJ-7")
	if len(want) == 0 {
		t.Fatal("test repository has no commit mentioning PROJ-7")
	}
	checkIssue := func(want []string) {
		t.Helper()
		code, stdout, stderr := e.run("", "issue", "PROJ-7", "--json")
		if code != 0 {
			t.Fatalf("issue: exit %d; stderr:\n%s", code, stderr)
		}
		var got []struct{ Repository, SHA, Author, Date, Subject string }
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("issue --json: %v\n%s", err, stdout)
		}
		var shas []string
		for i, c := range got {
			if c.Repository != "app" || c.Subject == "" || c.Date == "" {
				t.Fatalf("issue entry %d = %+v", i, c)
			}
			if i > 0 && got[i-1].Date < c.Date {
				t.Fatalf("issue entries are not newest first: %s before %s", got[i-1].Date, c.Date)
			}
			shas = append(shas, c.SHA)
		}
		sort.Strings(shas)
		if strings.Join(shas, " ") != strings.Join(want, " ") {
			t.Fatalf("issue PROJ-7 = %v\nwant (git log --grep) %v", shas, want)
		}
	}
	checkIssue(want)

	// repos list --json shows it with the contract's fields.
	code, stdout, _ = e.run("", "repos", "list", "--json")
	var list []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 1 {
		t.Fatalf("repos list --json: exit %d\n%s", code, stdout)
	}
	for _, f := range []string{"name", "url", "projects", "key_fingerprint", "host_key_fingerprint", "mirror", "default_branch", "commits", "issue_keys", "added", "last_fetched"} {
		if _, ok := list[0][f]; !ok {
			t.Errorf("repos list --json lacks %q: %v", f, list[0])
		}
	}
	if p, _ := json.Marshal(list[0]["projects"]); string(p) != `["OPS","PROJ"]` {
		t.Errorf("projects = %s", p)
	}

	// New commits on the server: fetch indexes them.
	srv.AddCommits(repo, 60)
	code, stdout, stderr = e.run("", "repos", "fetch", "--json")
	if code != 0 {
		t.Fatalf("repos fetch: exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkIssue(commitsMentioning(t, srv, repo, "PROJ-7"))

	// The same repository again is refused before anything is cloned.
	code, _, stderr = e.run("", "connect", "--yes", "--url", url, "--key", key, "--name", "other")
	if code != 1 || !strings.Contains(stderr, `already connected as "app"`) {
		t.Fatalf("second connect of the same repository: exit %d\n%s", code, stderr)
	}
}

// errorLine is gitjira's error line in stderr (progress lines may precede it).
func errorLine(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "gitjira: ") {
			return l
		}
	}
	return ""
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestE2EConnectEncryptedKeyFromStdin(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	repo := srv.NewBareRepo("lib", 20)
	e := newE2EEnv(t)
	key := sshKeygen(t, t.TempDir(), "id_rsa", "rsa", "correct horse")
	srv.AuthorizeKey(readFile(t, key+".pub"))
	fp := srv.HostKeyFingerprints()[sshdtest.Ed25519]
	args := []string{"connect", "--yes", "--url", srv.URL(repo), "--key", key, "--trust-host", fp, "--passphrase-stdin"}

	code, _, stderr := e.run("wrong horse\n", args...)
	if code != 1 || !strings.Contains(strings.ToLower(stderr), "passphrase") || strings.Contains(stderr, "wrong horse") {
		t.Fatalf("wrong passphrase: exit %d, stderr:\n%s", code, stderr)
	}
	code, _, stderr = e.run("", args[:len(args)-1]...)
	if code != 1 || !strings.Contains(stderr, "--passphrase-stdin") {
		t.Fatalf("encrypted key without a passphrase: exit %d, stderr:\n%s", code, stderr)
	}
	code, stdout, stderr := e.run("correct horse\n", args...)
	if code != 0 || !strings.Contains(stdout, "lib") {
		t.Fatalf("connect with the right passphrase: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "correct horse") {
		t.Fatal("the passphrase was printed")
	}
	// The stored key is the file as given: still encrypted, mode 0600.
	matches, _ := filepath.Glob(filepath.Join(e.home, "keys", "*"))
	if len(matches) != 1 {
		t.Fatalf("stored keys: %v", matches)
	}
	st, err := os.Stat(matches[0])
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("stored key mode: %v %v", st.Mode(), err)
	}
	if readFile(t, matches[0]) != readFile(t, key) {
		t.Fatal("the stored key differs from the key given")
	}

	// repos fetch takes the stored key's passphrase from stdin too.
	srv.AddCommits(repo, 5)
	code, stdout, stderr = e.run("", "repos", "fetch", "--json")
	if code != 1 || !strings.Contains(stdout, "--passphrase-stdin") {
		t.Fatalf("fetch without the passphrase: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = e.run("correct horse\n", "repos", "fetch", "--json", "--passphrase-stdin", "--timeout", "30s")
	if code != 0 || !strings.Contains(stdout, `"new_commits": 5`) {
		t.Fatalf("fetch --passphrase-stdin: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "correct horse") {
		t.Fatal("the passphrase was printed")
	}
}

func TestE2EConnectUsage(t *testing.T) {
	e := newE2EEnv(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"connect", "--yes", "--key", "k"}, "--url"},
		{[]string{"connect", "--yes", "--url", "git@example.com:a/b.git"}, "--key"},
		{[]string{"connect", "--yes", "--bogus"}, "bogus"},
		{[]string{"connect", "--yes", "--url", "u", "--key", "k", "--projects", "not a key"}, "project key"},
		{[]string{"connect", "--yes", "--url", "u", "--key", "k", "--all-projects", "--projects", "PROJ"}, "--all-projects"},
		{[]string{"connect", "--yes", "--url", "u", "--key", "k", "--trust-host", "md5:aa"}, "--trust-host"},
		{[]string{"frobnicate"}, "unknown command"},
	}
	for _, c := range cases {
		code, stdout, stderr := e.run("", c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("gitjira %v: exit %d, stderr %q; want exit 2 naming %q", c.args, code, stderr, c.want)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("gitjira %v: the error is not one line:\n%s", c.args, stderr)
		}
	}
	// Not SSH: exit 1 with the form to use.
	code, _, stderr := e.run("", "connect", "--yes", "--url", "https://github.com/org/repo.git", "--key", "k")
	if code == 0 || !strings.Contains(stderr, "git@github.com:org/repo.git") {
		t.Errorf("https URL: exit %d, stderr %q", code, stderr)
	}
}

func TestE2EDemoWithoutTerminal(t *testing.T) {
	e := newE2EEnv(t)
	code, stdout, stderr := e.run("", "demo", "--commits", "60")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "DEMO-12") || !strings.Contains(stdout, "demo") {
		t.Fatalf("demo output lacks the connected repository or DEMO-12 commits:\n%s", stdout)
	}
	// The demo cleans up after itself: nothing of it in the caller's GITJIRA_HOME.
	if _, err := os.Stat(filepath.Join(e.home, "repositories.json")); err == nil {
		t.Fatal("demo wrote into the caller's GITJIRA_HOME")
	}
}

// TestE2EHelpAndCompletion: help goes to stdout with exit 0, `gitjira help
// CMD` is `gitjira CMD -h`, and the bash completion script loads in bash.
func TestE2EHelpAndCompletion(t *testing.T) {
	e := newE2EEnv(t)
	for _, path := range [][]string{{"connect"}, {"repos"}, {"repos", "fetch"}, {"key", "inspect"}, {"jira", "login"}} {
		code, out, stderr := e.run("", append(path, "-h")...)
		if code != 0 || stderr != "" || !strings.Contains(out, "Usage:") {
			t.Errorf("%v -h: exit %d, stderr %q", path, code, stderr)
		}
		code, helpOut, stderr := e.run("", append([]string{"help"}, path...)...)
		if code != 0 || stderr != "" || helpOut != out {
			t.Errorf("help %v: exit %d, stderr %q, differs from -h:\n%s\n---\n%s", path, code, stderr, helpOut, out)
		}
	}
	if _, out, _ := e.run("", "repos", "-h"); !strings.Contains(out, "fetch") || !strings.Contains(out, "remove") || !strings.Contains(out, "list") {
		t.Errorf("repos -h does not list its subcommands:\n%s", out)
	}
	if _, out, _ := e.run("", "repos", "fetch", "-h"); strings.Contains(out, "-link gitjira") || !strings.Contains(out, "--passphrase-stdin") || !strings.Contains(out, "--timeout DURATION") {
		t.Errorf("repos fetch -h:\n%s", out)
	}

	bin := gitjiraBinary(t)
	cmd := exec.Command("bash", "-c", "source <(gitjira completion bash) && complete -p gitjira")
	cmd.Env = append(e.env, "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "complete -o default -F __start_gitjira gitjira") {
		t.Fatalf("the bash completion does not load: %v\n%s", err, out)
	}
	for _, shell := range []string{"zsh", "fish"} {
		if code, out, stderr := e.run("", "completion", shell); code != 0 || !strings.Contains(out, "gitjira") || stderr != "" {
			t.Errorf("completion %s: exit %d, stderr %q", shell, code, stderr)
		}
	}
	if code, _, stderr := e.run("", "completion"); code != 2 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("completion without a shell: exit %d, stderr %q", code, stderr)
	}
	// Without a terminal and without a command: the usage on stderr, exit 2.
	if code, out, stderr := e.run(""); code != 2 || out != "" || !strings.Contains(stderr, "Usage:") {
		t.Errorf("no command: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestE2ESignalsDuringClone: SIGINT, SIGTERM and SIGHUP in the middle of a
// clone end `connect --yes` with exit 130 in well under the grace period,
// without a partial mirror and without adding the repository.
func TestE2ESignalsDuringClone(t *testing.T) {
	bin := gitjiraBinary(t)
	root := t.TempDir()
	if err := gitserver.MakeSampleRepo(filepath.Join(root, "big.git"), 400); err != nil {
		t.Fatal(err)
	}
	hostKey, err := gitserver.GenerateHostKey(gitserver.KeyEd25519)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := gitserver.Start(gitserver.Options{Root: root, HostKeys: []ssh.Signer{hostKey}, StallAfter: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	key := sshKeygen(t, t.TempDir(), "id_ed25519", "ed25519", "")
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(readFile(t, key+".pub")))
	if err != nil {
		t.Fatal(err)
	}
	srv.AuthorizeKey(pub)
	fp := ssh.FingerprintSHA256(hostKey.PublicKey())

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			e := newE2EEnv(t)
			cmd := exec.Command(bin, "connect", "--yes", "--url", srv.URL("big.git"), "--key", key, "--trust-host", fp)
			cmd.Env = e.env
			var stdout bytes.Buffer
			stderr := &lockedBuffer{}
			cmd.Stdout, cmd.Stderr = &stdout, stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(stderr.String(), "receiving") {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the clone never reached the pack:\n%s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			mirrors := filepath.Join(e.home, "mirrors")
			if names, _ := os.ReadDir(mirrors); len(names) == 0 {
				t.Logf("nothing under %s yet at the signal", mirrors)
			}
			sent := time.Now()
			cmd.Process.Signal(sig)
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case <-waited:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("gitjira did not exit within 20 s of %v:\n%s", sig, stderr.String())
			}
			took := time.Since(sent)
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Fatalf("exit %d after %v, want 130:\n%s", code, sig, stderr.String())
			}
			last := lastLine(stderr.String())
			if !strings.HasPrefix(last, "gitjira: interrupted (") || strings.Contains(last, "without waiting") {
				t.Errorf("last stderr line %q: want the interruption, after the clean-up", last)
			}
			if took > 4*time.Second {
				t.Errorf("exit took %v after %v", took, sig)
			}
			if names, _ := os.ReadDir(mirrors); len(names) != 0 {
				t.Errorf("a partial mirror was left in %s: %v", mirrors, names)
			}
			if code, out, _ := e.run("", "repos", "list", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
				t.Errorf("an interrupted connect added a repository: %s", out)
			}
		})
	}
}

// TestE2ESignalWhileReadingStdin: a command blocked where no context
// reaches (reading a key from a stdin that never ends) still exits 130
// after the grace period when interrupted.
func TestE2ESignalWhileReadingStdin(t *testing.T) {
	cmd := exec.Command(gitjiraBinary(t), "key", "inspect", "-")
	cmd.Env = newE2EEnv(t).env
	stdin, err := cmd.StdinPipe() // kept open: the read never ends by itself
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("gitjira did not exit within 20 s of SIGINT")
	}
	if code, took := cmd.ProcessState.ExitCode(), time.Since(sent); code != 130 || took > 10*time.Second {
		t.Fatalf("exit %d after %v:\n%s", code, took, stderr.String())
	}
	if !strings.Contains(stderr.String(), "gitjira: interrupted (interrupt signal received)") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// lockedBuffer is a buffer a test reads while the child process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
