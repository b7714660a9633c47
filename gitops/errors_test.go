package gitops

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestClassify(t *testing.T) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 22}, Err: err}
	}
	already := &AuthError{User: "git"}
	for _, tc := range []struct {
		name string
		err  error
		kind string // NetError kind, or the Go type name of the result
		addr string
	}{
		{"dns", opErr(&net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}), NetDNS, "10.0.0.1:22"},
		{"refused", opErr(os.NewSyscallError("connect", syscall.ECONNREFUSED)), NetRefused, "10.0.0.1:22"},
		{"host unreachable", opErr(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), NetUnreachable, "10.0.0.1:22"},
		{"net unreachable", opErr(os.NewSyscallError("connect", syscall.ENETUNREACH)), NetUnreachable, "10.0.0.1:22"},
		{"i/o timeout", opErr(os.ErrDeadlineExceeded), NetTimeout, "10.0.0.1:22"},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), NetTimeout, ""},
		{"auth", errors.New("ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain"), "*gitops.AuthError", ""},
		{"eof in handshake", fmt.Errorf("ssh: handshake failed: %w", io.EOF), NetProtocol, ""},
		{"reset", opErr(os.NewSyscallError("read", syscall.ECONNRESET)), NetProtocol, "10.0.0.1:22"},
		{"typed stays", fmt.Errorf("wrapped: %w", already), "*fmt.wrapError", ""},
		{"transfer closed stays", &TransferClosedError{Percent: 36, Bytes: 19 << 20, Err: io.ErrUnexpectedEOF}, "*gitops.TransferClosedError", ""},
		{"canceled stays", fmt.Errorf("x: %w", context.Canceled), "*fmt.wrapError", ""},
		{"unknown stays", errors.New("something else"), "*errors.errorString", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.err)
			var ne *NetError
			if errors.As(got, &ne) {
				if ne.Kind != tc.kind || ne.Addr != tc.addr {
					t.Fatalf("NetError kind %q addr %q, want %q %q", ne.Kind, ne.Addr, tc.kind, tc.addr)
				}
				if !errors.Is(got, tc.err) && !errors.Is(ne.Err, tc.err) {
					t.Fatalf("the cause is lost: %v", got)
				}
			} else if typ := fmt.Sprintf("%T", got); typ != tc.kind {
				t.Fatalf("got %T (%v), want %s", got, got, tc.kind)
			}
			if strings.Contains(got.Error(), "\n") {
				t.Fatalf("multi-line message %q", got)
			}
		})
	}
	if Classify(nil) != nil {
		t.Fatal("Classify(nil) != nil")
	}
}

// TestErrorMessages pins the one-line messages the wizard and the command
// line show: what went wrong and the next step.
func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&AuthError{User: "git", Fingerprint: "SHA256:abc", AuthorizedKey: "ssh-ed25519 AAAA me"},
			"the server refused key SHA256:abc for user git: add this public key to the git host's SSH keys (or check the user name in the URL): ssh-ed25519 AAAA me"},
		{&AuthError{}, "the server refused key (unknown) for user (unknown): add the public key to the git host's SSH keys, or check the user name in the URL"},
		{&HostKeyError{Host: "[127.0.0.1]:2222", KeyType: "ssh-ed25519", OfferedFingerprint: "SHA256:new"},
			"host [127.0.0.1]:2222 is not known: its ed25519 key has fingerprint SHA256:new; check it with the host's admin and trust it (--trust-host SHA256:new)"},
		{&HostKeyError{Host: "h", KeyType: "ecdsa-sha2-nistp256", OfferedFingerprint: "SHA256:new", Expected: "SHA256:other"},
			"WARNING host h presented ecdsa key SHA256:new, not the pinned SHA256:other (no key of the host's other types matched either): a host key that differs from the one you were given can mean someone is intercepting the connection (an attack); nothing was connected or recorded: confirm the right fingerprint with the host's admin through another channel"},
		{&HostKeyError{Host: "[127.0.0.1]:2200", KeyType: "ssh-ed25519", OfferedFingerprint: "SHA256:new", KnownHostsFile: "/k", Jump: true},
			"jump host [127.0.0.1]:2200 is not known: its ed25519 key has fingerprint SHA256:new; check it with the host's admin, then trust it (--trust-host SHA256:new records it in /k) and connect again"},
		{&AuthError{User: "git", Fingerprint: "SHA256:k", Certificate: "/c-cert.pub", CertCA: "SHA256:ca", CertProblem: "it expired at 2026-01-01 00:00:00 UTC"},
			"the server refused key SHA256:k for user git: the certificate /c-cert.pub (CA SHA256:ca) cannot be used: it expired at 2026-01-01 00:00:00 UTC; get a new certificate from your CA (ssh-keygen -L -f shows what it holds)"},
		{&JumpError{Hop: "bastion", Target: "10.0.0.5:22", Err: errors.New("ssh: rejected: administratively prohibited (open failed)")},
			"jump host bastion did not open a connection to 10.0.0.5:22 (ssh: rejected: administratively prohibited (open failed)): check that it may forward there (AllowTcpForwarding, PermitOpen) and that the host and port are right"},
		{&ProxyCommandError{Command: "nc h 22", Detail: "nc: connect to h port 22 (tcp) failed: Connection refused"},
			`ProxyCommand "nc h 22" ended before the SSH connection was up (nc: connect to h port 22 (tcp) failed: Connection refused): check the command and the host it reaches`},
		{&HostKeyError{Host: "h", KeyType: "ssh-rsa", Offered: testPublicKey(t, "rsa"), OfferedFingerprint: "SHA256:b", Known: []string{"SHA256:a"}, KnownHostsFile: "/k"},
			"WARNING host key for h has changed: known SHA256:a, offered SHA256:b; someone may be intercepting the connection: do not connect until the host's admin confirms the new key, then remove the old line from /k"},
		{&HostKeyError{Host: "h", Known: []string{"SHA256:a"}, KnownHostsFile: "/k"},
			"WARNING host key for h has changed: known SHA256:a, but the server offers none of those key types; do not connect until the host's admin confirms the new key, then remove the old line from /k"},
		{&RepoNotFoundError{Path: "org/x.git", Detail: "ERROR: Repository not found."},
			`repository "org/x.git" not found on the server, or this key may not read it: check the path in the URL and the key's access on the git host (server said: ERROR: Repository not found.)`},
		{&NetError{Kind: NetDNS, Addr: "nowhere.invalid:22"}, `cannot resolve host name "nowhere.invalid": check the host in the URL and your DNS`},
		{&NetError{Kind: NetRefused, Addr: "h:22"}, "connection to h:22 refused: check the host and port in the URL (is an SSH server listening there?)"},
		{&NetError{Kind: NetTimeout, Addr: "h:22", Stage: "handshake", Timeout: 20 * time.Second},
			"no answer from h:22 within 20s (SSH handshake): check the host, the port and any firewall, or try again later"},
		{&NetError{Kind: NetUnreachable, Addr: "h:22"}, "h:22 is unreachable: check your network connection and the host in the URL"},
		{&RemoteCommandError{Command: "git-upload-pack 'x'", Detail: "bash: git-upload-pack: command not found"},
			"the server could not run git-upload-pack 'x' (bash: git-upload-pack: command not found): check that this host serves git over SSH and that git is installed there"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%T:\n got %s\nwant %s", tc.err, got, tc.want)
		}
	}
}

func TestUploadPackStderrClassification(t *testing.T) {
	for _, tc := range []struct {
		stderr string
		want   string // type name, or "" for no classification
	}{
		{"fatal: '/srv/x.git' does not appear to be a git repository\n", "*gitops.RepoNotFoundError"},
		{"ERROR: Repository not found.\n", "*gitops.RepoNotFoundError"},
		{"remote: \nremote: ========\nremote: The project you were looking for could not be found or you don't have permission to view it.\n", "*gitops.RepoNotFoundError"},
		{"FATAL: R any x alice DENIED by fallthru\n(or you mis-spelled the reponame)\n", "*gitops.RepoNotFoundError"},
		{"bash: line 1: git-upload-pack: command not found\n", "*gitops.RemoteCommandError"},
		{"This service allows sftp connections only.\n", "*gitops.RemoteCommandError"},
		{"warning: something harmless\n", ""},
		{"", ""},
	} {
		s := &UploadPackSession{Path: "x", Command: "git-upload-pack 'x'", stderr: &capBuffer{max: 1 << 10}}
		s.stderr.Write([]byte(tc.stderr))
		got := s.classifyStderr()
		if typ := fmt.Sprintf("%T", got); (tc.want == "" && got != nil) || (tc.want != "" && typ != tc.want) {
			t.Errorf("%q: got %T %v, want %s", tc.stderr, got, got, tc.want)
		}
		if got != nil && strings.Contains(got.Error(), "\n") {
			t.Errorf("%q: multi-line %q", tc.stderr, got)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/srv/repo.git": `'/srv/repo.git'`,
		"it's":          `'it'\''s'`,
		"a!b":           `'a'\!'b'`,
		"$(rm -rf /)":   `'$(rm -rf /)'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("%q -> %s, want %s", in, got, want)
		}
	}
}

func TestCapBuffer(t *testing.T) {
	b := &capBuffer{max: 5}
	n, err := b.Write([]byte("abc"))
	if n != 3 || err != nil {
		t.Fatal(n, err)
	}
	if n, _ := b.Write([]byte("defgh")); n != 5 {
		t.Fatalf("a capped write must still report all bytes taken, got %d", n)
	}
	if b.String() != "abcde" {
		t.Fatalf("%q", b.String())
	}
}

func TestConnectOptionsValidate(t *testing.T) {
	t.Setenv("GITJIRA_KNOWN_HOSTS", "/tmp/gitjira-kh")
	var o ConnectOptions
	if err := o.Validate(); !errors.Is(err, ErrNoEndpoint) {
		t.Fatalf("no endpoint: %v", err)
	}
	o.Endpoint = mustEndpoint(t, "git@h:r")
	if err := o.Validate(); !errors.Is(err, ErrNoSigner) {
		t.Fatalf("no signer: %v", err)
	}
	signer := testSigner(t)
	o.Signer = signer
	o.TrustFingerprint = strings.Repeat("B", 43)
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.KnownHostsFile != "/tmp/gitjira-kh" || o.Timeout != DefaultTimeout || o.TrustFingerprint != "SHA256:"+strings.Repeat("B", 43) {
		t.Fatalf("defaults not filled: %+v", o)
	}
	o.TrustFingerprint = "MD5:00"
	if err := o.Validate(); err == nil {
		t.Fatal("MD5 fingerprint accepted")
	}
	if s := o.String(); !strings.Contains(s, "git@h:r") || !strings.Contains(s, "SHA256:") {
		t.Fatalf("String %q", s)
	}
}

func testSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
