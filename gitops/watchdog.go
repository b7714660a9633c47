package gitops

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// What the client waits for in an upload-pack conversation, as
// TimeoutError.Phase says it.
const (
	waitStart       = "starting git-upload-pack"
	waitRefs        = "listing refs"
	waitNegotiation = "negotiating"
	waitPack        = "receiving objects"
)

// TimeoutError means the server stopped sending what gitjira was waiting for
// (refs, negotiation answers or pack data) for longer than
// ConnectOptions.Timeout, after the connection was made; the connection was
// closed. Progress messages alone do not count as data: a server that only
// says "Counting objects" for longer than the timeout times out too.
type TimeoutError struct {
	Addr  string        // host:port
	Phase string        // what gitjira was waiting for: "starting git-upload-pack", "listing refs", "negotiating" or "receiving objects"
	Idle  time.Duration // how long the server had sent nothing useful
}

func (e *TimeoutError) Error() string {
	what := "answer"
	switch e.Phase {
	case waitRefs:
		what = "ref data"
	case waitPack:
		what = "pack data"
	}
	at := ""
	if e.Addr != "" {
		at = " at " + e.Addr
	}
	return fmt.Sprintf("the server%s sent no %s for %s while %s: check the server, or raise --timeout", at, what, e.Idle, e.Phase)
}

// Timeout reports true, as net.Error does for timeouts.
func (e *TimeoutError) Timeout() bool { return true }

// Unwrap makes errors.Is(err, context.DeadlineExceeded) true, as for the
// *NetError of a dial or handshake timeout.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// watchdog closes the connection when the client has waited longer than
// idle for the server. A wait is a blocking read or write: it starts when
// the first one begins and ends when it returns. Only the protocol code
// knows which bytes are data, so it marks the waits: for the ref list and
// the negotiation every byte read is data (rawReader), while during the pack
// one wait lasts until the next pack bytes arrive, across any number of
// progress packets (sidebandReader). Time the client spends on its own work
// (indexing the pack, walking commits) is never counted.
//
// A nil *watchdog does nothing, so code paths without a timeout need no
// checks.
type watchdog struct {
	idle   time.Duration
	addr   string
	onFire func()
	base   time.Time

	waiting atomic.Int32
	since   atomic.Int64 // ns after base when the current wait began
	raw     atomic.Bool  // rawReader reads are waits (false during a sideband pack)

	mu     sync.Mutex
	phase  string
	timer  *time.Timer
	fired  *TimeoutError
	closed bool
}

func newWatchdog(idle time.Duration, addr string, onFire func()) *watchdog {
	w := &watchdog{idle: idle, addr: addr, onFire: onFire, base: time.Now(), phase: waitStart}
	w.raw.Store(true)
	w.timer = time.AfterFunc(idle, w.check)
	return w
}

func (w *watchdog) now() int64 { return int64(time.Since(w.base)) }

// setPhase names what the client waits for from now on.
func (w *watchdog) setPhase(p string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.phase = p
	w.mu.Unlock()
}

// rawWaits says whether reads of the raw stream are waits for data.
func (w *watchdog) rawWaits(on bool) {
	if w != nil {
		w.raw.Store(on)
	}
}

func (w *watchdog) begin() {
	if w == nil {
		return
	}
	if w.waiting.Add(1) == 1 {
		w.since.Store(w.now())
	}
}

func (w *watchdog) end() {
	if w != nil {
		w.waiting.Add(-1)
	}
}

// check runs on the timer: it fires when a wait has lasted idle, else
// re-arms for the earliest moment the current (or a future) wait could.
func (w *watchdog) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.fired != nil {
		return
	}
	next := w.idle
	if w.waiting.Load() > 0 {
		waited := time.Duration(w.now() - w.since.Load())
		if waited >= w.idle {
			w.fired = &TimeoutError{Addr: w.addr, Phase: w.phase, Idle: w.idle}
			go w.onFire() // closing may block on the network; never under mu
			return
		}
		next = w.idle - waited
	}
	w.timer.Reset(next)
}

// err returns the *TimeoutError when the watchdog fired, else nil.
func (w *watchdog) err() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fired == nil {
		return nil
	}
	return w.fired
}

// stop ends the watchdog; it never fires afterwards.
func (w *watchdog) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.closed = true
	w.timer.Stop()
	w.mu.Unlock()
}

// rawReader makes each read of the server's stream a wait, while the
// watchdog counts raw reads (ref list, negotiation, a pack without sideband).
type rawReader struct {
	r   io.Reader
	dog *watchdog
}

func (r *rawReader) Read(b []byte) (int, error) {
	if r.dog == nil || !r.dog.raw.Load() {
		return r.r.Read(b)
	}
	r.dog.begin()
	n, err := r.r.Read(b)
	r.dog.end()
	return n, err
}

// waitWriter makes each write to the server a wait: a server that stops
// reading our request (its window stays full) times out too.
type waitWriter struct {
	w   io.WriteCloser
	dog *watchdog
}

func (w *waitWriter) Write(b []byte) (int, error) {
	w.dog.begin()
	n, err := w.w.Write(b)
	w.dog.end()
	return n, err
}

func (w *waitWriter) Close() error { return w.w.Close() }
