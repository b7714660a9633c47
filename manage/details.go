package manage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/components/scroll"
)

// recentCommits is how many of the latest commits the details show.
const recentCommits = 8

// commitLine is one recent commit in the details.
type commitLine struct {
	sha     string
	date    time.Time
	keys    []string // the issue keys the repository's projects allow
	subject string
}

// detailsMsg is what the details page reads from disk.
type detailsMsg struct {
	name    string
	size    int64
	sizeErr error
	key     *sshkeys.Key // the stored key as parsed (public half only when encrypted)
	keyErr  error
	commits []commitLine
	logErr  error
}

// loadDetails measures the mirror and reads the stored key and the latest
// commits of the default branch (with their issue keys, found as the index
// finds them).
func loadDetails(r store.Repository) tea.Cmd {
	return func() tea.Msg {
		msg := detailsMsg{name: r.Name}
		msg.size, msg.sizeErr = dirSize(r.Mirror)
		msg.key, msg.keyErr = readStoredKey(r.KeyFile)
		msg.commits, msg.logErr = latestCommits(r, recentCommits)
		return msg
	}
}

// dirSize is the bytes the files under dir take (their sizes, as du --apparent-size).
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n, err
}

// readStoredKey parses a stored key; an encrypted one gives what it shows
// in the clear (the public half, for OpenSSH and PuTTY keys).
func readStoredKey(path string) (*sshkeys.Key, error) {
	if path == "" {
		return nil, errors.New("no stored key")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := sshkeys.Parse(raw)
	var pme *sshkeys.PassphraseMissingError
	if errors.As(err, &pme) && pme.Key != nil {
		return pme.Key, nil
	}
	return k, err
}

// latestCommits walks the mirror's HEAD back n commits.
func latestCommits(r store.Repository, n int) ([]commitLine, error) {
	repo, err := git.PlainOpen(r.Mirror)
	if err != nil {
		return nil, err
	}
	head, err := repo.Head()
	if err != nil {
		return nil, err
	}
	it, err := repo.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []commitLine
	for len(out) < n {
		c, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		out = append(out, toCommitLine(r, c))
	}
	return out, nil
}

func toCommitLine(r store.Repository, c *object.Commit) commitLine {
	var keys []string
	for _, k := range store.IssueKeys(c.Message) {
		if r.AllowsIssue(k) {
			keys = append(keys, k)
		}
	}
	subject, _, _ := strings.Cut(c.Message, "\n")
	return commitLine{sha: c.Hash.String(), date: c.Author.When, keys: keys, subject: termtext.Field(subject, 200)}
}

// detailsPage shows everything about one repository, scrolling.
type detailsPage struct {
	c      *shared
	r      store.Repository
	sc     *scroll.Model
	d      *detailsMsg
	width  int
	height int
}

func newDetailsPage(c *shared, r store.Repository) (page, tea.Cmd) {
	p := &detailsPage{c: c, r: r, sc: newScroll(c)}
	p.refresh()
	return p, loadDetails(r)
}

func (p *detailsPage) title() string { return p.r.Name + " · Details" }
func (p *detailsPage) typing() bool  { return false }
func (p *detailsPage) busy() bool    { return false }
func (p *detailsPage) help() help.KeyMap {
	k := p.c.Keys
	return newHelp(append(p.sc.ShortHelp(), withDesc(k.Back, "back"))...)
}

func (p *detailsPage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
		p.refresh()
		return p, nil
	case detailsMsg:
		if msg.name == p.r.Name {
			p.d = &msg
			p.refresh()
		}
		return p, nil
	case tea.KeyMsg:
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
		case p.d.key != nil:
			fp := p.d.key.Fingerprint
			if fp == "" {
				fp = r.KeyFingerprint
			}
			keyDesc = fp + " (" + keyLabel(p.d.key)
			if p.d.key.Encrypted {
				keyDesc += ", encrypted"
			}
			keyDesc += ")"
		case p.d.keyErr != nil:
			keyDesc += " (cannot read the stored key: " + oneLine(p.d.keyErr) + ")"
		}
	}
	row("Key", keyDesc)
	row("Key file", orNone(p.c.env.Display(r.KeyFile), "none"))
	size := pending
	if p.d != nil {
		size = byteSize(p.d.size)
		if p.d.sizeErr != nil {
			size = "cannot measure: " + oneLine(p.d.sizeErr)
		}
	}
	row("Mirror", p.c.env.Display(r.Mirror))
	row("Size", size)
	if !r.Added.IsZero() {
		row("Added", r.Added.Local().Format("2006-01-02 15:04"))
	}
	b.WriteString("\n" + st.Header.Render("Recent commits") + "\n")
	switch {
	case p.d == nil:
		b.WriteString(st.Hint.Render("Reading the mirror…") + "\n")
	case p.d.logErr != nil && len(p.d.commits) == 0:
		b.WriteString(st.Error.Render(truncate("✗ Cannot read the mirror: "+oneLine(p.d.logErr), w)) + "\n")
	case len(p.d.commits) == 0:
		b.WriteString(st.Hint.Render("No commits yet.") + "\n")
	}
	if p.d != nil {
		for _, c := range p.d.commits {
			keys := strings.Join(c.keys, ",")
			if keys == "" {
				keys = "-"
			}
			line := fmt.Sprintf("%s %s %-15s %s", shortSHA(c.sha), c.date.Local().Format("2006-01-02"), truncate(keys, 15), c.subject)
			b.WriteString(truncate(line, w) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
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
