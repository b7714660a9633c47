package steps

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/jira"
)

func cloneStep(s Step) Clone { return s.(Clone) }

func mirrorsLeft(t *testing.T, env *Env) []string {
	t.Helper()
	entries, err := os.ReadDir(env.Paths.MirrorsDir())
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCloneSuccess(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")

	d := newDriver(t, NewClone(env, draft)).enter()
	if !d.s.Busy() {
		t.Fatal("not busy while checking")
	}
	d.viewHas("Checking the connection to")
	var sawProgress bool
	d.until("clone done", func(s Step) bool {
		c := cloneStep(s)
		if len(c.finished) > 0 || c.cur.Phase != "" {
			sawProgress = true
		}
		return c.phase == cloneDone
	})
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepClone}) {
		t.Fatalf("got %#v", nav)
	}
	if !sawProgress {
		t.Error("no progress event reached the step")
	}
	want := gitserver.SampleCommits(sampleCommits)
	c := draft.Clone
	if c == nil || c.Commits != want || c.DefaultBranch != "main" || draft.Name != "demo" {
		t.Fatalf("clone = %+v, name %q; want %d commits on main", c, draft.Name, want)
	}
	if c.Dir != env.Paths.MirrorDir("demo") {
		t.Errorf("mirror at %s", c.Dir)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "HEAD")); err != nil {
		t.Errorf("mirror: %v", err)
	}
	d.viewHas("✓ Connected", "default branch main", "✓ Receiving objects", "✓ Cloned demo:")
	d.viewFits(80)

	// coming back to the step (esc from permissions) shows the result, no new clone
	d.enter()
	if d.s.Busy() || cloneStep(d.s).phase != cloneDone {
		t.Fatal("re-entering cloned again")
	}
	d.key(tea.KeyEnter)
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepClone}) {
		t.Fatalf("got %#v", nav)
	}
}

func TestCloneNameTakenGetsSuffix(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	// a mirror directory "demo.git" exists, and "demo-2" is in the list
	if err := os.MkdirAll(env.Paths.MirrorDir("demo"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := jira.OpenRepositoryList(env.Paths).Update(func(r []jira.Repository) ([]jira.Repository, error) {
		return append(r, jira.Repository{Name: "demo-2", URL: "ssh://x/y", Projects: []string{"ALL"}, Mirror: "/nowhere"}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, NewClone(env, draft)).enter()
	d.until("done", func(s Step) bool { return cloneStep(s).phase == cloneDone || cloneStep(s).phase == cloneFailed })
	if draft.Name != "demo-3" || draft.Clone == nil {
		t.Fatalf("name %q, err %v", draft.Name, cloneStep(d.s).err)
	}
}

func TestCloneAuthRefusedGoesToKeyStep(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "stranger_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewClone(env, draft)).enter()
	nav := d.waitNav("goto")
	g, ok := nav.(GotoMsg)
	if !ok || g.To != StepKey {
		t.Fatalf("got %#v, want GotoMsg to the key step", nav)
	}
	var ae *gitops.AuthError
	if !errors.As(g.Reason, &ae) || draft.AuthErr == nil {
		t.Fatalf("reason %v, draft %v", g.Reason, draft.AuthErr)
	}
	if draft.AuthErr.Fingerprint != pubFingerprint(t, "stranger_ed25519") ||
		draft.AuthErr.AuthorizedKey != hostKeyLine(t, "stranger_ed25519") && !strings.HasPrefix(draft.AuthErr.AuthorizedKey, hostKeyLine(t, "stranger_ed25519")) {
		t.Errorf("auth error: %+v", draft.AuthErr)
	}
	if left := mirrorsLeft(t, env); len(left) != 0 {
		t.Errorf("left in mirrors dir: %v", left)
	}
}

func TestCloneHostKeyChangedGoesToHostKeyStep(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host2_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	draft.HostChecked = true // checked before the key changed
	d := newDriver(t, NewClone(env, draft)).enter()
	nav := d.waitNav("goto")
	if g, ok := nav.(GotoMsg); !ok || g.To != StepHostKey {
		t.Fatalf("got %#v", nav)
	}
	if draft.HostKeyErr == nil || draft.HostChecked || NewHostKey(env, draft).Skip() {
		t.Fatalf("draft: %+v", draft)
	}
}

func TestCloneCancelLeavesNothing(t *testing.T) {
	env, draft := testEnv(t)
	// the server stops sending after 2 KiB of pack: the clone hangs in "receiving"
	srv := testServer(t, "host_ed25519", 2048, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewClone(env, draft)).enter()
	d.until("cloning", func(s Step) bool { return cloneStep(s).phase == cloneRunning })

	d.key(tea.KeyEsc)
	d.viewHas("Cancel the clone? (y/n)")
	d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	d.viewLacks("Cancel the clone?")
	if !d.s.Busy() {
		t.Fatal("n stopped the clone")
	}
	d.key(tea.KeyEsc).send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	d.until("cancelled", func(s Step) bool { return !s.Busy() })
	if !cloneStep(d.s).cancelled || len(d.nav) != 0 {
		t.Fatalf("cancel: %+v nav %v", cloneStep(d.s).err, d.nav)
	}
	d.viewHas("Clone cancelled", "Press r to try again")
	if left := mirrorsLeft(t, env); len(left) != 0 {
		t.Errorf("left in mirrors dir after cancel: %v", left)
	}
	if draft.Clone != nil {
		t.Error("draft has a clone")
	}
	d.key(tea.KeyEsc)
	if nav := d.waitNav("back"); nav != (BackMsg{From: StepClone}) {
		t.Fatalf("got %#v", nav)
	}
}

func TestCloneOtherErrorRetry(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	e, _ := gitops.ParseURL(srv.URL("/nothing-here.git"))
	draft.SetEndpoint(srv.URL("/nothing-here.git"), e)
	d := newDriver(t, NewClone(env, draft)).enter()
	d.until("failed", func(s Step) bool { return cloneStep(s).phase == cloneFailed })
	var nf *gitops.RepoNotFoundError
	if !errors.As(cloneStep(d.s).err, &nf) {
		t.Fatalf("error %T %v", cloneStep(d.s).err, cloneStep(d.s).err)
	}
	d.viewHas("✗", "not found", "Press r to try again")
	d.viewFits(80)
	d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	if cloneStep(d.s).phase != cloneChecking {
		t.Fatal("r did not retry")
	}
	d.until("failed again", func(s Step) bool { return cloneStep(s).phase == cloneFailed })
}

func TestCloneLocationChangedRemovesOldMirror(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewClone(env, draft)).enter()
	d.until("done", func(s Step) bool { return cloneStep(s).phase == cloneDone })
	d.waitNav("done")
	first := draft.Clone.Dir

	// the user goes back and types the same repository with another spelling
	e2, err := gitops.ParseURL(strings.Replace(srv.URL("/demo.git"), "ssh://git@", "ssh://other@", 1))
	if err != nil {
		t.Fatal(err)
	}
	draft.SetEndpoint("other", e2)
	d.enter()
	d.until("done again", func(s Step) bool { return cloneStep(s).phase == cloneDone && draft.Clone != nil })
	if _, err := os.Stat(first); draft.Clone.Dir != first && err == nil {
		t.Errorf("old mirror %s left behind", first)
	}
	if left := mirrorsLeft(t, env); len(left) != 1 {
		t.Errorf("mirrors: %v", left)
	}
}

// After the host-key step has listed the refs (a known host), the clone step
// clones straight away instead of connecting once more to check.
func TestCloneReusesTheHostKeyStepsCheck(t *testing.T) {
	for _, known := range []bool{false, true} {
		env, draft := testEnv(t)
		srv := testServer(t, "host_ed25519", 0, "id_ed25519")
		connectedDraft(t, draft, srv, "id_ed25519")
		trustTestHost(t, env, draft, "host_ed25519")
		if known {
			info, err := gitops.Check(env.ctx(), draft.connectOptions(env))
			if err != nil {
				t.Fatal(err)
			}
			draft.Remote = info
		}
		before := srv.Execs()
		d := newDriver(t, NewClone(env, draft)).enter()
		d.until("clone done", func(s Step) bool { return cloneStep(s).phase == cloneDone })
		want := int64(2) // check, then clone
		if known {
			want = 1
		}
		if got := srv.Execs() - before; got != want {
			t.Errorf("remote already checked %v: %d upload-pack runs, want %d", known, got, want)
		}
		d.viewHas("✓ Connected", "default branch main")
	}
}
