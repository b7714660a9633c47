package wizard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/steps"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/hostkey"
	"github.com/gitjira/gitjira/ui/components/keypicker"
	"github.com/gitjira/gitjira/ui/uitest"
)

// These flows check that results of async work reach the step that asked,
// and that a result for work the user has moved on from is dropped, in one
// place (Model.reply): the steps no longer check.

func isMsg[T any](msg tea.Msg) bool { _, ok := msg.(T); return ok }

// TestLateLocationCheckDropped: the inspection of an earlier text arrives
// after the one of the text now in the field; the screen keeps the newer.
func TestLateLocationCheckDropped(t *testing.T) {
	w := newWorld(t, worldOpts{})
	d := newDriver(t, w.cfg, 80, 24)
	first := true
	// The text a reply answers (an unexported field: read from its
	// printed form), so the held reply is one of a text typed on the way
	// to old.git whatever order the replies arrive in on a loaded machine.
	textOf := regexp.MustCompile(`text:(\S*)`)
	d.Hold(func(msg tea.Msg) bool {
		if r, ok := msg.(common.Reply); ok && r.Answers().Owner == "location/inspect" && first {
			if m := textOf.FindStringSubmatch(fmt.Sprintf("%+v", msg)); m != nil && !strings.HasSuffix(m[1], ".git") {
				first = false
				return true
			}
		}
		return false
	})
	d.Type("ssh://git@127.0.0.1:2222/old.git")
	// every keystroke starts an inspection; hold one of a partial text, let the rest run
	d.UntilView("✓ ssh://git@127.0.0.1:2222/old.git")
	for range len("old.git") {
		d.Key(tea.KeyBackspace)
	}
	d.Type("new.git").UntilView("✓ ssh://git@127.0.0.1:2222/new.git")
	if len(d.Held()) != 1 {
		t.Fatalf("held %d results", len(d.Held()))
	}
	d.Release().Settle()
	d.ViewHas("✓ ssh://git@127.0.0.1:2222/new.git", "Name: new")
	d.ViewLacks("✓ ssh://git@127.0.0.1:2222/o ")
}

// blackHole is a loopback port that accepts connections and never answers:
// a host key check to it runs until it is cancelled or times out.
func blackHole(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return l.Addr().String()
}

// TestEscCancelsRunningHostKeyCheck: esc during the host key check goes
// back at once, cancels the connection (its result is context.Canceled, not
// a timeout) and drops that result: the wizard stays where the user went.
func TestEscCancelsRunningHostKeyCheck(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	d := newDriver(t, w.cfg, 80, 24)
	d.Hold(isMsg[hostkey.CheckedMsg])
	d.Type("ssh://git@" + blackHole(t) + "/demo.git").UntilView("✓ ssh://")
	d.Key(tea.KeyEnter).Until("key list", func(m Model) bool {
		return m.Current() == steps.StepKey && strings.Contains(plain(m.View()), "id_ed25519")
	})
	d.Key(tea.KeyEnter).UntilView("to check its host key")
	d.Key(tea.KeyEsc).Until("back on the key step", func(m Model) bool { return m.Current() == steps.StepKey })
	d.UntilHeld("the cancelled check's result", 1)
	res := d.Held()[0].(hostkey.CheckedMsg)
	if !errors.Is(res.Err, context.Canceled) {
		t.Errorf("the check was not cancelled: %v", res.Err)
	}
	d.Release().Settle()
	if d.Model.Current() != steps.StepKey {
		t.Fatalf("a cancelled check's result moved the wizard to %s", d.Model.Current())
	}
	d.ViewLacks("failed", "WARNING")
}

// TestLateHostKeyCheckAfterMovingOn: the result of a check arrives after
// the user went back and chose another location; it is dropped, and the
// new location's check is the one that counts.
func TestLateHostKeyCheckAfterMovingOn(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d := newDriver(t, w.cfg, 80, 24)
	d = toKeyStep(d, w)
	held := 0
	d.Hold(func(msg tea.Msg) bool {
		if isMsg[hostkey.CheckedMsg](msg) && held == 0 {
			held++
			return true
		}
		return false
	})
	d.Key(tea.KeyEnter).UntilHeld("the first check", 1)
	d.Key(tea.KeyEsc).Until("key step", func(m Model) bool { return m.Current() == steps.StepKey })
	d.Key(tea.KeyEsc).Until("location step", func(m Model) bool { return m.Current() == steps.StepLocation })
	// The first check (of a known host) would move the wizard on to the
	// clone; it comes now, while the user is on the location step.
	d.Release().Settle()
	if d.Model.Current() != steps.StepLocation {
		t.Fatalf("a check the user left moved the wizard to %s", d.Model.Current())
	}
}

// TestChangedHostKeyRetryAfterFixingKnownHosts (issue 15, defect 2): the
// changed key's screen offers the ssh-keygen -R line; once known_hosts is
// fixed, r checks again and the wizard goes on.
func TestChangedHostKeyRetryAfterFixingKnownHosts(t *testing.T) {
	w := newWorld(t, worldOpts{hostKey: "host2_ed25519", keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d := toKeyStep(newDriver(t, w.cfg, 80, 24), w)
	d.Key(tea.KeyEnter).UntilView("WARNING: THE HOST KEY HAS CHANGED")
	d.ViewHas("ssh-keygen -R '[127.0.0.1]:", "press r to check again")
	if scr := d.Model.Step(steps.StepHostKey).View(); !strings.HasPrefix(scr.Copy, "ssh-keygen -R '[127.0.0.1]:") {
		t.Errorf("copy offers %q", scr.Copy)
	}
	// r before the fix: the same warning, checked again
	d.Runes("r").UntilView("WARNING: THE HOST KEY HAS CHANGED")
	// the admin confirms the new key: the old line goes, the new one is added
	if err := os.WriteFile(w.cfg.KnownHostsFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w.trustHost("host2_ed25519")
	d.Runes("r").Until("past the host key", func(m Model) bool { return m.Current() == steps.StepClone })
	// Let the clone finish before the test's directories are removed.
	d.Until("past the clone", func(m Model) bool { return m.Current() != steps.StepClone })
	if !lifecycle.WaitClones(30 * time.Second) {
		t.Fatal("the clone did not end")
	}
}

// TestLatePasteParseDropped: the parse of a first paste arrives after the
// box was cleared and another key pasted; the screen (and enter) keep the
// second key.
func TestLatePasteParseDropped(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	d := toKeyStep(newDriver(t, w.cfg, 80, 30), w)
	d.Key(tea.KeyShiftTab).Key(tea.KeyShiftTab).UntilView("[Paste a key]")
	held := 0
	d.Hold(func(msg tea.Msg) bool {
		if isMsg[keypicker.PasteParsedMsg](msg) && held == 0 {
			held++
			return true
		}
		return false
	})
	d.Paste(string(readTestKey(t, "stranger_ed25519")))
	d.UntilHeld("the first parse", 1)
	d.Key(tea.KeyCtrlU)
	d.Paste(string(readTestKey(t, "id_ed25519")))
	d.UntilView(fingerprint(t, "id_ed25519"))
	d.Release().Settle()
	d.ViewHas(fingerprint(t, "id_ed25519"))
	d.ViewLacks(fingerprint(t, "stranger_ed25519"))
	d.Key(tea.KeyEnter).Until("the key chosen", func(m Model) bool { return m.Current() != steps.StepKey })
	if k := d.Model.Draft().Key; k == nil || k.Fingerprint != fingerprint(t, "id_ed25519") {
		t.Fatalf("the draft's key is %+v, not the second paste", k)
	}
}

// TestInManageHints (issue 15, defect 4): opened from Manage, the wizard's
// quit key and the finish screen say they go back to Manage.
func TestInManageHints(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	cfg := w.cfg
	cfg.InManage = true
	d := newDriver(t, cfg, 100, 30)
	d.ViewHas("ctrl+c back to Manage")
	d.ViewLacks("ctrl+c quit")
}

// TestReviewOpensAtTopAfterResize (issue 15, defect 8): the review opens at
// its top, and a smaller terminal keeps it there, rather than scrolling to
// the web page field it focuses.
func TestReviewOpensAtTopAfterResize(t *testing.T) {
	w := newWorld(t, worldOpts{keys: map[string]string{"id_ed25519": "id_ed25519"}})
	w.trustHost("host_ed25519")
	d := toKeyStep(newDriver(t, w.cfg, 80, 24), w)
	d.Key(tea.KeyEnter).Until("clone", func(m Model) bool {
		return m.Current() == steps.StepClone && strings.Contains(plain(m.View()), "Press enter to continue")
	})
	d.Key(tea.KeyEnter).Until("permissions", func(m Model) bool { return m.Current() == steps.StepPermissions })
	d.Key(tea.KeyEnter).Until("review", func(m Model) bool { return m.Current() == steps.StepReview })
	d.ViewHas("Name demo")
	for _, size := range [][2]int{{50, 20}, {50, 14}, {120, 40}} {
		d.Send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		if v := d.View(); !strings.Contains(v, "Review: nothing is saved") || !strings.Contains(uitest.Flat(v), "Name demo") {
			t.Errorf("%dx%d: the review is not at its top:\n%s", size[0], size[1], v)
		}
	}
}
