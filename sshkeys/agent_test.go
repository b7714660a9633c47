package sshkeys

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// startAgent runs the real ssh-agent on a socket of its own and adds a
// fixture key with the real ssh-add.
func startAgent(t *testing.T, keys ...string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatalf("ssh-agent (run `make deps`): %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		exec.Command("sleep", "0.01").Run()
	}
	for _, k := range keys {
		src := filepath.Join("testdata", k)
		tmp := filepath.Join(t.TempDir(), k)
		data, _ := os.ReadFile(src)
		os.WriteFile(tmp, data, 0o600)
		add := exec.Command("ssh-add", tmp)
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add %s: %v %s", k, err, out)
		}
	}
	return sock
}

func TestAgentKeysSignThroughTheRealAgent(t *testing.T) {
	sock := startAgent(t, "openssh_ed25519.key", "openssh_rsa2048.key")
	keys, err := AgentKeys(sock)
	if err != nil || len(keys) != 2 {
		t.Fatalf("AgentKeys: %v %d", err, len(keys))
	}
	for _, k := range keys {
		data := []byte("to sign")
		sig, err := k.Signer.Sign(nil, data)
		if err != nil {
			t.Fatalf("%s: %v", k.Type, err)
		}
		if err := k.PublicKey.Verify(data, sig); err != nil {
			t.Fatalf("%s: signature does not verify: %v", k.Type, err)
		}
		if k.Type == ssh.KeyAlgoRSA {
			as := k.Signer.(ssh.AlgorithmSigner)
			sig, err := as.SignWithAlgorithm(nil, data, ssh.KeyAlgoRSASHA512)
			if err != nil || sig.Format != ssh.KeyAlgoRSASHA512 {
				t.Fatalf("rsa-sha2-512: %v %v", err, sig)
			}
		}
		got, err := AgentSigner(sock, k.Fingerprint)
		if err != nil || got.Fingerprint != k.Fingerprint {
			t.Fatalf("AgentSigner(%s): %v", k.Fingerprint, err)
		}
	}
	if _, err := AgentSigner(sock, "SHA256:notthere"); !errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), "ssh-add") {
		t.Errorf("missing key: %v", err)
	}
	if _, err := AgentKeys(""); !errors.Is(err, ErrNoAgent) {
		t.Errorf("no socket: %v", err)
	}
	if _, err := AgentKeys(filepath.Join(t.TempDir(), "nothing")); !errors.Is(err, ErrNoAgent) {
		t.Errorf("dead socket: %v", err)
	}
}
