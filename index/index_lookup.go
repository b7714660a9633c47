package index

import (
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/gitjira/gitjira/store"
	"github.com/go-git/go-git/v5/plumbing"
)

// HiddenMatches counts, per repository, the commits that mention issueKey
// in repositories whose projects do not allow the issue's project: the
// commits Lookup leaves out. `gitjira issue` says they exist (and why they
// are not shown) instead of "no commits".
func (ix *Index) HiddenMatches(issueKey string) (map[string]int, error) {
	if !store.ValidIssueKey(issueKey) {
		return nil, nil
	}
	repos, err := store.OpenRepositoryList(ix.paths).Load()
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range repos {
		if r.AllowsIssue(issueKey) {
			continue
		}
		refs, err := ix.lookupRepo(r, issueKey)
		if err != nil {
			return nil, err
		}
		if len(refs) > 0 {
			out[r.Name] = len(refs)
		}
	}
	return out, nil
}

// maxMirrorMatches bounds how many commit messages one lookup reads from a
// mirror (for entries an older gitjira wrote, which lack the matching line).
const maxMirrorMatches = 200

// mirrorMatches fills in Match for the commits at positions at of refs
// (entries without stored matches) by reading their messages from the
// mirror: each commit is found through the packs' .idx files, mapped and
// binary-searched, never loaded whole; loose objects are read directly.
// A commit that cannot be read keeps no match.
func mirrorMatches(mirror, key string, refs []CommitRef, at []int) {
	if len(at) > maxMirrorMatches {
		at = at[:maxMirrorMatches]
	}
	objectsDir := filepath.Join(mirror, "objects")
	paths, _ := filepath.Glob(filepath.Join(objectsDir, "pack", "pack-*.pack"))
	var packs []*packfile.Pack
	defer func() {
		for _, p := range packs {
			p.Close()
		}
	}()
	for _, path := range paths {
		if p, err := packfile.OpenPack(path); err == nil {
			packs = append(packs, p)
		}
	}
	rd := &packfile.Reader{}
	read := func(id plumbing.Hash) ([]byte, bool) {
		for _, p := range packs {
			if off, ok := p.Index.Find(id); ok {
				t, data, err := rd.Read(p, off)
				return data, err == nil && t == packfile.Commit
			}
		}
		t, size, rc, err := packfile.OpenLoose(objectsDir, id)
		if err != nil {
			return nil, false
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, min(size, maxMessageScan+maxCommitHeaders)))
		return data, err == nil && t == packfile.Commit
	}
	for _, i := range at {
		data, ok := read(plumbing.NewHash(refs[i].SHA))
		if !ok {
			continue
		}
		// The message follows the first blank line.
		_, msg, _ := strings.Cut(string(data), "\n\n")
		for line := range strings.SplitSeq(msg, "\n") {
			if strings.Contains(line, key) && slices.Contains(store.IssueKeys(line), key) {
				refs[i].Match = strings.TrimSpace(line)
				break
			}
		}
	}
}
