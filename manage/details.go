package manage

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/scroll"
)

// recentCommits is how many of the latest commits the details show.
const recentCommits = 8

// detailsMsg is the repository's details as lifecycle reads them (mirror
// size, stored key's public part, recent commits; each part with its error).
type detailsMsg struct {
	name     string
	d        lifecycle.Details
	err      error
	links    jira.LinkSummary // what is linked in Jira, refused, pending
	linksErr error
	noSite   bool // no Jira site is logged in: nothing is linked
}

// loadDetails asks lifecycle for the details: front-ends never open
// mirrors or key files themselves.
func loadDetails(mgr *lifecycle.Manager, r store.Repository) tea.Cmd {
	return func() tea.Msg {
		d, err := mgr.Details(r.Name, recentCommits)
		msg := detailsMsg{name: r.Name, d: d, err: err}
		msg.links, msg.linksErr = mgr.LinkStatus(r.Name)
		site, err := store.LoadSite(mgr.Paths)
		msg.noSite = err == nil && site == nil
		return msg
	}
}

// detailsPage shows everything about one repository, scrolling.
type detailsPage struct {
	c      *shared
	r      store.Repository
	sc     *scroll.Model
	d      *lifecycle.Details // nil until read
	err    error              // the details could not be read at all
	links  *detailsMsg        // the link status, with d
	width  int
	height int
}

func newDetailsPage(c *shared, r store.Repository) (page, tea.Cmd) {
	p := &detailsPage{c: c, r: r, sc: newScroll(c)}
	p.refresh()
	return p, loadDetails(c.Manager, r)
}

func (p *detailsPage) title() string { return p.r.Name + " · Details" }
func (p *detailsPage) typing() bool  { return false }
func (p *detailsPage) busy() bool    { return false }
func (p *detailsPage) help() help.KeyMap {
	k := p.c.Keys
	return newHelp(append(p.sc.ShortHelp(), withDesc(k.Next, "recent commits"), withDesc(k.Back, "back"))...)
}

func (p *detailsPage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
		p.refresh()
		return p, nil
	case detailsMsg:
		if msg.name == p.r.Name {
			p.d, p.err, p.links = &msg.d, msg.err, &msg
			if msg.err == nil {
				p.r = msg.d.Repository // the list as read now
			}
			p.refresh()
		}
		return p, nil
	case tea.KeyMsg:
		if key.Matches(msg, p.c.Keys.Next) && p.d != nil && len(p.d.Recent) > 0 {
			return newRecentPage(p.c, p, p.d.Recent)
		}
		if key.Matches(msg, p.c.Keys.Back) || key.Matches(msg, p.c.Keys.Next) {
			return closePage(flash{}, false)
		}
		p.sc.Update(msg)
	}
	return p, nil
}

func (p *detailsPage) view() string { return p.sc.View() }

func (p *detailsPage) refresh() {
	p.sc.SetSize(max(20, p.width), max(3, p.height))
	p.sc.SetContent(p.content(), -1)
}

// content is the details text, wrapped to the page's width.
func (p *detailsPage) content() string {
	st := p.c.Styles
	r := p.r
	w := max(20, p.width)
	var b strings.Builder
	row := func(label, value string) {
		const lw = 12
		b.WriteString(st.Label.Render(fmt.Sprintf("%-*s", lw, label)))
		lines := strings.Split(wrapHard(value, max(10, w-lw)), "\n")
		for i, l := range lines {
			if i > 0 {
				b.WriteString("\n" + strings.Repeat(" ", lw))
			}
			b.WriteString(st.Value.Render(l))
		}
		b.WriteString("\n")
	}
	pending := "…"
	row("URL", r.URL)
	if r.Alias != "" {
		row("Alias", r.Alias)
	}
	if rt := p.c.Manager.RouteText(r); r.Alias != "" || strings.Contains(rt, " via ") {
		row("Route", rt)
	}
	row("Web URL", webURLText(r))
	if p.links != nil {
		for i, l := range linksText(r, p.links) {
			label := ""
			if i == 0 {
				label = "Jira links"
			}
			row(label, l)
		}
	}
	row("Projects", strings.ReplaceAll(projectsText(r), ",", ", "))
	state := r.Status()
	if r.LastError != "" {
		state = "error: " + r.LastError
	}
	row("State", state)
	last := "never"
	if !r.LastFetched.IsZero() {
		last = r.LastFetched.Local().Format("2006-01-02 15:04:05") + " (" + relTime(r.LastFetched, p.c.now()) + ")"
	}
	row("Last sync", last)
	row("Commits", fmt.Sprintf("%d indexed, %s", r.Commits, plural(r.IssueKeys, "issue key", "issue keys")))
	if r.DefaultBranch != "" {
		row("Branch", r.DefaultBranch)
	}
	row("Host key", orNone(r.HostKeyFingerprint, "not recorded"))
	keyDesc := orNone(r.KeyFingerprint, "not recorded")
	if p.d != nil {
		switch {
		case p.d.Key != nil:
			fp := p.d.Key.Fingerprint
			if fp == "" {
				fp = r.KeyFingerprint
			}
			keyDesc = fp + " (" + keyLabel(p.d.Key)
			if p.d.Key.Encrypted {
				keyDesc += ", encrypted"
			}
			keyDesc += ")"
		case p.d.KeyErr != nil:
			keyDesc += " (cannot read the stored key: " + oneLine(p.d.KeyErr) + ")"
		}
	}
	row("Key", keyDesc)
	row("Key file", orNone(p.c.Display(r.KeyFile), "none"))
	size := pending
	if p.d != nil {
		size = byteSize(p.d.MirrorSize)
		if p.d.SizeErr != nil {
			size = "cannot measure: " + oneLine(p.d.SizeErr)
		}
	}
	row("Mirror", p.c.Display(r.Mirror))
	row("Size", size)
	if !r.Added.IsZero() {
		row("Added", r.Added.Local().Format("2006-01-02 15:04"))
	}
	b.WriteString("\n" + st.Header.Render("Recent commits") + "\n")
	switch {
	case p.err != nil:
		b.WriteString(common.Wrap(st.Error, w, "✗ Cannot read the details: "+oneLine(p.err)) + "\n")
	case p.d == nil:
		b.WriteString(st.Hint.Render("Reading the mirror…") + "\n")
	case p.d.RecentErr != nil && len(p.d.Recent) == 0:
		b.WriteString(common.Wrap(st.Error, w, "✗ Cannot read the mirror: "+oneLine(p.d.RecentErr)) + "\n")
	case len(p.d.Recent) == 0:
		b.WriteString(st.Hint.Render("No commits yet.") + "\n")
	}
	if p.d != nil {
		for _, c := range p.d.Recent {
			keys := strings.Join(c.IssueKeys, ",")
			if keys == "" {
				keys = "-"
			}
			line := fmt.Sprintf("%s %s %-15s %s", shortSHA(c.SHA), c.Date.Local().Format("2006-01-02"), truncate(keys, 15), c.Subject)
			b.WriteString(truncate(line, w) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// linksText is the repository's Jira links as the details show them:
// "130 ✓ · 2 refused · 5 pending", then each refused issue with its reason.
func linksText(r store.Repository, msg *detailsMsg) []string {
	s, err := msg.links, msg.linksErr
	switch {
	case msg.noSite:
		return []string{"none: no Jira site is logged in (gitjira jira login)"}
	case r.Link != nil && !*r.Link:
		return []string{"off (turn it on with gitjira repos set " + r.Name + " --link)"}
	case err != nil:
		return []string{"cannot read the link state: " + oneLine(err)}
	case s.Issues == 0 && s.Pending == 0 && len(s.Refused) == 0:
		return []string{"none yet"}
	}
	out := []string{s.String()}
	const most = 5
	for i, f := range s.Refused {
		if i == most {
			out = append(out, fmt.Sprintf("… %d more refused; gitjira repos link %s retries them", len(s.Refused)-most, r.Name))
			break
		}
		out = append(out, "✗ "+f.Issue+": "+f.Reason)
	}
	return out
}

// webURLText is the web address Jira links use for r (its own, or the one
// guessed from the SSH URL, said so), with how to set the right one.
func webURLText(r store.Repository) string {
	loc, confident := jira.RepositoryWebLocation(r)
	set := "gitjira repos set " + r.Name + " --web-url URL"
	switch {
	case loc.WebURL == "":
		return "none: Jira links need a page a browser can open; set it with " + set
	case !confident:
		return loc.WebURL + " (guessed from the SSH URL; if that page does not open, set the right one with " + set + ")"
	}
	return loc.WebURL
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// wrapHard breaks s into lines of at most width cells, at spaces when it
// can and inside long words (URLs, fingerprints) when it must.
func wrapHard(s string, width int) string {
	if width <= 0 {
		return s
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for len([]rune(line)) > width {
			r := []rune(line)
			cut := width
			for i := width; i > width/2; i-- {
				if r[i] == ' ' {
					cut = i
					break
				}
			}
			out = append(out, strings.TrimRight(string(r[:cut]), " "))
			line = strings.TrimLeft(string(r[cut:]), " ")
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
