// Package gitserver is an in-process SSH git server on 127.0.0.1 serving
// bare repositories for fetch and clone (git-upload-pack only). `gitjira demo`
// runs it with a sample repository, and tests use it as a hermetic git host.
//
// Repositories are served by the real `git upload-pack` when git is on PATH,
// otherwise by go-git's pure-Go upload-pack, so it needs nothing but the
// gitjira binary.
package gitserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
)

// Backend says what runs upload-pack.
type Backend string

// Backends.
const (
	BackendAuto  Backend = ""       // git when on PATH, else go-git
	BackendGit   Backend = "git"    // the `git upload-pack` binary
	BackendGoGit Backend = "go-git" // go-git's pure-Go server
)

// Host key types accepted in Options.HostKeyTypes.
const (
	KeyEd25519 = "ed25519"
	KeyECDSA   = "ecdsa"
	KeyRSA     = "rsa"
)

// Options configures a Server.
type Options struct {
	// Root is the directory holding the bare repositories; a client's path
	// "/team/app.git" (or "team/app", "~/team/app.git") is resolved inside
	// it and can never leave it.
	Root string
	// Addr to listen on; default "127.0.0.1:0" (a free port).
	Addr string
	// HostKeys to offer. When empty, one fresh key per HostKeyTypes entry
	// is generated (default: ed25519 only).
	HostKeys     []ssh.Signer
	HostKeyTypes []string
	// AuthorizedKeys may log in (as any user name); more can be added with
	// AuthorizeKey.
	AuthorizedKeys []ssh.PublicKey
	Backend        Backend
	// StallAfter, when > 0, makes upload-pack output stop after that many
	// bytes of the pack until the client disconnects: tests use it to cancel
	// a clone in the middle of the pack deterministically.
	StallAfter int64
	// Logf, when set, receives one line per connection event.
	Logf func(format string, args ...any)
	// Handler, when set, serves upload-pack commands instead of the
	// backend: tests use it to make the server misbehave (see hostile.go).
	Handler Handler
}

// Handler serves one git-upload-pack command: repo is the repository it
// names (resolved inside the root), stdin what the client sends, stdout
// and stderr the session's streams. It returns the exit status.
type Handler func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int

// Server is a running SSH git server. Close stops it.
type Server struct {
	opts     Options
	root     string
	backend  Backend
	ln       net.Listener
	config   *ssh.ServerConfig
	hostKeys []ssh.PublicKey

	mu         sync.Mutex
	authorized map[string]bool
	conns      map[*ssh.ServerConn]bool
	closed     bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	execs      atomic.Int64
	stallAfter atomic.Int64
	handler    atomic.Pointer[Handler]
}

// Start listens and serves in background goroutines.
func Start(o Options) (*Server, error) {
	if o.Root == "" {
		return nil, errors.New("gitserver: no root directory given")
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, err
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return nil, fmt.Errorf("gitserver: root: %w", err)
	}
	s := &Server{opts: o, root: root, authorized: map[string]bool{}, conns: map[*ssh.ServerConn]bool{}}
	switch o.Backend {
	case BackendAuto:
		s.backend = BackendGoGit
		if _, err := exec.LookPath("git"); err == nil {
			s.backend = BackendGit
		}
	case BackendGit:
		if _, err := exec.LookPath("git"); err != nil {
			return nil, fmt.Errorf("gitserver: the git backend needs git on PATH: %w", err)
		}
		s.backend = BackendGit
	case BackendGoGit:
		s.backend = BackendGoGit
	default:
		return nil, fmt.Errorf("gitserver: unknown backend %q", o.Backend)
	}
	s.stallAfter.Store(o.StallAfter)
	if o.Handler != nil {
		s.handler.Store(&o.Handler)
	}
	for _, k := range o.AuthorizedKeys {
		s.authorized[string(k.Marshal())] = true
	}
	s.config = &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-gitjira-gitserver",
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			s.mu.Lock()
			ok := s.authorized[string(key.Marshal())]
			s.mu.Unlock()
			if !ok {
				return nil, fmt.Errorf("key %s is not authorized", ssh.FingerprintSHA256(key))
			}
			return &ssh.Permissions{Extensions: map[string]string{"fp": ssh.FingerprintSHA256(key)}}, nil
		},
	}
	signers := o.HostKeys
	if len(signers) == 0 {
		types := o.HostKeyTypes
		if len(types) == 0 {
			types = []string{KeyEd25519}
		}
		for _, t := range types {
			sg, err := GenerateHostKey(t)
			if err != nil {
				return nil, err
			}
			signers = append(signers, sg)
		}
	}
	for _, sg := range signers {
		s.config.AddHostKey(sg)
		s.hostKeys = append(s.hostKeys, sg.PublicKey())
	}
	addr := o.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if s.ln, err = net.Listen("tcp", addr); err != nil {
		return nil, fmt.Errorf("gitserver: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// GenerateHostKey makes a host key of the given type (KeyEd25519, KeyECDSA
// (P-256) or KeyRSA (3072 bits)).
func GenerateHostKey(typ string) (ssh.Signer, error) {
	var key any
	var err error
	switch typ {
	case KeyEd25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case KeyECDSA:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyRSA:
		key, err = rsa.GenerateKey(rand.Reader, 3072)
	default:
		return nil, fmt.Errorf("gitserver: unknown host key type %q (want ed25519, ecdsa or rsa)", typ)
	}
	if err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(key)
}

// Addr returns host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port returns the TCP port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// URL returns an ssh:// URL for a repository path under the root.
func (s *Server) URL(path string) string {
	return fmt.Sprintf("ssh://git@%s/%s", s.Addr(), strings.TrimPrefix(filepath.ToSlash(path), "/"))
}

// HostKeys returns the public host keys offered.
func (s *Server) HostKeys() []ssh.PublicKey { return append([]ssh.PublicKey(nil), s.hostKeys...) }

// Backend returns the backend in use (never BackendAuto).
func (s *Server) Backend() Backend { return s.backend }

// Execs returns how many upload-pack commands were started.
func (s *Server) Execs() int64 { return s.execs.Load() }

// SetStallAfter changes Options.StallAfter for the commands started from now
// on (0 turns stalling off).
func (s *Server) SetStallAfter(n int64) { s.stallAfter.Store(n) }

// SetHandler changes Options.Handler for the commands started from now on
// (nil: the backend again).
func (s *Server) SetHandler(h Handler) {
	if h == nil {
		s.handler.Store(nil)
		return
	}
	s.handler.Store(&h)
}

// AuthorizeKey lets key log in.
func (s *Server) AuthorizeKey(key ssh.PublicKey) {
	s.mu.Lock()
	s.authorized[string(key.Marshal())] = true
	s.mu.Unlock()
}

// Close stops listening, ends the open connections (killing running
// upload-packs) and waits for every goroutine to finish.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.cancel()
	s.wg.Wait()
	return err
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleConn(c)
		}()
	}
}

func (s *Server) handleConn(nc net.Conn) {
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.config)
	if err != nil {
		s.logf("gitserver: %s: handshake: %v", nc.RemoteAddr(), err)
		nc.Close()
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		sc.Close()
		return
	}
	s.conns[sc] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
		sc.Close()
	}()
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	go func() { sc.Wait(); cancel() }()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handleSession(ctx, sc, ch, creqs)
		}()
	}
	wg.Wait()
}

func (s *Server) handleSession(ctx context.Context, sc *ssh.ServerConn, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			go ssh.DiscardRequests(reqs)
			s.logf("gitserver: %s@%s: exec %q", sc.User(), sc.RemoteAddr(), p.Command)
			code := s.exec(ctx, ch, p.Command)
			sendExitStatus(ch, code)
			return
		case "env":
			req.Reply(true, nil) // accepted and ignored (GIT_PROTOCOL: we speak v0)
		case "shell", "pty-req":
			req.Reply(false, nil)
			if req.Type == "shell" {
				fmt.Fprintf(ch.Stderr(), "Hi %s! This server only serves git fetches; there is no shell.\r\n", sc.User())
				sendExitStatus(ch, 128)
				return
			}
		default:
			if req.WantReply {
				req.Reply(false, nil)
			}
		}
	}
}

func sendExitStatus(ch ssh.Channel, code int) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(code))
	ch.SendRequest("exit-status", false, b[:])
}

// exec runs one command and returns its exit status.
func (s *Server) exec(ctx context.Context, ch ssh.Channel, command string) int {
	path, ok := parseUploadPack(command)
	if !ok {
		fmt.Fprintf(ch.Stderr(), "fatal: unrecognized command '%s': this server only serves git-upload-pack\n", oneLine(command))
		return 128
	}
	repo, err := s.resolve(path)
	if err != nil {
		fmt.Fprintf(ch.Stderr(), "fatal: '%s' does not appear to be a git repository\n", path)
		return 128
	}
	s.execs.Add(1)
	var out io.Writer = ch
	if after := s.stallAfter.Load(); after > 0 {
		out = &stallWriter{w: ch, after: after, ctx: ctx}
	}
	if h := s.handler.Load(); h != nil {
		return (*h)(ctx, repo, ch, out, ch.Stderr())
	}
	if s.backend == BackendGit {
		return RunUploadPack(ctx, repo, ch, out, ch.Stderr())
	}
	if err := goGitUploadPack(ctx, repo, bufio.NewReader(ch), out); err != nil {
		fmt.Fprintf(ch.Stderr(), "fatal: %v\n", err)
		return 128
	}
	return 0
}

func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// parseUploadPack accepts `git-upload-pack '<path>'` and `git upload-pack
// '<path>'` (the path single- or double-quoted, or bare) and returns the path.
func parseUploadPack(cmd string) (string, bool) {
	cmd = strings.TrimSpace(cmd)
	var rest string
	switch {
	case strings.HasPrefix(cmd, "git-upload-pack "):
		rest = cmd[len("git-upload-pack "):]
	case strings.HasPrefix(cmd, "git upload-pack "):
		rest = cmd[len("git upload-pack "):]
	default:
		return "", false
	}
	words, ok := shellWords(strings.TrimSpace(rest))
	if !ok || len(words) != 1 || words[0] == "" {
		return "", false
	}
	return words[0], true
}

// shellWords splits s as a POSIX shell would for quoting ('...', "...",
// backslash), without expansions.
func shellWords(s string) ([]string, bool) {
	var words []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			in = true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, false
			}
			i++
			cur.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, true
}

// resolve maps a client path to a bare repository inside the root. Leading
// "/" and "~/" are relative to the root, ".." cannot climb above it, and
// symlinks may not lead outside it. "x" also finds "x.git".
func (s *Server) resolve(p string) (string, error) {
	p = strings.TrimPrefix(p, "~")
	clean := filepath.Clean("/" + filepath.FromSlash(p)) // ".." stops at "/"
	for _, cand := range []string{clean, clean + ".git"} {
		full := filepath.Join(s.root, cand)
		real, err := filepath.EvalSymlinks(full)
		if err != nil {
			continue
		}
		if real != s.root && !strings.HasPrefix(real, s.root+string(filepath.Separator)) {
			continue
		}
		if isBareRepo(real) {
			return real, nil
		}
	}
	return "", os.ErrNotExist
}

func isBareRepo(dir string) bool {
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// RunUploadPack runs `git upload-pack` (protocol v0) on repo with the
// given streams and returns its exit status; a Handler may call it to serve
// the real protocol and misbehave around it.
func RunUploadPack(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "upload-pack", "--strict", repo)
	cmd.Env = append(os.Environ(), "GIT_PROTOCOL=") // protocol v0, as advertised
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return 128
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 128
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "fatal: cannot run git upload-pack: %v\n", err)
		return 128
	}
	// Not waited for: it ends when the client closes its side or the
	// channel closes (exec's own stdin copy would make Wait hang on it).
	go func() {
		io.Copy(in, stdin)
		in.Close()
	}()
	if _, err := io.Copy(stdout, out); err != nil {
		cancel() // the client went away: stop git instead of blocking on a full pipe
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() >= 0 {
			return ee.ExitCode()
		}
		return 128
	}
	if err != nil {
		return 128
	}
	return 0
}

// stallWriter passes output until at least `after` bytes of the pack went
// through, then blocks until ctx ends. It follows the pkt-line framing so it
// stops at a pkt-line boundary (a client cannot use part of a sideband
// packet); after a raw pack starts (no sideband) it stops anywhere.
type stallWriter struct {
	w     io.Writer
	after int64
	ctx   context.Context

	raw    bool   // past the pkt-lines: a pack without sideband
	hdr    []byte // partial pkt-line length
	inPkt  int    // payload bytes left in the current pkt-line
	seen   bool   // the pack has started
	packed int64  // pack bytes passed so far (approximately: whole pkt-lines)
	recent []byte // last bytes passed, to find "PACK" across writes
}

func (s *stallWriter) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		if s.seen && s.packed >= s.after && (s.raw || (s.inPkt == 0 && len(s.hdr) == 0)) {
			<-s.ctx.Done()
			return written, s.ctx.Err()
		}
		n := len(b)
		switch {
		case s.raw:
			n = min(n, 512)
		case s.inPkt > 0:
			n = min(n, s.inPkt)
			s.inPkt -= n
		default:
			n = min(n, 4-len(s.hdr))
			s.hdr = append(s.hdr, b[:n]...)
			if len(s.hdr) == 4 {
				if v, err := strconv.ParseUint(string(s.hdr), 16, 16); err == nil {
					if v >= 4 {
						s.inPkt = int(v) - 4
					}
				} else {
					s.raw = true
				}
				s.hdr = s.hdr[:0]
			}
		}
		chunk := b[:n]
		if !s.seen {
			s.recent = append(s.recent, chunk...)
			if bytes.Contains(s.recent, []byte("PACK")) {
				s.seen = true
			} else if len(s.recent) > 3 {
				s.recent = append(s.recent[:0], s.recent[len(s.recent)-3:]...)
			}
		} else {
			s.packed += int64(n)
		}
		m, err := s.w.Write(chunk)
		written += m
		if err != nil {
			return written, err
		}
		b = b[n:]
	}
	return written, nil
}
