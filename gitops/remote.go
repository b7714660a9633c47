package gitops

import (
	"bufio"
	"context"
	"time"
)

// RemoteInfo is what Check (or Clone, before it downloads) learns about the
// remote repository. Every text in it is safe to print: ref names passed
// CheckRefName, and DefaultBranch and Warnings are also sanitised.
type RemoteInfo struct {
	DefaultBranch  string // short name, e.g. "main" ("" for an empty repository)
	Branches, Tags int    // refs under refs/heads/ and refs/tags/
	// Refs lists every ref under refs/ the server advertised with a valid
	// name, sorted, with its object id. Peeled "^{}" entries and HEAD are
	// not in it.
	Refs *RefList
	// Head is the object id HEAD resolves to, "" when the server did not say.
	Head string
	// Capabilities the server offered, e.g. "side-band-64k", "symref=HEAD:refs/heads/main".
	Capabilities []string
	// Warnings say which refs were skipped and why (a name git refuses,
	// such as "refs/heads/../x" or one with control characters): at most
	// a few, then a count.
	Warnings           []string
	HostKeyFingerprint string // SHA256 fingerprint of the host key that was verified
}

// Check connects (as Dial), authenticates, and lists the remote's refs
// through git-upload-pack, without downloading anything. o.Timeout bounds
// dial, handshake and authentication, and then each wait for the server;
// ctx bounds the whole.
//
// Clone returns the same RemoteInfo (CloneResult.Remote, and
// CloneOptions.OnRemote before the download) from its own connection, so
// a caller that clones need not Check first: Check is for showing the host
// key and the repository before deciding.
func Check(ctx context.Context, o ConnectOptions) (*RemoteInfo, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	up, err := openUploadPack(ctx, o)
	if err != nil {
		return nil, err
	}
	defer up.close()
	info := up.remoteInfo()
	up.sayGoodbye()
	return info, nil
}

func (o ConnectOptions) timeoutOrDefault() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

// ReadAdvertisement reads git-upload-pack's ref advertisement (protocol
// v0/v1) from a session opened with OpenUploadPack, with the limits and
// name checks Check applies. When the server sends none, the error says why
// (*RepoNotFoundError, *RemoteCommandError) from its stderr and exit status.
func ReadAdvertisement(sess *UploadPackSession) (*RemoteInfo, error) {
	up := &uploadPack{sess: sess, dog: sess.dog}
	up.br = bufio.NewReaderSize(&rawReader{r: sess.Stdout, dog: sess.dog}, 64<<10)
	up.pr = newPktReader(up.br)
	adv, err := readAdvertisement(up.pr)
	if err != nil {
		return nil, up.fail(context.Background(), err)
	}
	up.adv = adv
	return up.remoteInfo(), nil
}
