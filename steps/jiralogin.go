package steps

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/ui/common"
)

// loginKey opens "Log in to Jira" where no site is logged in (the
// permissions step).
var loginKey = key.NewBinding(key.WithKeys("l", "L"), key.WithHelp("l", "log in to Jira"))

// jiraLoggedInMsg is the result of logging in to a Jira site (checked live,
// then saved as `gitjira jira login` saves it).
type jiraLoggedInMsg struct {
	common.Request
	site   string
	client *jira.Client
	user   string
	err    error
}

// jiraLogin is the "Log in to Jira" form: the site's address, the e-mail
// for Jira Cloud, and the token (masked). The kind of site is detected as
// `gitjira jira login` does it (jira.Login reads serverInfo).
type jiraLogin struct {
	env   *Env
	owner ID
	url   textinput.Model
	email textinput.Model
	token textinput.Model
	focus int // 0 URL, 1 e-mail, 2 token
	spin  spinner.Model
	busy  bool
	err   error
}

func newJiraLogin(env *Env, owner ID) *jiraLogin {
	u := common.NewInput(env.Styles, fmt.Sprintf("%-10s", "Site"))
	u.Placeholder = "https://jira.example.com or https://SITE.atlassian.net"
	u.CharLimit = 2000
	e := common.NewInput(env.Styles, fmt.Sprintf("%-10s", "E-mail"))
	e.Placeholder = "Jira Cloud only: the account's e-mail"
	e.CharLimit = 320
	t := common.NewInput(env.Styles, fmt.Sprintf("%-10s", "Token"))
	t.EchoMode, t.EchoCharacter, t.CharLimit = textinput.EchoPassword, '•', 4096
	l := &jiraLogin{env: env, owner: owner, url: u, email: e, token: t, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	l.url.Focus()
	return l
}

func (l *jiraLogin) setWidth(w int) {
	for _, in := range []*textinput.Model{&l.url, &l.email, &l.token} {
		in.Width = max(10, w-14)
	}
}

// cloud reports whether the address is a Jira Cloud site (e-mail + API token).
func (l *jiraLogin) cloud() bool {
	u, err := url.Parse(strings.TrimSpace(l.url.Value()))
	return err == nil && strings.HasSuffix(strings.ToLower(u.Hostname()), ".atlassian.net")
}

func (l *jiraLogin) focusField(i int) tea.Cmd {
	l.focus = i
	l.url.Blur()
	l.email.Blur()
	l.token.Blur()
	switch i {
	case 0:
		return l.url.Focus()
	case 1:
		return l.email.Focus()
	}
	return l.token.Focus()
}

// update handles a key; cancel is set when the user left the form (esc).
func (l *jiraLogin) update(msg tea.Msg) (cmd tea.Cmd, cancel bool) {
	switch msg := msg.(type) {
	case jiraLoggedInMsg:
		l.busy = false
		l.err = msg.err
		return nil, false
	case spinner.TickMsg:
		return spin(&l.spin, l.busy, msg), false
	case tea.KeyMsg:
		k := l.env.Keys
		if l.busy {
			return nil, false
		}
		switch {
		case key.Matches(msg, k.Back):
			l.token.SetValue("")
			return nil, true
		case msg.Type == tea.KeyTab || key.Matches(msg, k.Down):
			return l.focusField((l.focus + 1) % 3), false
		case msg.Type == tea.KeyShiftTab || key.Matches(msg, k.Up):
			return l.focusField((l.focus + 2) % 3), false
		case key.Matches(msg, k.Next):
			if l.focus < 2 {
				next := l.focus + 1
				if next == 1 && !l.cloud() && strings.TrimSpace(l.email.Value()) == "" {
					next = 2 // Data Center: a personal access token, no e-mail
				}
				return l.focusField(next), false
			}
			return l.submit(), false
		}
	}
	var c tea.Cmd
	switch l.focus {
	case 0:
		l.url, c = l.url.Update(msg)
	case 1:
		l.email, c = l.email.Update(msg)
	case 2:
		l.token, c = l.token.Update(msg)
	}
	return c, false
}

// submit checks the site and the credentials live (jira.Login) and saves
// them (jira.SaveSite), as `gitjira jira login` does.
func (l *jiraLogin) submit() tea.Cmd {
	site := strings.TrimSpace(l.url.Value())
	email := strings.TrimSpace(l.email.Value())
	secret := strings.TrimSpace(l.token.Value())
	switch {
	case site == "":
		l.err = errors.New("type the Jira site's address, e.g. https://jira.example.com")
		return l.focusField(0)
	case l.cloud() && email == "":
		l.err = errors.New("Jira Cloud takes the account's e-mail and an API token (id.atlassian.com, Security, API tokens)")
		return l.focusField(1)
	case secret == "":
		l.err = errors.New("type the token: a personal access token (Data Center), or the API token (Jira Cloud)")
		return l.focusField(2)
	}
	if _, err := jira.NormalizeBaseURL(site); err != nil {
		l.err = err
		return l.focusField(0)
	}
	l.busy, l.err = true, nil
	q, ctx := l.env.start(l.owner, "login")
	paths := l.env.Paths
	l.token.SetValue("")
	return tea.Batch(func() tea.Msg {
		res, err := jira.Login(ctx, jira.LoginOptions{URL: site, Email: email, Secret: secret})
		if err != nil {
			return jiraLoggedInMsg{Request: q, err: err}
		}
		if err := jira.SaveSite(paths, res.Site); err != nil {
			return jiraLoggedInMsg{Request: q, err: err}
		}
		c, err := jira.SiteClient(res.Site)
		if err != nil {
			return jiraLoggedInMsg{Request: q, err: err}
		}
		user := ""
		if res.User != nil {
			user = res.User.DisplayName
		}
		return jiraLoggedInMsg{Request: q, site: res.Site.URL, client: c, user: user}
	}, l.spin.Tick)
}

func (l *jiraLogin) view(width int) (top, body, bottom string) {
	st := l.env.Styles
	t, b, bt := common.NewLines(width), common.NewLines(width), common.NewLines(width)
	t.Text(st.Text, "Log in to Jira, so the projects come from the site (checked now, saved as `gitjira jira login` saves it).")
	mark := func(i int) string {
		if l.focus == i {
			return st.Cursor.Render("› ")
		}
		return "  "
	}
	b.Add(mark(0) + l.url.View())
	b.Add(mark(1) + l.email.View())
	b.Add(mark(2) + l.token.View())
	b.Blank()
	if l.cloud() {
		b.Text(st.Hint, "Jira Cloud: your e-mail and an API token (id.atlassian.com → Security → API tokens).")
	} else {
		b.Text(st.Hint, "Jira Data Center: a personal access token (profile → Personal access tokens); leave the e-mail empty. The token is stored 0600, never shown.")
	}
	if l.busy {
		bt.Text(st.Hint, l.spin.View()+" Checking the site and the token…")
	}
	if l.err != nil {
		bt.Text(st.Error, "✗ "+common.ErrText(l.err))
	}
	return t.String(), b.String(), bt.String()
}
