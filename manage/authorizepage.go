package manage

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/steps"
	"github.com/gitjira/gitjira/store"
)

// authorizePage is the wizard's "Authorize the key" step over the key
// change (issue 18): the server refused the new key, so it is added where
// the host accepts it (a deploy key through the host's API, a one-time
// password login, or by hand on the keys page) and re-tested until the
// host accepts it; then the key change runs again. "Choose another key"
// and esc return to the key picker with the refusal shown.
type authorizePage struct {
	c    *shared
	back *keyChangePage
	step steps.Step
}

// newAuthorizePage opens the step for r's server and key k.
func newAuthorizePage(c *shared, back *keyChangePage, r store.Repository, k *sshkeys.Key, refused *gitops.AuthError) (page, tea.Cmd) {
	mgr := c.Manager
	ep, err := gitops.ParseURLWithConfig(r.URL, mgr.SSHConfigFile)
	if err != nil {
		back.err = err
		return back, back.picker.Init()
	}
	env := &steps.Env{
		Ctx: c.Ctx, Manager: mgr, Paths: mgr.Paths, KnownHostsFile: mgr.KnownHostsFile,
		SSHConfigFile: mgr.SSHConfigFile, Timeout: mgr.Timeout, Home: c.Home,
		Styles: c.Styles, Keys: c.Keys, Requests: c.Requests,
	}
	d := &steps.Draft{Endpoint: ep, Key: k, AuthErr: refused, HostChecked: true}
	s, cmd := steps.NewAuthorize(env, d).Enter()
	if back.width > 0 {
		var c2 tea.Cmd
		s, c2 = s.Update(tea.WindowSizeMsg{Width: back.width, Height: back.height})
		cmd = tea.Batch(cmd, c2)
	}
	return &authorizePage{c: c, back: back, step: s}, cmd
}

func (p *authorizePage) title() string { return p.back.title() + " · Authorize" }
func (p *authorizePage) typing() bool  { return p.step.Typing() }
func (p *authorizePage) busy() bool    { return p.step.Busy() }
func (p *authorizePage) help() help.KeyMap {
	return p.step.Help()
}

func (p *authorizePage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case steps.DoneMsg:
		// The host accepts the key now: replace it again (checked once more).
		return p.back.check()
	case steps.BackMsg, steps.GotoMsg:
		return p.back, p.back.picker.Init()
	case tea.WindowSizeMsg:
		p.back.update(msg)
	}
	var cmd tea.Cmd
	p.step, cmd = p.step.Update(msg)
	return p, cmd
}

func (p *authorizePage) view() string {
	s := p.step.View()
	var parts []string
	for _, part := range []string{s.Top, s.Body, s.Bottom} {
		if part != "" {
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, "\n\n")
}
