package sshdtest

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestServerWithOpenSSHClient checks the harness with the real ssh client
// and git: a key made by ssh-keygen, strict host key checking against
// KnownHostsLine, and git ls-remote through git-upload-pack.
func TestServerWithOpenSSHClient(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Fatal("ssh client not found: run `make deps` (apt-get install openssh-client)")
	}
	s := Start(t, Options{})
	repo := s.NewBareRepo("demo", 25)

	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sshdtest", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	s.AuthorizeKey(string(pub))
	kh := s.WriteKnownHosts(RSA) // only one type known: OpenSSH's client copes, as our client must
	sshCmd := strings.Join([]string{"ssh", "-F", "/dev/null", "-i", key, "-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + kh, "-o", "BatchMode=yes"}, " ")

	cmd := exec.Command("git", "ls-remote", s.URL(repo))
	cmd.Env = append(gitEnv(), "GIT_SSH_COMMAND="+sshCmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git ls-remote: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	// HEAD + main + tags v0.1 and v0.2.
	if len(lines) != 4 || !strings.Contains(string(out), "refs/tags/v0.2") || !strings.Contains(string(out), "refs/heads/main") {
		t.Fatalf("ls-remote listed:\n%s", out)
	}

	// A key that is not authorized is refused by the real sshd.
	other := filepath.Join(dir, "id_other")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	cmd = exec.Command("git", "ls-remote", s.URL(repo))
	cmd.Env = append(gitEnv(), "GIT_SSH_COMMAND="+strings.Replace(sshCmd, key, other, 1))
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "Permission denied") {
		t.Fatalf("unauthorized key: err=%v out=%s", err, out)
	}
}

func TestNewBareRepoAndAddCommits(t *testing.T) {
	s := &Server{t: t, ReposDir: t.TempDir()}
	repo := s.NewBareRepo("r", 12)
	if got := strings.TrimSpace(s.Git(repo, "rev-list", "--count", "main")); got != "12" {
		t.Fatalf("commits = %s, want 12", got)
	}
	s.AddCommits(repo, 9)
	if got := strings.TrimSpace(s.Git(repo, "rev-list", "--count", "main")); got != "21" {
		t.Fatalf("commits after AddCommits = %s, want 21", got)
	}
	if got := strings.Fields(s.Git(repo, "tag")); strings.Join(got, ",") != "v0.1,v0.2" {
		t.Fatalf("tags = %v", got)
	}
	if msg := s.Git(repo, "log", "-1", "--format=%s", "main"); !strings.HasPrefix(msg, "PROJ-21: change 21") {
		t.Fatalf("last message = %q", msg)
	}
	if head := strings.TrimSpace(s.Git(repo, "symbolic-ref", "HEAD")); head != "refs/heads/main" {
		t.Fatalf("HEAD = %s", head)
	}
	if out := s.Git(repo, "fsck", "--strict"); strings.Contains(out, "error") {
		t.Fatalf("fsck: %s", out)
	}
}

func TestHostKeyOptions(t *testing.T) {
	own, err := NewKey(Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, Options{HostKeyTypes: []string{Ed25519}, HostKeys: map[string]ssh.Signer{Ed25519: own}})
	if len(s.HostKeys()) != 1 || s.HostKey(RSA) != nil {
		t.Fatalf("host keys = %d", len(s.HostKeys()))
	}
	if got, want := s.HostKeyFingerprints()[Ed25519], ssh.FingerprintSHA256(own.PublicKey()); got != want {
		t.Fatalf("fingerprint %s, want %s", got, want)
	}
	wantLine := "[127.0.0.1]:" + strings.TrimPrefix(s.Addr(), "127.0.0.1:") + " ssh-ed25519 "
	if line := s.KnownHostsLine(); !strings.HasPrefix(line, wantLine) {
		t.Fatalf("KnownHostsLine = %q, want prefix %q", line, wantLine)
	}
	// The server really presents that key.
	var got ssh.PublicKey
	cfg := &ssh.ClientConfig{User: s.User, HostKeyCallback: func(_ string, _ netAddr, k ssh.PublicKey) error { got = k; return errStop }, Timeout: 5 * time.Second}
	_, err = ssh.Dial("tcp", s.Addr(), cfg)
	if got == nil || ssh.FingerprintSHA256(got) != ssh.FingerprintSHA256(own.PublicKey()) {
		t.Fatalf("server presented %v (dial err %v)", got, err)
	}
}

func TestSilentServerAndClosedPort(t *testing.T) {
	addr := SilentServer(t)
	c, err := netDial(addr)
	if err != nil {
		t.Fatalf("silent server refused TCP: %v", err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 1)
	if n, err := c.Read(buf); n != 0 || err == nil {
		t.Fatalf("silent server said something: %d bytes, %v", n, err)
	}
	if c, err := netDial(ClosedPort(t)); err == nil {
		c.Close()
		t.Fatal("closed port accepted a connection")
	}
}

func TestConfigRejectedIsReported(t *testing.T) {
	// Start must fail loudly on a bad config; check the error path of launch directly.
	sshd, err := SSHDPath()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, sshdPath: sshd, User: "nobody"}
	cfg := filepath.Join(t.TempDir(), "sshd_config")
	if err := os.WriteFile(cfg, []byte("NoSuchOption yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.launch(cfg, 1); err == nil || !strings.Contains(err.Error(), "sshd exited at start") || !strings.Contains(err.Error(), "NoSuchOption") {
		t.Fatalf("launch with a bad config: %v", err)
	}
}

type netAddr = net.Addr

var errStop = errors.New("stop after host key")

func netDial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 2*time.Second) }
