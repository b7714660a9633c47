package repos

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
)

// TestNewCmdFetchFlags checks flag parsing alone (runF): names, flags after
// names, the known_hosts default and --timeout from the flag, the
// environment or the default.
func TestNewCmdFetchFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    FetchOptions
		wantErr string // substring of stderr when the exit code is 2
	}{
		{name: "defaults", args: nil, want: FetchOptions{Timeout: 60 * time.Second}},
		{name: "names and flags after them", args: []string{"a", "b", "--json", "--link", "--passphrase-stdin"},
			want: FetchOptions{Names: []string{"a", "b"}, JSON: true, Link: true, PassphraseStdin: true, Timeout: 60 * time.Second}},
		{name: "known hosts", args: []string{"--known-hosts", "/x/kh"}, want: FetchOptions{KnownHostsFile: "/x/kh", Timeout: 60 * time.Second}},
		{name: "timeout flag", args: []string{"--timeout", "90s"}, want: FetchOptions{Timeout: 90 * time.Second}},
		{name: "timeout from env", env: map[string]string{"GITJIRA_TIMEOUT": "5m"}, want: FetchOptions{Timeout: 5 * time.Minute}},
		{name: "flag beats env", env: map[string]string{"GITJIRA_TIMEOUT": "5m"}, args: []string{"--timeout=2s"}, want: FetchOptions{Timeout: 2 * time.Second}},
		{name: "bad timeout", args: []string{"--timeout", "soon"}, wantErr: "--timeout"},
		{name: "zero timeout", args: []string{"--timeout", "0s"}, wantErr: "--timeout must be more than 0"},
		{name: "bad env timeout", env: map[string]string{"GITJIRA_TIMEOUT": "forever"}, wantErr: "GITJIRA_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := cmdtest.New(t)
			for k, v := range tt.env {
				e.Vars[k] = v
			}
			var got *FetchOptions
			newCmd := func(f *cmdutil.Factory) *cobra.Command {
				return NewCmdFetch(f, func(o *FetchOptions) error { got = o; return nil })
			}
			code, _, stderr := e.Exec(newCmd, "", tt.args...)
			if tt.wantErr != "" {
				if code != 2 || !strings.Contains(stderr, tt.wantErr) || strings.Count(stderr, "\n") != 1 {
					t.Fatalf("exit %d, stderr %q; want 2 and one line naming %q", code, stderr, tt.wantErr)
				}
				return
			}
			if code != 0 || got == nil {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			want := tt.want
			if want.KnownHostsFile == "" {
				want.KnownHostsFile = e.KnownHosts
			}
			if strings.Join(got.Names, ",") != strings.Join(want.Names, ",") || got.JSON != want.JSON || got.Link != want.Link ||
				got.PassphraseStdin != want.PassphraseStdin || got.KnownHostsFile != want.KnownHostsFile || got.Timeout != want.Timeout ||
				got.Manager.Paths != e.Paths || got.Manager.KnownHostsFile != want.KnownHostsFile || got.Manager.Timeout != want.Timeout || got.IO == nil || got.Ctx == nil {
				t.Fatalf("options %+v\nwant %+v", *got, want)
			}
		})
	}
}
