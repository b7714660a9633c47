package show

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
)

func newShow(f *cmdutil.Factory) *cobra.Command { return NewCmdShow(f, nil) }

func TestShow(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	src := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.c"), []byte("int main(void)\n{\n\treturn 0;\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmdtest.Git(t, src, nil, "init", "-q", "-b", "main")
	cmdtest.Git(t, src, nil, "add", ".")
	cmdtest.Git(t, src, nil, "commit", "-q", "-m", "first")
	if err := os.WriteFile(filepath.Join(src, "main.c"), []byte("int main(void)\n{\n\treturn 1;\n}\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmdtest.Git(t, src, nil, "commit", "-q", "-am", "exit 1, and executable")
	cmdtest.Git(t, src, nil, "tag", "v1")
	sha := cmdtest.Git(t, src, nil, "rev-parse", "HEAD")
	r := cmdtest.AddRepo(t, e.Paths, "app", src, nil)
	want := cmdtest.Git(t, r.Mirror, nil, "show", "--no-color", "--no-decorate", "--format=medium", "--patch", sha) + "\n"
	for _, rev := range []string{sha, sha[:7], "v1", "main"} {
		code, out, errOut := e.Exec(newShow, "", "app", rev)
		if code != 0 || errOut != "" || out != want {
			t.Errorf("show app %s: exit %d, %s\n%s\n--- want:\n%s", rev, code, errOut, out, want)
		}
	}
	for _, args := range [][]string{{}, {"app"}, {"app", "nope"}, {"nope", "main"}, {"app", "0000000"}} {
		code, out, errOut := e.Exec(newShow, "", args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "gitjira: show: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line", args, code, out, errOut)
		}
	}
}
