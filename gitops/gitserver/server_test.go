package gitserver

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not installed: run `make deps`")
	}
}

func gitC(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestMakeSampleRepo(t *testing.T) {
	needGit(t)
	for _, n := range []int{1, 2, 3, 40} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "s.git")
			if err := MakeSampleRepo(dir, n); err != nil {
				t.Fatal(err)
			}
			gitC(t, dir, "fsck", "--full", "--strict")
			if got := gitC(t, dir, "rev-list", "--all", "--count"); got != strconv.Itoa(SampleCommits(n)) {
				t.Fatalf("rev-list --all --count = %s, want %d", got, SampleCommits(n))
			}
			if got := gitC(t, dir, "rev-list", "--count", "main"); got != strconv.Itoa(n) {
				t.Fatalf("main has %s commits, want %d", got, n)
			}
			if got := gitC(t, dir, "symbolic-ref", "HEAD"); got != "refs/heads/main" {
				t.Fatalf("HEAD = %s", got)
			}
			refs := gitC(t, dir, "for-each-ref", "--format=%(refname) %(objecttype)")
			want := "refs/heads/main commit\nrefs/tags/v1.0 tag"
			if n >= 3 {
				want = "refs/heads/feature/DEMO-7-login commit\nrefs/heads/main commit\nrefs/tags/v0.1 commit\nrefs/tags/v1.0 tag"
			}
			if refs != want {
				t.Fatalf("refs:\n%s\nwant:\n%s", refs, want)
			}
			log := gitC(t, dir, "log", "--format=%s", "main")
			for i, subject := range strings.Split(log, "\n") {
				if !strings.HasPrefix(subject, "DEMO-") {
					t.Fatalf("commit %d subject %q has no issue key", i, subject)
				}
			}
			if got := gitC(t, dir, "log", "-1", "--format=%B", "main"); got != strings.TrimSpace(SampleMessage(n-1)) {
				t.Fatalf("tip message %q, want %q", got, SampleMessage(n-1))
			}
		})
	}
	// Deterministic: the same ids on every run.
	a, b := filepath.Join(t.TempDir(), "a.git"), filepath.Join(t.TempDir(), "b.git")
	if err := MakeSampleRepo(a, 25); err != nil {
		t.Fatal(err)
	}
	if err := MakeSampleRepo(b, 25); err != nil {
		t.Fatal(err)
	}
	if x, y := gitC(t, a, "for-each-ref"), gitC(t, b, "for-each-ref"); x != y {
		t.Fatalf("two runs differ:\n%s\n%s", x, y)
	}
}

func TestMakeSampleRepoRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), []byte("keep"), 0o600)
	if err := MakeSampleRepo(dir, 5); err == nil {
		t.Fatal("no error for a non-empty directory")
	}
	if err := MakeSampleRepo(filepath.Join(t.TempDir(), "r.git"), 0); err == nil {
		t.Fatal("no error for zero commits")
	}
}

func TestParseUploadPack(t *testing.T) {
	for _, tc := range []struct {
		cmd, path string
		ok        bool
	}{
		{"git-upload-pack '/demo.git'", "/demo.git", true},
		{"git upload-pack '/demo.git'", "/demo.git", true},
		{"git-upload-pack 'team/app.git'", "team/app.git", true},
		{`git-upload-pack "/a b.git"`, "/a b.git", true},
		{`git-upload-pack '/it'\''s.git'`, "/it's.git", true},
		{"git-upload-pack demo.git", "demo.git", true},
		{"git-receive-pack '/demo.git'", "", false},
		{"git-upload-pack '/a.git' '/b.git'", "", false},
		{"git-upload-pack '/unterminated", "", false},
		{"git-upload-pack ''", "", false},
		{"rm -rf /", "", false},
		{"", "", false},
	} {
		p, ok := parseUploadPack(tc.cmd)
		if p != tc.path || ok != tc.ok {
			t.Errorf("parseUploadPack(%q) = %q, %v; want %q, %v", tc.cmd, p, ok, tc.path, tc.ok)
		}
	}
}

func TestResolveStaysInRoot(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	if err := MakeSampleRepo(filepath.Join(root, "team", "app.git"), 2); err != nil {
		t.Fatal(err)
	}
	// A repository outside the root, and a symlink inside pointing at it.
	if err := MakeSampleRepo(filepath.Join(base, "secret.git"), 2); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(base, "secret.git"), filepath.Join(root, "link.git")); err != nil {
		t.Fatal(err)
	}
	s, err := Start(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	realRoot, _ := filepath.EvalSymlinks(root)
	want := filepath.Join(realRoot, "team", "app.git")
	for _, p := range []string{"/team/app.git", "team/app.git", "team/app", "~/team/app.git", "/team/../team/app.git", "/../../team/app.git"} {
		got, err := s.resolve(p)
		if err != nil || got != want {
			t.Errorf("resolve(%q) = %q, %v; want %q", p, got, err, want)
		}
	}
	for _, p := range []string{"/../secret.git", "../secret.git", "/link.git", "link", "/nope.git", "/", "/team"} {
		if got, err := s.resolve(p); err == nil {
			t.Errorf("resolve(%q) = %q, want an error", p, got)
		}
	}
}

// client returns a signer authorized on s.
func client(t *testing.T, s *Server) ssh.Signer {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	s.AuthorizeKey(signer.PublicKey())
	return signer
}

func dial(t *testing.T, s *Server, signer ssh.Signer, algos ...string) (*ssh.Client, error) {
	t.Helper()
	return ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{
		User:              "git",
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   ssh.FixedHostKey(s.HostKeys()[0]),
		HostKeyAlgorithms: algos,
		Timeout:           10 * time.Second,
	})
}

func run(t *testing.T, c *ssh.Client, cmd string) (stdout, stderr string, code int) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var o, e bytes.Buffer
	sess.Stdout, sess.Stderr = &o, &e
	sess.Stdin = strings.NewReader("0000")
	err = sess.Run(cmd)
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return o.String(), e.String(), ee.ExitStatus()
	}
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func TestServerExec(t *testing.T) {
	for _, backend := range []Backend{BackendGit, BackendGoGit} {
		t.Run(string(backend), func(t *testing.T) {
			if backend == BackendGit {
				needGit(t)
			}
			root := t.TempDir()
			if err := MakeSampleRepo(filepath.Join(root, "demo.git"), 5); err != nil {
				t.Fatal(err)
			}
			s, err := Start(Options{Root: root, Backend: backend})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Backend() != backend {
				t.Fatalf("backend %s", s.Backend())
			}
			c, err := dial(t, s, client(t, s))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()

			// A known repository: the ref advertisement, then exit 0 after our flush.
			out, _, code := run(t, c, "git-upload-pack '/demo.git'")
			if code != 0 || !strings.Contains(out, "refs/heads/main") || !strings.Contains(out, "symref=HEAD:refs/heads/main") {
				t.Fatalf("exit %d, advertisement %q", code, out)
			}
			// Unknown repository, as git says it.
			_, errOut, code := run(t, c, "git-upload-pack '/nope.git'")
			if code != 128 || errOut != "fatal: '/nope.git' does not appear to be a git repository\n" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			// Escaping the root is the same as not existing.
			_, errOut, code = run(t, c, "git-upload-pack '../../../etc'")
			if code != 128 || !strings.Contains(errOut, "does not appear to be a git repository") {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			// Anything else is refused.
			_, errOut, code = run(t, c, "git-receive-pack '/demo.git'")
			if code != 128 || !strings.Contains(errOut, "only serves git-upload-pack") {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if s.Execs() != 1 {
				t.Fatalf("Execs = %d, want 1", s.Execs())
			}
		})
	}
}

func TestServerRefusesUnknownKey(t *testing.T) {
	s, err := Start(Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	stranger, _ := ssh.NewSignerFromKey(priv)
	if c, err := dial(t, s, stranger); err == nil {
		c.Close()
		t.Fatal("an unauthorized key logged in")
	}
	s.AuthorizeKey(stranger.PublicKey())
	c, err := dial(t, s, stranger)
	if err != nil {
		t.Fatalf("after AuthorizeKey: %v", err)
	}
	c.Close()
}

func TestServerHostKeyTypes(t *testing.T) {
	s, err := Start(Options{Root: t.TempDir(), HostKeyTypes: []string{KeyEd25519, KeyECDSA, KeyRSA}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys := s.HostKeys()
	if len(keys) != 3 {
		t.Fatalf("%d host keys", len(keys))
	}
	signer := client(t, s)
	for _, tc := range []struct {
		algo string
		key  ssh.PublicKey
	}{
		{ssh.KeyAlgoED25519, keys[0]}, {ssh.KeyAlgoECDSA256, keys[1]}, {ssh.KeyAlgoRSASHA512, keys[2]},
	} {
		c, err := ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
			HostKeyCallback: ssh.FixedHostKey(tc.key), HostKeyAlgorithms: []string{tc.algo}, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("%s: %v", tc.algo, err)
		}
		c.Close()
	}
	if _, err := Start(Options{Root: t.TempDir(), HostKeyTypes: []string{"dsa"}}); err == nil {
		t.Fatal("dsa host key accepted")
	}
	// A given host key is used as is.
	hk, _ := GenerateHostKey(KeyEd25519)
	s2, err := Start(Options{Root: t.TempDir(), HostKeys: []ssh.Signer{hk}})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if !bytes.Equal(s2.HostKeys()[0].Marshal(), hk.PublicKey().Marshal()) {
		t.Fatal("the given host key is not used")
	}
}

func TestCloseEndsConnections(t *testing.T) {
	root := t.TempDir()
	if err := MakeSampleRepo(filepath.Join(root, "demo.git"), 3); err != nil {
		t.Fatal(err)
	}
	s, err := Start(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dial(t, s, client(t, s))
	if err != nil {
		t.Fatal(err)
	}
	// A session left waiting for the client's request.
	sess, _ := c.NewSession()
	stdin, _ := sess.StdinPipe()
	defer stdin.Close()
	if err := sess.Start("git-upload-pack '/demo.git'"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := c.Wait(); err == nil {
		t.Log("connection closed cleanly")
	}
	if _, err := dial(t, s, client(t, s)); err == nil {
		t.Fatal("dial after Close succeeded")
	}
}

// Real git clones through the server with OpenSSH's client, both backends.
func TestGitCloneThroughServer(t *testing.T) {
	needGit(t)
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("ssh is not installed: run `make deps`")
	}
	for _, backend := range []Backend{BackendGit, BackendGoGit} {
		t.Run(string(backend), func(t *testing.T) {
			root := t.TempDir()
			if err := MakeSampleRepo(filepath.Join(root, "demo.git"), 30); err != nil {
				t.Fatal(err)
			}
			s, err := Start(Options{Root: root, Backend: backend})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			signer, _ := ssh.NewSignerFromKey(priv)
			s.AuthorizeKey(signer.PublicKey())
			dir := t.TempDir()
			block, err := ssh.MarshalPrivateKey(priv, "")
			if err != nil {
				t.Fatal(err)
			}
			keyFile := filepath.Join(dir, "id")
			os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600)
			kh := filepath.Join(dir, "known_hosts")
			os.WriteFile(kh, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", s.Port(), ssh.MarshalAuthorizedKey(s.HostKeys()[0]))), 0o600)
			dst := filepath.Join(dir, "clone.git")
			cmd := exec.Command("git", "clone", "--mirror", "--quiet", s.URL("demo.git"), dst)
			cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, fmt.Sprintf(
				"GIT_SSH_COMMAND=ssh -F /dev/null -i %s -o IdentitiesOnly=yes -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -o BatchMode=yes", keyFile, kh))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git clone: %v\n%s", err, out)
			}
			gitC(t, dst, "fsck", "--full")
			if got := gitC(t, dst, "rev-list", "--all", "--count"); got != strconv.Itoa(SampleCommits(30)) {
				t.Fatalf("cloned %s commits", got)
			}
		})
	}
}

// Without git on PATH the server falls back to go-git, and still serves clones.
func TestAutoBackendWithoutGit(t *testing.T) {
	root := t.TempDir()
	if err := MakeSampleRepo(filepath.Join(root, "demo.git"), 300); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	s, err := Start(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backend() != BackendGoGit {
		t.Fatalf("backend %s without git on PATH", s.Backend())
	}
	if _, err := Start(Options{Root: root, Backend: BackendGit}); err == nil {
		t.Fatal("the git backend started without git")
	}
	c, err := dial(t, s, client(t, s))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, _, code := run(t, c, "git-upload-pack '/demo.git'")
	if code != 0 || !strings.Contains(out, "refs/heads/"+SampleFeatureBranch) {
		t.Fatalf("exit %d, advertisement %q", code, out)
	}
}
