// Package gitops reaches git hosts over SSH: repository locations, host-key
// verification against known_hosts, authentication, connection checks, and
// clone/fetch of bare mirrors with progress. Errors are classified into typed
// errors that say what went wrong and what to do next. It has no UI code.
//
// # Where things are
//
//   - url.go, sshconfig.go: Endpoint, ParseURL (ssh://, git+ssh://, scp-like
//     user@host:path; http(s), git:// and local paths refused with a
//     *URLError), ParseURLWithConfig (~/.ssh/config Host aliases: HostName,
//     Port, User, IdentityFile), SSHConfigHosts.
//   - hostkeys.go, keyscan.go: known_hosts checking (OpenSSH format, hashed
//     entries, [host]:port, @revoked), AddKnownHost, DefaultKnownHostsFile.
//     Host-key algorithms are offered in OpenSSH's order (ed25519 first), so
//     an unknown host shows the key `ssh` shows; for a known host, those
//     recorded for it, which avoids go-git issue 1551 (a spurious "key
//     mismatch" when the server prefers a key type that known_hosts does not
//     hold). KeyScan lists every type of host key a server has.
//   - connect.go, watchdog.go: ConnectOptions, Dial (context and Timeout
//     bound dial, handshake and auth), DialUploadPack/OpenUploadPack (a
//     git-upload-pack session). After the handshake, Timeout bounds every
//     wait for the server: a server silent for longer (progress messages do
//     not count) gives a *TimeoutError that names the phase.
//   - protocol.go, advert.go, refname.go, reflist.go: the pack protocol (v0)
//     with limits: at most MaxRefs refs and MaxRefListBytes of ref list,
//     pkt-lines of git's 65520 bytes (*LimitError); every ref name checked
//     by CheckRefName (git's check-ref-format), a bad one skipped with a
//     warning, a bad HEAD target refused (*ProtocolError); refs held in a
//     compact sorted RefList (about 28 bytes a ref plus its name).
//   - remote.go: Check (authenticate and list refs), RemoteInfo,
//     ReadAdvertisement.
//   - clone.go, fetch.go, negotiate.go, lock.go, progress.go, pack*.go:
//     Clone and Fetch of bare mirrors with Progress events. Fetch negotiates
//     as git does (batched haves, newest first, stopping at the common
//     base) and holds the mirror's flock lock (LockMirror, TryLockMirror);
//     RemovePartialClones cleans up after killed clones.
//   - errors.go: *URLError, *AuthError, *HostKeyError, *RepoNotFoundError,
//     *RemoteCommandError, *NetError, *TimeoutError, *LimitError,
//     *ProtocolError, *MirrorBusyError, and Classify for raw errors.
//   - gitserver/: an in-process SSH git server (demo and hermetic tests),
//     with handlers that misbehave on purpose (hostile.go).
//   - sshdtest/: starts a real OpenSSH sshd on 127.0.0.1 for tests.
//
// Everything a server says (ref names in warnings, the default branch,
// stderr, sideband errors, progress text) leaves this package through
// internal/termtext: no escape sequence from a server reaches a terminal.
//
// # Typical use
//
//	ep, err := gitops.ParseURLWithConfig(location, "")     // *URLError: show it, ask again
//	info, err := gitops.Check(ctx, gitops.ConnectOptions{Endpoint: ep, Signer: signer})
//	var hk *gitops.HostKeyError
//	if errors.As(err, &hk) && hk.Unknown() {
//	    // show hk.OfferedFingerprint; if the user confirms:
//	    err = gitops.AddKnownHost(gitops.DefaultKnownHostsFile(), ep, hk.Offered)
//	}
package gitops
