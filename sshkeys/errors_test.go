package sshkeys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// fixtureFingerprint returns what the real tool printed for a fixture.
func fixtureFingerprint(t *testing.T, name string) string {
	t.Helper()
	for _, fx := range loadFixtures(t) {
		if fx.file == name {
			return fx.fingerprint
		}
	}
	t.Fatalf("%s is not in fingerprints.txt", name)
	return ""
}

// TestBadInputs: each kind of bad input gets its own typed error and a
// one-line message that says what to do next.
func TestBadInputs(t *testing.T) {
	openssh := string(readFixture(t, "openssh_ed25519.key"))
	lines := strings.Split(strings.TrimSpace(openssh), "\n")

	tests := []struct {
		name    string
		input   []byte
		pass    []byte
		is      error  // errors.Is target
		mention string // the message must contain this (case-insensitive)
		check   func(t *testing.T, err error)
	}{
		{name: "empty", input: nil, is: ErrEmpty, mention: "paste the private key"},
		{name: "only blank lines", input: []byte(" \r\n\t\n\n"), is: ErrEmpty, mention: "paste the private key"},
		{name: "too large", input: bytes.Repeat([]byte("A"), MaxInputSize+1), is: ErrTooLarge, mention: "private key file itself"},
		{name: "garbage", input: []byte("hello, this is not a key\nat all\n"), is: ErrNotAKey, mention: "give the private key file",
			check: func(t *testing.T, err error) {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Errorf("want *FormatError, got %T", err)
				}
			}},
		{name: "binary garbage", input: []byte{0, 1, 2, 0xff, 0xfe, '\n', 0x80}, is: ErrNotAKey, mention: "private key"},
		{name: "truncated: END line missing", input: []byte(strings.Join(lines[:len(lines)/2], "\n")), is: ErrCorrupt, mention: "truncated",
			check: func(t *testing.T, err error) {
				var fe *FormatError
				if !errors.As(err, &fe) || fe.Format != FormatOpenSSH {
					t.Errorf("want *FormatError for openssh, got %#v", err)
				}
			}},
		{name: "truncated: middle lines missing", input: []byte(strings.Join(append(lines[:2:2], lines[len(lines)-1]), "\n")), is: ErrCorrupt, mention: "copy the whole key file again"},
		{name: "bad base64", input: []byte(strings.Replace(openssh, lines[2][:10], "!!!!!!!!!!", 1)), is: ErrCorrupt, mention: "base64"},
		{name: "END does not match BEGIN", input: []byte(strings.Replace(openssh, "-----END OPENSSH", "-----END RSA", 1)), is: ErrCorrupt, mention: "END"},
		{name: "wrong passphrase", input: readFixture(t, "openssh_ed25519_enc.key"), pass: []byte("not it"), is: ErrWrongPassphrase, mention: "type the passphrase again",
			check: func(t *testing.T, err error) {
				if errors.Is(err, ErrCorrupt) {
					t.Error("a wrong passphrase must not look like corruption")
				}
			}},
		{name: "wrong passphrase on legacy PEM", input: readFixture(t, "pem_ecdsa256_openssl_aes256.key"), pass: []byte("not it"), is: ErrWrongPassphrase, mention: "passphrase"},
		{name: "wrong passphrase on PPK", input: readFixture(t, "ppk2_ecdsa256_enc.ppk"), pass: []byte("not it"), is: ErrWrongPassphrase, mention: "passphrase"},
		{name: "passphrase missing", input: readFixture(t, "openssh_rsa2048_enc.key"), is: ErrPassphraseNeeded, mention: "enter the passphrase",
			check: func(t *testing.T, err error) {
				var pm *PassphraseMissingError
				if !errors.As(err, &pm) || pm.Key.Fingerprint != fixtureFingerprint(t, "openssh_rsa2048_enc.key") {
					t.Errorf("want the fingerprint before the passphrase, got %v", err)
				}
				if !strings.Contains(err.Error(), pm.Key.Fingerprint) {
					t.Error("the message should show the fingerprint")
				}
			}},
		{name: "empty passphrase is a missing passphrase", input: readFixture(t, "ppk3_ed25519_argon2id.ppk"), pass: []byte{}, is: ErrPassphraseNeeded, mention: "passphrase"},
		{name: "Ed448", input: readFixture(t, "unsupported_ed448.pem"), is: ErrUnsupported, mention: "gitjira key generate",
			check: wantUnsupported("Ed448")},
		{name: "Ed448 encrypted, with passphrase", input: readFixture(t, "unsupported_ed448_enc.pem"), pass: testPassphrase, is: ErrUnsupported, mention: "ssh-keygen -t ed25519",
			check: wantUnsupported("Ed448")},
		{name: "Ed448 PuTTY key", input: readFixture(t, "unsupported_ed448.ppk"), is: ErrUnsupported, mention: "gitjira key generate",
			check: wantUnsupported("Ed448")},
		{name: "Ed448 public key", input: []byte("ssh-ed448 AAAACXNzaC1lZDQ0OAAAADk= me\n"), is: ErrNotAKey, mention: "without .pub"},
		{name: "X25519", input: readFixture(t, "unsupported_x25519.pem"), is: ErrUnsupported, mention: "gitjira key generate", check: wantUnsupported("X25519")},
		{name: "X448", input: readFixture(t, "unsupported_x448.pem"), is: ErrUnsupported, mention: "gitjira key generate", check: wantUnsupported("X448")},
		{name: "certificate", input: readFixture(t, "public_ed25519-cert.pub"), is: ErrNotAKey, mention: "without .pub",
			check: wantPublic("certificate", fixtureFingerprint(t, "openssh_ed25519.key"))},
		{name: "SSH2 public key", input: readFixture(t, "public_rfc4716.pub"), is: ErrNotAKey, mention: "private key",
			check: wantPublic("RFC 4716", fixtureFingerprint(t, "openssh_rsa2048.key"))},
		{name: "PuTTY public key", input: readFixture(t, "public_putty_ed25519.pub"), is: ErrNotAKey, mention: "without .pub",
			check: wantPublic("PuTTYgen", fixtureFingerprint(t, "openssh_ed25519.key"))},
		{name: ".pub file", input: readFixture(t, "public_ed25519.pub"), is: ErrNotAKey, mention: "without .pub",
			check: wantPublic("OpenSSH public key ssh-ed25519", fixtureFingerprint(t, "openssh_ed25519.key"))},
		{name: "authorized_keys line with options", input: readFixture(t, "public_authorized_keys_options.txt"), is: ErrNotAKey, mention: "without .pub",
			check: wantPublic("OpenSSH public key ecdsa", fixtureFingerprint(t, "openssh_ecdsa256.key"))},
		{name: "PEM PUBLIC KEY", input: readFixture(t, "public_pem_pkcs8.pem"), is: ErrNotAKey, mention: "private key",
			check: wantPublic("PEM PUBLIC KEY", fixtureFingerprint(t, "openssh_ecdsa256.key"))},
		{name: "PEM RSA PUBLIC KEY", input: readFixture(t, "public_pem_pkcs1.pem"), is: ErrNotAKey, mention: "private key",
			check: wantPublic("RSA PUBLIC KEY", fixtureFingerprint(t, "openssh_rsa2048.key"))},
		{name: "ssh-dss public key", input: []byte(dsaAuthorizedKey(t)), is: ErrNotAKey, mention: "without .pub",
			check: wantPublic("ssh-dss", fixtureFingerprint(t, "openssh_dsa.key"))},
		{name: "X.509 certificate", input: selfSignedCert(t), is: ErrNotAKey, mention: "SSH private key"},
		{name: "unknown PEM block", input: []byte("-----BEGIN FOO BAR-----\nAAAA\n-----END FOO BAR-----\n"), is: ErrNotAKey, mention: "FOO BAR"},
		{name: "PPK with a changed comment (bad MAC)", input: bytes.Replace(readFixture(t, "ppk3_ed25519.ppk"), []byte("Comment: gitjira"), []byte("Comment: GITJIRA"), 1),
			is: ErrCorrupt, mention: "MAC"},
		{name: "PPK v2 with a changed comment (bad MAC)", input: bytes.Replace(readFixture(t, "ppk2_rsa2048.ppk"), []byte("Comment: gitjira"), []byte("Comment: GITJIRA"), 1),
			is: ErrCorrupt, mention: "MAC"},
		{name: "PPK truncated", input: readFixture(t, "ppk3_rsa2048.ppk")[:400], is: ErrCorrupt, mention: "truncated"},
		{name: "PPK asking 1 GiB of Argon2 memory", input: bytes.Replace(readFixture(t, "ppk3_ed25519_argon2id.ppk"), []byte("Argon2-Memory: 8192"), []byte("Argon2-Memory: 1048576"), 1),
			is: ErrUnsupported, mention: "default key derivation settings"},
		{name: "PPK asking a million passes", input: bytes.Replace(readFixture(t, "ppk3_ed25519_argon2id.ppk"), []byte("Argon2-Passes: "), []byte("Argon2-Passes: 1000"), 1),
			is: ErrUnsupported, mention: "gitjira allows"},
		{name: "PPK version 1", input: []byte("PuTTY-User-Key-File-1: ssh-rsa\nEncryption: none\n"), is: ErrUnsupported, mention: "save the private key again"},
		{name: "OpenSSH asking a million bcrypt rounds", input: opensshWithRounds(t, 1<<20), pass: testPassphrase, is: ErrUnsupported, mention: "ssh-keygen -p -a 100"},
		{name: "hardware security key (sk-ssh-ed25519)", input: skKey(t), is: ErrUnsupported, mention: "ssh-keygen -t ed25519",
			check: wantUnsupported("Hardware security key")},
		{name: "ssh.com private key", input: []byte("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nAAAA\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n"), is: ErrUnsupported, mention: "puttygen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				k   *Key
				err error
			)
			if tt.pass != nil {
				k, err = ParseWithPassphrase(tt.input, tt.pass)
			} else {
				k, err = Parse(tt.input)
			}
			if err == nil {
				t.Fatalf("no error, got a %s key", k.Type)
			}
			if k != nil {
				t.Error("a key was returned with the error")
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			t.Log(err)
			checkMessage(t, err, tt.mention)
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func wantUnsupported(typ string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ue *UnsupportedKeyError
		if !errors.As(err, &ue) || !strings.HasPrefix(ue.Type, typ) {
			t.Errorf("want *UnsupportedKeyError{Type: %q...}, got %#v", typ, err)
		}
		if !strings.Contains(err.Error(), typ) {
			t.Errorf("message does not name %s: %q", typ, err)
		}
	}
}

func wantPublic(kind, fingerprint string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var pe *PublicKeyGivenError
		if !errors.As(err, &pe) {
			t.Fatalf("want *PublicKeyGivenError, got %#v", err)
		}
		if !strings.Contains(pe.Kind, kind) {
			t.Errorf("Kind = %q, want it to mention %q", pe.Kind, kind)
		}
		if pe.Fingerprint != fingerprint {
			t.Errorf("Fingerprint = %q, want %q", pe.Fingerprint, fingerprint)
		}
		if !strings.Contains(err.Error(), "public key") || !strings.Contains(err.Error(), fingerprint) {
			t.Errorf("message %q should say public key and show %s", err, fingerprint)
		}
	}
}

// dsaAuthorizedKey is the public line of the DSA fixture (x/crypto cannot
// marshal ssh-dss any more, so gen.sh does not keep a .pub for it).
func dsaAuthorizedKey(t *testing.T) string {
	k, err := Parse(readFixture(t, "openssh_dsa.key"))
	if err != nil {
		t.Fatal(err)
	}
	return k.AuthorizedKey + "\n"
}

func selfSignedCert(t *testing.T) []byte {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gitjira test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// opensshWithRounds rewrites the bcrypt rounds of an encrypted fixture.
func opensshWithRounds(t *testing.T, rounds uint32) []byte {
	block, _ := pem.Decode(readFixture(t, "openssh_ed25519_enc.key"))
	if block == nil {
		t.Fatal("fixture does not decode")
	}
	b := block.Bytes
	r := &wire{b: b[len(opensshMagic):]}
	r.str() // cipher
	r.str() // kdf
	opts := r.bytes()
	kr := &wire{b: opts}
	kr.bytes() // salt
	if r.err != nil || kr.err != nil {
		t.Fatal("fixture does not parse")
	}
	off := len(b) - len(r.b) - len(opts) + (len(opts) - 4) // rounds are the last 4 bytes of the options
	binary.BigEndian.PutUint32(b[off:], rounds)
	return pem.EncodeToMemory(block)
}

// skKey builds an unencrypted OpenSSH file for a security-key (FIDO) key:
// ssh-keygen needs a token to make one, and only the public part matters here.
func skKey(t *testing.T) []byte {
	const typ = "sk-ssh-ed25519@openssh.com"
	pub := appendString(nil, []byte(typ))
	pub = appendString(pub, make([]byte, 32))
	pub = appendString(pub, []byte("ssh:"))
	priv := binary.BigEndian.AppendUint32(nil, 7)
	priv = binary.BigEndian.AppendUint32(priv, 7)
	priv = appendString(priv, []byte(typ))
	b := []byte(opensshMagic)
	b = appendString(b, []byte("none"))
	b = appendString(b, []byte("none"))
	b = appendString(b, nil)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = appendString(b, pub)
	b = appendString(b, priv)
	return pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: b})
}
