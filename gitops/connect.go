package gitops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gitjira/gitjira/internal/termtext"
	"golang.org/x/crypto/ssh"
)

// DefaultTimeout is ConnectOptions.Timeout when none is given: what a cron
// job would want, long enough for a slow server to start sending a big
// pack, short enough that a hung server is noticed.
const DefaultTimeout = 60 * time.Second

// clientVersion is sent in the SSH identification string; server logs show it.
const clientVersion = "SSH-2.0-gitjira"

// ConnectOptions says where to connect and with what key.
type ConnectOptions struct {
	Endpoint       *Endpoint
	Signer         ssh.Signer
	KnownHostsFile string // "" = DefaultKnownHostsFile()
	// TrustFingerprint accepts an unknown host only if its key has this
	// SHA256 fingerprint, and then records it in KnownHostsFile. It never
	// overrides a changed key.
	TrustFingerprint string
	// Timeout bounds TCP dial, SSH handshake and authentication together,
	// and then any period in which the server sends no ref or pack data
	// (progress messages do not count); DefaultTimeout when zero. A server
	// that goes silent gives a *TimeoutError (or a *NetError of kind
	// NetTimeout before the SSH connection is up).
	Timeout time.Duration

	// KeyFile is the file Signer was read from, when known: a KEY-cert.pub
	// beside it is used as OpenSSH uses it.
	KeyFile string

	depth int  // jump hosts already on the way
	jump  bool // connecting to a jump host

	// password, set only by AppendAuthorizedKey, logs in with the
	// account's password instead of Signer (a one-time login).
	password []byte
}

// Validate checks the options and fills the defaults (known_hosts file,
// timeout, canonical fingerprint).
func (o *ConnectOptions) Validate() error {
	if o.Endpoint == nil {
		return ErrNoEndpoint
	}
	if o.Signer == nil && o.password == nil {
		return ErrNoSigner
	}
	if o.KnownHostsFile == "" {
		o.KnownHostsFile = DefaultKnownHostsFile()
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	fp, err := normalizeFingerprint(o.TrustFingerprint)
	if err != nil {
		return err
	}
	o.TrustFingerprint = fp
	return nil
}

// String describes the options without any secret.
func (o ConnectOptions) String() string {
	ep, key := "(none)", "(none)"
	if o.Endpoint != nil {
		ep = o.Endpoint.String()
	}
	if o.Signer != nil {
		key = ssh.FingerprintSHA256(o.Signer.PublicKey())
	}
	return fmt.Sprintf("connect %s with key %s", ep, key)
}

// Dial connects to the endpoint's SSH server, verifies its host key against
// the known_hosts file and authenticates with the signer (publickey only).
// ctx and o.Timeout both bound the whole of TCP dial, SSH handshake and
// authentication: a server that accepts TCP and then says nothing fails with
// a *NetError of kind "timeout" when the timeout expires, and cancelling ctx
// returns at once. It returns the client and the host key's SHA256
// fingerprint. Errors are classified: *HostKeyError, *AuthError, *NetError.
func Dial(ctx context.Context, o ConnectOptions) (*ssh.Client, string, error) {
	if err := o.Validate(); err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("connecting to %s: %w", o.Endpoint.Addr(), err)
	}
	parent := ctx
	if dl, ok := parent.Deadline(); ok && time.Until(dl) < o.Timeout {
		// The caller's deadline is the tighter one: report that limit.
		o.Timeout = time.Until(dl).Round(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	hk, err := newHostKeyCheckFor(o)
	if err != nil {
		return nil, "", err
	}
	client, err := dialOnce(ctx, parent, o, hk, hk.algorithms())
	var hkErr *HostKeyError
	if err == nil || !errors.As(err, &hkErr) || !hkErr.Unknown() || hkErr.Expected == "" {
		return client, hk.fingerprint, err
	}
	// The user vouched for a fingerprint that is not the key x/crypto
	// negotiated: admins (and forges) publish one fingerprint per key type,
	// so ask for the server's key of each other type in turn.
	for _, family := range hostKeyFamilies {
		if contains(family, hkErr.KeyType) {
			continue
		}
		hk2, err := newHostKeyCheckFor(o)
		if err != nil {
			return nil, "", err
		}
		client, err2 := dialOnce(ctx, parent, o, hk2, family)
		if err2 == nil {
			return client, hk2.fingerprint, nil
		}
		var again *HostKeyError
		var netErr *NetError
		switch {
		case errors.As(err2, &again) && again.Unknown() && again.Expected != "":
			continue // that key is not the one either
		case errors.As(err2, &netErr) && netErr.Kind == NetProtocol && netErr.Err != nil &&
			strings.Contains(netErr.Err.Error(), "no common algorithm for host key"):
			continue // the server has no key of this type
		}
		return nil, hk2.fingerprint, err2
	}
	return nil, hk.fingerprint, err
}

// hostKeyFamilies groups the host-key algorithms by the type of key they
// verify (a key's Type() is in its group).
var hostKeyFamilies = [][]string{
	{ssh.KeyAlgoED25519},
	{ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521},
	{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA},
}

// dialOnce is one TCP dial + SSH handshake + authentication, offering the
// given host-key algorithms (nil: the library's defaults). ctx carries the
// overall timeout; parent tells a cancel from a timeout.
func dialOnce(ctx, parent context.Context, o ConnectOptions, hk *hostKeyCheck, hostKeyAlgos []string) (*ssh.Client, error) {
	addr := o.Endpoint.Addr()
	var conn net.Conn
	var certs []userCert
	fail := func(err error, stage string) (*ssh.Client, error) {
		if perr := parent.Err(); perr != nil && errors.Is(perr, context.Canceled) {
			return nil, fmt.Errorf("connecting to %s: %w", addr, perr)
		}
		if hk.err != nil {
			return nil, hk.err
		}
		var jumpErr *JumpError
		var proxyErr *ProxyCommandError
		if errors.As(err, &jumpErr) || errors.As(err, &proxyErr) {
			return nil, err
		}
		if pc, ok := conn.(*proxyConn); ok && ctx.Err() == nil {
			if perr := pc.failure(); perr != nil {
				return nil, perr
			}
		}
		// The connection's deadline is the context's, and may fire a moment
		// before the context's own timer: both are the overall timeout.
		if ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, &NetError{Kind: NetTimeout, Addr: addr, Stage: stage, Timeout: o.Timeout, Err: context.DeadlineExceeded}
		}
		return nil, classifyDial(err, addr, stage, o, hk, certs)
	}

	conn, err := dialTransport(ctx, parent, o)
	if err != nil {
		return fail(err, "dial")
	}
	// ssh.NewClientConn has no context: bound it with a deadline (a silent
	// server) and a close on cancel (the user gave up).
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })

	auth := o.authMethods()
	switch {
	case o.password != nil:
	case o.jump:
		auth = []ssh.AuthMethod{ssh.PublicKeys(hopSigners(o)...)}
	default:
		var signers []ssh.Signer
		signers, certs = authSigners(o)
		auth = []ssh.AuthMethod{ssh.PublicKeys(signers...)}
	}
	cfg := &ssh.ClientConfig{
		User:              o.Endpoint.User,
		Auth:              auth,
		HostKeyCallback:   hk.callback,
		HostKeyAlgorithms: hostKeyAlgos,
		ClientVersion:     clientVersion,
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if !stop() {
		// The context fired (timeout or cancel) and closed the connection.
		if err == nil {
			c.Close()
		}
		return fail(ctx.Err(), "handshake")
	}
	if err != nil {
		// Classify first: a ProxyCommand that ended by itself says why.
		c, ferr := fail(err, "handshake")
		conn.Close()
		return c, ferr
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// classifyDial turns a dial or handshake error into a typed error, using
// what Dial knows (user, key, known keys).
func classifyDial(err error, addr, stage string, o ConnectOptions, hk *hostKeyCheck, certs []userCert) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unable to authenticate") && o.Signer == nil:
		return &PasswordError{User: o.Endpoint.User, Host: o.Endpoint.Addr(), Err: err}
	case strings.Contains(msg, "unable to authenticate"):
		pub := o.Signer.PublicKey()
		ae := &AuthError{
			User:          o.Endpoint.User,
			Fingerprint:   ssh.FingerprintSHA256(pub),
			AuthorizedKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))),
			Err:           err,
		}
		if o.jump {
			ae.Host = o.Endpoint.KnownHostsName()
		}
		ae.Suggest = o.Endpoint.SuggestForgeUser()
		if len(certs) > 0 {
			c := certs[0]
			for _, x := range certs {
				if x.problem(o.Endpoint.User, time.Now()) == "" {
					c = x // the one that was offered
					break
				}
			}
			ae.Certificate = c.Source
			ae.CertCA = ssh.FingerprintSHA256(c.Cert.SignatureKey)
			ae.CertProblem = c.problem(o.Endpoint.User, time.Now())
		}
		return ae
	case strings.Contains(msg, "no common algorithm for host key"):
		// We restricted the host-key algorithms to the types recorded for the
		// host and the server has none of them: its keys were replaced.
		if known := hk.knownFingerprints(); len(known) > 0 {
			return &HostKeyError{Host: o.Endpoint.KnownHostsName(), Known: known, KnownHostsFile: hk.file}
		}
	}
	return classify(err, addr, stage)
}

// UploadPackSession is a running git-upload-pack on the server, in one SSH
// session: write the client's pkt-lines to Stdin, read the server's from
// Stdout. Stderr is captured (first 64 KiB) for error messages.
type UploadPackSession struct {
	Stdin   io.WriteCloser
	Stdout  io.Reader
	Path    string // the repository path asked for
	Command string // the remote command line

	session *ssh.Session
	stderr  *capBuffer
	stop    func() bool
	dog     *watchdog // nil for sessions opened with OpenUploadPack

	waitOnce sync.Once
	waitErr  error
}

// DialUploadPack dials the host and starts git-upload-pack for the
// endpoint's path. Cancelling ctx closes the whole connection: closing the
// session alone does not unblock a read when the server never answers the
// channel close (OpenSSH waits for the command to exit). closeAll releases
// the session and the connection.
//
// The connection is also closed when the server makes the client wait
// longer than o.Timeout: to open the session, or (for the protocol code of
// this package) for ref or pack data. Writes to Stdin that block that long
// count too.
func DialUploadPack(ctx context.Context, o ConnectOptions) (sess *UploadPackSession, hostKeyFingerprint string, closeAll func(), err error) {
	client, fp, err := Dial(ctx, o)
	if err != nil {
		return nil, "", nil, err
	}
	stopClose := context.AfterFunc(ctx, func() { client.Close() })
	dog := newWatchdog(o.timeoutOrDefault(), o.Endpoint.Addr(), func() { client.Close() })
	dog.begin()
	sess, err = OpenUploadPack(ctx, client, o.Endpoint.Path)
	dog.end()
	if err != nil {
		dog.stop()
		stopClose()
		client.Close()
		if te := dog.err(); te != nil && ctx.Err() == nil {
			return nil, "", nil, te
		}
		return nil, "", nil, err
	}
	sess.dog = dog
	sess.Stdin = &waitWriter{w: sess.Stdin, dog: dog}
	return sess, fp, func() {
		dog.stop()
		sess.Close()
		stopClose()
		client.Close()
	}, nil
}

// OpenUploadPack starts `git-upload-pack '<path>'` on the server. Cancelling
// ctx closes the session, which unblocks reads and writes. The caller reads
// the ref advertisement from Stdout, then Closes (or Waits).
func OpenUploadPack(ctx context.Context, client *ssh.Client, path string) (*UploadPackSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sess, err := client.NewSession()
	if err != nil {
		// A refused channel carries the server's own text: keep it out of
		// the terminal raw.
		return nil, fmt.Errorf("opening an SSH session: %w", peerText(classify(err, client.RemoteAddr().String(), "")))
	}
	s := &UploadPackSession{
		Path:    path,
		Command: "git-upload-pack " + shellQuote(path),
		session: sess,
		stderr:  &capBuffer{max: 64 << 10},
	}
	if s.Stdin, err = sess.StdinPipe(); err != nil {
		sess.Close()
		return nil, err
	}
	if s.Stdout, err = sess.StdoutPipe(); err != nil {
		sess.Close()
		return nil, err
	}
	sess.Stderr = s.stderr
	if err := sess.Start(s.Command); err != nil {
		sess.Close()
		return nil, fmt.Errorf("starting %s: %w", s.Command, peerText(err))
	}
	s.stop = context.AfterFunc(ctx, func() { sess.Close() })
	return s, nil
}

// Stderr returns what the server wrote on stderr so far.
func (s *UploadPackSession) Stderr() string { return s.stderr.String() }

// Wait waits for git-upload-pack to exit (close Stdin first, or it may wait
// for more input). A non-zero exit is classified with stderr into
// *RepoNotFoundError or *RemoteCommandError.
func (s *UploadPackSession) Wait() error {
	s.waitOnce.Do(func() {
		err := s.session.Wait()
		s.stop()
		if err != nil {
			s.waitErr = s.classifyExit(err)
		}
	})
	return s.waitErr
}

// Close ends the session without waiting for a clean exit.
func (s *UploadPackSession) Close() error {
	s.stop()
	err := s.session.Close()
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// Failure explains why reading from the session failed: when the server
// said why on stderr or with its exit status, that (typed) reason; else
// readErr. Use it when decoding the advertisement or the pack fails.
func (s *UploadPackSession) Failure(readErr error) error {
	// The server closes stdout before its exit status arrives; give it a
	// moment so the status and stderr are known.
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-time.After(2 * time.Second):
	}
	if typed := s.classifyStderr(); typed != nil {
		return typed
	}
	if waitErr != nil {
		return waitErr
	}
	return readErr
}

func (s *UploadPackSession) classifyExit(err error) error {
	if typed := s.classifyStderr(); typed != nil {
		return typed
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		detail := fmt.Sprintf("exit status %d", exit.ExitStatus())
		if line := firstMeaningfulLine(s.Stderr()); line != "" {
			detail = line
		}
		if exit.ExitStatus() == 127 {
			return &RemoteCommandError{Command: s.Command, Detail: detail}
		}
		return &RepoNotFoundError{Path: s.Path, Detail: detail}
	}
	return err
}

// notFoundPhrases are what git and the big hosts print for a missing or
// forbidden repository (git, GitHub, GitLab, Gitea, Bitbucket, gitolite).
var notFoundPhrases = []string{
	"does not appear to be a git repository",
	"not a git repository",
	"repository not found",
	"not found",
	"could not be found",
	"does not exist",
	"no such file or directory",
	"access denied",
	"permission denied",
	"denied by",
	"you don't have permission",
}

// commandPhrases mean the server cannot run git-upload-pack at all.
var commandPhrases = []string{
	"command not found",
	"not a git command",
	"unknown command",
	"is not allowed",
	"this service allows sftp connections only",
	"interactive git shell is not enabled",
	"fatal: unrecognized command",
}

func (s *UploadPackSession) classifyStderr() error {
	text := strings.ToLower(s.Stderr())
	if text == "" {
		return nil
	}
	for _, p := range commandPhrases {
		if strings.Contains(text, p) {
			return &RemoteCommandError{Command: s.Command, Detail: firstMeaningfulLine(s.Stderr())}
		}
	}
	for _, p := range notFoundPhrases {
		if strings.Contains(text, p) {
			return &RepoNotFoundError{Path: s.Path, Detail: firstMeaningfulLine(s.Stderr())}
		}
	}
	return nil
}

// firstMeaningfulLine returns the first non-blank stderr line, trimmed,
// made terminal-safe (a server's escape sequences must not reach the
// user's terminal or the repository list) and at most 200 characters.
func firstMeaningfulLine(s string) string {
	return termtext.Field(s, 200)
}

// shellQuote quotes a path for the remote shell the way git's sq_quote does:
// inside single quotes, with ' and ! escaped.
func shellQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'', '!':
			b.WriteString("'\\")
			b.WriteByte(s[i])
			b.WriteByte('\'')
		default:
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// peerText wraps an error whose text may come from the server so that its
// message is one sanitised line; errors.As and errors.Is still see it.
func peerText(err error) error {
	if err == nil {
		return nil
	}
	return &sanitizedError{err: err}
}

type sanitizedError struct{ err error }

func (e *sanitizedError) Error() string { return termtext.OneLine(e.err.Error()) }
func (e *sanitizedError) Unwrap() error { return e.err }

// capBuffer keeps the first max bytes written to it; safe for concurrent use.
type capBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - len(c.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		c.buf = append(c.buf, p[:room]...)
	}
	return len(p), nil
}

func (c *capBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}
