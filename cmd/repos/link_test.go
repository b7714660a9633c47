package repos

import (
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
)

// TestProgressLinesWithoutTerminal: a long linking run without a terminal
// prints a progress line every interval (30 s by default), none once done.
func TestProgressLinesWithoutTerminal(t *testing.T) {
	var out cmdtest.SyncBuffer
	p := newProgressLines(&out, false, time.Millisecond)
	p.update("app", 57, 130)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "gitjira: app: linking in Jira 57/130\n") {
		if time.Now().After(deadline) {
			t.Fatalf("no progress line: %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.update("app", 130, 130)
	p.stop()
	n := len(out.String())
	time.Sleep(20 * time.Millisecond)
	if len(out.String()) != n || strings.Contains(out.String(), "130/130") {
		t.Errorf("lines after the end: %q", out.String())
	}
	// On a terminal: one line rewritten in place, ended by stop.
	var term cmdtest.SyncBuffer
	p = newProgressLines(&term, true, 0)
	p.update("app", 1, 2)
	p.update("app", 2, 2)
	p.stop()
	if term.String() != "\rapp: linking in Jira 1/2\rapp: linking in Jira 2/2\n" {
		t.Errorf("terminal %q", term.String())
	}
}
