package common

import (
	"context"
	"strings"
	"sync"
)

// RequestID identifies one piece of async work (a key parse, a connection
// check); its result carries it back.
type RequestID uint64

// Request is what a result answers: the id and who asked. Owner names the
// asker as the host routes it ("location", "key/paste"): the part before
// the first '/' is the screen (a wizard step's id), the rest a slot in it.
type Request struct {
	ID    RequestID
	Owner string
}

// Answers implements Reply, so a result message can embed its Request.
func (r Request) Answers() Request { return r }

// Screen is the part of Owner before the first '/': whom the host routes to.
func (r Request) Screen() string {
	s, _, _ := strings.Cut(r.Owner, "/")
	return s
}

// Reply is a result message of async work: it says which request it
// answers. Hosts route it to its owner when Requests.Current, and drop it
// otherwise; the owner never checks.
type Reply interface {
	Answers() Request
}

// Requests hands out request ids and remembers the newest per owner: a new
// request, or Cancel, makes the owner's older ones stale (and cancels their
// context). It is safe for use by commands running in other goroutines.
type Requests struct {
	mu     sync.Mutex
	next   RequestID
	latest map[string]pending
}

type pending struct {
	id     RequestID
	cancel context.CancelFunc
}

// New starts a request for owner; any earlier one of the same owner is stale.
func (r *Requests) New(owner string) Request {
	q, _ := r.Start(context.Background(), owner)
	return q
}

// Start starts a request for owner with a context derived from parent that
// is cancelled when the request becomes stale (a newer one, Cancel): work
// that can stop early (a dial) runs with it.
func (r *Requests) Start(parent context.Context, owner string) (Request, context.Context) {
	ctx, cancel := context.WithCancel(parent)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.latest == nil {
		r.latest = map[string]pending{}
	}
	if p, ok := r.latest[owner]; ok {
		p.cancel()
	}
	r.next++
	r.latest[owner] = pending{id: r.next, cancel: cancel}
	return Request{ID: r.next, Owner: owner}, ctx
}

// Cancel makes owner's pending request stale and cancels its context; with
// a screen's name it cancels the screen's slots too ("key" cancels
// "key/paste"): what a host does when the user leaves the screen.
func (r *Requests) Cancel(owner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for o, p := range r.latest {
		if o == owner || strings.HasPrefix(o, owner+"/") {
			p.cancel()
			delete(r.latest, o)
		}
	}
}

// Current reports whether q is still its owner's newest request; a zero
// Request (work not tracked) is always current.
func (r *Requests) Current(q Request) bool {
	if q.ID == 0 {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.latest[q.Owner].id == q.ID
}

// Pending reports whether owner has a request not answered or cancelled.
func (r *Requests) Pending(owner string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.latest[owner]
	return ok
}

// Done marks q answered: Pending is false after it (a stale q changes
// nothing). Work that answers in several messages (progress) calls it
// with the last.
func (r *Requests) Done(q Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.latest[q.Owner]; ok && p.id == q.ID {
		p.cancel()
		delete(r.latest, q.Owner)
	}
}
