package lifecycle

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/gitjira/gitjira/gitdiff"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
	"github.com/go-git/go-git/v5/plumbing"
)

// The queries behind `gitjira issue`, `gitjira show` and the issue view:
// an issue's commits across the repositories (from the index), the
// branches that contain them, and one commit with its diff (from the
// mirror, through gitdiff). Front-ends call these; none opens a mirror.

// ParseIssueKey checks a Jira issue key typed by a user and returns it
// upper-cased ("proj-12" is PROJ-12, as Jira itself reads it).
func ParseIssueKey(s string) (string, error) {
	key := strings.ToUpper(strings.TrimSpace(s))
	if !store.ValidIssueKey(key) {
		return "", fmt.Errorf("%q is not a Jira issue key: keys look like PROJ-7 (a project key, a dash, a number): %w", s, ErrInvalid)
	}
	return key, nil
}

// IssueCommit is one commit that mentions an issue (Match, from the index,
// is the line of the message that mentions the key when the subject does
// not).
type IssueCommit struct {
	index.CommitRef
	// WebURL is the commit's page in a browser, "" when none is known.
	WebURL string
}

// IssueCommits is what IssueCommits answers.
type IssueCommits struct {
	Key     string
	Commits []IssueCommit // newest first
	// Hidden counts, per repository, commits that mention the key in
	// repositories restricted to other Jira projects (not in Commits).
	Hidden map[string]int
}

// IssueCommits returns the commits that mention key in the connected
// repositories, newest first, from the index (no history walk, no mirror
// opened).
func (m *Manager) IssueCommits(key string) (*IssueCommits, error) {
	key, err := ParseIssueKey(key)
	if err != nil {
		return nil, err
	}
	ix := index.Open(m.Paths)
	refs, err := ix.Lookup(key)
	if err != nil {
		return nil, err
	}
	hidden, err := ix.HiddenMatches(key)
	if err != nil {
		return nil, err
	}
	repos, err := m.list().Load()
	if err != nil {
		return nil, err
	}
	byName := map[string]store.Repository{}
	for _, r := range repos {
		byName[r.Name] = r
	}
	out := &IssueCommits{Key: key, Hidden: hidden, Commits: make([]IssueCommit, len(refs))}
	for i, ref := range refs {
		out.Commits[i] = IssueCommit{CommitRef: ref}
		out.Commits[i].WebURL, _ = jira.CommitURL(byName[ref.Repository], ref.SHA)
	}
	return out, nil
}

// maxBranchWalk bounds the commits CommitBranches visits.
const maxBranchWalk = 5_000_000

// branchSlop: the walk stops once every commit left is older than the
// oldest asked-for commit by this much (clock skew between committers).
const branchSlop = 24 * time.Hour

// CommitBranches returns, for each of the given commits of the repository
// called repo, the branches whose history contains it (sorted). It walks
// the history from the branch tips, newest first, down to the oldest of
// the commits: run it in the background (a tea.Cmd), ctx stops it.
func (m *Manager) CommitBranches(ctx context.Context, repo string, shas []string) (map[string][]string, error) {
	r, err := m.list().Get(repo)
	if err != nil {
		return nil, err
	}
	db, err := index.OpenObjects(r.Mirror)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	branches, err := db.Branches()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(branches))
	for b := range branches {
		names = append(names, b)
	}
	sort.Strings(names)
	words := (len(names) + 63) / 64

	want := map[plumbing.Hash]bool{}
	for _, s := range shas {
		want[plumbing.NewHash(s)] = true
	}
	type node struct {
		parents []plumbing.Hash
		when    time.Time
		pending []uint64 // branches reaching it not yet passed on
		done    []uint64 // branches passed on to the parents
	}
	nodes := map[plumbing.Hash]*node{}
	q := &commitQueue{}
	var oldest time.Time
	found := map[plumbing.Hash]*node{}
	load := func(id plumbing.Hash) (*node, error) {
		if n, ok := nodes[id]; ok {
			return n, nil
		}
		if len(nodes) >= maxBranchWalk {
			return nil, fmt.Errorf("more than %d commits: the branches were not all searched", maxBranchWalk)
		}
		c, err := gitdiff.ReadCommit(db, id)
		if err != nil {
			return nil, err
		}
		n := &node{parents: c.Parents, when: c.Committer.When, pending: make([]uint64, words), done: make([]uint64, words)}
		nodes[id] = n
		if want[id] {
			found[id] = n
			if oldest.IsZero() || n.when.Before(oldest) {
				oldest = n.when
			}
		}
		return n, nil
	}
	for i, b := range names {
		n, err := load(branches[b])
		if err != nil {
			continue // a branch at a missing or non-commit object
		}
		n.pending[i/64] |= 1 << (i % 64)
		heap.Push(q, queued{branches[b], n.when})
	}
	for q.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it := heap.Pop(q).(queued)
		if len(found) == len(want) && !oldest.IsZero() && it.when.Before(oldest.Add(-branchSlop)) {
			break
		}
		n := nodes[it.id]
		fresh := false
		for w := range n.pending {
			add := n.pending[w] &^ n.done[w]
			n.done[w] |= add
			n.pending[w] = 0
			if add != 0 {
				fresh = true
			}
		}
		if !fresh {
			continue
		}
		for _, p := range n.parents {
			pn, err := load(p)
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return nil, err
				}
				continue // a shallow mirror's missing parent
			}
			grew := false
			for w := range pn.pending {
				add := n.done[w] &^ pn.done[w] &^ pn.pending[w]
				if add != 0 {
					pn.pending[w] |= add
					grew = true
				}
			}
			if grew {
				heap.Push(q, queued{p, pn.when})
			}
		}
	}
	out := map[string][]string{}
	for id, n := range found {
		var bs []string
		for i, b := range names {
			if n.done[i/64]&(1<<(i%64)) != 0 {
				bs = append(bs, b)
			}
		}
		out[id.String()] = bs
	}
	return out, nil
}

type queued struct {
	id   plumbing.Hash
	when time.Time
}

// commitQueue pops the newest commit first.
type commitQueue []queued

func (q commitQueue) Len() int           { return len(q) }
func (q commitQueue) Less(i, j int) bool { return q[i].when.After(q[j].when) }
func (q commitQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)        { *q = append(*q, x.(queued)) }
func (q *commitQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// DiffBudget bounds how much of a commit's diff is computed at once: the
// first Files files, and at most Lines hunk lines over them (a file is cut
// where the budget ends; the rest is loaded on demand).
type DiffBudget struct {
	Files int
	Lines int
}

// DefaultDiffBudget is what the issue view loads when a commit opens.
var DefaultDiffBudget = DiffBudget{Files: 100, Lines: 5000}

// CommitDetail is one commit with (the first part of) its diff.
type CommitDetail struct {
	Repository string
	Commit     *gitdiff.Commit
	// Short is the commit's abbreviated id, ParentsShort its parents'.
	Short        string
	ParentsShort []string
	// Changes are all the files the commit changed (first parent for a
	// merge); Patches the diffs of Changes[:len(Patches)].
	Changes []gitdiff.Change
	Patches []*gitdiff.FilePatch
	WebURL  string
}

// openCommit opens the mirror of repo and resolves rev in it.
func (m *Manager) openCommit(repo, rev string) (store.Repository, *index.Objects, *gitdiff.Commit, error) {
	r, err := m.list().Get(repo)
	if err != nil {
		return r, nil, nil, err
	}
	db, err := index.OpenObjects(r.Mirror)
	if err != nil {
		return r, nil, nil, err
	}
	id, err := db.Resolve(rev)
	if err != nil {
		db.Close()
		return r, nil, nil, fmt.Errorf("%s in %s: %w", rev, repo, err)
	}
	c, err := gitdiff.ReadCommit(db, id)
	if err != nil {
		db.Close()
		return r, nil, nil, fmt.Errorf("%s in %s: %w", rev, repo, err)
	}
	return r, db, c, nil
}

// CommitDetail reads commit rev (an id, abbreviated or not, or a ref name)
// of the repository called repo, the files it changed and the diffs of the
// first of them within budget.
func (m *Manager) CommitDetail(repo, rev string, budget DiffBudget) (*CommitDetail, error) {
	r, db, c, err := m.openCommit(repo, rev)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	chs, err := gitdiff.CommitChanges(db, c)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", rev, repo, err)
	}
	d := &CommitDetail{Repository: repo, Commit: c, Changes: chs, Short: c.ID.String()[:db.Abbrev(c.ID)]}
	for _, p := range c.Parents {
		d.ParentsShort = append(d.ParentsShort, p.String()[:db.Abbrev(p)])
	}
	d.WebURL, _ = jira.CommitURL(r, c.ID.String())
	d.Patches, err = patches(db, chs, budget)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// MorePatches computes the diffs of changes (the next files of a
// CommitDetail) within budget; fewer than len(changes) when it runs out.
func (m *Manager) MorePatches(repo string, changes []gitdiff.Change, budget DiffBudget) ([]*gitdiff.FilePatch, error) {
	r, err := m.list().Get(repo)
	if err != nil {
		return nil, err
	}
	db, err := index.OpenObjects(r.Mirror)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return patches(db, changes, budget)
}

func patches(db *index.Objects, chs []gitdiff.Change, b DiffBudget) ([]*gitdiff.FilePatch, error) {
	var out []*gitdiff.FilePatch
	lines := 0
	for _, ch := range chs {
		if b.Files > 0 && len(out) >= b.Files {
			break
		}
		left := 0
		if b.Lines > 0 {
			left = b.Lines - lines
			if left <= 0 && len(out) > 0 {
				break
			}
			left = max(left, 1)
		}
		fp, err := gitdiff.Diff(db, ch, gitdiff.Options{MaxLines: left, AbbrevOf: db.Abbrev})
		if err != nil {
			return out, fmt.Errorf("%s: %w", ch.Path(), err)
		}
		for _, h := range fp.Hunks {
			lines += len(h.Lines)
		}
		out = append(out, fp)
	}
	return out, nil
}

// WriteShow writes commit rev of repo as `git show --first-parent` prints
// it (header, message, diff), one file's diff in memory at a time.
func (m *Manager) WriteShow(w io.Writer, repo, rev string) error {
	_, db, c, err := m.openCommit(repo, rev)
	if err != nil {
		return err
	}
	defer db.Close()
	return gitdiff.WriteShow(w, db, c.ID, gitdiff.Options{AbbrevOf: db.Abbrev})
}
