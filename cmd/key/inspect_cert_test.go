package key

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/spf13/cobra"
)

// TestInspectCertificate: `key inspect` on a certificate made by
// ssh-keygen at test time shows its principals, validity and CA; on the
// key beside it, the certificate too; an expired one says so.
func TestInspectCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, key := filepath.Join(dir, "ca"), filepath.Join(dir, "id_ed25519")
	for _, args := range [][]string{
		{"-q", "-t", "ed25519", "-N", "", "-f", ca},
		{"-q", "-t", "ed25519", "-N", "", "-f", key},
		{"-q", "-s", ca, "-I", "alice@corp", "-n", "alice,deploy", "-V", "-2h:-1h", key + ".pub"},
	} {
		if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
		}
	}
	caFP, _ := exec.Command("ssh-keygen", "-l", "-f", ca+".pub").Output()
	fp := strings.Fields(string(caFP))[1]
	inspect := func(f *cmdutil.Factory) *cobra.Command { return NewCmdInspect(f, nil) }
	e := cmdtest.New(t)
	code, out, stderr := e.Exec(inspect, "", key+"-cert.pub")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"user certificate", "alice, deploy", "expired at", fp, "alice@corp"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
	code, out, _ = e.Exec(inspect, "", key, "--json")
	var j keyJSON
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil || j.Certificate == nil ||
		j.Certificate.CAFingerprint != fp || len(j.Certificate.Principals) != 2 || !strings.HasPrefix(j.Certificate.Validity, "expired at") {
		t.Fatalf("key with a certificate beside it: exit %d\n%s", code, out)
	}
}
