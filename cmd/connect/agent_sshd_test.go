package connect

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// TestConnectWithAgentOnlyKey (issue 20 item 6): `connect --yes --key
// FILE.pub` signs with the matching key in ssh-agent (the private key file
// is gone, as with a hardware key); no key file is stored. Without the
// agent it is refused with one line saying so.
func TestConnectWithAgentOnlyKey(t *testing.T) {
	t.Parallel()
	s := sshdtest.Start(t, sshdtest.Options{})
	repo := s.NewBareRepo("app", 3)
	key := sshdtest.NewClientKey(t)
	pub, _ := os.ReadFile(key + ".pub")
	s.AuthorizeKey(string(pub))
	sock := sshdtest.StartAgent(t, key)
	if err := os.Remove(key); err != nil { // only the agent has the private half now
		t.Fatal(err)
	}
	e := cmdtest.New(t)
	os.WriteFile(e.KnownHosts, []byte(s.KnownHostsLine()+"\n"), 0o600)

	code, _, stderr := e.Exec(newConnect, "", "--yes", "--url", s.URL(repo), "--key", key+".pub", "--timeout", "20s")
	if code != 1 || !strings.Contains(stderr, "ssh-add") {
		t.Fatalf("without an agent: exit %d\n%s", code, stderr)
	}
	e.Vars["SSH_AUTH_SOCK"] = sock
	code, stdout, stderr := e.Exec(newConnect, "", "--yes", "--url", s.URL(repo), "--key", key+".pub", "--json", "--timeout", "20s")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if strings.Contains(stdout, `"key_file"`) || !strings.Contains(stdout, `"commits": 3`) {
		t.Fatalf("connected entry:\n%s", stdout)
	}
}

// TestConnectWithConfigIdentityFile (issue 20 item 6): without --key,
// connect --yes takes the IdentityFile the SSH config names for the
// location, as ssh does; here one whose private half only the agent holds
// (the file beside it is the .pub).
func TestConnectWithConfigIdentityFile(t *testing.T) {
	t.Parallel()
	s := sshdtest.Start(t, sshdtest.Options{})
	repo := s.NewBareRepo("app", 4)
	key := sshdtest.NewClientKey(t)
	pub, _ := os.ReadFile(key + ".pub")
	s.AuthorizeKey(string(pub))
	sock := sshdtest.StartAgent(t, key)
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	e := cmdtest.New(t)
	os.WriteFile(e.KnownHosts, []byte(s.KnownHostsLine()+"\n"), 0o600)
	cfg := fmt.Sprintf("Host gitbox\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityFile %s\n  IdentityAgent %s\n",
		s.Port(), currentUser(t), key, sock)
	os.MkdirAll(e.SSHDir, 0o700)
	if err := os.WriteFile(filepath.Join(e.SSHDir, "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(s.URL(repo), fmt.Sprintf("ssh://%s@127.0.0.1:%d", currentUser(t), s.Port()))
	code, stdout, stderr := e.Exec(newConnect, "", "--yes", "--url", "gitbox:"+path, "--json", "--timeout", "20s")
	if code != 0 || !strings.Contains(stderr, "IdentityFile of the SSH config") || !strings.Contains(stdout, `"commits": 4`) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	// With no IdentityFile and no --key: the usage error names both.
	os.WriteFile(filepath.Join(e.SSHDir, "config"), []byte("Host other\n  User x\n"), 0o600)
	code, _, stderr = e.Exec(newConnect, "", "--yes", "--url", s.URL(s.NewBareRepo("other", 1)))
	if code != 2 || !strings.Contains(stderr, "IdentityFile") {
		t.Fatalf("no key anywhere: exit %d %s", code, stderr)
	}
}

func currentUser(t *testing.T) string {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}
