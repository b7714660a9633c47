package sshconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/spf13/cobra"
)

func newCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdSSHConfig(f, nil) }

func TestSSHConfigCommand(t *testing.T) {
	e := cmdtest.New(t)
	os.MkdirAll(e.SSHDir, 0o700)
	cfg := filepath.Join(e.SSHDir, "config")
	os.WriteFile(cfg, []byte(`Host bastion
  HostName 10.0.0.1
  User jump
Host gitsrv
  HostName git.internal
  Port 2222
  ProxyJump bastion
  HostKeyAlias fleet-git
  UserKnownHostsFile /etc/fleet/known_hosts /tmp/second
  CertificateFile /nonexistent-cert.pub
Match host other
  BindAddress 10.9.9.9
`), 0o600)
	code, out, stderr := e.Exec(newCmd, "", "git@gitsrv:team/app.git")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"user              git", "host              git.internal", "port              2222",
		"jump hosts        bastion (jump@10.0.0.1:22)", "host key name     fleet-git", "/etc/fleet/known_hosts, /tmp/second", "config files      " + cfg} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	code, out, _ = e.Exec(newCmd, "", "gitsrv:team/app.git", "--json")
	var r Resolved
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || len(r.ProxyJump) != 1 || r.ProxyJump[0].Host != "10.0.0.1" || r.KnownHostsWrite != "/etc/fleet/known_hosts" {
		t.Fatalf("json: exit %d %+v\n%s", code, r, out)
	}
	// A directive that cannot be honoured: one line naming it.
	code, _, stderr = e.Exec(newCmd, "", "other:x")
	if code != 1 || !strings.Contains(stderr, "BindAddress") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("refused directive: exit %d: %s", code, stderr)
	}
}
