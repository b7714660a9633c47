package steps

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/ui/common"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/store"
)

func cloneStep(s Step) Clone { return s.(Clone) }

// dataLeft lists what is under the data dir's mirrors, keys and index dirs
// (the journal and lock dirs are lifecycle's own and may stay, empty).
func dataLeft(t *testing.T, env *Env) []string {
	t.Helper()
	var names []string
	for _, dir := range []string{env.Paths.MirrorsDir(), env.Paths.KeysDir(), env.Paths.IndexDir(), filepath.Join(env.Paths.Data, "journal")} {
		entries, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			names = append(names, filepath.Join(filepath.Base(dir), e.Name()))
		}
	}
	return names
}

func TestCloneSuccess(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")

	d := newDriver(t, NewClone(env, draft)).enter()
	if !d.s.Busy() {
		t.Fatal("not busy while cloning")
	}
	d.viewHas("Cloning "+draft.EndpointString()+" into", "demo.git")
	var sawProgress bool
	d.until("clone done", func(s Step) bool {
		c := cloneStep(s)
		if len(c.prog.Lines(false)) > 0 || c.prog.Current().Phase != "" {
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
	s := draft.Staged
	if s == nil || s.Result.Commits != want || s.Result.DefaultBranch != "main" || s.Plan.Name != "demo" {
		t.Fatalf("staged = %+v; want %d commits on main", s, want)
	}
	if s.Result.Dir != env.Paths.MirrorDir("demo") {
		t.Errorf("mirror at %s", s.Result.Dir)
	}
	if _, err := os.Stat(filepath.Join(s.Result.Dir, "HEAD")); err != nil {
		t.Errorf("mirror: %v", err)
	}
	d.viewHas("✓ Connected: 2 branches, 2 tags, default branch main", "✓ Receiving objects",
		"✓ "+common.Plural(want, "commit", "commits")+" into")
	d.viewFits(80)
	if list, _ := store.OpenRepositoryList(env.Paths).Load(); len(list) != 0 {
		t.Fatal("the clone added to the list")
	}

	// coming back to the step (esc from permissions) shows the result, no new clone
	d.enter()
	if d.s.Busy() || cloneStep(d.s).phase != cloneDone {
		t.Fatal("re-entering cloned again")
	}
	// esc there deletes the clone (lifecycle Abort) and goes back
	d.key(tea.KeyEsc)
	if nav := d.waitNav("back"); nav != (BackMsg{From: StepClone}) {
		t.Fatalf("got %#v", nav)
	}
	if draft.Staged != nil || len(dataLeft(t, env)) != 0 {
		t.Fatalf("after going back: staged %v, left %v", draft.Staged, dataLeft(t, env))
	}
	// the name is free again: the same plan clones again
	d.enter()
	d.until("done again", func(s Step) bool { return cloneStep(s).phase == cloneDone })
	if draft.Staged == nil {
		t.Fatal("no second clone")
	}
}

// TestCloneRecordsTrustedHost: the host key the user trusted on the host
// key step is recorded by the clone (TrustFingerprint), and only that key.
func TestCloneRecordsTrustedHost(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
	draft.TrustFingerprint = pubFingerprint(t, "host_ed25519")
	draft.HostChecked = true
	d := newDriver(t, NewClone(env, draft)).enter()
	d.until("clone done", func(s Step) bool { return cloneStep(s).phase == cloneDone })
	if kh := knownHostsText(t, env); !strings.Contains(kh, hostKeyLine(t, "host_ed25519")) {
		t.Fatalf("known_hosts = %q", kh)
	}
}

func TestCloneNameTakenGoesToLocation(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	// another gitjira added "demo" after the location step planned it
	addListed(t, env, "demo", "ssh://git@elsewhere/demo.git")
	d := newDriver(t, NewClone(env, draft)).enter()
	g, ok := d.waitNav("goto").(GotoMsg)
	if !ok || g.To != StepLocation || !errors.Is(draft.LocationErr, store.ErrNameTaken) {
		t.Fatalf("got %#v, location error %v", g, draft.LocationErr)
	}
}

func TestCloneAuthRefusedGoesToAuthorizeStep(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "stranger_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewClone(env, draft)).enter()
	nav := d.waitNav("goto")
	g, ok := nav.(GotoMsg)
	if !ok || g.To != StepAuthorize {
		t.Fatalf("got %#v, want GotoMsg to the authorize step", nav)
	}
	var ae *gitops.AuthError
	if !errors.As(g.Reason, &ae) || draft.AuthErr == nil {
		t.Fatalf("reason %v, draft %v", g.Reason, draft.AuthErr)
	}
	if draft.AuthErr.Fingerprint != pubFingerprint(t, "stranger_ed25519") ||
		!strings.HasPrefix(draft.AuthErr.AuthorizedKey, hostKeyLine(t, "stranger_ed25519")) {
		t.Errorf("auth error: %+v", draft.AuthErr)
	}
	if left := dataLeft(t, env); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestCloneNotFoundGoesToLocation(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	trustTestHost2(t, env, srv, "host_ed25519")
	planDraft(t, env, draft, srv.URL("/nothing-here.git"), "")
	connectedKey(t, draft, "id_ed25519")
	d := newDriver(t, NewClone(env, draft)).enter()
	g, ok := d.waitNav("goto").(GotoMsg)
	var nf *gitops.RepoNotFoundError
	if !ok || g.To != StepLocation || !errors.As(draft.LocationErr, &nf) {
		t.Fatalf("got %#v, location error %v", g, draft.LocationErr)
	}
	if left := dataLeft(t, env); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestCloneHostKeyChangedGoesToHostKeyStep(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host2_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
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
	connectedDraft(t, env, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewClone(env, draft)).enter()
	d.until("receiving", func(s Step) bool { return cloneStep(s).prog.Current().Phase == gitops.PhaseReceiving })

	d.key(tea.KeyEsc)
	d.viewHas("Cancel the clone? (y/n)")
	d.send(runes("n"))
	d.viewLacks("Cancel the clone?")
	if !d.s.Busy() {
		t.Fatal("n stopped the clone")
	}
	d.key(tea.KeyEsc).send(runes("y"))
	d.until("cancelled", func(s Step) bool { return cloneStep(s).phase == cloneFailed })
	d.viewHas("Clone cancelled; nothing was left behind.")
	if left := dataLeft(t, env); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if draft.Staged != nil {
		t.Error("draft has a clone")
	}
	d.key(tea.KeyEsc)
	if nav := d.waitNav("back"); nav != (BackMsg{From: StepClone}) {
		t.Fatalf("got %#v", nav)
	}
}

func TestCloneOtherErrorRetry(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewClone(env, draft)).enter()
	// no plan: nothing to clone, said on the step
	d.viewHas("✗ the location or the key is missing", "Press r to try again")
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d.send(runes("r"))
	if cloneStep(d.s).phase != cloneRunning {
		t.Fatal("r did not retry")
	}
	d.until("done", func(s Step) bool { return cloneStep(s).phase == cloneDone })
}

func TestCloneLocationChangedAbortsOldClone(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewClone(env, draft)).enter()
	d.until("done", func(s Step) bool { return cloneStep(s).phase == cloneDone })
	d.waitNav("done")

	// the user goes back (from a later step, by goto) and renames it
	planDraft(t, env, draft, srv.URL("/demo.git"), "renamed")
	d.enter()
	d.until("done again", func(s Step) bool { return cloneStep(s).phase == cloneDone && draft.Staged != nil })
	if _, err := os.Stat(env.Paths.MirrorDir("demo")); err == nil {
		t.Error("the first clone was left behind")
	}
	if left := strings.Join(dataLeft(t, env), " "); left != "mirrors/renamed.git journal/renamed.json" {
		t.Errorf("left: %v", left)
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 branches"}, {1, "1 branch"}, {2, "2 branches"}} {
		if got := common.Plural(tc.n, "branch", "branches"); got != tc.want {
			t.Errorf("common.Plural(%d) = %q", tc.n, got)
		}
	}
}

// TestCursorVisibleWithoutColour: NO_COLOR (the ASCII profile) must not hide
// the text fields' cursor: it is drawn in reverse video, which is no colour.
func TestCursorVisibleWithoutColour(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	in := common.NewInput(common.NewStyles(r), "> ")
	in.Focus()
	v := in.View()
	if !strings.Contains(v, "\x1b[7m") {
		t.Fatalf("no visible cursor: %q", v)
	}
	if strings.Contains(v, "\x1b[3") || strings.Contains(v, "\x1b[9") {
		t.Errorf("colour under NO_COLOR: %q", v)
	}
}
