package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/gitops"
)

func TestPrintProgressFirstAndLastOfEachPhase(t *testing.T) {
	ch := make(chan gitops.Progress, 100)
	ch <- gitops.Progress{Phase: gitops.PhaseConnecting}
	ch <- gitops.Progress{Phase: gitops.PhaseConnecting, Done: true}
	for i := int64(0); i <= 50; i++ {
		ch <- gitops.Progress{Phase: gitops.PhaseReceiving, Current: i, Total: 50, Bytes: i * 1024, Done: i == 50}
	}
	ch <- gitops.Progress{Phase: gitops.PhaseResolving, Current: 0, Total: 10}
	ch <- gitops.Progress{Phase: gitops.PhaseResolving, Current: 7, Total: 10}
	ch <- gitops.Progress{Phase: gitops.PhaseDone, Done: true}
	close(ch)
	var errb bytes.Buffer
	printProgress(&IO{Err: &errb}, ch)
	want := []string{
		"connecting",
		"receiving:   0% (0/50)",
		"receiving: 100% (50/50), 50.0 KiB",
		"resolving:   0% (0/10)",
		"resolving:  70% (7/10)",
	}
	got := strings.Split(strings.TrimSpace(errb.String()), "\n")
	if len(got) != len(want) {
		t.Fatalf("printed %d lines, want %d:\n%s", len(got), len(want), errb.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestParseProjects(t *testing.T) {
	for _, c := range []struct {
		in, want string
		bad      bool
	}{
		{"", "ALL", false},
		{"proj, ops,PROJ", "PROJ OPS", false},
		{"PROJ,,", "PROJ", false},
		{",", "", true},
		{"PROJ,9X", "", true},
		{"two words", "", true},
	} {
		got, err := parseProjects(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("parseProjects(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("parseProjects(%q) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
}
