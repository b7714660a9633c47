package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/safefile"
)

// Repository is one entry of the repositories list. The JSON names of the
// fields shared with `gitjira repos list --json` are the ones of shared/CLI.md.
type Repository struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Projects is ["ALL"] when every Jira project may see the repository,
	// else the project keys allowed to.
	Projects       []string `json:"projects"`
	KeyFile        string   `json:"key_file,omitempty"`
	KeyFingerprint string   `json:"key_fingerprint,omitempty"`
	// KeyOrigin is where the key was taken from when it was given to the
	// repository: its file (~/.ssh/id_ed25519), "pasted key" or
	// "ssh-agent[: comment]"; for display (the stored copy is KeyFile).
	KeyOrigin          string `json:"key_origin,omitempty"`
	HostKeyFingerprint string `json:"host_key_fingerprint,omitempty"`
	Mirror             string `json:"mirror"`
	DefaultBranch      string `json:"default_branch,omitempty"`
	// Commits is the number of commits in the index, IssueKeys the number of
	// distinct issue keys (of the allowed projects) their messages mention.
	Commits     int       `json:"commits"`
	IssueKeys   int       `json:"issue_keys"`
	Added       time.Time `json:"added,omitzero"`
	LastFetched time.Time `json:"last_fetched,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Enabled     bool      `json:"enabled"`

	// ID is the repository's identity: made once when it is connected and
	// kept across renames, so Jira links' globalIds survive a rename.
	ID string `json:"id,omitempty"`
	// Alias is the location as the user typed it when it differs from URL
	// (an ~/.ssh/config Host alias); for display only. URL is always the
	// resolved ssh:// form that fetches connect to.
	Alias string `json:"alias,omitempty"`
	// WebURL is the repository's page in a browser (https://host/group/repo);
	// CommitURLTemplate, when set, is the web URL of one commit with {sha}
	// where the commit id goes. Both feed the Jira links (issue 10).
	WebURL            string `json:"web_url,omitempty"`
	CommitURLTemplate string `json:"commit_url_template,omitempty"`
	// Link says whether syncs push the repository's commits to their Jira
	// issues as remote links; nil means the default (on once a Jira site is
	// logged in).
	Link *bool `json:"link,omitempty"`
	// LinkStyle is how commits appear on Jira issues: "issue" (one link per
	// issue and repository, the default when empty) or "commit" (also one
	// link per commit, the newest 10). See package jira.
	LinkStyle string `json:"link_style,omitempty"`
	// LinkIcon is the links' 16x16 icon URL: "" = the web host's own
	// /favicon.ico, "none" = no icon.
	LinkIcon string `json:"link_icon,omitempty"`
	// SmartCommits applies smart commit commands (#comment, #time,
	// #transition) of commits a fetch sees for the first time; off by default.
	SmartCommits bool `json:"smart_commits,omitempty"`
}

// AllProjectsValue is the Projects entry meaning "every Jira project".
const AllProjectsValue = "ALL"

// AllProjects reports whether every Jira project may see the repository
// (Projects is empty or ["ALL"]).
func (r Repository) AllProjects() bool {
	return len(r.Projects) == 0 || slices.Contains(r.Projects, AllProjectsValue)
}

// AllowsProject reports whether issues of the Jira project key may show the repository's commits.
func (r Repository) AllowsProject(key string) bool {
	return r.AllProjects() || slices.Contains(r.Projects, key)
}

// AllowsIssue reports whether the issue key (PROJ-7) belongs to an allowed project.
func (r Repository) AllowsIssue(issueKey string) bool {
	if r.AllProjects() {
		return true
	}
	i := strings.LastIndexByte(issueKey, '-')
	return i > 0 && slices.Contains(r.Projects, issueKey[:i])
}

// Status is a one-word summary for people: "ok", "error", "disabled" or "new".
func (r Repository) Status() string {
	switch {
	case !r.Enabled:
		return "disabled"
	case r.LastError != "":
		return "error"
	case r.LastFetched.IsZero():
		return "new"
	}
	return "ok"
}

// Errors of the repositories list, wrapped with %w in messages that say what to do.
var (
	ErrNameTaken = errors.New("repository name already taken")
	ErrNotFound  = errors.New("repository not found")
	ErrCorrupt   = errors.New("repositories list unreadable")
)

// ListVersion is the format version of repositories.json this gitjira writes.
const ListVersion = 1

type listFile struct {
	Version      int          `json:"version"`
	Repositories []Repository `json:"repositories"`
}

// RepositoryList is the repositories list file. Readers see either the old
// or the new content (writes are atomic renames); writers are serialised
// across processes by an flock on a separate .lock file.
type RepositoryList struct {
	path  string
	paths Paths
}

// OpenRepositoryList returns the list kept under p (the file need not exist yet).
func OpenRepositoryList(p Paths) *RepositoryList {
	return &RepositoryList{path: p.ReposFile(), paths: p}
}

// MaxListSize bounds the repositories list file read (a thousand
// repositories take about 1 MiB).
const MaxListSize = 64 << 20

// Path is the list file.
func (l *RepositoryList) Path() string { return l.path }

// Load reads the list. A missing file is an empty list; an unreadable,
// corrupted or unknown-version file is an error naming the file and what to do.
//
// The file stores the paths of the home's own files (mirror, key) relative
// to the home; Load returns them absolute. An absolute path written by an
// older gitjira, or by this home before it was moved or copied, that names
// mirrors/NAME.git or keys/NAME.key of another home is read as this home's
// own file when it has one, so a moved or copied home works on its own files.
func (l *RepositoryList) Load() ([]Repository, error) {
	repos, _, err := l.load()
	return repos, err
}

// load is Load that also returns the file's bytes (nil when it does not exist).
func (l *RepositoryList) load() ([]Repository, []byte, error) {
	data, err := safefile.Read(l.path, MaxListSize)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if errors.Is(err, safefile.ErrRefused) {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the repositories list: %w", err)
	}
	repos, err := l.decode(data)
	if err != nil {
		return nil, nil, err
	}
	for i := range repos {
		repos[i].Mirror = l.local(repos[i].Mirror, "mirrors", repos[i].Name+".git")
		repos[i].KeyFile = l.local(repos[i].KeyFile, "keys", repos[i].Name+".key")
	}
	return repos, data, nil
}

// local resolves a stored path of the home's own file dir/base.
func (l *RepositoryList) local(p, dir, base string) string {
	if p == "" || l.paths.Data == "" {
		return p
	}
	if !filepath.IsAbs(p) {
		return l.paths.Resolve(p)
	}
	own := filepath.Join(l.paths.Data, dir, base)
	if p != own && filepath.Base(p) == base && filepath.Base(filepath.Dir(p)) == dir {
		if _, err := os.Lstat(own); err == nil {
			return own
		}
	}
	return p
}

func (l *RepositoryList) decode(data []byte) ([]Repository, error) {
	restore := fmt.Sprintf("restore it from %s.bak (gitjira keeps the previous version there; repositories connected since show in `gitjira repos list` with the command that re-adds them) or move it aside to start an empty list; gitjira will not overwrite it", l.path)
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %s is corrupted (%v): %s", ErrCorrupt, l.path, jsonErrText(err), restore)
	}
	if head.Version == nil {
		return nil, fmt.Errorf("%w: %s has no format version, so it is not a gitjira repositories list: %s", ErrCorrupt, l.path, restore)
	}
	if *head.Version != ListVersion {
		return nil, fmt.Errorf("%w: %s has format version %d but this gitjira reads version %d: use a gitjira that knows it, or %s",
			ErrCorrupt, l.path, *head.Version, ListVersion, restore)
	}
	var f listFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %s is corrupted (%v): %s", ErrCorrupt, l.path, jsonErrText(err), restore)
	}
	seen := map[string]bool{}
	for _, r := range f.Repositories {
		if err := ValidName(r.Name); err != nil || seen[r.Name] {
			return nil, fmt.Errorf("%w: %s is corrupted (bad or repeated repository name %q): %s", ErrCorrupt, l.path, r.Name, restore)
		}
		seen[r.Name] = true
	}
	return f.Repositories, nil
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if se.Offset > 0 && strings.Contains(se.Error(), "unexpected end") {
			return "truncated JSON"
		}
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("wrong type for field %q at byte %d", te.Field, te.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated JSON"
	}
	return "invalid JSON"
}

// Get returns the repository called name, or an error wrapping ErrNotFound
// that lists the names there are.
func (l *RepositoryList) Get(name string) (Repository, error) {
	repos, err := l.Load()
	if err != nil {
		return Repository{}, err
	}
	for _, r := range repos {
		if r.Name == name {
			return r, nil
		}
	}
	return Repository{}, notFound(name, repos)
}

func notFound(name string, repos []Repository) error {
	if len(repos) == 0 {
		return fmt.Errorf("%w: %q: the repositories list is empty; connect one with `gitjira connect`", ErrNotFound, name)
	}
	names := make([]string, len(repos))
	for i, r := range repos {
		names[i] = r.Name
	}
	return fmt.Errorf("%w: %q: the repositories are %s", ErrNotFound, name, strings.Join(names, ", "))
}

// Update changes the list under an exclusive cross-process lock: it reads the
// current list, calls fn with it and writes what fn returns atomically (temp
// file in the same directory, fsync, rename, fsync of the directory), keeping
// the previous file as repositories.json.bak when the content changes (a
// write that changes nothing writes nothing). Restoring the backup is safe:
// files of repositories added since are kept as orphans (lifecycle), to
// re-add with `gitjira repos adopt`. When fn returns an error nothing
// is written. A corrupted file is reported and never overwritten. fn runs
// with the lock held, so it must not call Update itself.
func (l *RepositoryList) Update(fn func(repos []Repository) ([]Repository, error)) error {
	lk, err := lockFile(l.path + ".lock")
	if err != nil {
		return fmt.Errorf("cannot lock the repositories list: %w", err)
	}
	defer lk.Unlock()
	removeStaleTemps(l.path)
	old, oldData, err := l.load()
	if err != nil {
		return err
	}
	repos, err := fn(slices.Clone(old))
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range repos {
		if err := ValidName(r.Name); err != nil {
			return err
		}
		if seen[r.Name] {
			return nameTaken(r.Name)
		}
		seen[r.Name] = true
	}
	stored := make([]Repository, len(repos))
	for i, r := range repos {
		// The home's own files are stored relative to it (see Load).
		r.Mirror, r.KeyFile = l.paths.Relative(r.Mirror), l.paths.Relative(r.KeyFile)
		stored[i] = r
	}
	data, err := json.MarshalIndent(listFile{Version: ListVersion, Repositories: stored}, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if oldData != nil && bytes.Equal(oldData, data) {
		return nil // nothing changed: neither the list nor its backup is rewritten
	}
	if oldData != nil {
		// The previous list, which Load just read and decoded: the backup
		// is only ever a good list, never a copy of a damaged one.
		keepBackup(l.path)
	}
	if err := writeFileAtomic(l.path, data, 0o600); err != nil {
		return fmt.Errorf("cannot write the repositories list: %w", err)
	}
	return nil
}

func nameTaken(name string) error {
	return fmt.Errorf("%w: a repository called %q is already in the list; choose another with --name, or remove it first with `gitjira repos remove %s`", ErrNameTaken, name, name)
}

// keepBackup makes path.bak a hard link to the current file, replacing the
// old backup atomically (link to a temp name, then rename). A failed backup
// does not stop the write: it is a convenience, the atomic rename is the guarantee.
func keepBackup(path string) {
	tmp := path + ".bak.tmp"
	os.Remove(tmp)
	if err := os.Link(path, tmp); err != nil {
		data, rerr := safefile.Read(path, MaxListSize)
		if rerr != nil || os.WriteFile(tmp, data, 0o600) != nil {
			os.Remove(tmp)
			return
		}
	}
	if os.Rename(tmp, path+".bak") != nil {
		os.Remove(tmp)
	}
}

// removeStaleTemps deletes temp files left by writers killed mid-write.
// Called with the lock held, so no live writer owns them.
func removeStaleTemps(path string) { fsatomic.CleanTemps(path) }

// lockFile blocks until it holds the exclusive flock on path (internal/fsatomic).
func lockFile(path string) (*fsatomic.Lock, error) {
	return fsatomic.Acquire(context.Background(), path)
}

// writeFileAtomic replaces path with data atomically (internal/fsatomic).
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	return fsatomic.WriteFile(path, data, perm)
}

// ValidName checks a repository name: it names files (key, mirror, index), so
// it is 1-100 letters, digits, '.', '_' or '-', not starting with '.' or '-'.
func ValidName(name string) error {
	if name == "" {
		return errors.New("the repository name is empty: give one with --name")
	}
	if len(name) > 100 {
		return fmt.Errorf("the repository name %.20q... is longer than 100 characters: give a shorter one with --name", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok || (i == 0 && (c == '.' || c == '-')) {
			return fmt.Errorf("the repository name %q may only hold letters, digits, '.', '_' and '-' (not first): give another with --name", name)
		}
	}
	return nil
}

// ValidProjectKey reports whether s is a Jira project key: an uppercase
// letter followed by uppercase letters, digits or underscores (at least two
// characters in all), as in the issue key syntax [A-Z][A-Z0-9_]+-[0-9]+.
func ValidProjectKey(s string) bool {
	if len(s) < 2 || len(s) > 255 || !isUpper(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isKeyChar(s[i]) {
			return false
		}
	}
	return true
}

// NormalizeProjects checks a project selection and returns it in stored form:
// ["ALL"] for none or ["ALL"], else the keys sorted without repeats.
func NormalizeProjects(projects []string) ([]string, error) {
	var out []string
	for _, p := range projects {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if p == AllProjectsValue {
			if len(projects) > 1 {
				return nil, errors.New("projects: ALL cannot be combined with project keys: use --all-projects or --projects KEY[,KEY...]")
			}
			return []string{AllProjectsValue}, nil
		}
		if !ValidProjectKey(p) {
			return nil, fmt.Errorf("projects: %q is not a Jira project key (an uppercase letter, then uppercase letters, digits or _): check --projects", p)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return []string{AllProjectsValue}, nil
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// ParseProjectKeys reads project keys as people type them ("proj, OPS
// dev"): separated by commas or spaces, upper-cased, checked, repeats
// dropped, in the order given. No key at all is an error, as is any word
// that is not a project key; the messages say what a key looks like.
func ParseProjectKeys(text string) ([]string, error) {
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return nil, errors.New("no Jira project key given: type one or more Jira project keys (e.g. PROJ, OPS)")
	}
	var keys []string
	for _, f := range fields {
		k := strings.ToUpper(f)
		if !ValidProjectKey(k) {
			return nil, fmt.Errorf("%q is not a Jira project key: keys are an uppercase letter then letters, digits or _ (e.g. PROJ)", f)
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}
