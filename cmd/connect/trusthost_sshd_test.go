package connect

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/gitjira/gitjira/gitops/sshdtest"
	"golang.org/x/crypto/ssh"
)

// TestConnectPinnedHostKeyMismatch (issue 17 item 1): against the real
// sshd, `connect --trust-host A` while the server presents B is refused,
// naming both fingerprints and that a changed key can mean an attack, and
// never suggesting to pin the presented key; nothing is connected.
func TestConnectPinnedHostKeyMismatch(t *testing.T) {
	t.Parallel()
	s := sshdtest.Start(t, sshdtest.Options{})
	repo := s.NewBareRepo("app", 3)
	e := cmdtest.New(t)
	key := filepath.Join(t.TempDir(), "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "t", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	s.AuthorizeKey(string(pub))
	// The pinned fingerprint: some other host's key (an attacker would
	// present its own; here the real server's keys are "B").
	other, err := sshdtest.NewKey(sshdtest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	pinned := ssh.FingerprintSHA256(other.PublicKey())
	code, _, stderr := e.Exec(newConnect, "", "--yes", "--url", s.URL(repo), "--key", key, "--trust-host", pinned, "--timeout", "20s")
	presented := s.HostKeyFingerprints()[sshdtest.Ed25519]
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, pinned) || !strings.Contains(stderr, presented) || !strings.Contains(stderr, "attack") {
		t.Fatalf("the refusal must name the pinned %s, the presented %s and the risk:\n%s", pinned, presented, stderr)
	}
	for _, fp := range s.HostKeyFingerprints() {
		if strings.Contains(stderr, "--trust-host "+fp) {
			t.Fatalf("suggests pinning the presented key %s:\n%s", fp, stderr)
		}
	}
	if n := strings.Count(stderr, "gitjira: "); n != 1 || !strings.Contains(stderr[strings.Index(stderr, "gitjira: "):], "attack") {
		t.Fatalf("not one error line:\n%s", stderr)
	}
	if kh, err := os.ReadFile(e.KnownHosts); err == nil && len(kh) > 0 {
		t.Fatalf("known_hosts written: %s", kh)
	}
	// The right pin connects.
	if code, _, stderr := e.Exec(newConnect, "", "--yes", "--url", s.URL(repo), "--key", key, "--trust-host", presented, "--timeout", "20s"); code != 0 {
		t.Fatalf("right pin: exit %d\n%s", code, stderr)
	}
}
