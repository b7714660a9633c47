package gitops

import (
	"context"
	"testing"
	"time"
)

func TestParseProgressLine(t *testing.T) {
	tests := []struct {
		line string
		want Progress
		ok   bool
	}{
		{"Enumerating objects: 12, done.", Progress{Phase: PhaseEnumerating, Current: 12, Total: 12, Done: true}, true},
		{"Enumerating objects: 7", Progress{Phase: PhaseEnumerating, Current: 7}, true},
		{"Counting objects:  45% (9/20)", Progress{Phase: PhaseCounting, Current: 9, Total: 20}, true},
		{"remote: Counting objects:  45% (9/20)\r", Progress{Phase: PhaseCounting, Current: 9, Total: 20}, true},
		{"Counting objects: 100% (20/20), done.", Progress{Phase: PhaseCounting, Current: 20, Total: 20, Done: true}, true},
		{"Compressing objects: 100% (20/20), done.", Progress{Phase: PhaseCompressing, Current: 20, Total: 20, Done: true}, true},
		{"Compressing objects:   0% (1/129)", Progress{Phase: PhaseCompressing, Current: 1, Total: 129}, true},
		// git can append throughput to a line; it is ignored.
		{"Counting objects:  50% (1/2), 1.00 KiB | 2.00 MiB/s", Progress{Phase: PhaseCounting, Current: 1, Total: 2}, true},
		{"Counting objects:  50% (1/2), 1.00 KiB | 2.00 MiB/s, done.", Progress{Phase: PhaseCounting, Current: 1, Total: 2, Done: true}, true},
		{"Total 20 (delta 3), reused 0 (delta 0), pack-reused 0", Progress{}, false},
		{"Receiving objects: 50% (1/2)", Progress{}, false}, // a client phase: not from a server
		{"Counting objects: 120% (3/2)", Progress{}, false},
		{"Counting objects: 45% (9/-20)", Progress{}, false},
		{"Counting objects: 45% (9 of 20)", Progress{}, false},
		{"Counting objects: 45% ()", Progress{}, false},
		{"Counting objects: lots", Progress{}, false},
		{"Counting objects: -3", Progress{}, false},
		{"Counting objects: 99999999999999999999", Progress{}, false},
		{"", Progress{}, false},
		{":", Progress{}, false},
		{"fatal: the remote end hung up", Progress{}, false},
	}
	for _, tc := range tests {
		got, ok := ParseProgressLine(tc.line)
		got.Message = ""
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseProgressLine(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestProgressLinesSplitsAcrossPackets(t *testing.T) {
	var got []string
	l := &progressLines{emit: func(s string) { got = append(got, s) }}
	for _, chunk := range []string{"Counting obj", "ects:  50% (1/2)\rCounting objects: 100% (2/2), done.\n", "Compressing", " objects: 100% (1/1), done.\n"} {
		l.Write([]byte(chunk))
	}
	want := []string{"Counting objects:  50% (1/2)", "Counting objects: 100% (2/2), done.", "Compressing objects: 100% (1/1), done."}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
	// A line that never ends does not grow without bound.
	l.Write(make([]byte, 3*maxProgressLine))
	if len(l.buf) > maxProgressLine {
		t.Fatalf("buffered %d bytes", len(l.buf))
	}
}

func TestFraction(t *testing.T) {
	for _, tc := range []struct {
		p    Progress
		want float64
	}{
		{Progress{Current: 1, Total: 4}, 0.25},
		{Progress{Current: 0, Total: 0}, 0},
		{Progress{Current: 0, Total: 0, Done: true}, 1},
		{Progress{Current: 9, Total: 4}, 1},
	} {
		if got := tc.p.Fraction(); got != tc.want {
			t.Errorf("%+v.Fraction() = %v, want %v", tc.p, got, tc.want)
		}
	}
}

// A receiver that does not read must not block the sender; once it reads,
// it gets every phase end, in order, and intermediate events only newest-first-dropped.
func TestReporterNeverBlocksAndKeepsPhaseEnds(t *testing.T) {
	ch := make(chan Progress) // unbuffered, and nobody reads yet
	r := newReporter(context.Background(), ch)
	r.throttle = 0
	start := time.Now()
	for i := int64(1); i <= 10000; i++ {
		r.send(Progress{Phase: PhaseReceiving, Current: i, Total: 10000})
	}
	r.send(Progress{Phase: PhaseReceiving, Current: 10000, Total: 10000, Done: true})
	for i := int64(1); i <= 100; i++ {
		r.send(Progress{Phase: PhaseResolving, Current: i, Total: 100})
	}
	r.send(Progress{Phase: PhaseResolving, Current: 100, Total: 100, Done: true})
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("sending took %v: it blocked", d)
	}
	var got []Progress
	done := make(chan struct{})
	go func() {
		defer close(done)
		for p := range ch {
			got = append(got, p)
		}
	}()
	r.close()
	close(ch)
	<-done
	var ends []Phase
	last := map[Phase]int64{}
	for _, p := range got {
		if p.Current < last[p.Phase] {
			t.Fatalf("%s went backwards in %+v", p.Phase, got)
		}
		last[p.Phase] = p.Current
		if p.Done {
			ends = append(ends, p.Phase)
		}
	}
	if len(ends) != 2 || ends[0] != PhaseReceiving || ends[1] != PhaseResolving {
		t.Fatalf("phase ends %v in %+v", ends, got)
	}
	if len(got) > 6 {
		t.Fatalf("intermediate events were queued instead of replaced: %d events", len(got))
	}
}

func TestReporterThrottles(t *testing.T) {
	// No forwarder: look at what send accepts into the mailbox.
	now := time.Unix(0, 0)
	r := &reporter{out: make(chan Progress), throttle: progressThrottle, now: func() time.Time { return now },
		last: map[Phase]time.Time{}, wake: make(chan struct{}, 1)}
	var accepted []int64
	for i := int64(1); i <= 10; i++ {
		r.send(Progress{Phase: PhaseReceiving, Current: i})
		if len(r.box) > 0 {
			accepted = append(accepted, r.box[0].Current)
			r.box = r.box[:0]
		}
		now = now.Add(10 * time.Millisecond)
	}
	// A phase end is never throttled.
	r.send(Progress{Phase: PhaseReceiving, Current: 10, Done: true})
	if len(r.box) != 1 || !r.box[0].Done {
		t.Fatalf("phase end not queued: %+v", r.box)
	}
	// 100 ms of events at one per 10 ms, throttled to one per 50 ms.
	if len(accepted) != 2 || accepted[0] != 1 || accepted[1] != 6 {
		t.Fatalf("accepted %v, want [1 6]", accepted)
	}
}

func TestReporterCancelledReceiverGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := newReporter(ctx, make(chan Progress))
	r.send(Progress{Phase: PhaseDone, Done: true})
	cancel()
	finished := make(chan struct{})
	go func() { r.close(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		t.Fatal("close blocked on a receiver that is gone after cancel")
	}
}

func FuzzProgressLine(f *testing.F) {
	for _, s := range []string{"Enumerating objects: 12, done.", "Counting objects:  45% (9/20)", "Compressing objects: 100% (20/20), done.",
		"remote: Counting objects: 1% (1/100)\r", "Total 3 (delta 0)", "Counting objects: 50% (1/2), 1.00 KiB | 2.00 MiB/s, done."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		p, ok := ParseProgressLine(line)
		if !ok {
			if p != (Progress{}) {
				t.Fatalf("not ok but %+v", p)
			}
			return
		}
		if p.Current < 0 || p.Total < 0 || (p.Total > 0 && p.Current > p.Total) {
			t.Fatalf("bad counts %+v for %q", p, line)
		}
		if _, known := map[Phase]bool{PhaseEnumerating: true, PhaseCounting: true, PhaseCompressing: true}[p.Phase]; !known {
			t.Fatalf("phase %q", p.Phase)
		}
		if f := p.Fraction(); f < 0 || f > 1 {
			t.Fatalf("fraction %v", f)
		}
		// The splitter never loses a complete line.
		var lines []string
		l := &progressLines{emit: func(s string) { lines = append(lines, s) }}
		l.Write([]byte(line + "\n"))
		if len(lines) == 0 {
			t.Fatalf("splitter dropped %q", line)
		}
	})
}
