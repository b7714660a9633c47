package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/forge"
	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/ui/common"
)

// StepAuthorize is the "Authorize the key" step: after the host key, when
// the server refuses the chosen key, it adds the key where the host accepts
// it and re-tests until the key reads the repository.
const StepAuthorize ID = "authorize"

// Fallback is the step that stands in for id when a wizard runs without it
// (a custom step list): the key step shows the public key to add by hand.
func Fallback(id ID) ID {
	if id == StepAuthorize {
		return StepKey
	}
	return ""
}

// The ways of authorizing, as the menu lists them.
type authWay int

const (
	wayAPI      authWay = iota // a deploy key through the host's API
	wayPassword                // one password login, ssh-copy-id style
	wayManual                  // by hand on the host's keys page
	wayOtherKey                // back to the key step
	wayCount
)

var wayNames = [wayCount]string{
	wayAPI:      "Upload it through the host's API",
	wayPassword: "Log in once with the account's password",
	wayManual:   "Add it yourself on the host's keys page",
	wayOtherKey: "Choose another key",
}

// wayHints say more about the way under the cursor.
var wayHints = [wayCount]string{
	wayAPI:      "A read-only deploy key on the repository, added with a token you type (hidden, never stored).",
	wayPassword: "For plain SSH servers: one login with the password (never stored) adds the key to the account's ~/.ssh/authorized_keys, as ssh-copy-id does.",
	wayManual:   "Copy the public key (c) and add it on the host; gitjira tries again by itself until the host accepts it.",
	wayOtherKey: "Back to the key step, to choose or generate another key.",
}

// The screens of the step.
type authScreen int

const (
	authChecking authScreen = iota // the first login with the key
	authMenu
	authAPIForm
	authPasswordForm
	authWaiting // re-testing until the host accepts the key
)

// authCheckedMsg is one login with the key (gitops.Check).
type authCheckedMsg struct {
	common.Request
	info *gitops.RemoteInfo
	err  error
}

// authUploadedMsg is the result of the deploy-key upload.
type authUploadedMsg struct {
	common.Request
	res forge.Result
	err error
}

// authAppendedMsg is the result of the password login.
type authAppendedMsg struct {
	common.Request
	res gitops.AppendKeyResult
	err error
}

// Authorize is the "Authorize the key" step.
type Authorize struct {
	env   *Env
	draft *Draft
	width int
	spin  spinner.Model

	screen authScreen
	cursor authWay
	// API form: the host kind, its API address, the token (masked).
	kind     int // index in forge.Kinds
	focus    int // 0 kind, 1 API URL, 2 token
	apiURL   textinput.Model
	token    textinput.Model
	password textinput.Model
	working  bool // an upload or a password login is running
	testing  bool // a login with the key is running

	// note says what was done ("Added the deploy key…"); admin is the line
	// a server's admin runs for an account without a shell.
	note, admin string
	err         error
	tries       int
	since       time.Time
	pause       time.Duration
	fpFor       string // the key fingerprint the step's state is for
}

// NewAuthorize makes the "Authorize the key" step.
func NewAuthorize(env *Env, d *Draft) Authorize {
	tok := common.NewInput(env.Styles, "Token: ")
	tok.EchoMode, tok.EchoCharacter, tok.CharLimit = textinput.EchoPassword, '•', 4096
	pw := common.NewInput(env.Styles, "Password: ")
	pw.EchoMode, pw.EchoCharacter, pw.CharLimit = textinput.EchoPassword, '•', 1024
	api := common.NewInput(env.Styles, "API URL: ")
	api.CharLimit = 2048
	return Authorize{env: env, draft: d, spin: spinner.New(spinner.WithSpinner(spinner.Line)), token: tok, password: pw, apiURL: api}
}

// ID implements Step.
func (m Authorize) ID() ID { return StepAuthorize }

// Title implements Titled.
func (m Authorize) Title() string { return "Authorize the key" }

// Skip implements Step: nothing to do when the key reads the repository
// (the host key step's check, or an earlier pass here, proved it).
func (m Authorize) Skip() bool {
	return m.draft.Remote != nil && m.draft.AuthErr == nil
}

// Busy implements Step.
func (m Authorize) Busy() bool { return m.working || m.testing }

// Typing implements Step.
func (m Authorize) Typing() bool {
	return m.screen == authAPIForm && m.focus > 0 || m.screen == authPasswordForm
}

// Enter implements Step: log in with the key; a refusal opens the menu.
func (m Authorize) Enter() (Step, tea.Cmd) {
	m.err, m.working, m.testing = nil, false, false
	fp := ""
	if m.draft.Key != nil {
		fp = m.draft.Key.Fingerprint
	}
	if fp != m.fpFor {
		m.fpFor, m.note, m.admin, m.tries = fp, "", "", 0
	}
	if ep := m.draft.Endpoint; ep != nil {
		k, web := forgeHost(ep)
		switch {
		case k != "":
			m.kind = kindIndex(k)
			m.cursor = wayAPI
		case ep.User != "git":
			m.cursor = wayPassword
		default:
			m.cursor = wayManual
		}
		m.apiURL.SetValue(forge.DefaultAPIURL(forge.Kinds[m.kind], web))
	}
	if m.draft.AuthErr != nil {
		// The host key step (or the clone) was just refused with this key.
		m.screen = authMenu
		return m, nil
	}
	m.screen = authChecking
	return m.retest(0)
}

// forgeHost is the kind of a well-known host and its name on the web: the
// endpoint's host, or the ~/.ssh/config alias it was reached by (Host
// github.com with another HostName or port).
func forgeHost(ep *gitops.Endpoint) (forge.Kind, string) {
	if k := forge.Guess(ep.Host); k != "" {
		return k, ep.Host
	}
	if k := forge.Guess(ep.Alias); k != "" {
		return k, ep.Alias
	}
	return "", ep.Host
}

func kindIndex(k forge.Kind) int {
	for i, x := range forge.Kinds {
		if x == k {
			return i
		}
	}
	return 0
}

// connectOptions are the draft's, trusting the host key the user accepted
// on the host key step (recorded in known_hosts now: this step logs in).
func (m Authorize) connectOptions() gitops.ConnectOptions {
	o := m.draft.connectOptions(m.env)
	o.TrustFingerprint = m.draft.TrustFingerprint
	return o
}

// retest logs in with the key after pause.
func (m Authorize) retest(pause time.Duration) (Step, tea.Cmd) {
	q, ctx := m.env.start(StepAuthorize, "test")
	o := m.connectOptions()
	m.testing = true
	check := func() tea.Msg {
		if pause > 0 {
			select {
			case <-ctx.Done():
				return authCheckedMsg{Request: q, err: ctx.Err()}
			case <-time.After(pause):
			}
		}
		info, err := gitops.Check(ctx, o)
		return authCheckedMsg{Request: q, info: info, err: err}
	}
	return m, tea.Batch(check, m.spin.Tick)
}

// startWaiting re-tests until the host accepts the key.
func (m Authorize) startWaiting() (Step, tea.Cmd) {
	m.screen = authWaiting
	m.since = time.Now()
	m.tries = 0
	m.pause = 500 * time.Millisecond
	return m.retest(0)
}

// Update implements Step.
func (m Authorize) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		for _, in := range []*textinput.Model{&m.apiURL, &m.token, &m.password} {
			in.Width = max(10, msg.Width-16)
		}
		return m, nil
	case authCheckedMsg:
		return m.checked(msg)
	case authUploadedMsg:
		m.working = false
		if msg.err != nil {
			m.err = msg.err
			return m, nil
		}
		name := forge.Kinds[m.kind].Name()
		if msg.res.Existing {
			m.note = fmt.Sprintf("The key is already a deploy key of the repository on %s (%q).", name, msg.res.Key.Title)
		} else {
			m.note = fmt.Sprintf("Added the read-only deploy key %q on %s.", msg.res.Key.Title, name)
		}
		m.token.SetValue("")
		return m.startWaiting()
	case authAppendedMsg:
		m.working = false
		m.password.SetValue("")
		var ns *gitops.NoShellError
		switch {
		case errors.As(msg.err, &ns):
			// Only the admin can add it: show the line, and wait for it.
			m.note = fmt.Sprintf("The account %s runs %s, not a shell: ask the server's admin to run the line below; gitjira tries again until the key works.", ns.User, ns.Shell)
			m.admin = ns.AdminCommand
			return m.startWaiting()
		case msg.err != nil:
			m.err = msg.err
			return m, nil
		case msg.res.Added:
			m.note = fmt.Sprintf("Added the key to ~/.ssh/authorized_keys of %s on %s.", m.draft.Endpoint.User, m.draft.Endpoint.Host)
		default:
			m.note = fmt.Sprintf("The key was already in ~/.ssh/authorized_keys of %s on %s.", m.draft.Endpoint.User, m.draft.Endpoint.Host)
		}
		return m.startWaiting()
	case spinner.TickMsg:
		return m, spin(&m.spin, m.Busy(), msg)
	case tea.KeyMsg:
		return m.updateKey(msg)
	}
	return m, nil
}

// checked handles a login with the key: accepted moves on, refused waits
// (or opens the menu), anything else goes where it is fixed.
func (m Authorize) checked(msg authCheckedMsg) (Step, tea.Cmd) {
	m.testing = false
	m.tries++
	var ae *gitops.AuthError
	switch {
	case msg.err == nil:
		d := m.draft
		d.Remote, d.AuthErr = msg.info, nil
		d.HostChecked, d.HostKeyErr = true, nil
		d.HostKeyFingerprint = msg.info.HostKeyFingerprint
		if m.screen == authWaiting && m.tries > 1 {
			d.AuthNote = fmt.Sprintf("%s accepted the key after %s (%d tries).", d.Endpoint.Host, time.Since(m.since).Round(100*time.Millisecond), m.tries)
		}
		return m, done(StepAuthorize)
	case errors.Is(msg.err, context.Canceled):
		return m, nil
	case errors.As(msg.err, &ae):
		m.draft.AuthErr = ae
		if m.screen == authWaiting {
			m.pause = min(m.pause*2, 5*time.Second)
			return m.retest(m.pause)
		}
		m.screen = authMenu
		return m, nil
	}
	if to, ok := route(m.draft, msg.err); ok && to != StepAuthorize {
		return m, gotoStep(to, msg.err)
	}
	m.err = msg.err
	if m.screen == authChecking {
		m.screen = authMenu
	}
	return m, nil
}

func (m Authorize) updateKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	if m.working {
		return m, nil
	}
	switch m.screen {
	case authChecking:
		if key.Matches(msg, k.Back) {
			m.env.requests().Cancel(string(StepAuthorize))
			m.testing = false
			return m, back(StepAuthorize)
		}
		return m, nil
	case authMenu:
		switch {
		case key.Matches(msg, k.Back):
			return m, back(StepAuthorize)
		case key.Matches(msg, k.Up):
			m.cursor = (m.cursor + wayCount - 1) % wayCount
		case key.Matches(msg, k.Down):
			m.cursor = (m.cursor + 1) % wayCount
		case key.Matches(msg, k.Home):
			m.cursor = 0
		case key.Matches(msg, k.End):
			m.cursor = wayCount - 1
		case key.Matches(msg, k.Open) && m.keysPage() != "":
			return m, openURL(m.keysPage())
		case key.Matches(msg, k.Next):
			m.err = nil
			switch m.cursor {
			case wayAPI:
				m.screen, m.focus = authAPIForm, 2
				m.fillTokenFromEnv()
				return m, m.focusInput()
			case wayPassword:
				m.screen = authPasswordForm
				return m, m.password.Focus()
			case wayManual:
				m.note, m.admin = "", ""
				return m.startWaiting()
			case wayOtherKey:
				return m, gotoStep(StepKey, nil)
			}
		}
		return m, nil
	case authWaiting:
		switch {
		case key.Matches(msg, k.Back):
			m.env.requests().Cancel(string(StepAuthorize))
			m.testing = false
			m.screen = authMenu
		case key.Matches(msg, k.Open) && m.keysPage() != "":
			return m, openURL(m.keysPage())
		case key.Matches(msg, k.Retry) && !m.testing:
			return m.retest(0)
		}
		return m, nil
	case authAPIForm:
		return m.updateAPIForm(msg)
	case authPasswordForm:
		switch {
		case key.Matches(msg, k.Back):
			m.password.Blur()
			m.password.SetValue("")
			m.screen = authMenu
			return m, nil
		case key.Matches(msg, k.Next) && m.password.Value() != "":
			m.working, m.err = true, nil
			pw := []byte(m.password.Value())
			q, ctx := m.env.start(StepAuthorize, "password")
			o := gitops.AppendKeyOptions{ConnectOptions: m.connectOptions(), Password: pw, AuthorizedKey: m.publicKey() + " " + m.title()}
			return m, tea.Batch(func() tea.Msg {
				defer clear(pw)
				res, err := gitops.AppendAuthorizedKey(ctx, o)
				return authAppendedMsg{Request: q, res: res, err: err}
			}, m.spin.Tick)
		}
		var cmd tea.Cmd
		m.password, cmd = m.password.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m Authorize) updateAPIForm(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	switch {
	case key.Matches(msg, k.Back):
		m.token.SetValue("")
		m.token.Blur()
		m.apiURL.Blur()
		m.screen = authMenu
		return m, nil
	case msg.Type == tea.KeyTab || key.Matches(msg, k.Down):
		m.focus = (m.focus + 1) % 3
		return m, m.focusInput()
	case msg.Type == tea.KeyShiftTab || key.Matches(msg, k.Up):
		m.focus = (m.focus + 2) % 3
		return m, m.focusInput()
	case m.focus == 0 && (key.Matches(msg, k.Left) || key.Matches(msg, k.Right)):
		d := 1
		if key.Matches(msg, k.Left) {
			d = len(forge.Kinds) - 1
		}
		m.kind = (m.kind + d) % len(forge.Kinds)
		if m.draft.Endpoint != nil {
			_, web := forgeHost(m.draft.Endpoint)
			m.apiURL.SetValue(forge.DefaultAPIURL(forge.Kinds[m.kind], web))
		}
		return m, nil
	case key.Matches(msg, k.Next):
		if m.focus < 2 {
			m.focus = 2
			return m, m.focusInput()
		}
		if strings.TrimSpace(m.token.Value()) == "" {
			m.err = fmt.Errorf("type the token: %s", forge.Kinds[m.kind].TokenHelp())
			return m, nil
		}
		return m.upload()
	}
	var cmd tea.Cmd
	switch m.focus {
	case 1:
		m.apiURL, cmd = m.apiURL.Update(msg)
	case 2:
		m.token, cmd = m.token.Update(msg)
	}
	return m, cmd
}

// fillTokenFromEnv prefills the token from the host's variable (GH_TOKEN…).
func (m *Authorize) fillTokenFromEnv() {
	if m.token.Value() != "" {
		return
	}
	for _, env := range forge.Kinds[m.kind].TokenEnv() {
		if v := strings.TrimSpace(os.Getenv(env)); v != "" {
			m.token.SetValue(v)
			return
		}
	}
}

func (m *Authorize) focusInput() tea.Cmd {
	m.apiURL.Blur()
	m.token.Blur()
	switch m.focus {
	case 1:
		return m.apiURL.Focus()
	case 2:
		return m.token.Focus()
	}
	return nil
}

// upload adds the key through the host's API.
func (m Authorize) upload() (Step, tea.Cmd) {
	kind := forge.Kinds[m.kind]
	repo, err := forge.RepoFromPath(kind, m.draft.Endpoint.Path)
	if err != nil {
		m.err = err
		return m, nil
	}
	c, err := forge.New(forge.Options{Kind: kind, APIURL: strings.TrimSpace(m.apiURL.Value()), Host: m.draft.Endpoint.Host, Repo: repo,
		Token: strings.TrimSpace(m.token.Value()), HTTPClient: m.env.HTTPClient, UserAgent: "gitjira"})
	if err != nil {
		m.err = err
		return m, nil
	}
	m.working, m.err = true, nil
	q, ctx := m.env.start(StepAuthorize, "upload")
	title, line := m.title(), m.publicKey()
	return m, tea.Batch(func() tea.Msg {
		res, err := c.Authorize(ctx, title, line)
		return authUploadedMsg{Request: q, res: res, err: err}
	}, m.spin.Tick)
}
