package sshdtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Account is a system account made for password-login tests: a real user in
// /etc/passwd with a password and a home of its own (fresh for each test).
type Account struct {
	Name     string
	Password string
	Home     string
	Shell    string
	UID, GID int
}

var accountMu sync.Mutex

// SystemAccount makes (or reuses) the system account name with the given
// login shell (e.g. /bin/bash, or git-shell's path), sets a fresh random
// password and points its home at a new empty directory under the test's
// temp dir, which the account owns. It needs root (useradd, usermod,
// chpasswd), as `make test` and CI run: anything else fails the test with
// the reason. Use a name per test package, as packages run in parallel;
// runs of the same package in other processes wait for the account (an
// OS lock held until the test ends).
func SystemAccount(t testing.TB, name, shell string) Account {
	t.Helper()
	accountMu.Lock()
	defer accountMu.Unlock()
	fail := func(format string, a ...any) {
		t.Helper()
		t.Fatalf("sshdtest: cannot make the test account %s: %s (the password-login tests need root to create system accounts: run them as root, as `make test` in CI does)", name, fmt.Sprintf(format, a...))
	}
	if os.Geteuid() != 0 {
		fail("not running as root")
	}
	if _, err := os.Stat(shell); err != nil {
		fail("shell %s: %v (run `make deps`)", shell, err)
	}
	// The account is the machine's: a test of another process (another
	// checkout's run of the same package) must not move its home meanwhile.
	// An OS lock, held until the test ends, released by the kernel if the
	// process dies.
	lock, err := os.OpenFile(filepath.Join("/run", "gitjira-sshdtest-"+name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		fail("%v", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		fail("locking the account: %v", err)
	}
	t.Cleanup(func() { lock.Close() })
	home := filepath.Join(t.TempDir(), "home-"+name)
	if err := os.Mkdir(home, 0o755); err != nil {
		fail("%v", err)
	}
	// The account must reach its home: open the temp dirs above it for traversal.
	for d := filepath.Dir(home); d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o011 != 0o011 {
			if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
				fail("%v", err)
			}
		}
	}
	run := func(stdin string, args ...string) {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			fail("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	if _, err := user.Lookup(name); err != nil {
		run("", "useradd", "--system", "--no-create-home", "--home-dir", home, "--shell", shell, "--user-group", name)
	} else {
		run("", "usermod", "--home", home, "--shell", shell, name)
	}
	var pw [12]byte
	if _, err := rand.Read(pw[:]); err != nil {
		t.Fatal(err)
	}
	password := "pw-" + hex.EncodeToString(pw[:])
	run(name+":"+password+"\n", "chpasswd")
	u, err := user.Lookup(name)
	if err != nil {
		fail("%v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	a := Account{Name: name, Password: password, Home: home, Shell: shell, UID: uid, GID: gid}
	a.Own(t, home)
	return a
}

// Own gives the account a path and everything under it (a repository it
// serves: git refuses repositories owned by someone else).
func (a Account) Own(t testing.TB, path string) {
	t.Helper()
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, a.UID, a.GID)
	})
	if err != nil {
		t.Fatalf("sshdtest: chown %s to %s: %v", path, a.Name, err)
	}
	for d := filepath.Dir(path); d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o011 != 0o011 {
			_ = os.Chmod(d, st.Mode().Perm()|0o011)
		}
	}
}

// PasswordOptions configure StartPasswordLogin.
type PasswordOptions struct {
	// Accounts may log in (AllowUsers); each with its password, or with a
	// key in its own ~/.ssh/authorized_keys.
	Accounts []Account
	// KbdInteractive offers keyboard-interactive through PAM as well as
	// password authentication (UsePAM yes), as most distributions' sshd.
	KbdInteractive bool
}

// StartPasswordLogin starts a real sshd on 127.0.0.1 that accepts the
// accounts' passwords and their own ~/.ssh/authorized_keys (the file
// ssh-copy-id writes), as a plain SSH server with password logins does.
// Server.User is the first account.
func StartPasswordLogin(t testing.TB, o PasswordOptions) *Server {
	t.Helper()
	if len(o.Accounts) == 0 {
		t.Fatal("sshdtest: StartPasswordLogin needs an account")
	}
	sshd, err := SSHDPath()
	if err != nil {
		t.Fatal(err)
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("git not found: run `make deps` (apt-get install git)")
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("sshdtest: sshd needs /run/sshd: %v", err)
	}
	dir := t.TempDir()
	s := &Server{Dir: dir, ReposDir: filepath.Join(dir, "repos"), User: o.Accounts[0].Name, t: t, sshdPath: sshd, gitBinary: gitBin}
	if err := os.MkdirAll(s.ReposDir, 0o755); err != nil {
		t.Fatal(err)
	}
	signer := GeneratedHostKey(t, Ed25519)
	keyPath := filepath.Join(dir, "ssh_host_ed25519_key")
	if err := writePrivateKey(keyPath, signer, Ed25519); err != nil {
		t.Fatal(err)
	}
	s.hostKeys = []hostKey{{typ: Ed25519, signer: signer}}
	t.Cleanup(s.Stop)
	var names []string
	for _, a := range o.Accounts {
		names = append(names, a.Name)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
		w("# written by gitjira's sshdtest (password logins)")
		w("Port %d", port)
		w("ListenAddress 127.0.0.1")
		w("HostKey %s", keyPath)
		w("PidFile none")
		w("UsePAM %s", map[bool]string{true: "yes", false: "no"}[o.KbdInteractive])
		w("StrictModes no")
		w("AuthorizedKeysFile .ssh/authorized_keys")
		w("PubkeyAuthentication yes")
		w("PubkeyAcceptedAlgorithms -ssh-rsa,ssh-rsa-cert-v01@openssh.com")
		w("PasswordAuthentication yes")
		w("KbdInteractiveAuthentication %s", map[bool]string{true: "yes", false: "no"}[o.KbdInteractive])
		w("PermitEmptyPasswords no")
		w("AllowUsers %s", strings.Join(names, " "))
		w("UseDNS no")
		w("PrintMotd no")
		w("PrintLastLog no")
		w("X11Forwarding no")
		w("AllowTcpForwarding no")
		w("PermitTTY no")
		w("MaxStartups 100:30:200")
		w("LoginGraceTime 30")
		w("LogLevel VERBOSE")
		w("SetEnv PATH=%s:/usr/local/bin:/usr/bin:/bin", filepath.Dir(gitBin))
		cfgPath := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		if lastErr = s.launch(cfgPath, port); lastErr == nil {
			return s
		}
		if !strings.Contains(lastErr.Error(), "Address already in use") {
			break
		}
	}
	t.Fatalf("sshdtest: starting sshd: %v", lastErr)
	return nil
}

// URLFor is URL for another account of the server.
func (s *Server) URLFor(account, repoPath string) string {
	if !strings.HasPrefix(repoPath, "/") {
		repoPath = "/" + repoPath
	}
	return fmt.Sprintf("ssh://%s@%s%s", account, s.Addr(), repoPath)
}
