package gitops

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sshG runs the installed OpenSSH client's own resolution, `ssh -G`, and
// returns its answers (keyword -> values, repeated keywords in order).
func sshG(t *testing.T, cfg, user string, port int, host string) map[string][]string {
	t.Helper()
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal("ssh (the OpenSSH client) not found: run `make deps` (apt-get install openssh-client)")
	}
	args := []string{"-G", "-F", cfg}
	if user != "" {
		args = append(args, "-l", user)
	}
	if port != 0 {
		args = append(args, "-p", strconv.Itoa(port))
	}
	args = append(args, "--", host)
	cmd := exec.Command(ssh, args...)
	out, err := cmd.Output()
	if err != nil {
		return map[string][]string{"error": {err.Error()}}
	}
	m := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		m[strings.ToLower(k)] = append(m[strings.ToLower(k)], v)
	}
	return m
}

type compareCase struct {
	name   string
	config string // "$D" is replaced by a temp dir holding the file and its includes
	files  map[string]string
	host   string
	user   string
	port   int
}

// sshConfigCompareCases are the configurations compared with ssh -G: Host
// and Match of each kind, Include, first value wins, proxies, known_hosts
// settings, identities. Paths are absolute (ssh -G expands ~ with the
// passwd home, gitjira with $HOME).
var sshConfigCompareCases = []compareCase{
	{name: "alias", config: "Host gitsrv\n  HostName 127.0.0.1\n  Port 2201\n  User alice\n", host: "gitsrv"},
	{name: "wildcard-negated", config: "Host *.corp !secret.corp\n  User corp\nHost *\n  Port 2202\n", host: "secret.corp"},
	{name: "wildcard", config: "Host *.corp !secret.corp\n  User corp\nHost *\n  Port 2202\n", host: "a.corp"},
	{name: "first-value-wins", config: "Host a\n  User first\nHost *\n  User second\n  Port 1\nHost a\n  Port 2\n", host: "a"},
	{name: "location-user-and-port-win", config: "Host a\n  User cfg\n  Port 3\n", host: "a", user: "typed", port: 4},
	{name: "match-host-sees-hostname", config: "Host a\n  HostName real.example\nMatch host real.example\n  User viahost\n", host: "a"},
	{name: "match-host-other", config: "Match host zz\n  User nope\n  BindAddress 10.0.0.1\n", host: "a"},
	{name: "match-originalhost", config: "Host a\n  HostName b\nMatch originalhost a\n  User orig\n", host: "a"},
	{name: "match-user", config: "Host a\n  User bob\nMatch user bob\n  Port 2203\n", host: "a"},
	{name: "match-user-typed", config: "Match user carol\n  Port 2204\n", host: "a", user: "carol"},
	{name: "match-localuser", config: "Match localuser " + LocalUser() + "\n  Port 2205\n", host: "a"},
	{name: "match-localuser-other", config: "Match localuser nobody-like-this\n  Port 2205\n", host: "a"},
	{name: "match-exec-true", config: "Match exec \"test %h = a\"\n  User exectrue\n", host: "a"},
	{name: "match-exec-false", config: "Match exec \"test %h = zz\"\n  User execfalse\n", host: "a"},
	{name: "match-exec-skipped", config: "Match host zz exec \"exit 0\"\n  User skipped\n", host: "a"},
	{name: "match-all", config: "Match all\n  User everyone\n", host: "a"},
	{name: "match-negated", config: "Match !host a\n  User nota\nMatch !host b\n  Port 2206\n", host: "a"},
	{name: "match-final", config: "Host a\n  HostName real.example\nHost real.example\n  User secondpass\nMatch final\n  Port 2207\n", host: "a"},
	{name: "match-canonical-without-canonicalization", config: "Match canonical\n  User canon\n", host: "a"},
	{name: "include", config: "Include $D/inc/*.conf\nHost a\n  User late\n", files: map[string]string{"inc/1.conf": "Host a\n  User included\n", "inc/2.conf": "Host a\n  Port 2208\n"}, host: "a"},
	{name: "include-in-block", config: "Host zz\n  Include $D/inc.conf\nHost *\n  Port 2209\n", files: map[string]string{"inc.conf": "User fromzz\nHost *\n  User fromzz2\n"}, host: "a"},
	{name: "equals-and-quotes", config: "Host=a\n  HostName = \"127.0.0.2\"\n  User='q u'\n", host: "a"},
	{name: "proxyjump-two-hops", config: "Host a\n  ProxyJump bob@hop1:2200,hop2\n", host: "a"},
	{name: "proxyjump-none", config: "Host a\n  ProxyJump none\nHost *\n  ProxyJump j\n", host: "a"},
	{name: "proxycommand", config: "Host a\n  ProxyCommand ssh -W %h:%p bastion\n", host: "a"},
	{name: "proxycommand-then-jump", config: "Host a\n  ProxyCommand nc %h %p\nHost *\n  ProxyJump j\n", host: "a"},
	{name: "jump-then-proxycommand", config: "Host a\n  ProxyJump j\nHost *\n  ProxyCommand nc %h %p\n", host: "a"},
	{name: "known-hosts", config: "Host a\n  UserKnownHostsFile /tmp/kh1 /tmp/kh_%h_%p\n  GlobalKnownHostsFile /tmp/gkh\n  HostKeyAlias fleet-a\n  StrictHostKeyChecking accept-new\n", host: "a"},
	{name: "strict-no", config: "Host a\n  StrictHostKeyChecking no\n", host: "a"},
	{name: "identities", config: "Host a\n  IdentityFile /tmp/id_a\n  IdentityFile /tmp/id_%r\n  CertificateFile /tmp/id_a-cert.pub\n  IdentitiesOnly yes\n  IdentityAgent /tmp/agent.sock\n", host: "a", user: "u"},
	{name: "canonicalize-second-pass-host", config: "CanonicalizeHostname yes\nHost a\n  HostName b\nHost b\n  User pass2\n", host: "a"},
	{name: "ignore-unknown", config: "IgnoreUnknown UseKeychain,AddKeysToAgent\nHost *\n  UseKeychain yes\n", host: "a"},
}

// TestSSHConfigAgreesWithOpenSSH resolves every case with gitjira and
// with `ssh -G` and compares user, host, port, jump hosts, proxy command,
// known_hosts settings and identities.
func TestSSHConfigAgreesWithOpenSSH(t *testing.T) {
	agree := 0
	for _, tc := range sshConfigCompareCases {
		ok := t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tc.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o700)
				if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "$D", dir)), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg := filepath.Join(dir, "config")
			if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(tc.config, "$D", dir)), 0o600); err != nil {
				t.Fatal(err)
			}
			g := sshG(t, cfg, tc.user, tc.port, tc.host)
			route, err := ResolveSSHHost(tc.host, tc.user, tc.port, cfg)
			if e := g["error"]; e != nil {
				if err == nil {
					t.Fatalf("ssh -G failed (%s) but gitjira resolved %+v", e[0], route)
				}
				return
			}
			if err != nil {
				t.Fatalf("gitjira: %v; ssh -G resolves it", err)
			}
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s: gitjira %q, ssh -G %q", what, got, want)
				}
			}
			one := func(k string) string {
				if v := g[k]; len(v) > 0 {
					return v[0]
				}
				return ""
			}
			check("user", route.User, one("user"))
			check("hostname", route.HostName, one("hostname"))
			check("port", strconv.Itoa(route.Port), one("port"))
			check("proxyjump", strings.Join(route.ProxyJump, ","), one("proxyjump"))
			check("proxycommand", route.ProxyCommand, one("proxycommand"))
			check("hostkeyalias", route.HostKeyAlias, one("hostkeyalias"))
			strict := map[string]string{"yes": "true", "no": "false", "ask": "ask", "accept-new": "accept-new"}[route.StrictHostKeyChecking]
			check("stricthostkeychecking", strict, one("stricthostkeychecking"))
			if route.UserKnownHostsFiles != nil {
				check("userknownhostsfile", strings.Join(route.UserKnownHostsFiles, " "), one("userknownhostsfile"))
			}
			if route.GlobalKnownHostsFiles != nil {
				check("globalknownhostsfile", strings.Join(route.GlobalKnownHostsFiles, " "), one("globalknownhostsfile"))
			}
			if len(route.IdentityFiles) > 0 {
				// ssh -G prints IdentityFile before token expansion.
				var want []string
				tok := newSSHResolver(cfg).tokens(route.HostName, tc.host, route.User, route.Port, route.HostKeyAlias)
				for _, f := range g["identityfile"] {
					want = append(want, expandPercent(f, tok))
				}
				check("identityfile", strings.Join(route.IdentityFiles, " "), strings.Join(want, " "))
			}
			check("certificatefile", strings.Join(route.CertificateFiles, " "), strings.Join(g["certificatefile"], " "))
			check("identitiesonly", map[bool]string{true: "yes", false: "no"}[route.IdentitiesOnly], one("identitiesonly"))
			if route.IdentityAgent != "" {
				check("identityagent", route.IdentityAgent, one("identityagent"))
			}
		})
		if ok {
			agree++
		}
	}
	t.Logf("gitjira's resolution agrees with ssh -G in %d of %d cases", agree, len(sshConfigCompareCases))
}
