package sshkeys

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // DSA keys are read so that we can say servers refuse them.
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Fingerprint returns "SHA256:..." for a public key, as ssh-keygen -l prints
// it: unpadded standard base64 of the SHA-256 of the wire-format key.
func Fingerprint(pub ssh.PublicKey) string {
	return fingerprintBlob(pub.Marshal())
}

// fingerprintBlob fingerprints a wire-format public key blob, also one
// x/crypto cannot parse (an Ed448 or sk- key someone pasted).
func fingerprintBlob(blob []byte) string {
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// authorizedKeyLine is "type base64 comment" without a trailing newline.
func authorizedKeyLine(pub ssh.PublicKey, comment string) string {
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if c := oneLine(comment); c != "" {
		line += " " + c
	}
	return line
}

// publicBits is the size ssh-keygen -l prints for a public key.
func publicBits(pub ssh.PublicKey) int {
	if cert, ok := pub.(*ssh.Certificate); ok {
		pub = cert.Key
	}
	cp, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return 0
	}
	switch k := cp.CryptoPublicKey().(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return 256
	case *dsa.PublicKey:
		return k.P.BitLen()
	}
	return 0
}

// describePublic fills the fields of k that come from the public half.
func describePublic(k *Key, pub ssh.PublicKey) {
	k.PublicKey = pub
	k.Type = pub.Type()
	k.Bits = publicBits(pub)
	k.Fingerprint = Fingerprint(pub)
	k.AuthorizedKey = authorizedKeyLine(pub, k.Comment)
	k.Warnings = warningsFor(k.Type, k.Bits)
}

// warningsFor says when a key that was read will likely be refused by servers.
func warningsFor(typ string, bits int) []string {
	switch {
	case typ == ssh.KeyAlgoDSA:
		return []string{"DSA (ssh-dss) keys are refused by modern servers (OpenSSH 7.0 and later, GitHub, Bitbucket): " + supportedKeyCommand}
	case typ == ssh.KeyAlgoRSA && bits < 2048:
		return []string{fmt.Sprintf("this RSA key has %d bits and many servers refuse RSA keys under 2048 bits: %s", bits, supportedKeyCommand)}
	}
	return nil
}

// newKey builds a decrypted Key from a private key. It checks that the key
// is of a type we can sign with, so every Key with a Signer is usable.
func newKey(f Format, priv crypto.PrivateKey, comment string, encrypted bool) (*Key, error) {
	switch p := priv.(type) {
	case *ed25519.PrivateKey:
		priv = *p
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey, *dsa.PrivateKey:
	default:
		return nil, &UnsupportedKeyError{Type: fmt.Sprintf("%T", priv)}
	}
	if ek, ok := priv.(*ecdsa.PrivateKey); ok {
		switch ek.Curve.Params().BitSize {
		case 256, 384, 521:
		default:
			return nil, &UnsupportedKeyError{Type: "ECDSA " + ek.Curve.Params().Name}
		}
	}
	signer, err := signerFor(priv)
	if err != nil {
		return nil, corrupt(f, "the key cannot be used to sign (the file is damaged)")
	}
	k := &Key{Format: f, Comment: comment, Encrypted: encrypted, Signer: signer, Private: priv}
	describePublic(k, signer.PublicKey())
	return k, nil
}

// signerFor returns the ssh.Signer for a private key. RSA keys sign with
// rsa-sha2-512/256 only: servers refuse ssh-rsa (SHA-1) signatures since
// OpenSSH 8.8, and x/crypto's plain Sign would still use SHA-1.
func signerFor(priv crypto.PrivateKey) (ssh.Signer, error) {
	if k, ok := priv.(*dsa.PrivateKey); ok {
		return &dsaSigner{priv: k, pub: &dsaPublicKey{&k.PublicKey}}, nil
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, err
	}
	if signer.PublicKey().Type() != ssh.KeyAlgoRSA {
		return signer, nil
	}
	as, ok := signer.(ssh.AlgorithmSigner)
	if !ok {
		return nil, errors.New("the RSA signer cannot choose its algorithm")
	}
	ms, err := ssh.NewSignerWithAlgorithms(as, []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256})
	if err != nil {
		return nil, err
	}
	return rsaSHA2Signer{ms}, nil
}

// rsaSHA2Signer makes Sign (no algorithm named) use rsa-sha2-512 as well.
type rsaSHA2Signer struct{ ssh.MultiAlgorithmSigner }

func (s rsaSHA2Signer) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return s.SignWithAlgorithm(rand, data, ssh.KeyAlgoRSASHA512)
}

// x/crypto/ssh dropped ssh-dss (v0.4x), but users still bring DSA keys and
// deserve their fingerprint and a clear "servers refuse this" rather than
// "unknown key". These two small types give a DSA key its public key,
// fingerprint and a Signer (RFC 4253 section 6.6: SHA-1, r and s as 20 bytes each).

type dsaPublicKey struct{ k *dsa.PublicKey }

func (p *dsaPublicKey) Type() string { return ssh.KeyAlgoDSA }

func (p *dsaPublicKey) Marshal() []byte {
	b := appendString(nil, []byte(ssh.KeyAlgoDSA))
	for _, n := range []*big.Int{p.k.P, p.k.Q, p.k.G, p.k.Y} {
		b = appendMPInt(b, n)
	}
	return b
}

func (p *dsaPublicKey) Verify(data []byte, sig *ssh.Signature) error {
	if sig.Format != ssh.KeyAlgoDSA || len(sig.Blob) != 40 {
		return errors.New("not an ssh-dss signature")
	}
	h := sha1.Sum(data)
	r, s := new(big.Int).SetBytes(sig.Blob[:20]), new(big.Int).SetBytes(sig.Blob[20:])
	if !dsa.Verify(p.k, h[:], r, s) {
		return errors.New("ssh-dss signature does not verify")
	}
	return nil
}

func (p *dsaPublicKey) CryptoPublicKey() crypto.PublicKey { return p.k }

type dsaSigner struct {
	priv *dsa.PrivateKey
	pub  *dsaPublicKey
}

func (s *dsaSigner) PublicKey() ssh.PublicKey { return s.pub }

func (s *dsaSigner) Sign(rnd io.Reader, data []byte) (*ssh.Signature, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	h := sha1.Sum(data)
	r, sv, err := dsa.Sign(rnd, s.priv, h[:])
	if err != nil {
		return nil, err
	}
	blob := make([]byte, 40)
	r.FillBytes(blob[:20])
	sv.FillBytes(blob[20:])
	return &ssh.Signature{Format: ssh.KeyAlgoDSA, Blob: blob}, nil
}

// parsePublicBlob is ssh.ParsePublicKey plus ssh-dss.
func parsePublicBlob(blob []byte) (ssh.PublicKey, error) {
	r := &wire{b: blob}
	if r.str() != ssh.KeyAlgoDSA {
		return ssh.ParsePublicKey(blob)
	}
	p, q, g, y := r.mpint(), r.mpint(), r.mpint(), r.mpint()
	if r.err != nil || len(r.b) != 0 {
		return nil, errors.New("bad ssh-dss public key")
	}
	if p.BitLen() > 3072 || q.BitLen() > 256 || p.Sign() == 0 || q.Sign() == 0 || g.Sign() == 0 || y.Sign() == 0 {
		return nil, errors.New("ssh-dss public key numbers out of range")
	}
	return &dsaPublicKey{&dsa.PublicKey{Parameters: dsa.Parameters{P: p, Q: q, G: g}, Y: y}}, nil
}
