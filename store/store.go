// Package store keeps what gitjira stores on disk about its repositories: the
// repositories list and each repository's project permissions, the stored
// private keys, the configured Jira site, and where all of it lives (Paths).
// It also holds the grammar of Jira issue and project keys, which the list's
// permissions, the commit index and the Jira client share. It has no UI code
// and no network code.
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
//	Data/index/<name>.idx       the commit index of one repository (package index; + .lock)
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
// # The Jira site (site.go)
//
// LoadSite and WriteSite keep the site and its credentials (0600, the secret
// never printed by String/GoString); jira.Login checks a site before
// jira.SaveSite stores it.
package store
