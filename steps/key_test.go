package steps

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/ui/components/keypicker"
)

// pubFingerprint is the SHA256 fingerprint of a fixed test key, from its .pub
// file (as ssh-keygen -l computes it), independent of sshkeys.
func pubFingerprint(t *testing.T, name string) string {
	t.Helper()
	pk, _, _, _, err := ssh.ParseAuthorizedKey(readTestKey(t, name+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(pk)
}

func keyStep(s Step) Key { return s.(Key) }

// ks is what the key step's picker shows.
func ks(s Step) keypicker.State { return s.(Key).picker.State() }

// sshDirWithKeys fills the env's ssh dir like a real ~/.ssh.
func sshDirWithKeys(t *testing.T, env *Env) {
	copyKey(t, "id_ed25519", env.SSHDir, "id_ed25519")
	copyKey(t, "enc_ed25519", env.SSHDir, "id_work")
	copyKey(t, "legacy_rsa", env.SSHDir, "legacy_rsa")
	for name, content := range map[string]string{
		"known_hosts":     "[127.0.0.1]:2222 " + string(readTestKey(t, "host_ed25519.pub")),
		"config":          "Host x\n  HostName example.com\n",
		"authorized_keys": string(readTestKey(t, "id_ed25519.pub")),
		"notes.txt":       "not a key\n",
	} {
		if err := os.WriteFile(filepath.Join(env.SSHDir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestKeyFileListAndChoose(t *testing.T) {
	env, draft := testEnv(t)
	sshDirWithKeys(t, env)
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.until("scan", func(s Step) bool { return ks(s).Scanned })

	var names []string
	for _, c := range ks(d.s).Candidates {
		names = append(names, filepath.Base(c.Path))
	}
	if got, want := strings.Join(names, " "), "id_ed25519 id_work legacy_rsa"; got != want {
		t.Fatalf("listed %q, want %q (no .pub, known_hosts, config, authorized_keys, non-keys)", got, want)
	}
	v := d.view()
	for _, want := range []string{"id_ed25519", "ed25519", "id_work", "encrypted", "legacy_rsa", "rsa 2048", pubFingerprint(t, "id_ed25519")} {
		if !strings.Contains(v, want) {
			t.Errorf("list lacks %q:\n%s", want, v)
		}
	}
	d.viewFits(80)

	// the first key is selected; down twice selects legacy_rsa, enter uses it
	d.key(tea.KeyDown).key(tea.KeyDown)
	d.viewHas(pubFingerprint(t, "legacy_rsa"))
	d.key(tea.KeyEnter)
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepKey}) {
		t.Fatalf("got %#v", nav)
	}
	if draft.Key == nil || draft.Key.Fingerprint != pubFingerprint(t, "legacy_rsa") || draft.Key.Signer == nil {
		t.Fatalf("draft key = %+v", draft.Key)
	}
	if draft.KeySource != filepath.Join(env.SSHDir, "legacy_rsa") || len(draft.KeyRaw) == 0 {
		t.Errorf("source %q, %d bytes", draft.KeySource, len(draft.KeyRaw))
	}
}

func TestKeyFileEncryptedGoesToPassphrase(t *testing.T) {
	env, draft := testEnv(t)
	sshDirWithKeys(t, env)
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.until("scan", func(s Step) bool { return ks(s).Scanned })
	d.key(tea.KeyDown).key(tea.KeyEnter)
	d.waitNav("done")
	if draft.Key == nil || !draft.Key.Encrypted || draft.Key.Signer != nil {
		t.Fatalf("encrypted key: %+v", draft.Key)
	}
	// the OpenSSH format carries the public half in the clear: fingerprint known already
	if draft.Key.Fingerprint != pubFingerprint(t, "enc_ed25519") {
		t.Errorf("fingerprint %q", draft.Key.Fingerprint)
	}
	if NewPassphrase(env, draft).Skip() {
		t.Error("passphrase step skipped for an encrypted key")
	}
}

func TestKeyTypedPathRefusals(t *testing.T) {
	env, draft := testEnv(t)
	copyKey(t, "id_ed25519", env.SSHDir, "mine")
	for _, tc := range []struct {
		name, path string
		want       string
		check      func(error) bool
	}{
		{"public key", filepath.Join(env.SSHDir, "mine.pub"), "public", func(err error) bool {
			var pk *sshkeys.PublicKeyGivenError
			return errors.As(err, &pk)
		}},
		{"directory", env.SSHDir, "is a directory", nil},
		{"missing", filepath.Join(env.SSHDir, "nope"), "does not exist", nil},
		{"not a key", "helpers_test.go", "", func(err error) bool { return errors.Is(err, sshkeys.ErrNotAKey) || errors.Is(err, sshkeys.ErrCorrupt) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.SSHDir = t.TempDir() // no keys: the picker opens on Generate (issue 15, defect 6)
			d := newDriver(t, NewKey(env, draft, "")).enter()
			d.until("generate", func(s Step) bool { return keyStep(s).picker.Mode() == keypicker.ModeGenerate })
			d.key(tea.KeyTab) // back to "Choose a key": the path field has the focus
			if !d.s.Typing() || keyStep(d.s).picker.Mode() != keypicker.ModeFile {
				t.Fatal("path field not focused with an empty list")
			}
			d.typeText(tc.path).key(tea.KeyEnter)
			d.until("error", func(s Step) bool { return ks(s).Err != nil })
			err := ks(d.s).Err
			if tc.check != nil && !tc.check(err) {
				t.Errorf("error %T %v", err, err)
			}
			d.viewHas("✗", tc.want)
			if len(d.nav) != 0 || draft.Key != nil {
				t.Fatal("refused input was accepted")
			}
		})
	}
}

func TestKeyIdentityFilesFirst(t *testing.T) {
	env, draft := testEnv(t)
	sshDirWithKeys(t, env)
	other := t.TempDir()
	idf := copyKey(t, "stranger_ed25519", other, "deploy_key")
	draft.Endpoint = &gitops.Endpoint{User: "git", Host: "h", Port: 22, Path: "/r.git",
		IdentityFiles: []string{idf, filepath.Join(other, "missing_key")}}
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.until("scan", func(s Step) bool { return ks(s).Scanned })
	c := ks(d.s).Candidates
	if len(c) != 5 || c[0].Path != idf || !c[0].FromConfig || c[1].Err == nil {
		t.Fatalf("candidates: %+v", c)
	}
	d.viewHas("deploy_key", "(IdentityFile)", "missing_key", "cannot be used")
	// the missing one, chosen, says why
	d.key(tea.KeyDown).key(tea.KeyEnter)
	d.viewHas("does not exist")
}

func TestKeyPaste(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.until("generate (no keys)", func(s Step) bool { return keyStep(s).picker.Mode() == keypicker.ModeGenerate })
	d.key(tea.KeyShiftTab)
	if keyStep(d.s).picker.Mode() != keypicker.ModePaste || !d.s.Typing() {
		t.Fatal("shift+tab did not switch to paste")
	}
	// a terminal pastes with CRLF and the user's indentation
	raw := strings.ReplaceAll(string(readTestKey(t, "id_ed25519")), "\n", "\r\n  ")
	d.paste(raw)
	d.until("parsed", func(s Step) bool { return ks(s).PasteKey != nil })
	d.viewHas("✓ ed25519 key", pubFingerprint(t, "id_ed25519"), "Press enter to use it")
	d.key(tea.KeyEnter)
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepKey}) {
		t.Fatalf("got %#v", nav)
	}
	if draft.KeySource != PastedSource || draft.Key.Signer == nil || strings.Contains(string(draft.KeyRaw), "\r") {
		t.Fatalf("draft: %q %+v", draft.KeySource, draft.Key)
	}
}

func TestKeyPasteRefusesPublicAndGarbage(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.key(tea.KeyShiftTab).key(tea.KeyShiftTab)
	d.paste(string(readTestKey(t, "id_ed25519.pub")))
	d.until("parsed", func(s Step) bool { return ks(s).PasteErr != nil })
	var pk *sshkeys.PublicKeyGivenError
	if !errors.As(ks(d.s).PasteErr, &pk) {
		t.Fatalf("public key pasted: %v", ks(d.s).PasteErr)
	}
	d.viewHas("✗")
	// enter does not accept; it is a newline in the text area
	before := ks(d.s).PasteText
	d.key(tea.KeyEnter).settle()
	if len(d.nav) != 0 || ks(d.s).PasteText == before {
		t.Fatalf("enter on a refused paste: nav %v", d.nav)
	}
}

func TestKeyGenerate(t *testing.T) {
	env, draft := testEnv(t)
	draft.Endpoint = &gitops.Endpoint{User: "git", Host: "h", Port: 22, Path: "/team/app.git"}
	// an existing gitjira_ed25519 is never overwritten: the next free name is offered
	copyKey(t, "id_ed25519", env.SSHDir, "gitjira_ed25519")
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.key(tea.KeyShiftTab)
	if keyStep(d.s).picker.Mode() != keypicker.ModeGenerate {
		t.Fatal("shift+tab did not reach generate")
	}
	want := filepath.Join(env.SSHDir, "gitjira_ed25519_2")
	d.until("suggested path", func(s Step) bool { return ks(s).GenPath == want })
	d.viewHas("(•) ed25519", "Save as: "+want)
	d.key(tea.KeyEnter)
	d.until("generated", func(s Step) bool { return ks(s).Generated != nil || ks(s).Err != nil })
	g := ks(d.s).Generated
	if g == nil {
		t.Fatalf("generation failed: %v", ks(d.s).Err)
	}
	fi, err := os.Stat(want)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", fi, err)
	}
	pub, err := os.ReadFile(want + ".pub")
	if err != nil || strings.TrimSpace(string(pub)) != g.Key.AuthorizedKey {
		t.Fatalf(".pub = %q, key %q (%v)", pub, g.Key.AuthorizedKey, err)
	}
	if !strings.HasSuffix(g.Key.AuthorizedKey, " gitjira:app") {
		t.Errorf("comment: %q", g.Key.AuthorizedKey)
	}
	// the public key is one copyable line, whole, and the copy key copies it
	if !hasLine(d.view(), g.Key.AuthorizedKey) {
		t.Errorf("public key not on a line of its own:\n%s", d.view())
	}
	if scr := d.s.View(); scr.Copy != g.Key.AuthorizedKey || scr.CopyWhat != "public key" {
		t.Errorf("copy %q", scr.Copy)
	}
	d.viewHas("Add this public key to the git host's SSH keys page", "Press enter to go on: the next step adds it", "cat "+want+".pub")
	d.viewFits(80)
	d.key(tea.KeyEnter)
	d.waitNav("done")
	if !draft.Generated || draft.KeySource != want || draft.Key.Signer == nil {
		t.Fatalf("draft: %+v", draft)
	}
}

func TestKeyGenerateRSAPEM(t *testing.T) {
	if testing.Short() {
		t.Skip("RSA 4096 generation is slow")
	}
	env, draft := testEnv(t)
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.key(tea.KeyShiftTab).key(tea.KeyRight)
	want := filepath.Join(env.SSHDir, "gitjira_rsa")
	d.until("rsa path", func(s Step) bool { return ks(s).GenPath == want })
	d.key(tea.KeyEnter)
	if !d.s.Busy() {
		t.Error("not busy while generating")
	}
	d.until("generated", func(s Step) bool { return ks(s).Generated != nil || ks(s).Err != nil })
	raw, err := os.ReadFile(want)
	if err != nil || !strings.HasPrefix(string(raw), "-----BEGIN RSA PRIVATE KEY-----") {
		t.Fatalf("not a PEM RSA key: %v %.40q", err, raw)
	}
	if k := ks(d.s).Generated.Key; k.Bits != 4096 {
		t.Errorf("bits %d", k.Bits)
	}
}

func TestKeyAuthRefusedBanner(t *testing.T) {
	env, draft := testEnv(t)
	sshDirWithKeys(t, env)
	line := strings.TrimSpace(string(readTestKey(t, "id_ed25519.pub")))
	draft.SetKey(filepath.Join(env.SSHDir, "id_ed25519"), readTestKey(t, "id_ed25519"), nil, false)
	draft.AuthErr = &gitops.AuthError{User: "git", Fingerprint: pubFingerprint(t, "id_ed25519"), AuthorizedKey: line}
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.until("scan", func(s Step) bool { return ks(s).Scanned })
	d.viewHas("The server refused key "+pubFingerprint(t, "id_ed25519")+" for user git", "Add this public key")
	if !hasLine(d.view(), line) {
		t.Errorf("public key line not shown whole:\n%s", d.view())
	}
	scr := d.s.View()
	if !strings.Contains(plain(scr.Bottom), "The server refused key") || scr.Copy != line {
		t.Errorf("the refusal is not in the always-visible part, or not copyable: %q", scr.Bottom)
	}
	// the key in use is preselected, so enter tries it again
	if c := ks(d.s).Cursor; filepath.Base(ks(d.s).Candidates[c].Path) != "id_ed25519" {
		t.Errorf("cursor on %d", c)
	}
	d.viewFits(80)
	// choosing another key clears the stale refusal
	d.key(tea.KeyDown)
	d.viewLacks("The server refused", "Add this public key")
}

func TestKeyHintPreselects(t *testing.T) {
	env, draft := testEnv(t)
	sshDirWithKeys(t, env)
	hint := filepath.Join(env.SSHDir, "legacy_rsa")
	d := newDriver(t, NewKey(env, draft, hint)).enter()
	d.until("scan", func(s Step) bool { return ks(s).Scanned })
	k := ks(d.s)
	if k.Cursor != 2 || k.Path != "" {
		t.Fatalf("cursor %d, path %q", k.Cursor, k.Path)
	}
	// a hint outside the list stays in the path field, which has the focus
	other := copyKey(t, "id_ed25519", t.TempDir(), "elsewhere")
	d = newDriver(t, NewKey(env, &Draft{}, other)).enter()
	d.until("scan", func(s Step) bool { return ks(s).Scanned })
	if k := ks(d.s); k.Cursor != len(k.Candidates) || k.Path != other || !d.s.Typing() {
		t.Fatalf("cursor %d of %d, path %q", k.Cursor, len(k.Candidates), k.Path)
	}
	d.key(tea.KeyEnter)
	d.waitNav("done")
}

func TestKeyPathCompletion(t *testing.T) {
	env, draft := testEnv(t)
	env.SSHDir = t.TempDir() // empty: it opens on Generate
	dir := t.TempDir()
	copyKey(t, "id_ed25519", dir, "deploy_key")
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.until("generate", func(s Step) bool { return keyStep(s).picker.Mode() == keypicker.ModeGenerate })
	d.key(tea.KeyTab) // to "Choose a key", where the path field has the focus
	d.typeText(dir + "/dep")
	d.until("suggestions", func(s Step) bool { return keyStep(s).picker.Suggestions() > 0 })
	d.key(tea.KeyTab) // completes, it does not switch to the paste mode
	if keyStep(d.s).picker.Mode() != keypicker.ModeFile {
		t.Fatal("tab in the path field switched modes")
	}
	if v := ks(d.s).Path; v != filepath.Join(dir, "deploy_key") {
		t.Fatalf("completed to %q", v)
	}
	d.key(tea.KeyEnter)
	d.waitNav("done")
	if draft.KeySource != filepath.Join(dir, "deploy_key") {
		t.Errorf("source %q", draft.KeySource)
	}
}

// hasLine reports whether view has want as one line (trimmed).
func hasLine(view, want string) bool {
	for _, l := range strings.Split(view, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// TestKeyGenerateIntoMissingSSHDir: a fresh account has no ~/.ssh; the
// wizard creates it 0700, asks the passphrase twice and takes a comment.
func TestKeyGenerateIntoMissingSSHDir(t *testing.T) {
	env, draft := testEnv(t)
	env.SSHDir = filepath.Join(t.TempDir(), "home", ".ssh")
	d := newDriver(t, NewKey(env, draft, "")).enter()
	// no key at all: it opens on Generate (issue 15, defect 6)
	d.until("generate", func(s Step) bool { return keyStep(s).picker.Mode() == keypicker.ModeGenerate })
	want := filepath.Join(env.SSHDir, "gitjira_ed25519")
	d.until("suggested path", func(s Step) bool { return ks(s).GenPath == want })
	d.key(tea.KeyDown).key(tea.KeyDown) // type, path, passphrase
	if !d.s.Typing() {
		t.Fatal("passphrase field not focused")
	}
	d.typeText("s3cret pass")
	if strings.Contains(d.view(), "s3cret") {
		t.Fatal("passphrase shown")
	}
	d.key(tea.KeyEnter) // asks for it again, writes nothing yet
	if ks(d.s).GenField != "pass2" || d.s.Busy() {
		t.Fatalf("field %s busy %v", ks(d.s).GenField, d.s.Busy())
	}
	d.typeText("s3cret pass")
	d.key(tea.KeyDown)
	for range len("gitjira") {
		d.key(tea.KeyBackspace)
	}
	d.typeText("me@laptop")
	d.key(tea.KeyEnter)
	d.until("generated", func(s Step) bool { return ks(s).Generated != nil || ks(s).Err != nil })
	g := ks(d.s).Generated
	if g == nil {
		t.Fatalf("generation failed: %v", ks(d.s).Err)
	}
	fi, err := os.Stat(env.SSHDir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("ssh dir: %v %v", fi, err)
	}
	raw, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	var pm *sshkeys.PassphraseMissingError
	if _, err := sshkeys.Parse(raw); !errors.As(err, &pm) {
		t.Fatalf("the key is not encrypted: %v", err)
	}
	if _, err := sshkeys.ParseWithPassphrase(raw, []byte("s3cret pass")); err != nil {
		t.Fatalf("the passphrase does not open it: %v", err)
	}
	if !strings.HasSuffix(g.Key.AuthorizedKey, " me@laptop") {
		t.Errorf("comment: %q", g.Key.AuthorizedKey)
	}
	if ks(d.s).GenPassTyped {
		t.Error("the passphrase stays in the fields")
	}
	d.key(tea.KeyEnter)
	d.waitNav("done")
	// decrypted already: no passphrase step for the key just made
	if draft.Key.Signer == nil || !NewPassphrase(env, draft).Skip() {
		t.Fatal("the generated key must be usable without asking its passphrase again")
	}
}

func TestKeyGenerateRefusals(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.key(tea.KeyShiftTab)
	want := filepath.Join(env.SSHDir, "gitjira_ed25519")
	d.until("suggested path", func(s Step) bool { return ks(s).GenPath == want })
	// two different passphrases
	d.key(tea.KeyDown).key(tea.KeyDown).typeText("one").key(tea.KeyDown).typeText("two").key(tea.KeyEnter)
	d.viewHas("the two passphrases differ")
	if ks(d.s).GenField != "pass" || ks(d.s).GenPassTyped {
		t.Error("not back on an empty passphrase field")
	}
	// a file that exists is never overwritten
	copyKey(t, "id_ed25519", env.SSHDir, "taken")
	d.key(tea.KeyUp)
	for range len(want) {
		d.key(tea.KeyBackspace)
	}
	d.typeText(filepath.Join(env.SSHDir, "taken")).key(tea.KeyEnter)
	d.until("refusal", func(s Step) bool { return ks(s).Err != nil })
	d.viewHas("already exists: choose another file name")
	d.viewLacks("-o path")
	// a directory that does not exist (other than the ssh dir) is not made
	for range len(filepath.Join(env.SSHDir, "taken")) {
		d.key(tea.KeyBackspace)
	}
	d.typeText(filepath.Join(t.TempDir(), "no", "such", "k")).key(tea.KeyEnter)
	d.until("refusal", func(s Step) bool {
		e := ks(s).Err
		return e != nil && strings.Contains(e.Error(), "does not exist")
	})
	d.viewLacks("-o path")
}

// TestKeyAuthorizeHook: the demo's hook is called with the chosen key before
// the wizard goes on, and its message is kept for the next screens.
func TestKeyAuthorizeHook(t *testing.T) {
	env, draft := testEnv(t)
	sshDirWithKeys(t, env)
	var got []string
	env.AuthorizeKey = func(pk ssh.PublicKey) (string, error) {
		got = append(got, ssh.FingerprintSHA256(pk))
		return "the demo server now accepts this key", nil
	}
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.until("scan", func(s Step) bool { return ks(s).Scanned })
	d.key(tea.KeyEnter)
	d.waitNav("done")
	if len(got) != 1 || got[0] != pubFingerprint(t, "id_ed25519") || draft.KeyNote() != "the demo server now accepts this key" {
		t.Fatalf("hook calls %v, note %q", got, draft.KeyNote())
	}
	// a generated key: the message is on the public key screen
	d.enter()
	d.key(tea.KeyShiftTab)
	d.until("suggested path", func(s Step) bool { return ks(s).GenPath != "" })
	d.key(tea.KeyEnter)
	d.until("authorized", func(s Step) bool {
		g := ks(s).Generated
		return g != nil && draft.notes[g.Key.Fingerprint] != ""
	})
	d.viewHas("✓ the demo server now accepts this key", "Press enter to continue")
	d.key(tea.KeyEnter)
	d.waitNav("done")
	if len(got) != 2 {
		t.Errorf("hook called %d times", len(got))
	}
}

// TestKeyAgent: keys held by a running ssh-agent are listed with the files;
// one chosen signs through the agent and has no bytes to store.
func TestKeyAgent(t *testing.T) {
	env, draft := testEnv(t)
	sshDirWithKeys(t, env)
	env.AgentSocket = startAgent(t, "stranger_ed25519")
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.until("agent keys", func(s Step) bool { return len(ks(s).Candidates) == 4 && ks(s).Scanned })
	d.viewHas("stranger", "ssh-agent")
	c := ks(d.s).Candidates
	if len(c) != 4 || !c[0].Agent {
		t.Fatalf("candidates %+v", c)
	}
	// the cursor stays on the first file, which was selected before the agent answered
	d.key(tea.KeyUp)
	d.viewHas("Held by ssh-agent", pubFingerprint(t, "stranger_ed25519"))
	d.key(tea.KeyEnter)
	d.waitNav("done")
	if !draft.FromAgent || len(draft.KeyRaw) != 0 || draft.Key.Fingerprint != pubFingerprint(t, "stranger_ed25519") ||
		!strings.HasPrefix(draft.KeySource, AgentSource) {
		t.Fatalf("draft: %q %+v", draft.KeySource, draft.Key)
	}
	sig, err := draft.Key.Signer.Sign(nil, []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := draft.Key.PublicKey.Verify([]byte("data"), sig); err != nil {
		t.Fatalf("agent signature: %v", err)
	}
	if !NewPassphrase(env, draft).Skip() {
		t.Error("an agent key asks for a passphrase")
	}
}

// startAgent serves an in-memory ssh-agent holding the named test keys on
// a unix socket (as ssh-agent does), for the test's duration.
func startAgent(t *testing.T, names ...string) string {
	t.Helper()
	ring := agent.NewKeyring()
	for _, n := range names {
		k, err := ssh.ParseRawPrivateKey(readTestKey(t, n))
		if err != nil {
			t.Fatal(err)
		}
		comment := strings.TrimSuffix(n, "_ed25519")
		if err := ring.Add(agent.AddedKey{PrivateKey: k, Comment: comment}); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := os.MkdirTemp("", "agent") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				agent.ServeAgent(ring, c)
			}()
		}
	}()
	return sock
}
