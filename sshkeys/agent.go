package sshkeys

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/gitjira/gitjira/internal/termtext"
)

// agentTimeout bounds talking to an agent that does not answer.
const agentTimeout = 3 * time.Second

// ErrNoAgent is wrapped when no ssh-agent is reachable (SSH_AUTH_SOCK unset
// or its socket not answering).
var ErrNoAgent = errors.New("no ssh-agent")

func dialAgent(socket string) (net.Conn, error) {
	if socket == "" {
		return nil, fmt.Errorf("%w: SSH_AUTH_SOCK is not set: start one with `eval $(ssh-agent)` and add the key with ssh-add", ErrNoAgent)
	}
	c, err := net.DialTimeout("unix", socket, agentTimeout)
	if err != nil {
		return nil, fmt.Errorf("%w: ssh-agent is not reachable at %s: start it and add the key with ssh-add", ErrNoAgent, socket)
	}
	c.SetDeadline(time.Now().Add(agentTimeout))
	return c, nil
}

// AgentKeys lists the keys the ssh-agent at socket holds, each as a Key
// whose Signer asks the agent to sign (certificates and key types the SSH
// stack does not know are left out).
func AgentKeys(socket string) ([]*Key, error) {
	conn, err := dialAgent(socket)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	list, err := agent.NewClient(conn).List()
	if err != nil {
		return nil, fmt.Errorf("ssh-agent at %s did not list its keys: %s", socket, termtext.OneLine(err.Error()))
	}
	var keys []*Key
	for _, k := range list {
		pub, err := ssh.ParsePublicKey(k.Blob)
		if err != nil {
			continue // a key type x/crypto does not know: it could not sign for us either
		}
		if _, isCert := pub.(*ssh.Certificate); isCert {
			continue
		}
		keys = append(keys, AgentKey(socket, pub, termtext.OneLine(k.Comment)))
	}
	return keys, nil
}

// AgentSigner finds the key with the given SHA256 fingerprint in the
// ssh-agent at socket; the error says how to add it when it is not there.
func AgentSigner(socket, fingerprint string) (*Key, error) {
	keys, err := AgentKeys(socket)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Fingerprint == fingerprint {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: the ssh-agent at %s does not hold the key %s: add it with ssh-add", ErrNoAgent, socket, fingerprint)
}

// AgentKey describes a key held by the agent as a Key whose Signer asks the
// agent to sign.
func AgentKey(socket string, pub ssh.PublicKey, comment string) *Key {
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if comment != "" {
		line += " " + comment
	}
	bits := 0
	if c, ok := pub.(ssh.CryptoPublicKey); ok {
		if r, ok := c.CryptoPublicKey().(*rsa.PublicKey); ok {
			bits = r.N.BitLen()
		}
	}
	return &Key{
		Type:          pub.Type(),
		Bits:          bits,
		Comment:       comment,
		Fingerprint:   ssh.FingerprintSHA256(pub),
		AuthorizedKey: line,
		PublicKey:     pub,
		Signer:        agentSigner{socket: socket, pub: pub},
	}
}

// agentSigner signs with a key held by ssh-agent. It dials the agent for
// each signature (one per connection), so nothing stays open between uses
// and an agent restarted in between still works.
type agentSigner struct {
	socket string
	pub    ssh.PublicKey
}

func (s agentSigner) PublicKey() ssh.PublicKey { return s.pub }

func (s agentSigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return s.SignWithAlgorithm(rand, data, "")
}

// SignWithAlgorithm asks for rsa-sha2-256/512 signatures with the agent
// protocol's flags: servers refuse the SHA-1 ssh-rsa signature.
func (s agentSigner) SignWithAlgorithm(_ io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	var flags agent.SignatureFlags
	switch algorithm {
	case ssh.KeyAlgoRSASHA256:
		flags = agent.SignatureFlagRsaSha256
	case ssh.KeyAlgoRSASHA512:
		flags = agent.SignatureFlagRsaSha512
	}
	conn, err := dialAgent(s.socket)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return agent.NewClient(conn).SignWithFlags(s.pub, data, flags)
}

// Algorithms lists what the agent can sign with, SHA-2 first for RSA.
func (s agentSigner) Algorithms() []string {
	if s.pub.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{s.pub.Type()}
}
