package gitops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// routeLab is a client side for the route tests: a key made by
// ssh-keygen, a known_hosts file, and configs that both gitjira and
// OpenSSH (git ls-remote with GIT_SSH_COMMAND="ssh -F cfg") read.
type routeLab struct {
	t      *testing.T
	dir    string
	key    string
	signer ssh.Signer
	kh     string
	agree  int
	cases  int
}

func newRouteLab(t *testing.T) *routeLab {
	t.Helper()
	// Known hosts come from each config, not from $GITJIRA_KNOWN_HOSTS.
	t.Setenv("GITJIRA_KNOWN_HOSTS", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	l := &routeLab{t: t, dir: t.TempDir(), key: sshdtest.NewClientKey(t)}
	l.kh = filepath.Join(l.dir, "known_hosts")
	data, err := os.ReadFile(l.key)
	if err != nil {
		t.Fatal(err)
	}
	if l.signer, err = ssh.ParsePrivateKey(data); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *routeLab) pub() string {
	b, err := os.ReadFile(l.key + ".pub")
	if err != nil {
		l.t.Fatal(err)
	}
	return string(b)
}

// trust adds the servers' host keys to known_hosts file kh under names
// (default: the server's [127.0.0.1]:port).
func (l *routeLab) trust(kh string, s *sshdtest.Server, names ...string) {
	l.t.Helper()
	if len(names) == 0 {
		names = []string{knownhosts.Normalize(s.Addr())}
	}
	f, err := os.OpenFile(kh, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		l.t.Fatal(err)
	}
	defer f.Close()
	for _, k := range s.HostKeys() {
		fmt.Fprintln(f, knownhosts.Line(names, k))
	}
}

// config writes an ssh_config: text, then defaults for every host (the
// lab's known_hosts, strict checking, the lab's key only, no prompts).
func (l *routeLab) config(text string) string {
	l.t.Helper()
	p := filepath.Join(l.t.TempDir(), "config")
	text = strings.ReplaceAll(text, "$KEY", l.key)
	text += fmt.Sprintf("\nHost *\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile none\n  StrictHostKeyChecking yes\n  IdentityFile %s\n  IdentitiesOnly yes\n  BatchMode yes\n", l.kh, l.key)
	text = strings.ReplaceAll(text, "$CFG", p)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		l.t.Fatal(err)
	}
	return p
}

// viaGit is what git ls-remote reaches through OpenSSH with the config:
// the object id HEAD points to.
func (l *routeLab) viaGit(cfg, location string) (string, error) {
	cmd := exec.Command("git", "ls-remote", location, "HEAD")
	cmd.Env = append(os.Environ(), "GIT_SSH_COMMAND=ssh -F "+cfg, "GIT_SSH_VARIANT=ssh", "SSH_AUTH_SOCK=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git ls-remote: %v: %s", err, strings.TrimSpace(string(out)))
	}
	oid, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\t")
	return oid, nil
}

// viaGitjira is what gitjira reaches with the same config.
func (l *routeLab) viaGitjira(cfg, location string, timeout time.Duration) (string, error) {
	ep, err := ParseURLWithConfig(location, cfg)
	if err != nil {
		return "", err
	}
	info, err := Check(context.Background(), ConnectOptions{Endpoint: ep, Signer: l.signer, KeyFile: l.key, Timeout: timeout})
	if err != nil {
		return "", err
	}
	return info.Head, nil
}

// same checks that gitjira and git reach the same repository (or both
// fail) and returns gitjira's error.
func (l *routeLab) same(name, cfg, location string) error {
	l.t.Helper()
	l.cases++
	g, gerr := l.viaGit(cfg, location)
	j, jerr := l.viaGitjira(cfg, location, 20*time.Second)
	switch {
	case gerr == nil && jerr == nil && g == j && g != "":
		l.agree++
	case gerr != nil && jerr != nil:
		l.agree++
	default:
		l.t.Errorf("%s: git reached %q (%v), gitjira %q (%v)", name, g, gerr, j, jerr)
	}
	if jerr != nil && strings.Contains(jerr.Error(), "\n") {
		l.t.Errorf("%s: error is not one line: %q", name, jerr)
	}
	return jerr
}

func port(s *sshdtest.Server) string { return strconv.Itoa(s.Port()) }

// TestRoutesAgainstOpenSSH: jump hosts (one and two hops, and ProxyJump
// none), ProxyCommand with ssh -W and with nc, a personal account without
// a user in the location, Match blocks of each kind, CanonicalizeHostname
// with its second pass, HostKeyAlias, several known_hosts files,
// StrictHostKeyChecking accept-new: each through the real sshd, compared
// with git ls-remote through OpenSSH with the same config.
func TestRoutesAgainstOpenSSH(t *testing.T) {
	l := newRouteLab(t)
	target := sshdtest.Start(t, sshdtest.Options{})
	b1, b2 := sshdtest.StartBastion(t), sshdtest.StartBastion(t)
	for _, s := range []*sshdtest.Server{target, b1, b2} {
		s.AuthorizeKey(l.pub())
		l.trust(l.kh, s)
	}
	repo := target.NewBareRepo("app", 3)
	u, T := target.User, port(target)
	hops := fmt.Sprintf("Host b1\n  HostName 127.0.0.1\n  Port %s\n  User %s\nHost b2\n  HostName 127.0.0.1\n  Port %s\n  User %s\n", port(b1), u, port(b2), u)
	gitsrv := fmt.Sprintf("Host gitsrv\n  HostName 127.0.0.1\n  Port %s\n  User %s\n", T, u)

	viaBastion := func(name, cfg string, b ...*sshdtest.Server) {
		t.Helper()
		before := make([]int, len(b))
		for i, s := range b {
			before[i] = s.AcceptedLogins()
		}
		if err := l.same(name, cfg, "gitsrv:"+repo); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for i, s := range b {
			// Both git and gitjira logged in at the bastion.
			if got := s.AcceptedLogins() - before[i]; got != 2 {
				t.Errorf("%s: bastion %d saw %d logins, want 2 (git and gitjira)", name, i+1, got)
			}
		}
	}
	viaBastion("ProxyJump one hop", l.config(gitsrv+"  ProxyJump b1\n"+hops), b1)
	viaBastion("ProxyJump two hops", l.config(gitsrv+"  ProxyJump b1,b2\n"+hops), b1, b2)
	viaBastion("ProxyJump user@host:port", l.config(gitsrv+fmt.Sprintf("  ProxyJump %s@127.0.0.1:%s\n", u, port(b1))), b1)
	viaBastion("ProxyCommand ssh -W", l.config(gitsrv+"  ProxyCommand ssh -F $CFG -W %h:%p b1\n"+hops), b1)
	viaBastion("ProxyJump none wins over a later ProxyJump", l.config(gitsrv+"  ProxyJump none\nHost gitsrv\n  ProxyJump b1\n"+hops))
	if _, err := exec.LookPath("nc"); err != nil {
		t.Fatal("nc not found: run `make deps` (apt-get install netcat-openbsd)")
	}
	viaBastion("ProxyCommand nc", l.config(gitsrv+"  ProxyCommand nc %h %p\n"))

	// A personal account: no user in the location or the config, so ssh
	// (and now gitjira) log in as the local user, the only account the
	// test sshd lets in (AllowUsers); "git" would be refused.
	personal := l.config(fmt.Sprintf("Host personal\n  HostName 127.0.0.1\n  Port %s\n", T))
	if err := l.same("personal account", personal, "personal:"+repo); err != nil {
		t.Error(err)
	}

	// Match blocks of each kind decide the port; a block for other hosts
	// (with a directive gitjira refuses) stops nothing.
	other := "Match host nowhere.example\n  BindAddress 10.9.9.9\n"
	for _, m := range []struct{ name, text, host string }{
		{"Match originalhost exec", fmt.Sprintf("Match originalhost mexec exec \"test %%n = mexec\"\n  HostName 127.0.0.1\n  Port %s\n", T), "mexec"},
		{"Match host (after HostName)", fmt.Sprintf("Host mhost\n  HostName 127.0.0.1\nMatch host 127.0.0.1 originalhost mhost\n  Port %s\n", T), "mhost"},
		{"Match user", fmt.Sprintf("Host muser\n  HostName 127.0.0.1\n  User %s\nMatch user %s originalhost muser\n  Port %s\n", u, u, T), "muser"},
		{"Match localuser", fmt.Sprintf("Match localuser %s originalhost mlocal\n  HostName 127.0.0.1\n  Port %s\n", LocalUser(), T), "mlocal"},
		{"Match all", fmt.Sprintf("Host mall\n  HostName 127.0.0.1\nMatch all\n  Port %s\n", T), "mall"},
		{"Match final", fmt.Sprintf("Host mfinal\n  HostName 127.0.0.1\nMatch final host 127.0.0.1\n  Port %s\n", T), "mfinal"},
		{"Match negated exec", fmt.Sprintf("Match !exec \"false\" originalhost mneg\n  HostName 127.0.0.1\n  Port %s\n", T), "mneg"},
	} {
		if err := l.same(m.name, l.config(other+m.text), m.host+":"+repo); err != nil {
			t.Errorf("%s: %v", m.name, err)
		}
	}

	// CanonicalizeHostname: an address is canonical as it is; only the
	// second pass (Host lines matching the canonical name, Match
	// canonical) gives the port. A name no CanonicalDomains suffix
	// resolves, with CanonicalizeFallbackLocal no, fails in both.
	for _, c := range []struct{ name, text, loc string }{
		{"CanonicalizeHostname, Host in the second pass", fmt.Sprintf("CanonicalizeHostname yes\nHost canon\n  HostName 127.0.0.1\nHost 127.0.0.1\n  Port %s\n", T), "canon"},
		{"CanonicalizeHostname, Match canonical", fmt.Sprintf("CanonicalizeHostname always\nMatch canonical host 127.0.0.1\n  Port %s\n", T), "127.0.0.1"},
		{"CanonicalizeFallbackLocal no", "CanonicalizeHostname yes\nCanonicalDomains invalid\nCanonicalizeFallbackLocal no\n", "nosuchhost"},
	} {
		err := l.same(c.name, l.config(c.text), c.loc+":"+repo)
		if (err != nil) != (c.loc == "nosuchhost") {
			t.Errorf("%s: %v", c.name, err)
		}
	}

	// HostKeyAlias: the key is known only under the fleet's name.
	aliasKH := filepath.Join(l.dir, "kh_alias")
	l.trust(aliasKH, target, "fleet-git")
	if err := l.same("HostKeyAlias", l.config(gitsrv+"  HostKeyAlias fleet-git\n  UserKnownHostsFile "+aliasKH+"\n"), "gitsrv:"+repo); err != nil {
		t.Error(err)
	}
	// Several known_hosts files: the key is in the second.
	empty, second := filepath.Join(l.dir, "kh_empty"), filepath.Join(l.dir, "kh_second")
	os.WriteFile(empty, nil, 0o600)
	l.trust(second, target)
	if err := l.same("several UserKnownHostsFile", l.config(gitsrv+"  UserKnownHostsFile "+empty+" "+second+"\n"), "gitsrv:"+repo); err != nil {
		t.Error(err)
	}
	// GlobalKnownHostsFile alone knows the host.
	global := filepath.Join(l.dir, "kh_global")
	l.trust(global, target)
	if err := l.same("GlobalKnownHostsFile", l.config(gitsrv+"  UserKnownHostsFile "+empty+"\n  GlobalKnownHostsFile "+global+"\n"), "gitsrv:"+repo); err != nil {
		t.Error(err)
	}
	// StrictHostKeyChecking accept-new records an unknown host in the
	// first UserKnownHostsFile (gitjira runs first, git then finds it).
	fresh := filepath.Join(l.dir, "kh_fresh")
	cfg := l.config(gitsrv + "  UserKnownHostsFile " + fresh + "\n  StrictHostKeyChecking accept-new\n")
	if _, err := l.viaGitjira(cfg, "gitsrv:"+repo, 20*time.Second); err != nil {
		t.Fatalf("accept-new: %v", err)
	}
	if err := l.same("StrictHostKeyChecking accept-new", cfg, "gitsrv:"+repo); err != nil {
		t.Error(err)
	}
	// ... but never accepts a changed key, even with StrictHostKeyChecking no.
	changed := filepath.Join(l.dir, "kh_changed")
	k, _ := sshdtest.NewKey(sshdtest.Ed25519)
	os.WriteFile(changed, []byte(knownhosts.Line([]string{knownhosts.Normalize(target.Addr())}, k.PublicKey())+"\n"), 0o600)
	_, err := l.viaGitjira(l.config(gitsrv+"  UserKnownHostsFile "+changed+"\n  StrictHostKeyChecking no\n"), "gitsrv:"+repo, 20*time.Second)
	var hk *HostKeyError
	if !errors.As(err, &hk) || len(hk.Known) == 0 {
		t.Errorf("StrictHostKeyChecking no with a changed key: %v", err)
	}

	t.Logf("gitjira and git ls-remote (OpenSSH, same config) agree in %d of %d routes", l.agree, l.cases)
}

// TestRouteFailures: an unknown jump host, a bastion that may not forward,
// a ProxyCommand that fails, and one that never answers (bounded by the
// timeout, and killed).
func TestRouteFailures(t *testing.T) {
	l := newRouteLab(t)
	target := sshdtest.Start(t, sshdtest.Options{})
	b1 := sshdtest.StartBastion(t)
	for _, s := range []*sshdtest.Server{target, b1} {
		s.AuthorizeKey(l.pub())
	}
	l.trust(l.kh, target)
	repo := target.NewBareRepo("app", 1)
	u, T := target.User, port(target)
	gitsrv := fmt.Sprintf("Host gitsrv\n  HostName 127.0.0.1\n  Port %s\n  User %s\n", T, u)

	// The jump host's key is not known: refused, naming the jump host.
	err := l.same("unknown jump host", l.config(gitsrv+fmt.Sprintf("  ProxyJump %s@127.0.0.1:%s\n", u, port(b1))), "gitsrv:"+repo)
	var hk *HostKeyError
	var je *JumpError
	if !errors.As(err, &hk) || !hk.Jump || !errors.As(err, &je) || !strings.Contains(err.Error(), "jump host") || strings.Contains(err.Error(), "pinned") {
		t.Errorf("unknown jump host: %v", err)
	}
	l.trust(l.kh, b1)
	// The target as a bastion: it does not allow forwarding.
	err = l.same("bastion refuses to forward", l.config(gitsrv+fmt.Sprintf("  ProxyJump %s@127.0.0.1:%s\n", u, T)), "gitsrv:"+repo)
	if !errors.As(err, &je) || je.Target == "" || !strings.Contains(err.Error(), "AllowTcpForwarding") {
		t.Errorf("forwarding refused: %v", err)
	}
	// A ProxyCommand that cannot connect.
	closed := sshdtest.ClosedPort(t)
	_, cport, _ := strings.Cut(closed, ":")
	err = l.same("ProxyCommand fails", l.config(fmt.Sprintf("Host gitsrv\n  HostName 127.0.0.1\n  Port %s\n  ProxyCommand nc %%h %%p\n", cport)), "gitsrv:"+repo)
	var pe *ProxyCommandError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "nc 127.0.0.1 "+cport) {
		t.Errorf("failing ProxyCommand: %v", err)
	}
	// A ProxyCommand that never answers: the timeout ends it and kills it.
	pidFile := filepath.Join(l.dir, "pid")
	cfg := l.config(gitsrv + "  ProxyCommand sh -c 'echo $$ > " + pidFile + "; exec sleep 300'\n")
	start := time.Now()
	_, err = l.viaGitjira(cfg, "gitsrv:"+repo, 1500*time.Millisecond)
	var ne *NetError
	if !errors.As(err, &ne) || ne.Kind != NetTimeout {
		t.Errorf("silent ProxyCommand: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("silent ProxyCommand took %s", d)
	}
	pidText, _ := os.ReadFile(pidFile)
	pid, perr := strconv.Atoi(strings.TrimSpace(string(pidText)))
	if perr != nil {
		t.Fatalf("the ProxyCommand did not run: %q", pidText)
	}
	t.Logf("gitjira and git ls-remote (OpenSSH, same config) agree in %d of %d failing routes", l.agree, l.cases)
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("the ProxyCommand (pid %d) still runs after the timeout", pid)
	}
}

// TestJumpHostTrustedByPin: an unknown jump host is accepted (and
// recorded) only when the pin names its key exactly; a pin for another key
// leaves it unknown, never "not the pinned" (the pin may be the target's).
func TestJumpHostTrustedByPin(t *testing.T) {
	l := newRouteLab(t)
	target, b1 := sshdtest.Start(t, sshdtest.Options{}), sshdtest.StartBastion(t)
	for _, s := range []*sshdtest.Server{target, b1} {
		s.AuthorizeKey(l.pub())
	}
	l.trust(l.kh, target)
	repo := target.NewBareRepo("app", 1)
	cfg := l.config(fmt.Sprintf("Host gitsrv\n  HostName 127.0.0.1\n  Port %s\n  User %s\n  ProxyJump %s@127.0.0.1:%s\n", port(target), target.User, b1.User, port(b1)))
	ep, err := ParseURLWithConfig("gitsrv:"+repo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	other, err := sshdtest.NewKey(sshdtest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	o := ConnectOptions{Endpoint: ep, Signer: l.signer, Timeout: 20 * time.Second, TrustFingerprint: ssh.FingerprintSHA256(other.PublicKey())}
	_, err = Check(context.Background(), o)
	var hk *HostKeyError
	if !errors.As(err, &hk) || !hk.Jump || hk.Expected != "" || !hk.Unknown() {
		t.Fatalf("pin for another key: %v", err)
	}
	o.TrustFingerprint = hk.OfferedFingerprint
	if _, err := Check(context.Background(), o); err != nil {
		t.Fatalf("pinned jump host: %v", err)
	}
	o.TrustFingerprint = ""
	if _, err := Check(context.Background(), o); err != nil {
		t.Fatalf("the jump host was not recorded: %v", err)
	}
}
