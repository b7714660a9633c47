package gitops

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
)

// Clone and fetch speak git's pack protocol (v0, as git-upload-pack does over
// SSH) with go-git's plumbing, rather than calling go-git's Clone: go-git
// reports no client-side progress, ignores ctx while dialling, and indexes
// packs slowly (see pack.go).

// CloneOptions says what to clone and where.
type CloneOptions struct {
	ConnectOptions
	// Dir is the path of the bare mirror to create. It must not exist; its
	// parent directories are created when missing.
	Dir string
	// Progress receives progress events when not nil. Clone never blocks on
	// it: an intermediate event the receiver is not ready for is replaced by
	// a newer one, while the last event of each phase (Done) is always
	// delivered, in order. Before returning, Clone waits until the queued
	// events are delivered or ctx is done. Clone does not close the channel.
	Progress chan<- Progress
}

// CloneResult describes a finished clone.
type CloneResult struct {
	Dir                string
	DefaultBranch      string // branch name HEAD points to, e.g. "main"; "" for an empty repository
	Head               string // commit HEAD resolves to; "" for an empty repository
	Commits            int    // commits in the mirror (equal to `git rev-list --all --count`)
	Refs               int    // refs written (branches, tags and other refs/*)
	Objects            int    // objects received
	PackBytes          int64  // size of the received pack
	HostKeyFingerprint string
}

// FetchResult describes a finished fetch.
type FetchResult struct {
	// Updated maps each changed ref to its old and new object ids; the old id
	// is "" for a new ref, the new id is "" for a ref deleted on the server.
	Updated            map[string][2]string
	Objects            int // objects received
	HostKeyFingerprint string
}

// Sentinel errors of clone and fetch.
var (
	ErrDirExists  = errors.New("directory already exists")
	ErrNotMirror  = errors.New("not a bare git repository")
	ErrNoDir      = errors.New("no directory given for the mirror")
	errRemoteSide = errors.New("the server reported an error")
)

// DirExistsError is returned when the clone target already exists; the
// existing directory is left untouched.
type DirExistsError struct{ Dir string }

func (e *DirExistsError) Error() string {
	return fmt.Sprintf("%s already exists: choose another name or remove it first", e.Dir)
}

func (e *DirExistsError) Unwrap() error { return ErrDirExists }

// Clone creates a bare mirror of the remote repository at o.Dir: every ref
// under refs/ as the server advertises it, and HEAD. The pack is received
// into a sibling directory o.Dir+".partial-<random>" that is renamed to
// o.Dir at the end, so on any failure or cancel exactly what Clone created is
// removed and a directory that existed before is never touched.
func Clone(ctx context.Context, o CloneOptions) (res *CloneResult, err error) {
	if o.Dir == "" {
		return nil, ErrNoDir
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(dir); err == nil {
		return nil, &DirExistsError{Dir: o.Dir}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := o.ConnectOptions.Validate(); err != nil {
		return nil, err
	}
	rep := newReporter(ctx, o.Progress)
	defer rep.close()

	// Create missing parents, and remember the topmost one to remove on failure.
	createdTop, err := mkdirParents(filepath.Dir(dir))
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".partial-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			removeCreatedParents(filepath.Dir(dir), createdTop)
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
		}
	}()

	rep.send(Progress{Phase: PhaseConnecting})
	sess, fp, closeAll, err := DialUploadPack(ctx, o.ConnectOptions)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	rep.send(Progress{Phase: PhaseConnecting, Done: true})

	r, err := cloneStream(ctx, tmp, sess.Stdin, sess.Stdout, rep, o.Endpoint.String())
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, sess.Failure(err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Rename refuses a non-empty target but would replace an empty directory
	// created since the check above; check again to never touch one.
	if _, err := os.Lstat(dir); err == nil {
		return nil, &DirExistsError{Dir: o.Dir}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	r.Dir = dir
	r.HostKeyFingerprint = fp
	rep.send(Progress{Phase: PhaseDone, Done: true})
	return r, nil
}

// mkdirParents creates dir and its missing parents and returns the topmost
// directory it created ("" when dir existed).
func mkdirParents(dir string) (string, error) {
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		top = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if top == "" {
		return "", nil
	}
	return top, os.MkdirAll(dir, 0o755)
}

// removeCreatedParents removes the directories from dir up to top that
// mkdirParents created, only while they are empty: another clone may have
// started in one of them meanwhile.
func removeCreatedParents(dir, top string) {
	if top == "" {
		return
	}
	for d := dir; ; d = filepath.Dir(d) {
		if os.Remove(d) != nil || d == top || filepath.Dir(d) == d {
			return
		}
	}
}

// remoteState is what the server advertised.
type remoteState struct {
	adv  *packp.AdvRefs
	refs map[string]plumbing.Hash // refs/* only, peeled entries excluded
	head string                   // full ref name HEAD points to, "" when unknown
}

func readAdvertisement(br *bufio.Reader) (*remoteState, error) {
	adv := packp.NewAdvRefs()
	if err := adv.Decode(br); err != nil {
		if errors.Is(err, packp.ErrEmptyAdvRefs) {
			// git upload-pack (protocol v0) lists nothing at all, not even
			// capabilities, for a repository without refs.
			return &remoteState{adv: packp.NewAdvRefs(), refs: map[string]plumbing.Hash{}}, nil
		}
		if errors.Is(err, packp.ErrEmptyInput) {
			return nil, fmt.Errorf("the server closed the connection without listing refs: %w", err)
		}
		return nil, fmt.Errorf("reading the server's refs: %w", err)
	}
	st := &remoteState{adv: adv, refs: map[string]plumbing.Hash{}}
	for name, h := range adv.References {
		// Mirror semantic: everything under refs/, like `git clone --mirror`.
		// Peeled "^{}" entries are in adv.Peeled, not here.
		if strings.HasPrefix(name, "refs/") && !strings.HasSuffix(name, "^{}") {
			st.refs[name] = h
		}
	}
	for _, v := range adv.Capabilities.Get(capability.SymRef) {
		if from, to, ok := strings.Cut(v, ":"); ok && from == "HEAD" {
			st.head = to
		}
	}
	if st.head == "" && adv.Head != nil {
		// No symref capability: pick the branch HEAD's commit is on, preferring main/master.
		var names []string
		for name, h := range st.refs {
			if h == *adv.Head && strings.HasPrefix(name, "refs/heads/") {
				names = append(names, name)
			}
		}
		sort.Slice(names, func(i, j int) bool {
			return branchRank(names[i]) < branchRank(names[j]) || (branchRank(names[i]) == branchRank(names[j]) && names[i] < names[j])
		})
		if len(names) > 0 {
			st.head = names[0]
		}
	}
	return st, nil
}

func branchRank(name string) int {
	switch name {
	case "refs/heads/main":
		return 0
	case "refs/heads/master":
		return 1
	}
	return 2
}

// agent is sent in the request so server logs show who fetched.
const agent = "gitjira/1"

// sendRequest writes the upload-pack request: wants, capabilities, haves,
// done. With no wants it only ends the conversation (a flush-pkt). It
// returns which sideband, if any, the response uses.
func sendRequest(w io.WriteCloser, st *remoteState, wants, haves []plumbing.Hash) (sideband.Type, error) {
	var buf bytes.Buffer
	band := sideband.Type(0)
	if len(wants) == 0 {
		pktline.NewEncoder(&buf).Flush()
	} else {
		req := packp.NewUploadPackRequest()
		req.Wants = wants
		caps := st.adv.Capabilities
		if caps.Supports(capability.OFSDelta) {
			req.Capabilities.Set(capability.OFSDelta)
		}
		if caps.Supports(capability.Sideband64k) {
			req.Capabilities.Set(capability.Sideband64k)
			band = sideband.Sideband64k
		} else if caps.Supports(capability.Sideband) {
			req.Capabilities.Set(capability.Sideband)
			band = sideband.Sideband
		}
		if caps.Supports(capability.Agent) {
			req.Capabilities.Set(capability.Agent, agent)
		}
		// Not requested: thin-pack (a mirror has no bases outside the pack on
		// clone, and we index without completing thin packs), no-progress
		// (we show the server's phases), multi_ack (all haves go in one round).
		if err := req.UploadRequest.Encode(&buf); err != nil {
			return 0, err
		}
		e := pktline.NewEncoder(&buf)
		plumbing.HashesSort(haves)
		for i, h := range haves {
			if i > 0 && h == haves[i-1] {
				continue
			}
			e.Encodef("have %s\n", h)
		}
		e.Encodef("done\n")
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return 0, fmt.Errorf("sending the request: %w", err)
	}
	// Closing stdin tells upload-pack the request is complete.
	w.Close()
	return band, nil
}

// receiveResponse reads the ACK/NAK lines and the pack, demultiplexing the
// sideband: channel 2 feeds server phase progress, channel 3 is a fatal
// server message.
func receiveResponse(ctx context.Context, br *bufio.Reader, band sideband.Type, repoDir string, rep *reporter) (*indexedPack, error) {
	var resp packp.ServerResponse
	if err := resp.Decode(br, false); err != nil {
		return nil, fmt.Errorf("reading the server's response: %w", err)
	}
	var packStream io.Reader = br
	if band != 0 {
		packStream = &sidebandReader{r: br, max: bandMax(band), progress: &progressLines{emit: func(line string) {
			if p, ok := ParseProgressLine(line); ok {
				rep.send(p)
			}
		}}}
	}
	return receivePack(ctx, packStream, repoDir, rep)
}

func bandMax(t sideband.Type) int {
	if t == sideband.Sideband64k {
		return sideband.MaxPackedSize64k
	}
	return sideband.MaxPackedSize
}

// sidebandReader demultiplexes the sideband: channel 1 is returned by Read,
// channel 2 goes to progress, channel 3 is the server's fatal message. Unlike
// go-git's sideband.Demuxer, whose Read waits until the whole buffer is
// filled, Read returns as soon as one packet's data is there, so progress
// follows the network.
type sidebandReader struct {
	r        io.Reader
	max      int
	progress io.Writer
	buf      []byte
	pending  []byte
	err      error
}

func (s *sidebandReader) Read(b []byte) (int, error) {
	for len(s.pending) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		s.err = s.next()
	}
	n := copy(b, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

// next reads one pkt-line; a flush-pkt ends the pack data (io.EOF).
func (s *sidebandReader) next() error {
	var hdr [4]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
		return unexpectedEOF(err)
	}
	var n int
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
			return fmt.Errorf("%w: bad pkt-line length %q", errPackFormat, hdr[:])
		}
		n = n<<4 | int(v)
	}
	if n == 0 {
		return io.EOF
	}
	if n <= 4 || n-4 > s.max {
		return fmt.Errorf("%w: bad sideband packet length %d", errPackFormat, n)
	}
	if cap(s.buf) < n-4 {
		s.buf = make([]byte, s.max)
	}
	data := s.buf[:n-4]
	if _, err := io.ReadFull(s.r, data); err != nil {
		return unexpectedEOF(err)
	}
	switch data[0] {
	case 1:
		s.pending = data[1:]
	case 2:
		s.progress.Write(data[1:])
	case 3:
		return fmt.Errorf("%w: %s", errRemoteSide, strings.TrimSpace(string(data[1:])))
	default:
		return fmt.Errorf("%w: unknown sideband channel %d", errPackFormat, data[0])
	}
	return nil
}

// cloneStream runs the protocol on an open upload-pack stream and writes a
// bare repository into dir (which exists and is empty).
func cloneStream(ctx context.Context, dir string, w io.WriteCloser, r io.Reader, rep *reporter, url string) (*CloneResult, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	st, err := readAdvertisement(br)
	if err != nil {
		return nil, err
	}
	wantSet := map[plumbing.Hash]bool{}
	var wants []plumbing.Hash
	for _, h := range st.refs {
		if !wantSet[h] {
			wantSet[h] = true
			wants = append(wants, h)
		}
	}
	if err := initBare(dir, url); err != nil {
		return nil, err
	}
	band, err := sendRequest(w, st, wants, nil)
	if err != nil {
		return nil, err
	}
	pack := &indexedPack{}
	if len(wants) > 0 {
		if pack, err = receiveResponse(ctx, br, band, dir, rep); err != nil {
			return nil, err
		}
		if err := checkTips(pack, wants, nil); err != nil {
			return nil, err
		}
	}
	rep.send(Progress{Phase: PhaseUpdatingRef, Total: int64(len(st.refs))})
	head := st.head
	if head == "" {
		head = "refs/heads/main"
	}
	if err := writeRefs(dir, st.refs, st.adv.Peeled, len(st.adv.Peeled) > 0 || st.adv.Capabilities.Supports(capability.Sideband64k)); err != nil {
		return nil, err
	}
	if err := writeHEAD(dir, head); err != nil {
		return nil, err
	}
	rep.send(Progress{Phase: PhaseUpdatingRef, Current: int64(len(st.refs)), Total: int64(len(st.refs)), Done: true})
	res := &CloneResult{Refs: len(st.refs), Commits: pack.Commits, Objects: pack.Objects, PackBytes: pack.Bytes}
	if h, ok := st.refs[head]; ok {
		res.DefaultBranch = strings.TrimPrefix(head, "refs/heads/")
		res.Head = h.String()
	}
	return res, nil
}

// checkTips makes sure every wanted ref tip arrived (or, for a fetch, was
// there already): a server that sends an incomplete pack must not leave refs
// pointing at nothing. (A full connectivity check, as `git clone` runs after
// index-pack, would walk every commit and tree; this is the cheap part.)
func checkTips(pack *indexedPack, wants []plumbing.Hash, local func(plumbing.Hash) bool) error {
	for _, h := range wants {
		if !pack.Has(h) && (local == nil || !local(h)) {
			return fmt.Errorf("%w: it lacks %s, the tip of a ref it advertised", errPackFormat, h)
		}
	}
	return nil
}

// initBare lays out an empty bare repository as `git init --bare` does,
// with the mirror's remote in its config.
func initBare(dir, url string) error {
	for _, d := range []string{"objects/pack", "objects/info", "refs/heads", "refs/tags", "info"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	cfg := "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
	if url != "" {
		cfg += fmt.Sprintf("[remote \"origin\"]\n\turl = %s\n\tfetch = +refs/*:refs/*\n\tmirror = true\n", url)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "description"), []byte("gitjira mirror\n"), 0o644); err != nil {
		return err
	}
	return writeHEAD(dir, "refs/heads/main")
}

func writeHEAD(dir, target string) error {
	return writeFileAtomic(filepath.Join(dir, "HEAD"), []byte("ref: "+target+"\n"))
}

// writeRefs writes all refs to packed-refs (sorted, with peeled values when
// the server gave them), through packed-refs.lock as git does, and removes
// loose ref files that would shadow the packed values.
func writeRefs(dir string, refs map[string]plumbing.Hash, peeled map[string]plumbing.Hash, fullyPeeled bool) error {
	names := make([]string, 0, len(refs))
	for n := range refs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	if fullyPeeled {
		b.WriteString("# pack-refs with: peeled fully-peeled sorted \n")
	} else {
		b.WriteString("# pack-refs with: sorted \n")
	}
	for _, n := range names {
		fmt.Fprintf(&b, "%s %s\n", refs[n], n)
		if p, ok := peeled[n]; ok && fullyPeeled {
			fmt.Fprintf(&b, "^%s\n", p)
		}
	}
	lock := filepath.Join(dir, "packed-refs.lock")
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists: another git process is updating this mirror; retry, or remove the file if none is running", lock)
		}
		return err
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		os.Remove(lock)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(lock)
		return err
	}
	if err := os.Rename(lock, filepath.Join(dir, "packed-refs")); err != nil {
		os.Remove(lock)
		return err
	}
	return removeLooseRefs(dir)
}

// removeLooseRefs deletes loose ref files (packed-refs now has every ref)
// and the empty directories under refs/ except refs/heads and refs/tags.
func removeLooseRefs(dir string) error {
	root := filepath.Join(dir, "refs")
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		return os.Remove(p)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		switch rel, _ := filepath.Rel(root, dirs[i]); rel {
		case ".", "heads", "tags":
			continue
		}
		os.Remove(dirs[i]) // only succeeds when empty
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp-" + randomHex(4)
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return fmt.Sprint(time.Now().UnixNano())
	}
	return hex.EncodeToString(b)
}
