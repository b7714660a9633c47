package common

import "sync"

// RequestID identifies one piece of async work (a key parse, a connection
// check); its result carries it back.
type RequestID uint64

// Request is what a result answers: the id and who asked. Owner names the
// asker as the host routes it ("location", "key/paste"): the part before
// the first '/' is the screen (a wizard step's name), the rest a slot in it.
type Request struct {
	ID    RequestID
	Owner string
}

// Answers implements Reply, so a result message can embed its Request.
func (r Request) Answers() Request { return r }

// Reply is a result message of async work: it says which request it
// answers. Hosts route it to its owner when Requests.Current, and drop it
// otherwise.
type Reply interface {
	Answers() Request
}

// Requests hands out request ids and remembers the newest per owner: a new
// request, or Cancel, makes the owner's older ones stale. It is safe for
// use by commands running in other goroutines.
type Requests struct {
	mu     sync.Mutex
	next   RequestID
	latest map[string]RequestID
}

// New starts a request for owner; any earlier one of the same owner is stale.
func (r *Requests) New(owner string) Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.latest == nil {
		r.latest = map[string]RequestID{}
	}
	r.next++
	r.latest[owner] = r.next
	return Request{ID: r.next, Owner: owner}
}

// Cancel makes owner's pending request stale (the user moved on).
func (r *Requests) Cancel(owner string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.latest, owner)
}

// Current reports whether q is still its owner's newest request; a zero
// Request (work not tracked) is always current.
func (r *Requests) Current(q Request) bool {
	if q.ID == 0 {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.latest[q.Owner] == q.ID
}

// Pending reports whether owner has a request not answered or cancelled.
func (r *Requests) Pending(owner string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.latest[owner]
	return ok
}

// Done marks q answered (a later Pending is false); stale q change nothing.
func (r *Requests) Done(q Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.latest[q.Owner] == q.ID {
		delete(r.latest, q.Owner)
	}
}
