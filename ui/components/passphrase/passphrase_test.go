package passphrase

import (
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/uitest"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// enc_ed25519 was made by ssh-keygen (wizard/testdata/README.md).
const testPassphrase = "correct horse battery"

func TestWrongThenRight(t *testing.T) {
	raw, err := os.ReadFile("../../../wizard/testdata/keys/enc_ed25519")
	if err != nil {
		t.Fatal(err)
	}
	m := New(common.New(), "passphrase")
	m.SetKey("~/.ssh/enc", raw)
	d := uitest.NewDriver(t, m, 60, 10)
	var unlocked *UnlockedMsg
	d.Intercept = func(msg tea.Msg) bool {
		if u, ok := msg.(UnlockedMsg); ok {
			unlocked = &u
			return true
		}
		return false
	}
	d.Key(tea.KeyEnter)
	if !strings.Contains(uitest.Plain(m.Status()), "type the key's passphrase") {
		t.Errorf("empty passphrase: status %q", m.Status())
	}
	d.Type("nope").Key(tea.KeyEnter)
	d.Until("the wrong passphrase", func(m *Model) bool { return m.Attempts() == 1 })
	if m.Typed() || strings.Contains(d.View(), "nope") {
		t.Errorf("the wrong passphrase stays in the field: %q", d.View())
	}
	d.Type(testPassphrase)
	if strings.Contains(d.View(), testPassphrase) {
		t.Fatalf("the passphrase is shown: %q", d.View())
	}
	d.Key(tea.KeyEnter)
	d.Until("unlocked", func(*Model) bool { return unlocked != nil })
	if unlocked.Key.Signer == nil {
		t.Fatal("no signer")
	}
	// Another key starts the count again.
	m.SetKey("~/.ssh/other", raw)
	if m.Attempts() != 0 {
		t.Errorf("attempts %d for a new key", m.Attempts())
	}
}
