// Package jira keeps gitjira's repositories list and its project permissions,
// indexes commits by the Jira issue keys in their messages, and talks to a
// Jira Data Center/Server site over REST API v2. It has no UI code.
package jira

// ---- CONTRACT (shared by all packages; implementations replace the comments) ----
//
// paths.go (owner: jira-store)
//   type Paths struct { Config, Data string }   // from GITJIRA_HOME or XDG dirs (shared/CLI.md)
//   func DefaultPaths() Paths
//   func (p Paths) ReposFile() string; KeysDir() string; MirrorsDir() string; IndexDir() string; JiraConfigFile() string
//
// repos.go (owner: jira-store)
//   type Repository struct {  // JSON field names as in shared/CLI.md `repos list --json`, plus:
//       Name, URL string; Projects []string /* ["ALL"] or keys */; KeyFile string; KeyFingerprint string
//       HostKeyFingerprint string; Mirror string; DefaultBranch string; Commits, IssueKeys int
//       Added, LastFetched time.Time; LastError string; Enabled bool
//   }
//   func (r Repository) AllProjects() bool
//   type RepositoryList struct{ /* path, lock */ }
//   func OpenRepositoryList(p Paths) *RepositoryList
//   func (l *RepositoryList) Load() ([]Repository, error)
//   func (l *RepositoryList) Update(fn func(repos []Repository) ([]Repository, error)) error // locked, atomic
//   func StoreKey(p Paths, name string, keyBytes []byte) (path string, err error)            // 0600 copy under KeysDir
//   var ErrNameTaken, ErrNotFound ...
//   func ValidProjectKey(s string) bool
//
// index.go (owner: jira-store)
//   func IssueKeys(message string) []string                                  // Jira key syntax rules
//   type Index struct{...}; func OpenIndex(p Paths) *Index
//   func (ix *Index) Update(repo Repository) (UpdateResult, error)           // incremental, from the mirror
//   type UpdateResult struct{ Added []CommitRef /* new commits mentioning allowed keys, oldest first */; New, Commits, IssueKeys int }
//   (CHANGED from (added int, keys int, err error): `repos fetch --link` needs the new commits themselves)
//   func (ix *Index) Lookup(issueKey string) ([]CommitRef, error)            // across repositories, newest first
//   type CommitRef struct{ Repository, SHA, Author string; Date time.Time; Subject string; Keys []string /* allowed keys it mentions */ }
//   func AddRepository(p Paths, r Repository, keyBytes []byte) (Repository, error) // store key, index mirror, add to list
//
// client.go (owner: jira-client)
//   type Client struct { BaseURL string; Token string; HTTP *http.Client }
//   func NewClient(baseURL, token string) (*Client, error)
//   type Project struct { ID, Key, Name string }
//   func (c *Client) Myself(ctx) (*User, error); ServerInfo(ctx) (*ServerInfo, error); Projects(ctx) ([]Project, error)
//   func (c *Client) UpsertRemoteLink(ctx, issueKey string, link RemoteLink) error
//   type Site struct{ URL, Token string }; func LoadSite(p Paths) (*Site, error); func SaveSite(p Paths, s Site) error
//   typed errors: *APIError{Status int, Message string}, ErrUnauthorized, ErrForbidden, ErrCaptcha, ErrNotJira
