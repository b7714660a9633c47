package steps

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func hostStep(s Step) HostKey { return s.(HostKey) }

func TestHostKeyUnknownTrusted(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")

	d := newDriver(t, NewHostKey(env, draft)).enter()
	d.viewHas("Connecting to 127.0.0.1:")
	d.until("host key question", func(s Step) bool { return draft.HostKeyErr != nil })
	fp := pubFingerprint(t, "host_ed25519")
	d.viewHas("not in your known hosts", "127.0.0.1", "ssh-ed25519", fp, "Trust this host and record its key? (y/n)")
	d.viewFits(80)
	if d.s.Skip() {
		t.Error("skipped with a pending question")
	}
	// enter is not an answer
	d.key(tea.KeyEnter).settle()
	if len(d.nav) != 0 || knownHostsText(t, env) != "" {
		t.Fatal("enter trusted the host")
	}

	d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
	kh := knownHostsText(t, env)
	if !strings.Contains(kh, hostKeyLine(t, "host_ed25519")) {
		t.Fatalf("known_hosts = %q", kh)
	}
	if !draft.HostChecked || draft.HostKeyFingerprint != fp || draft.HostKeyErr != nil {
		t.Errorf("draft host: %v %q %v", draft.HostChecked, draft.HostKeyFingerprint, draft.HostKeyErr)
	}
	if !d.s.Skip() {
		t.Error("a trusted host is asked again")
	}
}

func TestHostKeyUnknownRefused(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	d := newDriver(t, NewHostKey(env, draft)).enter()
	d.until("host key question", func(s Step) bool { return draft.HostKeyErr != nil })
	d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	if nav := d.waitNav("back"); nav != (BackMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
	if knownHostsText(t, env) != "" {
		t.Fatal("refused host recorded")
	}
}

func TestHostKeyKnownSkips(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewHostKey(env, draft)).enter()
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
	if !d.s.Skip() || draft.HostKeyFingerprint != pubFingerprint(t, "host_ed25519") || draft.Remote == nil {
		t.Errorf("draft after a known host: %+v", draft)
	}
}

func TestHostKeyKnownButAuthRefusedMovesOn(t *testing.T) {
	// the host key is checked before authentication: a refused key is the
	// clone step's business (it sends the user to the key step)
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "stranger_ed25519")
	trustTestHost(t, env, draft, "host_ed25519")
	d := newDriver(t, NewHostKey(env, draft)).enter()
	if nav := d.waitNav("done"); nav != (DoneMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
}

func TestHostKeyChangedRefused(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host2_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	trustTestHost(t, env, draft, "host_ed25519") // the old key is recorded
	before := knownHostsText(t, env)

	d := newDriver(t, NewHostKey(env, draft)).enter()
	d.until("warning", func(s Step) bool { return draft.HostKeyErr != nil })
	d.viewHas("WARNING: THE HOST KEY HAS CHANGED", "Known", pubFingerprint(t, "host_ed25519"),
		"Offered", pubFingerprint(t, "host2_ed25519"), "gitjira will not connect")
	d.viewFits(80)
	// no way forward: enter and y do nothing
	d.key(tea.KeyEnter).send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")}).settle()
	if len(d.nav) != 0 || knownHostsText(t, env) != before {
		t.Fatalf("changed host key accepted: %v", d.nav)
	}
	d.key(tea.KeyEsc)
	if nav := d.waitNav("back"); nav != (BackMsg{From: StepHostKey}) {
		t.Fatalf("got %#v", nav)
	}
}

func TestHostKeyNetworkErrorRetry(t *testing.T) {
	env, draft := testEnv(t)
	srv := testServer(t, "host_ed25519", 0, "id_ed25519")
	connectedDraft(t, draft, srv, "id_ed25519")
	srv.Close() // nothing listens any more
	d := newDriver(t, NewHostKey(env, draft)).enter()
	d.until("error", func(s Step) bool { return hostStep(s).err != nil })
	d.viewHas("✗", "Press r to try again")
	d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	if !hostStep(d.s).checking {
		t.Error("r did not retry")
	}
	d.until("error again", func(s Step) bool { return hostStep(s).err != nil })
}
