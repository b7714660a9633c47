package manage

import (
	"io"
	"os"
	"sync"
)

// handoffInput shares one input between the programs Run starts one after
// the other (the screen, the wizard, the screen again).
//
// A terminal (*os.File) is given to each program as is: Bubble Tea reads it
// through a cancelable reader (epoll/select), so a program that ends stops
// reading at once. Any other reader (a pipe in tests, an SSH channel) gets
// Bubble Tea's fallback reader, which cannot interrupt a Read: the ended
// program's read goroutine stays blocked and would swallow the next
// keystroke meant for the following program. So such input is read by one
// pump goroutine here, and each program reads from a view of its own that
// release closes: the stale Read then returns io.EOF without taking anything.
type handoffInput struct {
	file *os.File // passed through when set

	chunks chan []byte // from the pump
	mu     sync.Mutex
	rest   []byte // the unread part of the last chunk
	err    error  // the pump's end (io.EOF, or the read error)
	ended  chan struct{}
}

func newHandoffInput(in io.Reader) *handoffInput {
	if f, ok := in.(*os.File); ok {
		return &handoffInput{file: f}
	}
	h := &handoffInput{chunks: make(chan []byte), ended: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := in.Read(buf)
			if n > 0 {
				c := append([]byte(nil), buf[:n]...)
				h.chunks <- c // blocks until a program's view wants it
			}
			if err != nil {
				h.mu.Lock()
				h.err = err
				h.mu.Unlock()
				close(h.ended)
				return
			}
		}
	}()
	return h
}

// next is the input for the next program.
func (h *handoffInput) next() io.Reader {
	if h.file != nil {
		return h.file
	}
	return &inputView{h: h, closed: make(chan struct{})}
}

// release ends a program's view: its blocked Read returns io.EOF.
func (h *handoffInput) release(r io.Reader) {
	if v, ok := r.(*inputView); ok {
		v.once.Do(func() { close(v.closed) })
	}
}

type inputView struct {
	h      *handoffInput
	closed chan struct{}
	once   sync.Once
}

func (v *inputView) Read(p []byte) (int, error) {
	h := v.h
	select {
	case <-v.closed:
		return 0, io.EOF
	default:
	}
	h.mu.Lock()
	if len(h.rest) > 0 {
		n := copy(p, h.rest)
		h.rest = h.rest[n:]
		h.mu.Unlock()
		return n, nil
	}
	h.mu.Unlock()
	select {
	case <-v.closed:
		return 0, io.EOF
	case c := <-h.chunks:
		n := copy(p, c)
		if n < len(c) {
			h.mu.Lock()
			h.rest = append(h.rest, c[n:]...)
			h.mu.Unlock()
		}
		return n, nil
	case <-h.ended:
		h.mu.Lock()
		err := h.err
		h.mu.Unlock()
		return 0, err
	}
}
