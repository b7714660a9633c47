package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// The home's own files (#17 items 2-6, 8) through the real binary against
// the real sshd: a restored backup, two connects racing, files replaced by a
// FIFO or /dev/zero, a moved and a copied home, a remove killed mid-way.

func (r *crashRig) connectNamed(name, repo string) []string {
	return []string{"connect", "--yes", "--url", r.srv.URL(repo), "--key", r.key, "--trust-host", r.fp, "--name", name}
}

// runQuick runs gitjira and fails the test when it does not end within
// 30 s (a read that blocks on a FIFO would never end), without --timeout.
func (r *crashRig) runQuick(args ...string) (int, string, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gitjiraBinary(r.t), args...)
	cmd.Env = r.e.env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		r.t.Fatalf("gitjira %v blocked (killed after 30 s); stderr %q", args, errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return code, out.String(), errb.String()
}

// Restoring repositories.json.bak, as gitjira's own message advises, used to
// make the next fetch delete every repository connected after the backup.
// Now they are orphans: kept, reported, re-added with repos adopt.
func TestE2ERestoredBackupKeepsLaterRepositories(t *testing.T) {
	r := newCrashRig(t, 30)
	second := r.srv.NewBareRepo("lib", 20)
	r.mustRun(r.connectArgs()...)
	r.mustRun(r.connectNamed("lib", second)...)
	list := filepath.Join(r.e.home, "repositories.json")
	bak, err := os.ReadFile(list + ".bak")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(bak), `"lib"`) {
		t.Fatalf("the backup already has lib:\n%s", bak)
	}
	os.WriteFile(list, bak, 0o600) // the user restores the backup
	code, stdout, stderr := r.runQuick("repos", "fetch")
	if code != 0 || !strings.Contains(stdout, "app: ok") {
		t.Fatalf("fetch after the restore: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, p := range []string{"mirrors/lib.git", "keys/lib.key", "index/lib.idx"} {
		if _, err := os.Stat(filepath.Join(r.e.home, p)); err != nil {
			t.Errorf("%s was deleted: %v", p, err)
		}
	}
	if !strings.Contains(stderr, "gitjira repos adopt lib") || !strings.Contains(stderr, "gitjira repos clean lib") {
		t.Errorf("fetch does not report the orphan: %q", stderr)
	}
	code, _, stderr = r.runQuick("repos", "list")
	if code != 0 || !strings.Contains(stderr, "lib has a mirror and a key") {
		t.Errorf("repos list: exit %d, %q", code, stderr)
	}
	r.mustRun("repos", "adopt", "lib")
	r.srv.AddCommits(second, 3)
	out := r.mustRun("repos", "fetch", "lib")
	if !strings.Contains(out, "lib: ok, 3 new commits") {
		t.Errorf("fetch of the adopted repository: %s", out)
	}
	r.checkHome("app", "lib")
	// repos clean deletes an orphan, and only an orphan.
	os.WriteFile(list, bak, 0o600)
	if code, _, stderr := r.runQuick("repos", "clean", "app"); code != 2 || !strings.Contains(stderr, "not an orphan") {
		t.Errorf("clean of a listed repository: exit %d %q", code, stderr)
	}
	r.mustRun("repos", "clean", "lib")
	r.checkHome("app")
}

// Two connects of one location, released at the same instant after their
// clones: one is added, the other fails "already connected as NAME" and
// leaves nothing.
func TestE2EConnectsRacing(t *testing.T) {
	r := newCrashRig(t, 200)
	release := filepath.Join(t.TempDir(), "go")
	type run struct {
		cmd  *exec.Cmd
		errb *lockedBuffer
	}
	var runs []run
	for _, name := range []string{"one", "two"} {
		cmd := exec.Command(gitjiraBinary(t), r.connectNamed(name, r.repo)...)
		cmd.Env = append(append([]string{}, r.e.env...), "GITJIRA_TEST_STAGE_PAUSE=connect-cloned:file="+release)
		b := &lockedBuffer{}
		cmd.Stderr = b
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run{cmd, b})
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, x := range runs {
		for !strings.Contains(x.errb.String(), "gitjira-stage: connect-cloned") {
			if time.Now().After(deadline) {
				t.Fatalf("a connect never reached the stage: %q", x.errb.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	os.WriteFile(release, nil, 0o600)
	ok, refused := 0, 0
	var winner string
	for i, x := range runs {
		err := x.cmd.Wait()
		switch {
		case err == nil:
			ok++
			winner = []string{"one", "two"}[i]
		case strings.Contains(x.errb.String(), "is already connected as"):
			refused++
		default:
			t.Errorf("connect %d: %v\n%s", i, err, x.errb.String())
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("%d added, %d refused; want one each", ok, refused)
	}
	for _, x := range runs {
		if s := x.errb.String(); strings.Contains(s, "already connected") && !strings.Contains(s, `"`+winner+`"`) {
			t.Errorf("the refusal does not name %s: %q", winner, s)
		}
	}
	r.checkHome(winner)
}

// Every file gitjira reads from its home, ~/.ssh or a flag, replaced by a
// FIFO (which blocks an open forever) or /dev/zero (which never ends), is
// refused at once with one line; no --timeout needed.
func TestE2EHomeFilesFIFOAndDevZero(t *testing.T) {
	r := newCrashRig(t, 20)
	r.mustRun(r.connectArgs()...)
	other := r.srv.NewBareRepo("other", 3)
	home := r.e.home
	knownHosts := strings.TrimPrefix(r.e.env[3], "GITJIRA_KNOWN_HOSTS=")
	cases := []struct {
		name string
		file string
		args []string
	}{
		{"list", filepath.Join(home, "repositories.json"), []string{"repos", "list"}},
		{"jira.json", filepath.Join(home, "jira.json"), []string{"repos", "fetch", "--link"}},
		{"index", filepath.Join(home, "index", "app.idx"), []string{"issue", "DEMO-1"}},
		{"stored key", filepath.Join(home, "keys", "app.key"), []string{"repos", "fetch"}},
		{"known_hosts", knownHosts, []string{"repos", "fetch"}},
		{"--key", filepath.Join(t.TempDir(), "key"), []string{"connect", "--yes", "--url", r.srv.URL(other), "--name", "x", "--key", "KEY"}},
		{"journal", filepath.Join(home, "journal", "app.json"), []string{"repos", "list"}},
	}
	for _, c := range cases {
		for _, kind := range []string{"fifo", "/dev/zero"} {
			t.Run(c.name+" "+kind, func(t *testing.T) {
				r.t = t
				saved, _ := os.ReadFile(c.file)
				os.Remove(c.file)
				if kind == "fifo" {
					if err := syscall.Mkfifo(c.file, 0o600); err != nil {
						t.Fatal(err)
					}
				} else if err := os.Symlink(kind, c.file); err != nil {
					t.Fatal(err)
				}
				defer func() {
					os.Remove(c.file)
					if saved != nil {
						os.WriteFile(c.file, saved, 0o600)
					}
				}()
				args := append([]string{}, c.args...)
				for i := range args {
					if args[i] == "KEY" {
						args[i] = c.file
					}
				}
				code, stdout, stderr := r.runQuick(args...)
				want := "FIFO"
				if kind != "fifo" {
					want = "character device"
				}
				if c.name == "journal" {
					// Recovery leaves what an unreadable journal names alone; the list still works.
					if code != 0 || !strings.Contains(stdout, "app") {
						t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
					}
					return
				}
				if code == 0 && !strings.Contains(stdout+stderr, want) {
					t.Fatalf("exit 0 without a word about the %s:\n%s\n%s", kind, stdout, stderr)
				}
				if !strings.Contains(stdout+stderr, want) {
					t.Fatalf("exit %d; the message does not say %q:\n%s\n%s", code, want, stdout, stderr)
				}
			})
		}
	}
}

// The list stores its own files relative to the home: a moved home works,
// and a copy works on its own mirrors, never on the original's.
func TestE2EMovedAndCopiedHome(t *testing.T) {
	r := newCrashRig(t, 20)
	r.mustRun(r.connectArgs()...)
	moved := filepath.Join(t.TempDir(), "moved-home")
	if err := os.Rename(r.e.home, moved); err != nil {
		t.Fatal(err)
	}
	setHome := func(h string) {
		for i, v := range r.e.env {
			if strings.HasPrefix(v, "GITJIRA_HOME=") {
				r.e.env[i] = "GITJIRA_HOME=" + h
			}
		}
		r.e.home = h
	}
	setHome(moved)
	r.srv.AddCommits(r.repo, 2)
	if out := r.mustRun("repos", "fetch"); !strings.Contains(out, "app: ok, 2 new commits") {
		t.Fatalf("fetch in the moved home: %s", out)
	}
	r.checkHome("app")
	// A copy: its fetch writes into its own mirror; the original stays as it was.
	copied := filepath.Join(t.TempDir(), "copied-home")
	if out, err := exec.Command("cp", "-a", moved, copied).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	before := packs(t, moved)
	setHome(copied)
	r.srv.AddCommits(r.repo, 2)
	if out := r.mustRun("repos", "fetch"); !strings.Contains(out, "app: ok, 2 new commits") {
		t.Fatalf("fetch in the copied home: %s", out)
	}
	if after := packs(t, moved); after != before {
		t.Errorf("the copy's fetch wrote into the original home's mirror:\n%s\n%s", before, after)
	}
	r.checkHome("app")
}

func packs(t *testing.T, home string) string {
	m, _ := filepath.Glob(filepath.Join(home, "mirrors", "app.git", "objects", "pack", "*"))
	return strings.Join(m, "\n")
}

// A remove killed mid-way is finished by the next fetch, which says so and
// does not report the repository as failed, even with no other repository.
func TestE2ERemoveKilledThenFetch(t *testing.T) {
	r := newCrashRig(t, 20)
	r.mustRun(r.connectArgs()...)
	code, _ := r.killAt("gitjira-stage: remove-journaled", syscall.SIGKILL, "repos", "remove", "app")
	if code != -int(syscall.SIGKILL) {
		t.Fatalf("exit %d, want killed", code)
	}
	code, stdout, stderr := r.runQuick("repos", "fetch")
	if code != 0 || strings.Contains(stdout+stderr, "FAILED") || !strings.Contains(stderr, "finished an interrupted remove of app") {
		t.Fatalf("fetch after the killed remove: exit %d\n%s\n%s", code, stdout, stderr)
	}
	r.checkHome()
}

// --insecure-http: a command that sends the token over http says so, once
// per run, without "warning: warning:".
func TestE2EInsecureHTTPWarnedOncePerRun(t *testing.T) {
	r := newCrashRig(t, 5)
	r.mustRun(r.connectArgs()...)
	// 0.0.0.0 is this machine on Linux, but not a loopback address to
	// gitjira, which then treats the site as remote plain http.
	site := `{"version": 2, "url": "http://0.0.0.0:1", "token": "secret", "insecure_http": true}`
	os.WriteFile(filepath.Join(r.e.home, "jira.json"), []byte(site), 0o600)
	for _, args := range [][]string{{"repos", "fetch", "--link"}, {"repos", "link"}, {"jira", "projects"}} {
		_, stdout, stderr := r.runQuick(args...)
		if n := strings.Count(stderr, "sent in clear over http://"); n != 1 || strings.Contains(stderr, "warning: warning:") {
			t.Errorf("gitjira %v: the http warning %d times:\n%s\n%s", args, n, stdout, stderr)
		}
	}
	_ = sshdtest.Ed25519
}

// throttledUploadPack makes the real sshd send git-upload-pack's output 4 KiB
// every 50 ms, so a clone of a few thousand commits lasts seconds: long
// enough to signal the wizard mid-clone.
func throttledUploadPack(t *testing.T) []string {
	script := filepath.Join(t.TempDir(), "slow-upload-pack")
	body := "#!/bin/sh\neval \"$SSH_ORIGINAL_COMMAND\" | perl -e 'while (sysread(STDIN, $b, 4096)) { syswrite(STDOUT, $b); select(undef, undef, undef, 0.05) }'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"ForceCommand " + script}
}

// SIGTERM or SIGHUP during the wizard's clone deletes the partial mirror and
// its journal before the process exits, as ctrl+c does (#17 item 7).
func TestE2EWizardSignalMidCloneInTmux(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}, ExtraConfig: throttledUploadPack(t)})
	repo := srv.NewBareRepo("big", 3000)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			e := newE2EEnv(t)
			var home string
			for _, kv := range e.env {
				if v, ok := strings.CutPrefix(kv, "HOME="); ok {
					home = v
				}
			}
			sshDir := filepath.Join(home, ".ssh")
			os.MkdirAll(sshDir, 0o700)
			key := sshKeygen(t, sshDir, "id_ed25519", "ed25519", "")
			srv.AuthorizeKey(readFile(t, key+".pub"))
			s := startTmux(t, 100, 32, e.env, gitjiraBinary(t))
			s.waitFor("Step 1 of", "Repository location")
			s.typeText(srv.URL(repo))
			s.waitFor("✓")
			s.keys("Enter")
			s.waitFor("Private key", "id_ed25519", "SHA256:")
			s.keys("Enter")
			s.waitFor("Trust this host")
			s.keys("y")
			s.waitFor("Receiving objects")
			if m, _ := filepath.Glob(filepath.Join(e.home, "mirrors", "*")); len(m) == 0 {
				t.Fatal("no partial mirror while receiving")
			}
			shell, err := strconv.Atoi(strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_pid}")))
			if err != nil {
				t.Fatal(err)
			}
			if err := syscall.Kill(childPID(t, shell), sig); err != nil {
				t.Fatal(err)
			}
			scr := s.waitFor("EXIT=130")
			if !strings.Contains(scr, "nothing was added") {
				t.Errorf("no cancel line:\n%s", scr)
			}
			// Right after the exit, before any other gitjira run: nothing left.
			for _, dir := range []string{"mirrors", "journal", "keys", "index"} {
				if m, _ := filepath.Glob(filepath.Join(e.home, dir, "*")); len(m) != 0 {
					t.Errorf("%v mid-clone left %v", sig, m)
				}
			}
		})
	}
}

// repos fetch on a terminal asks again after a wrong passphrase, three
// tries as ssh does (#15 defect 10), instead of exiting at the first.
func TestE2EFetchPassphraseRetriesInTmux(t *testing.T) {
	r := newCrashRig(t, 10)
	const pass = "fetch horse battery"
	key := sshKeygen(t, t.TempDir(), "id_enc", "ed25519", pass)
	r.srv.AuthorizeKey(readFile(t, key+".pub"))
	code, stdout, stderr := r.e.run(pass+"\n", "connect", "--yes", "--url", r.srv.URL(r.repo), "--key", key, "--trust-host", r.fp, "--name", "app", "--passphrase-stdin")
	if code != 0 {
		t.Fatalf("connect: exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := startTmux(t, 100, 20, r.e.env, gitjiraBinary(t)+" repos fetch")
	s.waitFor("Passphrase for the key of app")
	s.typeText("wrong one")
	s.keys("Enter")
	s.waitFor("Wrong passphrase, try again.")
	s.typeText(pass)
	s.keys("Enter")
	scr := s.waitFor("EXIT=0")
	if !strings.Contains(scr, "app: ok, 0 new commits") || strings.Contains(scr, pass) {
		t.Fatalf("screen:\n%s", scr)
	}
	s2 := startTmux(t, 100, 20, r.e.env, gitjiraBinary(t)+" repos fetch")
	for i := 0; i < 3; i++ {
		s2.waitFor("Passphrase for the key of app")
		s2.typeText("wrong")
		s2.keys("Enter")
		if i < 2 {
			s2.waitFor(strings.Repeat("Wrong passphrase, try again.\n", 1))
		}
	}
	scr = s2.waitFor("EXIT=1")
	if !strings.Contains(scr, "3 tries") || !strings.Contains(scr, "app could not be fetched") {
		t.Fatalf("screen after three wrong passphrases:\n%s", scr)
	}
}
