package gitops

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in                 string
		user, host         string
		port               int
		path, str, addr    string
		repoName           string
		userGiven, portSet bool
	}{
		{in: "ssh://git@github.com/org/repo.git", user: "git", host: "github.com", port: 22, path: "/org/repo.git",
			str: "ssh://git@github.com:22/org/repo.git", addr: "github.com:22", repoName: "repo", userGiven: true},
		{in: "ssh://example.com:2222/srv/git/x", user: "git", host: "example.com", port: 2222, path: "/srv/git/x",
			str: "ssh://git@example.com:2222/srv/git/x", addr: "example.com:2222", repoName: "x", portSet: true},
		{in: "git+ssh://alice@h/r.git", user: "alice", host: "h", port: 22, path: "/r.git",
			str: "ssh://alice@h:22/r.git", addr: "h:22", repoName: "r", userGiven: true},
		{in: "SSH+GIT://h:22/r.git/", user: "git", host: "h", port: 22, path: "/r.git/",
			str: "ssh://git@h:22/r.git/", addr: "h:22", repoName: "r", portSet: true},
		{in: "ssh://git@[::1]:2222/repo.git", user: "git", host: "::1", port: 2222, path: "/repo.git",
			str: "ssh://git@[::1]:2222/repo.git", addr: "[::1]:2222", repoName: "repo", userGiven: true, portSet: true},
		{in: "ssh://h/~alice/repo.git", user: "git", host: "h", port: 22, path: "~alice/repo.git",
			str: "git@h:~alice/repo.git", addr: "h:22", repoName: "repo"},
		{in: "git@github.com:org/repo.git", user: "git", host: "github.com", port: 22, path: "org/repo.git",
			str: "git@github.com:org/repo.git", addr: "github.com:22", repoName: "repo", userGiven: true},
		{in: "  gitlab.example.org:group/sub/proj.git\n", user: "git", host: "gitlab.example.org", port: 22, path: "group/sub/proj.git",
			str: "git@gitlab.example.org:group/sub/proj.git", addr: "gitlab.example.org:22", repoName: "proj"},
		{in: "bob@10.0.0.5:/srv/repo.git", user: "bob", host: "10.0.0.5", port: 22, path: "/srv/repo.git",
			str: "ssh://bob@10.0.0.5:22/srv/repo.git", addr: "10.0.0.5:22", repoName: "repo", userGiven: true},
		{in: "git@[::1]:repo.git", user: "git", host: "::1", port: 22, path: "repo.git",
			str: "git@[::1]:repo.git", addr: "[::1]:22", repoName: "repo", userGiven: true},
		{in: "[git@host:2222]:org/r.git", user: "git", host: "host", port: 2222, path: "org/r.git",
			str: "ssh://git@host:2222/~/org/r.git", addr: "host:2222", repoName: "r", userGiven: true, portSet: true},
		{in: "[host:2222]:/abs/r", user: "git", host: "host", port: 2222, path: "/abs/r",
			str: "ssh://git@host:2222/abs/r", addr: "host:2222", repoName: "r", portSet: true},
		// git decodes %XX in ssh:// locations, and paths may hold spaces.
		{in: "ssh://h/a%20b?c#d", user: "git", host: "h", port: 22, path: "/a b?c#d",
			str: "ssh://git@h:22/a b?c#d", addr: "h:22", repoName: "a b?c#d"},
		{in: "ssh://git@h/srv/my%2dre%zzpo.git", user: "git", host: "h", port: 22, path: "/srv/my-re%zzpo.git",
			str: "ssh://git@h:22/srv/my-re%zzpo.git", addr: "h:22", repoName: "my-re%zzpo", userGiven: true},
		{in: "git@host:my repo.git", user: "git", host: "host", port: 22, path: "my repo.git",
			str: "git@host:my repo.git", addr: "host:22", repoName: "my repo", userGiven: true},
		{in: "ssh:/#x", user: "git", host: "ssh", port: 22, path: "/#x",
			str: "ssh://git@ssh:22/#x", addr: "ssh:22", repoName: "#x"},
		{in: "my_alias:repo", user: "git", host: "my_alias", port: 22, path: "repo",
			str: "git@my_alias:repo", addr: "my_alias:22", repoName: "repo"},
		{in: "git@h:~", user: "", host: "", path: ""}, // refused below (no path)
	} {
		if !tc.userGiven && tc.user == "git" {
			// No user in the location: the local login name, as with ssh.
			tc.user = LocalUser()
			tc.str = strings.Replace(tc.str, "git@", tc.user+"@", 1)
		}
		t.Run(tc.in, func(t *testing.T) {
			ep, err := ParseURL(tc.in)
			if tc.host == "" {
				if err == nil {
					t.Fatalf("accepted: %+v", ep)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.User != tc.user || ep.Host != tc.host || ep.Port != tc.port || ep.Path != tc.path {
				t.Fatalf("got user=%q host=%q port=%d path=%q", ep.User, ep.Host, ep.Port, ep.Path)
			}
			if ep.String() != tc.str || ep.Addr() != tc.addr || ep.RepoName() != tc.repoName {
				t.Fatalf("String=%q Addr=%q RepoName=%q", ep.String(), ep.Addr(), ep.RepoName())
			}
			if ep.userGiven != tc.userGiven || ep.portGiven != tc.portSet {
				t.Fatalf("userGiven=%v portGiven=%v", ep.userGiven, ep.portGiven)
			}
			if ep.Original != tc.in {
				t.Fatalf("Original=%q", ep.Original)
			}
			// The canonical form parses back to the same place.
			again, err := ParseURL(ep.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", ep.String(), err)
			}
			if again.String() != ep.String() || again.Addr() != ep.Addr() || again.User != ep.User {
				t.Fatalf("reparse %q gave %q", ep.String(), again.String())
			}
		})
	}
}

func TestParseURLRefused(t *testing.T) {
	for _, tc := range []struct {
		in, reason, suggest string
	}{
		{"", "no repository location given", ""},
		{"   ", "no repository location given", ""},
		{"https://github.com/org/repo", "HTTP(S) locations are not supported", "git@github.com:org/repo.git"},
		{"https://gitlab.com/group/sub/proj.git", "HTTP(S)", "git@gitlab.com:group/sub/proj.git"},
		{"http://git.internal/x.git", "HTTP(S)", ""},
		{"https://github.com/org/repo/tree/main/src", "HTTP(S)", "git@github.com:org/repo.git"},
		{"https://gitlab.com/g/sub/proj/-/tree/main", "HTTP(S)", "git@gitlab.com:g/sub/proj.git"},
		{"https://github.com/", "HTTP(S)", ""},
		{"https://github.com/org", "HTTP(S)", ""},
		{"git@github.com/org/repo.git", "missing ':'", "git@github.com:org/repo.git"},
		{"git://github.com/org/repo.git", "git:// protocol", "git@github.com:org/repo.git"},
		{"file:///srv/repo.git", "local repositories", ""},
		{"ftp://h/r", "unsupported scheme", ""},
		{"/srv/git/repo.git", "local paths", ""},
		{"./repo", "local paths", ""},
		{"../repo", "local paths", ""},
		{"~/repo", "local paths", ""},
		{`C:\repos\x`, "local paths", ""},
		{"C:/repos/x", "local paths", ""},
		{"repo", "not an SSH location", ""},
		{"org/repo:x", "not an SSH location", ""},
		{"git @host:r", "invalid user name", ""},
		{"ssh://h/r%00x", "control", ""},
		{"git@host:repo\x00", "control", ""},
		{"ssh://user:secret@h/r", "passwords are not used", ""},
		{"ssh://h", "no repository path", ""},
		{"ssh://h/", "no repository path", ""},
		{"ssh:///r", "no host", ""},
		{"ssh://h:0/r", "port must be", ""},
		{"ssh://h:99999/r", "port must be", ""},
		{"ssh://h:/r", "empty port", ""},
		{"ssh://::1/r", "IPv6 address goes in brackets", ""},
		{"ssh://h:+22/r", "port must be", ""},
		{"ssh://-oProxyCommand=x/r", "cannot start with '-'", ""},
		{"-oProxyCommand=x:r", "cannot start with '-'", ""},
		{"@host:r", "empty user", ""},
		{"git@:r", "no host name", ""},
		{"git@host:", "no repository path", ""},
		{"git@ho$t:r", "invalid host name", ""},
		{"[::1:r", "missing ']'", ""},
		{"[nonsense]:r", "IPv6 address or host:port", ""},
		{"[::1]r", "expected ':'", ""},
		{"ssh://[fe80::1%25eth0]/r", "invalid host name", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			ep, err := ParseURL(tc.in)
			var ue *URLError
			if !errors.As(err, &ue) {
				t.Fatalf("got %+v, %v; want *URLError", ep, err)
			}
			if !strings.Contains(ue.Reason, tc.reason) || ue.Suggest != tc.suggest {
				t.Fatalf("reason %q suggest %q; want %q, %q", ue.Reason, ue.Suggest, tc.reason, tc.suggest)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, "gitjira connects over SSH; use ") {
				t.Fatalf("message %q", msg)
			}
			if tc.suggest != "" && !strings.HasSuffix(msg, "use "+tc.suggest) {
				t.Fatalf("message %q does not suggest %q", msg, tc.suggest)
			}
			if tc.suggest == "" && !strings.Contains(msg, "ssh://user@host[:port]/path or user@host:path") {
				t.Fatalf("message %q does not show the SSH forms", msg)
			}
		})
	}
}

func TestKnownHostsName(t *testing.T) {
	for in, want := range map[string]string{
		"git@github.com:o/r":       "github.com",
		"ssh://h:2222/r":           "[h]:2222",
		"ssh://[::1]:2222/r":       "[::1]:2222",
		"ssh://127.0.0.1:22/r.git": "127.0.0.1",
	} {
		ep, err := ParseURL(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := ep.KnownHostsName(); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

// FuzzParseURL: any input either fails with a one-line *URLError, or gives
// an endpoint whose canonical form parses back to the same endpoint.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"ssh://git@github.com/org/repo.git", "git@github.com:org/repo.git", "ssh://[::1]:2222/r",
		"[git@h:2222]:r", "https://github.com/o/r", "ssh://h/~u/r", "h:r", "/local", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep, err := ParseURL(s)
		if err != nil {
			var ue *URLError
			if !errors.As(err, &ue) {
				t.Fatalf("%q: error %T %v is not a *URLError", s, err, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("%q: message has a newline: %q", s, err.Error())
			}
			return
		}
		if ep.Host == "" || ep.User == "" || ep.Path == "" || ep.Port < 1 || ep.Port > 65535 {
			t.Fatalf("%q: incomplete endpoint %+v", s, ep)
		}
		if strings.HasPrefix(ep.Host, "-") || strings.HasPrefix(ep.User, "-") {
			t.Fatalf("%q: option-like host or user %+v", s, ep)
		}
		canon := ep.String()
		again, err := ParseURL(canon)
		if err != nil {
			t.Fatalf("%q: canonical %q does not parse: %v", s, canon, err)
		}
		if again.String() != canon || again.Addr() != ep.Addr() || again.User != ep.User {
			t.Fatalf("%q: canonical %q reparsed as %q (%s)", s, canon, again.String(), again.Addr())
		}
		_ = ep.RepoName()
		_ = ep.KnownHostsName()
	})
}

func BenchmarkParseURL(b *testing.B) {
	for _, in := range []string{"git@github.com:org/repo.git", "ssh://git@[::1]:2222/srv/git/repo.git"} {
		b.Run(in, func(b *testing.B) {
			for b.Loop() {
				if _, err := ParseURL(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestSuggestForgeUser(t *testing.T) {
	for in, want := range map[string]string{
		"github.com:org/r.git":       "git@github.com:org/r.git",
		"ssh://gitlab.com/g/p.git":   "ssh://git@gitlab.com/g/p.git",
		"git@github.com:org/r.git":   "",
		"alice@github.com:org/r.git": "",
		"git.internal:team/app.git":  "",
	} {
		ep, err := ParseURLWithConfig(in, "none")
		if err != nil {
			t.Fatal(err)
		}
		if got := ep.SuggestForgeUser(); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}
