package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// The first-time onboarding of issue 11, walked in a real terminal with the
// real binary: HOME is an empty directory (no ~/.ssh), no ssh-agent, no
// colours. The user generates a key with a passphrase and a comment, the
// server accepts it, and the repository is saved with that key.

// demoPassphrase is typed into the wizard; it must never show on a screen
// nor reach a file in clear.
const demoPassphrase = "Tm0x-onboard horse 93"

// demoComment is the comment typed for the generated key.
const demoComment = "me@tmux-e2e laptop"

var fingerprintRE = regexp.MustCompile(`SHA256:[A-Za-z0-9+/]{43}`)

// demoPane drives a tmuxSession with shorter waits (15 s each) and keeps
// every capture, so the test can check that the passphrase never showed.
type demoPane struct {
	*tmuxSession
	shots []string
}

// startCleanTmux runs command in a w x h tmux pane with exactly env (env -i):
// nothing of the caller's environment (SSH_AUTH_SOCK, XDG_*, GITJIRA_*)
// reaches the program; tmux's own TMUX variables are dropped as well.
func startCleanTmux(t *testing.T, w, h int, env []string, command string) *demoPane {
	t.Helper()
	var b strings.Builder
	b.WriteString("env -i")
	for _, kv := range env {
		b.WriteString(" " + shellQuote(kv))
	}
	b.WriteString(" " + command)
	return &demoPane{tmuxSession: startTmux(t, w, h, nil, b.String())}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// capture returns the visible pane; joined (-J) joins the rows the terminal
// wrapped itself, so a line the program wrote whole reads whole.
func (p *demoPane) capture(joined bool) string {
	p.t.Helper()
	args := []string{"capture-pane", "-p", "-t", p.name}
	if joined {
		args = append(args, "-J")
	}
	scr := p.tmux(args...)
	p.shots = append(p.shots, scr)
	return scr
}

func containsAll(s string, texts []string) bool {
	for _, want := range texts {
		if !strings.Contains(s, want) {
			return false
		}
	}
	return true
}

// wait polls the pane every 100 ms, for 15 s at most, until it shows every
// one of texts; it returns that capture.
func (p *demoPane) wait(joined bool, texts ...string) string {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		scr := p.capture(joined)
		if containsAll(scr, texts) {
			return scr
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the screen never showed %q; last screen:\n%s", texts, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitEither waits for every text of a or every text of b; it returns the
// capture and 0 for a, 1 for b.
func (p *demoPane) waitEither(a, b []string) (string, int) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		scr := p.capture(false)
		if containsAll(scr, a) {
			return scr, 0
		}
		if containsAll(scr, b) {
			return scr, 1
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the screen never showed %q nor %q; last screen:\n%s", a, b, scr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// history is the pane with its scrollback, wrapped rows joined.
func (p *demoPane) history() string {
	p.t.Helper()
	scr := p.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", p.name)
	p.shots = append(p.shots, scr)
	return scr
}

// checkNoPassphrase fails if the passphrase is on any capture taken so far,
// or anywhere in the pane's history.
func (p *demoPane) checkNoPassphrase() {
	p.t.Helper()
	p.history()
	for _, scr := range p.shots {
		if strings.Contains(scr, demoPassphrase) {
			p.t.Fatalf("the passphrase is on the screen:\n%s", scr)
		}
	}
}

// fillGenerateForm switches the key step to "Generate a new key" (shift+tab
// from "Choose a key") and fills the passphrase twice and the comment; it
// returns with the focus on the comment, before enter.
func (p *demoPane) fillGenerateForm() {
	p.t.Helper()
	if !strings.Contains(p.capture(false), "[Generate a new key]") {
		p.keys("BTab") // with no key at all it opens there already
	}
	// The suggested file name arrives after the mode shows; wait for it, so
	// it does not land after the fields are typed.
	p.wait(false, "[Generate a new key]", "gitjira_ed25519", "Passphrase:", "Comment:")
	p.keys("Down", "Down") // key type → file → passphrase
	p.typeText(demoPassphrase)
	p.keys("Down")
	p.typeText(demoPassphrase)
	p.keys("Down", "C-u") // the comment is prefilled: replace it
	p.typeText(demoComment)
	scr := p.wait(false, "Comment:     "+demoComment)
	if n := strings.Count(scr, strings.Repeat("•", len([]rune(demoPassphrase)))); n != 2 {
		p.t.Fatalf("want the two passphrase fields masked with %d bullets each, found %d:\n%s", len([]rune(demoPassphrase)), n, scr)
	}
}

// findOne returns the one path pattern matches.
func findOne(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) != 1 {
		t.Fatalf("want one file %s, found %v (%v)", pattern, m, err)
	}
	return m[0]
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
	}
}

// keygenFingerprint is ssh-keygen's own fingerprint of a public key file,
// and the comment it reads there.
func keygenFingerprint(t *testing.T, pub string) (fp, comment string) {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", pub).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -lf %s: %v\n%s", pub, err, out)
	}
	// "256 SHA256:... comment words (ED25519)"
	line := strings.TrimSpace(string(out))
	f := strings.Fields(line)
	if len(f) < 3 || !strings.HasPrefix(f[1], "SHA256:") {
		t.Fatalf("ssh-keygen -lf: %q", line)
	}
	comment = strings.TrimSpace(strings.TrimSuffix(strings.Join(f[2:], " "), f[len(f)-1]))
	return f[1], comment
}

// checkPrivateKey checks with ssh-keygen that the private key at path is
// encrypted with demoPassphrase and is the pair of pubLine.
func checkPrivateKey(t *testing.T, path, pubLine string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", "-y", "-P", "", "-f", path).CombinedOutput(); err == nil {
		t.Errorf("%s opens without a passphrase: it was written in clear\n%s", path, out)
	}
	out, err := exec.Command("ssh-keygen", "-y", "-P", demoPassphrase, "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -y %s with the passphrase typed: %v\n%s", path, err, out)
	}
	want := strings.Join(strings.Fields(pubLine)[:2], " ")
	if got := strings.Join(strings.Fields(string(out))[:2], " "); got != want {
		t.Errorf("%s is the pair of %q, not of the generated public key %q", path, got, want)
	}
}

// checkNoFileHolds fails if any regular file under dir holds the passphrase.
func checkNoFileHolds(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(demoPassphrase)) {
			t.Errorf("%s holds the passphrase", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkEmptyDir(t *testing.T, dir, what string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s %s is not empty: %v", what, dir, names)
	}
}

// reposList is `gitjira repos list --json` with GITJIRA_HOME=home.
func reposList(t *testing.T, env []string, home string) []map[string]any {
	t.Helper()
	cmd := exec.Command(gitjiraBinary(t), "repos", "list", "--json")
	cmd.Env = append(append([]string(nil), env...), "GITJIRA_HOME="+home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("repos list --json: %v\n%s", err, errb.String())
	}
	var list []map[string]any
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatalf("repos list --json: %v\n%s", err, out.String())
	}
	return list
}

// emptyHomeEnv is the environment of these tests: HOME an empty directory,
// GITJIRA_HOME and TMPDIR in the test's temporary directory, no agent, no
// colours.
func emptyHomeEnv(t *testing.T) (env []string, home, gjHome, tmp string) {
	t.Helper()
	// ssh-keygen is the oracle for the fingerprints and the key files.
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Fatal("ssh-keygen not found: run `make deps` (apt-get install openssh-client)")
	}
	dir := t.TempDir()
	home, gjHome, tmp = filepath.Join(dir, "home"), filepath.Join(dir, "gitjira-home"), filepath.Join(dir, "tmp")
	for _, d := range []string{home, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"GITJIRA_HOME=" + gjHome,
		"TMPDIR=" + tmp,
		"NO_COLOR=1",
		"TERM=xterm-256color",
	}
	return env, home, gjHome, tmp
}

// TestE2EDemoGenerateInTmux: `gitjira demo` on an empty HOME, at 80x24:
// Generate with a passphrase and a comment → the demo server accepts the
// new key → host key trusted → clone, permissions, review, finish → the
// summary; the repository is stored with the generated key's fingerprint
// (checked with ssh-keygen), the key files are private, the passphrase
// never showed and is on no file. At 50x20: the whole public key and the
// host-key question are visible, c puts the key on tmux's clipboard through
// OSC 52, and ctrl+c removes everything the demo made.
func TestE2EDemoGenerateInTmux(t *testing.T) {
	bin := gitjiraBinary(t) // built before the clock of the first wait starts
	t.Run("80x24", func(t *testing.T) { demoGenerate80x24(t, bin) })
	t.Run("50x20", func(t *testing.T) { demoGenerate50x20(t, bin) })
}

func demoGenerate80x24(t *testing.T, bin string) {
	env, home, gjHome, tmp := emptyHomeEnv(t)
	p := startCleanTmux(t, 80, 24, env, bin+" demo --keep --commits 40")

	p.wait(false, "Step 1 of", "Repository location", "demo.git", "✓")
	p.keys("Enter")
	p.wait(false, "Private key", "[Choose a key]", "id_ed25519")
	p.fillGenerateForm()
	p.keys("Enter")

	p.wait(false, "The demo server now accepts this key", "Press enter to continue")
	pub := findOne(t, filepath.Join(tmp, "gitjira-demo-*", "ssh", "gitjira_ed25519.pub"))
	priv := strings.TrimSuffix(pub, ".pub")
	pubLine := strings.TrimSpace(readFile(t, pub))
	fp, comment := keygenFingerprint(t, pub)
	if comment != demoComment || !strings.HasSuffix(pubLine, " "+demoComment) {
		t.Errorf("the key's comment is %q (public key %q), typed %q", comment, pubLine, demoComment)
	}
	if joined := p.capture(true); !strings.Contains(joined, pubLine) {
		t.Fatalf("the generated public key is not whole on the screen:\n%s\nwant %s", joined, pubLine)
	}
	p.keys("Enter")

	// The passphrase was typed when the key was generated: the wizard may
	// skip the passphrase step; if it asks, it gets it.
	scr, which := p.waitEither([]string{"Host key", "(y/n)"}, []string{"Step 3 of", "Passphrase"})
	if which == 1 {
		t.Logf("the passphrase of the key just generated was asked again:\n%s", scr)
		p.typeText(demoPassphrase)
		p.keys("Enter")
		scr = p.wait(false, "Host key", "(y/n)")
	}
	if !strings.Contains(scr, "Key        "+fp) {
		t.Errorf("the host-key step does not show the generated key %s:\n%s", fp, scr)
	}
	var hostFP string
	for _, f := range fingerprintRE.FindAllString(scr, -1) {
		if f != fp {
			hostFP = f
		}
	}
	if hostFP == "" {
		t.Fatalf("no host key fingerprint on the host-key step:\n%s", scr)
	}
	p.keys("y")

	p.wait(false, "Permissions", "All projects")
	p.keys("Enter")
	scr = p.wait(false, "Review", "Press enter to save")
	if !strings.Contains(scr, "gitjira_ed25519") {
		t.Errorf("the review does not name the generated key file:\n%s", scr)
	}
	p.keys("Enter")
	p.wait(false, "Finish", "Added demo", "Press enter to exit")
	p.keys("Enter")

	p.wait(true, "EXIT=0")
	// The summary is longer than the pane: read the pane's history too.
	scr = p.history()
	if !containsAll(scr, []string{"Added demo to the repositories list.", "Key         " + fp, "Host key    " + hostFP, "gitjira issue DEMO-12"}) {
		t.Errorf("the summary after the wizard lacks the repository, the key %s, the host key %s or the next steps:\n%s", fp, hostFP, scr)
	}
	m := regexp.MustCompile(`demo files kept in (\S+) \(GITJIRA_HOME=(\S+)\)`).FindStringSubmatch(scr)
	if m == nil {
		t.Fatalf("--keep did not say where the demo's files are:\n%s", scr)
	}
	kept, demoHome := m[1], m[2]
	if !strings.HasPrefix(pub, kept+string(filepath.Separator)) {
		t.Errorf("the generated key %s is not in the demo's directory %s", pub, kept)
	}

	// What was saved: the generated key's fingerprint, as ssh-keygen computes it.
	list := reposList(t, env, demoHome)
	if len(list) != 1 {
		t.Fatalf("the demo's list has %d repositories, want 1: %v", len(list), list)
	}
	if got := list[0]["key_fingerprint"]; got != fp {
		t.Errorf("stored key fingerprint %v, the generated key (ssh-keygen -lf) is %s", got, fp)
	}
	if got := list[0]["host_key_fingerprint"]; got != hostFP {
		t.Errorf("stored host key fingerprint %v, the host-key step showed %s", got, hostFP)
	}
	// The key pair and the stored copy: private, still encrypted with the
	// passphrase typed, the pair of the public key shown.
	checkMode(t, filepath.Dir(priv), 0o700)
	checkMode(t, priv, 0o600)
	checkPrivateKey(t, priv, pubLine)
	copyFile := findOne(t, filepath.Join(demoHome, "keys", "*"))
	checkMode(t, copyFile, 0o600)
	checkPrivateKey(t, copyFile, pubLine)

	p.checkNoPassphrase()
	checkNoFileHolds(t, kept)
	// The demo needs nothing of the user's and writes nothing there.
	checkEmptyDir(t, home, "HOME")
	if _, err := os.Stat(gjHome); err == nil {
		t.Errorf("the demo wrote into the caller's GITJIRA_HOME %s", gjHome)
	}
}

// demoScreenshotName is the screen written with GITJIRA_UPDATE_SCREENSHOTS=1.
const demoScreenshotName = "demo-generate-50x20"

func demoGenerate50x20(t *testing.T, bin string) {
	env, home, _, tmp := emptyHomeEnv(t)
	p := startCleanTmux(t, 50, 20, env, bin+" demo --commits 20")
	// tmux takes an OSC 52 sequence as a paste buffer (and passes it on).
	p.tmux("set-option", "-g", "set-clipboard", "on")

	p.wait(false, "Step 1 of", "demo.git", "✓")
	p.keys("Enter")
	p.wait(false, "Private key", "[Choose a key]", "id_ed25519")
	p.fillGenerateForm()
	p.keys("Enter")

	p.wait(false, "The demo server now accepts this key")
	pub := findOne(t, filepath.Join(tmp, "gitjira-demo-*", "ssh", "gitjira_ed25519.pub"))
	pubLine := strings.TrimSpace(readFile(t, pub))
	if os.Getenv(screenshotsEnv) == "1" {
		time.Sleep(300 * time.Millisecond) // let the frame settle
	}
	joined := p.capture(true)
	if !strings.Contains(joined, pubLine) {
		t.Fatalf("the generated public key is not whole on the 50x20 screen:\n%s\nwant %s", joined, pubLine)
	}
	if os.Getenv(screenshotsEnv) == "1" {
		writeScreenshot(t, demoScreenshotName, joined)
	}

	if out, err := exec.Command("tmux", "-L", p.socket, "list-buffers").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("tmux has paste buffers before the copy: %q %v", out, err)
	}
	p.keys("c")
	p.wait(true, "Sent the public key to the clipboard (OSC 52)")
	if got := p.tmux("show-buffer"); got != pubLine {
		t.Errorf("the clipboard (tmux buffer from OSC 52) holds %q, want the public key %q", got, pubLine)
	}

	p.keys("Enter")
	scr, which := p.waitEither([]string{"Host key", "(y/n)"}, []string{"Step 3 of", "Passphrase"})
	if which == 1 {
		t.Logf("the passphrase of the key just generated was asked again:\n%s", scr)
		p.typeText(demoPassphrase)
		p.keys("Enter")
		scr = p.wait(false, "Host key", "(y/n)")
	}
	if !containsAll(scr, []string{"Trust this host and record its key? (y/n)", "y trust", "n do not trust"}) {
		t.Errorf("the host-key question or its keys are not visible at 50x20:\n%s", scr)
	}
	if len(fingerprintRE.FindAllString(scr, -1)) == 0 {
		t.Errorf("no whole host key fingerprint on the host-key step at 50x20:\n%s", scr)
	}

	// Cancelled: exit 130, and everything the demo made (the generated key
	// too: it was in the demo's directory) is gone.
	p.keys("C-c")
	scr = p.wait(true, "EXIT=130")
	if !strings.Contains(scr, "nothing was added") {
		t.Errorf("no cancel line:\n%s", scr)
	}
	p.checkNoPassphrase()
	checkEmptyDir(t, tmp, "TMPDIR (the demo's files)")
	checkEmptyDir(t, home, "HOME")
}

// writeScreenshot saves a capture as docs/screenshots/NAME.txt, without
// trailing blanks and blank last lines, as capture.sh does.
func writeScreenshot(t *testing.T, name, scr string) {
	t.Helper()
	lines := strings.Split(scr, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	text := strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
	if err := os.WriteFile(filepath.Join("docs", "screenshots", name+".txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestE2EGenerateInEmptyHomeInTmux: the Connect wizard (not the demo) on an
// empty HOME against a real OpenSSH sshd: Generate creates ~/.ssh (0700)
// and the key pair in it (0600), the server accepts it once its public key
// is authorized, and the repository is stored with its fingerprint.
func TestE2EGenerateInEmptyHomeInTmux(t *testing.T) {
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	repo := srv.NewBareRepo("webapp", 20)
	bin := gitjiraBinary(t)
	env, home, gjHome, _ := emptyHomeEnv(t)
	sshDir := filepath.Join(home, ".ssh")
	p := startCleanTmux(t, 80, 24, env, bin)

	p.wait(false, "Step 1 of", "Repository location")
	p.typeText(srv.URL(repo))
	p.wait(false, "✓")
	p.keys("Enter")
	// no key at all: the key step opens on Generate (issue 15, defect 6)
	p.wait(false, "Private key", "[Generate a new key]")
	p.fillGenerateForm()
	p.keys("Enter")

	p.wait(false, "New ed25519 key written to", "Press enter to go on: the next step adds it")
	priv := filepath.Join(sshDir, "gitjira_ed25519")
	checkMode(t, sshDir, 0o700)
	checkMode(t, priv, 0o600)
	pubLine := strings.TrimSpace(readFile(t, priv+".pub"))
	fp, comment := keygenFingerprint(t, priv+".pub")
	if comment != demoComment {
		t.Errorf("the key's comment is %q, typed %q", comment, demoComment)
	}
	checkPrivateKey(t, priv, pubLine)
	if joined := p.capture(true); !strings.Contains(joined, pubLine) {
		t.Fatalf("the generated public key is not whole on the screen:\n%s", joined)
	}
	// As the user would on the git host's "Add SSH key" page.
	srv.AuthorizeKey(pubLine)
	p.keys("Enter")

	scr, which := p.waitEither([]string{"Host key", "(y/n)"}, []string{"Step 3 of", "Passphrase"})
	if which == 1 {
		t.Logf("the passphrase of the key just generated was asked again:\n%s", scr)
		p.typeText(demoPassphrase)
		p.keys("Enter")
		scr = p.wait(false, "Host key", "(y/n)")
	}
	hostFP := srv.HostKeyFingerprints()[sshdtest.Ed25519]
	if !strings.Contains(scr, hostFP) {
		t.Errorf("the host-key step does not show the server's ed25519 key %s:\n%s", hostFP, scr)
	}
	p.keys("y")
	p.wait(false, "Permissions", "All projects")
	p.keys("Enter")
	p.wait(false, "Review", "Press enter to save")
	p.keys("Enter")
	p.wait(false, "Finish", "Press enter to exit")
	p.keys("Enter")
	scr = p.wait(true, "EXIT=0")
	if !strings.Contains(scr, "Added webapp") {
		t.Errorf("no summary after the wizard:\n%s", scr)
	}

	list := reposList(t, env, gjHome)
	if len(list) != 1 || list[0]["key_fingerprint"] != fp || list[0]["host_key_fingerprint"] != hostFP {
		t.Errorf("repos list --json = %v; want one repository with key %s and host key %s", list, fp, hostFP)
	}
	// The host went into the user's known_hosts, in the ~/.ssh just made.
	if kh := readFile(t, filepath.Join(sshDir, "known_hosts")); !strings.Contains(kh, fmt.Sprintf("[127.0.0.1]:%d", srv.Port())) {
		t.Errorf("~/.ssh/known_hosts lacks the host:\n%s", kh)
	}
	p.checkNoPassphrase()
	checkNoFileHolds(t, home)
	checkNoFileHolds(t, gjHome)
}
