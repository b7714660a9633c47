package gitops

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Fetch updates the bare mirror at dir from the remote: new objects are
// received into a new pack, then every ref under refs/ is set to the
// server's value (forced updates included) and refs the server no longer has
// are deleted, as `git fetch --prune` on a mirror does. HEAD follows the
// server's HEAD. The local ref tips are sent as haves, so only missing
// objects are transferred.
//
// Refs change only after the pack is safely indexed: a failed or cancelled
// fetch leaves the mirror as it was. progress works as in CloneOptions.
func Fetch(ctx context.Context, dir string, o ConnectOptions, progress chan<- Progress) (res *FetchResult, err error) {
	if !isBareRepo(dir) {
		return nil, fmt.Errorf("%s: %w: fetch needs a mirror made by clone", dir, ErrNotMirror)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	unlock, err := lockMirror(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rep := newReporter(ctx, progress)
	defer rep.close()

	rep.send(Progress{Phase: PhaseConnecting})
	sess, fp, closeAll, err := DialUploadPack(ctx, o)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	rep.send(Progress{Phase: PhaseConnecting, Done: true})

	res, err = fetchStream(ctx, dir, sess.Stdin, sess.Stdout, rep)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, sess.Failure(err)
	}
	res.HostKeyFingerprint = fp
	rep.send(Progress{Phase: PhaseDone, Done: true})
	return res, nil
}

// lockMirror keeps two fetches (or a fetch and a remove) from interleaving.
func lockMirror(dir string) (func(), error) {
	p := filepath.Join(dir, "gitjira-fetch.lock")
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s exists: another fetch of this mirror is running; retry later, or remove the file if none is", p)
		}
		return nil, err
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	f.Close()
	return func() { os.Remove(p) }, nil
}

func isBareRepo(dir string) bool {
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// fetchStream runs the fetch protocol on an open upload-pack stream.
func fetchStream(ctx context.Context, dir string, w io.WriteCloser, r io.Reader, rep *reporter) (*FetchResult, error) {
	local, err := readLocalRefs(dir)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	st, err := readAdvertisement(br)
	if err != nil {
		return nil, err
	}
	res := &FetchResult{Updated: map[string][2]string{}}
	for name, h := range st.refs {
		if old, ok := local[name]; !ok {
			res.Updated[name] = [2]string{"", h.String()}
		} else if old != h {
			res.Updated[name] = [2]string{old.String(), h.String()}
		}
	}
	for name, h := range local {
		if _, ok := st.refs[name]; !ok {
			res.Updated[name] = [2]string{h.String(), ""}
		}
	}
	objects := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(1<<20))
	seen := map[plumbing.Hash]bool{}
	var wants, haves []plumbing.Hash
	for name := range res.Updated {
		h, ok := st.refs[name]
		if !ok || seen[h] {
			continue
		}
		seen[h] = true
		if objects.HasEncodedObject(h) != nil { // missing locally
			wants = append(wants, h)
		}
	}
	for _, h := range local {
		haves = append(haves, h)
	}
	band, err := sendRequest(w, st, wants, haves)
	if err != nil {
		return nil, err
	}
	if len(wants) > 0 {
		pack, err := receiveResponse(ctx, br, band, dir, rep)
		if err != nil {
			return nil, err
		}
		if err := checkTips(pack, wants, nil); err != nil {
			return nil, err
		}
		res.Objects = pack.Objects
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.send(Progress{Phase: PhaseUpdatingRef, Total: int64(len(res.Updated))})
	if len(res.Updated) > 0 {
		if err := writeRefs(dir, st.refs, st.adv.Peeled, len(st.adv.Peeled) > 0 || st.adv.Capabilities.Supports(capability.Sideband64k)); err != nil {
			return nil, err
		}
	}
	if st.head != "" {
		if cur, _ := os.ReadFile(filepath.Join(dir, "HEAD")); strings.TrimSpace(string(cur)) != "ref: "+st.head {
			if err := writeHEAD(dir, st.head); err != nil {
				return nil, err
			}
		}
	}
	rep.send(Progress{Phase: PhaseUpdatingRef, Current: int64(len(res.Updated)), Total: int64(len(res.Updated)), Done: true})
	return res, nil
}

// readLocalRefs returns the mirror's refs under refs/: packed-refs, then
// loose ref files, which take precedence (as in git). Symbolic refs are skipped.
func readLocalRefs(dir string) (map[string]plumbing.Hash, error) {
	refs := map[string]plumbing.Hash{}
	data, err := os.ReadFile(filepath.Join(dir, "packed-refs"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' || line[0] == '^' {
			continue
		}
		h, name, ok := strings.Cut(line, " ")
		if ok && plumbing.IsHash(h) && strings.HasPrefix(name, "refs/") {
			refs[name] = plumbing.NewHash(h)
		}
	}
	root := filepath.Join(dir, "refs")
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if h := strings.TrimSpace(string(b)); plumbing.IsHash(h) {
			refs[filepath.ToSlash(rel)] = plumbing.NewHash(h)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return refs, nil
}
