package gitops

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/safefile"
	"github.com/gitjira/gitjira/sshkeys"
	"golang.org/x/crypto/ssh"
)

// maxSmallFile bounds the certificates and identity files read for a connection.
const maxSmallFile = 1 << 20

// userCert is an OpenSSH user certificate found for the key in use.
type userCert struct {
	Source string // the file it came from, or "ssh-agent"
	Cert   *ssh.Certificate
}

// problem says why the certificate cannot log user in now, or "".
func (c userCert) problem(user string, now time.Time) string {
	cert := c.Cert
	if cert.CertType != ssh.UserCert {
		return "it is a host certificate, not a user certificate"
	}
	unix := uint64(now.Unix())
	if unix < cert.ValidAfter {
		return "it is not valid yet: valid from " + certTime(cert.ValidAfter)
	}
	if cert.ValidBefore != ssh.CertTimeInfinity && unix >= cert.ValidBefore {
		return "it expired at " + certTime(cert.ValidBefore)
	}
	if len(cert.ValidPrincipals) > 0 && !containsStr(cert.ValidPrincipals, user) {
		return fmt.Sprintf("it is for principals %s, not the user %s", strings.Join(cert.ValidPrincipals, ", "), user)
	}
	return ""
}

func certTime(t uint64) string {
	if t == ssh.CertTimeInfinity {
		return "forever"
	}
	return time.Unix(int64(t), 0).UTC().Format("2006-01-02 15:04:05 UTC")
}

// findUserCerts lists the user certificates for pub, as OpenSSH finds
// them: the route's CertificateFile entries, KEY-cert.pub beside each
// identity file (the config's, then the default ~/.ssh/id_*), and the
// certificates the agent holds.
func findUserCerts(ep *Endpoint, pub ssh.PublicKey, keyFile string) []userCert {
	files := CertificateFiles(ep, keyFile)
	route := ep.Route
	var out []userCert
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			continue
		}
		seen[f] = true
		cert := readCertFile(f)
		if cert != nil && bytes.Equal(cert.Key.Marshal(), pub.Marshal()) {
			out = append(out, userCert{Source: f, Cert: cert})
		}
	}
	if route == nil || route.IdentityAgent != "none" {
		for _, c := range agentCerts(agentSocket(route)) {
			if bytes.Equal(c.Key.Marshal(), pub.Marshal()) {
				out = append(out, userCert{Source: "ssh-agent", Cert: c})
			}
		}
	}
	return out
}

// CertificateFiles lists where OpenSSH looks for user certificates for a
// connection to ep: its CertificateFile entries, then KEY-cert.pub beside
// keyFile (if given), the config's identity files and the default
// ~/.ssh/id_* files.
func CertificateFiles(ep *Endpoint, keyFile string) []string {
	var files []string
	route := ep.Route
	if route != nil {
		files = append(files, route.CertificateFiles...)
	}
	ids := []string{}
	if keyFile != "" {
		ids = append(ids, keyFile)
	}
	if route != nil {
		ids = append(ids, route.IdentityFiles...)
	}
	if home, err := os.UserHomeDir(); err == nil {
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa", "id_ecdsa_sk", "id_ed25519_sk"} {
			ids = append(ids, filepath.Join(home, ".ssh", n))
		}
	}
	for _, id := range ids {
		if f := strings.TrimSuffix(id, ".pub") + "-cert.pub"; !containsStr(files, f) {
			files = append(files, f)
		}
	}
	return files
}

// readCertFile reads an OpenSSH certificate (KEY-cert.pub); nil when the
// file is missing or holds none.
func readCertFile(path string) *ssh.Certificate {
	data, err := readSmallFile(path)
	if err != nil {
		return nil
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil
	}
	cert, _ := pub.(*ssh.Certificate)
	return cert
}

// readSmallFile reads a regular file of at most maxSmallFile bytes
// without blocking on a FIFO or a device.
func readSmallFile(path string) ([]byte, error) { return safefile.Read(path, maxSmallFile) }

// agentSocket is the route's IdentityAgent, else $SSH_AUTH_SOCK.
func agentSocket(route *SSHRoute) string {
	if route != nil && route.IdentityAgent != "" {
		if route.IdentityAgent == "none" {
			return ""
		}
		return route.IdentityAgent
	}
	return os.Getenv("SSH_AUTH_SOCK")
}

// agentCerts lists the certificates held by the agent (none when there is
// no agent).
func agentCerts(socket string) []*ssh.Certificate {
	if socket == "" {
		return nil
	}
	pubs, err := sshkeys.AgentPublicKeys(socket)
	if err != nil {
		return nil
	}
	var out []*ssh.Certificate
	for _, p := range pubs {
		if c, ok := p.(*ssh.Certificate); ok {
			out = append(out, c)
		}
	}
	return out
}

// authSigners are the keys offered to the repository's host: a valid
// certificate for the key first (as OpenSSH offers it), then the key. The
// certificates found are returned to explain a refusal.
func authSigners(o ConnectOptions) ([]ssh.Signer, []userCert) {
	certs := findUserCerts(o.Endpoint, o.Signer.PublicKey(), o.KeyFile)
	var signers []ssh.Signer
	now := time.Now()
	for _, c := range certs {
		if c.problem(o.Endpoint.User, now) != "" {
			continue
		}
		if cs, err := ssh.NewCertSigner(c.Cert, o.Signer); err == nil {
			signers = append(signers, cs)
			break
		}
	}
	return append(signers, o.Signer), certs
}

// hopSigners are the keys offered to a jump host: its IdentityFiles that
// open without a passphrase (with their certificates), the repository's
// key, then the agent's keys unless IdentitiesOnly says not to.
func hopSigners(o ConnectOptions) []ssh.Signer {
	var signers []ssh.Signer
	route := o.Endpoint.Route
	add := func(s ssh.Signer, file string) {
		for _, c := range findUserCerts(o.Endpoint, s.PublicKey(), file) {
			if c.problem(o.Endpoint.User, time.Now()) == "" {
				if cs, err := ssh.NewCertSigner(c.Cert, s); err == nil {
					signers = append(signers, cs)
					break
				}
			}
		}
		signers = append(signers, s)
	}
	if route != nil {
		for _, f := range route.IdentityFiles {
			data, err := readSmallFile(f)
			if err != nil {
				continue
			}
			if s, err := ssh.ParsePrivateKey(data); err == nil {
				add(s, f)
			}
		}
	}
	if o.Signer != nil {
		add(o.Signer, o.KeyFile)
	}
	if route == nil || !route.IdentitiesOnly {
		if keys, err := sshkeys.AgentKeys(agentSocket(route)); err == nil {
			for _, k := range keys {
				add(k.Signer, "")
			}
		}
	}
	return signers
}
