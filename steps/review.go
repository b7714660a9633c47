package steps

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
)

// Review shows what will be written where before anything is saved: the
// list entry, the stored copy of the key, the index, the mirror kept, and
// the known_hosts line the clone added. It also asks the two things Jira
// links need (issue 10): the repository's web page, prefilled with the
// address derived from its URL and focused when that address is only a
// guess, and whether commits are linked. enter saves; esc goes back.
type Review struct {
	env   *Env
	draft *Draft
	width int

	// web is the repository's web page (or a commit page with {sha}),
	// prefilled with guess, the address derived from guessFor.
	web       textinput.Model
	guess     jira.WebLocation
	confident bool
	guessFor  string
	focus     int // reviewWeb (typing in web) or reviewLink
	// moved: the user pressed a key here; until then the screen opens at
	// its top (what will be saved), not scrolled to the focused field
	moved bool
	link  bool
	// linkChosen: the user toggled the box; untouched without a Jira site,
	// the repository keeps the default (on once a site is logged in).
	linkChosen bool
	err        error
}

// The review's two questions, in order.
const (
	reviewWeb = iota
	reviewLink
)

// NewReview makes the review step. Linking is on by default when a Jira
// site is configured (the permissions step lists its projects).
func NewReview(env *Env, d *Draft) Review {
	in := common.NewInput(env.Styles, fmt.Sprintf("%-12s", "Web page"))
	in.Placeholder = "https://git.example.com/team/app"
	in.CharLimit = 2000
	// Linking is on by default: at once with a Jira site, else as soon as
	// one is logged in (the draft then stores no choice, see submit).
	return Review{env: env, draft: d, web: in, link: true, focus: reviewLink}
}

// ID implements Step.
func (m Review) ID() ID { return StepReview }

// Skip implements Step.
func (m Review) Skip() bool { return false }

// Busy implements Step.
func (m Review) Busy() bool { return false }

// Typing implements Step: the web page field has the focus.
func (m Review) Typing() bool { return m.focus == reviewWeb }

// Enter implements Step: derive the web page from the location, unless it
// was derived for this location already (the user's edits are kept).
func (m Review) Enter() (Step, tea.Cmd) {
	m.err = nil
	m.moved = false
	if u := m.planURL(); u != m.guessFor {
		m.guessFor = u
		m.guess, m.confident = jira.GuessWebURL(u)
		if !m.confident && !forgeLikeHost(m.guess.WebURL) {
			// An address or localhost is a plain SSH server: its guessed page
			// could never open, so the field starts empty.
			m.guess = jira.WebLocation{}
		}
		m.web.SetValue(m.guess.WebURL)
		m.web.CursorEnd()
		m.focus = reviewLink
		if !m.confident {
			m.focus = reviewWeb // a guess: the user checks it
		}
	}
	return m.setFocus(m.focus)
}

func (m Review) planURL() string {
	if m.draft.Plan != nil {
		return m.draft.Plan.URL
	}
	return m.draft.EndpointString()
}

func (m Review) setFocus(f int) (Review, tea.Cmd) {
	m.focus = f
	if f == reviewWeb {
		return m, m.web.Focus()
	}
	m.web.Blur()
	return m, nil
}

// Update implements Step.
func (m Review) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.web.Width = max(10, msg.Width-2-lipgloss.Width(m.web.Prompt)-1)
		return m, nil
	case tea.KeyMsg:
		k := m.env.Keys
		m.moved = true
		switch {
		case key.Matches(msg, k.Next):
			return m.submit()
		case key.Matches(msg, k.Back):
			return m, back(StepReview)
		case key.Matches(msg, k.Up, k.PrevMode):
			return m.setFocus(reviewWeb)
		case key.Matches(msg, k.Down, k.NextMode):
			m.err = nil
			return m.setFocus(reviewLink)
		case m.focus == reviewLink && key.Matches(msg, k.Toggle):
			m.link, m.linkChosen = !m.link, true
			return m, nil
		case m.focus == reviewLink && key.Matches(msg, k.Edit):
			return m.setFocus(reviewWeb)
		case m.focus == reviewWeb:
			before := m.web.Value()
			var cmd tea.Cmd
			m.web, cmd = m.web.Update(msg)
			if m.web.Value() != before {
				m.err = nil
			}
			return m, cmd
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.web, cmd = m.web.Update(msg) // the cursor's blink
	return m, cmd
}

// submit checks the web page and records both answers in the draft.
func (m Review) submit() (Step, tea.Cmd) {
	web, tmpl, err := webSetting(m.web.Value(), m.guess, m.confident)
	if err != nil {
		m.err = err
		return m.setFocus(reviewWeb)
	}
	m.err = nil
	link := &m.link
	if m.env.Projects == nil && !m.linkChosen {
		link = nil
	}
	l := link
	if l != nil {
		v := *l
		l = &v
	}
	m.draft.WebURL, m.draft.CommitURLTemplate, m.draft.Link = web, tmpl, l
	return m, done(StepReview)
}

// webSetting turns the web page field into the repository's settings: a
// commit URL template when it has {sha}, else a web URL. Nothing is stored
// when the field is empty or repeats a certain derivation (it follows the
// repository's URL then); an accepted guess is stored, as the user's word.
func webSetting(text string, guess jira.WebLocation, confident bool) (webURL, commitTemplate string, err error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", "", nil
	case strings.Contains(text, jira.ShaPlaceholder):
		if err := jira.CheckCommitURLTemplate(text); err != nil {
			return "", "", err
		}
		return "", text, nil
	}
	u, err := jira.NormalizeWebURL(text)
	if err != nil {
		return "", "", err
	}
	if confident && u == guess.WebURL {
		return "", "", nil
	}
	return u, "", nil
}

// View implements Step.
func (m Review) View() Screen {
	st := m.env.Styles
	d := m.draft
	top, body, bottom := common.NewLines(m.width), common.NewLines(m.width), common.NewLines(m.width)
	top.Text(st.Text, "Review: nothing is saved until you press enter.")
	field := func(label, value string) {
		body.Text(st.Text, st.Label.Render(fmt.Sprintf("%-12s", label))+st.Value.Render(value))
	}
	name := d.Name
	url := d.EndpointString()
	if d.Plan != nil {
		url = d.Plan.URL
	}
	field("Name", name)
	field("Location", url)
	if d.Plan != nil && d.Plan.Alias != "" {
		field("Typed as", d.Plan.Alias)
	}
	projects := "All projects"
	if len(d.Projects) > 0 && d.Projects[0] != store.AllProjectsValue {
		projects = strings.Join(d.Projects, ", ")
	}
	field("Projects", projects)
	if d.Key != nil {
		field("Key", keySummary(m.env, d))
	}
	if d.FromAgent {
		// said beside the key, above the fold: it is what the repository
		// needs from now on
		body.Text(st.Text, "No copy of the key: ssh-agent holds it and it cannot be copied, so fetching this repository later needs the agent running with this key loaded (SSH_AUTH_SOCK).")
	}
	if note := d.KeyNote(); note != "" {
		body.Text(st.Success, "✓ "+note)
	}
	m.linksView(body)

	p := m.env.Paths
	body.Blank()
	body.Text(st.Header, "Will be written")
	field("List entry", m.env.Display(p.ReposFile()))
	switch {
	case d.FromAgent: // said above
	case d.Key != nil && d.Key.Encrypted:
		field("Key copy", m.env.Display(filepath.Join(p.KeysDir(), name+".key"))+" (mode 0600, still encrypted; the passphrase is not stored)")
	default:
		field("Key copy", m.env.Display(filepath.Join(p.KeysDir(), name+".key"))+" (mode 0600)")
	}
	field("Index", m.env.Display(filepath.Join(p.IndexDir(), name+".idx")))
	if d.Plan != nil {
		kept := " (cloned, kept)"
		if d.Staged != nil && d.Staged.Result != nil {
			kept = " (cloned: " + common.Plural(d.Staged.Result.Commits, "commit", "commits") + ", kept)"
		}
		field("Mirror", m.env.Display(d.Plan.Mirror)+kept)
	}
	if d.TrustFingerprint != "" && d.HostKeyErr != nil {
		field("Known host", fmt.Sprintf("%s %s, added to %s when you trusted it", d.HostKeyErr.Host, d.HostKeyErr.KeyType, m.env.Display(d.HostKeyErr.KnownHostsFile)))
	}
	if m.env.Temporary {
		body.Text(st.Hint, "This is a demo: all of it is deleted when the demo ends.")
	}
	if m.err != nil {
		bottom.Text(st.Error, "✗ "+common.ErrText(m.err))
	}
	bottom.Text(st.Value, "Press enter to save; ctrl+c cancels and deletes the clone.")
	focus := -1 // opens at the top, and stays where it is on a resize
	if m.moved {
		focus = body.Focus()
	}
	return Screen{Top: top.String(), Body: body.String(), Bottom: bottom.String(), Focus: focus}
}

// linksView adds the web page and the linking choice: the field while it
// is asked (a guess, or being edited), else a line with the key to edit it.
func (m Review) linksView(body *common.Lines) {
	st := m.env.Styles
	body.Blank()
	body.Text(st.Header, "Jira links (they open commits on the web page)")
	if m.focus == reviewWeb {
		body.FocusNext()
		body.Add(st.Cursor.Render("› ") + m.web.View())
		hint := "A commit's page with {sha} also works."
		switch {
		case m.guess.WebURL == "" && m.draft.Plan != nil:
			// No guess: this host serves no web pages we can know of.
			hint = "No web page is known for this host: type it, or set it later with gitjira repos set " + m.draft.Plan.Name + " --web-url URL."
		case !m.confident:
			hint = "Guessed from the location: check it. " + hint
		}
		body.Text(st.Hint, "  "+hint)
	} else {
		page := strings.TrimSpace(m.web.Value())
		if page == "" {
			page = "(none)"
		}
		page = termtext.OneLine(page)
		if m.width > 0 {
			page = common.Truncate(page, max(10, m.width-2-12-len(" (e to edit)")))
		}
		body.Add("  " + st.Label.Render(fmt.Sprintf("%-12s", "Web page")) + st.Value.Render(page) + st.Hint.Render(" (e to edit)"))
	}
	mark := "[ ]"
	if m.link {
		mark = "[x]"
	}
	label := mark + " Link commits to their Jira issues"
	if m.focus == reviewLink {
		body.FocusNext()
		body.Add(st.Cursor.Render("› ") + st.Selected.Render(label))
	} else {
		body.Add("  " + label)
	}
	switch {
	case m.env.Projects == nil && m.link:
		body.Text(st.Hint, "  No Jira site yet (gitjira jira login): linking starts once there is one.")
	case m.env.Projects == nil:
		body.Text(st.Hint, "  No Jira site is logged in yet (gitjira jira login).")
	}
}

// keySummary is "~/.ssh/id_work (ed25519, encrypted)", "pasted (rsa 2048)"...
func keySummary(env *Env, d *Draft) string {
	src := env.Display(d.KeySource)
	if d.KeySource == PastedSource {
		src = "pasted"
	}
	var tags []string
	if l := keyTypeLabel(d.Key); l != "" && l != "key" {
		tags = append(tags, l)
	}
	if d.Key.Encrypted {
		tags = append(tags, "encrypted")
	}
	if d.Generated {
		tags = append(tags, "generated")
	}
	if len(tags) > 0 {
		src += " (" + strings.Join(tags, ", ") + ")"
	}
	return src
}

// Help implements Step.
func (m Review) Help() help.KeyMap {
	k := m.env.Keys
	if m.focus == reviewWeb {
		return common.NewHelp(upDown(k, "move"), common.WithDesc(k.Next, "save"), k.Back)
	}
	return common.NewHelp(common.WithDesc(k.Toggle, "link or not"), common.WithDesc(k.Edit, "edit web page"), common.WithDesc(k.Next, "save"), k.Back)
}
