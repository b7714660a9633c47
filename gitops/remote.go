package gitops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
)

// RemoteInfo is what Check learns about the remote repository.
type RemoteInfo struct {
	DefaultBranch      string            // short name, e.g. "main" ("" for an empty repository)
	Branches, Tags     int               // refs under refs/heads/ and refs/tags/
	Refs               map[string]string // full ref name -> hex object id; "HEAD" included when the server advertises it
	HostKeyFingerprint string            // SHA256 fingerprint of the host key that was verified
}

// Check connects (as Dial), authenticates, and lists the remote's refs
// through git-upload-pack, without downloading anything. The timeout of o
// covers dial, handshake and authentication; ctx also bounds the listing.
func Check(ctx context.Context, o ConnectOptions) (*RemoteInfo, error) {
	// Dial has its own bound; the listing gets one more: a server that
	// authenticates and then never answers must not hang the wizard.
	ctx, cancel := context.WithTimeout(ctx, 2*o.timeoutOrDefault())
	defer cancel()
	sess, fp, closeAll, err := DialUploadPack(ctx, o)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	adv, err := ReadAdvertisement(sess)
	if err != nil {
		if ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, &NetError{Kind: NetTimeout, Addr: o.Endpoint.Addr(), Stage: "ref listing", Timeout: o.timeoutOrDefault(), Err: ctx.Err()}
			}
			return nil, ctx.Err()
		}
		return nil, err
	}
	// A flush-pkt tells upload-pack we want nothing; it then exits 0.
	if _, err := io.WriteString(sess.Stdin, "0000"); err == nil {
		sess.Stdin.Close()
		_ = sess.Wait()
	}
	info := RemoteInfoFromAdvRefs(adv)
	info.HostKeyFingerprint = fp
	return info, nil
}

func (o ConnectOptions) timeoutOrDefault() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

// ReadAdvertisement decodes git-upload-pack's ref advertisement (protocol
// v0/v1) from the session. When the server sends none, the error says why
// (*RepoNotFoundError, *RemoteCommandError) from its stderr and exit status.
func ReadAdvertisement(sess *UploadPackSession) (*packp.AdvRefs, error) {
	adv := packp.NewAdvRefs()
	if err := adv.Decode(sess.Stdout); err != nil {
		if errors.Is(err, packp.ErrEmptyAdvRefs) {
			return adv, nil // empty repository
		}
		if f := sess.Failure(err); f != err {
			return nil, f
		}
		return nil, fmt.Errorf("reading the ref list from %s: %w", sess.Command, err)
	}
	return adv, nil
}

// RemoteInfoFromAdvRefs summarises an advertisement: default branch (from the
// symref=HEAD capability, else the branch HEAD points at, preferring main
// and master), branch and tag counts, and all refs.
func RemoteInfoFromAdvRefs(adv *packp.AdvRefs) *RemoteInfo {
	info := &RemoteInfo{Refs: make(map[string]string, len(adv.References)+1)}
	for name, h := range adv.References {
		info.Refs[name] = h.String()
		switch {
		case strings.HasPrefix(name, "refs/heads/"):
			info.Branches++
		case strings.HasPrefix(name, "refs/tags/") && !strings.HasSuffix(name, "^{}"):
			info.Tags++
		}
	}
	if adv.Head != nil {
		info.Refs["HEAD"] = adv.Head.String()
	}
	for _, v := range adv.Capabilities.Get(capability.SymRef) {
		if src, dst, ok := strings.Cut(v, ":"); ok && src == "HEAD" {
			info.DefaultBranch = strings.TrimPrefix(dst, "refs/heads/")
		}
	}
	if info.DefaultBranch == "" && adv.Head != nil {
		info.DefaultBranch = branchPointedBy(adv.References, *adv.Head)
	}
	return info
}

// branchPointedBy finds a branch whose tip is head: main, then master, then
// the first in name order, as git does when the server hides symrefs.
func branchPointedBy(refs map[string]plumbing.Hash, head plumbing.Hash) string {
	var first string
	for _, pref := range []string{"refs/heads/main", "refs/heads/master"} {
		if refs[pref] == head {
			return strings.TrimPrefix(pref, "refs/heads/")
		}
	}
	for name, h := range refs {
		if h == head && strings.HasPrefix(name, "refs/heads/") && (first == "" || name < first) {
			first = name
		}
	}
	return strings.TrimPrefix(first, "refs/heads/")
}
