package steps

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/forge"
	"github.com/gitjira/gitjira/forge/forgetest"
	"github.com/gitjira/gitjira/gitops/sshdtest"
	"github.com/gitjira/gitjira/sshkeys"
)

func authStep(s Step) Authorize { return s.(Authorize) }

// authorizeDraft plans url and sets a fresh key, as the first steps would;
// the key is refused by the server (nobody authorized it yet).
func authorizeDraft(t *testing.T, env *Env, d *Draft, url string) *sshkeys.Key {
	t.Helper()
	planDraft(t, env, d, url, "")
	k, raw, err := sshkeys.Generate(sshkeys.GenerateOptions{Type: sshkeys.TypeEd25519, Comment: "me@laptop"})
	if err != nil {
		t.Fatal(err)
	}
	d.SetKey(filepath.Join(env.SSHDir, "id_new"), raw, k, true)
	return k
}

// Upload through a host's API (a GitLab stand-in writing the real sshd's
// authorized_keys): the refused key opens the menu, the API form takes a
// masked token, and the step re-tests by itself until the key reads the
// repository, then moves on.
func TestAuthorizeStepUpload(t *testing.T) {
	sshd := sshdtest.StartForge(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	srv := forgetest.New(t, forge.GitLab, forgetest.Options{OnAdd: sshd.AuthorizeKey})
	sshd.NewBareRepo(srv.Repo.String(), 2)
	env, draft := testEnv(t)
	url, cfg := sshd.ForgeURL("forge.test", srv.Repo.String()+".git")
	env.SSHConfigFile = cfg
	env.HTTPClient = srv.Client()
	if err := os.WriteFile(env.KnownHostsFile, []byte(sshd.KnownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	authorizeDraft(t, env, draft, url)

	d := newDriver(t, NewAuthorize(env, draft)).enter()
	d.until("the menu", func(s Step) bool { return authStep(s).screen == authMenu })
	v := d.view()
	for _, want := range []string{"does not accept this key yet", draft.Key.AuthorizedKey, "host's API", "password", "Choose another key"} {
		if !strings.Contains(v, want) {
			t.Fatalf("menu lacks %q:\n%s", want, v)
		}
	}
	if d.s.View().Copy != draft.Key.AuthorizedKey {
		t.Fatalf("copy offers %q", d.s.View().Copy)
	}
	// The host 127.0.0.1 is not a known forge: the menu starts on the manual
	// way for the git user; go up to the API and choose GitLab there.
	d.send(tea.KeyMsg{Type: tea.KeyHome}).key(tea.KeyEnter)
	d.until("the API form", func(s Step) bool { return authStep(s).screen == authAPIForm })
	d.key(tea.KeyShiftTab).key(tea.KeyShiftTab) // the host kind
	d.key(tea.KeyRight)                         // github -> gitlab
	if a := authStep(d.s); forge.Kinds[a.kind] != forge.GitLab {
		t.Fatalf("kind %s", forge.Kinds[a.kind])
	}
	d.key(tea.KeyTab) // API URL
	for range len(authStep(d.s).apiURL.Value()) {
		d.key(tea.KeyBackspace)
	}
	d.typeText(srv.URL).key(tea.KeyTab).typeText(forgetest.Token)
	if v := d.view(); strings.Contains(v, forgetest.Token) || !strings.Contains(v, "api scope") {
		t.Fatalf("token shown, or no scope hint:\n%s", v)
	}
	d.key(tea.KeyEnter)
	nav := d.waitNav("done")
	if dm, ok := nav.(DoneMsg); !ok || dm.From != StepAuthorize {
		t.Fatalf("got %#v; view:\n%s", nav, d.view())
	}
	if draft.Remote == nil || draft.AuthErr != nil || draft.Remote.DefaultBranch != "main" {
		t.Fatalf("draft after: remote %+v auth %v", draft.Remote, draft.AuthErr)
	}
	if keys := srv.Keys(); len(keys) != 1 || !keys[0].ReadOnly {
		t.Fatalf("keys on the host: %+v", keys)
	}
	if !NewAuthorize(env, draft).Skip() {
		t.Fatal("the step is not skipped once the key reads the repository")
	}
}

// The one-time password login, against the real sshd with password
// logins: a shell account gets the key; a git-shell account shows the
// admin's line and the step keeps waiting.
func TestAuthorizeStepPassword(t *testing.T) {
	gitShell, err := exec.LookPath("git-shell")
	if err != nil {
		t.Fatal("git-shell not found: run `make deps`")
	}
	sh := sshdtest.SystemAccount(t, "gjt-steps-sh", "/bin/bash")
	gs := sshdtest.SystemAccount(t, "gjt-steps-gs", gitShell)
	sshd := sshdtest.StartPasswordLogin(t, sshdtest.PasswordOptions{Accounts: []sshdtest.Account{sh, gs}})
	repo := sshd.NewBareRepo("app", 1)
	sh.Own(t, repo)
	env, draft := testEnv(t)
	if err := os.WriteFile(env.KnownHostsFile, []byte(sshd.KnownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// git-shell first: the admin's line, and the step waits.
	authorizeDraft(t, env, draft, sshd.URLFor(gs.Name, repo))
	d := newDriver(t, NewAuthorize(env, draft)).enter()
	d.until("the menu", func(s Step) bool { return authStep(s).screen == authMenu })
	if authStep(d.s).cursor != wayPassword {
		t.Fatalf("cursor %d: an account other than git starts on the password login", authStep(d.s).cursor)
	}
	d.key(tea.KeyEnter).typeText(gs.Password)
	if strings.Contains(d.view(), gs.Password) {
		t.Fatal("password shown")
	}
	d.key(tea.KeyEnter)
	d.until("the admin's line", func(s Step) bool { return authStep(s).admin != "" })
	if v := d.view(); !strings.Contains(v, "sudo -u "+gs.Name) || !strings.Contains(v, "runs git-shell") || d.s.View().Copy != authStep(d.s).admin {
		t.Fatalf("view:\n%s", v)
	}
	d.key(tea.KeyEsc) // stop waiting

	authorizeDraft(t, env, draft, sshd.URLFor(sh.Name, repo))
	d = newDriver(t, NewAuthorize(env, draft)).enter()
	d.until("the menu", func(s Step) bool { return authStep(s).screen == authMenu })
	d.key(tea.KeyEnter).typeText(sh.Password).key(tea.KeyEnter)
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepAuthorize}) {
		t.Fatalf("got %#v; view:\n%s", nav, d.view())
	}
	b, err := os.ReadFile(filepath.Join(sh.Home, ".ssh", "authorized_keys"))
	if err != nil || !strings.Contains(string(b), draft.Key.AuthorizedKey[:40]) {
		t.Fatalf("authorized_keys %q %v", b, err)
	}
}

// By hand: the keys page of a well-known host is a link, o opens it, and
// the step re-tests until the key is added (here by the test, as the user
// would on the page).
func TestAuthorizeStepManual(t *testing.T) {
	sshd := sshdtest.StartForge(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	sshd.NewBareRepo("octo/app", 1)
	env, draft := testEnv(t)
	url, cfg := sshd.ForgeURL("github.com", "octo/app.git")
	env.SSHConfigFile = cfg
	if err := os.WriteFile(env.KnownHostsFile, []byte(sshd.KnownHostsLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k := authorizeDraft(t, env, draft, url)
	opened := make(chan string, 1)
	old := openURL
	openURL = func(u string) tea.Cmd { return func() tea.Msg { opened <- u; return nil } }
	t.Cleanup(func() { openURL = old })

	d := newDriver(t, NewAuthorize(env, draft)).enter()
	d.until("the menu", func(s Step) bool { return authStep(s).screen == authMenu })
	const page = "https://github.com/octo/app/settings/keys"
	if a := authStep(d.s); a.cursor != wayAPI || !strings.Contains(d.view(), page) || !strings.Contains(d.s.View().Body, "\x1b]8;;"+page) {
		t.Fatalf("cursor %d; view:\n%s", a.cursor, d.view())
	}
	d.send(runes("o"))
	if got := <-opened; got != page {
		t.Fatalf("opened %q", got)
	}
	d.key(tea.KeyEnd).key(tea.KeyUp).key(tea.KeyEnter)
	d.until("waiting, tried twice", func(s Step) bool { return authStep(s).screen == authWaiting && authStep(s).tries >= 2 })
	if v := d.view(); !strings.Contains(v, "Waiting for github.com to accept the key") || !strings.Contains(v, k.AuthorizedKey) {
		t.Fatalf("view:\n%s", v)
	}
	sshd.AuthorizeKey(k.AuthorizedKey) // the user adds it on the page
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepAuthorize}) {
		t.Fatalf("got %#v", nav)
	}
	if !strings.Contains(draft.AuthNote, "accepted the key after") {
		t.Fatalf("note %q", draft.AuthNote)
	}
}
