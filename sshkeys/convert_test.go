package sshkeys

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/dsa" //nolint:staticcheck // a DSA key must be refused by Convert.
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/pbkdf2"
	"golang.org/x/crypto/ssh"
)

// testPrivateKeys makes one key of each type once per test binary (RSA 2048
// keeps the tests quick; sizes do not change the encodings).
var testPrivateKeys = sync.OnceValue(func() map[string]crypto.PrivateKey {
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	keys := map[string]crypto.PrivateKey{"ed25519": ed, "rsa": r}
	for name, c := range map[string]elliptic.Curve{"ecdsa256": elliptic.P256(), "ecdsa384": elliptic.P384(), "ecdsa521": elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		keys[name] = k
	}
	return keys
})

// decryptedKey wraps a raw private key the way Parse returns a decrypted key.
func decryptedKey(t testing.TB, priv crypto.PrivateKey, comment string) *Key {
	t.Helper()
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Private: priv, PublicKey: signer.PublicKey(), Signer: signer, Type: signer.PublicKey().Type(),
		Comment: comment, Fingerprint: Fingerprint(signer.PublicKey())}
}

func publicOf(t testing.TB, priv crypto.PrivateKey) ssh.PublicKey {
	t.Helper()
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s.PublicKey()
}

// TestConvertPEMBlockTypes checks which PEM block each key type and target
// gives: "pem" picks PKCS#1/SEC1/PKCS#8 by type, explicit flavours refuse
// the wrong type, and any passphrase gives encrypted PKCS#8.
func TestConvertPEMBlockTypes(t *testing.T) {
	keys := testPrivateKeys()
	tests := []struct {
		key       string
		to        Format
		pass      string
		wantBlock string
		wantErr   error
	}{
		{"rsa", FormatPEM, "", "RSA PRIVATE KEY", nil},
		{"ecdsa256", FormatPEM, "", "EC PRIVATE KEY", nil},
		{"ecdsa384", FormatPEM, "", "EC PRIVATE KEY", nil},
		{"ecdsa521", FormatPEM, "", "EC PRIVATE KEY", nil},
		{"ed25519", FormatPEM, "", "PRIVATE KEY", nil},
		{"rsa", FormatPKCS1, "", "RSA PRIVATE KEY", nil},
		{"rsa", FormatPKCS8, "", "PRIVATE KEY", nil},
		{"ecdsa256", FormatSEC1, "", "EC PRIVATE KEY", nil},
		{"ecdsa256", FormatPKCS8, "", "PRIVATE KEY", nil},
		{"ed25519", FormatPKCS8, "", "PRIVATE KEY", nil},
		{"rsa", FormatPEM, "pass word", "ENCRYPTED PRIVATE KEY", nil},
		{"ecdsa521", FormatPEM, "pass word", "ENCRYPTED PRIVATE KEY", nil},
		{"ed25519", FormatPEM, "pass word", "ENCRYPTED PRIVATE KEY", nil},
		{"rsa", FormatPKCS1, "pass word", "ENCRYPTED PRIVATE KEY", nil},
		{"ecdsa256", FormatSEC1, "pass word", "ENCRYPTED PRIVATE KEY", nil},
		{"rsa", FormatOpenSSH, "", "OPENSSH PRIVATE KEY", nil},
		{"ed25519", FormatOpenSSH, "pass word", "OPENSSH PRIVATE KEY", nil},
		{"ecdsa256", FormatPKCS1, "", "", ErrUnsupported},
		{"ed25519", FormatPKCS1, "", "", ErrUnsupported},
		{"rsa", FormatSEC1, "", "", ErrUnsupported},
		{"ed25519", FormatSEC1, "", "", ErrUnsupported},
		{"rsa", FormatPPKv2, "", "", ErrUnsupported},
		{"rsa", Format("der"), "", "", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+string(tt.to)+"/"+tt.pass, func(t *testing.T) {
			var pass []byte
			if tt.pass != "" {
				pass = []byte(tt.pass)
			}
			out, err := Convert(decryptedKey(t, keys[tt.key], "c"), tt.to, pass)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("message is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			block, rest := pem.Decode(out)
			if block == nil || len(bytes.TrimSpace(rest)) != 0 {
				t.Fatalf("not a single PEM block:\n%s", out)
			}
			if block.Type != tt.wantBlock {
				t.Errorf("block type %q, want %q", block.Type, tt.wantBlock)
			}
			if len(block.Headers) != 0 {
				t.Errorf("legacy PEM headers written: %v", block.Headers)
			}
			if tt.pass != "" && bytes.Contains(out, pass) {
				t.Errorf("output contains the passphrase")
			}
			// Unencrypted PEM must hold the same key, checked with the standard library.
			var got crypto.PrivateKey
			switch block.Type {
			case "RSA PRIVATE KEY":
				got, err = x509.ParsePKCS1PrivateKey(block.Bytes)
			case "EC PRIVATE KEY":
				got, err = x509.ParseECPrivateKey(block.Bytes)
			case "PRIVATE KEY":
				got, err = x509.ParsePKCS8PrivateKey(block.Bytes)
			case "ENCRYPTED PRIVATE KEY":
				got, err = decryptPBES2ForTest(block.Bytes, pass)
			default:
				return // OpenSSH: read back in the round-trip tests
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(publicOf(t, got).Marshal(), publicOf(t, keys[tt.key]).Marshal()) {
				t.Errorf("the PEM holds another key")
			}
		})
	}
}

// decryptPBES2ForTest decrypts an EncryptedPrivateKeyInfo independently of
// the package's parser, checking that exactly the promised algorithms
// (PBES2, PBKDF2-HMAC-SHA256 with PKCS8Iterations, AES-256-CBC) were written.
func decryptPBES2ForTest(der, pass []byte) (crypto.PrivateKey, error) {
	var info struct {
		Algo struct {
			OID    asn1.ObjectIdentifier
			Params struct {
				KDF struct {
					OID    asn1.ObjectIdentifier
					Params struct {
						Salt  []byte
						Iter  int
						KeyLn int `asn1:"optional"`
						PRF   struct {
							OID  asn1.ObjectIdentifier
							Null asn1.RawValue `asn1:"optional"`
						}
					}
				}
				Enc struct {
					OID asn1.ObjectIdentifier
					IV  []byte
				}
			}
		}
		Data []byte
	}
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil {
		return nil, err
	}
	p := info.Algo.Params
	switch {
	case len(rest) != 0:
		return nil, errors.New("trailing data")
	case !info.Algo.OID.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}):
		return nil, errors.New("not PBES2")
	case !p.KDF.OID.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}):
		return nil, errors.New("not PBKDF2")
	case !p.KDF.Params.PRF.OID.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}):
		return nil, errors.New("PRF is not HMAC-SHA256")
	case p.KDF.Params.Iter != PKCS8Iterations:
		return nil, errors.New("unexpected iteration count")
	case len(p.KDF.Params.Salt) < 16:
		return nil, errors.New("salt shorter than 16 bytes")
	case !p.Enc.OID.Equal(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}):
		return nil, errors.New("cipher is not AES-256-CBC")
	case len(p.Enc.IV) != aes.BlockSize || len(info.Data)%aes.BlockSize != 0 || len(info.Data) == 0:
		return nil, errors.New("bad IV or data length")
	}
	key := pbkdf2.Key(pass, p.KDF.Params.Salt, p.KDF.Params.Iter, 32, sha256.New)
	block, _ := aes.NewCipher(key)
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, p.Enc.IV).CryptBlocks(plain, info.Data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("bad padding (wrong passphrase?)")
	}
	return x509.ParsePKCS8PrivateKey(plain[:len(plain)-pad])
}

// TestConvertEncryptedPKCS8IsSalted: two encryptions of one key differ (fresh salt and IV).
func TestConvertEncryptedPKCS8IsSalted(t *testing.T) {
	k := decryptedKey(t, testPrivateKeys()["ed25519"], "")
	a, err := Convert(k, FormatPEM, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Convert(k, FormatPEM, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two encryptions are identical: salt or IV is not random")
	}
	ba, _ := pem.Decode(a)
	if _, err := decryptPBES2ForTest(ba.Bytes, []byte("wrong")); err == nil {
		t.Error("a wrong passphrase decrypted the key")
	}
}

// TestConvertNotDecrypted: a key whose private half is unknown says a passphrase is needed.
func TestConvertNotDecrypted(t *testing.T) {
	k := decryptedKey(t, testPrivateKeys()["ed25519"], "")
	k.Private, k.Signer, k.Encrypted = nil, nil, true
	for _, to := range []Format{FormatOpenSSH, FormatPEM, FormatPPKv3} {
		_, err := Convert(k, to, nil)
		if !errors.Is(err, ErrPassphraseNeeded) || !strings.Contains(err.Error(), "passphrase") {
			t.Errorf("%s: err = %v, want ErrPassphraseNeeded", to, err)
		}
	}
	if _, err := Convert(nil, FormatOpenSSH, nil); err == nil {
		t.Error("nil key converted")
	}
}

// TestConvertRefusesDSA: servers refuse ssh-dss, so gitjira does not write it.
func TestConvertRefusesDSA(t *testing.T) {
	var k dsa.PrivateKey
	if err := dsa.GenerateParameters(&k.Parameters, rand.Reader, dsa.L1024N160); err != nil {
		t.Fatal(err)
	}
	if err := dsa.GenerateKey(&k, rand.Reader); err != nil {
		t.Fatal(err)
	}
	for _, to := range []Format{FormatOpenSSH, FormatPEM, FormatPPKv3} {
		_, err := Convert(&Key{Private: &k, Type: "ssh-dss"}, to, nil)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "gitjira key generate") {
			t.Errorf("%s: err = %v, want ErrUnsupported naming the generate command", to, err)
		}
	}
}

// TestConvertEd25519Pointer: x/crypto hands out *ed25519.PrivateKey for
// OpenSSH files; Convert takes it like the value form.
func TestConvertEd25519Pointer(t *testing.T) {
	ed := testPrivateKeys()["ed25519"].(ed25519.PrivateKey)
	k := decryptedKey(t, ed, "x")
	k.Private = &ed
	for _, to := range []Format{FormatOpenSSH, FormatPEM} {
		out, err := Convert(k, to, nil)
		if err != nil {
			t.Fatalf("%s: %v", to, err)
		}
		got, err := ssh.ParseRawPrivateKey(out)
		if err != nil {
			t.Fatalf("%s: %v", to, err)
		}
		if !bytes.Equal(publicOf(t, got).Marshal(), k.PublicKey.Marshal()) {
			t.Errorf("%s: another key came out", to)
		}
	}
}

// TestConvertOpenSSHKeepsCommentAndPassphrase reads the OpenSSH output back with our Parse.
func TestConvertOpenSSHKeepsCommentAndPassphrase(t *testing.T) {
	for name, priv := range testPrivateKeys() {
		t.Run(name, func(t *testing.T) {
			k := decryptedKey(t, priv, "alice@example.org")
			plain, err := Convert(k, FormatOpenSSH, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(plain)
			if err != nil {
				t.Fatal(err)
			}
			if got.Comment != "alice@example.org" || got.Fingerprint != k.Fingerprint || got.Encrypted {
				t.Errorf("plain: comment %q fingerprint %s encrypted %v", got.Comment, got.Fingerprint, got.Encrypted)
			}
			if name != "ed25519" {
				return // encryption does not depend on the key type; one is enough (bcrypt is slow)
			}
			enc, err := Convert(k, FormatOpenSSH, []byte("s3cret pass"))
			if err != nil {
				t.Fatal(err)
			}
			var pme *PassphraseMissingError
			if _, err := Parse(enc); !errors.As(err, &pme) {
				t.Fatalf("encrypted output parsed without a passphrase: %v", err)
			}
			if _, err := ParseWithPassphrase(enc, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("wrong passphrase: %v", err)
			}
			got, err = ParseWithPassphrase(enc, []byte("s3cret pass"))
			if err != nil {
				t.Fatal(err)
			}
			if got.Comment != "alice@example.org" || got.Fingerprint != k.Fingerprint || !got.Encrypted {
				t.Errorf("encrypted: comment %q fingerprint %s encrypted %v", got.Comment, got.Fingerprint, got.Encrypted)
			}
		})
	}
}

// TestConvertEmptyPassphraseMeansNone: an empty (not nil) passphrase writes a plain file.
func TestConvertEmptyPassphraseMeansNone(t *testing.T) {
	k := decryptedKey(t, testPrivateKeys()["ecdsa256"], "")
	for _, to := range []Format{FormatOpenSSH, FormatPEM, FormatPPKv3} {
		out, err := Convert(k, to, []byte{})
		if err != nil {
			t.Fatalf("%s: %v", to, err)
		}
		got, err := Parse(out)
		if err != nil {
			t.Fatalf("%s: empty passphrase gave an encrypted or unreadable file: %v", to, err)
		}
		if got.Encrypted {
			t.Errorf("%s: reported encrypted", to)
		}
	}
}
