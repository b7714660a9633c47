package steps

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/ui/components/hostkey"
	"github.com/gitjira/gitjira/ui/components/keypicker"
)

func hostStep(s Step) HostKey { return s.(HostKey) }

func runes(r string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(r)} }

func TestHostKeyUnknownTrusted(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")

	d := newDriver(t, NewHostKey(env, draft)).enter()
	d.viewHas("Connecting to 127.0.0.1:")
	d.until("host key question", func(s Step) bool { return draft.HostKeyErr != nil })
	fp := pubFingerprint(t, "host_ed25519")
	d.viewHas("not in your known hosts", "127.0.0.1", "ssh-ed25519", fp, "Trust this host and record its key? (y/n)")
	d.viewFits(80)
	if scr := d.s.View(); scr.Copy != fp || !strings.Contains(scr.Bottom, "(y/n)") {
		t.Errorf("copy %q; the question is not in the always-visible part: %q", scr.Copy, scr.Bottom)
	}
	if d.s.Skip() {
		t.Error("skipped with a pending question")
	}
	// enter is not an answer
	d.key(tea.KeyEnter).settle()
	if len(d.nav) != 0 || draft.TrustFingerprint != "" {
		t.Fatal("enter trusted the host")
	}

	d.send(runes("y"))
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
	// The decision goes to the clone, which records exactly this key.
	if draft.TrustFingerprint != fp || !draft.HostChecked || draft.HostKeyFingerprint != fp {
		t.Errorf("draft host: trust %q checked %v fp %q", draft.TrustFingerprint, draft.HostChecked, draft.HostKeyFingerprint)
	}
	if kh := knownHostsText(t, env); kh != "" {
		t.Errorf("known_hosts written before the clone: %q", kh)
	}
	if !d.s.Skip() {
		t.Error("a trusted host is asked again")
	}
}

// TestHostKeyUnknownDeclined: "n" says what happened and what to do, and
// stays (y still trusts); nothing is recorded.
func TestHostKeyUnknownDeclined(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
	d := newDriver(t, NewHostKey(env, draft)).enter()
	d.until("host key question", func(s Step) bool { return draft.HostKeyErr != nil })
	d.send(runes("n")).settle()
	if len(d.nav) != 0 {
		t.Fatalf("n left the step silently: %v", d.nav)
	}
	if !hostStep(d.s).Declined() {
		t.Fatal("not declined")
	}
	d.viewHas("Not trusted: nothing was recorded", "Ask the host's admin", "ED25519 host key fingerprint", "press y", "esc goes back")
	d.viewLacks("Trust this host and record its key? (y/n)")
	if knownHostsText(t, env) != "" || draft.TrustFingerprint != "" {
		t.Fatal("refused host recorded")
	}
	d.send(runes("y"))
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
}

func TestHostKeyKnownSkips(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewHostKey(env, draft)).enter()
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
	if !d.s.Skip() || draft.HostKeyFingerprint != pubFingerprint(t, "host_ed25519") || draft.Remote == nil {
		t.Errorf("draft after a known host: %+v", draft)
	}
}

// TestHostKeyRoutes: failures found by the check go to the step that fixes
// them, with the draft saying why.
func TestHostKeyRoutes(t *testing.T) {
	t.Run("auth refused to authorize", func(t *testing.T) {
		env, draft := testEnv(t)
		srv := testServer(t, "host_ed25519", 0, "id_ed25519")
		connectedDraft(t, env, draft, srv, "stranger_ed25519")
		trustTestHost(t, env, draft, "host_ed25519")
		d := newDriver(t, NewHostKey(env, draft)).enter()
		g, ok := d.waitNav("goto").(GotoMsg)
		if !ok || g.To != StepAuthorize || draft.AuthErr == nil || draft.AuthErr.Fingerprint != pubFingerprint(t, "stranger_ed25519") {
			t.Fatalf("got %#v, auth %+v", g, draft.AuthErr)
		}
		if !draft.HostChecked {
			t.Error("the host was verified before the refusal, yet not marked")
		}
	})
	t.Run("repository not found to location", func(t *testing.T) {
		env, draft := testEnv(t)
		srv := testServer(t, "host_ed25519", 0, "id_ed25519")
		trustTestHost2(t, env, srv, "host_ed25519")
		planDraft(t, env, draft, srv.URL("/missing.git"), "")
		connectedKey(t, draft, "id_ed25519")
		d := newDriver(t, NewHostKey(env, draft)).enter()
		g, ok := d.waitNav("goto").(GotoMsg)
		var nf *gitops.RepoNotFoundError
		if !ok || g.To != StepLocation || !errors.As(draft.LocationErr, &nf) {
			t.Fatalf("got %#v, location error %v", g, draft.LocationErr)
		}
	})
	t.Run("connection refused to location", func(t *testing.T) {
		env, draft := testEnv(t)
		port := freePort(t)
		planDraft(t, env, draft, "ssh://git@127.0.0.1:"+port+"/demo.git", "")
		connectedKey(t, draft, "id_ed25519")
		d := newDriver(t, NewHostKey(env, draft)).enter()
		g, ok := d.waitNav("goto").(GotoMsg)
		var ne *gitops.NetError
		if !ok || g.To != StepLocation || !errors.As(draft.LocationErr, &ne) || ne.Kind != gitops.NetRefused {
			t.Fatalf("got %#v, location error %v", g, draft.LocationErr)
		}
	})
}

func TestHostKeyChangedRefused(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host2_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519") // the old key is recorded
	before := knownHostsText(t, env)

	d := newDriver(t, NewHostKey(env, draft)).enter()
	d.until("warning", func(s Step) bool { return draft.HostKeyErr != nil })
	d.viewHas("WARNING: THE HOST KEY HAS CHANGED", "Known", pubFingerprint(t, "host_ed25519"),
		"Offered", pubFingerprint(t, "host2_ed25519"), "gitjira will not connect")
	d.viewFits(80)
	// no way forward: enter and y do nothing
	d.key(tea.KeyEnter).send(runes("y")).settle()
	if len(d.nav) != 0 || knownHostsText(t, env) != before || draft.TrustFingerprint != "" {
		t.Fatalf("changed host key accepted: %v", d.nav)
	}
	d.key(tea.KeyEsc)
	if nav := d.waitNav("back"); nav != (BackMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
}

// TestHostKeyOtherErrorRetry: a failure no earlier step fixes stays here,
// with retry.
func TestHostKeyOtherErrorRetry(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, env, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewHostKey(env, draft))
	s, _ := d.s.Enter() // checking, without running the check
	d.s = s
	d.send(hostkey.CheckedMsg{Err: errors.New("known_hosts file is unreadable")}).settle()
	d.viewHas("✗ known_hosts file is unreadable", "Press r to try again")
	d.send(runes("r"))
	if !hostStep(d.s).Checking() {
		t.Error("r did not retry")
	}
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
}

func connectedKey(t *testing.T, d *Draft, userKey string) {
	t.Helper()
	raw := readTestKey(t, userKey)
	k, err := keypicker.ParseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	d.SetKey("/keys/"+userKey, raw, k, false)
}

// freePort is a loopback port nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

// TestHostKeyShowsEveryType: a server with ed25519 and ECDSA host keys is
// shown with the ed25519 fingerprint, the one `ssh` shows (OpenSSH's order),
// and the ECDSA one listed too, to compare with what the admin published.
func TestHostKeyShowsEveryType(t *testing.T) {
	env, draft := testEnv(t)
	root := t.TempDir()
	if err := gitserver.MakeSampleRepo(filepath.Join(root, "demo.git"), 3); err != nil {
		t.Fatal(err)
	}
	var signers []ssh.Signer
	for _, typ := range []string{gitserver.KeyECDSA, gitserver.KeyEd25519} {
		s, err := gitserver.GenerateHostKey(typ)
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
	}
	srv, err := gitserver.Start(gitserver.Options{Root: root, HostKeys: signers, AuthorizedKeys: []ssh.PublicKey{testPub(t, "id_ed25519")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	connectedDraft(t, env, draft, srv, "id_ed25519")
	d := newDriver(t, NewHostKey(env, draft)).enter()
	d.until("other keys", func(s Step) bool { return len(hostStep(s).check.Others()) > 0 })
	ed, ec := ssh.FingerprintSHA256(signers[1].PublicKey()), ssh.FingerprintSHA256(signers[0].PublicKey())
	if draft.HostKeyErr.OfferedFingerprint != ed {
		t.Errorf("offered %s, want the ed25519 key %s", draft.HostKeyErr.OfferedFingerprint, ed)
	}
	d.viewHas("Key type ssh-ed25519", ed, "other host keys too", "ecdsa-sha2-nistp256", ec)
	d.viewFits(80)
}

func testPub(t *testing.T, name string) ssh.PublicKey {
	t.Helper()
	pk, _, _, _, err := ssh.ParseAuthorizedKey(readTestKey(t, name+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	return pk
}
