package gitops

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWatchdog(t *testing.T) {
	const idle = 50 * time.Millisecond
	t.Run("a wait longer than idle fires", func(t *testing.T) {
		var fired atomic.Bool
		w := newWatchdog(idle, "h:22", func() { fired.Store(true) })
		defer w.stop()
		w.setPhase(waitPack)
		w.begin()
		deadline := time.Now().Add(5 * time.Second)
		for !fired.Load() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		w.end()
		var te *TimeoutError
		if !fired.Load() || !errors.As(w.err(), &te) || te.Phase != waitPack || te.Idle != idle {
			t.Fatalf("fired=%v err=%v", fired.Load(), w.err())
		}
		if msg := te.Error(); msg != "the server at h:22 sent no pack data for 50ms while receiving objects: check the server, or raise --timeout" {
			t.Fatalf("message %q", msg)
		}
	})
	t.Run("time not waiting never counts", func(t *testing.T) {
		w := newWatchdog(idle, "", func() { t.Error("fired") })
		defer w.stop()
		for range 8 { // the client working between short waits
			w.begin()
			w.end()
			time.Sleep(idle)
		}
		if w.err() != nil {
			t.Fatal(w.err())
		}
	})
	t.Run("stopped never fires", func(t *testing.T) {
		w := newWatchdog(idle, "", func() { t.Error("fired") })
		w.begin()
		w.stop()
		time.Sleep(3 * idle)
		if w.err() != nil {
			t.Fatal(w.err())
		}
	})
	t.Run("nil is a no-op", func(t *testing.T) {
		var w *watchdog
		w.begin()
		w.end()
		w.setPhase(waitRefs)
		w.rawWaits(false)
		w.stop()
		if w.err() != nil {
			t.Fatal("nil watchdog has an error")
		}
	})
}

func TestTimeoutErrorPhases(t *testing.T) {
	for phase, what := range map[string]string{waitStart: "no answer", waitRefs: "no ref data", waitNegotiation: "no answer", waitPack: "no pack data"} {
		msg := (&TimeoutError{Phase: phase, Idle: time.Minute}).Error()
		if !strings.Contains(msg, "sent "+what+" for 1m0s while "+phase) {
			t.Errorf("%s: %q", phase, msg)
		}
	}
}
