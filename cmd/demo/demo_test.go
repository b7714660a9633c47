package demo

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/gitjira/gitjira/store"
)

func newDemo(f *cmdutil.Factory) *cobra.Command { return NewCmdDemo(f, nil) }

// TestDemoWithoutTerminal runs the whole demo in-process: the embedded
// server, the connect from flags, the DEMO-12 commits; --keep keeps its home.
func TestDemoWithoutTerminal(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	code, out, errOut := e.Exec(newDemo, "", "--commits", "40", "--keep")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Commits that mention DEMO-12") || !strings.Contains(out, "demo") {
		t.Fatalf("stdout:\n%s", out)
	}
	m := regexp.MustCompile(`demo files kept in (\S+) \(GITJIRA_HOME=(\S+)\)`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("--keep did not say where:\n%s", errOut)
	}
	t.Cleanup(func() { os.RemoveAll(m[1]) })
	repos, err := store.OpenRepositoryList(store.Paths{Config: m[2], Data: m[2]}).Load()
	if err != nil || len(repos) != 1 || repos[0].Name != "demo" || repos[0].Commits == 0 {
		t.Fatalf("the kept home's list: %+v %v", repos, err)
	}
	// Nothing of the demo in the caller's home.
	if _, err := os.Stat(filepath.Join(e.Paths.Data, "repositories.json")); err == nil {
		t.Fatal("demo wrote into the caller's GITJIRA_HOME")
	}
}

func TestDemoFlags(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	var got *DemoOptions
	newCmd := func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdDemo(f, func(o *DemoOptions) error { got = o; return nil })
	}
	if code, _, errOut := e.Exec(newCmd, "", "--yes", "--commits", "7", "--keep"); code != 0 || got == nil || !got.Yes || got.Commits != 7 || !got.Keep || got.Timeout <= 0 {
		t.Fatalf("exit %d %q, options %+v", code, errOut, got)
	}
	for _, args := range [][]string{{"--commits", "0"}, {"--commits", "2001"}, {"extra"}} {
		if code, _, errOut := e.Exec(newCmd, "", args...); code != 2 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
