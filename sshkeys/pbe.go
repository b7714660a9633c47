package sshkeys

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"encoding/asn1"
	"fmt"
	"hash"
	"math/big"
	"unicode/utf16"
	"unicode/utf8"
)

// The password-based encryption schemes that came before PBES2, still found
// in PKCS#8 files written by older tools: `openssl pkcs8 -topk8` without -v2
// wrote pbeWithSHAAnd3-KeyTripleDES-CBC until OpenSSL 1.1.0, and Java's
// keytool and old Windows exports use the others.
//
//   - PKCS#12 PBE (RFC 7292 appendix C, 1.2.840.113549.1.12.1.x): the key and
//     IV come from the PKCS#12 key derivation (RFC 7292 appendix B) with
//     SHA-1 over the password as a BMPString; ciphers RC4, 3DES and RC2.
//   - PBES1 (RFC 8018 section 6.1, 1.2.840.113549.1.5.x): PBKDF1 with MD2,
//     MD5 or SHA-1 gives an 8-byte DES or RC2 key and an 8-byte IV.
//
// All of them are weak by today's standards; gitjira only reads them, so
// that a user can load the key and convert it (gitjira writes PBES2).

// pbeScheme is one of the schemes above.
type pbeScheme struct {
	name    string // the name in the standard, for messages
	openssl string // `openssl pkcs8 -v1` name, for messages
	pkcs12  bool   // PKCS#12 key derivation; otherwise PBES1's PBKDF1
	hash    func() hash.Hash
	keyLen  int
	// newCipher returns the block cipher for a key; nil for RC4 (a stream cipher, no IV, no padding).
	newCipher func(key []byte) (cipher.Block, error)
	// refuse, when set, is why the scheme cannot be read (MD2: no Go implementation,
	// and OpenSSL 3 cannot make or read such a file either).
	refuse string
}

func rc2Key(effectiveBits int) func([]byte) (cipher.Block, error) {
	return func(key []byte) (cipher.Block, error) { return newRC2(key, effectiveBits), nil }
}

// twoKeyTripleDES is 3DES with K3 = K1 (the PKCS#12 "2-Key" variant).
func twoKeyTripleDES(key []byte) (cipher.Block, error) {
	k := append(append(make([]byte, 0, 24), key[:16]...), key[:8]...)
	return des.NewTripleDESCipher(k)
}

// pbeSchemes maps the dotted OID of each scheme to its description.
var pbeSchemes = map[string]pbeScheme{
	"1.2.840.113549.1.12.1.1": {name: "pbeWithSHAAnd128BitRC4", openssl: "PBE-SHA1-RC4-128", pkcs12: true, hash: sha1.New, keyLen: 16},
	"1.2.840.113549.1.12.1.2": {name: "pbeWithSHAAnd40BitRC4", openssl: "PBE-SHA1-RC4-40", pkcs12: true, hash: sha1.New, keyLen: 5},
	"1.2.840.113549.1.12.1.3": {name: "pbeWithSHAAnd3-KeyTripleDES-CBC", openssl: "PBE-SHA1-3DES", pkcs12: true, hash: sha1.New, keyLen: 24, newCipher: des.NewTripleDESCipher},
	"1.2.840.113549.1.12.1.4": {name: "pbeWithSHAAnd2-KeyTripleDES-CBC", openssl: "PBE-SHA1-2DES", pkcs12: true, hash: sha1.New, keyLen: 16, newCipher: twoKeyTripleDES},
	"1.2.840.113549.1.12.1.5": {name: "pbeWithSHAAnd128BitRC2-CBC", openssl: "PBE-SHA1-RC2-128", pkcs12: true, hash: sha1.New, keyLen: 16, newCipher: rc2Key(128)},
	"1.2.840.113549.1.12.1.6": {name: "pbeWithSHAAnd40BitRC2-CBC", openssl: "PBE-SHA1-RC2-40", pkcs12: true, hash: sha1.New, keyLen: 5, newCipher: rc2Key(40)},
	"1.2.840.113549.1.5.1":    {name: "pbeWithMD2AndDES-CBC", openssl: "PBE-MD2-DES", refuse: "MD2"},
	"1.2.840.113549.1.5.4":    {name: "pbeWithMD2AndRC2-CBC", openssl: "PBE-MD2-RC2-64", refuse: "MD2"},
	"1.2.840.113549.1.5.3":    {name: "pbeWithMD5AndDES-CBC", openssl: "PBE-MD5-DES", hash: md5.New, keyLen: 8, newCipher: des.NewCipher},
	"1.2.840.113549.1.5.6":    {name: "pbeWithMD5AndRC2-CBC", openssl: "PBE-MD5-RC2-64", hash: md5.New, keyLen: 8, newCipher: rc2Key(64)},
	"1.2.840.113549.1.5.10":   {name: "pbeWithSHA1AndDES-CBC", openssl: "PBE-SHA1-DES", hash: sha1.New, keyLen: 8, newCipher: des.NewCipher},
	"1.2.840.113549.1.5.11":   {name: "pbeWithSHA1AndRC2-CBC", openssl: "PBE-SHA1-RC2-64", hash: sha1.New, keyLen: 8, newCipher: rc2Key(64)},
}

// pbeParams is PBEParameter (RFC 8018 A.3) and pkcs-12PbeParams (RFC 7292 C):
// the same shape.
type pbeParams struct {
	Salt       []byte
	Iterations int
}

// convertPKCS8Hint is the advice given when an encrypted PKCS#8 file cannot
// be read: let openssl (which reads more old schemes, with its legacy
// provider) write it again with PBES2.
const convertPKCS8Hint = "convert it with `openssl pkcs8 -in FILE -provider legacy -provider default -topk8 -v2 aes-256-cbc -out NEW`, then try again"

// legacyPBE checks the parameters of a PKCS#12 or PBES1 scheme and returns
// the decryption to run once the passphrase is known; ok=false is returned
// for an algorithm that is not one of them.
func legacyPBE(oid asn1.ObjectIdentifier, params []byte, dataLen int) (dec pkcs8Decrypt, ok bool, err error) {
	const f = FormatPKCS8
	s, ok := pbeSchemes[oid.String()]
	if !ok {
		return nil, false, nil
	}
	if s.refuse != "" {
		return nil, true, unsupportedFormat(f,
			fmt.Sprintf("the key is encrypted with %s (openssl calls it %s), which uses %s; neither gitjira nor OpenSSL 3 reads it", s.name, s.openssl, s.refuse),
			"decrypt it with a tool that still knows MD2 (OpenSSL 1.0: `openssl pkcs8 -in FILE -topk8 -v2 aes-256-cbc -out NEW`), then try again")
	}
	var p pbeParams
	if rest, err := asn1.Unmarshal(params, &p); err != nil || len(rest) > 0 {
		return nil, true, corruptf(f, "the parameters of its encryption (%s) are damaged", s.name)
	}
	if len(p.Salt) == 0 || len(p.Salt) > 1024 {
		return nil, true, corruptf(f, "the salt of its encryption (%s) is damaged", s.name)
	}
	if p.Iterations < 1 || p.Iterations > maxPBKDF2Iterations {
		return nil, true, unsupportedFormat(f, fmt.Sprintf("the key asks for %d iterations of %s (gitjira allows 1 to %d)", p.Iterations, s.name, maxPBKDF2Iterations),
			convertPKCS8Hint)
	}
	if dataLen == 0 || (s.newCipher != nil && dataLen%8 != 0) {
		return nil, true, corrupt(f, "the encrypted data has a bad length (the file is truncated or damaged)")
	}
	decrypt := func(pass, data []byte) ([]byte, bool) {
		var key, iv []byte
		if s.pkcs12 {
			key = pkcs12KDF(s.hash, pass, p.Salt, p.Iterations, 1, s.keyLen)
			if s.newCipher != nil {
				iv = pkcs12KDF(s.hash, pass, p.Salt, p.Iterations, 2, 8)
			}
		} else {
			dk := pbkdf1(s.hash, pass, p.Salt, p.Iterations)
			key, iv = dk[:8], dk[8:16]
		}
		defer clear(key)
		out := make([]byte, len(data))
		if s.newCipher == nil {
			c, err := rc4.NewCipher(key)
			if err != nil {
				return nil, false
			}
			c.XORKeyStream(out, data)
			return out, true
		}
		b, err := s.newCipher(key)
		if err != nil {
			return nil, false
		}
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
		return unpad(out, b.BlockSize())
	}
	return func(pass, data []byte) [][]byte {
		passwords := [][]byte{pass} // PBES1 takes the passphrase's bytes as they are
		if s.pkcs12 {
			passwords = pkcs12Passwords(pass)
		}
		var out [][]byte
		for _, pw := range passwords {
			if plain, ok := decrypt(pw, data); ok {
				out = append(out, plain)
			}
		}
		return out
	}, true, nil
}

// pkcs12Passwords is how a passphrase is given to the PKCS#12 key
// derivation: a BMPString (UTF-16 big-endian, with a final 0x0000). OpenSSL
// 1.1.0 and later convert the passphrase from UTF-8; earlier versions took
// each byte as one character. For an ASCII passphrase both are the same;
// otherwise both are tried, so files from either age open.
func pkcs12Passwords(pass []byte) [][]byte {
	var out [][]byte
	if utf8.Valid(pass) {
		var b []byte
		for _, u := range utf16.Encode([]rune(string(pass))) {
			b = append(b, byte(u>>8), byte(u))
		}
		out = append(out, append(b, 0, 0))
	}
	latin1 := make([]byte, 0, 2*len(pass)+2)
	for _, c := range pass {
		latin1 = append(latin1, 0, c)
	}
	latin1 = append(latin1, 0, 0)
	if len(out) == 0 || string(out[0]) != string(latin1) {
		out = append(out, latin1)
	}
	return out
}

// pkcs12KDF is the PKCS#12 key derivation (RFC 7292 appendix B.2) for
// SHA-1 (u = 20, v = 64 bytes). password is already a BMPString (see
// pkcs12Passwords); id is 1 for the key, 2 for the IV, 3 for a MAC key.
func pkcs12KDF(h func() hash.Hash, password, salt []byte, iterations int, id byte, n int) []byte {
	hh := h()
	u, v := hh.Size(), hh.BlockSize()
	d := make([]byte, v)
	for i := range d {
		d[i] = id
	}
	// I = S || P, each repeated to a whole number of v-byte blocks.
	fill := func(src []byte) []byte {
		if len(src) == 0 {
			return nil
		}
		out := make([]byte, v*((len(src)+v-1)/v))
		for i := range out {
			out[i] = src[i%len(src)]
		}
		return out
	}
	I := append(fill(salt), fill(password)...)
	one := big.NewInt(1)
	mod := new(big.Int).Lsh(one, uint(8*v))
	out := make([]byte, 0, n+u)
	a := make([]byte, u)
	for len(out) < n {
		hh.Reset()
		hh.Write(d)
		hh.Write(I)
		a = hh.Sum(a[:0])
		for range iterations - 1 {
			hh.Reset()
			hh.Write(a)
			a = hh.Sum(a[:0])
		}
		out = append(out, a...)
		if len(out) >= n {
			break
		}
		// I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block I_j of I,
		// where B is A repeated to v bytes.
		b := make([]byte, v)
		for i := range b {
			b[i] = a[i%u]
		}
		bPlus1 := new(big.Int).Add(new(big.Int).SetBytes(b), one)
		for j := 0; j < len(I); j += v {
			ij := new(big.Int).SetBytes(I[j : j+v])
			ij.Add(ij, bPlus1).Mod(ij, mod)
			ij.FillBytes(I[j : j+v])
		}
	}
	return out[:n]
}

// pbkdf1 is PBKDF1 (RFC 8018 section 5.1): T = Hash^c(P || S); PBES1 takes
// the first 8 bytes as the key and the next 8 as the IV.
func pbkdf1(h func() hash.Hash, password, salt []byte, iterations int) []byte {
	hh := h()
	hh.Write(password)
	hh.Write(salt)
	t := hh.Sum(nil)
	for range iterations - 1 {
		hh.Reset()
		hh.Write(t)
		t = hh.Sum(t[:0])
	}
	return t[:16]
}
