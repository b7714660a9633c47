package gitops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gitjira/gitjira/internal/termtext"
	"golang.org/x/crypto/ssh"
)

// maxJumpDepth bounds jump hosts reached through jump hosts (a ProxyJump
// loop in the config ends here).
const maxJumpDepth = 8

// JumpError is a failure at a jump host (ProxyJump): reaching it, or its
// refusal to forward to the next host. Err is the typed cause
// (*NetError, *HostKeyError, *AuthError ...).
type JumpError struct {
	Hop    string // the jump host as written in ProxyJump
	Target string // host:port it was asked to forward to ("" if it was not reached)
	Err    error
}

func (e *JumpError) Error() string {
	if e.Target != "" {
		return fmt.Sprintf("jump host %s did not open a connection to %s (%s): check that it may forward there (AllowTcpForwarding, PermitOpen) and that the host and port are right",
			e.Hop, e.Target, termtext.OneLine(e.Err.Error()))
	}
	return fmt.Sprintf("jump host %s: %s", e.Hop, e.Err.Error())
}

func (e *JumpError) Unwrap() error { return e.Err }

// ProxyCommandError is a ProxyCommand that ended (or could not start)
// before the SSH handshake finished.
type ProxyCommandError struct {
	Command string // as run, tokens expanded
	Detail  string // its first stderr line or exit status
}

func (e *ProxyCommandError) Error() string {
	return fmt.Sprintf("ProxyCommand %q ended before the SSH connection was up (%s): check the command and the host it reaches",
		termtext.Field(e.Command, 120), termtext.OneLine(e.Detail))
}

// dialTransport opens the byte stream to the endpoint's SSH server: a TCP
// connection, a channel through the last ProxyJump host, or a ProxyCommand's
// stdin and stdout. Closing it releases everything behind it.
func dialTransport(ctx, parent context.Context, o ConnectOptions) (net.Conn, error) {
	ep, route := o.Endpoint, o.Endpoint.Route
	addr := ep.Addr()
	if route != nil && len(route.ProxyJump) > 0 {
		hops := route.ProxyJump
		last := hops[len(hops)-1]
		hc, err := dialHop(ctx, parent, last, hops[:len(hops)-1], o)
		if err != nil {
			if perr := parent.Err(); perr != nil {
				return nil, err
			}
			return nil, &JumpError{Hop: last, Err: err}
		}
		c, err := hc.DialContext(ctx, "tcp", addr)
		if err != nil {
			hc.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &JumpError{Hop: last, Target: addr, Err: peerText(err)}
		}
		return &chainConn{Conn: c, hop: hc}, nil
	}
	if route != nil && route.ProxyCommand != "" {
		tok := map[byte]string{'%': "%", 'h': ep.Host, 'n': route.OriginalHost, 'p': strconv.Itoa(ep.Port), 'r': ep.User}
		pc, err := startProxyCommand(expandPercent(route.ProxyCommand, tok), fakeRemote(ep))
		if err != nil {
			return nil, err
		}
		return pc, nil
	}
	network := "tcp"
	var d net.Dialer
	if route != nil {
		switch route.AddressFamily {
		case "inet":
			network = "tcp4"
		case "inet6":
			network = "tcp6"
		}
		d.Timeout = route.ConnectTimeout
	}
	return d.DialContext(ctx, network, addr)
}

// dialHop connects and authenticates to one jump host. via are the jump
// hosts before it (OpenSSH runs `ssh -J via -W host:port hop`); the first
// hop follows its own configuration, ProxyJump included.
func dialHop(ctx, parent context.Context, spec string, via []string, o ConnectOptions) (*ssh.Client, error) {
	if o.depth >= maxJumpDepth {
		return nil, fmt.Errorf("more than %d jump hosts in a chain: check ProxyJump in the SSH config for a loop", maxJumpDepth)
	}
	user, host, port, err := parseJumpSpec(spec)
	if err != nil {
		return nil, err
	}
	cfgArg := ""
	if o.Endpoint.Route != nil {
		cfgArg = o.Endpoint.Route.ConfigArg
	}
	route, err := ResolveSSHHost(host, user, port, cfgArg)
	if err != nil {
		return nil, err
	}
	if len(via) > 0 {
		r := *route
		r.ProxyJump, r.ProxyCommand = via, ""
		route = &r
	}
	ep := &Endpoint{User: route.User, Host: route.HostName, Port: route.Port, Route: route, Original: spec, Path: "-"}
	if r := checkParts(ep); r != "" {
		return nil, fmt.Errorf("ProxyJump entry %q: %s", spec, r)
	}
	ho := o
	ho.Endpoint = ep
	// The pin (--trust-host, the wizard's "trust") may name this jump
	// host's key exactly: the user vouched for that key; any other key
	// leaves the hop unknown.
	ho.depth = o.depth + 1
	ho.jump = true
	hk, err := newHostKeyCheckFor(ho)
	if err != nil {
		return nil, err
	}
	return dialOnce(ctx, parent, ho, hk, hk.algorithms())
}

// parseJumpSpec reads one ProxyJump entry: [user@]host[:port] (IPv6 in
// brackets) or ssh://[user@]host[:port].
func parseJumpSpec(s string) (user, host string, port int, err error) {
	bad := func(why string) (string, string, int, error) {
		return "", "", 0, fmt.Errorf("ProxyJump entry %q: %s", s, why)
	}
	rest := s
	if strings.HasPrefix(strings.ToLower(rest), "ssh://") {
		rest = strings.TrimSuffix(rest[len("ssh://"):], "/")
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		user, rest = rest[:at], rest[at+1:]
		if user == "" || strings.HasPrefix(user, "-") {
			return bad("bad user name")
		}
	}
	host = rest
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return bad("missing ']'")
		}
		host = rest[1:end]
		rest = rest[end+1:]
		if rest != "" && !strings.HasPrefix(rest, ":") {
			return bad("expected ':port' after ']'")
		}
		if rest != "" {
			rest = rest[1:]
		}
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, rest = rest[:i], rest[i+1:]
	} else {
		rest = ""
	}
	if rest != "" {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > 65535 {
			return bad("the port must be a number from 1 to 65535")
		}
		port = n
	}
	if host == "" || strings.HasPrefix(host, "-") || strings.ContainsAny(host, " \t/") {
		return bad("bad host name")
	}
	return user, host, port, nil
}

// chainConn is a connection through a jump host; closing it closes the
// jump host's connection too.
type chainConn struct {
	net.Conn
	hop  *ssh.Client
	once sync.Once
}

func (c *chainConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.hop.Close() })
	return err
}

// proxyConn is a ProxyCommand's stdin (written) and stdout (read).
type proxyConn struct {
	cmd     *exec.Cmd
	command string
	stdin   io.WriteCloser
	stdout  io.ReadCloser
	stderr  *capBuffer
	remote  net.Addr
	done    chan struct{} // closed when the process has exited
	waitErr error
	once    sync.Once
	mu      sync.Mutex
	closed  bool // Close was called: the end is ours, not the command's
}

// startProxyCommand runs command with the user's shell (`exec command`, as
// OpenSSH does), in its own process group so that closing the connection
// (a timeout, a cancel, the end of a fetch) kills it and anything it started.
func startProxyCommand(command string, remote net.Addr) (*proxyConn, error) {
	shell := os.Getenv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	cmd := exec.Command(shell, "-c", "exec "+command)
	setProcessGroup(cmd)
	p := &proxyConn{cmd: cmd, command: command, stderr: &capBuffer{max: 4 << 10}, done: make(chan struct{}), remote: remote}
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if p.stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, &ProxyCommandError{Command: command, Detail: oneLineErr(err)}
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proxyConn) Read(b []byte) (int, error)  { return p.stdout.Read(b) }
func (p *proxyConn) Write(b []byte) (int, error) { return p.stdin.Write(b) }

func (p *proxyConn) Close() error {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.stdin.Close()
		killProcessGroup(p.cmd)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
	})
	return nil
}

// failure describes the command's end when it ended on its own.
func (p *proxyConn) failure() error {
	select {
	case <-p.done:
	case <-time.After(500 * time.Millisecond):
		return nil
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	var exit *exec.ExitError
	if closed && errors.As(p.waitErr, &exit) && exit.ExitCode() == -1 {
		return nil // killed by our Close, not ended by itself
	}
	detail := firstMeaningfulLine(p.stderr.String())
	if detail == "" {
		detail = "exit status 0"
		var exit *exec.ExitError
		if errors.As(p.waitErr, &exit) {
			detail = exit.String()
		}
	}
	return &ProxyCommandError{Command: p.command, Detail: detail}
}

type pipeAddr string

func (a pipeAddr) Network() string { return "proxycommand" }
func (a pipeAddr) String() string  { return string(a) }

func (p *proxyConn) LocalAddr() net.Addr { return pipeAddr("proxycommand") }

// RemoteAddr is the host and port the command was asked to reach (host
// key checks want a TCP address; the host name is checked, not this).
func (p *proxyConn) RemoteAddr() net.Addr { return p.remote }

// Deadlines are not supported by pipes; the caller's context closes the
// connection (and kills the command) instead.
func (p *proxyConn) SetDeadline(time.Time) error      { return nil }
func (p *proxyConn) SetReadDeadline(time.Time) error  { return nil }
func (p *proxyConn) SetWriteDeadline(time.Time) error { return nil }
