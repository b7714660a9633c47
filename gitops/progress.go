package gitops

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gitjira/gitjira/internal/termtext"
)

// Phase names one step of a clone or fetch, in the order they happen.
type Phase string

// The phases of a clone or fetch. Enumerating, counting and compressing are
// reported by the server on the sideband; receiving, resolving and updating
// refs are measured by gitjira itself.
const (
	PhaseConnecting  Phase = "connecting"
	PhaseEnumerating Phase = "enumerating"
	PhaseCounting    Phase = "counting"
	PhaseCompressing Phase = "compressing"
	PhaseReceiving   Phase = "receiving"
	PhaseResolving   Phase = "resolving"
	PhaseUpdatingRef Phase = "updating refs"
	// PhaseCompacting is a fetch consolidating the mirror's packs
	// (Consolidate), past AutoPackLimit.
	PhaseCompacting Phase = "compacting"
	PhaseDone       Phase = "done"
)

// Progress is one progress event of a clone or fetch.
//
// Within a phase, Current never decreases. Total is 0 when it is not known
// (the server's "Enumerating objects: N" has no total until it is done). For
// receiving, Current/Total count objects (Total from the pack header), Bytes
// counts pack bytes received and BytesPerSec is the recent transfer rate. For
// resolving, Current/Total count deltas resolved.
type Progress struct {
	Phase          Phase
	Current, Total int64
	Bytes          int64
	BytesPerSec    float64
	// Message is the raw server line for server phases ("Counting objects:  45% (9/20)").
	Message string
	// Done marks the last event of a phase; it is always delivered.
	Done bool
}

// Fraction returns the completed part of the phase in [0,1]; 0 when the total
// is unknown, 1 for a finished phase or an empty one (0 of 0).
func (p Progress) Fraction() float64 {
	if p.Total <= 0 {
		if p.Done {
			return 1
		}
		return 0
	}
	f := float64(p.Current) / float64(p.Total)
	if f < 0 {
		return 0
	}
	if f > 1 {
		return 1
	}
	return f
}

// serverPhases maps the text before ':' in git's progress lines to our phases.
// Other lines ("Total 20 (delta 3)...", "Finding sources") are not phases.
var serverPhases = map[string]Phase{
	"Enumerating objects": PhaseEnumerating,
	"Counting objects":    PhaseCounting,
	"Compressing objects": PhaseCompressing,
}

// ParseProgressLine parses one line of git's sideband progress (channel 2),
// as written by git's progress.c:
//
//	Enumerating objects: 12, done.
//	Counting objects:  45% (9/20)
//	Compressing objects: 100% (20/20), done.
//	Receiving objects:  50% (1/2), 1.00 KiB | 2.00 MiB/s
//
// An optional "remote: " prefix and surrounding white space are ignored;
// escape sequences and control characters are removed (termtext.Sanitize). It
// returns false for lines that are not object-count progress of a known
// phase. When a phase without a total is done, Total is set to Current.
func ParseProgressLine(line string) (Progress, bool) {
	// Message is shown to the user: no escape sequences from the server.
	s := strings.TrimSpace(termtext.Sanitize(line))
	s = strings.TrimPrefix(s, "remote: ")
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return Progress{}, false
	}
	phase, ok := serverPhases[s[:colon]]
	if !ok {
		return Progress{}, false
	}
	p := Progress{Phase: phase, Message: s}
	rest := strings.TrimSpace(s[colon+1:])
	if strings.HasSuffix(rest, ", done.") {
		p.Done = true
		rest = strings.TrimSuffix(rest, ", done.")
	}
	// Throughput suffix (", 1.00 KiB | 2.00 MiB/s") is not used for server phases.
	if i := strings.Index(rest, ", "); i >= 0 {
		rest = rest[:i]
	}
	if pct := strings.IndexByte(rest, '%'); pct >= 0 {
		// "45% (9/20)"
		paren := strings.TrimSpace(rest[pct+1:])
		if len(paren) < 5 || paren[0] != '(' || paren[len(paren)-1] != ')' {
			return Progress{}, false
		}
		cur, tot, found := strings.Cut(paren[1:len(paren)-1], "/")
		if !found {
			return Progress{}, false
		}
		c, err1 := strconv.ParseInt(cur, 10, 64)
		t, err2 := strconv.ParseInt(tot, 10, 64)
		if err1 != nil || err2 != nil || c < 0 || t < 0 || c > t {
			return Progress{}, false
		}
		p.Current, p.Total = c, t
		return p, true
	}
	c, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || c < 0 {
		return Progress{}, false
	}
	p.Current = c
	if p.Done {
		p.Total = c
	}
	return p, true
}

// progressLines splits the sideband progress stream into lines. git ends an
// intermediate update with '\r' and the last one of a phase with '\n', and a
// sideband packet may end in the middle of a line.
type progressLines struct {
	buf  []byte
	emit func(line string)
}

// maxProgressLine bounds the buffered partial line, so a server that never
// sends a line end cannot grow memory.
const maxProgressLine = 4096

func (l *progressLines) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			l.buf = append(l.buf, b...)
			if len(l.buf) > maxProgressLine {
				l.buf = l.buf[:0]
			}
			break
		}
		l.buf = append(l.buf, b[:i]...)
		if len(l.buf) > 0 {
			l.emit(string(l.buf))
		}
		l.buf = l.buf[:0]
		b = b[i+1:]
	}
	return n, nil
}

// reporter delivers progress events to the caller's channel without ever
// blocking the clone.
//
// Events go into a small mailbox read by a forwarder goroutine. An
// intermediate event replaces an undelivered intermediate event before it in
// the mailbox, so a slow receiver sees fewer, newer events (never out of
// order, never going backwards). Events that end a phase (Done) are always
// kept and delivered in order. Intermediate events are also throttled to one
// per phase every throttle interval. close waits until the mailbox is
// delivered, or until ctx is done.
type reporter struct {
	out      chan<- Progress
	throttle time.Duration
	now      func() time.Time

	mu     sync.Mutex
	box    []Progress
	last   map[Phase]time.Time
	closed bool
	wake   chan struct{}
	done   chan struct{}
	ctx    context.Context
}

const progressThrottle = 50 * time.Millisecond

func newReporter(ctx context.Context, out chan<- Progress) *reporter {
	r := &reporter{out: out, throttle: progressThrottle, now: time.Now,
		last: map[Phase]time.Time{}, wake: make(chan struct{}, 1), done: make(chan struct{}), ctx: ctx}
	if out == nil {
		close(r.done)
		return r
	}
	go r.forward()
	return r
}

// send queues p; it never blocks.
func (r *reporter) send(p Progress) {
	if r == nil || r.out == nil {
		return
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	if !p.Done {
		t := r.now()
		if last, ok := r.last[p.Phase]; ok && t.Sub(last) < r.throttle {
			r.mu.Unlock()
			return
		}
		r.last[p.Phase] = t
		if n := len(r.box); n > 0 && !r.box[n-1].Done {
			r.box[n-1] = p
		} else {
			r.box = append(r.box, p)
		}
	} else {
		if n := len(r.box); n > 0 && !r.box[n-1].Done && r.box[n-1].Phase == p.Phase {
			r.box[n-1] = p
		} else {
			r.box = append(r.box, p)
		}
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *reporter) forward() {
	defer close(r.done)
	for {
		r.mu.Lock()
		if len(r.box) == 0 {
			closed := r.closed
			r.mu.Unlock()
			if closed {
				return
			}
			select {
			case <-r.wake:
				continue
			case <-r.ctx.Done():
				r.drop()
				return
			}
		}
		p := r.box[0]
		r.box = r.box[1:]
		r.mu.Unlock()
		select {
		case r.out <- p:
		case <-r.ctx.Done():
			r.drop()
			return
		}
	}
}

func (r *reporter) drop() {
	r.mu.Lock()
	r.box = nil
	r.closed = true
	r.mu.Unlock()
}

// close stops accepting events and waits for the queued ones to be delivered
// (or for the context to end).
func (r *reporter) close() {
	if r == nil || r.out == nil {
		return
	}
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	<-r.done
}

// TransferClosedError says the pack stopped before its end: the server or
// the connection went away during the transfer. Percent is the share of the
// announced objects received, Bytes the bytes received.
type TransferClosedError struct {
	Percent int
	Bytes   int64
	Err     error // what reading the pack said (io.ErrUnexpectedEOF)
}

func (e *TransferClosedError) Error() string {
	return fmt.Sprintf("the server closed the connection during the transfer (%d %%, %s): retry", e.Percent, sizeText(e.Bytes))
}

func (e *TransferClosedError) Unwrap() error { return e.Err }

// sizeText is a byte count for a message: "512 KiB", "19 MiB", "1.2 GiB".
func sizeText(n int64) string {
	switch {
	case n < 1<<20:
		return fmt.Sprintf("%d KiB", n>>10)
	case n < 1<<30:
		return fmt.Sprintf("%d MiB", n>>20)
	default:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
}
