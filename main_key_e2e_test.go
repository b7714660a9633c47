package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gitjira/gitjira/sshkeys"
)

// The committed fixtures' passphrase is "correct horse" (sshkeys/testdata/gen.sh).
const (
	keyFixturePass    = "correct horse"
	keyFixtureDir     = "sshkeys/testdata"
	keyFixtureEd25519 = keyFixtureDir + "/openssh_ed25519.key"
	keyFixtureEdEnc   = keyFixtureDir + "/openssh_ed25519_enc.key"
	keyPassphraseEnv  = "GITJIRA_PASSPHRASE"
)

// keyJSON is the `key inspect --json` object as docs/CLI.md documents it:
// the contract the binary is held to (not the command package's own type).
type keyJSON struct {
	Format         string   `json:"format"`
	Type           string   `json:"type"`
	Bits           int      `json:"bits"`
	Encrypted      bool     `json:"encrypted"`
	Fingerprint    string   `json:"fingerprint"`
	PublicKey      string   `json:"public_key"`
	Comment        string   `json:"comment"`
	Decrypted      bool     `json:"decrypted"`
	Warnings       []string `json:"warnings"`
	PrivateKeyFile string   `json:"private_key_file"`
	PublicKeyFile  string   `json:"public_key_file"`
}

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

// TestKeyE2E drives the built gitjira binary: `key inspect --json` on every
// committed fixture must report what the real tools printed for it
// (sshkeys/testdata/fingerprints.txt), and generate -> convert -> inspect
// must agree with itself and with puttygen, with exit codes and streams as
// shared/CLI.md says.
func TestKeyE2E(t *testing.T) {
	bin := gitjiraBinary(t)
	t.Run("fixtures", func(t *testing.T) { keyE2EFixtures(t, bin) })
	t.Run("exit codes", func(t *testing.T) { keyE2EExitCodes(t, bin) })
	t.Run("generate convert inspect", func(t *testing.T) { keyE2EPipeline(t, bin) })
	t.Run("terminal prompts", func(t *testing.T) { keyE2ETerminal(t, bin) })
}

// keyE2ERun runs the binary with stdin (never a terminal) and extra
// environment; GITJIRA_PASSPHRASE is removed unless env sets it.
func keyE2ERun(t *testing.T, bin, stdin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, keyPassphraseEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return code, out.String(), errb.String()
}

func keyE2EFixtures(t *testing.T, bin string) {
	f, err := os.Open(filepath.Join(keyFixtureDir, "fingerprints.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// FILE FORMAT ENCRYPTED TYPE BITS FINGERPRINT TOOL (see testdata/gen.sh)
		fields := strings.Fields(sc.Text())
		if len(fields) != 7 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		n++
		file, format, enc, typ, fp := fields[0], fields[1], fields[2] == "yes", fields[3], fields[5]
		bits, _ := strconv.Atoi(fields[4])
		if typ == "ssh-ed25519" {
			bits = 256 // puttygen counts 255, ssh-keygen and gitjira 256
		}
		t.Run(file, func(t *testing.T) {
			t.Parallel() // each is a process of its own, mostly waiting on key derivation
			args := []string{"key", "inspect", "--json", filepath.Join(keyFixtureDir, file)}
			stdin := ""
			if enc {
				args = append(args, "--passphrase-stdin")
				stdin = keyFixturePass + "\n"
			}
			code, stdout, stderr := keyE2ERun(t, bin, stdin, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var j keyJSON
			if err := json.Unmarshal([]byte(stdout), &j); err != nil {
				t.Fatalf("stdout is not JSON: %v: %q", err, stdout)
			}
			if string(j.Format) != format || j.Encrypted != enc || j.Type != typ || j.Bits != bits || j.Fingerprint != fp {
				t.Errorf("got %s enc=%v %s %d %s\nwant %s enc=%v %s %d %s (%s)",
					j.Format, j.Encrypted, j.Type, j.Bits, j.Fingerprint, format, enc, typ, bits, fp, fields[6])
			}
			if !j.Decrypted || !strings.HasPrefix(j.PublicKey, typ+" ") {
				t.Errorf("decrypted=%v public key %q", j.Decrypted, j.PublicKey)
			}
		})
	}
	if n < 50 {
		t.Fatalf("only %d fixtures listed in fingerprints.txt", n)
	}
}

func keyE2EExitCodes(t *testing.T, bin string) {
	tests := []struct {
		name     string
		stdin    string
		env      []string
		args     []string
		wantCode int
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
	}{
		{"inspect ok", "", nil, []string{"key", "inspect", keyFixtureEd25519}, 0, keyFixtureFP(t, keyFixtureEd25519), ""},
		{"encrypted, no passphrase: what is known", "", nil, []string{"key", "inspect", "--json", keyFixtureEdEnc}, 0, `"fingerprint": "` + keyFixtureFP(t, keyFixtureEd25519), "is encrypted"},
		{"passphrase from env", "", []string{keyPassphraseEnv + "=" + keyFixturePass}, []string{"key", "inspect", "--json", keyFixtureEdEnc}, 0, `"decrypted": true`, ""},
		{"wrong passphrase", "nope\n", nil, []string{"key", "inspect", "--passphrase-stdin", keyFixtureEdEnc}, 1, "", "wrong passphrase"},
		{"public key", "", nil, []string{"key", "inspect", keyFixtureDir + "/public_rsa2048.pub"}, 1, "", "public key"},
		{"key from stdin", string(keyMustReadE2E(t, keyFixtureEd25519)), nil, []string{"key", "inspect", "-"}, 0, keyFixtureFP(t, keyFixtureEd25519), ""},
		{"unknown flag", "", nil, []string{"key", "inspect", "--frob", keyFixtureEd25519}, 2, "", "frob"},
		{"missing FILE", "", nil, []string{"key", "inspect"}, 2, "", "missing FILE"},
		{"bad --to", "", nil, []string{"key", "convert", keyFixtureEd25519, "--to", "jks"}, 2, "", "--to"},
		{"generate without -o", "", nil, []string{"key", "generate"}, 2, "", "-o FILE"},
		{"convert to stdout", "", nil, []string{"key", "convert", keyFixtureEd25519, "--to", "ppk"}, 0, "PuTTY-User-Key-File-3: ssh-ed25519", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := keyE2ERun(t, bin, tt.stdin, tt.env, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stdout, tt.wantOut) {
				t.Errorf("stdout %q lacks %q", stdout, tt.wantOut)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.wantErr)
			}
			if tt.wantCode != 0 && (stdout != "" || strings.Count(stderr, "\n") != 1) {
				t.Errorf("a failure must print one stderr line and no stdout: %q %q", stdout, stderr)
			}
			if strings.Contains(stdout+stderr, keyFixturePass) || strings.Contains(stdout+stderr, "nope") {
				t.Errorf("a passphrase was printed")
			}
		})
	}
}

func keyMustReadE2E(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyE2EPipeline: generate an encrypted RSA key, convert it to an encrypted
// PPK with a new passphrase, and check inspect and puttygen agree on it.
func keyE2EPipeline(t *testing.T, bin string) {
	puttygen, err := exec.LookPath("puttygen")
	if err != nil {
		t.Fatal("puttygen is not installed: run `make deps`")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "id_rsa")
	code, stdout, stderr := keyE2ERun(t, bin, "first pass\n", nil,
		"key", "generate", "--type", "rsa", "--bits", "2048", "--format", "pem", "-C", "e2e@test", "--passphrase-stdin", "--json", "-o", key)
	if code != 0 {
		t.Fatalf("generate: exit %d %s", code, stderr)
	}
	var gen keyJSON
	if err := json.Unmarshal([]byte(stdout), &gen); err != nil {
		t.Fatal(err)
	}
	if gen.Format != "pkcs8" || !gen.Encrypted || gen.Comment != "e2e@test" || gen.PrivateKeyFile != key {
		t.Errorf("generate: %+v", gen)
	}

	ppk := filepath.Join(dir, "id_rsa.ppk")
	code, stdout, stderr = keyE2ERun(t, bin, "first pass\nsecond pass\n", nil,
		"key", "convert", key, "--to", "ppk", "-o", ppk, "--passphrase-stdin", "--new-passphrase-stdin")
	if code != 0 || !strings.Contains(stdout, "Wrote "+ppk) {
		t.Fatalf("convert: exit %d %q %s", code, stdout, stderr)
	}
	if st, err := os.Stat(ppk); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("converted file mode: %v %v", st.Mode(), err)
	}
	// Converting again onto the same -o never overwrites.
	code, _, stderr = keyE2ERun(t, bin, "first pass\nsecond pass\n", nil,
		"key", "convert", key, "--to", "ppk", "-o", ppk, "--passphrase-stdin", "--new-passphrase-stdin")
	if code != 1 || !strings.Contains(stderr, "already exists") {
		t.Errorf("second convert onto the same file: exit %d %q", code, stderr)
	}

	code, stdout, stderr = keyE2ERun(t, bin, "second pass\n", nil, "key", "inspect", "--json", "--passphrase-stdin", ppk)
	if code != 0 {
		t.Fatalf("inspect: exit %d %s", code, stderr)
	}
	var got keyJSON
	json.Unmarshal([]byte(stdout), &got)
	if got.Fingerprint != gen.Fingerprint || got.Format != "ppk-v3" || got.Comment != "e2e@test" || !got.Decrypted {
		t.Errorf("inspect of the converted key: %+v, generated %s", got, gen.Fingerprint)
	}

	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("second pass\n"), 0o600)
	out, err := exec.Command(puttygen, ppk, "--old-passphrase", passFile, "-O", "public-openssh").Output()
	if err != nil {
		t.Fatalf("puttygen: %v", err)
	}
	pubLine := strings.TrimSpace(string(keyMustReadE2E(t, key+".pub")))
	if f1, f2 := strings.Fields(string(out)), strings.Fields(pubLine); len(f1) < 2 || len(f2) < 2 || f1[1] != f2[1] {
		t.Errorf("puttygen reads another key:\n%s\n%s", out, pubLine)
	}
}

// keyE2ERunTerminal runs the binary on a pseudo-terminal made by script(1)
// (util-linux), typing input ahead. The typed lines arrive before the program
// turns echo off, so the terminal echoes them: output is not checked for
// secrets here.
//
// TERM=dumb: bubbletea's package init asks the terminal for its background
// colour (lipgloss.HasDarkBackground) whenever stdout is a terminal; nothing
// answers on this pseudo-terminal, so termenv would read the typed-ahead
// passphrases as the answer and the prompt would then wait forever. termenv
// skips the query for TERM=dumb. A timeout ends the run (SIGTERM makes script
// kill its child too) so a regression fails instead of hanging `make test`.
func keyE2ERunTerminal(t *testing.T, bin, input string, args ...string) (int, string) {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatal("script (util-linux) is not installed: run `make deps`")
	}
	quoted := []string{bin}
	for _, a := range args {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "-qec", strings.Join(quoted, " "), "/dev/null")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, keyPassphraseEnv+"=") && !strings.HasPrefix(kv, "TERM=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TERM=dumb")
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("gitjira %s on a terminal did not finish in 60 s (waiting for input?):\n%s", strings.Join(args, " "), out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("script: %v", err)
	}
	return code, strings.ReplaceAll(string(out), "\r\n", "\n")
}

// keyE2ETerminal: on a terminal the passphrases are asked with a prompt
// (twice for a new one) instead of coming from flags.
func keyE2ETerminal(t *testing.T, bin string) {
	dir := t.TempDir()
	key := filepath.Join(dir, "id_tty")
	code, out := keyE2ERunTerminal(t, bin, "tty pass\ntty pass\n", "key", "generate", "-o", key)
	if code != 0 || !strings.Contains(out, "Repeat the passphrase") {
		t.Fatalf("generate: exit %d\n%s", code, out)
	}
	if _, err := sshkeys.ParseWithPassphrase(keyMustReadE2E(t, key), []byte("tty pass")); err != nil {
		t.Errorf("generated key does not open with the typed passphrase: %v", err)
	}

	code, out = keyE2ERunTerminal(t, bin, "one\ntwo\n", "key", "generate", "-o", filepath.Join(dir, "id_mismatch"))
	if code != 1 || !strings.Contains(out, "passphrases differ") {
		t.Errorf("mismatched passphrases: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "id_mismatch")); err == nil {
		t.Errorf("a key was written after mismatched passphrases")
	}

	code, out = keyE2ERunTerminal(t, bin, "tty pass\n", "key", "inspect", key)
	if code != 0 || !strings.Contains(out, "Passphrase for") || !strings.Contains(out, "yes (passphrase checked)") {
		t.Errorf("inspect with the prompt: exit %d\n%s", code, out)
	}
	code, out = keyE2ERunTerminal(t, bin, "\n", "key", "inspect", key)
	if code != 0 || !strings.Contains(out, "yes (not decrypted)") {
		t.Errorf("inspect, Enter to skip: exit %d\n%s", code, out)
	}

	// convert: old passphrase, then the new one twice.
	ppk := filepath.Join(dir, "id_tty.ppk")
	code, out = keyE2ERunTerminal(t, bin, "tty pass\nnew tty\nnew tty\n", "key", "convert", key, "--to", "ppk", "-o", ppk)
	if code != 0 {
		t.Fatalf("convert: exit %d\n%s", code, out)
	}
	k, err := sshkeys.ParseWithPassphrase(keyMustReadE2E(t, ppk), []byte("new tty"))
	if err != nil || k.Format != sshkeys.FormatPPKv3 {
		t.Errorf("converted key: %v", err)
	}
}
