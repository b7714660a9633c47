package steps

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/gitjira/gitjira/ui/components/keypicker"
	"golang.org/x/crypto/ssh"
)

// encryptedDraft is a draft holding the encrypted test key, as the key step leaves it.
func encryptedDraft(t *testing.T, d *Draft) {
	t.Helper()
	raw := readTestKey(t, "enc_ed25519")
	k, err := keypicker.ParseKey(raw)
	if err != nil || !k.Encrypted {
		t.Fatalf("test key: %v %+v", err, k)
	}
	d.SetKey("/keys/enc_ed25519", raw, k, false)
}

func TestPassphraseSkip(t *testing.T) {
	env, draft := testEnv(t)
	p := NewPassphrase(env, draft)
	if !p.Skip() {
		t.Error("not skipped without a key")
	}
	k, err := keypicker.ParseKey(readTestKey(t, "id_ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	draft.SetKey("id", nil, k, false)
	if !p.Skip() {
		t.Error("not skipped for an unencrypted key")
	}
	encryptedDraft(t, draft)
	if p.Skip() {
		t.Error("skipped for an encrypted key")
	}
}

func TestPassphraseWrongThenRight(t *testing.T) {
	env, draft := testEnv(t)
	encryptedDraft(t, draft)
	d := newDriver(t, NewPassphrase(env, draft)).enter()
	if !d.s.Typing() {
		t.Fatal("passphrase field not focused")
	}
	views := []string{d.view()}
	d.viewHas("/keys/enc_ed25519", "ed25519", "is encrypted")

	wrong := "tr0ub4dor&3-wrong"
	d.typeText(wrong)
	views = append(views, d.view())
	if !strings.Contains(d.view(), strings.Repeat("•", len(wrong))) {
		t.Errorf("passphrase not masked:\n%s", d.view())
	}
	d.key(tea.KeyEnter)
	if !d.s.Busy() {
		t.Error("not busy while decrypting")
	}
	views = append(views, d.view())
	d.viewHas("Decrypting")
	d.until("wrong", func(s Step) bool { return s.(Passphrase).Attempts() == 1 })
	views = append(views, d.view())
	d.viewHas("wrong passphrase (attempt 1)", "esc to choose another key")
	if len(d.nav) != 0 || draft.Key.Signer != nil {
		t.Fatal("a wrong passphrase moved on")
	}
	if d.s.(Passphrase).prompt.Typed() {
		t.Error("field not cleared after a wrong passphrase")
	}

	d.typeText(testPassphrase)
	views = append(views, d.view())
	d.key(tea.KeyEnter)
	views = append(views, d.view())
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepPassphrase}) {
		t.Fatalf("got %#v", nav)
	}
	views = append(views, d.view())
	if draft.Key.Signer == nil || draft.Key.Fingerprint != pubFingerprint(t, "enc_ed25519") {
		t.Fatalf("not decrypted: %+v", draft.Key)
	}
	if !d.s.Skip() {
		t.Error("a decrypted key still asks for the passphrase")
	}
	for i, v := range views {
		for _, secret := range []string{wrong, testPassphrase, "horse", "tr0ub"} {
			if secret != "" && strings.Contains(v, secret) {
				t.Errorf("view %d shows the passphrase (%q):\n%s", i, secret, v)
			}
		}
	}
}

func TestPassphraseEmptyAndBack(t *testing.T) {
	env, draft := testEnv(t)
	encryptedDraft(t, draft)
	d := newDriver(t, NewPassphrase(env, draft)).enter()
	d.key(tea.KeyEnter).settle()
	d.viewHas("type the key's passphrase")
	if d.s.Busy() || len(d.nav) != 0 {
		t.Fatal("empty passphrase submitted")
	}
	d.typeText("abc").key(tea.KeyEsc)
	if nav := d.waitNav("back"); nav != (BackMsg{From: StepPassphrase}) {
		t.Fatalf("got %#v", nav)
	}
	if d.s.(Passphrase).prompt.Typed() {
		t.Error("the passphrase is kept after esc")
	}
}

func TestPassphraseAttemptsResetForAnotherKey(t *testing.T) {
	env, draft := testEnv(t)
	encryptedDraft(t, draft)
	d := newDriver(t, NewPassphrase(env, draft)).enter()
	d.typeText("nope").key(tea.KeyEnter)
	d.until("wrong", func(s Step) bool { return s.(Passphrase).Attempts() == 1 })
	d.enter() // back and forth with the same key: the count stays
	if n := d.s.(Passphrase).Attempts(); n != 1 {
		t.Errorf("attempts %d after re-entering", n)
	}
	draft.KeySource = "/keys/other"
	d.enter()
	if n := d.s.(Passphrase).Attempts(); n != 0 {
		t.Errorf("attempts %d for another key", n)
	}
}

// TestPassphraseNotAskedAgain: once decrypted, the same key chosen again
// (after going back to the key step) keeps its decrypted form.
func TestPassphraseNotAskedAgain(t *testing.T) {
	env, draft := testEnv(t)
	encryptedDraft(t, draft)
	d := newDriver(t, NewPassphrase(env, draft)).enter()
	d.typeText(testPassphrase).key(tea.KeyEnter)
	d.waitNav("done")
	// the key step reads the file again and records it
	raw := readTestKey(t, "enc_ed25519")
	k, err := keypicker.ParseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	draft.SetKey("/keys/enc_ed25519", raw, k, false)
	if draft.Key.Signer == nil || !d.s.Skip() {
		t.Fatal("the passphrase would be asked again for the same key")
	}
	// a fresh draft (another wizard) knows nothing
	fresh := &Draft{}
	encryptedDraft(t, fresh)
	if NewPassphrase(env, fresh).Skip() {
		t.Error("a fresh draft skips the passphrase")
	}
}

func TestPassphraseWording(t *testing.T) {
	env, draft := testEnv(t)
	raw := readTestKey(t, "enc_ed25519")
	k, _ := keypicker.ParseKey(raw)
	draft.SetKey(PastedSource, raw, k, false)
	d := newDriver(t, NewPassphrase(env, draft)).enter()
	d.viewHas("The pasted key (ed25519) is encrypted.")
	d.viewLacks("The key pasted key")
}

// TestPassphraseAuthorizeHook: a key whose public half is known only once
// decrypted is authorized (the demo's hook) after the passphrase.
func TestPassphraseAuthorizeHook(t *testing.T) {
	env, draft := testEnv(t)
	calls := 0
	env.AuthorizeKey = func(ssh.PublicKey) (string, error) { calls++; return "accepted", nil }
	encryptedDraft(t, draft)
	d := newDriver(t, NewPassphrase(env, draft)).enter()
	d.typeText(testPassphrase).key(tea.KeyEnter)
	d.waitNav("done")
	if calls != 1 || draft.KeyNote() != "accepted" {
		t.Fatalf("calls %d note %q", calls, draft.KeyNote())
	}
}
