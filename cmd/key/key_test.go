package key

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/gitjira/gitjira/sshkeys"
)

// The committed fixtures' passphrase is "correct horse" (sshkeys/testdata/gen.sh).
const (
	keyFixturePass    = "correct horse"
	keyFixtureDir     = "../../sshkeys/testdata"
	keyFixtureEd25519 = keyFixtureDir + "/openssh_ed25519.key"
	keyFixtureEdEnc   = keyFixtureDir + "/openssh_ed25519_enc.key"
)

// keyFixtureFP is the fingerprint the real tools printed for a fixture, from
// sshkeys/testdata/fingerprints.txt (gen.sh remakes the fixtures and the list together).
func keyFixtureFP(t *testing.T, fixture string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(keyFixtureDir, "fingerprints.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		// FILE FORMAT ENCRYPTED TYPE BITS FINGERPRINT TOOL
		if f := strings.Fields(line); len(f) == 7 && f[0] == filepath.Base(fixture) {
			return f[5]
		}
	}
	t.Fatalf("%s is not in fingerprints.txt", fixture)
	return ""
}

func newKey(f *cmdutil.Factory) *cobra.Command { return NewCmdKey(f) }

// runKeyCmd runs `gitjira key ARGS...` in-process with stdin and an empty
// environment, and returns the exit code and both streams.
func runKeyCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runKeyCmdEnv(t, nil, stdin, args...)
}

// runKeyCmdEnv is runKeyCmd with environment variables.
func runKeyCmdEnv(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	e := cmdtest.New(t)
	for k, v := range env {
		e.Vars[k] = v
	}
	return e.Exec(newKey, stdin, args...)
}

// keyOneLineError checks that stderr is exactly one "gitjira: ..." line containing want.
func keyOneLineError(t *testing.T, stderr, want string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "gitjira: ") {
		t.Errorf("stderr is not one error line: %q", stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not say %q", stderr, want)
	}
}

// writeKeyForTest generates a key with sshkeys and writes it (and its .pub) into a temp dir.
func writeKeyForTest(t *testing.T, opts sshkeys.GenerateOptions) (path string, k *sshkeys.Key) {
	t.Helper()
	k, raw, err := sshkeys.Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "id_test")
	if err := sshkeys.WriteKeyPair(path, raw, k.AuthorizedKey); err != nil {
		t.Fatal(err)
	}
	return path, k
}

// decodeKeyInspect unmarshals `inspect --json` output and checks its shape: one
// object, the contract's fields all present, nothing unexpected.
func decodeKeyInspect(t *testing.T, stdout string) keyJSON {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("stdout is not a JSON object: %v: %q", err, stdout)
	}
	if dec.More() {
		t.Fatalf("more than one JSON document on stdout: %q", stdout)
	}
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, f := range []string{"format", "type", "bits", "encrypted", "fingerprint", "public_key", "comment"} {
		if _, ok := m[f]; !ok {
			t.Errorf("JSON lacks %q: has %v", f, names)
		}
	}
	allowed := "format type bits encrypted fingerprint public_key comment decrypted warnings private_key_file public_key_file"
	for _, n := range names {
		if !strings.Contains(" "+allowed+" ", " "+n+" ") {
			t.Errorf("unexpected JSON field %q", n)
		}
	}
	var j keyJSON
	if err := json.Unmarshal([]byte(stdout), &j); err != nil {
		t.Fatal(err)
	}
	return j
}

func TestKeyUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{nil, 2, "missing subcommand"},
		{[]string{"frobnicate"}, 2, `unknown subcommand "frobnicate"`},
		{[]string{"inspect"}, 2, "missing FILE"},
		{[]string{"inspect", "a", "b"}, 2, "one FILE only"},
		{[]string{"inspect", "--bogus", keyFixtureEd25519}, 2, "bogus"},
		{[]string{"inspect", keyFixtureEd25519, "--passphrase", "x"}, 2, "passphrase"},
		{[]string{"convert", keyFixtureEd25519}, 2, "--to is required"},
		{[]string{"convert", keyFixtureEd25519, "--to", "der"}, 2, `--to "der"`},
		{[]string{"convert", "--to", "pem"}, 2, "missing FILE"},
		{[]string{"convert", keyFixtureEd25519, "--to"}, 2, "-to"},
		{[]string{"convert", keyFixtureEd25519, "--to", "pem", "--bogus"}, 2, "bogus"},
		{[]string{"generate"}, 2, "-o FILE is required"},
		{[]string{"generate", "-o", "x", "--type", "dsa"}, 2, "--type"},
		{[]string{"generate", "-o", "x", "--type", "ed448"}, 2, "--type"},
		{[]string{"generate", "-o", "x", "--type", "rsa", "--bits", "1024"}, 2, "--bits: RSA keys need at least 2048 bits"},
		{[]string{"generate", "-o", "x", "--type", "ecdsa", "--bits", "512"}, 2, "--bits"},
		{[]string{"generate", "-o", "x", "--bits", "many"}, 2, "bits"},
		{[]string{"generate", "-o", "x", "--format", "ppk"}, 2, `--format "ppk"`},
		{[]string{"generate", "-o", "x", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"generate", "-o", "x", "--passphrase", "secret"}, 2, "passphrase"},
		{[]string{"generate", "-o"}, 2, "flag needs an argument: 'o' in -o"},
		{[]string{"generate", "-o", "x", "-C"}, 2, "flag needs an argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runKeyCmd(t, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
			keyOneLineError(t, stderr, tt.wantErr)
			if _, err := os.Stat("x"); err == nil {
				t.Errorf("a usage error wrote a file")
			}
		})
	}
}

func TestKeyHelp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"-h"}, []string{"inspect", "convert", "generate"}},
		{[]string{"help"}, []string{"inspect", "convert", "generate"}},
		{[]string{"inspect", "-h"}, []string{"key inspect FILE|-", "--passphrase-stdin", "--json"}},
		{[]string{"convert", "-h"}, []string{"--to FORMAT", "-o, --output FILE", "--new-passphrase-stdin"}},
		{[]string{"generate", "--help"}, []string{"-o, --output FILE", "-C, --comment COMMENT", "--type TYPE", "--bits N", "--format FORMAT"}},
	} {
		code, stdout, stderr := runKeyCmd(t, "", tt.args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "Usage:") {
			t.Errorf("%v: exit %d, output %q %q", tt.args, code, stdout, stderr)
		}
		for _, want := range tt.want {
			if !strings.Contains(stdout, want) {
				t.Errorf("%v: help lacks %q:\n%s", tt.args, want, stdout)
			}
		}
	}
}

func TestKeyInspect(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runKeyCmd(t, "", "inspect", keyFixtureEd25519)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"Format:       openssh", "Type:         ssh-ed25519", "Bits:         256",
		"Encrypted:    no", "Fingerprint:  " + keyFixtureFP(t, keyFixtureEd25519), "Public key:   ssh-ed25519 AAAA"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, stderr = runKeyCmd(t, "", "inspect", "--json", keyFixtureEd25519)
	if code != 0 || stderr != "" {
		t.Fatalf("--json: exit %d, stderr %q", code, stderr)
	}
	j := decodeKeyInspect(t, stdout)
	if j.Format != "openssh" || j.Type != "ssh-ed25519" || j.Bits != 256 || j.Encrypted || !j.Decrypted ||
		j.Fingerprint != keyFixtureFP(t, keyFixtureEd25519) || !strings.HasPrefix(j.PublicKey, "ssh-ed25519 AAAA") {
		t.Errorf("JSON %+v", j)
	}
	// Flags may come before or after FILE.
	code, stdout2, _ := runKeyCmd(t, "", "inspect", keyFixtureEd25519, "--json")
	if code != 0 || stdout2 != stdout {
		t.Errorf("flag after FILE: exit %d, output differs", code)
	}
}

func TestKeyInspectEncrypted(t *testing.T) {
	t.Parallel()
	// No passphrase source: what the file shows in the clear, exit 0.
	code, stdout, stderr := runKeyCmd(t, "", "inspect", "--json", keyFixtureEdEnc)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	j := decodeKeyInspect(t, stdout)
	if !j.Encrypted || j.Decrypted || j.Fingerprint != keyFixtureFP(t, keyFixtureEd25519) || j.Format != "openssh" {
		t.Errorf("without passphrase: %+v", j)
	}
	if !strings.Contains(stderr, "encrypted") || !strings.Contains(stderr, "--passphrase-stdin") {
		t.Errorf("stderr does not say how to give the passphrase: %q", stderr)
	}
	code, stdout, _ = runKeyCmd(t, "", "inspect", keyFixtureEdEnc)
	if code != 0 || !strings.Contains(stdout, "yes (not decrypted)") || !strings.Contains(stdout, keyFixtureFP(t, keyFixtureEd25519)) {
		t.Errorf("human, without passphrase: exit %d\n%s", code, stdout)
	}

	// Right passphrase on stdin.
	code, stdout, stderr = runKeyCmd(t, keyFixturePass+"\n", "inspect", "--json", "--passphrase-stdin", keyFixtureEdEnc)
	if code != 0 {
		t.Fatalf("right passphrase: exit %d, %q", code, stderr)
	}
	if j := decodeKeyInspect(t, stdout); !j.Encrypted || !j.Decrypted || j.Fingerprint != keyFixtureFP(t, keyFixtureEd25519) {
		t.Errorf("right passphrase: %+v", j)
	}
	// Without a final newline too.
	if code, _, stderr := runKeyCmd(t, keyFixturePass, "inspect", "--passphrase-stdin", keyFixtureEdEnc); code != 0 {
		t.Errorf("passphrase without newline: exit %d %q", code, stderr)
	}

	// Wrong passphrase: exit 1, one line, passphrase not echoed.
	code, stdout, stderr = runKeyCmd(t, "not the one\n", "inspect", "--passphrase-stdin", keyFixtureEdEnc)
	if code != 1 || stdout != "" {
		t.Errorf("wrong passphrase: exit %d, stdout %q", code, stdout)
	}
	keyOneLineError(t, stderr, "wrong passphrase")
	if strings.Contains(stderr, "not the one") {
		t.Errorf("passphrase printed: %q", stderr)
	}

	// Empty stdin with --passphrase-stdin: exit 1, says what is missing.
	code, _, stderr = runKeyCmd(t, "", "inspect", "--passphrase-stdin", keyFixtureEdEnc)
	if code != 1 {
		t.Errorf("empty stdin: exit %d", code)
	}
	keyOneLineError(t, stderr, "--passphrase-stdin")

	// The environment variable.
	code, stdout, stderr = runKeyCmdEnv(t, map[string]string{cmdutil.PassphraseEnv: keyFixturePass}, "", "inspect", "--json", keyFixtureEdEnc)
	if j := decodeKeyInspect(t, stdout); code != 0 || !j.Decrypted {
		t.Errorf("GITJIRA_PASSPHRASE: exit %d %+v %q", code, j, stderr)
	}
	code, _, stderr = runKeyCmdEnv(t, map[string]string{cmdutil.PassphraseEnv: "wrong"}, "", "inspect", keyFixtureEdEnc)
	if code != 1 {
		t.Errorf("wrong GITJIRA_PASSPHRASE: exit %d %q", code, stderr)
	}
	keyOneLineError(t, stderr, "the passphrase came from GITJIRA_PASSPHRASE")
}

// TestKeyInspectEncryptedPEM: PEM hides everything until decrypted.
func TestKeyInspectEncryptedPEM(t *testing.T) {
	t.Parallel()
	f := keyFixtureDir + "/pem_ecdsa256_openssl_aes256.key"
	code, stdout, _ := runKeyCmd(t, "", "inspect", "--json", f)
	j := decodeKeyInspect(t, stdout)
	if code != 0 || !j.Encrypted || j.Decrypted || j.Fingerprint != "" {
		t.Errorf("exit %d %+v", code, j)
	}
	code, stdout, _ = runKeyCmd(t, "", "inspect", f)
	if code != 0 || !strings.Contains(stdout, "Fingerprint:  (unknown until decrypted)") {
		t.Errorf("human: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runKeyCmd(t, keyFixturePass+"\n", "inspect", "--json", "--passphrase-stdin", f)
	if j := decodeKeyInspect(t, stdout); code != 0 || j.Type != "ecdsa-sha2-nistp256" || j.Fingerprint == "" || j.Format != "pem-sec1" {
		t.Errorf("decrypted: exit %d %+v", code, j)
	}
}

func TestKeyInspectStdin(t *testing.T) {
	t.Parallel()
	plain, _ := os.ReadFile(keyFixtureEd25519)
	enc, _ := os.ReadFile(keyFixtureEdEnc)
	code, stdout, stderr := runKeyCmd(t, string(plain), "inspect", "--json", "-")
	if j := decodeKeyInspect(t, stdout); code != 0 || j.Fingerprint != keyFixtureFP(t, keyFixtureEd25519) {
		t.Errorf("plain from stdin: exit %d %+v %q", code, j, stderr)
	}
	// --passphrase-stdin with "-": first line the passphrase, the rest the key.
	code, stdout, stderr = runKeyCmd(t, keyFixturePass+"\n"+string(enc), "inspect", "--json", "--passphrase-stdin", "-")
	if j := decodeKeyInspect(t, stdout); code != 0 || !j.Decrypted || j.Fingerprint != keyFixtureFP(t, keyFixtureEd25519) {
		t.Errorf("passphrase then key on stdin: exit %d %+v %q", code, j, stderr)
	}
	// A paste with CRLF line ends.
	crlf := strings.ReplaceAll(string(plain), "\n", "\r\n")
	if code, _, stderr := runKeyCmd(t, crlf, "inspect", "-"); code != 0 {
		t.Errorf("CRLF paste: exit %d %q", code, stderr)
	}
	// Empty stdin.
	code, _, stderr = runKeyCmd(t, "", "inspect", "-")
	if code != 1 {
		t.Errorf("empty stdin: exit %d", code)
	}
	keyOneLineError(t, stderr, "stdin")
}

func TestKeyInspectBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	os.WriteFile(big, bytes.Repeat([]byte("A"), sshkeys.MaxInputSize+10), 0o600)
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("hello, this is not a key\n"), 0o600)
	tests := []struct {
		file, want string
	}{
		{keyFixtureDir + "/public_ed25519.pub", "public key"},
		{keyFixtureDir + "/public_rfc4716.pub", "public key"},
		{keyFixtureDir + "/public_pem_pkcs8.pem", "public key"},
		// A certificate is inspected (issue 20): TestInspectCertificate.
		{keyFixtureDir + "/unsupported_ed448.pem", "not supported"},
		{filepath.Join(dir, "missing"), "does not exist"},
		{dir, "is a directory"},
		{big, "too large"},
		{garbage, "id_ed25519"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			code, stdout, stderr := runKeyCmd(t, "", "inspect", "--json", tt.file)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q", code, stdout)
			}
			keyOneLineError(t, stderr, tt.want)
		})
	}
}

func TestKeyInspectWarnings(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runKeyCmd(t, "", "inspect", "--json", keyFixtureDir+"/openssh_dsa.key")
	if j := decodeKeyInspect(t, stdout); code != 0 || len(j.Warnings) == 0 {
		t.Errorf("DSA key: exit %d, no warning: %+v", code, j)
	}
	code, stdout, _ = runKeyCmd(t, "", "inspect", keyFixtureDir+"/ppk2_ed25519.ppk")
	if code != 0 || !strings.Contains(stdout, "Warning:") || !strings.Contains(stdout, "version 3") {
		t.Errorf("ppk v2: exit %d\n%s", code, stdout)
	}
}

func TestKeyConvert(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		src        string
		stdin      string
		args       []string
		wantFormat sshkeys.Format
		newPass    string // "" = output not encrypted
	}{
		{"openssh to pem", keyFixtureDir + "/openssh_rsa2048.key", "", []string{"--to", "pem"}, sshkeys.FormatPKCS1, ""},
		{"openssh to ppk", keyFixtureDir + "/openssh_ecdsa256.key", "", []string{"--to", "ppk"}, sshkeys.FormatPPKv3, ""},
		{"ppk to openssh", keyFixtureDir + "/ppk3_ed25519.ppk", "", []string{"--to", "openssh"}, sshkeys.FormatOpenSSH, ""},
		{"pkcs8 ed25519 to pem", keyFixtureDir + "/pkcs8_ed25519_openssl.key", "", []string{"--to", "PEM"}, sshkeys.FormatPKCS8, ""},
		{"encrypted, old passphrase, no new", keyFixtureEdEnc, keyFixturePass + "\n", []string{"--to", "openssh", "--passphrase-stdin", "--no-passphrase"}, sshkeys.FormatOpenSSH, ""},
		{"encrypted, old and new", keyFixtureEdEnc, keyFixturePass + "\nnew one\n", []string{"--to", "ppk", "--passphrase-stdin", "--new-passphrase-stdin"}, sshkeys.FormatPPKv3, "new one"},
		{"plain, new only", keyFixtureEd25519, "new one\n", []string{"--to", "openssh", "--new-passphrase-stdin"}, sshkeys.FormatOpenSSH, "new one"},
		{"plain, new empty line", keyFixtureEd25519, "\n", []string{"--to", "openssh", "--new-passphrase-stdin"}, sshkeys.FormatOpenSSH, ""},
		{"plain to encrypted pem", keyFixtureDir + "/openssh_ecdsa384.key", "new one\n", []string{"--to", "pem", "--new-passphrase-stdin"}, sshkeys.FormatPKCS8, "new one"},
		{"encrypted ppk to pem", keyFixtureDir + "/ppk3_rsa2048_argon2id.ppk", keyFixturePass + "\n", []string{"--to", "pem", "--passphrase-stdin", "--no-passphrase"}, sshkeys.FormatPKCS1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := sshkeys.ParseWithPassphrase(keyMustRead(t, tt.src), []byte(keyFixturePass))
			if err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runKeyCmd(t, tt.stdin, append([]string{"convert", tt.src}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %q", code, stderr)
			}
			for _, secret := range []string{keyFixturePass, "new one"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("a passphrase was printed")
				}
			}
			checkKeyConverted(t, []byte(stdout), tt.newPass, tt.wantFormat, src.Fingerprint)

			// The same through -o: a new 0600 file, confirmation on stdout.
			out := filepath.Join(t.TempDir(), "converted")
			code, stdout, stderr = runKeyCmd(t, tt.stdin, append([]string{"convert", tt.src, "-o", out}, tt.args...)...)
			if code != 0 {
				t.Fatalf("-o: exit %d: %q", code, stderr)
			}
			if !strings.Contains(stdout, "Wrote "+out) || !strings.Contains(stdout, string(tt.wantFormat)) {
				t.Errorf("-o: stdout %q", stdout)
			}
			if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("-o: %v %v", st.Mode(), err)
			}
			checkKeyConverted(t, keyMustRead(t, out), tt.newPass, tt.wantFormat, src.Fingerprint)
		})
	}
}

func keyMustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkKeyConverted parses converted output and checks format, encryption and,
// when wantFP is not empty, the key's fingerprint.
func checkKeyConverted(t *testing.T, raw []byte, newPass string, wantFormat sshkeys.Format, wantFP string) {
	t.Helper()
	var k *sshkeys.Key
	var err error
	if newPass != "" {
		var pme *sshkeys.PassphraseMissingError
		if _, err := sshkeys.Parse(raw); !errors.As(err, &pme) {
			t.Fatalf("output is not encrypted: %v", err)
		}
		k, err = sshkeys.ParseWithPassphrase(raw, []byte(newPass))
	} else {
		k, err = sshkeys.Parse(raw)
	}
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, raw)
	}
	if k.Format != wantFormat || (wantFP != "" && k.Fingerprint != wantFP) || k.Encrypted != (newPass != "") {
		t.Errorf("output: %s %s encrypted=%v, want %s %s encrypted=%v", k.Format, k.Fingerprint, k.Encrypted, wantFormat, wantFP, newPass != "")
	}
}

func TestKeyConvertFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	os.WriteFile(existing, []byte("OLD"), 0o644)
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"encrypted, no passphrase source", "", []string{keyFixtureEdEnc, "--to", "pem"}, "--passphrase-stdin"},
		{"wrong passphrase", "nope\n", []string{keyFixtureEdEnc, "--to", "pem", "--passphrase-stdin"}, "wrong passphrase"},
		{"public key", "", []string{keyFixtureDir + "/public_ed25519.pub", "--to", "pem"}, "public key"},
		{"existing -o", "", []string{keyFixtureEd25519, "--to", "pem", "-o", existing}, existing + " already exists: choose another -o path or remove it first"},
		{"-o in missing dir", "", []string{keyFixtureEd25519, "--to", "pem", "-o", filepath.Join(dir, "no", "out")}, "does not exist"},
		{"DSA", "", []string{keyFixtureDir + "/openssh_dsa.key", "--to", "openssh"}, "DSA"},
		{"new passphrase line missing", "", []string{keyFixtureEd25519, "--to", "pem", "--new-passphrase-stdin"}, "--new-passphrase-stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runKeyCmd(t, tt.stdin, append([]string{"convert"}, tt.args...)...)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q", code, stdout)
			}
			keyOneLineError(t, stderr, tt.want)
		})
	}
	if got := string(keyMustRead(t, existing)); got != "OLD" {
		t.Errorf("existing file changed: %q", got)
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Errorf("files left behind: %v", names)
	}
}

func TestKeyConvertStdin(t *testing.T) {
	t.Parallel()
	enc := keyMustRead(t, keyFixtureEdEnc)
	// Lines in order: old passphrase, new passphrase, then the key.
	code, stdout, stderr := runKeyCmd(t, keyFixturePass+"\nnew one\n"+string(enc), "convert", "-", "--to", "openssh", "--passphrase-stdin", "--new-passphrase-stdin")
	if code != 0 {
		t.Fatalf("exit %d %q", code, stderr)
	}
	checkKeyConverted(t, []byte(stdout), "new one", sshkeys.FormatOpenSSH, keyFixtureFP(t, keyFixtureEd25519))
}

// TestKeyConvertStdinForgottenPassphrase: "-" with --passphrase-stdin but the
// key on the first line is bad usage with a message, not a parse error.
func TestKeyConvertStdinForgottenPassphrase(t *testing.T) {
	t.Parallel()
	key := string(keyMustRead(t, keyFixtureEdEnc))
	for _, sub := range []string{"inspect", "convert"} {
		args := []string{sub, "-", "--passphrase-stdin"}
		if sub == "convert" {
			args = append(args, "--to", "pem")
		}
		code, stdout, stderr := runKeyCmd(t, key, args...)
		if code != 2 || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q", sub, code, stdout)
		}
		keyOneLineError(t, stderr, "put the passphrase line(s) before the key")
	}
}

// TestKeyConvertCommentFromPub: PEM has no comment, so converting to a
// format that has one takes it from FILE.pub when that holds the same key.
func TestKeyConvertCommentFromPub(t *testing.T) {
	t.Parallel()
	path, k := writeKeyForTest(t, sshkeys.GenerateOptions{Type: "ecdsa", Format: sshkeys.FormatPEM, Comment: "from the pub"})
	code, stdout, stderr := runKeyCmd(t, "", "convert", path, "--to", "openssh")
	if code != 0 {
		t.Fatalf("exit %d %q", code, stderr)
	}
	got, err := sshkeys.Parse([]byte(stdout))
	if err != nil || got.Comment != "from the pub" || got.Fingerprint != k.Fingerprint {
		t.Errorf("comment %q, err %v", got.Comment, err)
	}
	// A .pub of another key is ignored.
	other, _ := writeKeyForTest(t, sshkeys.GenerateOptions{Comment: "other key"})
	os.Remove(path + ".pub")
	os.Rename(other+".pub", path+".pub")
	_, stdout, _ = runKeyCmd(t, "", "convert", path, "--to", "openssh")
	if got, err := sshkeys.Parse([]byte(stdout)); err != nil || got.Comment != "" {
		t.Errorf("comment taken from another key's .pub: %q %v", got.Comment, err)
	}
}

func TestKeyConvertNotes(t *testing.T) {
	t.Parallel()
	code, _, stderr := runKeyCmd(t, "", "convert", keyFixtureEd25519, "--to", "pem")
	if code != 0 || !strings.Contains(stderr, "note: Ed25519 in PEM") {
		t.Errorf("ed25519 to pem: exit %d, stderr %q", code, stderr)
	}
	// An encrypted key is not decrypted by a conversion unless asked for.
	code, stdout, stderr := runKeyCmd(t, keyFixturePass+"\n", "convert", keyFixtureEdEnc, "--to", "openssh", "--passphrase-stdin")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "--no-passphrase") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("decrypting convert without --no-passphrase: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runKeyCmd(t, keyFixturePass+"\n", "convert", keyFixtureEdEnc, "--to", "openssh", "--passphrase-stdin", "--no-passphrase")
	if code != 0 || !strings.Contains(stderr, "not encrypted") {
		t.Errorf("decrypting convert: exit %d, stderr %q", code, stderr)
	}
}

func TestKeyGenerate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantType   string
		wantBits   int
		wantFormat sshkeys.Format
		pass       string
	}{
		{"defaults", nil, "", "ssh-ed25519", 256, sshkeys.FormatOpenSSH, ""},
		{"rsa pem", []string{"--type", "rsa", "--bits", "2048", "--format", "pem"}, "", "ssh-rsa", 2048, sshkeys.FormatPKCS1, ""},
		{"ecdsa 384", []string{"--type", "ecdsa", "--bits", "384"}, "", "ecdsa-sha2-nistp384", 384, sshkeys.FormatOpenSSH, ""},
		{"ecdsa default bits", []string{"--type", "ecdsa", "--format", "pem"}, "", "ecdsa-sha2-nistp256", 256, sshkeys.FormatSEC1, ""},
		{"ed25519 pem", []string{"--format", "pem"}, "", "ssh-ed25519", 256, sshkeys.FormatPKCS8, ""},
		{"passphrase", []string{"--passphrase-stdin"}, "gen pass\n", "ssh-ed25519", 256, sshkeys.FormatOpenSSH, "gen pass"},
		{"empty passphrase line", []string{"--passphrase-stdin"}, "\n", "ssh-ed25519", 256, sshkeys.FormatOpenSSH, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "id_new")
			args := append([]string{"generate", "-o", out, "-C", "me@example.org"}, tt.args...)
			code, stdout, stderr := runKeyCmd(t, tt.stdin, args...)
			if code != 0 {
				t.Fatalf("exit %d %q", code, stderr)
			}
			if tt.pass != "" && strings.Contains(stdout+stderr, tt.pass) {
				t.Errorf("passphrase printed")
			}
			pubLine := strings.TrimSpace(string(keyMustRead(t, out+".pub")))
			checkKeyConverted(t, keyMustRead(t, out), tt.pass, tt.wantFormat, "")
			var k *sshkeys.Key
			var err error
			if tt.pass != "" {
				k, err = sshkeys.ParseWithPassphrase(keyMustRead(t, out), []byte(tt.pass))
			} else {
				k, err = sshkeys.Parse(keyMustRead(t, out))
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Type != tt.wantType || k.Bits != tt.wantBits {
				t.Errorf("key %s %d, want %s %d", k.Type, k.Bits, tt.wantType, tt.wantBits)
			}
			if !strings.HasSuffix(pubLine, " me@example.org") || !strings.HasPrefix(pubLine, tt.wantType+" ") {
				t.Errorf(".pub %q", pubLine)
			}
			for _, want := range []string{pubLine, k.Fingerprint, "SSH keys page", out + ".pub"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for p, mode := range map[string]os.FileMode{out: 0o600, out + ".pub": 0o644} {
				if st, err := os.Stat(p); err != nil || st.Mode().Perm() != mode {
					t.Errorf("%s: mode %v, want %v (%v)", p, st.Mode().Perm(), mode, err)
				}
			}
			if names, _ := os.ReadDir(filepath.Dir(out)); len(names) != 2 {
				t.Errorf("directory holds %d entries, want the pair", len(names))
			}
		})
	}
}

func TestKeyGenerateJSON(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "id_json")
	code, stdout, stderr := runKeyCmd(t, "", "generate", "--json", "--type", "ecdsa", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d %q", code, stderr)
	}
	j := decodeKeyInspect(t, stdout)
	if j.Type != "ecdsa-sha2-nistp256" || j.PrivateKeyFile != out || j.PublicKeyFile != out+".pub" || !j.Decrypted || j.Comment == "" {
		t.Errorf("%+v", j)
	}
	// The default comment is user@host, like ssh-keygen's.
	if !strings.Contains(j.Comment, "@") || !strings.HasSuffix(j.PublicKey, " "+j.Comment) {
		t.Errorf("default comment %q, public key %q", j.Comment, j.PublicKey)
	}
}

func TestKeyGenerateEnvPassphrase(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "id_env")
	if code, _, stderr := runKeyCmdEnv(t, map[string]string{cmdutil.PassphraseEnv: "from env"}, "", "generate", "-o", out); code != 0 {
		t.Fatalf("exit %d %q", code, stderr)
	}
	if _, err := sshkeys.ParseWithPassphrase(keyMustRead(t, out), []byte("from env")); err != nil {
		t.Errorf("not encrypted with GITJIRA_PASSPHRASE: %v", err)
	}
}

// TestKeyGenerateNeverOverwrites: an existing FILE or FILE.pub stops generate
// with exit 1 before anything is written.
func TestKeyGenerateNeverOverwrites(t *testing.T) {
	t.Parallel()
	for _, existing := range []string{"id", "id.pub"} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, existing), []byte("OLD"), 0o600)
			out := filepath.Join(dir, "id")
			code, stdout, stderr := runKeyCmd(t, "", "generate", "-o", out)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q", code, stdout)
			}
			keyOneLineError(t, stderr, filepath.Join(dir, existing)+" already exists: choose another -o path or remove it first")
			names, _ := os.ReadDir(dir)
			if len(names) != 1 || string(keyMustRead(t, filepath.Join(dir, existing))) != "OLD" {
				t.Errorf("directory changed: %v", names)
			}
		})
	}
}
