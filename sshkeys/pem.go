package sshkeys

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/ssh"
)

// parsePEMPrivate reads the traditional ("OpenSSL PEM") private keys:
// PKCS#1 RSA, SEC1 EC and DSA, plain or with the legacy RFC 1421 encryption
// (Proc-Type: 4,ENCRYPTED and DEK-Info).
func parsePEMPrivate(block *pem.Block, f Format, passphrase []byte) (*Key, error) {
	der := block.Bytes
	encrypted := false
	//nolint:staticcheck // Legacy PEM encryption is insecure but ssh-keygen -m PEM and openssl -traditional still write it; we only read it.
	if x509.IsEncryptedPEMBlock(block) {
		encrypted = true
		if err := checkDEKInfo(f, block.Headers["DEK-Info"]); err != nil {
			return nil, err
		}
		if len(passphrase) == 0 {
			// This format keeps nothing in the clear: no fingerprint before decryption.
			return nil, &PassphraseMissingError{Key: &Key{Format: f, Encrypted: true}}
		}
		//nolint:staticcheck // see above
		plain, err := x509.DecryptPEMBlock(block, passphrase)
		if err != nil {
			if errors.Is(err, x509.IncorrectPasswordError) {
				return nil, wrongPassphrase(f)
			}
			return nil, corruptf(f, "cannot decrypt (%v)", err)
		}
		der = plain
	} else if block.Headers["Proc-Type"] != "" {
		return nil, corruptf(f, "the header Proc-Type: %s is not one gitjira knows", printable(block.Headers["Proc-Type"]))
	}

	var (
		priv any
		err  error
	)
	switch f {
	case FormatPKCS1:
		priv, err = x509.ParsePKCS1PrivateKey(der)
		if err == nil && priv.(interface{ Size() int }).Size()*8 > maxRSABits {
			err = errors.New("the RSA key is too large")
		}
	case FormatSEC1:
		priv, err = x509.ParseECPrivateKey(der)
		if err != nil && strings.Contains(err.Error(), "unknown elliptic curve") {
			return nil, &UnsupportedKeyError{Type: "ECDSA on a curve other than P-256, P-384 and P-521"}
		}
	case FormatDSAPEM:
		priv, err = parseDSADER(der)
	}
	if err != nil {
		if encrypted {
			// Legacy PEM has no MAC: a wrong passphrase that happens to leave
			// valid padding shows up as unreadable ASN.1.
			return nil, wrongPassphrase(f)
		}
		return nil, corruptf(f, "cannot read the key (%v)", trimLib(err))
	}
	return newKey(f, priv, "", encrypted)
}

// checkDEKInfo refuses a DEK-Info cipher Go cannot decrypt before asking
// for a passphrase, so the user is not asked in vain.
func checkDEKInfo(f Format, dek string) error {
	alg, _, ok := strings.Cut(dek, ",")
	if !ok {
		return corrupt(f, "the DEK-Info header is damaged")
	}
	switch alg {
	case "DES-CBC", "DES-EDE3-CBC", "AES-128-CBC", "AES-192-CBC", "AES-256-CBC":
		return nil
	}
	return unsupportedFormat(f, fmt.Sprintf("the key is encrypted with %s, which gitjira cannot decrypt", printable(alg)),
		"re-encrypt it with `ssh-keygen -p -f FILE` (this also converts it to the OpenSSH format), then try again")
}

// parseDSADER reads OpenSSL's DSA private key: SEQUENCE { 0, p, q, g, y, x }.
func parseDSADER(der []byte) (any, error) {
	var k struct {
		Version       int
		P, Q, G, Y, X *big.Int
	}
	rest, err := asn1.Unmarshal(der, &k)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, errors.New("trailing data after the key")
	}
	if k.Version != 0 {
		return nil, fmt.Errorf("unknown DSA key version %d", k.Version)
	}
	return dsaKey(FormatDSAPEM, k.P, k.Q, k.G, k.Y, k.X)
}

// publicPEM answers a PEM public key block with *PublicKeyGivenError.
func publicPEM(block *pem.Block) error {
	var (
		pub  any
		err  error
		kind string
	)
	switch block.Type {
	case "PUBLIC KEY":
		kind = "PEM PUBLIC KEY"
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		kind = "PEM RSA PUBLIC KEY"
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	}
	e := &PublicKeyGivenError{Kind: kind}
	if err == nil {
		if sp, err := ssh.NewPublicKey(pub); err == nil {
			e.Fingerprint = Fingerprint(sp)
		}
	}
	return e
}

// trimLib removes the package prefix from a library error ("x509: ...").
func trimLib(err error) string {
	s := err.Error()
	for _, p := range []string{"x509: ", "asn1: ", "ssh: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}
