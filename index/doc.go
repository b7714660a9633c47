// Package index is gitjira's commit-to-issue index: for each repository, the
// commits of its mirror and the Jira issue keys their messages mention.
//
// Index.Update walks every commit reachable from any ref of a mirror, exactly
// the commits `git rev-list --all` lists, reading the packfiles directly
// through internal/packfile (go-git's Log with All: true misses commits
// reachable only through merges and is several times slower); it is
// incremental, indexing only commits it has not seen, and returns the new
// ones in UpdateResult.Added for linking in Jira. Index.Lookup answers "which
// commits mention PROJ-7" from the index files without walking history. A
// repository restricted to some projects only ever shows those projects'
// keys. Issue keys are found with store.IssueKeys. It has no UI code.
package index
