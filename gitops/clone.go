package gitops

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/go-git/go-git/v5/plumbing"
)

// Clone and fetch speak git's pack protocol themselves (protocol.go) rather
// than calling go-git's Clone: go-git reports no client-side progress,
// ignores ctx while dialling, has no timeouts or limits, and indexes packs
// slowly (see pack.go).

// CloneOptions says what to clone and where.
type CloneOptions struct {
	ConnectOptions
	// Dir is the path of the bare mirror to create. It must not exist; its
	// missing parent directories are created (0700).
	Dir string
	// Progress receives progress events when not nil. Clone never blocks on
	// it: an intermediate event the receiver is not ready for is replaced by
	// a newer one, while the last event of each phase (Done) is always
	// delivered, in order. Before returning, Clone waits until the queued
	// events are delivered or ctx is done. Clone does not close the channel.
	Progress chan<- Progress
	// OnRemote, when set, is called with what the server advertised
	// (default branch, counts, host key) once the ref list is read and
	// before anything is downloaded; an error from it stops the clone and
	// is returned as is. It lets a caller show or check the repository
	// without a separate Check, which would list the refs a second time.
	OnRemote func(*RemoteInfo) error
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
	// Warnings say which advertised refs were not mirrored and why (names
	// git refuses); terminal-safe.
	Warnings []string
	// Remote is what the server advertised, as Check returns it.
	Remote *RemoteInfo
}

// FetchResult describes a finished fetch.
type FetchResult struct {
	// Updated maps each changed ref to its old and new object ids; the old id
	// is "" for a new ref, the new id is "" for a ref deleted on the server.
	// Names are valid ref names (CheckRefName), sanitised with termtext.
	Updated map[string][2]string
	Objects int // objects received
	// PackBytes is the size of the pack the server sent; ThinBases how
	// many objects the mirror added to complete it (a thin pack).
	PackBytes          int64
	ThinBases          int
	HostKeyFingerprint string
	// Haves is how many commits the negotiation told the server about.
	Haves int
	// Warnings say which advertised refs were not mirrored and why.
	Warnings []string
	// Consolidated is set when the fetch consolidated the mirror's packs
	// (more than AutoPackLimit).
	Consolidated *ConsolidateResult
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

// partialSuffix names the sibling directory a clone is received into.
const partialSuffix = ".partial-"

// Clone creates a bare mirror of the remote repository at o.Dir: every ref
// under refs/ as the server advertises it (refs whose names git refuses are
// skipped, see CloneResult.Warnings), and HEAD. The pack is received into a
// sibling directory o.Dir+".partial-<random>" that is renamed to o.Dir at
// the end, so on any failure or cancel exactly what Clone created is removed
// and a directory that existed before is never touched. (A clone killed
// outright leaves its .partial- directory: RemovePartialClones removes it.)
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
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+partialSuffix)
	if err != nil {
		removeCreatedParents(filepath.Dir(dir), createdTop)
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
	up, err := openUploadPack(ctx, o.ConnectOptions)
	if err != nil {
		return nil, err
	}
	defer up.close()
	rep.send(Progress{Phase: PhaseConnecting, Done: true})
	info := up.remoteInfo()
	if o.OnRemote != nil {
		if err := o.OnRemote(info); err != nil {
			return nil, err
		}
	}

	r, err := cloneInto(ctx, up, tmp, rep, o.Endpoint.String())
	if err != nil {
		return nil, err
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
	_ = fsatomic.SyncDir(filepath.Dir(dir))
	r.Dir = dir
	r.HostKeyFingerprint = up.fp
	r.Remote = info
	r.Warnings = info.Warnings
	rep.send(Progress{Phase: PhaseDone, Done: true})
	return r, nil
}

// RemovePartialClones removes the "<dir>.partial-*" directories that clones
// of dir killed outright (power loss, SIGKILL) left beside it. Call it only
// when no clone of dir can be running, e.g. under the caller's lock for the
// repository name.
func RemovePartialClones(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	var first error
	prefix := filepath.Base(dir) + partialSuffix
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
			if err := os.RemoveAll(filepath.Join(filepath.Dir(dir), e.Name())); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// mkdirParents creates dir and its missing parents (0700) and returns the
// topmost directory it created ("" when dir existed).
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
	return top, os.MkdirAll(dir, fsatomic.DirMode)
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

// wantBatch is how many request bytes are buffered before they are sent:
// a million wants are streamed, not built in memory.
const wantBatch = 64 << 10

// writeWants sends the want lines and the flush-pkt after them, streaming
// when there are many.
func (up *uploadPack) writeWants(buf *bytes.Buffer, wants []plumbing.Hash) (request, error) {
	req := up.wantLines(buf, wants[:1])
	buf.Truncate(buf.Len() - 4) // the flush-pkt, written after the rest
	for _, h := range wants[1:] {
		pktf(buf, "want %s\n", h)
		if buf.Len() >= wantBatch {
			if err := up.send(buf); err != nil {
				return req, err
			}
		}
	}
	buf.WriteString("0000")
	return req, nil
}

// distinctHashes returns the sorted, distinct object ids of the refs at
// the positions keep says yes to (all when keep is nil).
func distinctHashes(refs *RefList, keep func(i int) bool) []plumbing.Hash {
	var hs []plumbing.Hash
	for i := range refs.Len() {
		if keep == nil || keep(i) {
			hs = append(hs, refs.hash(i))
		}
	}
	slices.SortFunc(hs, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(hs)
}

// cloneInto asks for every advertised ref and writes a bare repository
// into dir (which exists and is empty).
func cloneInto(ctx context.Context, up *uploadPack, dir string, rep *reporter, url string) (*CloneResult, error) {
	adv := up.adv
	wants := distinctHashes(adv.refs, nil)
	if err := initBare(dir, url); err != nil {
		return nil, err
	}
	pack := &indexedPack{}
	if len(wants) == 0 {
		up.sayGoodbye()
	} else {
		var buf bytes.Buffer
		req, err := up.writeWants(&buf, wants)
		if err != nil {
			return nil, up.fail(ctx, err)
		}
		up.dog.setPhase(waitNegotiation)
		if err := up.negotiate(ctx, &buf, req, newNegotiator(nil)); err != nil {
			return nil, up.fail(ctx, err)
		}
		up.sess.Stdin.Close() // the request is complete
		if pack, err = up.receive(ctx, req, dir, rep, nil); err != nil {
			return nil, up.fail(ctx, err)
		}
		up.dog.stop() // all data is in; indexing is our own time
		if err := checkTips(pack, wants, nil); err != nil {
			return nil, err
		}
	}
	refs := adv.refs
	rep.send(Progress{Phase: PhaseUpdatingRef, Total: int64(refs.Len())})
	head := adv.headBranch()
	if head == "" {
		head = "refs/heads/main"
	}
	if err := writeRefs(dir, refs, peeledIn(adv, pack.Has)); err != nil {
		return nil, err
	}
	if err := writeHEAD(dir, head); err != nil {
		return nil, err
	}
	if err := privateDirs(dir); err != nil {
		return nil, err
	}
	rep.send(Progress{Phase: PhaseUpdatingRef, Current: int64(refs.Len()), Total: int64(refs.Len()), Done: true})
	res := &CloneResult{Refs: refs.Len(), Commits: pack.Commits, Objects: pack.Objects, PackBytes: pack.Bytes}
	if i, ok := refs.find(head); ok {
		res.DefaultBranch = termtext.OneLine(trimHeads(head))
		res.Head = refs.ID(i)
	}
	return res, nil
}

// peeledIn decides whether the advertised peeled values ("^{}": what each
// annotated tag points at) go into packed-refs: only when the mirror has
// every object they name. git trusts a "fully-peeled" packed-refs, so a
// server must not be able to plant values there that git would show
// instead of the tag's real target; without them git peels tags itself.
// It returns nil for "write none".
func peeledIn(adv *advertisement, has func(plumbing.Hash) bool) *RefList {
	refs := adv.refs
	if len(refs.peeled) == 0 && !adv.caps.has("side-band-64k") {
		return nil // not git's upload-pack: its list may not be complete
	}
	for _, p := range refs.peeled {
		if !has(p.hash) {
			return nil
		}
	}
	return refs
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

// privateDirs makes every directory under root 0700, whichever code made
// it: a mirror's file names (refs, repository layout) are nobody else's
// business. A mirror has a handful of directories.
func privateDirs(root string) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if fi, err := d.Info(); err == nil && fi.Mode().Perm() != fsatomic.DirMode {
			return os.Chmod(p, fsatomic.DirMode)
		}
		return nil
	})
}

// initBare lays out an empty bare repository as `git init --bare` does,
// with the mirror's remote in its config. Directories are 0700.
func initBare(dir, url string) error {
	for _, d := range []string{"objects/pack", "objects/info", "refs/heads", "refs/tags", "info"} {
		if err := os.MkdirAll(filepath.Join(dir, d), fsatomic.DirMode); err != nil {
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

// writeHEAD points HEAD at target (a name checkHeadTarget accepted, or
// refs/heads/main).
func writeHEAD(dir, target string) error {
	return fsatomic.WriteFile(filepath.Join(dir, "HEAD"), []byte("ref: "+target+"\n"), 0o644)
}

// writeRefs writes all refs to packed-refs (sorted, with peeled values
// when peeled is not nil), through packed-refs.lock as git does, and
// removes loose ref files that would shadow the packed values. The file is
// streamed: a million refs are not built in memory first.
func writeRefs(dir string, refs *RefList, peeled *RefList) error {
	lock := filepath.Join(dir, "packed-refs.lock")
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists: another git process is updating this mirror; retry, or remove the file if none is running", lock)
		}
		return err
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(lock)
		return err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	if peeled != nil {
		w.WriteString("# pack-refs with: peeled fully-peeled sorted \n")
	} else {
		w.WriteString("# pack-refs with: sorted \n")
	}
	var hex [40]byte
	for i := range refs.Len() {
		h := refs.hash(i)
		encodeHex(hex[:], h)
		w.Write(hex[:])
		w.WriteByte(' ')
		w.Write(refs.name(i))
		w.WriteByte('\n')
		if peeled != nil {
			if p, ok := refs.peeledAt(i); ok {
				encodeHex(hex[:], p)
				w.WriteByte('^')
				w.Write(hex[:])
				w.WriteByte('\n')
			}
		}
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(lock)
		return err
	}
	if err := os.Rename(lock, filepath.Join(dir, "packed-refs")); err != nil {
		os.Remove(lock)
		return err
	}
	if err := fsatomic.SyncDir(dir); err != nil {
		return err
	}
	return removeLooseRefs(dir)
}

func encodeHex(dst []byte, h plumbing.Hash) {
	const digits = "0123456789abcdef"
	for i, b := range h {
		dst[2*i] = digits[b>>4]
		dst[2*i+1] = digits[b&15]
	}
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
