package gitops

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/crypto/ssh"
)

// Clone, fetch and check speak git's pack protocol (v0, as git-upload-pack
// does over SSH) with their own small codec rather than go-git's: go-git's
// decoders hold the ref list in maps (hundreds of bytes a ref), accept a
// newline inside a ref line, have no limits, and give no hook to tell data
// from progress for a timeout.

// uploadPack is one git-upload-pack conversation: the session, a reader over
// its stdout, the idle watchdog and what the server advertised.
type uploadPack struct {
	sess     *UploadPackSession
	closeAll func()
	fp       string // host key fingerprint
	br       *bufio.Reader
	pr       *pktReader
	dog      *watchdog
	adv      *advertisement
	// thin asks for a thin pack (a fetch, whose mirror completes it).
	thin bool
	// quiet asks the server not to report its progress (nobody watches
	// it: a fetch without a progress channel), as `git fetch --quiet` does.
	quiet bool
}

// openUploadPack dials, starts git-upload-pack and reads the ref list, all
// on one connection that later requests reuse.
func openUploadPack(ctx context.Context, o ConnectOptions) (*uploadPack, error) {
	sess, fp, closeAll, err := DialUploadPack(ctx, o)
	if err != nil {
		return nil, err
	}
	up := &uploadPack{sess: sess, closeAll: closeAll, fp: fp, dog: sess.dog}
	up.dog.setPhase(waitRefs)
	up.br = bufio.NewReaderSize(&rawReader{r: sess.Stdout, dog: sess.dog}, 64<<10)
	up.pr = newPktReader(up.br)
	adv, err := readAdvertisement(up.pr)
	if err != nil {
		err = up.fail(ctx, err)
		up.close()
		return nil, err
	}
	up.adv = adv
	return up, nil
}

// close ends the conversation and the connection.
func (up *uploadPack) close() {
	up.dog.stop()
	up.closeAll()
}

// fail explains why the conversation failed, in this order: the caller
// cancelled; the server went silent (*TimeoutError); the server went over
// a limit or broke the protocol (said at once: waiting for it to explain
// would only give it more time); what the server said on stderr or with its
// exit status; else err itself.
func (up *uploadPack) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if te := up.dog.err(); te != nil {
		return te
	}
	var le *LimitError
	var pe *ProtocolError
	if errors.As(err, &le) || errors.As(err, &pe) {
		return err
	}
	var nf *RepoNotFoundError
	if errors.As(err, &nf) {
		if nf.Path == "" {
			nf.Path = up.sess.Path
		}
		return nf
	}
	if errors.Is(err, errRemoteSide) {
		return err
	}
	f := up.sess.Failure(err)
	var tc *TransferClosedError
	if errors.As(err, &tc) {
		// The pack stopped mid-way. Unless the server explained why on
		// stderr (a typed error), the reason is only that it is gone: its
		// exit status, or the lack of one, says nothing more useful.
		var missing *ssh.ExitMissingError
		var exit *ssh.ExitError
		if f == err || errors.As(f, &missing) || errors.As(f, &exit) || errors.Is(f, io.ErrUnexpectedEOF) {
			if te := up.dog.err(); te != nil {
				return te
			}
			return tc
		}
	}
	if te := up.dog.err(); te != nil {
		return te
	}
	return f
}

// sayGoodbye ends the conversation politely: a flush-pkt tells
// upload-pack we want nothing, and it exits 0. It waits a moment for that
// exit, no more.
func (up *uploadPack) sayGoodbye() {
	if _, err := io.WriteString(up.sess.Stdin, "0000"); err != nil {
		return
	}
	up.sess.Stdin.Close()
	done := make(chan struct{})
	go func() {
		_ = up.sess.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// remoteInfo summarises the advertisement.
func (up *uploadPack) remoteInfo() *RemoteInfo {
	a := up.adv
	info := &RemoteInfo{Refs: a.refs, Warnings: a.warnings, HostKeyFingerprint: up.fp,
		Capabilities: append([]string(nil), a.caps...)}
	for i := range a.refs.Len() {
		name := a.refs.name(i)
		switch {
		case bytes.HasPrefix(name, []byte("refs/heads/")):
			info.Branches++
		case bytes.HasPrefix(name, []byte("refs/tags/")):
			info.Tags++
		}
	}
	if a.hasHead {
		info.Head = a.head.String()
	}
	info.DefaultBranch = termtext.OneLine(trimHeads(a.headBranch()))
	return info
}

func trimHeads(ref string) string {
	if len(ref) > len("refs/heads/") && ref[:len("refs/heads/")] == "refs/heads/" {
		return ref[len("refs/heads/"):]
	}
	return ""
}

// agent is sent in the request so server logs show who fetched.
const agent = "gitjira/1"

// Sideband kinds in a request.
const (
	noSideband    = 0
	sideband      = 1 // 1000-byte packets
	sideband64k   = 2
	sidebandMax   = 1000
	sideband64Max = 65520
)

// request is what the client asks for: capabilities chosen from what the
// server offers.
type request struct {
	band     int
	multiAck int // 0 none, 1 multi_ack, 2 multi_ack_detailed
}

// wantLines writes the want lines (the first with the capabilities) and the
// flush-pkt that ends them.
func (up *uploadPack) wantLines(buf *bytes.Buffer, wants []plumbing.Hash) request {
	caps := up.adv.caps
	var req request
	var c []string
	switch {
	case caps.has("multi_ack_detailed"):
		c, req.multiAck = append(c, "multi_ack_detailed"), 2
	case caps.has("multi_ack"):
		c, req.multiAck = append(c, "multi_ack"), 1
	}
	switch {
	case caps.has("side-band-64k"):
		c, req.band = append(c, "side-band-64k"), sideband64k
	case caps.has("side-band"):
		c, req.band = append(c, "side-band"), sideband
	}
	if up.quiet && caps.has("no-progress") {
		c = append(c, "no-progress")
	}
	if up.thin && caps.has("thin-pack") {
		c = append(c, "thin-pack")
	}
	if caps.has("ofs-delta") {
		c = append(c, "ofs-delta")
	}
	if caps.has("agent") {
		c = append(c, "agent="+agent)
	}
	// Not asked: include-tag (a mirror
	// wants every tag anyway), no-done (one round trip is not worth a
	// second code path).
	for i, h := range wants {
		if i == 0 {
			pktf(buf, "want %s %s\n", h, joinCaps(c))
		} else {
			pktf(buf, "want %s\n", h)
		}
	}
	buf.WriteString("0000")
	return req
}

func joinCaps(c []string) string {
	var b bytes.Buffer
	for i, s := range c {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

// pktf appends one pkt-line.
func pktf(buf *bytes.Buffer, format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	fmt.Fprintf(buf, "%04x%s", len(s)+4, s)
}

// send writes buf to the server and empties it.
func (up *uploadPack) send(buf *bytes.Buffer) error {
	if buf.Len() == 0 {
		return nil
	}
	_, err := up.sess.Stdin.Write(buf.Bytes())
	buf.Reset()
	if err != nil {
		return fmt.Errorf("sending the request: %w", err)
	}
	return nil
}

// ack is one line of the server's negotiation answer.
type ack struct {
	nak    bool
	hash   plumbing.Hash
	status string // "" (a final ACK), "common", "ready" or "continue"
}

// readAck reads one ACK or NAK line.
func (up *uploadPack) readAck() (ack, error) {
	line, flush, err := up.pr.next()
	if err != nil {
		return ack{}, err
	}
	if flush {
		return ack{}, protocolErr("an empty line where ACK or NAK was expected")
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	switch {
	case string(line) == "NAK":
		return ack{nak: true}, nil
	case bytes.HasPrefix(line, []byte("ERR ")):
		return ack{}, serverSaid(string(line[4:]))
	case bytes.HasPrefix(line, []byte("ACK ")) && len(line) >= 44:
		a := ack{status: string(bytes.TrimSpace(line[44:]))}
		if !plumbing.IsHash(string(line[4:44])) {
			break
		}
		a.hash = plumbing.NewHash(string(line[4:44]))
		switch a.status {
		case "", "common", "ready", "continue":
			return a, nil
		}
	}
	return ack{}, protocolErr("%q where ACK or NAK was expected", termtext.Truncate(termtext.OneLine(string(line)), 60))
}

// receive reads the pack that follows the negotiation into repoDir.
// A thin pack (asked for when up.thin is set) is completed from bases.
func (up *uploadPack) receive(ctx context.Context, req request, repoDir string, rep *reporter, bases baseSource) (*indexedPack, error) {
	up.dog.setPhase(waitPack)
	var packStream io.Reader = up.br
	if req.band != noSideband {
		max := sidebandMax
		if req.band == sideband64k {
			max = sideband64Max
		}
		// The sideband reader decides what counts as data: a wait lasts
		// until pack bytes arrive, whatever progress comes meanwhile.
		up.dog.rawWaits(false)
		packStream = &sidebandReader{r: up.br, max: max, dog: up.dog, progress: &progressLines{emit: func(line string) {
			if p, ok := ParseProgressLine(line); ok {
				rep.send(p)
			}
		}}}
	}
	return receiveThinPack(ctx, packStream, repoDir, rep, bases)
}

// sidebandReader demultiplexes the sideband: channel 1 is returned by Read,
// channel 2 goes to progress, channel 3 is the server's fatal message. Unlike
// go-git's sideband.Demuxer, whose Read waits until the whole buffer is
// filled, Read returns as soon as one packet's data is there, so progress
// follows the network. Each Read is one wait for the watchdog, ended only by
// pack data: progress messages and keep-alive packets do not count.
type sidebandReader struct {
	r        io.Reader
	max      int
	dog      *watchdog
	progress io.Writer
	buf      []byte
	pending  []byte
	err      error
}

func (s *sidebandReader) Read(b []byte) (int, error) {
	if len(s.pending) == 0 && s.err == nil {
		s.dog.begin()
		for len(s.pending) == 0 && s.err == nil {
			s.err = s.next()
		}
		s.dog.end()
	}
	if len(s.pending) == 0 {
		return 0, s.err
	}
	n := copy(b, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

// next reads one pkt-line; a flush-pkt ends the pack data (io.EOF).
func (s *sidebandReader) next() error {
	var hdr [4]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return eofErr(err)
	}
	n, ok := hexLen(hdr)
	if !ok {
		return protocolErr("bad pkt-line length %q in the pack stream", termtext.Sanitize(string(hdr[:])))
	}
	if n == 0 {
		return io.EOF
	}
	if n <= 4 || n > s.max {
		return protocolErr("bad sideband packet length %d", n)
	}
	if cap(s.buf) < n-4 {
		s.buf = make([]byte, s.max)
	}
	data := s.buf[:n-4]
	if _, err := io.ReadFull(s.r, data); err != nil {
		return eofErr(err)
	}
	switch data[0] {
	case 1:
		s.pending = data[1:]
	case 2:
		s.progress.Write(data[1:])
	case 3:
		return serverSaid(string(data[1:]))
	default:
		return protocolErr("unknown sideband channel %d", data[0])
	}
	return nil
}

// eofErr turns io.EOF in the middle of something into io.ErrUnexpectedEOF.
func eofErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
