package jira

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/safefile"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// Link state: per repository, the remote links gitjira has on each issue
// (by globalId, with a hash of what was sent, so an unchanged link is not
// sent again) and the issues Jira refused (with their retry time), in
// store.Paths.Data/links/id-<ID>.json (name-<name>.json for repositories
// without an ID), mode 0600, replaced atomically (internal/fsatomic) and
// guarded by an flock on the same name + ".lock". The lock is the link
// state's own, not the repository's: a fetch of the same repository runs
// while links are pushed.
//
// Format version 2 (this one) records links by globalId. Version 1 (issue
// 10: one link per commit, globalId gitjira:<ID>:<sha>) is read and
// converted: its links are recorded under their old globalIds, so the next
// run replaces them with the current style's links and deletes the old
// ones (see Push).

const (
	linkStateVersion1 = 1
	linkStateVersion  = 2
)

type linkStateFileV1 struct {
	Version    int                   `json:"version"`
	Key        string                `json:"key"`
	Name       string                `json:"name"`
	Linked     map[string][]string   `json:"linked"`
	NotVisible map[string]notVisible `json:"not_visible,omitempty"`
}

type notVisible struct {
	Attempts int       `json:"attempts"`
	Next     time.Time `json:"next"`
}

// linkStateFile is the on-disk state (version 2).
type linkStateFile struct {
	Version  int                    `json:"version"`
	Identity string                 `json:"identity"` // RepositoryIdentity when last written
	Name     string                 `json:"name"`     // for people
	Issues   map[string]*issueState `json:"issues"`
}

// issueState is what gitjira knows of one issue.
type issueState struct {
	// Links maps the globalId of each link gitjira has on the issue to the
	// hash of the link as last accepted ("" when unknown: sent again).
	Links map[string]string `json:"links,omitempty"`
	// Fail is the issue's last refusal, while it waits to be retried.
	Fail *IssueFailure `json:"fail,omitempty"`
}

// IssueFailure is why Jira refused an issue's links, and when it is asked
// again.
type IssueFailure struct {
	Issue    string    `json:"issue"`
	Status   int       `json:"status,omitempty"` // HTTP status (403, 400, 404, ...); 0 for others
	Reason   string    `json:"reason"`           // one line, sanitised
	Attempts int       `json:"attempts"`
	Next     time.Time `json:"next"` // not retried before this (but by repos link)
}

// linkState is the state in memory; mu guards it while workers run.
type linkState struct {
	path     string
	identity string
	name     string
	issues   map[string]*issueState
	mu       sync.Mutex
	saveMu   sync.Mutex
}

func (st *linkState) issue(key string) *issueState {
	is := st.issues[key]
	if is == nil {
		is = &issueState{}
		st.issues[key] = is
	}
	return is
}

func (st *linkState) setLink(issue, globalID, hash string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	is := st.issue(issue)
	if is.Links == nil {
		is.Links = map[string]string{}
	}
	is.Links[globalID] = hash
}

func (st *linkState) dropLink(issue, globalID string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if is := st.issues[issue]; is != nil {
		delete(is.Links, globalID)
		st.tidy(issue)
	}
}

func (st *linkState) setFail(issue string, f *IssueFailure) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if f == nil {
		if is := st.issues[issue]; is != nil {
			is.Fail = nil
			st.tidy(issue)
		}
		return
	}
	st.issue(issue).Fail = f
}

func (st *linkState) tidy(issue string) {
	if is := st.issues[issue]; is != nil && len(is.Links) == 0 && is.Fail == nil {
		delete(st.issues, issue)
	}
}

// links returns a copy of the issue's recorded links.
func (st *linkState) links(issue string) map[string]string {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := map[string]string{}
	if is := st.issues[issue]; is != nil {
		for k, v := range is.Links {
			out[k] = v
		}
	}
	return out
}

func (st *linkState) fail(issue string) *IssueFailure {
	st.mu.Lock()
	defer st.mu.Unlock()
	if is := st.issues[issue]; is != nil && is.Fail != nil {
		f := *is.Fail
		return &f
	}
	return nil
}

// counts: links recorded, issues with links.
func (st *linkState) counts() (links, issues int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, is := range st.issues {
		links += len(is.Links)
		if len(is.Links) > 0 {
			issues++
		}
	}
	return links, issues
}

func (st *linkState) failures() []IssueFailure {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []IssueFailure
	for _, is := range st.issues {
		if is.Fail != nil {
			out = append(out, *is.Fail)
		}
	}
	slices.SortFunc(out, func(a, b IssueFailure) int { return compareIssueKeys(a.Issue, b.Issue) })
	return out
}

// LinkStateFile is where the link state of r is kept.
func LinkStateFile(p store.Paths, r store.Repository) string {
	if r.ID != "" {
		return filepath.Join(p.Data, "links", "id-"+safeFileName(r.ID)+".json")
	}
	return filepath.Join(p.Data, "links", "name-"+safeFileName(r.Name)+".json")
}

// legacyJournal is the pending-links journal of the first gitjira
// versions; its pairs are all in the index, so a run deletes it.
func legacyJournal(p store.Paths, name string) string {
	return filepath.Join(p.Data, "links", safeFileName(name)+".jsonl")
}

// RemoveLinkState deletes the link state kept under a repository name (for
// repositories without an ID) and the journal of earlier versions. Callers
// that have the store.Repository use RemoveRepositoryLinkState. The links
// stay on Jira; see UnlinkRepository.
func RemoveLinkState(p store.Paths, repoName string) error {
	r := store.Repository{Name: repoName}
	return removeFiles(
		LinkStateFile(p, r), LinkStateFile(p, r)+".lock",
		smartJournalFile(p, r), smartJournalFile(p, r)+".lock",
		legacyJournal(p, repoName), legacyJournal(p, repoName)+".lock")
}

// RemoveRepositoryLinkState deletes all link state of r (for repos remove).
func RemoveRepositoryLinkState(p store.Paths, r store.Repository) error {
	err := RemoveLinkState(p, r.Name)
	if r.ID != "" {
		err = errors.Join(err, removeFiles(LinkStateFile(p, r), LinkStateFile(p, r)+".lock",
			smartJournalFile(p, r), smartJournalFile(p, r)+".lock"))
	}
	return err
}

func removeFiles(paths ...string) error {
	var errs []error
	for _, f := range paths {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// safeFileName keeps names that are safe as file names as they are and
// otherwise uses a hash, so no repository name can escape the directory.
func safeFileName(name string) string {
	ok := name != "" && name != "." && name != ".." && len(name) <= 100
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			ok = false
			break
		}
	}
	if ok {
		return name
	}
	h := sha256.Sum256([]byte(name))
	return "repo-" + hex.EncodeToString(h[:12])
}

// maxLinkStateSize bounds a link state file read (internal/safefile).
const maxLinkStateSize = 1 << 30

// loadLinkState reads r's state; a missing file is an empty state. A
// version 1 file is converted (see the package comment above).
func loadLinkState(p store.Paths, r store.Repository) (*linkState, error) {
	path := LinkStateFile(p, r)
	st := &linkState{path: path, identity: RepositoryIdentity(r), name: r.Name, issues: map[string]*issueState{}}
	b, err := safefile.Read(path, maxLinkStateSize)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the link state %s: %v", path, err)
	}
	bad := func(why string) error {
		return fmt.Errorf("the link state %s is %s: delete it and run gitjira repos link %s; links are sent again and Jira updates them instead of adding duplicates", path, why, r.Name)
	}
	var head struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, bad("corrupted")
	}
	switch head.Version {
	case linkStateVersion1:
		var f linkStateFileV1
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, bad("corrupted")
		}
		for issue, shas := range f.Linked {
			if !issueKeyPattern.MatchString(issue) {
				return nil, bad("corrupted")
			}
			for _, sha := range shas {
				if !index.ValidSHA(sha) {
					return nil, bad("corrupted")
				}
				st.setLink(issue, LinkGlobalID(f.Key, sha), "")
			}
		}
		for issue, nv := range f.NotVisible {
			if issueKeyPattern.MatchString(issue) {
				st.setFail(issue, &IssueFailure{Issue: issue, Status: 404, Reason: "not visible (404): the issue does not exist or the user may not browse it", Attempts: nv.Attempts, Next: nv.Next})
			}
		}
		return st, nil
	case linkStateVersion:
	default:
		return nil, bad(fmt.Sprintf("of format version %d, this gitjira reads %d", head.Version, linkStateVersion))
	}
	var f linkStateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, bad("corrupted")
	}
	for issue, is := range f.Issues {
		if !issueKeyPattern.MatchString(issue) || is == nil {
			return nil, bad("corrupted")
		}
		for gid := range is.Links {
			if len(gid) > 255 {
				return nil, bad("corrupted")
			}
		}
		if is.Fail != nil {
			is.Fail.Issue = issue
			is.Fail.Reason = termtext.Field(is.Fail.Reason, 300)
		}
		st.issues[issue] = is
	}
	return st, nil
}

// save writes the state atomically, or deletes the file when nothing is
// recorded. Saves are serialised (workers checkpoint concurrently), so the
// file never goes back to an older snapshot.
func (st *linkState) save() error {
	st.saveMu.Lock()
	defer st.saveMu.Unlock()
	st.mu.Lock()
	for k := range st.issues {
		st.tidy(k)
	}
	if len(st.issues) == 0 {
		st.mu.Unlock()
		if err := os.Remove(st.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the link state %s: %v", st.path, err)
		}
		return nil
	}
	b, err := json.Marshal(linkStateFile{Version: linkStateVersion, Identity: st.identity, Name: st.name, Issues: st.issues})
	st.mu.Unlock()
	if err != nil {
		return err
	}
	if err := fsatomic.WriteFile(st.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot write the link state %s: %v", st.path, err)
	}
	return nil
}

// compareIssueKeys orders PROJ-2 before PROJ-10.
func compareIssueKeys(a, b string) int {
	pa, pb := issueProject(a), issueProject(b)
	if pa != pb {
		if pa < pb {
			return -1
		}
		return 1
	}
	na, nb := issueNumber(a), issueNumber(b)
	switch {
	case na < nb:
		return -1
	case na > nb:
		return 1
	}
	return 0
}

func issueNumber(k string) int {
	n := 0
	for i := len(issueProject(k)) + 1; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' || n > 1e9 {
			return n
		}
		n = n*10 + int(k[i]-'0')
	}
	return n
}
