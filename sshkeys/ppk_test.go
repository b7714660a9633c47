package sshkeys

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needTool fails (never skips) when a real tool the test checks against is
// missing, as the project's test rules require.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run `make deps` (it installs putty-tools, openssh-client and openssl)", name)
	}
	return p
}

// TestEncodePPKv3ReadByPuttygen writes each key type as .ppk v3, plain and
// encrypted, and checks that puttygen reads it back to the same public key
// and that our own parser does too.
func TestEncodePPKv3ReadByPuttygen(t *testing.T) {
	puttygen := needTool(t, "puttygen")
	dir := t.TempDir()
	passFile := filepath.Join(dir, "pass")
	if err := os.WriteFile(passFile, testPassphrase, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"openssh_ed25519.key", "openssh_rsa2048.key", "openssh_ecdsa256.key", "openssh_ecdsa384.key", "openssh_ecdsa521.key"} {
		k, err := Parse(readFixture(t, src))
		if err != nil {
			t.Fatal(err)
		}
		for _, pass := range [][]byte{nil, testPassphrase} {
			if pass != nil && (src == "openssh_ecdsa384.key" || src == "openssh_ecdsa521.key") {
				continue // the encrypted path is the same for every type; Argon2 is slow
			}
			name := strings.TrimSuffix(src, ".key")
			if pass != nil {
				name += "_enc"
			}
			t.Run(name, func(t *testing.T) {
				out, err := encodePPKv3(k, pass)
				if err != nil {
					t.Fatal(err)
				}
				file := filepath.Join(dir, name+".ppk")
				if err := os.WriteFile(file, out, 0o600); err != nil {
					t.Fatal(err)
				}
				args := []string{file, "-O", "public-openssh"}
				if pass != nil {
					args = append(args, "--old-passphrase", passFile)
				}
				cmd := exec.Command(puttygen, args...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				pub, err := cmd.Output()
				if err != nil {
					t.Fatalf("puttygen %v: %v: %s\n%s", args, err, stderr.String(), out)
				}
				if got := strings.TrimSpace(string(pub)); got != k.AuthorizedKey {
					t.Errorf("puttygen read back\n%s\nwant\n%s", got, k.AuthorizedKey)
				}

				back, err := ParseWithPassphrase(out, pass)
				if err != nil {
					t.Fatal(err)
				}
				if back.Format != FormatPPKv3 || back.Encrypted != (pass != nil) || back.Fingerprint != k.Fingerprint || back.Comment != k.Comment {
					t.Errorf("parsed back: %s enc=%v %s %q", back.Format, back.Encrypted, back.Fingerprint, back.Comment)
				}
				if pass != nil {
					if !bytes.Contains(out, []byte("Key-Derivation: Argon2id\nArgon2-Memory: 8192\nArgon2-Passes: 21\nArgon2-Parallelism: 1\n")) {
						t.Errorf("not puttygen's default Argon2 parameters:\n%s", out)
					}
					if _, err := Parse(out); !errors.Is(err, ErrPassphraseNeeded) {
						t.Errorf("encrypted output parsed without passphrase: %v", err)
					}
				} else if !bytes.Contains(out, []byte("Encryption: none\n")) {
					t.Errorf("plain output not marked Encryption: none:\n%s", out)
				}
			})
		}
	}
}

// The same key written twice with a passphrase differs (fresh salt and padding).
func TestEncodePPKv3FreshSalt(t *testing.T) {
	k, err := Parse(readFixture(t, "openssh_ed25519.key"))
	if err != nil {
		t.Fatal(err)
	}
	a, err1 := encodePPKv3(k, testPassphrase)
	b, err2 := encodePPKv3(k, testPassphrase)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if bytes.Equal(a, b) {
		t.Error("two encryptions are identical: the salt is not random")
	}
}

func TestEncodePPKv3NeedsPrivate(t *testing.T) {
	_, err := Parse(readFixture(t, "openssh_ed25519_enc.key"))
	var pm *PassphraseMissingError
	if !errors.As(err, &pm) {
		t.Fatal(err)
	}
	if _, err := encodePPKv3(pm.Key, nil); err == nil {
		t.Error("encodePPKv3 wrote a key it has no private half for")
	}
	if _, err := encodePPKv3(nil, nil); err == nil {
		t.Error("encodePPKv3(nil) did not fail")
	}
}
