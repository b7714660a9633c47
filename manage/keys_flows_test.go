package manage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/ui/uitest"
)

// An encrypted stored key: the first sync asks its passphrase on a page
// (masked, a wrong one said so), the next sync of the session does not.
func TestFlowSyncAsksPassphraseOnce(t *testing.T) {
	w := newWorld(t)
	r := w.connect("vault", 8, keyEncrypted)
	w.addCommits("vault", 2)
	s := startSession(t, newModel(w.cfg(), newSession()))
	s.WaitFor("vault")
	s.Runes("s")
	s.WaitFor("is encrypted")
	s.Type("not it")
	s.Key(tea.KeyEnter)
	s.WaitFor("wrong passphrase")
	s.Type(testPassphrase)
	s.Key(tea.KeyEnter)
	s.WaitFor("Synced vault: 2 new commits")
	w.addCommits("vault", 1)
	s.Runes("s")
	s.WaitFor("Synced vault: 1 new commit")
	s.Runes("q")
	fm := final(s)
	all := s.ScreenText()
	if strings.Contains(all, testPassphrase) || strings.Contains(all, "not it") {
		t.Fatal("a passphrase was shown on screen")
	}
	if n := strings.Count(all, "is encrypted"); n == 0 {
		t.Fatal("no passphrase page")
	}
	if fm.c.sess.signer("vault") == nil {
		t.Error("the decrypted key is not kept for the session")
	}
	got, _ := w.get("vault")
	if got.Commits != r.Commits+3 {
		t.Errorf("commits %d, want %d", got.Commits, r.Commits+3)
	}
	// The stored key is still the encrypted file: no passphrase, no plain key on disk.
	if b, _ := os.ReadFile(got.KeyFile); string(b) != string(readKey(t, keyEncrypted)) {
		t.Error("the stored key changed")
	}
}

// Esc on the passphrase page skips that repository's sync.
func TestFlowPassphraseEscSkips(t *testing.T) {
	w := newWorld(t)
	w.connect("vault", 5, keyEncrypted)
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("vault")
	d.Runes("s").UntilView("is encrypted")
	d.Key(tea.KeyEsc).UntilView("skipped")
	if d.Model.syncs.active() || d.Model.syncs.has("vault") {
		t.Error("the skipped sync is still under way")
	}
}

// k gives a repository a new key with the key picker component: a key the
// server refuses is not stored (the page shows the public key to add), one
// it accepts is.
func TestFlowChangeKey(t *testing.T) {
	w := newWorld(t)
	old := w.connect("api", 5, keyEd25519)

	// A key the server does not accept.
	if err := os.WriteFile(filepath.Join(w.sshDir, "id_rsa"), readKey(t, "openssh_rsa2048.key"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("api")
	d.Runes("k").UntilView("id_rsa")
	d.Key(tea.KeyEnter)
	// The refusal opens the authorize step (issue 18); its last choice is
	// another key, back on the picker.
	d.Until("the authorize step", func(m Model) bool {
		_, ok := m.page.(*authorizePage)
		return ok && strings.Contains(uitest.Flat(m.View()), "does not accept this key yet")
	})
	d.Key(tea.KeyEnd).Key(tea.KeyEnter)
	d.Until("the refusal", func(m Model) bool {
		p, ok := m.page.(*keyChangePage)
		return ok && p.stage == stageKey && p.refused != nil
	})
	if got, _ := w.get("api"); got.KeyFingerprint != old.KeyFingerprint {
		t.Fatalf("a refused key was stored: %+v", got)
	}
	// The refusal says which key, and shows its public half to add.
	pub := strings.TrimSpace(string(parseKey(t, "openssh_rsa2048.key").AuthorizedKey))
	if v := uitest.Flat(d.View()); !strings.Contains(v, "The server refused key") || !strings.Contains(strings.ReplaceAll(d.View(), "\n", ""), pub[:60]) {
		t.Errorf("refusal screen:\n%s", d.View())
	}
	d.Key(tea.KeyEsc).Settle()
	if d.Model.page != nil {
		t.Fatalf("esc did not close the page:\n%s", d.View())
	}

	// A key the server accepts.
	os.Remove(filepath.Join(w.sshDir, "id_rsa"))
	if err := os.WriteFile(filepath.Join(w.sshDir, "id_ecdsa"), readKey(t, keyECDSA), 0o600); err != nil {
		t.Fatal(err)
	}
	d.Runes("k").UntilView("id_ecdsa")
	d.Key(tea.KeyEnter).UntilView("New key for api, accepted by the server")
	want := parseKey(t, keyECDSA).Fingerprint
	got, _ := w.get("api")
	if got.KeyFingerprint != want {
		t.Errorf("key fingerprint %s, want %s", got.KeyFingerprint, want)
	}
	if b, _ := os.ReadFile(got.KeyFile); string(b) != string(readKey(t, keyECDSA)) {
		t.Error("the new key was not stored")
	}
	// The next sync uses it (the server accepts only what the list says).
	d.Settle().Runes("s").UntilView("Synced api")
}

// A changed host key during a key change shows the host key component's
// warning with the ssh-keygen -R line; once known_hosts is fixed, r checks
// again and the key is stored.
func TestFlowChangeKeyHostKeyChanged(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 5, keyEd25519)
	kh := filepath.Join(w.sshDir, "known_hosts")
	good, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := gitops.ParseURL(w.srv.URL("/x.git"))
	if err != nil {
		t.Fatal(err)
	}
	// known_hosts now names another key for the server.
	if err := os.WriteFile(kh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := gitops.AddKnownHost(kh, ep, parseKey(t, keyECDSA).Signer.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.sshDir, "id_ecdsa"), readKey(t, keyECDSA), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 30)
	d.UntilView("api")
	d.Runes("k").UntilView("id_ecdsa")
	d.Key(tea.KeyEnter).UntilView("THE HOST KEY HAS CHANGED")
	d.ViewHas("ssh-keygen -R", "r check again")
	if got, _ := w.get("api"); got.KeyFingerprint == parseKey(t, keyECDSA).Fingerprint {
		t.Fatal("the key was stored past a changed host key")
	}
	if err := os.WriteFile(kh, good, 0o600); err != nil {
		t.Fatal(err)
	}
	d.Runes("r").UntilView("New key for api, accepted by the server")
}

// An encrypted key chosen for a key change is unlocked with the passphrase
// component (a wrong passphrase said so), and stored still encrypted.
func TestFlowChangeKeyEncrypted(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 5, keyECDSA)
	if err := os.WriteFile(filepath.Join(w.sshDir, "id_ed25519"), readKey(t, keyEncrypted), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("api")
	d.Runes("k").UntilView("id_ed25519")
	d.Key(tea.KeyEnter).UntilView("Passphrase:")
	d.Type("not it").Key(tea.KeyEnter).UntilView("wrong passphrase")
	d.Type(testPassphrase).Key(tea.KeyEnter).UntilView("New key for api, accepted by the server")
	got, _ := w.get("api")
	if b, _ := os.ReadFile(got.KeyFile); string(b) != string(readKey(t, keyEncrypted)) {
		t.Error("the stored key is not the encrypted file as given")
	}
	if strings.Contains(d.View(), testPassphrase) {
		t.Error("the passphrase is on screen")
	}
}
