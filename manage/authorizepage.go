package manage

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/ui/common"

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
	name string
	step steps.Step
	// done runs when the host accepts the key; back when the user leaves
	// (err: what sent the step elsewhere, a host key or location problem).
	done   func() (page, tea.Cmd)
	back   func(err error) (page, tea.Cmd)
	width  int
	height int
}

// newKeyChangeAuthorizePage opens the step over the key change: accepted,
// the change runs again; left, the picker shows the refusal.
func newKeyChangeAuthorizePage(c *shared, kc *keyChangePage, r store.Repository, k *sshkeys.Key, refused *gitops.AuthError) (page, tea.Cmd) {
	p, cmd, err := newAuthorizePage(c, r, k, refused, kc.width, kc.height)
	if err != nil {
		kc.err = err
		return kc, kc.picker.Init()
	}
	p.name = kc.title()
	p.done = kc.check
	p.back = func(err error) (page, tea.Cmd) {
		if err != nil && !errors.As(err, new(*gitops.AuthError)) {
			kc.err = err
		}
		return kc, kc.picker.Init()
	}
	return p, cmd
}

// newAuthorizePage makes the step for r's server and key k (with its signer,
// for the re-test).
func newAuthorizePage(c *shared, r store.Repository, k *sshkeys.Key, refused *gitops.AuthError, width, height int) (*authorizePage, tea.Cmd, error) {
	mgr := c.Manager
	ep, err := gitops.ParseURLWithConfig(r.URL, mgr.SSHConfigFile)
	if err != nil {
		return nil, nil, err
	}
	env := &steps.Env{
		Ctx: c.Ctx, Manager: mgr, Paths: mgr.Paths, KnownHostsFile: mgr.KnownHostsFile,
		SSHConfigFile: mgr.SSHConfigFile, Timeout: mgr.Timeout, Home: c.Home,
		Styles: c.Styles, Keys: c.Keys, Requests: c.Requests,
	}
	d := &steps.Draft{Endpoint: ep, Key: k, AuthErr: refused, HostChecked: true}
	s, cmd := steps.NewAuthorize(env, d).Enter()
	if width > 0 {
		var c2 tea.Cmd
		s, c2 = s.Update(tea.WindowSizeMsg{Width: width, Height: height})
		cmd = tea.Batch(cmd, c2)
	}
	return &authorizePage{c: c, name: r.Name, step: s, width: width, height: height}, cmd, nil
}

func (p *authorizePage) title() string { return p.name + " · Authorize the key" }
func (p *authorizePage) typing() bool  { return p.step.Typing() }
func (p *authorizePage) busy() bool    { return p.step.Busy() }
func (p *authorizePage) help() help.KeyMap {
	return p.step.Help()
}

func (p *authorizePage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case steps.DoneMsg:
		return p.done()
	case steps.BackMsg:
		return p.back(nil)
	case steps.GotoMsg:
		return p.back(msg.Reason)
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
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

// storedKeyMsg is a repository's stored key, read for the authorize action.
type storedKeyMsg struct {
	repo store.Repository
	key  *sshkeys.Key
	err  error
}

// readStoredKey reads r's stored key: the session's unlocked signer for an
// encrypted one, else the file.
func readStoredKey(c *shared, r store.Repository) tea.Cmd {
	signer := c.sess.signer(r.Name)
	mgr := c.Manager
	return func() tea.Msg {
		if signer != nil {
			pub := signer.PublicKey()
			return storedKeyMsg{repo: r, key: &sshkeys.Key{
				Type: pub.Type(), Fingerprint: ssh.FingerprintSHA256(pub), PublicKey: pub, Signer: signer,
				AuthorizedKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))),
			}}
		}
		if r.KeyFile == "" {
			return storedKeyMsg{repo: r, err: errors.New("the key of " + r.Name + " is held by ssh-agent: add its public half on the host by hand")}
		}
		// The lifecycle layer reads stored keys (bounded, regular files
		// only; an agent the SSH config names may hold the same key).
		k, err := mgr.OpenStoredKey(r, lifecycle.KeySource{})
		var locked *lifecycle.KeyLockedError
		if errors.As(err, &locked) {
			return storedKeyMsg{repo: r, err: errors.New("the key of " + r.Name + " is encrypted: sync it once (s) to give its passphrase, then authorize it")}
		}
		return storedKeyMsg{repo: r, key: k, err: err}
	}
}

// keyAuthorizeLoading waits for the stored key, then becomes the authorize
// step for the repository's host (the SSH keys tab's u).
type keyAuthorizeLoading struct {
	c             *shared
	width, height int
}

// newStoredKeyAuthorizePage opens the authorize action for the first
// repository using the selected stored key.
func newStoredKeyAuthorizePage(c *shared, r store.Repository) (page, tea.Cmd) {
	return &keyAuthorizeLoading{c: c}, readStoredKey(c, r)
}

func (p *keyAuthorizeLoading) title() string     { return "Authorize the key" }
func (p *keyAuthorizeLoading) typing() bool      { return false }
func (p *keyAuthorizeLoading) busy() bool        { return false }
func (p *keyAuthorizeLoading) help() help.KeyMap { return newHelp(withDesc(p.c.Keys.Back, "back")) }
func (p *keyAuthorizeLoading) view() string      { return "Reading the key…" }

func (p *keyAuthorizeLoading) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
	case tea.KeyMsg:
		if key.Matches(msg, p.c.Keys.Back) {
			return closePage(flash{}, false)
		}
	case storedKeyMsg:
		if msg.err != nil {
			return closePage(flash{text: common.ErrText(msg.err), err: true}, false)
		}
		ap, cmd, err := newAuthorizePage(p.c, msg.repo, msg.key, nil, p.width, p.height)
		if err != nil {
			return closePage(flash{text: common.ErrText(err), err: true}, false)
		}
		name := msg.repo.Name
		ap.done = func() (page, tea.Cmd) {
			return closePage(flash{text: "The host of " + name + " accepts the key."}, true)
		}
		ap.back = func(err error) (page, tea.Cmd) {
			if err != nil && !errors.As(err, new(*gitops.AuthError)) {
				return closePage(flash{text: common.ErrText(err), err: true}, false)
			}
			return closePage(flash{}, false)
		}
		return ap, cmd
	}
	return p, nil
}
