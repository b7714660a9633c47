package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
)

// The crash tests kill the real binary at chosen points of connect, fetch
// and remove against the real sshd, then prove that the next run repairs
// everything by itself: the next connect or fetch of the same repository
// succeeds, and the home holds exactly one mirror, one key and one index per
// listed repository, no partial clone, no temporary pack, no journal entry
// and no lock that blocks. GITJIRA_TEST_STAGE_PAUSE makes the binary stop
// at each named stage (printing "gitjira-stage: NAME") so the kill lands
// exactly there.

type crashRig struct {
	t    *testing.T
	srv  *sshdtest.Server
	e    *e2eEnv
	repo string
	key  string
	fp   string
}

func newCrashRig(t *testing.T, commits int) *crashRig {
	srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	r := &crashRig{t: t, srv: srv, e: newE2EEnv(t), repo: srv.NewBareRepo("app", commits)}
	r.key = sshKeygen(t, t.TempDir(), "id_ed25519", "ed25519", "")
	srv.AuthorizeKey(readFile(t, r.key+".pub"))
	r.fp = srv.HostKeyFingerprints()[sshdtest.Ed25519]
	return r
}

func (r *crashRig) connectArgs() []string {
	return []string{"connect", "--yes", "--url", r.srv.URL(r.repo), "--key", r.key, "--trust-host", r.fp, "--name", "app"}
}

// start runs gitjira in the background, pausing at stage (if not "").
func (r *crashRig) start(stage string, args ...string) (*exec.Cmd, *bufio.Scanner) {
	r.t.Helper()
	cmd := exec.Command(gitjiraBinary(r.t), args...)
	cmd.Env = append([]string{}, r.e.env...)
	if stage != "" {
		cmd.Env = append(cmd.Env, "GITJIRA_TEST_STAGE_PAUSE="+stage+":30s")
	}
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	return cmd, bufio.NewScanner(stderr)
}

// killAt runs args and sends sig when a stderr line contains marker. It
// fails the test if the process ends before the marker.
func (r *crashRig) killAt(marker string, sig syscall.Signal, args ...string) (exitCode int, took time.Duration) {
	r.t.Helper()
	stage, _ := strings.CutPrefix(marker, "gitjira-stage: ")
	if stage == marker {
		stage = ""
	}
	cmd, sc := r.start(stage, args...)
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if strings.Contains(sc.Text(), marker) {
			start := time.Now()
			cmd.Process.Signal(sig)
			for sc.Scan() {
			}
			err := cmd.Wait()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					code = -int(ws.Signal())
				}
			}
			return code, time.Since(start)
		}
	}
	cmd.Wait()
	r.t.Fatalf("gitjira %v ended before %q; stderr:\n%s", args, marker, strings.Join(seen, "\n"))
	return 0, 0
}

// checkHome asserts the invariant: exactly one mirror, key and index per
// listed repository, and nothing else of gitjira's own making.
func (r *crashRig) checkHome(wantListed ...string) {
	r.t.Helper()
	home := r.e.home
	var listed []string
	if data, err := os.ReadFile(filepath.Join(home, "repositories.json")); err == nil {
		var f struct{ Repositories []struct{ Name string } }
		if err := json.Unmarshal(data, &f); err != nil {
			r.t.Fatalf("repositories.json unreadable: %v", err)
		}
		for _, x := range f.Repositories {
			listed = append(listed, x.Name)
		}
	}
	if strings.Join(listed, ",") != strings.Join(wantListed, ",") {
		r.t.Errorf("listed %v, want %v", listed, wantListed)
	}
	want := func(dir, suffix string) {
		entries, _ := os.ReadDir(filepath.Join(home, dir))
		got := map[string]bool{}
		for _, e := range entries {
			if suffix == ".idx" && !strings.HasSuffix(e.Name(), ".idx") {
				continue
			}
			got[e.Name()] = true
		}
		for _, n := range listed {
			if !got[n+suffix] {
				r.t.Errorf("%s/%s%s is missing", dir, n, suffix)
			}
			delete(got, n+suffix)
		}
		for n := range got {
			r.t.Errorf("%s/%s is owned by no list entry", dir, n)
		}
	}
	want("mirrors", ".git")
	want("keys", ".key")
	want("index", ".idx")
	if j, _ := os.ReadDir(filepath.Join(home, "journal")); len(j) != 0 {
		r.t.Errorf("journal entries left: %v", j)
	}
	tmp, _ := filepath.Glob(filepath.Join(home, "mirrors", "*", "objects", "pack", "tmp_*"))
	if len(tmp) != 0 {
		r.t.Errorf("temporary packs left: %v", tmp)
	}
	for _, d := range []string{"", "mirrors", "keys", "index"} {
		if fi, err := os.Stat(filepath.Join(home, d)); err == nil && fi.Mode().Perm() != 0o700 {
			r.t.Errorf("%s is %v, want 0700", filepath.Join(home, d), fi.Mode().Perm())
		}
	}
}

func (r *crashRig) mustRun(args ...string) string {
	r.t.Helper()
	code, stdout, stderr := r.e.run("", args...)
	if code != 0 {
		r.t.Fatalf("gitjira %v: exit %d\n%s\n%s", args, code, stdout, stderr)
	}
	return stdout
}

func TestCrashConnectAtEveryStage(t *testing.T) {
	r := newCrashRig(t, 400)
	for _, stage := range []string{"connect-journaled", "connect-cloned", "connect-key-stored", "connect-indexed", "connect-listed"} {
		t.Run(stage, func(t *testing.T) {
			r.t = t
			code, _ := r.killAt("gitjira-stage: "+stage, syscall.SIGKILL, r.connectArgs()...)
			if code != -int(syscall.SIGKILL) {
				t.Fatalf("exit %d, want killed", code)
			}
			if stage == "connect-listed" {
				// The list entry was written: the connect is done; a fetch repairs the journal.
				r.mustRun("repos", "fetch", "app")
			} else {
				r.mustRun(r.connectArgs()...)
			}
			r.checkHome("app")
			r.mustRun("repos", "remove", "app")
			r.checkHome()
		})
	}
}

func TestCrashConnectMidReceiveAndSIGTERM(t *testing.T) {
	r := newCrashRig(t, 3000)
	code, _ := r.killAt("receiving", syscall.SIGKILL, r.connectArgs()...)
	if code != -int(syscall.SIGKILL) {
		t.Fatalf("exit %d, want killed", code)
	}
	r.mustRun(r.connectArgs()...)
	r.checkHome("app")
	r.mustRun("repos", "remove", "app")

	// SIGTERM mid-clone: cancel, clean up, exit 130 within 5 s, nothing left.
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		code, took := r.killAt("receiving", sig, r.connectArgs()...)
		if code != 130 {
			t.Errorf("%v mid-clone: exit %d, want 130", sig, code)
		}
		if took > 5*time.Second {
			t.Errorf("%v mid-clone: took %v to exit", sig, took)
		}
		if m, _ := filepath.Glob(filepath.Join(r.e.home, "mirrors", "*")); len(m) != 0 {
			t.Errorf("%v mid-clone left %v", sig, m)
		}
		r.checkHome()
	}
}

func TestCrashFetchAndRemove(t *testing.T) {
	r := newCrashRig(t, 200)
	r.mustRun(r.connectArgs()...)
	// Killed mid-index of a fetch: the next fetch succeeds, no lock blocks it.
	r.srv.AddCommits(r.repo, 50)
	code, _ := r.killAt("gitjira-stage: sync-fetched", syscall.SIGKILL, "repos", "fetch", "app")
	if code != -int(syscall.SIGKILL) {
		t.Fatalf("exit %d, want killed", code)
	}
	// A temporary pack a killed receive would leave, and the next fetch removes.
	pack := filepath.Join(r.e.home, "mirrors", "app.git", "objects", "pack", "tmp_pack_crash")
	os.WriteFile(pack, []byte("partial"), 0o600)
	r.srv.AddCommits(r.repo, 5)
	out := r.mustRun("repos", "fetch", "app", "--json")
	if !strings.Contains(out, `"ok": true`) {
		t.Fatalf("fetch after the kill: %s", out)
	}
	r.checkHome("app")

	// Killed inside remove, before and after the list write: the next run finishes it.
	for _, stage := range []string{"remove-journaled", "remove-listed"} {
		code, _ := r.killAt("gitjira-stage: "+stage, syscall.SIGKILL, "repos", "remove", "app")
		if code != -int(syscall.SIGKILL) {
			t.Fatalf("%s: exit %d, want killed", stage, code)
		}
		r.mustRun(r.connectArgs()...)
		r.checkHome("app")
	}
}
