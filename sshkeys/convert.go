package sshkeys

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/dsa" //nolint:staticcheck // DSA keys are read (and refused for conversion), never made.
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"

	"golang.org/x/crypto/pbkdf2"
	"golang.org/x/crypto/ssh"
)

// FormatPEM asks Convert and Generate for the "OpenSSL PEM" format that suits
// the key's type: PKCS#1 (RSA PRIVATE KEY) for RSA, SEC1 (EC PRIVATE KEY) for
// ECDSA and PKCS#8 (PRIVATE KEY) for Ed25519, which has no older PEM form.
// It is a conversion target only: Parse reports the concrete format.
const FormatPEM Format = "pem"

// PKCS8Iterations is the PBKDF2-HMAC-SHA256 iteration count Convert uses for
// an encrypted PKCS#8 file. OpenSSL's own default (2048) is far below what
// password-hashing guidance asks for today; 600 000 is OWASP's figure for
// PBKDF2-HMAC-SHA256 and costs about a tenth of a second, paid once per load.
const PKCS8Iterations = 600_000

// OIDs for PBES2 (RFC 8018) as written by `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256`.
var (
	oidWritePBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidWritePBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidWriteHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidWriteAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

// Convert encodes a decrypted key (k.Private != nil) in the given format:
//
//   - FormatOpenSSH: the OpenSSH format ssh-keygen writes, keeping the comment;
//     with a newPassphrase it is encrypted with bcrypt-pbkdf and aes256-ctr.
//   - FormatPEM: the "OpenSSL PEM" format for the key's type (see FormatPEM).
//     FormatPKCS1 (RSA only), FormatSEC1 (ECDSA only) and FormatPKCS8 (any
//     type) pick the encoding explicitly.
//   - FormatPPKv3: PuTTY's .ppk version 3 (Argon2id when encrypted).
//
// A PEM file with a newPassphrase is always written as encrypted PKCS#8
// (ENCRYPTED PRIVATE KEY: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), whatever
// PEM flavour was asked for: the legacy "Proc-Type: 4,ENCRYPTED" form derives
// its key with a single MD5 pass and should not be written any more.
// A nil or empty newPassphrase writes an unencrypted file.
//
// A key that has not been decrypted yet gets an error wrapping
// ErrPassphraseNeeded; DSA keys and unknown key types wrap ErrUnsupported.
func Convert(k *Key, to Format, newPassphrase []byte) ([]byte, error) {
	if k == nil {
		return nil, errors.New("convert: no key given")
	}
	if k.Private == nil {
		return nil, sentinelErrorf(ErrPassphraseNeeded, "the key is encrypted: give its passphrase before converting it")
	}
	priv, err := convertiblePrivate(k.Private)
	if err != nil {
		return nil, err
	}
	switch to {
	case FormatOpenSSH:
		var block *pem.Block
		if len(newPassphrase) > 0 {
			block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, k.Comment, newPassphrase)
		} else {
			block, err = ssh.MarshalPrivateKey(priv, k.Comment)
		}
		if err != nil {
			return nil, fmt.Errorf("could not encode the key in OpenSSH format: %v", err)
		}
		return pem.EncodeToMemory(block), nil
	case FormatPEM, FormatPKCS1, FormatSEC1, FormatPKCS8:
		return convertPEM(priv, to, newPassphrase)
	case FormatPPKv3:
		kk := *k
		kk.Private = priv
		return encodePPKv3(&kk, newPassphrase)
	case FormatPPKv2:
		return nil, sentinelErrorf(ErrUnsupported, "gitjira writes PuTTY keys in version 3 (ppk-v3), which PuTTY 0.75 and later read")
	default:
		return nil, sentinelErrorf(ErrUnsupported, "cannot convert to %q: choose openssh, pem or ppk", string(to))
	}
}

// sentinelError is a one-line message that matches a sentinel with errors.Is
// without repeating the sentinel's own text.
type sentinelError struct {
	msg      string
	sentinel error
}

func (e *sentinelError) Error() string { return e.msg }

func (e *sentinelError) Unwrap() error { return e.sentinel }

func sentinelErrorf(sentinel error, format string, a ...any) error {
	return &sentinelError{msg: fmt.Sprintf(format, a...), sentinel: sentinel}
}

// convertiblePrivate returns the private key in the form the encoders take
// (*rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey value) and refuses
// what gitjira does not write.
func convertiblePrivate(p crypto.PrivateKey) (crypto.PrivateKey, error) {
	switch k := p.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	case *ed25519.PrivateKey:
		// x/crypto's ParseRawPrivateKey returns a pointer for OpenSSH Ed25519 keys.
		return *k, nil
	case *dsa.PrivateKey:
		return nil, sentinelErrorf(ErrUnsupported, "DSA (ssh-dss) keys are refused by modern SSH servers, so gitjira does not convert them: make a new key with `gitjira key generate -o FILE`")
	default:
		return nil, sentinelErrorf(ErrUnsupported, "cannot convert a %T key: make a new key with `gitjira key generate -o FILE`", p)
	}
}

// convertPEM writes the OpenSSL PEM encodings; see Convert.
func convertPEM(priv crypto.PrivateKey, to Format, passphrase []byte) ([]byte, error) {
	if to == FormatPEM {
		switch priv.(type) {
		case *rsa.PrivateKey:
			to = FormatPKCS1
		case *ecdsa.PrivateKey:
			to = FormatSEC1
		default:
			to = FormatPKCS8
		}
	}
	if len(passphrase) > 0 {
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, fmt.Errorf("could not encode the key as PKCS#8: %v", err)
		}
		enc, err := encryptPKCS8ForWrite(der, passphrase, PKCS8Iterations)
		clear(der)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: enc}), nil
	}
	switch to {
	case FormatPKCS1:
		rk, ok := priv.(*rsa.PrivateKey)
		if !ok {
			return nil, sentinelErrorf(ErrUnsupported, "PKCS#1 (RSA PRIVATE KEY) holds RSA keys only; use pem or pkcs8 for this key")
		}
		return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}), nil
	case FormatSEC1:
		ek, ok := priv.(*ecdsa.PrivateKey)
		if !ok {
			return nil, sentinelErrorf(ErrUnsupported, "SEC1 (EC PRIVATE KEY) holds ECDSA keys only; use pem or pkcs8 for this key")
		}
		der, err := x509.MarshalECPrivateKey(ek)
		if err != nil {
			return nil, fmt.Errorf("could not encode the key as SEC1: %v", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
	default: // FormatPKCS8
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, fmt.Errorf("could not encode the key as PKCS#8: %v", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
}

// ASN.1 shapes of RFC 5958 EncryptedPrivateKeyInfo with RFC 8018 PBES2 parameters.
type writeEncryptedKeyInfo struct {
	Algo          pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type writePBES2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type writePBKDF2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier
}

// encryptPKCS8ForWrite wraps a PKCS#8 PrivateKeyInfo DER in an EncryptedPrivateKeyInfo
// (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), the same shape as
// `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256` writes.
func encryptPKCS8ForWrite(der, passphrase []byte, iterations int) ([]byte, error) {
	salt := make([]byte, 16)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	key := pbkdf2.Key(passphrase, salt, iterations, 32, sha256.New)
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	// PKCS#7 padding: always 1..16 bytes, so the decryptor can strip it.
	pad := aes.BlockSize - len(der)%aes.BlockSize
	buf := make([]byte, len(der)+pad)
	copy(buf, der)
	for i := len(der); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)

	kdf, err := asn1.Marshal(writePBKDF2Params{
		Salt:           salt,
		IterationCount: iterations,
		KeyLength:      32,
		PRF:            pkix.AlgorithmIdentifier{Algorithm: oidWriteHMACSHA256, Parameters: asn1.NullRawValue},
	})
	if err != nil {
		return nil, err
	}
	ivDER, err := asn1.Marshal(iv)
	if err != nil {
		return nil, err
	}
	params, err := asn1.Marshal(writePBES2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidWritePBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: oidWriteAES256CBC, Parameters: asn1.RawValue{FullBytes: ivDER}},
	})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(writeEncryptedKeyInfo{
		Algo:          pkix.AlgorithmIdentifier{Algorithm: oidWritePBES2, Parameters: asn1.RawValue{FullBytes: params}},
		EncryptedData: buf,
	})
}
