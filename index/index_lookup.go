package index

import "github.com/gitjira/gitjira/store"

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
