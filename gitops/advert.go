package gitops

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/go-git/go-git/v5/plumbing"
)

// Limits on what a server may send. They are far above what real
// repositories need (the biggest public ones have a few hundred thousand
// refs: kafka with all pull-request refs has 23k, chromium about 1.5M
// review refs would need the limit raised) and keep a hostile or broken
// server from growing memory without end: the ref list is held in memory
// (about 28 bytes a ref plus the name, see RefList), so these bound it at
// about 150-250 MiB.
const (
	// MaxRefs is the most refs (including peeled "^{}" lines) a ref
	// advertisement may list.
	MaxRefs = 2_000_000
	// MaxRefListBytes is the most bytes a ref advertisement may take.
	MaxRefListBytes = 256 << 20
	// maxPktLine is git's LARGE_PACKET_MAX: a pkt-line's length, header included.
	maxPktLine = 65520
	// maxServerText bounds the server's error text kept for messages
	// (sideband channel 3, ERR lines); stderr is capped separately.
	maxServerText = 300
	// maxWarnings bounds the warnings listed about skipped refs; the rest
	// are counted.
	maxWarnings = 10
)

// LimitError means the server sent more than gitjira accepts; the
// connection was closed. Its message names the limit.
type LimitError struct {
	What  string // what went over: "refs", "ref list size", "pkt-line length"
	Limit string // the limit, e.g. "2000000 refs", "256 MiB"
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the server sent more than %s (gitjira's limit on the %s): refusing it; check the repository on the server", e.Limit, e.What)
}

// ProtocolError means the server broke the git protocol, or sent something
// gitjira refuses to write into a mirror (a HEAD that points outside
// refs/heads/, for instance).
type ProtocolError struct {
	Detail string // what was wrong, on one line and terminal-safe
}

func (e *ProtocolError) Error() string {
	return "the server broke the git protocol: " + e.Detail + ": check that the URL points at a git server"
}

func protocolErr(format string, a ...any) error {
	return &ProtocolError{Detail: fmt.Sprintf(format, a...)}
}

// pktReader reads pkt-lines (git's protocol framing: four hex digits of
// length, then the payload) with git's size limit.
type pktReader struct {
	br    *bufio.Reader
	buf   []byte
	total int64 // bytes read so far
	lines int
}

func newPktReader(br *bufio.Reader) *pktReader {
	return &pktReader{br: br, buf: make([]byte, maxPktLine)}
}

// next returns the next payload (valid until the next call) or flush = true
// for a flush-pkt ("0000").
func (p *pktReader) next() (payload []byte, flush bool, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.br, hdr[:]); err != nil {
		if p.total == 0 && errors.Is(err, io.EOF) {
			return nil, false, io.EOF
		}
		return nil, false, eofErr(err)
	}
	n, ok := hexLen(hdr)
	if !ok {
		return nil, false, protocolErr("bad pkt-line length %q", termtext.Sanitize(string(hdr[:])))
	}
	p.total += 4
	p.lines++
	switch {
	case n == 0:
		return nil, true, nil
	case n < 4:
		// 0001 and 0002 are protocol v2's delimiters; v0 has none.
		return nil, false, protocolErr("unexpected pkt-line %q", string(hdr[:]))
	case n > maxPktLine:
		return nil, false, &LimitError{What: "pkt-line length", Limit: fmt.Sprintf("%d bytes in a pkt-line", maxPktLine)}
	}
	data := p.buf[:n-4]
	if _, err := io.ReadFull(p.br, data); err != nil {
		return nil, false, eofErr(err)
	}
	p.total += int64(len(data))
	return data, false, nil
}

func hexLen(hdr [4]byte) (int, bool) {
	n := 0
	for _, c := range hdr {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int(v)
	}
	return n, true
}

// capList is the capabilities the server listed on its first ref line.
type capList []string

func parseCaps(b []byte) capList {
	return capList(strings.Fields(string(b)))
}

// has reports whether the capability name is listed (alone or as name=value).
func (c capList) has(name string) bool {
	for _, s := range c {
		if s == name || strings.HasPrefix(s, name+"=") {
			return true
		}
	}
	return false
}

// values returns the values of every name=value capability.
func (c capList) values(name string) []string {
	var v []string
	for _, s := range c {
		if val, ok := strings.CutPrefix(s, name+"="); ok {
			v = append(v, val)
		}
	}
	return v
}

// advertisement is what git-upload-pack lists before the negotiation
// (protocol v0/v1, pack-protocol.txt "Reference Discovery").
type advertisement struct {
	refs       *RefList // refs/* with valid names
	head       plumbing.Hash
	hasHead    bool
	headTarget string // where HEAD points (symref=HEAD:...), validated; "" when not said
	caps       capList
	warnings   []string // about skipped refs, at most maxWarnings
	skipped    int      // refs skipped in all
}

// readAdvertisement reads the ref advertisement up to its flush-pkt.
//
// Every ref name is checked with CheckRefName: a bad one is skipped, with a
// warning, so a server with one odd ref can still be mirrored (git itself
// would fail on it later: "fatal: packed refname is dangerous"). A HEAD that
// points at a bad name refuses the whole advertisement, since HEAD is
// written into the mirror. Names are data, never text: a newline or NUL
// inside a line belongs to the name it is in (and makes it invalid), so a
// line can never inject a second ref. The count, the size and each pkt-line
// are limited (MaxRefs, MaxRefListBytes, 65520).
func readAdvertisement(pr *pktReader) (*advertisement, error) {
	adv := &advertisement{refs: newRefList()}
	first := true
	for {
		line, flush, err := pr.next()
		if err != nil {
			if first && errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("the server closed the connection without listing refs: %w", io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		if pr.total > MaxRefListBytes {
			return nil, &LimitError{What: "ref list size", Limit: fmt.Sprintf("%d MiB of refs", MaxRefListBytes>>20)}
		}
		if flush {
			break
		}
		if pr.lines > MaxRefs+1 {
			return nil, &LimitError{What: "number of refs", Limit: fmt.Sprintf("%d refs", MaxRefs)}
		}
		line = bytes.TrimSuffix(line, []byte("\n")) // one LF ends a line; any other is data
		if msg, ok := bytes.CutPrefix(line, []byte("ERR ")); ok {
			return nil, serverSaid(string(msg))
		}
		if first && bytes.HasPrefix(line, []byte("version ")) {
			if string(line) != "version 1" {
				return nil, protocolErr("it answered with git protocol %s, which gitjira does not speak", termtext.Field(string(line[8:]), 20))
			}
			continue // protocol v1 is v0 with this line first
		}
		if bytes.HasPrefix(line, []byte("shallow ")) {
			continue // a shallow repository on the server: nothing to record
		}
		if len(line) < 42 || line[40] != ' ' {
			return nil, protocolErr("pkt-line %d is not \"<object id> <ref name>\"", pr.lines)
		}
		var h plumbing.Hash
		if _, err := hex.Decode(h[:], line[:40]); err != nil {
			return nil, protocolErr("pkt-line %d has a bad object id", pr.lines)
		}
		name := line[41:]
		if first {
			first = false
			if i := bytes.IndexByte(name, 0); i >= 0 {
				adv.caps = parseCaps(name[i+1:])
				name = name[:i]
			}
			if err := adv.checkCaps(); err != nil {
				return nil, err
			}
			if h.IsZero() && string(name) == "capabilities^{}" {
				continue // an empty repository: capabilities only
			}
		}
		adv.addRef(name, h)
	}
	if first {
		// No line at all: git lists nothing for an empty repository when
		// it has no capabilities to say (go-git's server does this).
		return adv, nil
	}
	if dropped, n := adv.refs.finish(maxWarnings); n > 0 {
		for _, name := range dropped {
			adv.warn(name, "is listed more than once (the first value was kept)")
		}
		adv.skipped += n - len(dropped)
	}
	if adv.skipped > 0 && len(adv.warnings) > 0 {
		adv.warnings = append(adv.warnings, fmt.Sprintf("%d more refs skipped", adv.skipped))
	}
	return adv, nil
}

// checkCaps validates what the capabilities say about HEAD and the object format.
func (a *advertisement) checkCaps() error {
	for _, f := range a.caps.values("object-format") {
		if f != "sha1" {
			return protocolErr("the repository uses object format %q; gitjira reads SHA-1 repositories only", termtext.Field(f, 20))
		}
	}
	for _, v := range a.caps.values("symref") {
		src, dst, ok := strings.Cut(v, ":")
		if !ok || src != "HEAD" {
			continue
		}
		if err := checkHeadTarget(dst); err != nil {
			return protocolErr("its HEAD points at %s, which %v; gitjira refuses to write that into a mirror", quoteName(dst), err)
		}
		a.headTarget = dst
	}
	return nil
}

// addRef records one advertised ref, skipping (with a warning) what cannot
// be written into a mirror.
func (a *advertisement) addRef(name []byte, h plumbing.Hash) {
	if base, ok := bytes.CutSuffix(name, []byte("^{}")); ok {
		// The peeled value of the tag just before (git lists it right after
		// the tag); anything else is ignored.
		if last := a.refs.lastName(); last != nil && bytes.Equal(last, base) {
			a.refs.addPeeled(h)
		}
		return
	}
	if string(name) == "HEAD" {
		if !a.hasHead {
			a.head, a.hasHead = h, true
		}
		return
	}
	if len(name) > maxRefNameLen {
		a.warn(string(name[:100]), "is longer than 65535 bytes")
		return
	}
	if err := CheckRefName(string(name)); err != nil {
		a.warn(string(name), err.Error())
		return
	}
	a.refs.add(name, h)
}

func (a *advertisement) warn(name, reason string) {
	if len(a.warnings) < maxWarnings {
		a.warnings = append(a.warnings, fmt.Sprintf("skipped ref %s: its name %s", quoteName(name), reason))
		return
	}
	a.skipped++
}

// quoteName shows a ref name from a server in a message: shortened, quoted,
// control characters and invalid UTF-8 escaped (so an escape sequence in it
// is shown, never interpreted).
func quoteName(name string) string {
	return fmt.Sprintf("%+q", termtext.Truncate(strings.ToValidUTF8(name, "\uFFFD"), 80))
}

// headBranch returns the full name of the branch HEAD points to: the
// symref when the server said it, else a branch at HEAD's commit (main,
// then master, then the first by name), as git does; "" when unknown.
func (a *advertisement) headBranch() string {
	if a.headTarget != "" {
		return a.headTarget
	}
	if !a.hasHead {
		return ""
	}
	first := ""
	i, _ := a.refs.find("refs/heads/")
	for ; i < a.refs.Len(); i++ {
		name := a.refs.name(i)
		if !bytes.HasPrefix(name, []byte("refs/heads/")) {
			break
		}
		if a.refs.hash(i) != a.head {
			continue
		}
		switch string(name) {
		case "refs/heads/main":
			return "refs/heads/main"
		case "refs/heads/master":
			first = "refs/heads/master"
		default:
			if first == "" {
				first = string(name)
			}
		}
	}
	return first
}

// serverSaid turns a message the server sent as an error (an ERR line, or
// sideband channel 3) into an error: a missing repository is recognised as
// such; the text is made terminal-safe and short.
func serverSaid(msg string) error {
	text := termtext.Field(msg, maxServerText)
	lower := strings.ToLower(text)
	for _, p := range notFoundPhrases {
		if strings.Contains(lower, p) {
			return &RepoNotFoundError{Detail: text}
		}
	}
	return fmt.Errorf("%w: %s", errRemoteSide, text)
}
