// Package jira keeps gitjira's repositories list and its project permissions,
// indexes commits by the Jira issue keys in their messages, and talks to a
// Jira Data Center/Server site over REST API v2. It has no UI code.
//
// # Files on disk
//
// Paths (paths.go) says where things go, per shared/CLI.md: $GITJIRA_HOME
// holds everything when set, otherwise configuration is under
// $XDG_CONFIG_HOME/gitjira and data under $XDG_DATA_HOME/gitjira.
//
//	Data/repositories.json      the repositories list, {"version":1,"repositories":[...]}, 0600
//	Data/repositories.json.bak  the previous version, kept on each write
//	Data/repositories.json.lock flock(2) target serialising writers across processes
//	Data/keys/<name>.key        private keys as given (still encrypted if they were), 0600 in 0700
//	Data/mirrors/<name>.git     bare mirrors
//	Data/index/<name>.idx       the commit index of one repository (+ .lock)
//	Config/jira.json            the Jira site and token (site.go), 0600
//
// # Repositories list (repos.go, keys.go)
//
// RepositoryList.Update reads, changes and writes the list under an
// exclusive lock, atomically (internal/fsatomic: temp file, fsync, rename,
// fsync of the directory): a process killed mid-write leaves the old or the
// new list, never a mix, and concurrent writers lose nothing. A corrupted or
// unknown-version file is reported with its path (ErrCorrupt) and never
// overwritten. StoreKey keeps a private key as given, 0600 in a 0700
// directory. Adding and removing a repository (key, index, mirror, list
// entry, crash recovery) is the lifecycle package's, which calls these. No
// passphrase is ever stored.
//
// # Commit index (issuekeys.go, index.go)
//
// IssueKeys finds Jira issue keys in a message. Index.Update walks every
// commit reachable from any ref of a mirror, exactly the commits `git rev-list
// --all` lists, reading the packfiles directly (go-git's Log with All: true
// misses commits reachable only through merges and is several times slower);
// it is incremental, indexing only commits it has not seen, and returns the
// new ones in UpdateResult.Added for pushing to Jira. Index.Lookup answers
// "which commits mention PROJ-7" from the index files without walking history.
// A repository restricted to some projects only ever shows those projects' keys.
//
// # Jira client (client.go, site.go, links.go, errors.go)
//
// Client speaks REST API v2 with a personal access token; LoadSite/SaveSite
// keep the configured site; PushCommitLinks turns newly indexed commits into
// remote issue links, idempotently and resumably.
package jira
