package steps

import (
	"fmt"
	"os"
	"strings"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
)

// commitsToLink counts the commits of r that mention issues of its
// projects: what the first sync links (index.IndexedCommits). -1 when the
// repository was not added or its index cannot be read.
func commitsToLink(p store.Paths, r store.Repository, err error) int {
	if err != nil {
		return -1
	}
	refs, err := index.IndexedCommits(p, r)
	if err != nil {
		return -1
	}
	return len(refs)
}

// CronLine is the crontab line that fetches (and links) every 10 minutes
// with the program at exe ("" : gitjira on the PATH).
func CronLine(exe string) string {
	if exe == "" || strings.ContainsAny(exe, " \t'\"$`\\") {
		exe = "gitjira"
	}
	return "*/10 * * * * " + exe + ` repos fetch >>"$HOME/gitjira-sync.log" 2>&1`
}

// executable is this program's path, for the cron line.
func executable() string {
	p, err := os.Executable()
	if err != nil || strings.HasSuffix(p, ".test") {
		return ""
	}
	return p
}

// jiraView says, on the finish screen, what happens in Jira next: the
// login it still needs, how many commits the first sync links and about
// how long that takes, and the line that keeps it in sync unattended.
func (m Finish) jiraView(body *common.Lines, r store.Repository, n *int) {
	if m.env.Temporary {
		return // the demo: its repository is gone when it ends
	}
	st := m.env.Styles
	body.Blank()
	if m.draft.AuthNote != "" {
		body.Text(st.Text, "Key: "+m.draft.AuthNote)
	}
	linkOff := r.Link != nil && !*r.Link
	commits := m.draft.ToLink
	what := ""
	if commits >= 0 {
		what = fmt.Sprintf("%s mention %s", common.Plural(commits, "commit", "commits"), common.Plural(r.IssueKeys, "issue", "issues"))
	}
	switch {
	case linkOff:
		body.Text(st.Text, "Jira: links are off for this repository; commits are only indexed.")
	case m.env.Projects == nil:
		if what != "" {
			body.Text(st.Text, "Jira: "+what+", linked once a Jira site is logged in:")
		} else {
			body.Text(st.Text, "Jira: no site is logged in yet, so nothing is linked. Log in:")
		}
		m.command(body, "gitjira jira login --url https://jira.example.com", n)
	case commits == 0:
		body.Text(st.Text, "Jira: no commit mentions an issue of the allowed projects yet; new ones are linked as they come.")
	case commits > 0:
		about := ""
		if d := m.draft.LinkIn; d > 0 {
			about = " (about " + jira.RoughDuration(d) + ")"
		}
		body.Text(st.Text, fmt.Sprintf("Jira: %s; the first sync links them%s:", what, about))
		m.command(body, "gitjira repos fetch "+r.Name, n)
	}
	body.Text(st.Text, "Unattended sync, every 10 minutes (cron; a systemd timer is in the README):")
	m.command(body, CronLine(m.draft.Executable), n)
}

// jiraCommands are the command lines jiraView shows, in order.
func (m Finish) jiraCommands(r store.Repository) []string {
	var cmds []string
	c := m
	c.collect = &cmds
	n := 0
	c.jiraView(common.NewLines(0), r, &n)
	return cmds
}
