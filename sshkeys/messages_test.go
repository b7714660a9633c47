package sshkeys

import (
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// jargon matches what libraries put in their errors and a user cannot act
// on: a Go package prefix ("asn1: ", "x509: ", "ssh: ", "crypto/rsa: "),
// encoding/asn1's and x/crypto's phrases, Go formatting accidents.
var jargon = regexp.MustCompile(`(?i)(\b(asn1|x509|ssh|pem|base64|hex|cipher|crypto/\w+|rsa|ecdsa|ed25519|dsa|elliptic|ecdh|bcrypt|blowfish|argon2|scrypt|pbkdf2|big|strconv|io|os|fs):\s` +
	`|structure error|syntax error|not DER|tags don't match|short read|data truncated|unexpected EOF|illegal base64|invalid padding|non-minimal` +
	`|%!|\bEOF\b|\bnil\b|\*\w+\.\w+|\bParse\w+\b|\bunmarshal)`)

// TestNoLibraryJargon cuts and damages every fixture in the ways a copy
// goes wrong (lines lost at the end, the decoded structure cut short, bytes
// changed) and checks that every answer is one of our one-line messages:
// no "ssh: short read", "asn1: ...", "indefinite length found (not DER)",
// "x509: ..." or "structure error" reaches the user.
func TestNoLibraryJargon(t *testing.T) {
	lowerKDFLimitsT(t)
	names, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	tried := 0
	// passes is what each input of a fixture is parsed with: without a
	// passphrase, and with one when the fixture is encrypted (an
	// unencrypted key ignores it, so that parse would be the same).
	var passes [][]byte
	check := func(name, what string, input []byte) {
		if seen[string(input)] {
			return
		}
		seen[string(input)] = true
		for _, pass := range passes {
			tried++
			k, err := ParseWithPassphrase(input, pass)
			if err == nil {
				if k == nil || k.Signer == nil {
					t.Errorf("%s, %s: no error and no usable key", name, what)
				}
				continue
			}
			if m := jargon.FindString(err.Error()); m != "" {
				t.Errorf("%s, %s: message shows %q: %s", name, what, m, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("%s, %s: message is not one line: %q", name, what, err)
			}
			known := false
			for _, s := range sentinels {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Errorf("%s, %s: error matches no sentinel: %v", name, what, err)
			}
		}
	}
	for _, n := range names {
		if strings.HasSuffix(n, ".sh") || strings.HasSuffix(n, ".txt") {
			continue
		}
		raw, err := os.ReadFile(n)
		if err != nil || len(raw) == 0 {
			continue // a directory
		}
		name := filepath.Base(n)
		passes = [][]byte{nil}
		if _, err := Parse(raw); errors.Is(err, ErrPassphraseNeeded) {
			passes = append(passes, testPassphrase)
		}
		// The text cut after some of its lines (a partial copy).
		lines := strings.SplitAfter(string(raw), "\n")
		for _, keep := range []int{1, 2, len(lines) / 2, len(lines) - 2} {
			if keep > 0 && keep < len(lines) {
				check(name, "lines cut", []byte(strings.Join(lines[:keep], "")))
			}
		}
		block, _ := pem.Decode(raw)
		if block == nil {
			continue
		}
		// The decoded structure cut short, re-encoded with intact armour:
		// what a lost middle of a file or a bad transfer looks like to the parser.
		der := block.Bytes
		for _, cut := range []int{1, 4, 11, 16, 40, len(der) / 3, len(der) / 2, len(der) - 40, len(der) - 17, len(der) - 1} {
			if cut > 0 && cut < len(der) {
				b := *block
				b.Bytes = der[:cut]
				check(name, "structure cut", pem.EncodeToMemory(&b))
			}
		}
		// Single bytes changed in the structure (length, tag, content),
		// and a BER indefinite length where DER needs a definite one.
		for _, pos := range []int{0, 1, 2, 3, 5, 8, 15, 20, 26, 30, 40, 60, len(der) / 2, len(der) - 2} {
			if pos < len(der) {
				for _, x := range []byte{0x01, 0x80, 0xff} {
					b := *block
					b.Bytes = []byte(string(der))
					b.Bytes[pos] ^= x
					check(name, "byte changed", pem.EncodeToMemory(&b))
				}
			}
		}
		if len(der) > 2 && der[0] == 0x30 {
			b := *block
			b.Bytes = append([]byte{0x30, 0x80}, append(append([]byte{}, der[2:]...), 0, 0)...)
			check(name, "indefinite length", pem.EncodeToMemory(&b))
		}
	}
	t.Logf("%d inputs, %d parses", len(seen), tried)
}

// lowerKDFLimitsT is lowerKDFLimits for a test: the sweep above needs the
// structure checks, not a thousand slow key derivations.
func lowerKDFLimitsT(t *testing.T) {
	rounds, mem, passes, work, pbkdf, scryptMem := maxBcryptRounds, maxArgon2MemoryKiB, maxArgon2Passes, maxArgon2Work, maxPBKDF2Iterations, maxScryptMemory
	maxBcryptRounds, maxArgon2MemoryKiB, maxArgon2Passes, maxArgon2Work, maxPBKDF2Iterations, maxScryptMemory = 2, 64, 2, 128, 4096, 1<<20
	t.Cleanup(func() {
		maxBcryptRounds, maxArgon2MemoryKiB, maxArgon2Passes, maxArgon2Work, maxPBKDF2Iterations, maxScryptMemory = rounds, mem, passes, work, pbkdf, scryptMem
	})
}

// TestDamagedNames: a name one character away from one gitjira reads is a
// damaged file (ErrCorrupt), not an unsupported key or cipher; a real name
// gitjira does not read stays unsupported.
func TestDamagedNames(t *testing.T) {
	// edit replaces the last occurrence of from (for a key type: the one
	// in the private section) or, with first, the first one.
	edit := func(name, from, to string, first ...bool) []byte {
		block, _ := pem.Decode(readFixture(t, name))
		if block == nil {
			t.Fatalf("%s is not PEM", name)
		}
		i := strings.LastIndex(string(block.Bytes), from)
		if len(first) > 0 {
			i = strings.Index(string(block.Bytes), from)
		}
		if i < 0 {
			t.Fatalf("%s does not contain %q", name, from)
		}
		block.Bytes = []byte(string(block.Bytes[:i]) + to + string(block.Bytes[i+len(from):]))
		return pem.EncodeToMemory(block)
	}
	tests := []struct {
		name    string
		input   []byte
		is      error
		mention string
	}{
		{"public key type with a changed byte", edit("openssh_ed25519.key", "ssh-ed25519", "ssh-ed2\x85519", true), ErrCorrupt, "one character away from ssh-ed25519"},
		{"public key type with a changed character", edit("openssh_rsa2048.key", "ssh-rsa", "ssh=rsa", true), ErrCorrupt, "one character away from ssh-rsa"},
		{"private section of another type", edit("openssh_ed25519.key", "ssh-ed25519", "ssh-ed25518"), ErrCorrupt, "private section is of type ssh-ed25518"},
		{"cipher name with a changed byte", edit("openssh_ed25519_enc.key", "aes256-ctr", "aes256-cur", true), ErrCorrupt, "one character away from aes256-ctr"},
		{"key derivation name with a changed byte", edit("openssh_ed25519_enc.key", "bcrypt", "bcryp+", true), ErrCorrupt, "key derivation name"},
		{"private section on another curve", edit("openssh_ecdsa256.key", "nistp256\x00\x00\x00\x41", "nistp257\x00\x00\x00\x41"), ErrCorrupt, "curve name nistp257"},
		{"a real cipher gitjira does not know", edit("openssh_ed25519_enc.key", "\x00\x00\x00\x0aaes256-ctr", "\x00\x00\x00\x0abf-128-cbc", true), ErrUnsupported, "re-encrypt it with `ssh-keygen -p -f FILE`"},
		{"a real key type gitjira does not sign with", edit("openssh_ecdsa256.key", "\x00\x00\x00\x13ecdsa-sha2-nistp256", "\x00\x00\x00\x13ecdsa-sha2-nistp224", true), ErrUnsupported, "ecdsa-sha2-nistp224"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWithPassphrase(tt.input, testPassphrase)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			checkMessage(t, err, tt.mention)
			checkNoJargon(t, err)
		})
	}
}

// TestJargonPattern: the check above must recognise the messages the
// issue found and let ours through.
func TestJargonPattern(t *testing.T) {
	for _, m := range []string{"ssh: short read", "cannot read the key (asn1: syntax error: indefinite length found (not DER))",
		"x509: failed to parse EC private key", "asn1: structure error: tags don't match (16 vs {class:0 tag:2})",
		"the RSA key is inconsistent (crypto/rsa: invalid exponents)", "syntax error: data truncated", "unexpected EOF"} {
		if !jargon.MatchString(m) {
			t.Errorf("not recognised as jargon: %q", m)
		}
	}
	for _, m := range []string{"PKCS#8 key: the key file is truncated or damaged (the PKCS#8 structure ends early): copy it again from the source",
		"PEM (SEC1 EC) key: the private key's scalar is not valid for P-256: the file is damaged (it is zero)",
		"OpenSSH key: the key is encrypted with the cipher \"x\", which gitjira does not know: re-encrypt it with `ssh-keygen -p -f FILE`"} {
		if jargon.MatchString(m) {
			t.Errorf("our message taken for jargon (%q): %q", jargon.FindString(m), m)
		}
	}
}
