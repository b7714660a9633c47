// Package gitops reaches git hosts over SSH: repository locations, host-key
// verification against known_hosts, authentication, connection checks, and
// clone/fetch of bare mirrors with progress. Errors are classified into typed
// errors that say what went wrong and what to do next. It has no UI code.
package gitops

// ---- CONTRACT (shared by all packages; implementations replace the comments) ----
//
// url.go (owner: gitops-connect)
//   type Endpoint struct {
//       User string        // default "git"
//       Host string        // DNS name or IP, as dialled (after ~/.ssh/config HostName)
//       Port int           // default 22
//       Path string        // as given, e.g. "/srv/git/repo.git" or "org/repo.git" (scp-like: relative)
//       Alias string       // the ~/.ssh/config Host alias used, if any
//       IdentityFiles []string // IdentityFile entries for this host (expanded paths), key candidates
//       Original string    // the text the user typed
//   }
//   func ParseURL(s string) (*Endpoint, error)          // ssh://, git+ssh://, scp-like; http(s)/git:///local refused (*URLError)
//   func ParseURLWithConfig(s, sshConfigPath string) (*Endpoint, error) // also resolves Host aliases
//   func (e *Endpoint) String() string                  // canonical ssh://user@host:port/path
//   func (e *Endpoint) Addr() string                    // host:port for dialling ("[::1]:22" style for IPv6)
//   func (e *Endpoint) RepoName() string                // last path element without .git
//   func SSHConfigHosts(sshConfigPath string) []string  // Host aliases (no wildcards) for suggestions
//
// hostkeys.go (owner: gitops-connect)
//   type HostKeyError struct {
//       Host string; KeyType string; Offered ssh.PublicKey; OfferedFingerprint string
//       Known []string // fingerprints already recorded for the host; empty = unknown host
//       KnownHostsFile string
//   }
//   func (e *HostKeyError) Unknown() bool   // len(Known)==0
//   func AddKnownHost(file string, e *Endpoint, key ssh.PublicKey) error // appends an OpenSSH line ([host]:port when port != 22), creates dirs/file 0600
//   func DefaultKnownHostsFile() string     // $GITJIRA_KNOWN_HOSTS or ~/.ssh/known_hosts
//
// connect.go (owner: gitops-connect)
//   type ConnectOptions struct {
//       Endpoint *Endpoint; Signer ssh.Signer; KnownHostsFile string
//       TrustFingerprint string // accept an unknown host only if its key has this SHA256 fingerprint (then record it)
//       Timeout time.Duration   // dial+handshake+auth; default 20s
//   }
//   func (o *ConnectOptions) Validate() error
//   func Dial(ctx context.Context, o ConnectOptions) (*ssh.Client, string /*host key fingerprint*/, error)
//   type RemoteInfo struct { DefaultBranch string; Branches, Tags int; Refs map[string]string; HostKeyFingerprint string }
//   func Check(ctx context.Context, o ConnectOptions) (*RemoteInfo, error) // auth + list refs
//   typed errors: *HostKeyError, *AuthError{User, Fingerprint, AuthorizedKey string}, *RepoNotFoundError{Path, Detail},
//                 *NetError{Kind: "dns"|"refused"|"timeout"|"unreachable", Addr string, Err error}
//   each Error() is one line with the next step.
//
// clone.go (owner: gitops-clone)
//   type Phase string  // "connecting","enumerating","counting","compressing","receiving","resolving","updating refs","done"
//   type Progress struct {
//       Phase Phase; Current, Total int64 // objects (Total 0 = unknown)
//       Bytes int64; BytesPerSec float64; Message string // raw server line when there is one
//   }
//   func (p Progress) Fraction() float64
//   type CloneOptions struct { ConnectOptions; Dir string /* mirror path, must not exist */ ; Progress chan<- Progress }
//   type CloneResult struct { Dir string; DefaultBranch string; Head string; Commits int; Refs int; HostKeyFingerprint string }
//   func Clone(ctx context.Context, o CloneOptions) (*CloneResult, error)   // cancelled/failed clone removes only what it created
//   type FetchResult struct { Updated map[string][2]string /* ref -> old,new */ ; HostKeyFingerprint string }
//   func Fetch(ctx context.Context, dir string, o ConnectOptions, progress chan<- Progress) (*FetchResult, error)
//
// gitops/gitserver (owner: gitops-clone): in-process SSH git server (x/crypto/ssh) on 127.0.0.1
//   func Start(o gitserver.Options) (*gitserver.Server, error); (*Server).Addr(), Port(), HostKeys(), AuthorizeKey(ssh.PublicKey), Close()
//   func MakeSampleRepo(dir string, commits int) error // history mentioning DEMO-n issue keys
//
// gitops/sshdtest (owner: gitops-connect): starts a real OpenSSH sshd on 127.0.0.1 for tests.
