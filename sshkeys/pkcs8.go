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
// ("ENCRYPTED PRIVATE KEY": PBES2 from RFC 8018 with PBKDF2 or scrypt from
// RFC 7914, and the older PKCS#12 and PBES1 schemes in pbe.go). Go's x509
// reads only the plain form; the encrypted envelope is parsed here with
// encoding/asn1.

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
		return nil, derError(f, "PKCS#8", err)
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
			return nil, err
		}
		return newKey(f, k, "", encrypted)
	case alg.Equal(oidEC):
		k, structural, err := parseECDER(f, info.PrivateKey, info.Algo.Parameters.FullBytes)
		if err != nil {
			if structural && encrypted {
				return nil, wrongPassphrase(f)
			}
			return nil, err
		}
		return newKey(f, k, "", encrypted)
	case alg.Equal(oidRSA):
		k, structural, err := parsePKCS1DER(f, info.PrivateKey)
		if err != nil {
			if structural && encrypted {
				return nil, wrongPassphrase(f)
			}
			return nil, err
		}
		return newKey(f, k, "", encrypted)
	case alg.Equal(oidEd25519):
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			if encrypted {
				return nil, wrongPassphrase(f)
			}
			return nil, corrupt(f, "the Ed25519 private key has the wrong length (the file is damaged)")
		}
		return newKey(f, priv, "", encrypted)
	}
	return nil, &UnsupportedKeyError{Type: "PKCS#8 key algorithm " + alg.String()}
}

// parsePKCS8DSA: parameters SEQUENCE { p, q, g } and the key INTEGER x;
// x509 does not read DSA private keys.
func parsePKCS8DSA(info pkcs8Info) (any, error) {
	const f = FormatPKCS8
	var params struct{ P, Q, G *big.Int }
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil {
		return nil, derError(f, "DSA parameters", err)
	}
	x := new(big.Int)
	if _, err := asn1.Unmarshal(info.PrivateKey, &x); err != nil {
		return nil, derError(f, "DSA key", err)
	}
	return dsaKey(f, params.P, params.Q, params.G, nil, x)
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

// pkcs8Decrypt is the work left once an encryption scheme's parameters
// have been checked: derive the key from the passphrase and decrypt. It
// returns every plaintext whose padding is right: none for a wrong
// passphrase (almost always), one normally, and with the PKCS#12 schemes
// one per way of encoding a non-ASCII passphrase (see pkcs12Passwords).
type pkcs8Decrypt func(passphrase, data []byte) [][]byte

// parseEncryptedPKCS8 checks every parameter before it asks for the
// passphrase, so an unsupported file is reported as such, not as "needs a passphrase".
func parseEncryptedPKCS8(der, passphrase []byte) (*Key, error) {
	const f = FormatPKCS8
	var ep encryptedPKCS8
	rest, err := asn1.Unmarshal(der, &ep)
	if err != nil {
		return nil, derError(f, "encrypted PKCS#8", err)
	}
	if len(rest) > 0 {
		return nil, corrupt(f, "the key file is damaged (there is data after the encrypted PKCS#8 structure)")
	}
	var dec pkcs8Decrypt
	if ep.Algo.Algorithm.Equal(oidPBES2) {
		dec, err = pbes2(ep.Algo.Parameters.FullBytes, len(ep.Data))
	} else {
		var known bool
		dec, known, err = legacyPBE(ep.Algo.Algorithm, ep.Algo.Parameters.FullBytes, len(ep.Data))
		if !known {
			err = unsupportedFormat(f, fmt.Sprintf("the key is encrypted with a scheme gitjira does not know (OID %s)", ep.Algo.Algorithm), convertPKCS8Hint)
		}
	}
	if err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, &PassphraseMissingError{Key: &Key{Format: f, Encrypted: true}}
	}
	for _, plain := range dec(passphrase, ep.Data) {
		// RC4 has no padding to check: a wrong passphrase shows as data
		// that is not a PrivateKeyInfo.
		var info pkcs8Info
		if rest, err := asn1.Unmarshal(plain, &info); err == nil && len(rest) == 0 {
			return parsePKCS8(plain, true)
		}
	}
	return nil, wrongPassphrase(f)
}

// pbes2 checks PBES2 parameters (RFC 8018 section 6.2).
func pbes2(params []byte, dataLen int) (pkcs8Decrypt, error) {
	const f = FormatPKCS8
	var p pbes2Params
	if _, err := asn1.Unmarshal(params, &p); err != nil {
		return nil, corrupt(f, "the PBES2 parameters are damaged")
	}
	c, err := pbes2Cipher(p.Enc)
	if err != nil {
		return nil, err
	}
	if dataLen == 0 || dataLen%len(c.iv) != 0 {
		return nil, corrupt(f, "the encrypted data has a bad length (the file is truncated or damaged)")
	}
	derive, err := pkcs8KDF(p.KDF, c.keyLen, c.variableKey)
	if err != nil {
		return nil, err
	}
	return func(pass, data []byte) [][]byte {
		key, err := derive(pass)
		if err != nil {
			return nil
		}
		defer clear(key)
		b, err := c.newBlock(key)
		if err != nil {
			return nil
		}
		plain := make([]byte, len(data))
		cipher.NewCBCDecrypter(b, c.iv).CryptBlocks(plain, data)
		if plain, ok := unpad(plain, b.BlockSize()); ok {
			return [][]byte{plain}
		}
		return nil
	}, nil
}

// pbes2CipherInfo is a PBES2 encryption scheme with its checked parameters.
type pbes2CipherInfo struct {
	newBlock func([]byte) (cipher.Block, error)
	keyLen   int
	// variableKey: the key length comes from the KDF parameters (RC2), keyLen is the default.
	variableKey bool
	iv          []byte
}

var (
	oidDESCBC = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 7}
	oidRC2CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 2}
)

// pbes2OtherCiphers names PBES2 ciphers openssl can write that gitjira does not read.
var pbes2OtherCiphers = map[string]string{
	"1.3.6.1.4.1.3029.1.2":       "bf-cbc",
	"1.2.840.113533.7.66.10":     "cast5-cbc",
	"1.2.392.200011.61.1.1.1.2":  "camellia-128-cbc",
	"1.2.392.200011.61.1.1.1.3":  "camellia-192-cbc",
	"1.2.392.200011.61.1.1.1.4":  "camellia-256-cbc",
	"1.2.410.200046.1.1.2":       "aria-128-cbc",
	"1.2.410.200046.1.1.7":       "aria-192-cbc",
	"1.2.410.200046.1.1.12":      "aria-256-cbc",
	"1.2.156.10197.1.104.2":      "sm4-cbc",
	"2.16.840.1.101.3.4.1.3":     "aes-128-ofb",
	"2.16.840.1.101.3.4.1.4":     "aes-128-cfb",
	"2.16.840.1.101.3.4.1.6":     "aes-128-gcm",
	"2.16.840.1.101.3.4.1.46":    "aes-256-gcm",
	"1.2.840.113549.1.9.16.3.18": "chacha20-poly1305",
	"2.16.840.1.101.3.4.1.1":     "aes-128-ecb",
	"1.2.840.113549.3.4":         "rc4",
	"1.3.6.1.4.1.188.7.1.1.2":    "idea-cbc",
}

func pbes2Cipher(enc pkix.AlgorithmIdentifier) (pbes2CipherInfo, error) {
	const f = FormatPKCS8
	var c pbes2CipherInfo
	alg := enc.Algorithm
	ivLen := aes.BlockSize
	switch {
	case alg.Equal(oidAES128CBC):
		c.newBlock, c.keyLen = aes.NewCipher, 16
	case alg.Equal(oidAES192CBC):
		c.newBlock, c.keyLen = aes.NewCipher, 24
	case alg.Equal(oidAES256CBC):
		c.newBlock, c.keyLen = aes.NewCipher, 32
	case alg.Equal(oidDESEDE3CBC):
		c.newBlock, c.keyLen, ivLen = des.NewTripleDESCipher, 24, des.BlockSize
	case alg.Equal(oidDESCBC):
		c.newBlock, c.keyLen, ivLen = des.NewCipher, 8, des.BlockSize
	case alg.Equal(oidRC2CBC):
		// RC2-CBC-Parameter (RFC 8018 B.2.3): the effective key size is
		// coded as a "version"; the key length comes from the KDF (openssl
		// writes it; 16 bytes when it is absent).
		var p struct {
			Version int `asn1:"optional,default:-1"`
			IV      []byte
		}
		if _, err := asn1.Unmarshal(enc.Parameters.FullBytes, &p); err != nil || len(p.IV) != rc2BlockSize {
			return c, corrupt(f, "the RC2 cipher parameters are damaged")
		}
		bits := map[int]int{-1: 32, 160: 40, 120: 64, 58: 128}[p.Version]
		if p.Version >= 256 && p.Version <= 1024 {
			bits = p.Version
		}
		if bits == 0 {
			return c, corruptf(f, "the RC2 cipher parameters are damaged (version %d)", p.Version)
		}
		c.newBlock = func(key []byte) (cipher.Block, error) { return newRC2(key, bits), nil }
		c.keyLen, c.variableKey, c.iv = 16, true, p.IV
		return c, nil
	default:
		name := pbes2OtherCiphers[alg.String()]
		if name == "" {
			name = "OID " + alg.String()
		}
		return c, unsupportedFormat(f, fmt.Sprintf("the key is encrypted with the cipher %s, which gitjira does not read", name), convertPKCS8Hint)
	}
	if _, err := asn1.Unmarshal(enc.Parameters.FullBytes, &c.iv); err != nil {
		return c, corrupt(f, "the cipher parameters are damaged")
	}
	if len(c.iv) != ivLen {
		return c, corrupt(f, "the cipher's IV has the wrong length (the file is damaged)")
	}
	return c, nil
}

// pkcs8KDF checks the key derivation's parameters and returns it. keyLen is
// the key size of the cipher; when variable (RC2), a key length given by
// the parameters is used instead.
func pkcs8KDF(kdf pkix.AlgorithmIdentifier, keyLen int, variable bool) (func(pass []byte) ([]byte, error), error) {
	const f = FormatPKCS8
	fitKeyLength := func(n int, name string) error {
		switch {
		case n == 0 || n == keyLen:
			return nil
		case variable && n >= 1 && n <= 128:
			keyLen = n
			return nil
		}
		return corruptf(f, "the %s key length does not fit the cipher (the file is damaged)", name)
	}
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil {
			return nil, corrupt(f, "the PBKDF2 parameters are damaged")
		}
		if err := fitKeyLength(p.KeyLength, "PBKDF2"); err != nil {
			return nil, err
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
		if err := fitKeyLength(p.KeyLength, "scrypt"); err != nil {
			return nil, err
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
