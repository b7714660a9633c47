package sshkeys

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
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
		if err := checkDEKInfo(f, block.Headers["DEK-Info"], len(block.Bytes)); err != nil {
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
			// checkDEKInfo has ruled out every other failure x509 knows.
			return nil, corrupt(f, "the encrypted key cannot be decrypted (the file is damaged)")
		}
		der = plain
	} else if block.Headers["Proc-Type"] != "" {
		return nil, corruptf(f, "the header Proc-Type: %s is not one gitjira knows", printable(block.Headers["Proc-Type"]))
	}

	var (
		priv       any
		err        error
		structural bool // the DER could not be read (for an encrypted key: a wrong passphrase)
	)
	switch f {
	case FormatPKCS1:
		priv, structural, err = parsePKCS1DER(f, der)
	case FormatSEC1:
		priv, structural, err = parseECDER(f, der, nil)
	case FormatDSAPEM:
		priv, structural, err = parseDSADER(der)
	}
	if err != nil {
		if encrypted && structural {
			// Legacy PEM has no MAC: a wrong passphrase that happens to leave
			// valid padding shows up as unreadable DER.
			return nil, wrongPassphrase(f)
		}
		return nil, err
	}
	return newKey(f, priv, "", encrypted)
}

// pkcs1DER is RSAPrivateKey (RFC 8017 A.1.2), read first to check the
// structure and size before x509 validates the numbers.
type pkcs1DER struct {
	Version int
	N, E    *big.Int
	D, P, Q *big.Int
	// the CRT values and other primes follow; x509 reads them
}

func parsePKCS1DER(f Format, der []byte) (any, bool, error) {
	var k pkcs1DER
	if _, err := asn1.Unmarshal(der, &k); err != nil {
		return nil, true, derError(f, "RSA key", err)
	}
	if k.N == nil || k.N.BitLen() > maxRSABits {
		return nil, false, unsupportedFormat(f, fmt.Sprintf("the RSA key has %d bits, more than the %d gitjira reads", k.N.BitLen(), maxRSABits), supportedKeyCommand)
	}
	priv, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, false, corrupt(f, "the RSA key's numbers are not valid or do not fit together (the file is damaged)")
	}
	return priv, false, nil
}

// checkDEKInfo refuses a DEK-Info cipher Go cannot decrypt before asking
// for a passphrase, so the user is not asked in vain, and checks what
// x509.DecryptPEMBlock would otherwise fail on with its own words: the IV
// and the length of the data.
func checkDEKInfo(f Format, dek string, dataLen int) error {
	alg, ivHex, ok := strings.Cut(dek, ",")
	if !ok {
		return corrupt(f, "the DEK-Info header is damaged")
	}
	blockSize := 16
	switch alg {
	case "DES-CBC", "DES-EDE3-CBC":
		blockSize = 8
	case "AES-128-CBC", "AES-192-CBC", "AES-256-CBC":
	default:
		return unsupportedFormat(f, fmt.Sprintf("the key is encrypted with %s, which gitjira cannot decrypt", printable(alg)),
			"re-encrypt it with `ssh-keygen -p -f FILE` (this also converts it to the OpenSSH format), then try again")
	}
	if iv, err := hex.DecodeString(ivHex); err != nil || len(iv) != blockSize {
		return corrupt(f, "the IV in the DEK-Info header is damaged")
	}
	if dataLen == 0 || dataLen%blockSize != 0 {
		return corrupt(f, "the encrypted data has a bad length (the file is truncated or damaged)")
	}
	return nil
}

// parseDSADER reads OpenSSL's DSA private key: SEQUENCE { 0, p, q, g, y, x }.
func parseDSADER(der []byte) (any, bool, error) {
	const f = FormatDSAPEM
	var k struct {
		Version       int
		P, Q, G, Y, X *big.Int
	}
	rest, err := asn1.Unmarshal(der, &k)
	if err != nil {
		return nil, true, derError(f, "DSA key", err)
	}
	if len(rest) > 0 {
		return nil, true, corrupt(f, "the key file is damaged (there is data after the DSA key)")
	}
	if k.Version != 0 {
		return nil, true, corruptf(f, "the DSA key has version %d where OpenSSL writes 0 (the file is damaged)", k.Version)
	}
	priv, err := dsaKey(f, k.P, k.Q, k.G, k.Y, k.X)
	return priv, false, err
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
