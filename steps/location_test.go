package steps

import (
	"os"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func TestLocationValidatesAsTyped(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewLocation(env, draft, "")).enter()
	loc := func(s Step) Location { return s.(Location) }

	d.typeText("git@example.com:org/repo.git")
	d.until("the parse of the full text", func(s Step) bool { return loc(s).parsedFor == loc(s).Value() })
	if err := loc(d.s).err; err != nil {
		t.Fatalf("valid location refused: %v", err)
	}
	d.viewHas("✓ git@example.com:org/repo.git")
	if draft.Endpoint != nil {
		t.Fatal("the draft changed before enter")
	}

	d.key(tea.KeyEnter)
	nav := d.waitNav("done")
	if nav != (DoneMsg{From: StepLocation}) {
		t.Fatalf("got %#v, want DoneMsg", nav)
	}
	if draft.Endpoint == nil || draft.Endpoint.Host != "example.com" || draft.Endpoint.User != "git" {
		t.Fatalf("draft endpoint = %+v", draft.Endpoint)
	}
	if draft.Location != "git@example.com:org/repo.git" {
		t.Errorf("draft location = %q", draft.Location)
	}
}

func TestLocationRefusesInline(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"https", "https://example.com/org/repo.git", []string{"✗", "connects over SSH"}},
		{"local path", "/srv/git/repo.git", []string{"✗", "SSH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, draft := testEnv(t)
			d := newDriver(t, NewLocation(env, draft, "")).enter()
			d.typeText(tc.text)
			d.until("parse", func(s Step) bool { l := s.(Location); return l.parsedFor == l.Value() })
			d.viewHas(tc.want...)
			d.key(tea.KeyEnter).settle()
			if len(d.nav) != 0 || draft.Endpoint != nil {
				t.Fatalf("an invalid location was accepted: nav %v, endpoint %+v", d.nav, draft.Endpoint)
			}
			d.viewFits(80)
		})
	}
}

func TestLocationEmptyEnter(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewLocation(env, draft, "")).enter()
	d.key(tea.KeyEnter).settle()
	d.viewHas("type the repository's SSH location")
	if len(d.nav) != 0 {
		t.Fatalf("moved on with nothing typed: %v", d.nav)
	}
	// esc on the first step goes nowhere
	d.key(tea.KeyEsc).settle()
	if len(d.nav) != 0 {
		t.Fatalf("esc on the first step: %v", d.nav)
	}
}

func TestLocationSSHConfigAlias(t *testing.T) {
	env, draft := testEnv(t)
	cfg := "Host gitbox\n  HostName 127.0.0.1\n  Port 2222\n  User deploy\n  IdentityFile " + env.SSHDir + "/box_key\n\nHost *.example.com\n  User x\n"
	if err := os.WriteFile(env.SSHConfigFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, NewLocation(env, draft, "")).enter()
	d.until("aliases", func(s Step) bool { return len(s.(Location).aliases) > 0 })
	d.viewHas("Hosts in ~/.ssh/config", "gitbox")
	d.viewLacks("*.example.com")

	// "gi" + → completes the alias
	d.typeText("gi")
	d.send(tea.KeyMsg{Type: tea.KeyRight})
	if v := d.s.(Location).Value(); v != "gitbox:" {
		t.Fatalf("completion gave %q, want gitbox:", v)
	}
	d.typeText("team/app.git")
	d.key(tea.KeyEnter)
	d.waitNav("done")
	e := draft.Endpoint
	if e == nil || e.Host != "127.0.0.1" || e.Port != 2222 || e.User != "deploy" || e.Alias != "gitbox" {
		t.Fatalf("endpoint = %+v", e)
	}
	if len(e.IdentityFiles) != 1 || e.IdentityFiles[0] != env.SSHDir+"/box_key" {
		t.Errorf("identity files = %v", e.IdentityFiles)
	}
}

func TestLocationPrefillAndStale(t *testing.T) {
	env, draft := testEnv(t)
	d := newDriver(t, NewLocation(env, draft, "ssh://git@127.0.0.1:2222/demo.git")).enter()
	d.until("prefill parsed", func(s Step) bool { return s.(Location).parsed != nil })
	d.viewHas("✓ ssh://git@127.0.0.1:2222/demo.git")
	// a stale result (for text no longer in the field) is ignored
	d.send(urlParsedMsg{text: "old", err: errEmptyLocation})
	if d.s.(Location).err != nil {
		t.Fatal("a stale parse result was shown")
	}
}
