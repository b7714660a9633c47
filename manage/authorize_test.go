package manage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/ui/uitest"
)

// k with a key the server refuses opens the authorize step (issue 18);
// once the key is added on the host (here by the test, as the user would on
// its keys page) the step's re-test passes and the key change completes.
func TestFlowChangeKeyAuthorize(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 5, keyEd25519)
	const refused = "openssh_rsa2048.key" // not among the server's keys
	if err := os.WriteFile(filepath.Join(w.sshDir, "id_rsa"), readKey(t, refused), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("api")
	d.Runes("k").UntilView("id_rsa")
	d.Key(tea.KeyEnter)
	d.Until("the authorize step", func(m Model) bool {
		_, ok := m.page.(*authorizePage)
		return ok && strings.Contains(uitest.Flat(m.View()), "does not accept this key yet")
	})
	// By hand: the step waits and tries again by itself.
	d.Key(tea.KeyEnd).Key(tea.KeyUp).Key(tea.KeyEnter).UntilView("Waiting for 127.0.0.1 to accept the key")
	w.srv.AuthorizeKey(parseKey(t, refused).PublicKey)
	d.UntilView("New key for api, accepted by the server")
	if got, _ := w.get("api"); got.KeyFingerprint != parseKey(t, refused).Fingerprint {
		t.Fatalf("key %s, want the new one", got.KeyFingerprint)
	}
}

// u on the SSH keys tab offers the same action for the host of the first
// repository using the key: a key the host already accepts is said so at
// once (the step's first login).
func TestKeysTabAuthorize(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 5, keyEd25519)
	d := newDriver(t, newModel(w.cfg(), newSession()), 80, 24)
	d.UntilView("api")
	d.Key(tea.KeyTab).Until("the keys listed", func(m Model) bool { return len(m.keys.groups) == 1 })
	d.Runes("u").UntilView("The host of api accepts the key.")
	if d.Model.page != nil {
		t.Fatalf("the page stayed open:\n%s", d.View())
	}
}
