package hostkey

import (
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/ui/common"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

const fp = "SHA256:krzKRrMgUR63Be9jeMU/SCYnpnD521KKnj6wEONAjBU"

// TestFingerprintOnItsLabelsLine (issue 15, defect 8): a fingerprint sits
// on its label's line when it fits (120 or 80 columns), whole on the next
// line when it does not.
func TestFingerprintOnItsLabelsLine(t *testing.T) {
	c := common.New()
	m := New(c, "hostkey")
	for _, w := range []int{120, 80} {
		m.SetSize(w, 30)
		got := common.StripMarks(m.Render(Line{Label: "Fingerprint", Text: fp, Style: "field"}))
		if got != "Fingerprint "+fp {
			t.Errorf("%d columns: %q", w, got)
		}
	}
	m.SetSize(50, 30)
	got := common.StripMarks(m.Render(Line{Label: "Fingerprint", Text: fp, Style: "field"}))
	if lines := strings.Split(got, "\n"); len(lines) != 2 || lines[1] != fp {
		t.Errorf("50 columns: %q", got)
	}
}

// TestRemoveCommand: the line that deletes a changed host's old key names
// the file unless it is ~/.ssh/known_hosts, quoted for a shell.
func TestRemoveCommand(t *testing.T) {
	c := common.New()
	c.Home = "/home/a"
	m := New(c, "hostkey")
	for _, tc := range []struct {
		host, file, want string
	}{
		{"git.example.com", "/home/a/.ssh/known_hosts", "ssh-keygen -R git.example.com"},
		{"[127.0.0.1]:2222", "/home/a/.ssh/known_hosts", "ssh-keygen -R '[127.0.0.1]:2222'"},
		{"git.example.com", "/home/a/my hosts", "ssh-keygen -R git.example.com -f ~/'my hosts'"},
		{"git.example.com", "/etc/ssh/ssh_known_hosts", "ssh-keygen -R git.example.com -f /etc/ssh/ssh_known_hosts"},
	} {
		m.Show(&gitops.HostKeyError{Host: tc.host, KnownHostsFile: tc.file, Known: []string{fp}, OfferedFingerprint: fp})
		if got := m.RemoveCommand(); got != tc.want {
			t.Errorf("%s in %s: %q, want %q", tc.host, tc.file, got, tc.want)
		}
		if text, what := m.Copy(); text != tc.want || what != "command" {
			t.Errorf("copy %q (%s)", text, what)
		}
	}
	m.Show(&gitops.HostKeyError{Host: "h", OfferedFingerprint: fp})
	if m.RemoveCommand() != "" {
		t.Error("an unknown host has nothing to remove")
	}
}
