package lifecycle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
	"github.com/gitjira/gitjira/store"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestFetchFollowsAChangedAlias (issue 20): a repository connected
// through an ~/.ssh/config alias keeps the alias, and `repos fetch` follows
// a later change of it (a new bastion) without reconnecting: the real sshd
// bastion logs the fetch's login, and the new commits arrive.
func TestFetchFollowsAChangedAlias(t *testing.T) {
	target := sshdtest.Start(t, sshdtest.Options{})
	bastion := sshdtest.StartBastion(t)
	repo := target.NewBareRepo("app", 4)
	keyFile := sshdtest.NewClientKey(t)
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := os.ReadFile(keyFile + ".pub")
	var kh []byte
	for _, s := range []*sshdtest.Server{target, bastion} {
		s.AuthorizeKey(string(pub))
		for _, k := range s.HostKeys() {
			kh = append(kh, knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, k)+"\n"...)
		}
	}
	dir := t.TempDir()
	khFile, cfg := filepath.Join(dir, "known_hosts"), filepath.Join(dir, "config")
	if err := os.WriteFile(khFile, kh, 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(extra string) {
		text := fmt.Sprintf("Host gitsrv\n  HostName 127.0.0.1\n  Port %d\n  User %s\n%s", target.Port(), target.User, extra)
		text += fmt.Sprintf("Host bastion\n  HostName 127.0.0.1\n  Port %d\n  User %s\n", bastion.Port(), bastion.User)
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	home := filepath.Join(dir, "home")
	m := &Manager{Paths: store.Paths{Config: home, Data: home}, KnownHostsFile: khFile, SSHConfigFile: cfg, Timeout: 20 * time.Second, LockWait: time.Second}
	r, err := m.Connect(context.Background(), ConnectRequest{URL: "gitsrv:" + repo}, CloneOptions{Signer: signer}, CommitRequest{KeyRaw: raw})
	if err != nil {
		t.Fatal(err)
	}
	if r.Alias != "gitsrv:"+repo || Location(r) != "gitsrv:"+repo {
		t.Fatalf("the location as typed is not kept: %+v", r)
	}
	if n := bastion.AcceptedLogins(); n != 0 {
		t.Fatalf("bastion used before it was configured (%d logins)", n)
	}
	// The alias now goes through the bastion.
	write("  ProxyJump bastion\n")
	if got := m.RouteText(r); got != fmt.Sprintf("%s@127.0.0.1:%d via jump bastion", target.User, target.Port()) {
		t.Errorf("route %q", got)
	}
	target.AddCommits(repo, 3)
	res, err := m.Sync(context.Background(), SyncOptions{Signer: func(store.Repository) (ssh.Signer, error) { return signer, nil }})
	if err != nil || len(res) != 1 || !res[0].OK() {
		t.Fatalf("sync: %v %+v", err, res)
	}
	if res[0].NewCommits != 3 {
		t.Errorf("new commits %d, want 3", res[0].NewCommits)
	}
	if n := bastion.AcceptedLogins(); n != 1 {
		t.Errorf("the fetch did not go through the new bastion (%d logins there)", n)
	}
}

// TestStoredAgentKeyFollowsIdentityAgent: a repository whose key only
// ssh-agent holds finds it through the SSH config's IdentityAgent for its
// location, with no $SSH_AUTH_SOCK.
func TestStoredAgentKeyFollowsIdentityAgent(t *testing.T) {
	key := sshdtest.NewClientKey(t)
	sock := sshdtest.StartAgent(t, key)
	pubData, _ := os.ReadFile(key + ".pub")
	pub, _, _, _, err := ssh.ParseAuthorizedKey(pubData)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "config")
	os.WriteFile(cfg, []byte("Host gitsrv\n  HostName 127.0.0.1\n  IdentityAgent "+sock+"\n"), 0o600)
	home := filepath.Join(t.TempDir(), "home")
	m := &Manager{Paths: store.Paths{Config: home, Data: home}, SSHConfigFile: cfg}
	r := store.Repository{Name: "app", URL: "ssh://git@127.0.0.1:22/app.git", Alias: "git@gitsrv:/app.git", KeyFingerprint: ssh.FingerprintSHA256(pub)}
	k, err := m.OpenStoredKey(r, KeySource{})
	if err != nil || k.Fingerprint != r.KeyFingerprint {
		t.Fatalf("key %+v, %v", k, err)
	}
	os.WriteFile(cfg, []byte("Host gitsrv\n  HostName 127.0.0.1\n  IdentityAgent none\n"), 0o600)
	if _, err := m.OpenStoredKey(r, KeySource{AgentSocket: sock}); err == nil {
		t.Fatal("IdentityAgent none still used the agent")
	}
}
