package key

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
	"github.com/gitjira/gitjira/forge"
	"github.com/gitjira/gitjira/forge/forgetest"
	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// sshKeygen makes an unencrypted ed25519 key pair with the real ssh-keygen.
func sshKeygen(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "me@laptop", "-f", p).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen (run `make deps`): %v %s", err, out)
	}
	return p
}

func authorizeCmd(runF func(*AuthorizeOptions) error) func(f *cmdutil.Factory) *cobra.Command {
	return func(f *cmdutil.Factory) *cobra.Command {
		c := &cobra.Command{Use: "key"}
		c.AddCommand(NewCmdAuthorize(f, runF))
		return c
	}
}

// Flag parsing and the usage errors (exit 2) that name the flag.
func TestAuthorizeFlags(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	var got *AuthorizeOptions
	runF := func(o *AuthorizeOptions) error { got = o; return nil }
	code, _, errOut := e.Exec(authorizeCmd(runF), "", "authorize", "--url", "git@h:o/r.git", "--key", "k", "--via", "Forgejo", "--title", "t", "--token-stdin")
	if code != 0 || got.Via != string(forge.Gitea) || got.Title != "t" || !got.TokenStdin || got.Wait != forge.DefaultWait || got.Timeout != cmdutil.DefaultTimeout {
		t.Fatalf("exit %d %q: %+v", code, errOut, got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--key", "k"}, "--url is required"},
		{[]string{"--url", "git@h:o/r"}, "--key is required"},
		{[]string{"--url", "git@h:o/r", "--key", "k", "--via", "svn"}, "--via"},
		{[]string{"--url", "git@h:o/r", "--key", "k", "--via", "ssh", "--token-stdin"}, "--via ssh logs in with a password"},
		{[]string{"--url", "git@h:o/r", "--key", "k", "--via", "github", "--password-stdin"}, "--password-stdin is for --via ssh"},
		{[]string{"--url", "git@h:o/r", "--key", "k", "--trust-host", "abc"}, "--trust-host takes a SHA256"},
		{[]string{"--url", "git@h:o/r", "--key", "k", "--token", "x"}, "unknown flag: --token"},
	} {
		code, _, errOut := e.Exec(authorizeCmd(runF), "", append([]string{"authorize"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
			t.Errorf("%v: exit %d %q, want 2 with %q", tc.args, code, errOut, tc.want)
		}
	}
}

// authorizeEnv is one API host's stand-in writing the real sshd's
// authorized_keys (a StartForge server holding the stand-in's repository at
// the same path, as on the host), and options for runAuthorize against it.
func authorizeEnv(t *testing.T, sshd *sshdtest.Server, kind forge.Kind, o forgetest.Options) (*forgetest.Server, *AuthorizeOptions) {
	t.Helper()
	o.OnAdd = sshd.AuthorizeKey
	srv := forgetest.New(t, kind, o)
	url, cfg := sshd.ForgeURL("forge.test", srv.Repo.String()+".git")
	return srv, &AuthorizeOptions{
		URL: url, SSHConfigFile: cfg, Key: sshKeygen(t), Via: string(kind), APIURL: srv.URL,
		KnownHostsFile: sshd.WriteKnownHosts(), Timeout: 20 * time.Second, Wait: time.Minute,
		HTTPClient: srv.Client(), Yes: true,
	}
}

func run(t *testing.T, o *AuthorizeOptions, stdin string, env map[string]string) (string, string, error) {
	t.Helper()
	ios, out, errb := cmdutil.Test(stdin, env)
	o.IO, o.Ctx = ios, context.Background()
	err := runAuthorize(o)
	return out.String(), errb.String(), err
}

// Each API host: the deploy key is added through the stand-in, which writes
// the real sshd's authorized_keys, and the command proves it with a real
// SSH login listing the refs; a second run has nothing to add.
func TestAuthorizeEachAPIHost(t *testing.T) {
	sshd := sshdtest.StartForge(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	for _, kind := range forge.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			srv, o := authorizeEnv(t, sshd, kind, forgetest.Options{})
			sshd.NewBareRepo(srv.Repo.String(), 2)
			o.TokenStdin = true
			out, errOut, err := run(t, o, forgetest.Token+"\n", nil)
			if err != nil {
				t.Fatalf("%v\nstderr: %s", err, errOut)
			}
			if !strings.Contains(errOut, "Added the read-only deploy key") || !strings.Contains(out, "Verified: the key SHA256:") || !strings.Contains(out, "default branch main") {
				t.Fatalf("stdout %q stderr %q", out, errOut)
			}
			keys := srv.Keys()
			if len(keys) != 1 || !keys[0].ReadOnly || !strings.HasPrefix(keys[0].Title, "gitjira ") {
				t.Fatalf("keys on the host: %+v", keys)
			}
			if strings.Contains(out+errOut, forgetest.Token) {
				t.Fatal("the token was printed")
			}
			// Again: the key reads the repository, nothing is added, no token asked.
			o.TokenStdin = false
			out, _, err = run(t, o, "", nil)
			if err != nil || !strings.Contains(out, "already reads") || srv.Posts() != 1 {
				t.Fatalf("second run: %v %q, %d posts", err, out, srv.Posts())
			}
		})
	}
}

// The token from the host's variable; the JSON result; a .pub given with
// its private half beside it; a host that takes a while to accept the key.
func TestAuthorizeEnvTokenPubAndDelay(t *testing.T) {
	sshd := sshdtest.StartForge(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	srv, o := authorizeEnv(t, sshd, forge.GitLab, forgetest.Options{AcceptDelay: 1200 * time.Millisecond})
	sshd.NewBareRepo(srv.Repo.String(), 1)
	o.Key += ".pub"
	o.JSON = true
	o.Title = "ci deploy"
	out, errOut, err := run(t, o, "", map[string]string{"GITLAB_TOKEN": forgetest.Token})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var j authorizeJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if !j.Added || j.Via != "gitlab" || j.Title != "ci deploy" || j.Tries < 2 || j.AcceptedAfterS == nil || *j.AcceptedAfterS < 1 || j.DefaultBranch != "main" {
		t.Fatalf("%+v", j)
	}
	if !strings.Contains(errOut, "does not accept the key yet") {
		t.Fatalf("stderr %q", errOut)
	}
}

// The refusals: no token without a terminal, a bad token (one line, exit
// 1), an unknown host without --trust-host, and a host that is not guessed.
func TestAuthorizeRefusals(t *testing.T) {
	sshd := sshdtest.StartForge(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	srv, o := authorizeEnv(t, sshd, forge.GitHub, forgetest.Options{})
	sshd.NewBareRepo(srv.Repo.String(), 1)

	_, _, err := run(t, o, "", nil)
	if err == nil || !strings.Contains(err.Error(), "--token-stdin") || !strings.Contains(err.Error(), "GH_TOKEN") {
		t.Fatalf("no token: %v", err)
	}
	o.TokenStdin = true
	_, _, err = run(t, o, "gjt_wrong\n", nil)
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("bad token: %v", err)
	}

	o.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	_, _, err = run(t, o, forgetest.Token+"\n", nil)
	fp := sshd.HostKeyFingerprints()[sshdtest.Ed25519]
	if err == nil || !strings.Contains(err.Error(), "--trust-host "+fp) {
		t.Fatalf("unknown host: %v", err)
	}
	o.TrustHost = fp
	if _, errOut, err := run(t, o, forgetest.Token+"\n", nil); err != nil {
		t.Fatalf("with --trust-host: %v %s", err, errOut)
	}
	if b, _ := os.ReadFile(o.KnownHostsFile); !strings.Contains(string(b), "ssh-ed25519") {
		t.Fatalf("known_hosts not extended: %q", b)
	}

	o.Via = ""
	if _, _, err := run(t, o, "", nil); err == nil || !strings.Contains(err.Error(), "--via is required for 127.0.0.1") {
		t.Fatalf("no --via: %v", err)
	}
}

// --via ssh against the real sshd with password logins: the shell account
// gets the key in its own ~/.ssh/authorized_keys and the key then reads the
// repository; the git-shell account is answered with the admin's line.
func TestAuthorizeViaSSH(t *testing.T) {
	gitShell, err := exec.LookPath("git-shell")
	if err != nil {
		t.Fatal("git-shell not found: run `make deps`")
	}
	sh := sshdtest.SystemAccount(t, "gjt-cmdkey-sh", "/bin/bash")
	gs := sshdtest.SystemAccount(t, "gjt-cmdkey-gs", gitShell)
	sshd := sshdtest.StartPasswordLogin(t, sshdtest.PasswordOptions{Accounts: []sshdtest.Account{sh, gs}})
	repo := sshd.NewBareRepo("app", 1)
	sh.Own(t, repo)
	o := &AuthorizeOptions{URL: sshd.URLFor(sh.Name, repo), Key: sshKeygen(t), Via: ViaSSH, KnownHostsFile: sshd.WriteKnownHosts(),
		Timeout: 20 * time.Second, Wait: time.Minute, PasswordStdin: true, Yes: true, Title: "gitjira test"}
	out, errOut, err := run(t, o, sh.Password+"\n", nil)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, errOut, sshd.Logs())
	}
	if !strings.Contains(errOut, "Added the key to ~/.ssh/authorized_keys of gjt-cmdkey-sh") || !strings.Contains(out, "Verified") {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
	b, err := os.ReadFile(filepath.Join(sh.Home, ".ssh", "authorized_keys"))
	if err != nil || strings.Count(string(b), "\n") != 1 || !strings.HasSuffix(strings.TrimSpace(string(b)), " gitjira test") {
		t.Fatalf("authorized_keys %q %v", b, err)
	}
	if strings.Contains(out+errOut, sh.Password) {
		t.Fatal("the password was printed")
	}

	o.URL = sshd.URLFor(gs.Name, repo)
	_, _, err = run(t, o, gs.Password+"\n", nil)
	if err == nil || !strings.Contains(err.Error(), "runs git-shell") || !strings.Contains(err.Error(), "sudo -u gjt-cmdkey-gs sh -c") {
		t.Fatalf("git-shell account: %v", err)
	}

	o.URL = sshd.URLFor(sh.Name, repo)
	o.Key = sshKeygen(t)
	if _, _, err := run(t, o, "not the password\n", nil); err == nil || !strings.Contains(err.Error(), "refused the password of gjt-cmdkey-sh") {
		t.Fatalf("wrong password: %v", err)
	}
}
