package gitops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/gitjira/gitjira/internal/termtext"
	"golang.org/x/crypto/ssh"
)

// Sentinel errors, wrapped with %w by the functions that return them.
var (
	// ErrNoEndpoint is returned by ConnectOptions.Validate when no repository location is set.
	ErrNoEndpoint = errors.New("no repository location given: pass an ssh://user@host[:port]/path or user@host:path URL")
	// ErrNoSigner is returned by ConnectOptions.Validate when no private key is set.
	ErrNoSigner = errors.New("no private key given: choose a key file (or generate one) before connecting")
)

// URLError says why a repository location was refused. Its message is one
// line that names the input, the reason, and the SSH form to use instead.
type URLError struct {
	Input   string // what the user typed
	Reason  string // what is wrong with it
	Suggest string // a corrected location when one can be guessed (e.g. git@github.com:org/repo.git), else ""
}

func (e *URLError) Error() string {
	in := e.Input
	if len(in) > 80 {
		in = in[:77] + "..."
	}
	use := "ssh://user@host[:port]/path or user@host:path"
	if e.Suggest != "" {
		use = e.Suggest
	}
	if in == "" {
		return fmt.Sprintf("%s: gitjira connects over SSH; use %s", e.Reason, use)
	}
	return fmt.Sprintf("%q: %s: gitjira connects over SSH; use %s", in, e.Reason, use)
}

// AuthError means the server refused the private key. It carries what the
// user needs to fix it on the git host: the account name, the fingerprint of
// the key that was offered, and the public key line to add there.
type AuthError struct {
	User          string // the SSH user name that was refused (e.g. "git")
	Fingerprint   string // SHA256 fingerprint of the key offered, as ssh-keygen -l prints it
	AuthorizedKey string // the public key in authorized_keys format ("ssh-ed25519 AAAA...")
	Err           error  // the underlying ssh error

	// Host is set when a jump host refused the key.
	Host string
	// Certificate names the user certificate found for the key (a file,
	// or "ssh-agent"), CertCA its CA's fingerprint and CertProblem why it
	// could not be used ("expired at ...", "it is for principals ...");
	// CertProblem is empty when the certificate was offered and refused.
	Certificate, CertCA, CertProblem string
	// Suggest is the location with the user git, for a well-known git host
	// reached as the local user (no user typed or configured).
	Suggest string
}

func (e *AuthError) Error() string {
	user := e.User
	if user == "" {
		user = "(unknown)"
	}
	fp := e.Fingerprint
	if fp == "" {
		fp = "(unknown)"
	}
	msg := fmt.Sprintf("the server refused key %s for user %s", fp, user)
	if e.Host != "" {
		msg = fmt.Sprintf("jump host %s refused key %s for user %s", e.Host, fp, user)
	}
	switch {
	case e.Certificate != "" && e.CertProblem != "":
		return fmt.Sprintf("%s: the certificate %s (CA %s) cannot be used: %s; get a new certificate from your CA (ssh-keygen -L -f shows what it holds)",
			msg, e.Certificate, e.CertCA, e.CertProblem)
	case e.Certificate != "":
		return fmt.Sprintf("%s with certificate %s (CA %s): check that the server trusts that CA (TrustedUserCAKeys) and accepts the certificate's principals for %s",
			msg, e.Certificate, e.CertCA, user)
	}
	if e.Suggest != "" {
		return fmt.Sprintf("%s: no user was given, so the local login name was used; this host serves repositories as git: use %s", msg, e.Suggest)
	}
	if e.AuthorizedKey != "" {
		return msg + ": add this public key to the git host's SSH keys (or check the user name in the URL): " + e.AuthorizedKey
	}
	return msg + ": add the public key to the git host's SSH keys, or check the user name in the URL"
}

func (e *AuthError) Unwrap() error { return e.Err }

// HostKeyError means the host's key could not be verified against
// known_hosts. With Known empty the host is unknown: ask the user to compare
// OfferedFingerprint with one published by the host's admin, then record it
// with AddKnownHost (or pass it as ConnectOptions.TrustFingerprint). With Known
// set the host key changed; that is never accepted automatically.
type HostKeyError struct {
	Host               string        // as written in known_hosts: "example.com" or "[127.0.0.1]:2222"
	KeyType            string        // type of the offered key, e.g. "ssh-ed25519" (empty if none was offered)
	Offered            ssh.PublicKey // the key the server presented (nil when it offered none of the known types)
	OfferedFingerprint string        // SHA256:... of Offered
	Known              []string      // fingerprints already recorded for the host; empty = unknown host
	KnownHostsFile     string        // the file that was checked
	// Expected is the ConnectOptions.TrustFingerprint that the offered key
	// did not match, if one was given.
	Expected string
	// Revoked is set when the offered key is marked @revoked in known_hosts.
	Revoked bool
	// Jump is set when the host is a jump host (ProxyJump) on the way:
	// --trust-host is for the repository's host, so the advice differs.
	Jump bool
}

// Unknown reports whether the host has no key recorded (as opposed to a changed key).
func (e *HostKeyError) Unknown() bool { return len(e.Known) == 0 && !e.Revoked }

// shortKeyType turns "ssh-ed25519" into "ed25519" and "ecdsa-sha2-nistp256" into "ecdsa" for messages.
func shortKeyType(t string) string {
	switch {
	case t == ssh.KeyAlgoED25519:
		return "ed25519"
	case t == ssh.KeyAlgoRSA:
		return "rsa"
	case strings.HasPrefix(t, "ecdsa-sha2-"):
		return "ecdsa"
	case t == "ssh-dss": // DSA: named to say why a server refuses it
		return "dsa"
	case t == "":
		return "unknown"
	}
	return t
}

func (e *HostKeyError) Error() string {
	switch {
	case e.Revoked:
		return fmt.Sprintf("host key %s for %s is marked @revoked in %s: do not connect; ask the host's admin which key is current",
			e.OfferedFingerprint, e.Host, e.KnownHostsFile)
	case len(e.Known) > 0 && e.Offered == nil:
		return fmt.Sprintf("WARNING host key for %s has changed: known %s, but the server offers none of those key types; "+
			"do not connect until the host's admin confirms the new key, then remove the old line from %s",
			e.Host, strings.Join(e.Known, ", "), e.KnownHostsFile)
	case len(e.Known) > 0:
		return fmt.Sprintf("WARNING host key for %s has changed: known %s, offered %s; "+
			"someone may be intercepting the connection: do not connect until the host's admin confirms the new key, then remove the old line from %s",
			e.Host, strings.Join(e.Known, ", "), e.OfferedFingerprint, e.KnownHostsFile)
	case e.Expected != "":
		// Never suggest pinning the presented key: under a man-in-the-middle it is the attacker's.
		return fmt.Sprintf("WARNING host %s presented %s key %s, not the pinned %s (no key of the host's other types matched either): "+
			"a host key that differs from the one you were given can mean someone is intercepting the connection (an attack); "+
			"nothing was connected or recorded: confirm the right fingerprint with the host's admin through another channel",
			e.Host, shortKeyType(e.KeyType), e.OfferedFingerprint, e.Expected)
	case e.Jump:
		return fmt.Sprintf("jump host %s is not known: its %s key has fingerprint %s; check it with the host's admin, then trust it (--trust-host %s records it in %s) and connect again",
			e.Host, shortKeyType(e.KeyType), e.OfferedFingerprint, e.OfferedFingerprint, e.KnownHostsFile)
	default:
		return fmt.Sprintf("host %s is not known: its %s key has fingerprint %s; check it with the host's admin and trust it (--trust-host %s)",
			e.Host, shortKeyType(e.KeyType), e.OfferedFingerprint, e.OfferedFingerprint)
	}
}

// RepoNotFoundError means the server answered but has no repository at the
// path (git hosts also say this when the key may not read it).
type RepoNotFoundError struct {
	Path   string // the path asked for
	Detail string // the server's message (first line of git-upload-pack's stderr), or the exit status
}

func (e *RepoNotFoundError) Error() string {
	msg := fmt.Sprintf("repository %q not found on the server, or this key may not read it: check the path in the URL and the key's access on the git host", e.Path)
	if d := termtext.OneLine(e.Detail); d != "" {
		msg += " (server said: " + d + ")"
	}
	return msg
}

// RemoteCommandError means the server accepted the key but could not run
// git-upload-pack (not a git host, git not installed, a restricted shell).
type RemoteCommandError struct {
	Command string // what was asked, e.g. "git-upload-pack '/srv/repo.git'"
	Detail  string // stderr first line or exit status
}

func (e *RemoteCommandError) Error() string {
	return fmt.Sprintf("the server could not run %s (%s): check that this host serves git over SSH and that git is installed there",
		termtext.OneLine(e.Command), termtext.OneLine(e.Detail))
}

// Kinds of network failure in NetError.Kind.
const (
	NetDNS         = "dns"
	NetRefused     = "refused"
	NetTimeout     = "timeout"
	NetUnreachable = "unreachable"
	// NetProtocol is an addition to the contract: the peer answered TCP but
	// not as an SSH server, or closed the connection during the handshake.
	NetProtocol = "protocol"
)

// NetError is a failure to reach the SSH server: the name does not resolve,
// nothing listens on the port, nothing answers in time, or no route.
type NetError struct {
	Kind    string        // NetDNS, NetRefused, NetTimeout, NetUnreachable or NetProtocol
	Addr    string        // host:port dialled
	Stage   string        // "dial", "handshake" or "" when unknown; says where a timeout hit
	Timeout time.Duration // the limit that expired, for NetTimeout (0 if unknown)
	Err     error
}

func (e *NetError) Error() string {
	switch e.Kind {
	case NetDNS:
		host, _, err := net.SplitHostPort(e.Addr)
		if err != nil {
			host = e.Addr
		}
		return fmt.Sprintf("cannot resolve host name %q: check the host in the URL and your DNS", host)
	case NetRefused:
		return fmt.Sprintf("connection to %s refused: check the host and port in the URL (is an SSH server listening there?)", e.Addr)
	case NetTimeout:
		within := ""
		if e.Timeout > 0 {
			within = " within " + e.Timeout.String()
		}
		during := ""
		switch e.Stage {
		case "dial":
			during = " (TCP connect)"
		case "handshake":
			during = " (SSH handshake)"
		}
		return fmt.Sprintf("no answer from %s%s%s: check the host, the port and any firewall, or try again later", e.Addr, within, during)
	case NetUnreachable:
		return fmt.Sprintf("%s is unreachable: check your network connection and the host in the URL", e.Addr)
	case NetProtocol:
		detail := ""
		if e.Err != nil {
			detail = " (" + termtext.OneLine(e.Err.Error()) + ")"
		}
		return fmt.Sprintf("%s did not complete an SSH handshake%s: check that the port in the URL is the git host's SSH port", e.Addr, detail)
	}
	return fmt.Sprintf("cannot reach %s: %v", e.Addr, e.Err)
}

func (e *NetError) Unwrap() error { return e.Err }

// Classify turns a raw error from dialling or talking SSH into one of the
// typed errors of this package (*NetError, *AuthError, *HostKeyError, ...).
// Errors that are already typed, context.Canceled, and errors it does not
// recognise are returned unchanged. Dial and Check already classify their
// errors with more detail (user, key fingerprint, address); Classify is for
// errors from elsewhere, e.g. an ssh.Client used directly.
func Classify(err error) error {
	return classify(err, "", "")
}

// classify is Classify with the address and stage known to the caller.
func classify(err error, addr, stage string) error {
	if err == nil {
		return nil
	}
	var (
		urlErr   *URLError
		authErr  *AuthError
		hkErr    *HostKeyError
		rnfErr   *RepoNotFoundError
		netErr   *NetError
		rcErr    *RemoteCommandError
		toErr    *TimeoutError
		limitErr *LimitError
		protoErr *ProtocolError
		busyErr  *MirrorBusyError
		tcErr    *TransferClosedError
	)
	if errors.As(err, &urlErr) || errors.As(err, &authErr) || errors.As(err, &hkErr) ||
		errors.As(err, &rnfErr) || errors.As(err, &netErr) || errors.As(err, &rcErr) ||
		errors.As(err, &toErr) || errors.As(err, &limitErr) || errors.As(err, &protoErr) || errors.As(err, &busyErr) ||
		errors.As(err, &tcErr) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var opErr *net.OpError
	if addr == "" && errors.As(err, &opErr) && opErr.Addr != nil {
		addr = opErr.Addr.String()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if addr == "" {
			addr = dnsErr.Name
		}
		return &NetError{Kind: NetDNS, Addr: addr, Stage: stage, Err: err}
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return &NetError{Kind: NetRefused, Addr: addr, Stage: stage, Err: err}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return &NetError{Kind: NetUnreachable, Addr: addr, Stage: stage, Err: err}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		return &NetError{Kind: NetTimeout, Addr: addr, Stage: stage, Err: err}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "ssh: unable to authenticate"):
		return &AuthError{Err: err}
	case strings.Contains(msg, "ssh: handshake failed"),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return &NetError{Kind: NetProtocol, Addr: addr, Stage: stage, Err: err}
	}
	return err
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
