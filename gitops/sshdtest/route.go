package sshdtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// StartBastion starts a forwarding-only sshd: it lets clients open
// connections onwards (ssh -J, ssh -W, ProxyJump) but runs no command and
// serves no repository.
func StartBastion(t testing.TB) *Server {
	t.Helper()
	return Start(t, Options{ExtraConfig: []string{
		"Match all",
		"AllowTcpForwarding yes",
		"PermitOpen any",
		"ForceCommand /bin/false",
	}})
}

// CA is an OpenSSH certificate authority made by ssh-keygen.
type CA struct {
	t   testing.TB
	Key string // the CA's private key file
	Pub string // its public key file (for TrustedUserCAKeys / @cert-authority)
}

// NewCA makes a certificate authority key (ed25519) with ssh-keygen.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key := filepath.Join(t.TempDir(), "ca")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sshdtest CA", "-f", key)
	return &CA{t: t, Key: key, Pub: key + ".pub"}
}

// PublicLine is the CA's public key line.
func (ca *CA) PublicLine() string {
	b, err := os.ReadFile(ca.Pub)
	if err != nil {
		ca.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TrustedUserCAOption is the sshd_config line making the server accept
// user certificates this CA signed (for Options.ExtraConfig).
func (ca *CA) TrustedUserCAOption() string { return "TrustedUserCAKeys " + ca.Pub }

// SignUser signs the public key file pub as a user certificate for the
// given principals (comma-separated) and validity (ssh-keygen -V, e.g.
// "-5m:+1h", "-2h:-1h" for expired, "+1h:+2h" for not yet valid) and
// returns the certificate file, pub's name with -cert.pub.
func (ca *CA) SignUser(pub, principals, validity string) string {
	ca.t.Helper()
	run(ca.t, "ssh-keygen", "-q", "-s", ca.Key, "-I", "sshdtest-user", "-n", principals, "-V", validity, pub)
	return strings.TrimSuffix(pub, ".pub") + "-cert.pub"
}

// HostCertOptions signs the shared generated host keys of the given types
// as host certificates for principals (comma-separated, e.g. "127.0.0.1")
// and returns the sshd_config lines that serve them (Options.ExtraConfig).
func (ca *CA) HostCertOptions(principals string, types ...string) []string {
	ca.t.Helper()
	dir := ca.t.TempDir()
	var lines []string
	for _, typ := range types {
		k := GeneratedHostKey(ca.t, typ)
		pub := filepath.Join(dir, "host_"+typ+".pub")
		if err := os.WriteFile(pub, []byte(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.PublicKey())))+"\n"), 0o600); err != nil {
			ca.t.Fatal(err)
		}
		run(ca.t, "ssh-keygen", "-q", "-s", ca.Key, "-h", "-I", "sshdtest-host", "-n", principals, "-V", "-5m:+1h", pub)
		lines = append(lines, "HostCertificate "+filepath.Join(dir, "host_"+typ+"-cert.pub"))
	}
	return lines
}

// NewClientKey makes an unencrypted ed25519 key pair with ssh-keygen and
// returns the private key file (the public one is beside it, .pub).
func NewClientKey(t testing.TB) string {
	t.Helper()
	key := filepath.Join(t.TempDir(), "id_ed25519")
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sshdtest client", "-f", key)
	return key
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s (run `make deps`)", name, strings.Join(args, " "), err, out)
	}
}

// AcceptedLogins counts the successful public-key logins sshd logged.
func (s *Server) AcceptedLogins() int {
	return strings.Count(s.Logs(), "Accepted publickey")
}

// StartAgent runs a real ssh-agent on a socket in a temp dir (stopped at
// cleanup), loads the given private key files with ssh-add (which also
// loads a KEY-cert.pub beside each) and returns the socket.
func StartAgent(t testing.TB, keys ...string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent (run `make deps`): %v", err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, key := range keys {
		add := exec.Command("ssh-add", key)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add %s: %v\n%s", key, err, out)
		}
	}
	return sock
}
