package sshkeys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"
	"math/big"

	"golang.org/x/crypto/scrypt"
)

// PKCS#8 (RFC 5208/5958) private keys, plain ("PRIVATE KEY") and encrypted
// ("ENCRYPTED PRIVATE KEY", PBES2 from RFC 8018 with PBKDF2 or scrypt from
// RFC 7914). Go's x509 reads only the plain form; the encrypted envelope is
// parsed here with encoding/asn1.

var (
	oidRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidEC      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidDSA     = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidX25519  = asn1.ObjectIdentifier{1, 3, 101, 110}
	oidX448    = asn1.ObjectIdentifier{1, 3, 101, 111}
	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidEd448   = asn1.ObjectIdentifier{1, 3, 101, 113}
	oidSM2     = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}

	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

// Limits on what an encrypted PKCS#8 file may make us compute. openssl
// writes 2048 PBKDF2 iterations and scrypt N=16384, r=8, p=1 (16 MiB).
var (
	maxPBKDF2Iterations = 10_000_000
	maxScryptMemory     = 256 << 20 // bytes: 128 * N * r
)

type pkcs8Info struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
	// optional attributes and public key follow; asn1 ignores them.
}

// parsePKCS8 reads an unencrypted PKCS#8 PrivateKeyInfo. encrypted only
// marks the result; decryption happened before.
func parsePKCS8(der []byte, encrypted bool) (*Key, error) {
	const f = FormatPKCS8
	var info pkcs8Info
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		if encrypted {
			return nil, wrongPassphrase(f)
		}
		return nil, corruptf(f, "cannot read the key (%v)", trimLib(err))
	}
	alg := info.Algo.Algorithm
	switch {
	case alg.Equal(oidEd448):
		return nil, &UnsupportedKeyError{Type: "Ed448"}
	case alg.Equal(oidX25519):
		return nil, &UnsupportedKeyError{Type: "X25519 (a key-agreement key, it cannot sign)"}
	case alg.Equal(oidX448):
		return nil, &UnsupportedKeyError{Type: "X448 (a key-agreement key, it cannot sign)"}
	case alg.Equal(oidRSAPSS):
		return nil, &UnsupportedKeyError{Type: "RSA-PSS"}
	case alg.Equal(oidSM2):
		return nil, &UnsupportedKeyError{Type: "SM2"}
	case alg.Equal(oidDSA):
		k, err := parsePKCS8DSA(info)
		if err != nil {
			if encrypted {
				return nil, wrongPassphrase(f)
			}
			return nil, corruptf(f, "cannot read the DSA key (%v)", trimLib(err))
		}
		return newKey(f, k, "", encrypted)
	case alg.Equal(oidRSA), alg.Equal(oidEC), alg.Equal(oidEd25519):
	default:
		return nil, &UnsupportedKeyError{Type: "PKCS#8 key algorithm " + alg.String()}
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		if alg.Equal(oidEC) && !encrypted {
			if e := curveError(info); e != nil {
				return nil, e
			}
		}
		if encrypted {
			return nil, wrongPassphrase(f)
		}
		return nil, corruptf(f, "cannot read the key (%v)", trimLib(err))
	}
	return newKey(f, priv, "", encrypted)
}

// curveError names an EC curve Go does not sign with (secp256k1, brainpool...).
func curveError(info pkcs8Info) error {
	var curve asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &curve); err != nil {
		return nil
	}
	name := "curve " + curve.String()
	if curve.Equal(asn1.ObjectIdentifier{1, 3, 132, 0, 10}) {
		name = "secp256k1"
	}
	return &UnsupportedKeyError{Type: "ECDSA " + name}
}

// parsePKCS8DSA: parameters SEQUENCE { p, q, g } and the key INTEGER x;
// x509 does not read DSA private keys.
func parsePKCS8DSA(info pkcs8Info) (any, error) {
	var params struct{ P, Q, G *big.Int }
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil {
		return nil, err
	}
	x := new(big.Int)
	if _, err := asn1.Unmarshal(info.PrivateKey, &x); err != nil {
		return nil, err
	}
	return dsaKey(FormatPKCS8, params.P, params.Q, params.G, nil, x)
}

type encryptedPKCS8 struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

type pbes2Params struct {
	KDF pkix.AlgorithmIdentifier
	Enc pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

type scryptParams struct {
	Salt      []byte
	N, R, P   int
	KeyLength int `asn1:"optional"`
}

// pkcs8Decrypter is the work left once the parameters have been checked:
// derive the key from the passphrase and decrypt.
type pkcs8Decrypter func(passphrase []byte) ([]byte, error)

// parseEncryptedPKCS8 checks every parameter before it asks for the
// passphrase, so an unsupported file is reported as such, not as "needs a passphrase".
func parseEncryptedPKCS8(der, passphrase []byte) (*Key, error) {
	const f = FormatPKCS8
	var ep encryptedPKCS8
	if rest, err := asn1.Unmarshal(der, &ep); err != nil || len(rest) > 0 {
		return nil, corrupt(f, "the encrypted key envelope is damaged")
	}
	if !ep.Algo.Algorithm.Equal(oidPBES2) {
		return nil, unsupportedFormat(f, fmt.Sprintf("the key is encrypted with the old scheme %s, which gitjira does not read", ep.Algo.Algorithm),
			"re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in FILE -out NEW`, then try again")
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(ep.Algo.Parameters.FullBytes, &p); err != nil {
		return nil, corrupt(f, "the PBES2 parameters are damaged")
	}
	newBlock, keyLen, iv, err := pkcs8Cipher(p.Enc)
	if err != nil {
		return nil, err
	}
	if len(ep.Data) == 0 || len(ep.Data)%len(iv) != 0 {
		return nil, corrupt(f, "the encrypted data has a bad length")
	}
	derive, err := pkcs8KDF(p.KDF, keyLen)
	if err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, &PassphraseMissingError{Key: &Key{Format: f, Encrypted: true}}
	}
	key, err := derive(passphrase)
	if err != nil {
		return nil, corruptf(f, "cannot derive the key (%v)", err)
	}
	b, err := newBlock(key)
	if err != nil {
		return nil, corruptf(f, "cannot decrypt (%v)", err)
	}
	plain := make([]byte, len(ep.Data))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(plain, ep.Data)
	plain, ok := unpad(plain, b.BlockSize())
	if !ok {
		return nil, wrongPassphrase(f)
	}
	return parsePKCS8(plain, true)
}

func pkcs8Cipher(enc pkix.AlgorithmIdentifier) (func([]byte) (cipher.Block, error), int, []byte, error) {
	const f = FormatPKCS8
	var iv []byte
	if _, err := asn1.Unmarshal(enc.Parameters.FullBytes, &iv); err != nil {
		return nil, 0, nil, corrupt(f, "the cipher parameters are damaged")
	}
	var (
		newBlock func([]byte) (cipher.Block, error)
		keyLen   int
	)
	switch {
	case enc.Algorithm.Equal(oidAES128CBC):
		newBlock, keyLen = aes.NewCipher, 16
	case enc.Algorithm.Equal(oidAES192CBC):
		newBlock, keyLen = aes.NewCipher, 24
	case enc.Algorithm.Equal(oidAES256CBC):
		newBlock, keyLen = aes.NewCipher, 32
	case enc.Algorithm.Equal(oidDESEDE3CBC):
		newBlock, keyLen = des.NewTripleDESCipher, 24
	default:
		return nil, 0, nil, unsupportedFormat(f, fmt.Sprintf("the key is encrypted with the cipher %s, which gitjira does not read", enc.Algorithm),
			"re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in FILE -out NEW`, then try again")
	}
	want := aes.BlockSize
	if keyLen == 24 && enc.Algorithm.Equal(oidDESEDE3CBC) {
		want = des.BlockSize
	}
	if len(iv) != want {
		return nil, 0, nil, corrupt(f, "the cipher's IV has the wrong length")
	}
	return newBlock, keyLen, iv, nil
}

func pkcs8KDF(kdf pkix.AlgorithmIdentifier, keyLen int) (pkcs8Decrypter, error) {
	const f = FormatPKCS8
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil {
			return nil, corrupt(f, "the PBKDF2 parameters are damaged")
		}
		if p.KeyLength != 0 && p.KeyLength != keyLen {
			return nil, corrupt(f, "the PBKDF2 key length does not fit the cipher")
		}
		if p.Iterations < 1 || p.Iterations > maxPBKDF2Iterations {
			return nil, unsupportedFormat(f, fmt.Sprintf("the key asks for %d PBKDF2 iterations (gitjira allows 1 to %d)", p.Iterations, maxPBKDF2Iterations),
				"re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in FILE -out NEW`, then try again")
		}
		var h func() hash.Hash
		switch prf := p.PRF.Algorithm; {
		case len(prf) == 0 || prf.Equal(oidHMACSHA1): // RFC 8018: the default PRF is hmacWithSHA1
			h = sha1.New
		case prf.Equal(oidHMACSHA224):
			h = sha256.New224
		case prf.Equal(oidHMACSHA256):
			h = sha256.New
		case prf.Equal(oidHMACSHA384):
			h = sha512.New384
		case prf.Equal(oidHMACSHA512):
			h = sha512.New
		default:
			return nil, unsupportedFormat(f, fmt.Sprintf("the key uses the PBKDF2 function %s, which gitjira does not read", prf),
				"re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in FILE -out NEW`, then try again")
		}
		return func(pass []byte) ([]byte, error) {
			return pbkdf2.Key(h, string(pass), p.Salt, p.Iterations, keyLen)
		}, nil
	case kdf.Algorithm.Equal(oidScrypt):
		var p scryptParams
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil {
			return nil, corrupt(f, "the scrypt parameters are damaged")
		}
		if p.KeyLength != 0 && p.KeyLength != keyLen {
			return nil, corrupt(f, "the scrypt key length does not fit the cipher")
		}
		if p.N < 2 || p.N&(p.N-1) != 0 || p.R < 1 || p.P < 1 || p.P > 16 ||
			p.R > maxScryptMemory/128 || p.N > maxScryptMemory/(128*p.R) {
			return nil, unsupportedFormat(f, fmt.Sprintf("the key's scrypt parameters (N=%d, r=%d, p=%d) are outside what gitjira allows (up to %d MiB, p up to 16)", p.N, p.R, p.P, maxScryptMemory>>20),
				"re-encrypt it with `openssl pkcs8 -topk8 -scrypt -in FILE -out NEW`, then try again")
		}
		return func(pass []byte) ([]byte, error) {
			return scrypt.Key(pass, p.Salt, p.N, p.R, p.P, keyLen)
		}, nil
	}
	return nil, unsupportedFormat(f, fmt.Sprintf("the key uses the key derivation %s, which gitjira does not read", kdf.Algorithm),
		"re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in FILE -out NEW`, then try again")
}

// unpad removes PKCS#7 padding; a bad pad almost always means a wrong passphrase.
func unpad(b []byte, blockSize int) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > blockSize || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
