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

func writeSSHConfig(t testing.TB, text string) string {
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
	me := LocalUser()
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
		{"git@github-alias:org/r.git", "github-alias", "git", "github.com", 22, []string{filepath.Join(home, ".ssh", "id_github"), all}},
		// No user anywhere: the local login name, as ssh and git use.
		{"bare:r", "", me, "bare", 22, []string{all}},
		{"v6:r", "v6", me, "::1", 22, []string{all}},
		{"a.corp.example:r", "", "corpuser", "a.corp.example", 22, []string{all}},
		{"secret.corp.example:r", "", me, "secret.corp.example", 22, []string{all}},
		{"tokens:r", "tokens", me, "tokens.example.org", 22, []string{all}},
		{"unlisted:r", "", me, "unlisted", 22, []string{all}},
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
	// A Match block is evaluated, and never stops hosts it does not name.
	match := writeSSHConfig(t, "Match host a\n  User x\nMatch originalhost zz exec \"exit 1\"\n  User y\n")
	if ep, err := ParseURLWithConfig("a:r", match); err != nil || ep.User != "x" {
		t.Fatalf("Match host: %+v %v", ep, err)
	}
	if ep, err := ParseURLWithConfig("ssh://127.0.0.1:2222/r", match); err != nil || ep.User != LocalUser() {
		t.Fatalf("Match for another host: %+v %v", ep, err)
	}
	// A HostName that makes the host invalid is refused.
	evil := writeSSHConfig(t, "Host a\n  HostName -oProxyCommand=x\n")
	if _, err := ParseURLWithConfig("a:r", evil); !errors.As(err, new(*URLError)) {
		t.Fatalf("option-like HostName: %v", err)
	}
	// A directive that cannot be honoured is refused for the hosts it
	// applies to, with one line naming it, and only for those.
	bind := writeSSHConfig(t, "Host a\n  BindAddress 10.0.0.1\n")
	_, err = ParseURLWithConfig("a:r", bind)
	if err == nil || !strings.Contains(err.Error(), "BindAddress") || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("BindAddress: %v", err)
	}
	if _, err := ParseURLWithConfig("b:r", bind); err != nil {
		t.Fatalf("BindAddress for another host: %v", err)
	}
	// Unknown keywords fail as in ssh, unless IgnoreUnknown names them.
	unknown := writeSSHConfig(t, "Host zz\n  UseKeychain yes\n")
	if _, err := ParseURLWithConfig("a:r", unknown); err == nil || !strings.Contains(err.Error(), "usekeychain") {
		t.Fatalf("unknown keyword: %v", err)
	}
	ignored := writeSSHConfig(t, "IgnoreUnknown UseKeychain\nHost zz\n  UseKeychain yes\n")
	if _, err := ParseURLWithConfig("a:r", ignored); err != nil {
		t.Fatalf("IgnoreUnknown: %v", err)
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

func TestExpandPercent(t *testing.T) {
	v := map[byte]string{'h': "h.example", 'n': "al", 'r': "git", 'p': "2222", '%': "%"}
	for in, want := range map[string]string{
		"plain":       "plain",
		"%h-%p-%r-%n": "h.example-2222-git-al",
		"100%%":       "100%",
		"%z stays":    "%z stays",
		"trailing %":  "trailing %",
	} {
		if got := expandPercent(in, v); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}

func TestArgvSplit(t *testing.T) {
	for in, want := range map[string][]string{
		`a b`:               {"a", "b"},
		`"a b" c`:           {"a b", "c"},
		`'x y'z # comment`:  {"x yz"},
		`a\ b`:              {"a b"},
		`"q\"x"`:            {`q"x`},
		`ssh -W %h:%p bast`: {"ssh", "-W", "%h:%p", "bast"},
		`a#b`:               {"a#b"},
	} {
		got, err := argvSplit(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q -> %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := argvSplit(`"open`); err == nil {
		t.Error("unclosed quote accepted")
	}
}

// FuzzSSHConfig: any config text and location either resolve to a valid
// endpoint or fail with a one-line error; never a panic. Match exec
// commands run with /bin/false as the shell.
func FuzzSSHConfig(f *testing.F) {
	f.Add(testSSHConfig, "work-git:repo.git")
	f.Add("Host a\n  HostName %h.%h\n  Port 1\n", "a:r")
	f.Add("Match all\n  User x\n", "x:r")
	f.Add("Match host a,!b user x exec \"true\" final\n  ProxyJump j1,j2\n", "a:r")
	f.Add("Host a\n  Include nothing-here\n", "a:r")
	f.Add("CanonicalizeHostname yes\nCanonicalDomains invalid\nHost a\n  ProxyCommand nc %h %p\n", "a:r")
	f.Fuzz(func(t *testing.T, config, location string) {
		dir := t.TempDir()
		p := filepath.Join(dir, "config")
		if err := os.WriteFile(p, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		ep, err := ParseURL(location)
		if err != nil {
			return
		}
		r := newSSHResolver(p)
		r.shell = "/bin/false"
		r.lookup = func(string) error { return errors.New("no DNS in the fuzzer") }
		route, err := r.resolve(ep.Host, "", 0)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if route.HostName == "" || route.Port < 1 || route.Port > 65535 || route.User == "" {
			t.Fatalf("bad route %+v", route)
		}
	})
}
