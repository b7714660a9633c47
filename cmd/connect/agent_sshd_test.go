package connect

import (
	"os"
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
