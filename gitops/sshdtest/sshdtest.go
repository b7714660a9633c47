// Package sshdtest starts a real OpenSSH sshd on 127.0.0.1 for tests, with
// its own configuration, host keys, authorized_keys and bare repositories
// served by the real git-upload-pack. It runs sshd as the current user
// (root or not): that user is the one clients log in as.
//
// Tests that need it fail (never skip) when sshd is missing, with a message
// that says to run `make deps`.
package sshdtest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Host key types.
const (
	Ed25519 = "ed25519"
	ECDSA   = "ecdsa"
	RSA     = "rsa"
)

// Options configure a Server. The zero value gives all three host key
// types and sshd's default algorithm order.
type Options struct {
	// HostKeyTypes lists the host keys to give sshd (Ed25519, ECDSA, RSA).
	// Default: all three.
	HostKeyTypes []string
	// HostKeyAlgorithms, when set, becomes sshd's HostKeyAlgorithms: the
	// signature algorithms it offers, e.g. "ssh-ed25519", "rsa-sha2-512".
	HostKeyAlgorithms []string
	// ExtraConfig lines are appended to sshd_config.
	ExtraConfig []string
	// HostKeys, when set, are used instead of the shared generated keys
	// (type -> key made by NewKey), e.g. to give a server a new identity.
	HostKeys map[string]ssh.Signer
}

// Server is a running sshd.
type Server struct {
	// Dir is the server's private directory (config, keys, authorized_keys, log).
	Dir string
	// ReposDir holds the bare repositories made by NewBareRepo.
	ReposDir string
	// User is the account clients log in as: the user running the tests.
	User string

	t         testing.TB
	port      int
	hostKeys  []hostKey
	authKeys  string
	cmd       *exec.Cmd
	logs      *syncBuffer
	done      chan struct{}
	stopOnce  sync.Once
	authMu    sync.Mutex
	sshdPath  string
	gitBinary string
}

type hostKey struct {
	typ    string
	signer ssh.Signer
}

// SSHDPath returns the sshd binary, or an error naming the fix.
func SSHDPath() (string, error) {
	for _, p := range []string{"/usr/sbin/sshd", "/usr/local/sbin/sshd"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("sshd"); err == nil {
		return p, nil
	}
	return "", errors.New("sshd not found: run `make deps` (apt-get install openssh-server)")
}

// Start generates host keys, writes a config and starts sshd -D -e on a free
// 127.0.0.1 port; it is stopped by t.Cleanup. The test fails when sshd or
// git is missing.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	sshd, err := SSHDPath()
	if err != nil {
		t.Fatal(err)
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("git not found: run `make deps` (apt-get install git)")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("sshdtest: current user: %v", err)
	}
	if os.Geteuid() == 0 {
		// sshd running as root insists on its privilege-separation
		// directory, which Debian creates only when the service starts.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatalf("sshdtest: sshd needs /run/sshd: %v", err)
		}
	}
	dir := t.TempDir()
	s := &Server{
		Dir:       dir,
		ReposDir:  filepath.Join(dir, "repos"),
		User:      u.Username,
		t:         t,
		authKeys:  filepath.Join(dir, "authorized_keys"),
		sshdPath:  sshd,
		gitBinary: gitBin,
	}
	for _, d := range []string{s.ReposDir, s.Home()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(s.authKeys, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	types := opts.HostKeyTypes
	if len(types) == 0 {
		types = []string{Ed25519, ECDSA, RSA}
	}
	var keyPaths []string
	for _, typ := range types {
		signer := opts.HostKeys[typ]
		if signer == nil {
			signer = GeneratedHostKey(t, typ)
		}
		path := filepath.Join(dir, "ssh_host_"+typ+"_key")
		if err := writePrivateKey(path, signer, typ); err != nil {
			t.Fatalf("sshdtest: writing host key: %v", err)
		}
		keyPaths = append(keyPaths, path)
		s.hostKeys = append(s.hostKeys, hostKey{typ: typ, signer: signer})
	}
	t.Cleanup(s.Stop)

	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("sshdtest: finding a free port: %v", err)
		}
		cfgPath := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfgPath, []byte(s.config(port, keyPaths, opts)), 0o600); err != nil {
			t.Fatal(err)
		}
		if lastErr = s.launch(cfgPath, port); lastErr == nil {
			return s
		}
		// Another process took the port between our probe and sshd's bind: try another.
		if !strings.Contains(lastErr.Error(), "Address already in use") {
			break
		}
	}
	t.Fatalf("sshdtest: starting sshd: %v", lastErr)
	return nil
}

func (s *Server) config(port int, keyPaths []string, opts Options) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# written by gitjira's sshdtest")
	w("Port %d", port)
	w("ListenAddress 127.0.0.1")
	for _, p := range keyPaths {
		w("HostKey %s", p)
	}
	if len(opts.HostKeyAlgorithms) > 0 {
		w("HostKeyAlgorithms %s", strings.Join(opts.HostKeyAlgorithms, ","))
	}
	w("PidFile none")
	w("UsePAM no")
	w("StrictModes no") // the temp dir and its parents are not root-owned 0755 for non-root runs
	w("AuthorizedKeysFile %s", s.authKeys)
	w("AuthenticationMethods publickey")
	w("PubkeyAuthentication yes")
	// SHA-1 RSA signatures refused, as on modern OpenSSH and the big hosts:
	// an RSA key only passes if the client signs with rsa-sha2-256/512.
	w("PubkeyAcceptedAlgorithms -ssh-rsa,ssh-rsa-cert-v01@openssh.com")
	w("PasswordAuthentication no")
	w("KbdInteractiveAuthentication no")
	w("HostbasedAuthentication no")
	if os.Geteuid() == 0 {
		w("PermitRootLogin yes")
	}
	w("AllowUsers %s", s.User)
	w("UseDNS no")
	w("PrintMotd no")
	w("PrintLastLog no")
	w("X11Forwarding no")
	w("AllowTcpForwarding no")
	w("AllowAgentForwarding no")
	w("PermitTTY no")
	w("PermitUserEnvironment no")
	w("MaxStartups 100:30:200")
	w("MaxSessions 50")
	w("LoginGraceTime 30")
	w("LogLevel VERBOSE")
	// sshd runs every command through the user's shell, and bash started by
	// sshd sources ~/.bashrc: a profile that runs tools (pyenv, nvm...) costs
	// a second per connection and may print junk into the git protocol. A
	// HOME inside the server's directory has no such file; the working
	// directory stays the account's real home. PATH makes sure
	// git-upload-pack is found whatever the login environment.
	w("SetEnv HOME=%s PATH=%s:/usr/local/bin:/usr/bin:/bin", s.Home(), filepath.Dir(s.gitBinary))
	for _, l := range opts.ExtraConfig {
		w("%s", l)
	}
	return b.String()
}

func (s *Server) launch(cfgPath string, port int) error {
	s.logs = &syncBuffer{}
	cmd := exec.Command(s.sshdPath, "-D", "-e", "-f", cfgPath)
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("sshd exited at start: %s", strings.TrimSpace(s.logs.String()))
		default:
		}
		if ok := probeSSH(addr); ok {
			// Our own sshd answered (the banner check rules out a stranger on the port).
			s.cmd, s.done, s.port = cmd, done, port
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("sshd did not answer on %s within 10s: %s", addr, strings.TrimSpace(s.logs.String()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// probeSSH reports whether an SSH server answers on addr with its banner.
func probeSSH(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "SSH-2.0-OpenSSH")
}

// freePort finds a port that is free now by listening on :0 and closing.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop stops sshd (idempotent; also run by t.Cleanup). Its log is printed
// when the test failed.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cmd == nil {
			return
		}
		_ = s.cmd.Process.Kill()
		<-s.done
		if s.t.Failed() {
			s.t.Logf("sshd log (%s):\n%s", s.Addr(), s.logs.String())
		}
	})
}

// Home returns the HOME that sessions get: an empty directory of the server's
// (see the SetEnv comment in config).
func (s *Server) Home() string { return filepath.Join(s.Dir, "home") }

// Logs returns what sshd logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// Host returns "127.0.0.1".
func (s *Server) Host() string { return "127.0.0.1" }

// Port returns the TCP port sshd listens on.
func (s *Server) Port() int { return s.port }

// Addr returns "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.port)) }

// URL returns ssh://user@127.0.0.1:port/<repoPath> for a repository path
// (absolute, e.g. from NewBareRepo).
func (s *Server) URL(repoPath string) string {
	if !strings.HasPrefix(repoPath, "/") {
		repoPath = "/" + repoPath
	}
	return fmt.Sprintf("ssh://%s@%s%s", s.User, s.Addr(), repoPath)
}

// HostKeys returns the server's public host keys in the order of Options.HostKeyTypes.
func (s *Server) HostKeys() []ssh.PublicKey {
	var keys []ssh.PublicKey
	for _, k := range s.hostKeys {
		keys = append(keys, k.signer.PublicKey())
	}
	return keys
}

// HostKey returns the public host key of one type (Ed25519, ECDSA, RSA), or nil.
func (s *Server) HostKey(typ string) ssh.PublicKey {
	for _, k := range s.hostKeys {
		if k.typ == typ {
			return k.signer.PublicKey()
		}
	}
	return nil
}

// HostSigners returns the private host keys by type, to start another
// server with the same identity (Options.HostKeys).
func (s *Server) HostSigners() map[string]ssh.Signer {
	m := make(map[string]ssh.Signer, len(s.hostKeys))
	for _, k := range s.hostKeys {
		m[k.typ] = k.signer
	}
	return m
}

// HostKeyFingerprints maps each host key type to its SHA256 fingerprint.
func (s *Server) HostKeyFingerprints() map[string]string {
	m := make(map[string]string, len(s.hostKeys))
	for _, k := range s.hostKeys {
		m[k.typ] = ssh.FingerprintSHA256(k.signer.PublicKey())
	}
	return m
}

// KnownHostsLine returns known_hosts lines ("[127.0.0.1]:port type key"),
// one per listed key type, or for every host key when none is listed.
func (s *Server) KnownHostsLine(types ...string) string {
	var lines []string
	for _, k := range s.hostKeys {
		if len(types) > 0 && !containsStr(types, k.typ) {
			continue
		}
		lines = append(lines, knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, k.signer.PublicKey()))
	}
	return strings.Join(lines, "\n")
}

// WriteKnownHosts writes a known_hosts file in a temp dir holding
// KnownHostsLine(types...) and returns its path.
func (s *Server) WriteKnownHosts(types ...string) string {
	s.t.Helper()
	p := filepath.Join(s.t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, []byte(s.KnownHostsLine(types...)+"\n"), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// AuthorizeKey appends one authorized_keys line (e.g. "ssh-ed25519 AAAA... comment").
func (s *Server) AuthorizeKey(line string) {
	s.t.Helper()
	s.authMu.Lock()
	defer s.authMu.Unlock()
	f, err := os.OpenFile(s.authKeys, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.TrimSpace(line) + "\n"); err != nil {
		s.t.Fatal(err)
	}
}

// AuthorizePublicKey authorizes a public key.
func (s *Server) AuthorizePublicKey(k ssh.PublicKey) {
	s.t.Helper()
	s.AuthorizeKey(string(ssh.MarshalAuthorizedKey(k)))
}

// SilentServer listens on 127.0.0.1, accepts TCP connections and never
// writes a byte: a client must give up by its own timeout. It stops at
// test cleanup. It returns "127.0.0.1:port".
func SilentServer(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// ClosedPort returns "127.0.0.1:port" for a port that nothing listens on
// (it was free a moment ago; connecting gets "connection refused").
func ClosedPort(t testing.TB) string {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
}

var (
	genMu   sync.Mutex
	genKeys = map[string]ssh.Signer{}
)

// GeneratedHostKey returns a host key of the given type, generated once per
// test binary (RSA generation is slow) and shared by all servers that do not
// ask for their own.
func GeneratedHostKey(t testing.TB, typ string) ssh.Signer {
	t.Helper()
	genMu.Lock()
	defer genMu.Unlock()
	if k := genKeys[typ]; k != nil {
		return k
	}
	k, err := NewKey(typ)
	if err != nil {
		t.Fatal(err)
	}
	genKeys[typ] = k
	return k
}

// NewKey generates a fresh key of the given type (Ed25519, ECDSA P-256, RSA 2048).
func NewKey(typ string) (ssh.Signer, error) {
	var priv any
	var err error
	switch typ {
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case ECDSA:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("sshdtest: unknown key type %q", typ)
	}
	if err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	privateKeys.Store(signer, priv)
	return signer, nil
}

// writePrivateKey writes a signer made by NewKey in OpenSSH format for sshd.
func writePrivateKey(path string, signer ssh.Signer, typ string) error {
	priv, ok := privateKeys.Load(signer)
	if !ok {
		return fmt.Errorf("no private key material for %s host key (use sshdtest.NewKey or NewKeyFile)", typ)
	}
	block, err := ssh.MarshalPrivateKey(priv, "sshdtest "+typ)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(block), 0o600)
}

// privateKeys keeps the private key behind each signer made by NewKey, so it
// can be written to a file for sshd.
var privateKeys sync.Map // ssh.Signer -> crypto private key

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// syncBuffer is a bytes.Buffer safe for the sshd output goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	if b == nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
