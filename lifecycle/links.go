package lifecycle

import (
	"github.com/gitjira/gitjira/jira"
)

// LinkStatus is what front-ends show of a repository's Jira links: the
// Manage screen's "Links 130 ✓ · 2 refused" (jira.LinkSummary.String), the
// refused issues with their reasons, and the pending work with an estimate
// (the wizard's Finish: jira.PendingLinksLine). It reads the link state and
// the index only: no lock, nothing sent.
func (m *Manager) LinkStatus(name string) (jira.LinkSummary, error) {
	r, err := m.list().Get(name)
	if err != nil {
		return jira.LinkSummary{}, err
	}
	return jira.LinkStatus(m.Paths, r)
}
