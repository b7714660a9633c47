package cmdutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/store"
)

func TestReadLine(t *testing.T) {
	t.Parallel()
	ios, _, _ := Test("first\r\nsecond\nrest of\nstdin", nil)
	for _, want := range []string{"first", "second"} {
		if got, err := ios.ReadLine(); err != nil || got != want {
			t.Fatalf("ReadLine = %q, %v; want %q", got, err, want)
		}
	}
	var rest bytes.Buffer
	rest.ReadFrom(ios.Stdin())
	if rest.String() != "rest of\nstdin" {
		t.Fatalf("the rest of stdin = %q", rest.String())
	}
	if _, err := ios.ReadLine(); err == nil || !strings.Contains(err.Error(), "stdin ended") {
		t.Fatalf("ReadLine at the end: %v", err)
	}
	// A last line without a newline is a line.
	ios, _, _ = Test("no newline", nil)
	if got, err := ios.ReadLine(); err != nil || got != "no newline" {
		t.Fatalf("ReadLine = %q, %v", got, err)
	}
}

func TestSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ios, _, _ := Test("from stdin\n", map[string]string{"SECRET": "from env"})
	if b, ok, err := ios.Secret(ctx, true, "SECRET", ""); err != nil || !ok || string(b) != "from stdin" {
		t.Errorf("stdin: %q %v %v", b, ok, err)
	}
	if b, ok, err := ios.Secret(ctx, false, "SECRET", ""); err != nil || !ok || string(b) != "from env" {
		t.Errorf("env: %q %v %v", b, ok, err)
	}
	// An empty variable is a value (an empty passphrase); an unset one is not.
	ios, _, _ = Test("", map[string]string{"SECRET": ""})
	if b, ok, err := ios.Secret(ctx, false, "SECRET", ""); err != nil || !ok || len(b) != 0 {
		t.Errorf("empty env: %q %v %v", b, ok, err)
	}
	// No terminal (Test has none): nothing, and no prompt anywhere.
	if b, ok, err := ios.Secret(ctx, false, "UNSET", "prompt: "); err != nil || ok || b != nil {
		t.Errorf("no source: %q %v %v", b, ok, err)
	}
	if _, _, err := ios.Secret(ctx, true, "", ""); err == nil || !strings.Contains(err.Error(), "stdin") {
		t.Errorf("empty stdin: %v", err)
	}
	// An OpenTTY that is not a terminal is no terminal either.
	ios.OpenTTY = func() (*os.File, error) { return os.Open(os.DevNull) }
	if _, ok, err := ios.Secret(ctx, false, "", "prompt: "); ok || err != nil {
		t.Errorf("/dev/null as the terminal: %v %v", ok, err)
	}
	if ios.IsTerminal() || ios.StdinIsTerminal() {
		t.Error("buffers are terminals")
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("terminated signal received"))
	tests := []struct {
		name   string
		ctx    context.Context
		err    error
		code   int
		stderr string
	}{
		{"ok", context.Background(), nil, 0, ""},
		{"failure", context.Background(), errors.New("it broke: do this"), 1, "gitjira: it broke: do this\n"},
		{"usage", context.Background(), UsageErrorf("x: bad %s", "flag"), 2, "gitjira: x: bad flag\n"},
		{"wrapped usage", context.Background(), fmt.Errorf("ctx: %w", UsageErrorf("bad")), 2, "gitjira: ctx: bad\n"},
		{"usage printed already", context.Background(), &UsageError{}, 2, ""},
		{"cancelled by the user", context.Background(), &CancelledError{Msg: "cancelled; nothing was added"}, 130, "gitjira: cancelled; nothing was added\n"},
		{"signal", cancelled, errors.New("read tcp: use of closed connection"), 130, "gitjira: interrupted (terminated signal received)\n"},
		{"signal, usage error", cancelled, UsageErrorf("bad"), 130, "gitjira: interrupted (terminated signal received)\n"},
		{"signal, but done", cancelled, nil, 0, ""},
		{"nil context", nil, errors.New("x"), 1, "gitjira: x\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if code := ExitCode(tt.ctx, &b, tt.err); code != tt.code || b.String() != tt.stderr {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", tt.name, code, b.String(), tt.code, tt.stderr)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteJSON(&b, map[string]string{"url": "ssh://a/b?x=<y>&z"}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "{\n  \"url\": \"ssh://a/b?x=<y>&z\"\n}\n" {
		t.Errorf("%q", b.String())
	}
	j := NewRepositoryJSON(store.Repository{Name: "a", Projects: nil})
	if strings.Join(j.Projects, ",") != store.AllProjectsValue || j.Added != nil || j.LastFetched != nil {
		t.Errorf("%+v", j)
	}
}

func TestFactoryDefaults(t *testing.T) {
	t.Parallel()
	f := New("1.2.3")
	if f.AppVersion != "1.2.3" || f.IOStreams.In != os.Stdin || f.IOStreams.OpenTTY == nil {
		t.Errorf("%+v", f)
	}
	if filepath.Base(f.SSHDir()) != ".ssh" || f.SSHConfigFile() != filepath.Join(f.SSHDir(), "config") || f.KnownHostsFile() == "" || f.Paths().Data == "" {
		t.Errorf("ssh dir %q, config %q, known_hosts %q, paths %+v", f.SSHDir(), f.SSHConfigFile(), f.KnownHostsFile(), f.Paths())
	}
}

// JSON output escapes bidi and other invisible characters (#17 item 10),
// keeping the text otherwise intact: decoding gives the same strings.
func TestWriteJSONEscapesInvisible(t *testing.T) {
	in := map[string]string{"subject": "fix \u202etxt.exe\u202c \u200b\ufeff\u0085 \U000e0041 héllo <b> & 日本"}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{`\u202e`, `\u202c`, `\u200b`, `\ufeff`, `\u0085`, `\udb40\udc41`, "héllo <b> & 日本"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}
	for _, r := range "\u202e\u202c\u200b\ufeff\u0085\U000e0041" {
		if strings.ContainsRune(got, r) {
			t.Errorf("output %q holds a raw %U", got, r)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["subject"] != in["subject"] {
		t.Fatalf("round trip: %q %v", back["subject"], err)
	}
}
