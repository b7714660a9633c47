package sshkeys

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// testPassphrase is the passphrase testdata/gen.sh gives every encrypted fixture.
var testPassphrase = []byte("correct horse")

// fixture is one line of testdata/fingerprints.txt, written by gen.sh from
// what ssh-keygen -l / puttygen -l printed.
type fixture struct {
	file        string
	format      Format
	encrypted   bool
	typ         string
	bits        int
	fingerprint string
	tool        string
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	fh, err := os.Open(filepath.Join("testdata", "fingerprints.txt"))
	if err != nil {
		t.Fatalf("open fingerprints.txt: %v (run sshkeys/testdata/gen.sh)", err)
	}
	defer fh.Close()
	var out []fixture
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 7 {
			t.Fatalf("fingerprints.txt: bad line %q", sc.Text())
		}
		bits, err := strconv.Atoi(f[4])
		if err != nil {
			t.Fatalf("fingerprints.txt: bad bits in %q", sc.Text())
		}
		out = append(out, fixture{f[0], Format(f[1]), f[2] == "yes", f[3], bits, f[5], f[6]})
	}
	if len(out) < 60 {
		t.Fatalf("fingerprints.txt has only %d fixtures", len(out))
	}
	return out
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameWrongPassphraseCheck lists encrypted fixtures whose wrong-passphrase
// detection is the same code path as another fixture's (same format, cipher
// and KDF), skipped to keep the bcrypt work of the test down.
var sameWrongPassphraseCheck = map[string]bool{
	"openssh_rsa2048_enc.key":               true,
	"openssh_ecdsa256_enc.key":              true,
	"openssh_ed25519_rounds100.key":         true,
	"openssh_rsa2048_chacha20-poly1305.key": true,
	"openssh_ecdsa384_aes256-gcm.key":       true,
	"openssh_ecdsa256_aes192-ctr.key":       true, // as aes128-ctr
	"openssh_ecdsa256_aes128-cbc.key":       true, // as aes256-cbc
	"openssh_ecdsa256_aes192-cbc.key":       true,
	"openssh_ecdsa256_aes128-gcm.key":       true, // as aes256-gcm
	"openssh_rsa2048_3des-cbc.key":          true, // as openssh_ed25519_3des-cbc.key
}

// TestParseFixtures reads every key the real tools made and compares what
// we report with what they printed.
func TestParseFixtures(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		t.Run(fx.file, func(t *testing.T) {
			t.Parallel() // the key derivations are CPU-bound: use both cores
			raw := readFixture(t, fx.file)
			wantBits := fx.bits
			if fx.tool == "puttygen" && fx.typ == ssh.KeyAlgoED25519 {
				wantBits = 256 // puttygen says 255, ssh-keygen and we say 256
			}

			k, err := Parse(raw)
			if fx.encrypted {
				var pm *PassphraseMissingError
				if !errors.As(err, &pm) || !errors.Is(err, ErrPassphraseNeeded) {
					t.Fatalf("Parse: got %v, want *PassphraseMissingError", err)
				}
				if k != nil {
					t.Fatal("Parse returned a key with the error")
				}
				if pm.Key == nil || pm.Key.Format != fx.format || !pm.Key.Encrypted {
					t.Fatalf("PassphraseMissingError.Key = %+v", pm.Key)
				}
				// OpenSSH and PPK carry the public half in the clear.
				if fx.format == FormatOpenSSH || fx.format == FormatPPKv2 || fx.format == FormatPPKv3 {
					if pm.Key.Fingerprint != fx.fingerprint || pm.Key.Type != fx.typ || pm.Key.Bits != wantBits || pm.Key.PublicKey == nil {
						t.Errorf("before decryption: %s %s %d, want %s %s %d", pm.Key.Type, pm.Key.Fingerprint, pm.Key.Bits, fx.typ, fx.fingerprint, wantBits)
					}
					if !strings.HasPrefix(pm.Key.AuthorizedKey, fx.typ+" AAAA") {
						t.Errorf("AuthorizedKey before decryption = %q", pm.Key.AuthorizedKey)
					}
				}
				checkMessage(t, err, "passphrase")

				if !sameWrongPassphraseCheck[fx.file] {
					_, err = ParseWithPassphrase(raw, []byte("wrong horse"))
					if !errors.Is(err, ErrWrongPassphrase) {
						t.Fatalf("wrong passphrase: got %v, want ErrWrongPassphrase", err)
					}
					checkMessage(t, err, "passphrase")
				}
				k, err = ParseWithPassphrase(raw, testPassphrase)
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if k.Format != fx.format || k.Encrypted != fx.encrypted || k.Type != fx.typ || k.Bits != wantBits || k.Fingerprint != fx.fingerprint {
				t.Errorf("got %s enc=%v %s %d %s, want %s enc=%v %s %d %s", k.Format, k.Encrypted, k.Type, k.Bits, k.Fingerprint,
					fx.format, fx.encrypted, fx.typ, wantBits, fx.fingerprint)
			}
			checkUsableKey(t, k)
			if fx.typ == ssh.KeyAlgoDSA && len(k.Warnings) == 0 {
				t.Error("a DSA key must carry a warning that servers refuse it")
			}
			if fx.typ == ssh.KeyAlgoRSA && fx.bits < 2048 && len(k.Warnings) == 0 {
				t.Error("an RSA key under 2048 bits must carry a warning")
			}
			if fx.typ != ssh.KeyAlgoDSA && fx.bits >= 2048 && len(k.Warnings) != 0 {
				t.Errorf("unexpected warnings %q", k.Warnings)
			}
		})
	}
}

// checkUsableKey checks the fields of a decrypted key and that its Signer
// makes signatures its public key verifies (RSA with SHA-2 only).
func checkUsableKey(t *testing.T, k *Key) {
	t.Helper()
	if k.Signer == nil || k.Private == nil || k.PublicKey == nil {
		t.Fatal("decrypted key without Signer/Private/PublicKey")
	}
	if Fingerprint(k.Signer.PublicKey()) != k.Fingerprint {
		t.Error("Signer's public key has another fingerprint")
	}
	// Read the line by hand: x/crypto no longer parses ssh-dss.
	typ, rest, _ := strings.Cut(k.AuthorizedKey, " ")
	b64, comment, _ := strings.Cut(rest, " ")
	blob, err := base64.StdEncoding.DecodeString(b64)
	if typ != k.Type || err != nil || fingerprintBlob(blob) != k.Fingerprint || comment != k.Comment {
		t.Errorf("AuthorizedKey %q does not match the key (%v)", k.AuthorizedKey, err)
	}
	if strings.Contains(k.AuthorizedKey, "\n") {
		t.Error("AuthorizedKey contains a newline")
	}
	data := []byte("gitjira signs this")
	sig, err := k.Signer.Sign(rand.Reader, data)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if k.Type == ssh.KeyAlgoRSA && sig.Format == ssh.KeyAlgoRSA {
		t.Error("RSA signer signed with ssh-rsa (SHA-1)")
	}
	if err := k.PublicKey.Verify(data, sig); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	if k.Type == ssh.KeyAlgoRSA {
		as, ok := k.Signer.(ssh.AlgorithmSigner)
		if !ok {
			t.Fatal("RSA signer is not an AlgorithmSigner")
		}
		if _, err := as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSA); err == nil {
			t.Error("RSA signer agreed to sign with SHA-1")
		}
	}
}

// checkMessage: one line, no passphrase in it, and it mentions want.
func checkMessage(t *testing.T, err error, want string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("message is not one line: %q", msg)
	}
	if strings.Contains(msg, "correct horse") || strings.Contains(msg, "wrong horse") {
		t.Errorf("message contains the passphrase: %q", msg)
	}
	if !strings.Contains(strings.ToLower(msg), strings.ToLower(want)) {
		t.Errorf("message %q does not mention %q", msg, want)
	}
}

// Retrying with the right passphrase after a wrong one works on the same input.
func TestRetryAfterWrongPassphrase(t *testing.T) {
	for _, name := range []string{"openssh_ed25519_enc.key", "pem_rsa2048_openssl_aes128.key", "pkcs8_ecdsa256_pbes2_aes128_sha256.key", "ppk3_ed25519_argon2id.ppk", "ppk2_rsa2048_enc.ppk"} {
		raw := readFixture(t, name)
		orig := bytes.Clone(raw)
		if _, err := ParseWithPassphrase(raw, []byte("nope")); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("%s: wrong passphrase gave %v", name, err)
		}
		if _, err := ParseWithPassphrase(raw, testPassphrase); err != nil {
			t.Fatalf("%s: retry with the right passphrase: %v", name, err)
		}
		if !bytes.Equal(raw, orig) {
			t.Fatalf("%s: parsing changed the caller's input", name)
		}
	}
}
