package sshkeys

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// pasteDamage are the ways a key gets mangled on its way through a
// clipboard, a chat window or a web form.
var pasteDamage = []struct {
	name string
	f    func(string) string
}{
	{"as written", func(s string) string { return s }},
	{"CRLF", func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }},
	{"CR only", func(s string) string { return strings.ReplaceAll(s, "\n", "\r") }},
	{"indented", func(s string) string {
		return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  \t  ") + "\n"
	}},
	{"blank lines and spaces around", func(s string) string { return "\n\n   \n  " + s + "   \n\n \t\n" }},
	{"no final newline", func(s string) string { return strings.TrimRight(s, "\n") }},
	{"BOM", func(s string) string { return "\ufeff" + s }},
	{"trailing spaces on lines", func(s string) string { return strings.ReplaceAll(s, "\n", "  \n") }},
	{"blank line between every line", func(s string) string { return strings.ReplaceAll(s, "\n", "\n\n") }},
}

// pemOnlyDamage applies to PEM/OpenSSH text only: a PPK keeps its lines.
var pemOnlyDamage = []struct {
	name string
	f    func(string) string
}{
	{"one long line with spaces", func(s string) string { return strings.Join(strings.Fields(s), " ") }},
	{"body on one line", func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		var head, body []string
		for _, l := range lines[1 : len(lines)-1] {
			if strings.Contains(l, ":") || l == "" {
				head = append(head, l)
			} else {
				body = append(body, l)
			}
		}
		return strings.Join(append(append([]string{lines[0]}, head...), strings.Join(body, ""), lines[len(lines)-1]), "\n")
	}},
	{"JSON-escaped line breaks", func(s string) string { return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"` }},
	{"CRLF, indented, one line", func(s string) string { return "\r\n   " + strings.Join(strings.Fields(s), " ") + "\r\n" }},
	{"spaces instead of newlines, no space after BEGIN", func(s string) string {
		return strings.Replace(strings.Join(strings.Fields(s), " "), "----- ", "-----", 1)
	}},
}

// TestNormalizePastes: every mangled paste of a fixture still parses to the
// fingerprint the real tool printed.
func TestNormalizePastes(t *testing.T) {
	files := []string{
		"openssh_ed25519.key", "openssh_rsa2048.key", "pem_rsa2048_openssl.key",
		"pem_ecdsa256_openssl_aes256.key", "pem_ecdsa256_ecparam.key", "pkcs8_ed25519_openssl.key",
		"pkcs8_ecdsa256_pbes2_aes128_sha256.key", "ppk3_ecdsa256.ppk", "ppk2_ed25519_enc.ppk",
	}
	want := map[string]fixture{}
	for _, fx := range loadFixtures(t) {
		want[fx.file] = fx
	}
	for _, name := range files {
		fx := want[name]
		orig := string(readFixture(t, name))
		damage := pasteDamage
		if !strings.HasSuffix(name, ".ppk") {
			damage = append(damage[:len(damage):len(damage)], pemOnlyDamage...)
		}
		for _, d := range damage {
			t.Run(name+"/"+d.name, func(t *testing.T) {
				in := []byte(d.f(orig))
				k, err := ParseWithPassphrase(in, testPassphrase)
				if err != nil {
					t.Fatalf("%v\ninput:\n%q", err, in)
				}
				if k.Fingerprint != fx.fingerprint {
					t.Errorf("fingerprint %s, want %s", k.Fingerprint, fx.fingerprint)
				}
				n1, err := Normalize(in)
				if err != nil {
					t.Fatal(err)
				}
				n2, err := Normalize(n1)
				if err != nil || !bytes.Equal(n1, n2) {
					t.Errorf("Normalize is not idempotent:\n%q\n%q", n1, n2)
				}
				if !bytes.HasSuffix(n1, []byte("\n")) || bytes.Contains(n1, []byte("\r")) {
					t.Errorf("normalized text has CR or no final newline: %q", n1)
				}
			})
		}
	}
}

func TestNormalizeKeepsPEMHeaders(t *testing.T) {
	in := readFixture(t, "pem_rsa2048_openssl_des3.key")
	flat := strings.Join(strings.Fields(string(in)), " ")
	out, err := Normalize([]byte(flat))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	if lines[1] != "Proc-Type: 4,ENCRYPTED" || !strings.HasPrefix(lines[2], "DEK-Info: DES-EDE3-CBC,") || lines[3] != "" {
		t.Errorf("headers not restored:\n%s", out)
	}
	for _, l := range lines[4:] {
		if len(l) > pemLineLen {
			t.Errorf("line longer than %d: %q", pemLineLen, l)
		}
	}
}

func TestNormalizeLimits(t *testing.T) {
	if _, err := Normalize(bytes.Repeat([]byte(" "), MaxInputSize)); !errors.Is(err, ErrEmpty) {
		t.Errorf("exactly 1 MiB of spaces: got %v, want ErrEmpty (at the limit is not too large)", err)
	}
	if _, err := Normalize(make([]byte, MaxInputSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1 MiB + 1: got %v, want ErrTooLarge", err)
	}
	for _, in := range []string{"", " ", "\r\n\r\n", "\t\n \n"} {
		if _, err := Normalize([]byte(in)); !errors.Is(err, ErrEmpty) {
			t.Errorf("Normalize(%q) = %v, want ErrEmpty", in, err)
		}
	}
}

// A comment ending in spaces is covered by the PPK MAC and must survive.
func TestNormalizePPKCommentSpaces(t *testing.T) {
	in := "PuTTY-User-Key-File-3: ssh-ed25519\r\nComment: two spaces  \r\n  Public-Lines: 1  \r\n"
	out, err := Normalize([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := "PuTTY-User-Key-File-3: ssh-ed25519\nComment: two spaces  \nPublic-Lines: 1\n"
	if string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}
