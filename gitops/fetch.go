package gitops

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gitjira/gitjira/internal/gitdir"
	"github.com/gitjira/gitjira/internal/memlimit"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/go-git/go-git/v5/plumbing"
)

// Fetch updates the bare mirror at dir from the remote: new objects are
// received into a new pack, then every ref under refs/ is set to the
// server's value (forced updates included) and refs the server no longer has
// are deleted, as `git fetch --prune` on a mirror does. HEAD follows the
// server's HEAD. The negotiation is git's (negotiate.go): only missing
// objects are transferred, and the server is told about a few dozen local
// commits, not every ref.
//
// Fetch holds the mirror's lock (TryLockMirror) throughout, and first
// removes what a killed earlier fetch left in the mirror. Refs change only
// after the pack is safely indexed: a failed or cancelled fetch leaves the
// mirror as it was. progress works as in CloneOptions.
func Fetch(ctx context.Context, dir string, o ConnectOptions, progress chan<- Progress) (res *FetchResult, err error) {
	if !isBareRepo(dir) {
		return nil, fmt.Errorf("%s: %w: fetch needs a mirror made by clone", dir, ErrNotMirror)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	lock, err := TryLockMirror(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	cleanMirror(dir)
	// The ref lists (local and remote, a million refs each at worst) hold
	// no pointers: collecting often is cheap and keeps the heap near its
	// live size.
	defer memlimit.Lean(25)()
	rep := newReporter(ctx, progress)
	defer rep.close()

	local, err := readLocalRefs(dir)
	if err != nil {
		return nil, err
	}
	rep.send(Progress{Phase: PhaseConnecting})
	up, err := openUploadPack(ctx, o)
	if err != nil {
		return nil, err
	}
	defer up.close()
	rep.send(Progress{Phase: PhaseConnecting, Done: true})

	res, err = fetchInto(ctx, up, dir, local, rep)
	if err != nil {
		return nil, err
	}
	res.HostKeyFingerprint = up.fp
	res.Warnings = append(up.adv.warnings, res.Warnings...)
	rep.send(Progress{Phase: PhaseDone, Done: true})
	return res, nil
}

func isBareRepo(dir string) bool {
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// fetchInto runs the fetch on an open conversation.
func fetchInto(ctx context.Context, up *uploadPack, dir string, local *RefList, rep *reporter) (*FetchResult, error) {
	remote := up.adv.refs
	res := &FetchResult{Updated: map[string][2]string{}}
	var changed []plumbing.Hash // object ids of new or moved refs
	mergeRefs(local, remote, func(li, ri int) {
		switch {
		case li < 0:
			res.Updated[termtext.Sanitize(remote.Name(ri))] = [2]string{"", remote.ID(ri)}
			changed = append(changed, remote.hash(ri))
		case ri < 0:
			res.Updated[termtext.Sanitize(local.Name(li))] = [2]string{local.ID(li), ""}
		case local.hash(li) != remote.hash(ri):
			res.Updated[termtext.Sanitize(remote.Name(ri))] = [2]string{local.ID(li), remote.ID(ri)}
			changed = append(changed, remote.hash(ri))
		}
	})

	// The mirror is locked: nothing else changes its objects meanwhile.
	objects, err := openMirrorObjects(dir)
	if err != nil {
		return nil, err
	}
	defer objects.close()
	have := objects.has

	var wants []plumbing.Hash
	slices.SortFunc(changed, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
	for _, h := range slices.Compact(changed) {
		if !have(h) {
			wants = append(wants, h)
		}
	}
	pack := &indexedPack{}
	if len(wants) == 0 {
		up.sayGoodbye()
	} else {
		var buf bytes.Buffer
		up.thin = true // completed from the mirror's objects
		up.quiet = rep.out == nil
		req, err := up.writeWants(&buf, wants)
		if err != nil {
			return nil, up.fail(ctx, err)
		}
		neg := newNegotiator(objects)
		// In ref order, as git does; a commit is looked up once however many
		// refs name it (the negotiator keeps the commits it has seen), and
		// no list of a million hashes is built for it.
		if req.multiAck != 0 {
			// git's mark_complete_and_common_ref: advertised refs we have
			// are common; they are said once, their ancestors never.
			for i := range remote.Len() {
				neg.knownCommon(neg.tip(remote.hash(i))) // nil (ignored) when we lack it
			}
		}
		for i := range local.Len() {
			neg.addTip(neg.tip(local.hash(i)))
		}
		if err := up.negotiate(ctx, &buf, req, neg); err != nil {
			return nil, up.fail(ctx, err)
		}
		res.Haves = neg.sent
		up.sess.Stdin.Close()
		if pack, err = up.receive(ctx, req, dir, rep, objects); err != nil {
			return nil, up.fail(ctx, err)
		}
		up.dog.stop()
		if err := checkTips(pack, wants, nil); err != nil {
			return nil, err
		}
		if err := privateDirs(filepath.Join(dir, "objects")); err != nil {
			return nil, err
		}
		res.Objects = pack.Objects - pack.Thin
		res.PackBytes, res.ThinBases = pack.Received, pack.Thin
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.send(Progress{Phase: PhaseUpdatingRef, Total: int64(len(res.Updated))})
	if len(res.Updated) > 0 {
		peeled := peeledIn(up.adv, func(h plumbing.Hash) bool { return pack.Has(h) || have(h) })
		if err := writeRefs(dir, remote, peeled); err != nil {
			return nil, err
		}
	}
	if head := up.adv.headBranch(); head != "" {
		if cur, _ := os.ReadFile(filepath.Join(dir, "HEAD")); strings.TrimSpace(string(cur)) != "ref: "+head {
			if err := writeHEAD(dir, head); err != nil {
				return nil, err
			}
		}
	}
	rep.send(Progress{Phase: PhaseUpdatingRef, Current: int64(len(res.Updated)), Total: int64(len(res.Updated)), Done: true})
	if res.Objects > 0 && AutoPackLimit > 0 && countPacks(dir) > AutoPackLimit {
		objects.close() // its mappings of the packs about to go
		// The fetch is done: a failure here leaves the packs as they were
		// and is only worth a warning.
		if c, err := consolidate(ctx, dir, rep); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("consolidating the mirror's packs failed (they are left as they were): %v", err))
		} else {
			res.Consolidated = c
		}
	}
	return res, nil
}

// countPacks returns how many packs the mirror at dir has.
func countPacks(dir string) int {
	paths, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "pack-*.idx"))
	return len(paths)
}

// mergeRefs walks two sorted lists together and calls f for each name
// with its positions (-1 where a list lacks it).
func mergeRefs(a, b *RefList, f func(ai, bi int)) {
	i, j := 0, 0
	for i < a.Len() || j < b.Len() {
		switch {
		case j >= b.Len():
			f(i, -1)
			i++
		case i >= a.Len():
			f(-1, j)
			j++
		default:
			switch c := bytes.Compare(a.name(i), b.name(j)); {
			case c < 0:
				f(i, -1)
				i++
			case c > 0:
				f(-1, j)
				j++
			default:
				f(i, j)
				i++
				j++
			}
		}
	}
}

// readLocalRefs returns the mirror's refs under refs/ (loose files win over
// packed-refs, as in git; internal/gitdir reads them). Names CheckRefName
// refuses (an older gitjira may have written some) are skipped, so the next
// packed-refs drops them.
func readLocalRefs(dir string) (*RefList, error) {
	refs := newRefList()
	err := gitdir.ForEachRef(dir, func(name string, id plumbing.Hash) error {
		if strings.HasPrefix(name, "refs/") && CheckRefName(name) == nil {
			refs.add([]byte(name), id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	refs.finish(0)
	return refs, nil
}
