package gitops

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const testSSHConfig = `# a typical ~/.ssh/config
Host work-git
    HostName git.corp.example
    Port 2222
    User gitolite
    IdentityFile ~/.ssh/id_work
    IdentityFile %d/.ssh/%r@%h_%p

Host gh github-alias
    HostName github.com
    IdentityFile ~/.ssh/id_github

Host bare
    IdentityFile none

Host v6
    HostName ::1

Host *.corp.example !secret.corp.example
    User corpuser

Host tokens
    HostName %h.example.org

Host *
    IdentityFile ~/.ssh/id_all
`

func writeSSHConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseURLWithConfig(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeSSHConfig(t, testSSHConfig)
	all := filepath.Join(home, ".ssh", "id_all")
	for _, tc := range []struct {
		in, alias, user, host string
		port                  int
		ids                   []string
	}{
		{"work-git:repo.git", "work-git", "gitolite", "git.corp.example", 2222,
			[]string{filepath.Join(home, ".ssh", "id_work"), filepath.Join(home, ".ssh", "gitolite@git.corp.example_2222"), all}},
		// The location's own user and port win over the config.
		{"ssh://me@work-git:2200/x", "work-git", "me", "git.corp.example", 2200,
			[]string{filepath.Join(home, ".ssh", "id_work"), filepath.Join(home, ".ssh", "me@git.corp.example_2200"), all}},
		{"github-alias:org/r.git", "github-alias", "git", "github.com", 22, []string{filepath.Join(home, ".ssh", "id_github"), all}},
		{"bare:r", "bare", "git", "bare", 22, []string{all}},
		{"v6:r", "v6", "git", "::1", 22, []string{all}},
		{"a.corp.example:r", "", "corpuser", "a.corp.example", 22, []string{all}},
		{"secret.corp.example:r", "", "git", "secret.corp.example", 22, []string{all}},
		{"tokens:r", "tokens", "git", "tokens.example.org", 22, []string{all}},
		{"unlisted:r", "", "git", "unlisted", 22, []string{all}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			ep, err := ParseURLWithConfig(tc.in, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if ep.Alias != tc.alias || ep.User != tc.user || ep.Host != tc.host || ep.Port != tc.port {
				t.Fatalf("got alias=%q user=%q host=%q port=%d", ep.Alias, ep.User, ep.Host, ep.Port)
			}
			if !reflect.DeepEqual(ep.IdentityFiles, tc.ids) {
				t.Fatalf("identity files %q, want %q", ep.IdentityFiles, tc.ids)
			}
		})
	}
}

func TestParseURLWithConfigMissingAndBroken(t *testing.T) {
	ep, err := ParseURLWithConfig("work-git:r", filepath.Join(t.TempDir(), "absent"))
	if err != nil || ep.Host != "work-git" || ep.Alias != "" {
		t.Fatalf("missing config: %+v, %v", ep, err)
	}
	// A bad URL is reported before the config is looked at.
	if _, err := ParseURLWithConfig("https://x/y", filepath.Join(t.TempDir(), "absent")); !errors.As(err, new(*URLError)) {
		t.Fatalf("err %v", err)
	}
	bad := writeSSHConfig(t, "Host a\n  Port notaport\n")
	if _, err := ParseURLWithConfig("a:r", bad); err == nil || !strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("bad port: %v", err)
	}
	// Match blocks make the library panic; that must become an error.
	match := writeSSHConfig(t, "Match host a\n  User x\n")
	if _, err := ParseURLWithConfig("a:r", match); err == nil {
		t.Fatal("Match block accepted silently")
	}
	// A HostName that makes the host invalid is refused.
	evil := writeSSHConfig(t, "Host a\n  HostName -oProxyCommand=x\n")
	if _, err := ParseURLWithConfig("a:r", evil); !errors.As(err, new(*URLError)) {
		t.Fatalf("option-like HostName: %v", err)
	}
}

func TestSSHConfigHosts(t *testing.T) {
	cfg := writeSSHConfig(t, testSSHConfig)
	got := SSHConfigHosts(cfg)
	want := []string{"work-git", "gh", "github-alias", "bare", "v6", "tokens"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("hosts %q, want %q", got, want)
	}
	if h := SSHConfigHosts(filepath.Join(t.TempDir(), "absent")); h != nil {
		t.Fatalf("missing file: %q", h)
	}
}

func TestExpandTokens(t *testing.T) {
	v := tokenVals{host: "h.example", alias: "al", user: "git", port: 2222}
	home, _ := os.UserHomeDir()
	for in, want := range map[string]string{
		"plain":       "plain",
		"%h-%p-%r-%n": "h.example-2222-git-al",
		"%d/x":        home + "/x",
		"100%%":       "100%",
		"%z stays":    "%z stays",
		"trailing %":  "trailing %",
		"%C and %h":   "%C and h.example",
	} {
		if got := expandTokens(in, v); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}

// FuzzSSHConfig: any config text and location either resolve to a valid
// endpoint or fail with an error; never a panic (the library panics on some
// inputs, e.g. Match blocks).
func FuzzSSHConfig(f *testing.F) {
	f.Add(testSSHConfig, "work-git:repo.git")
	f.Add("Host a\n  HostName %h.%h\n  Port 1\n", "a:r")
	f.Add("Match all\n  User x\n", "x:r")
	f.Add("Host a\n  Include nothing-here\n", "a:r")
	f.Fuzz(func(t *testing.T, config, location string) {
		cfg, err := decodeSSHConfig([]byte(config), "fuzz")
		if err != nil || cfg == nil {
			return
		}
		ep, err := ParseURL(location)
		if err != nil {
			return
		}
		if err := applySSHConfig(ep, cfg, "fuzz"); err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if ep.Host == "" || ep.Port < 1 || ep.Port > 65535 || strings.HasPrefix(ep.Host, "-") || ep.User == "" {
			t.Fatalf("bad endpoint %+v", ep)
		}
	})
}
