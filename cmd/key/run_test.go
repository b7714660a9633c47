package key

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/gitjira/gitjira/sshkeys"
)

// TestRunInspectDirect calls runInspect with buffers, as gh's tests call
// their run functions: no command line, no process environment.
func TestRunInspectDirect(t *testing.T) {
	t.Parallel()
	ios, out, errb := cmdutil.Test(keyFixturePass+"\n", map[string]string{cmdutil.PassphraseEnv: "not used: stdin wins"})
	err := runInspect(&InspectOptions{IO: ios, File: keyFixtureEdEnc, PassphraseStdin: true, JSON: true})
	if err != nil {
		t.Fatalf("%v (stderr %q)", err, errb)
	}
	var j keyJSON
	if err := json.Unmarshal(out.Bytes(), &j); err != nil || !j.Decrypted || j.Fingerprint != keyFixtureFP(t, keyFixtureEd25519) {
		t.Fatalf("%+v %v", j, err)
	}
}

// TestNewCmdConvertFlags: -o, --output and -o=FILE are the same flag; --to
// is case-insensitive; flags may follow FILE.
func TestNewCmdConvertFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"k", "--to", "PPK", "-o", "out"},
		{"--to=ppk", "--output", "out", "k"},
		{"k", "-o=out", "--to", "ppk"},
		{"-oout", "k", "--to", "ppk"},
	} {
		e := cmdtest.New(t)
		var got *ConvertOptions
		keyCmd := func(f *cmdutil.Factory) *cobra.Command {
			c := &cobra.Command{Use: "key"}
			c.AddCommand(NewCmdConvert(f, func(o *ConvertOptions) error { got = o; return nil }))
			return c
		}
		code, _, errOut := e.Exec(keyCmd, "", append([]string{"convert"}, args...)...)
		if code != 0 || got == nil || got.File != "k" || got.Out != "out" || got.To != sshkeys.FormatPPKv3 {
			t.Errorf("%v: exit %d %q, options %+v", args, code, errOut, got)
		}
	}
}

// TestGenerateDefaultComment: without -C the comment is user@host; -C ""
// means none.
func TestGenerateDefaultComment(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	var got *GenerateOptions
	keyCmd := func(f *cmdutil.Factory) *cobra.Command {
		c := &cobra.Command{Use: "key"}
		c.AddCommand(NewCmdGenerate(f, func(o *GenerateOptions) error { got = o; return nil }))
		return c
	}
	out := filepath.Join(t.TempDir(), "id")
	if code, _, errOut := e.Exec(keyCmd, "", "generate", "-o", out); code != 0 || !strings.Contains(got.Gen.Comment, "@") {
		t.Fatalf("exit %d %q, comment %q", code, errOut, got.Gen.Comment)
	}
	if code, _, errOut := e.Exec(keyCmd, "", "generate", "-o", out, "-C", ""); code != 0 || got.Gen.Comment != "" {
		t.Fatalf("exit %d %q, comment %q", code, errOut, got.Gen.Comment)
	}
}
