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
//   - hostkeys.go: known_hosts checking (OpenSSH format, hashed entries,
//     [host]:port, @revoked), AddKnownHost, DefaultKnownHostsFile. The
//     host-key algorithms offered are those recorded for the host, which
//     avoids go-git issue 1551 (a spurious "key mismatch" when the server
//     prefers a key type that known_hosts does not hold).
//   - connect.go: ConnectOptions, Dial (context and Timeout bound dial,
//     handshake and auth), OpenUploadPack (a git-upload-pack session used by
//     Check, Clone and Fetch).
//   - remote.go: Check (authenticate and list refs), RemoteInfo,
//     ReadAdvertisement.
//   - errors.go: *URLError, *AuthError, *HostKeyError, *RepoNotFoundError,
//     *RemoteCommandError, *NetError, and Classify for raw errors.
//   - clone.go, fetch.go, progress.go, pack*.go: Clone and Fetch of bare
//     mirrors with Progress events.
//   - gitserver/: an in-process SSH git server (demo and hermetic tests).
//   - sshdtest/: starts a real OpenSSH sshd on 127.0.0.1 for tests.
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
