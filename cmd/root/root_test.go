package root

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
)

// run executes the whole command line in-process on a fresh Env.
func run(t *testing.T, e *cmdtest.Env, ctx context.Context, stdin string, args ...string) (int, string, string) {
	t.Helper()
	f, out, errb := e.Factory(stdin)
	code := Execute(ctx, f, args)
	return code, out.String(), errb.String()
}

// commandPaths lists every command of the tree as its arguments ("repos fetch").
func commandPaths(t *testing.T) [][]string {
	f, _, _ := cmdtest.New(t).Factory("")
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.Hidden {
			return
		}
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk(NewCmdRoot(f), nil)
	return paths
}

func TestHelpEveryCommand(t *testing.T) {
	t.Parallel()
	paths := commandPaths(t)
	if len(paths) < 18 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		t.Run(strings.Join(append([]string{"gitjira"}, path...), " "), func(t *testing.T) {
			t.Parallel()
			e := cmdtest.New(t)
			code, out, errOut := run(t, e, context.Background(), "", append(path, "-h")...)
			if code != 0 || errOut != "" || !strings.Contains(out, "Usage:") {
				t.Fatalf("-h: exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			// `gitjira help CMD` is the same as `gitjira CMD -h`.
			code, helpOut, errOut := run(t, e, context.Background(), "", append([]string{"help"}, path...)...)
			if code != 0 || errOut != "" || helpOut != out {
				t.Errorf("help %v: exit %d, stderr %q, output differs from -h:\n%s\n---\n%s", path, code, errOut, helpOut, out)
			}
			// Flags show with two dashes and no stray backquotes (pflag
			// takes a backquoted word in a usage as the value's name).
			_, flagsPart, _ := strings.Cut(out, "Flags:")
			if strings.Contains(flagsPart, "`") {
				t.Errorf("a flag's help shows a backquote:\n%s", flagsPart)
			}
			f, _, _ := e.Factory("")
			cmd, _, err := NewCmdRoot(f).Find(path)
			if err != nil {
				t.Fatal(err)
			}
			cmd.LocalFlags().VisitAll(func(fl *pflag.Flag) {
				if !strings.Contains(flagsPart, "--"+fl.Name) {
					t.Errorf("flag --%s not shown with two dashes:\n%s", fl.Name, flagsPart)
				}
			})
		})
	}
}

func TestHelpNamesTheSubcommands(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	for args, want := range map[string][]string{
		"-h":                {"connect", "demo", "repos", "key", "jira", "issue", "version", "completion", "help"},
		"help":              {"connect", "demo", "repos", "key", "jira", "issue", "version", "completion"},
		"repos -h":          {"list", "remove", "fetch", "--json"},
		"help repos":        {"list", "remove", "fetch"},
		"key -h":            {"inspect", "convert", "generate"},
		"jira --help":       {"login", "projects"},
		"connect -h":        {"--url URL", "--key FILE", "--passphrase-stdin", "--name NAME", "--known-hosts FILE", "--trust-host SHA256:...", "--all-projects", "--projects KEY[,KEY...]", "--yes", "--json", "--timeout DURATION"},
		"repos fetch -h":    {"--json", "--link", "--known-hosts FILE", "--passphrase-stdin", "--timeout DURATION"},
		"help repos fetch":  {"--passphrase-stdin"},
		"completion -h":     {"bash", "zsh", "fish"},
		"key convert -h":    {"--to FORMAT", "-o, --output FILE", "--new-passphrase-stdin"},
		"issue --help":      {"issue KEY", "--json"},
		"demo -h":           {"--yes", "--commits N", "--keep"},
		"jira login -h":     {"--url URL", "--token-stdin"},
		"repos remove -h":   {"remove NAME"},
		"key generate -h":   {"-C, --comment COMMENT", "--type TYPE"},
		"jira projects -h":  {"--json"},
		"key inspect -h":    {"inspect FILE|-"},
		"repos list --help": {"--json"},
	} {
		code, out, errOut := run(t, e, context.Background(), "", strings.Fields(args)...)
		if code != 0 || errOut != "" {
			t.Errorf("gitjira %s: exit %d, stderr %q", args, code, errOut)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("gitjira %s: output lacks %q:\n%s", args, w, out)
			}
		}
	}
	// The defect of issue 8: `repos fetch -h` showed "-link gitjira jira login".
	if _, out, _ := run(t, e, context.Background(), "", "repos", "fetch", "-h"); strings.Contains(out, "--link gitjira") {
		t.Errorf("repos fetch -h:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string // substring of the one stderr line
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"conect"}, "did you mean connect?"},
		{[]string{"--bogus"}, "unknown flag: --bogus (gitjira -h lists the flags)"},
		{[]string{"repos", "fetch", "--bogus"}, "repos fetch: unknown flag: --bogus (gitjira repos fetch -h lists the flags)"},
		{[]string{"repos", "frobnicate"}, `repos: unknown subcommand "frobnicate"`},
		{[]string{"key"}, "key: missing subcommand: use authorize, convert, generate or inspect"},
		{[]string{"key", "inspect", "--json"}, "missing FILE"},
		{[]string{"jira", "logout"}, `jira: unknown subcommand "logout"`},
		{[]string{"help", "nope"}, `help: unknown command "nope"`},
		{[]string{"help", "repos", "nope"}, `help: unknown command "repos nope"`},
		{[]string{"completion"}, "completion: missing subcommand: use bash, fish, powershell or zsh"},
		{[]string{"completion", "tcsh"}, `completion: unknown subcommand "tcsh"`},
		{[]string{"completion", "bash", "extra"}, "completion bash:"},
		{[]string{"version", "extra"}, `version: unexpected argument "extra"`},
		{[]string{"connect", "--timeout", "x"}, "connect: invalid argument"},
		{[]string{"demo", "--commits", "0"}, "--commits takes a number from 1 to 2000"},
		{[]string{"demo", "--commits", "many"}, "demo: invalid argument"},
		{[]string{"issue"}, "give exactly one issue key"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, cmdtest.New(t), context.Background(), "", tt.args...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q; want exit 2 and nothing on stdout", code, out)
			}
			if !strings.HasPrefix(errOut, "gitjira: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q: want one line starting with gitjira: and naming %q", errOut, tt.want)
			}
		})
	}
}

func TestNoArgumentsWithoutTerminal(t *testing.T) {
	t.Parallel()
	code, out, errOut := run(t, cmdtest.New(t), context.Background(), "")
	if code != 2 || out != "" || !strings.Contains(errOut, "Usage:") || !strings.Contains(errOut, "connect") || strings.Contains(errOut, "gitjira: ") {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if code, out, errOut := run(t, e, context.Background(), "", args...); code != 0 || out != "gitjira test\n" || errOut != "" {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errOut)
		}
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	for shell, want := range map[string]string{"bash": "__start_gitjira", "zsh": "#compdef gitjira", "fish": "complete -c gitjira", "powershell": "Register-ArgumentCompleter"} {
		code, out, errOut := run(t, e, context.Background(), "", "completion", shell)
		if code != 0 || errOut != "" || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d, stderr %q, output lacks %q", shell, code, errOut, want)
		}
	}
	// What the shell asks: the subcommands of repos, the names in the list.
	if err := os.MkdirAll(e.Paths.Data, 0o700); err != nil {
		t.Fatal(err)
	}
	src, _ := cmdtest.SourceRepo(t, "PROJ-1 a")
	cmdtest.AddRepo(t, e.Paths, "alpha", src, nil)
	code, out, _ := run(t, e, context.Background(), "", "__complete", "repos", "")
	if code != 0 || !strings.Contains(out, "fetch\t") || !strings.Contains(out, "remove\t") {
		t.Errorf("__complete repos: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, e, context.Background(), "", "__complete", "repos", "remove", "")
	if code != 0 || !strings.HasPrefix(out, "alpha\n") {
		t.Errorf("__complete repos remove: exit %d\n%s", code, out)
	}
}

// TestCompletionScriptLoads: the bash script gitjira prints is accepted by
// bash and registers the completion.
func TestCompletionScriptLoads(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is not installed: run `make deps`")
	}
	code, script, _ := run(t, cmdtest.New(t), context.Background(), "", "completion", "bash")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	file := filepath.Join(t.TempDir(), "gitjira.bash")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bash, "-c", "source "+file+" && complete -p gitjira").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "gitjira") {
		t.Fatalf("bash: %v\n%s", err, out)
	}
}

// TestInterruptedIsExit130: a command whose context a signal ended exits 130
// with one line, whatever error the interruption caused.
func TestInterruptedIsExit130(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupt signal received"))
	e := cmdtest.New(t)
	e.Vars["JIRA_TOKEN"] = "t"
	code, out, errOut := run(t, e, ctx, "", "jira", "login", "--url", "http://127.0.0.1:1")
	if code != 130 || out != "" || errOut != "gitjira: interrupted (interrupt signal received)\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A command that finished anyway is not turned into a failure.
	if code, out, _ := run(t, e, ctx, "", "version"); code != 0 || out != "gitjira test\n" {
		t.Fatalf("version with an ended context: exit %d %q", code, out)
	}
}
