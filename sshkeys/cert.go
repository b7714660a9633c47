package sshkeys

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/gitjira/gitjira/internal/termtext"
)

// AgentPublicKeys lists every public key the agent at socket holds,
// certificates included (AgentKeys leaves those out).
func AgentPublicKeys(socket string) ([]ssh.PublicKey, error) {
	conn, err := dialAgent(socket)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	list, err := agent.NewClient(conn).List()
	if err != nil {
		return nil, fmt.Errorf("ssh-agent at %s did not list its keys: %s", socket, termtext.OneLine(err.Error()))
	}
	var out []ssh.PublicKey
	for _, k := range list {
		if pub, err := ssh.ParsePublicKey(k.Blob); err == nil {
			out = append(out, pub)
		}
	}
	return out, nil
}

// CertificateInfo describes an OpenSSH certificate for `key inspect`.
type CertificateInfo struct {
	Type           string   // "user" or "host"
	KeyID          string   // the certificate's key id
	Serial         uint64   // its serial number
	Principals     []string // empty: any
	ValidAfter     time.Time
	ValidBefore    time.Time // zero: forever
	CAFingerprint  string    // SHA256 of the signing CA's key
	CAType         string
	KeyFingerprint string   // SHA256 of the certified key
	Options        []string // critical options (force-command, source-address)
	Extensions     []string
}

// InspectCertificate parses one certificate line (a KEY-cert.pub file).
func InspectCertificate(data []byte) (*CertificateInfo, error) {
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("not an OpenSSH certificate: %s", termtext.OneLine(err.Error()))
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok {
		return nil, fmt.Errorf("a public key, not a certificate (a certificate's type ends in -cert-v01@openssh.com)")
	}
	return DescribeCertificate(cert), nil
}

// DescribeCertificate is cert as CertificateInfo.
func DescribeCertificate(cert *ssh.Certificate) *CertificateInfo {
	ci := &CertificateInfo{
		Type: "user", KeyID: termtext.OneLine(cert.KeyId), Serial: cert.Serial,
		CAFingerprint: ssh.FingerprintSHA256(cert.SignatureKey), CAType: cert.SignatureKey.Type(),
		KeyFingerprint: ssh.FingerprintSHA256(cert.Key),
	}
	if cert.CertType == ssh.HostCert {
		ci.Type = "host"
	}
	for _, p := range cert.ValidPrincipals {
		ci.Principals = append(ci.Principals, termtext.OneLine(p))
	}
	ci.ValidAfter = time.Unix(int64(cert.ValidAfter), 0).UTC()
	if cert.ValidBefore != ssh.CertTimeInfinity {
		ci.ValidBefore = time.Unix(int64(cert.ValidBefore), 0).UTC()
	}
	for k, v := range cert.CriticalOptions {
		ci.Options = append(ci.Options, termtext.OneLine(strings.TrimSpace(k+" "+v)))
	}
	for k := range cert.Extensions {
		ci.Extensions = append(ci.Extensions, termtext.OneLine(k))
	}
	return ci
}

// Validity says whether the certificate is valid at now, in words:
// "valid until …", "expired at …" or "not valid before …".
func (ci *CertificateInfo) Validity(now time.Time) string {
	const layout = "2006-01-02 15:04:05 UTC"
	switch {
	case now.Before(ci.ValidAfter):
		return "not valid yet: valid from " + ci.ValidAfter.Format(layout)
	case !ci.ValidBefore.IsZero() && !now.Before(ci.ValidBefore):
		return "expired at " + ci.ValidBefore.Format(layout)
	case ci.ValidBefore.IsZero():
		return "valid, forever"
	}
	return "valid until " + ci.ValidBefore.Format(layout)
}
