package gitops

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
	"golang.org/x/crypto/ssh"
)

// The one-time password login against the real OpenSSH sshd: the key is
// appended to the shell account's own ~/.ssh/authorized_keys as ssh-copy-id
// does, once, and then a real key login lists the repository's refs; a
// git-shell account is answered with the admin's line.
func TestSSHDAppendAuthorizedKey(t *testing.T) {
	gitShell, err := exec.LookPath("git-shell")
	if err != nil {
		t.Fatal("git-shell not found: run `make deps` (apt-get install git)")
	}
	shellAcct := sshdtest.SystemAccount(t, "gjt-gitops-sh", "/bin/bash")
	gitAcct := sshdtest.SystemAccount(t, "gjt-gitops-gs", gitShell)
	for _, kbd := range []bool{false, true} {
		name := map[bool]string{false: "password", true: "keyboard-interactive"}[kbd]
		t.Run(name, func(t *testing.T) {
			s := sshdtest.StartPasswordLogin(t, sshdtest.PasswordOptions{Accounts: []sshdtest.Account{shellAcct, gitAcct}, KbdInteractive: kbd})
			repo := s.NewBareRepo("app-"+name, 2)
			shellAcct.Own(t, repo)
			known := s.WriteKnownHosts()
			_ = os.RemoveAll(filepath.Join(shellAcct.Home, ".ssh"))

			ep, err := ParseURL(s.URLFor(shellAcct.Name, repo))
			if err != nil {
				t.Fatal(err)
			}
			signer := testSigner(t)
			line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " gitjira test"
			keyOpts := ConnectOptions{Endpoint: ep, Signer: signer, KnownHostsFile: known, Timeout: 20 * time.Second}
			var ae *AuthError
			if _, err := Check(context.Background(), keyOpts); !errors.As(err, &ae) {
				t.Fatalf("before: %v, want the key refused", err)
			}
			o := AppendKeyOptions{ConnectOptions: ConnectOptions{Endpoint: ep, KnownHostsFile: known, Timeout: 20 * time.Second}, AuthorizedKey: line}

			o.Password = []byte("wrong password")
			var pe *PasswordError
			if _, err := AppendAuthorizedKey(context.Background(), o); !errors.As(err, &pe) {
				t.Fatalf("wrong password: %v, want *PasswordError", err)
			}

			// The host key is verified as for every connection.
			o.Password = []byte(shellAcct.Password)
			unknown := o
			unknown.KnownHostsFile = filepath.Join(t.TempDir(), "empty_known_hosts")
			var hk *HostKeyError
			if _, err := AppendAuthorizedKey(context.Background(), unknown); !errors.As(err, &hk) || !hk.Unknown() {
				t.Fatalf("unknown host: %v, want *HostKeyError", err)
			}

			res, err := AppendAuthorizedKey(context.Background(), o)
			if err != nil || !res.Added {
				t.Fatalf("append = %+v, %v\n%s", res, err, s.Logs())
			}
			if method := map[bool]string{false: "Accepted password", true: "Accepted keyboard-interactive/pam"}[kbd]; !strings.Contains(s.Logs(), method) {
				t.Fatalf("sshd did not log %q:\n%s", method, s.Logs())
			}
			assertMode(t, filepath.Join(shellAcct.Home, ".ssh"), 0o700)
			assertMode(t, filepath.Join(shellAcct.Home, ".ssh", "authorized_keys"), 0o600)
			if res, err := AppendAuthorizedKey(context.Background(), o); err != nil || res.Added {
				t.Fatalf("second append = %+v, %v: want the key found, not added", res, err)
			}
			if got := readLines(t, filepath.Join(shellAcct.Home, ".ssh", "authorized_keys")); len(got) != 1 || got[0] != line {
				t.Fatalf("authorized_keys = %q, want the one line %q", got, line)
			}
			info, err := Check(context.Background(), keyOpts)
			if err != nil || info.DefaultBranch != "main" {
				t.Fatalf("key login after the append: %+v, %v", info, err)
			}

			// A file without a final newline gets one before the new key.
			f := filepath.Join(shellAcct.Home, ".ssh", "authorized_keys")
			if err := os.WriteFile(f, []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyWithoutNewlineAAAAAAAAAAAAAAAAAA other"), 0o600); err != nil {
				t.Fatal(err)
			}
			if res, err := AppendAuthorizedKey(context.Background(), o); err != nil || !res.Added {
				t.Fatalf("append after a line without newline = %+v, %v", res, err)
			}
			if got := readLines(t, f); len(got) != 2 || got[1] != line {
				t.Fatalf("authorized_keys = %q", got)
			}

			// git-shell: no shell to append with; the admin's line says how.
			gep, _ := ParseURL(s.URLFor(gitAcct.Name, repo))
			g := o
			g.Endpoint, g.Password = gep, []byte(gitAcct.Password)
			_, err = AppendAuthorizedKey(context.Background(), g)
			var ns *NoShellError
			if !errors.As(err, &ns) || ns.Shell != ShellGit || !strings.Contains(ns.AdminCommand, "sudo -u "+gitAcct.Name) || !strings.Contains(ns.AdminCommand, line) {
				t.Fatalf("git-shell account: %v", err)
			}
			if _, err := os.Stat(filepath.Join(gitAcct.Home, ".ssh")); !os.IsNotExist(err) {
				t.Fatalf("git-shell account got a ~/.ssh: %v", err)
			}
			t.Log(err)
		})
	}
}

func assertMode(t *testing.T, p string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Fatalf("%s mode %o, want %o", p, st.Mode().Perm(), want)
	}
}

func readLines(t *testing.T, p string) []string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}
