package gitops

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// errScanned stops a KeyScan handshake once the host key is known.
var errScanned = errors.New("gitops: host key scanned")

// KeyScan lists the host keys the server at ep has, one of each type
// (ed25519, ECDSA, RSA), as ssh-keyscan does: one handshake per type,
// stopped as soon as the server has proved it holds the key, before any
// authentication. The keys come in OpenSSH's preference order, so the first
// is the one `ssh` (and Dial, for an unknown host) shows. It checks nothing
// against known_hosts: it is for showing the user every fingerprint the
// server has, to compare with those its admin published.
//
// timeout bounds each handshake (DefaultTimeout when zero); ctx bounds the
// whole. The error is that of the first handshake (classified, e.g. a
// *NetError) and is returned only when no key at all was found.
func KeyScan(ctx context.Context, ep *Endpoint, timeout time.Duration) ([]ssh.PublicKey, error) {
	if ep == nil {
		return nil, ErrNoEndpoint
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	keys := make([]ssh.PublicKey, len(hostKeyFamilies))
	errs := make([]error, len(hostKeyFamilies))
	var wg sync.WaitGroup
	for i, family := range hostKeyFamilies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = scanOne(ctx, ep, family, timeout)
		}()
	}
	wg.Wait()
	var found []ssh.PublicKey
	for _, k := range keys {
		if k != nil {
			found = append(found, k)
		}
	}
	if len(found) > 0 {
		return found, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return nil, &NetError{Kind: NetProtocol, Addr: ep.Addr(), Stage: "handshake", Err: errors.New("the server offered no host key gitjira can check")}
}

// scanOne does one handshake offering the algorithms of one key type. It
// returns nil, nil when the server has no key of that type.
func scanOne(ctx context.Context, ep *Endpoint, algos []string, timeout time.Duration) (ssh.PublicKey, error) {
	addr := ep.Addr()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Through the jump hosts or the proxy command, as a connection would go.
	conn, err := dialTransport(ctx, ctx, ConnectOptions{Endpoint: ep, Timeout: timeout})
	if err != nil {
		var jumpErr *JumpError
		var proxyErr *ProxyCommandError
		if errors.As(err, &jumpErr) || errors.As(err, &proxyErr) {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, &NetError{Kind: NetTimeout, Addr: addr, Stage: "dial", Timeout: timeout, Err: ctx.Err()}
		}
		return nil, classify(err, addr, "dial")
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var key ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User:              "gitjira-keyscan",
		HostKeyAlgorithms: algos,
		ClientVersion:     clientVersion,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			key = k
			return errScanned
		},
	}
	c, _, _, err := ssh.NewClientConn(conn, addr, cfg)
	if err == nil {
		c.Close() // cannot happen: the callback always refuses
	}
	if key != nil {
		return key, nil
	}
	switch {
	case err != nil && strings.Contains(err.Error(), "no common algorithm for host key"):
		return nil, nil
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, &NetError{Kind: NetTimeout, Addr: addr, Stage: "handshake", Timeout: timeout, Err: ctx.Err()}
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	return nil, classify(err, addr, "handshake")
}
