package sshkeys

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

// TestRC2Vectors checks the RC2 cipher against RFC 2268 section 5.
func TestRC2Vectors(t *testing.T) {
	tests := []struct {
		key, plain, cipher string
		bits               int
	}{
		{"0000000000000000", "0000000000000000", "ebb773f993278eff", 63},
		{"ffffffffffffffff", "ffffffffffffffff", "278b27e42e2f0d49", 64},
		{"3000000000000000", "1000000000000001", "30649edf9be7d2c2", 64},
		{"88", "0000000000000000", "61a8a244adacccf0", 64},
		{"88bca90e90875a", "0000000000000000", "6ccf4308974c267f", 64},
		{"88bca90e90875a7f0f79c384627bafb2", "0000000000000000", "1a807d272bbe5db1", 64},
		{"88bca90e90875a7f0f79c384627bafb2", "0000000000000000", "2269552ab0f85ca6", 128},
		{"88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", "0000000000000000", "5b78d3a43dfff1f1", 129},
	}
	for _, tt := range tests {
		key, _ := hex.DecodeString(tt.key)
		plain, _ := hex.DecodeString(tt.plain)
		want, _ := hex.DecodeString(tt.cipher)
		c := newRC2(key, tt.bits)
		got := make([]byte, 8)
		c.Encrypt(got, plain)
		if !bytes.Equal(got, want) {
			t.Errorf("key %s/%d: Encrypt = %x, want %x", tt.key, tt.bits, got, want)
		}
		c.Decrypt(got, want)
		if !bytes.Equal(got, plain) {
			t.Errorf("key %s/%d: Decrypt = %x, want %x", tt.key, tt.bits, got, plain)
		}
	}
}

// TestPKCS12KDF checks the RFC 7292 appendix B derivation against vectors
// from x/crypto/pkcs12 (which has it only internally), including the case
// where a block of I gets a leading zero byte.
func TestPKCS12KDF(t *testing.T) {
	unhex := func(s string) []byte { b, _ := hex.DecodeString(s); return b }
	sesame := pkcs12Passwords([]byte("sesame"))[0]
	tests := []struct {
		name                 string
		password, salt, want []byte
		iterations           int
	}{
		{"sesame", sesame, unhex("ffffffffffffffff"), unhex("7cd9fd3e2b3be7691a44e3bef0f9ea0fb9b897d4e325d9d1"), 2048},
		{"leading zeros", []byte{0, 0}, unhex("f37e05b518324b4b"), unhex("00f759ff47d14dd03665d5943cb3c4a39a2555c02aed66e1"), 2048},
	}
	for _, tt := range tests {
		if got := pkcs12KDF(sha1.New, tt.password, tt.salt, tt.iterations, 1, 24); !bytes.Equal(got, tt.want) {
			t.Errorf("%s: key %x, want %x", tt.name, got, tt.want)
		}
	}
	if got, want := sesame, []byte("\x00s\x00e\x00s\x00a\x00m\x00e\x00\x00"); !bytes.Equal(got, want) {
		t.Errorf("BMPString %q, want %q", got, want)
	}
	// Outside the BMP a character takes a surrogate pair, as in OpenSSL's OPENSSL_utf82uni.
	if got := pkcs12Passwords([]byte("\U0001F511")); !bytes.Equal(got[0], []byte{0xd8, 0x3d, 0xdd, 0x11, 0, 0}) {
		t.Errorf("surrogate pair: %x", got[0])
	}
}

// TestPKCS12NonASCIIPassphrase: OpenSSL 1.1.0 and later give the PKCS#12
// derivation the passphrase converted from UTF-8 (the fixture, made by
// OpenSSL 3); OpenSSL 1.0 took each byte as a character. Both open.
func TestPKCS12NonASCIIPassphrase(t *testing.T) {
	const pass = "pässwörd ✓"
	want := fixtureFingerprint(t, "pkcs8_ecdsa256_openssl.key")
	k, err := ParseWithPassphrase(readFixture(t, "utf8pass_pkcs8_ecdsa256_pbe_sha1_3des.key"), []byte(pass))
	if err != nil {
		t.Fatalf("UTF-8 passphrase (OpenSSL 3 file): %v", err)
	}
	if k.Fingerprint != want {
		t.Errorf("fingerprint %s, want %s", k.Fingerprint, want)
	}
	// The same key as OpenSSL 1.0 would have written it: the PBE-SHA1-3DES
	// envelope re-made with the byte-per-character password.
	plain := pkcs8DER(t, "pkcs8_ecdsa256_openssl.key")
	legacy := encryptPBESHA13DES(t, plain, pkcs12Passwords([]byte(pass))[1])
	k, err = ParseWithPassphrase(legacy, []byte(pass))
	if err != nil {
		t.Fatalf("byte-per-character passphrase (OpenSSL 1.0 file): %v", err)
	}
	if k.Fingerprint != want {
		t.Errorf("fingerprint %s, want %s", k.Fingerprint, want)
	}
	if _, err := ParseWithPassphrase(legacy, []byte("passwörd ✓")); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("wrong passphrase: %v", err)
	}
}

// pkcs8DER is the DER of an unencrypted PKCS#8 fixture.
func pkcs8DER(t *testing.T, name string) []byte {
	t.Helper()
	block, _ := pem.Decode(readFixture(t, name))
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("%s is not an unencrypted PKCS#8 file", name)
	}
	return block.Bytes
}

// encryptPBESHA13DES wraps a PrivateKeyInfo in pbeWithSHAAnd3-KeyTripleDES-CBC
// with the given (already BMP-encoded) password, as OpenSSL does.
func encryptPBESHA13DES(t *testing.T, der, bmpPassword []byte) []byte {
	t.Helper()
	salt := []byte("saltsalt")
	const iter = 2048
	key := pkcs12KDF(sha1.New, bmpPassword, salt, iter, 1, 24)
	iv := pkcs12KDF(sha1.New, bmpPassword, salt, iter, 2, 8)
	b, err := des.NewTripleDESCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	pad := 8 - len(der)%8
	data := append(bytes.Clone(der), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(data, data)
	return encryptedPKCS8PEM(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}, pbeParams{Salt: salt, Iterations: iter}, data)
}

// encryptedPKCS8PEM builds an ENCRYPTED PRIVATE KEY block.
func encryptedPKCS8PEM(t *testing.T, oid asn1.ObjectIdentifier, params any, data []byte) []byte {
	t.Helper()
	p, err := asn1.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	var ep encryptedPKCS8
	ep.Algo.Algorithm = oid
	ep.Algo.Parameters = asn1.RawValue{FullBytes: p}
	ep.Data = data
	der, err := asn1.Marshal(ep)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der})
}

// TestPKCS8SchemesRefused: what gitjira cannot decrypt is named, with the
// openssl command that converts it, before any passphrase is asked.
func TestPKCS8SchemesRefused(t *testing.T) {
	params := pbeParams{Salt: []byte("saltsalt"), Iterations: 2048}
	tests := []struct {
		name    string
		input   []byte
		is      error
		mention []string
	}{
		{"PBES1 with MD2 (OpenSSL 3 cannot make it)", encryptedPKCS8PEM(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 1}, params, make([]byte, 32)),
			ErrUnsupported, []string{"pbeWithMD2AndDES-CBC", "PBE-MD2-DES", "-v2 aes-256-cbc"}},
		{"PBES1 MD2 with RC2", encryptedPKCS8PEM(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 4}, params, make([]byte, 32)),
			ErrUnsupported, []string{"pbeWithMD2AndRC2-CBC", "MD2"}},
		{"an unknown scheme", encryptedPKCS8PEM(t, asn1.ObjectIdentifier{1, 2, 3, 4}, params, make([]byte, 32)),
			ErrUnsupported, []string{"1.2.3.4", "openssl pkcs8", "-topk8 -v2 aes-256-cbc"}},
		{"PBES2 with camellia-256-cbc", readFixture(t, "unsupported_pkcs8_pbes2_camellia256.pem"),
			ErrUnsupported, []string{"camellia-256-cbc", "openssl pkcs8", "-v2 aes-256-cbc"}},
		{"PKCS#12 scheme asking 20 million iterations", encryptedPKCS8PEM(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3},
			pbeParams{Salt: []byte("saltsalt"), Iterations: 20_000_000}, make([]byte, 32)),
			ErrUnsupported, []string{"20000000 iterations of pbeWithSHAAnd3-KeyTripleDES-CBC", "-v2 aes-256-cbc"}},
		{"PKCS#12 scheme with damaged parameters", encryptedPKCS8PEM(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}, 7, make([]byte, 32)),
			ErrCorrupt, []string{"pbeWithSHAAnd3-KeyTripleDES-CBC", "damaged"}},
		{"PKCS#12 scheme with data cut inside a block", encryptedPKCS8PEM(t, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}, params, make([]byte, 31)),
			ErrCorrupt, []string{"truncated or damaged"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, pass := range [][]byte{nil, testPassphrase} {
				_, err := ParseWithPassphrase(tt.input, pass)
				if !errors.Is(err, tt.is) {
					t.Fatalf("err = %v, want %v", err, tt.is)
				}
				var fe *FormatError
				if !errors.As(err, &fe) || fe.Format != FormatPKCS8 {
					t.Errorf("want a PKCS#8 *FormatError, got %#v", err)
				}
				for _, m := range tt.mention {
					checkMessage(t, err, m)
				}
				checkNoJargon(t, err)
			}
		})
	}
}

// TestRC4WrongPassphrase: RC4 has no padding, so a wrong passphrase is
// recognised by the result not being a key, and reported as such.
func TestRC4WrongPassphrase(t *testing.T) {
	for _, name := range []string{"pkcs8_ecdsa256_pbe_sha1_rc4_128.key", "pkcs8_ecdsa256_pbe_sha1_rc4_40.key", "pkcs8_rsa2048_pbe_sha1_rc4_128.key"} {
		_, err := ParseWithPassphrase(readFixture(t, name), []byte("wrong horse"))
		if !errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want only ErrWrongPassphrase", name, err)
		}
	}
}

// checkNoJargon fails when a message carries a library's words instead of ours.
func checkNoJargon(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if m := jargon.FindString(msg); m != "" {
		t.Errorf("message shows library jargon %q: %s", m, msg)
	}
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("message is not one line: %q", msg)
	}
}
