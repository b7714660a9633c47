package sshkeys

import (
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fuzz targets for every parser of outside input. The committed seed corpus
// is in testdata/fuzz/FuzzXxx; every fixture in testdata is added as a seed
// too. Run one for a while with, for example:
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 45s ./sshkeys/

// lowerKDFLimits makes the key derivations cheap while fuzzing, so the
// fuzzer explores the parsers instead of waiting on bcrypt and Argon2:
// mutated inputs with small parameters still reach the decryption code.
func lowerKDFLimits(f *testing.F) {
	rounds, mem, passes, work, pbkdf, scryptMem := maxBcryptRounds, maxArgon2MemoryKiB, maxArgon2Passes, maxArgon2Work, maxPBKDF2Iterations, maxScryptMemory
	maxBcryptRounds, maxArgon2MemoryKiB, maxArgon2Passes, maxArgon2Work, maxPBKDF2Iterations, maxScryptMemory = 2, 64, 2, 128, 4096, 1<<20
	f.Cleanup(func() {
		maxBcryptRounds, maxArgon2MemoryKiB, maxArgon2Passes, maxArgon2Work, maxPBKDF2Iterations, maxScryptMemory = rounds, mem, passes, work, pbkdf, scryptMem
	})
}

func addFixtureSeeds(f *testing.F, suffixes ...string) {
	names, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range names {
		ok := len(suffixes) == 0
		for _, s := range suffixes {
			ok = ok || strings.HasSuffix(n, s)
		}
		if !ok || strings.HasSuffix(n, ".sh") {
			continue
		}
		if b, err := os.ReadFile(n); err == nil {
			f.Add(b)
		}
	}
}

var sentinels = []error{ErrPassphraseNeeded, ErrWrongPassphrase, ErrTooLarge, ErrEmpty, ErrNotAKey, ErrCorrupt, ErrUnsupported}

// checkParseResult holds for every input: a key is complete and usable, an
// error is one of ours, one line, without the passphrase.
func checkParseResult(t *testing.T, k *Key, err error, pass string) {
	t.Helper()
	if err != nil {
		if k != nil {
			t.Fatalf("key and error both returned: %v", err)
		}
		known := false
		for _, s := range sentinels {
			known = known || errors.Is(err, s)
		}
		if !known {
			t.Fatalf("error matches no sentinel: %#v", err)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("message is not one line: %q", msg)
		}
		if pass != "" && strings.Contains(msg, pass) {
			t.Fatalf("message contains the passphrase: %q", msg)
		}
		var pm *PassphraseMissingError
		if errors.As(err, &pm) && (pm.Key == nil || !pm.Key.Encrypted) {
			t.Fatalf("PassphraseMissingError without an encrypted Key")
		}
		return
	}
	if k == nil || k.Signer == nil || k.Private == nil || k.PublicKey == nil {
		t.Fatalf("incomplete key: %+v", k)
	}
	if k.Fingerprint != Fingerprint(k.PublicKey) || !strings.HasPrefix(k.Fingerprint, "SHA256:") {
		t.Fatalf("fingerprint %q does not match the public key", k.Fingerprint)
	}
	if Fingerprint(k.Signer.PublicKey()) != k.Fingerprint {
		t.Fatal("signer and public key differ")
	}
	if strings.ContainsAny(k.AuthorizedKey, "\r\n") {
		t.Fatalf("AuthorizedKey has a line break: %q", k.AuthorizedKey)
	}
}

func FuzzNormalize(f *testing.F) {
	addFixtureSeeds(f)
	f.Add([]byte("  -----BEGIN RSA PRIVATE KEY----- Proc-Type: 4,ENCRYPTED DEK-Info: AES-128-CBC,00 QUJD -----END RSA PRIVATE KEY-----"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := Normalize(raw)
		if err != nil {
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(out) == 0 || out[len(out)-1] != '\n' || strings.ContainsRune(string(out), '\r') {
			t.Fatalf("bad output %q", out)
		}
		again, err := Normalize(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent:\n%q\n%q (%v)", out, again, err)
		}
	})
}

func FuzzParse(f *testing.F) {
	lowerKDFLimits(f)
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := Parse(raw)
		checkParseResult(t, k, err, "")
		const pass = "correct horse"
		k, err = ParseWithPassphrase(raw, []byte(pass))
		checkParseResult(t, k, err, pass)
	})
}

func FuzzPPK(f *testing.F) {
	lowerKDFLimits(f)
	addFixtureSeeds(f, ".ppk")
	f.Fuzz(func(t *testing.T, raw []byte) {
		if p, err := readPPK(raw); err == nil && p.encryption == "aes256-cbc" && len(p.private)%16 != 0 {
			t.Fatal("readPPK accepted encrypted data that is not whole AES blocks")
		}
		const pass = "correct horse"
		k, err := parsePPK(raw, []byte(pass))
		checkParseResult(t, k, err, pass)
		k, err = parsePPK(raw, nil)
		checkParseResult(t, k, err, "")
	})
}

// pemBlockTypes are the block types FuzzPEMBlock feeds to the parsers.
var pemBlockTypes = []string{"OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY",
	"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PUBLIC KEY", "RSA PUBLIC KEY"}

// FuzzPEMBlock fuzzes the decoded bytes of a block (OpenSSH wire format or
// DER) directly: byte mutations of base64 text rarely reach the structure
// parsers, mutations of the bytes themselves do.
func FuzzPEMBlock(f *testing.F) {
	lowerKDFLimits(f)
	names, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, n := range names {
		raw, err := os.ReadFile(n)
		if err != nil {
			continue
		}
		for rest := raw; ; {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			for i, typ := range pemBlockTypes {
				if typ == block.Type && len(block.Headers) == 0 {
					f.Add(uint8(i), block.Bytes)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, der []byte) {
		block := &pem.Block{Type: pemBlockTypes[int(kind)%len(pemBlockTypes)], Bytes: der}
		k, err := parsePEMBlock(block, nil)
		checkParseResult(t, k, err, "")
		const pass = "correct horse"
		k, err = parsePEMBlock(block, []byte(pass))
		checkParseResult(t, k, err, pass)
	})
}
