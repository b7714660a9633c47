package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/hostkey"
	"github.com/gitjira/gitjira/ui/components/keypicker"
	"github.com/gitjira/gitjira/ui/components/passphrase"
	"github.com/gitjira/gitjira/ui/components/scroll"
)

// The key change hosts the UI layer's components directly: the key picker
// (a file from ~/.ssh, a pasted key or a generated pair), the passphrase
// prompt for an encrypted one, and the host key screen when the server's
// key changed; then lifecycle.Manager.ReplaceKey runs for each repository,
// which checks that the server accepts the key before it stores it.

const (
	stageKey = iota
	stagePassphrase
	stageCheck
	stageHostKey
)

// The owners the components' requests are routed by.
const (
	keyOwner     = "manage/key"
	keyPassOwner = "manage/key-passphrase"
	keyHostOwner = "manage/key-hostkey"
)

type keyResult struct {
	name string
	err  error
}

type keyReplacedMsg struct {
	seq     int
	results []keyResult
}

// keyChangePage gives one or more repositories (those sharing a key, from
// the SSH keys tab) a new key.
type keyChangePage struct {
	c      *shared
	repos  []store.Repository
	picker *keypicker.Model
	prompt *passphrase.Model
	host   *hostkey.Model
	body   *scroll.Model // the picker's body, scrolling under its tabs
	stage  int
	spin   spinner.Model
	seq    int

	chosen  *keypicker.ChosenMsg // the key picked (decrypted once unlocked)
	refused *gitops.AuthError    // the server refused the key: its public half to add
	err     error
	done    []string // repositories that have the new key already

	width, height int
}

func newKeyChangePage(c *shared, repos []store.Repository) (page, tea.Cmd) {
	comment := "gitjira"
	if len(repos) == 1 {
		comment = "gitjira:" + repos[0].Name
	}
	p := &keyChangePage{c: c, repos: repos, spin: spinner.New(spinner.WithSpinner(spinner.Line)),
		picker: keypicker.New(c.Common, keyOwner, keypicker.Options{SSHDir: c.sshDir, Comment: comment}),
		prompt: passphrase.New(c.Common, keyPassOwner),
		host:   hostkey.New(c.Common, keyHostOwner),
		body:   scroll.New(c.Common, scroll.PageKeys(c.Keys)),
	}
	return p, p.picker.Init()
}

func (p *keyChangePage) names() string {
	var ns []string
	for _, r := range p.repos {
		ns = append(ns, r.Name)
	}
	return strings.Join(ns, ", ")
}

func (p *keyChangePage) title() string { return truncate(p.names(), 40) + " · New key" }

func (p *keyChangePage) typing() bool {
	switch p.stage {
	case stageKey:
		return p.picker.Typing()
	case stagePassphrase:
		return true
	}
	return false
}

func (p *keyChangePage) busy() bool {
	return p.stage == stageCheck || p.picker.Busy() || p.prompt.Busy()
}

func (p *keyChangePage) help() help.KeyMap {
	k := p.c.Keys
	var b []key.Binding
	switch p.stage {
	case stageCheck:
		return newHelp()
	case stageKey:
		b = append(b, p.picker.ShortHelp()...)
		b = append(b, p.body.ShortHelp()...)
		if p.copyText() != "" {
			b = append(b, p.copyKey())
		}
		b = append(b, withDesc(k.Back, "cancel"))
	case stagePassphrase:
		b = append(p.prompt.ShortHelp(), k.Clear, withDesc(k.Back, "another key"))
	case stageHostKey:
		b = append(p.host.ShortHelp(), withDesc(k.Back, "another key"))
		if p.copyText() != "" {
			b = append(b, p.copyKey())
		}
	}
	return newHelp(b...)
}

// copyKey is the copy key as it works now: c, or ctrl+y while typing.
func (p *keyChangePage) copyKey() key.Binding {
	if p.typing() {
		return p.c.Keys.CopyTyping
	}
	return p.c.Keys.Copy
}

// copyText is what the copy key copies on screen: the refused key's public
// half, the generated key, the ssh-keygen -R line ("" none).
func (p *keyChangePage) copyText() string {
	switch p.stage {
	case stageKey:
		if p.refused != nil && p.refused.AuthorizedKey != "" && !p.picker.ShowsGenerated() {
			return p.refused.AuthorizedKey
		}
		return p.picker.Render().Copy
	case stageHostKey:
		t, _ := p.host.Copy()
		return t
	}
	return ""
}

func (p *keyChangePage) update(msg tea.Msg) (page, tea.Cmd) {
	// A component's answer to a request made stale (esc, another key) is
	// dropped here, once.
	if r, ok := msg.(common.Reply); ok {
		if !p.c.Requests.Current(r.Answers()) {
			return p, nil
		}
	}
	pg, cmd := p.updateInner(msg)
	p.layout()
	return pg, cmd
}

func (p *keyChangePage) updateInner(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
		p.prompt.SetSize(msg.Width, msg.Height)
		p.host.SetSize(msg.Width, msg.Height)
		return p, nil
	case keypicker.ChosenMsg:
		if p.stage != stageKey {
			return p, nil
		}
		p.chosen, p.err = &msg, nil
		if msg.Key != nil && msg.Key.Encrypted && msg.Key.Signer == nil {
			p.stage = stagePassphrase
			p.prompt.SetKey(msg.Source, msg.Raw)
			return p, p.prompt.Init()
		}
		return p.check()
	case passphrase.UnlockedMsg:
		if p.stage != stagePassphrase || p.chosen == nil {
			return p, nil
		}
		p.chosen.Key = msg.Key // decrypted; Raw stays the encrypted file, stored as given
		return p.check()
	case keyReplacedMsg:
		if msg.seq != p.seq || p.stage != stageCheck {
			return p, nil
		}
		return p.checked(msg.results)
	case spinner.TickMsg:
		if p.stage == stageCheck {
			var cmd tea.Cmd
			p.spin, cmd = p.spin.Update(msg)
			return p, cmd
		}
	case tea.KeyMsg:
		return p.key(msg)
	}
	// Results and ticks of the components: each ignores what is not its own.
	_, c1 := p.picker.Update(msg)
	_, c2 := p.prompt.Update(msg)
	_, c3 := p.host.Update(msg)
	return p, tea.Batch(c1, c2, c3)
}

func (p *keyChangePage) key(msg tea.KeyMsg) (page, tea.Cmd) {
	k := p.c.Keys
	if p.stage == stageCheck {
		return p, nil
	}
	if text := p.copyText(); text != "" && (key.Matches(msg, k.CopyTyping) || (!p.typing() && key.Matches(msg, k.Copy))) {
		what := "public key"
		if p.stage == stageHostKey {
			_, what = p.host.Copy()
		}
		return p, copyCmd(p.c, what, text, true)
	}
	switch p.stage {
	case stagePassphrase:
		if key.Matches(msg, k.Back) && !p.prompt.Busy() {
			p.c.Requests.Cancel(keyPassOwner)
			p.stage = stageKey
			return p, p.picker.Init()
		}
		_, cmd := p.prompt.Update(msg)
		return p, cmd
	case stageHostKey:
		switch {
		case key.Matches(msg, k.Back):
			p.stage = stageKey
			return p, p.picker.Init()
		case key.Matches(msg, k.Retry):
			// known_hosts is read again by the check.
			return p.check()
		}
		return p, nil
	}
	if p.body.Handles(msg) {
		p.body.Update(msg)
		return p, nil
	}
	if key.Matches(msg, k.Back) && !p.picker.Busy() {
		if cmd, ok := p.picker.Back(); ok {
			return p, cmd
		}
		p.c.Requests.Cancel(keyOwner)
		return closePage(p.partialFlash(), len(p.done) > 0)
	}
	if !key.Matches(msg, k.Next) {
		p.refused = nil // another key: the refusal was for the old one
	}
	p.err = nil
	_, cmd := p.picker.Update(msg)
	return p, cmd
}

// check replaces the key of each repository, one after the other; each
// ReplaceKey checks first that the server accepts it.
func (p *keyChangePage) check() (page, tea.Cmd) {
	c := p.chosen
	if c == nil || c.Key == nil || c.Key.Signer == nil || len(c.Raw) == 0 {
		p.err = errors.New("this key cannot be stored for a repository (a key held by ssh-agent only, or one that cannot sign): choose a key file, paste one or generate one")
		p.stage = stageKey
		return p, nil
	}
	p.stage = stageCheck
	p.seq++
	seq, mgr, ctx := p.seq, p.c.Manager, p.c.Ctx
	raw, signer, fp, origin := append([]byte(nil), c.Raw...), c.Key.Signer, c.Key.Fingerprint, c.Source
	var names []string
	for _, r := range p.repos {
		names = append(names, r.Name)
	}
	return p, tea.Batch(replaceKeys(ctx, mgr, seq, names, raw, signer, fp, origin), p.spin.Tick)
}

// replaceKeys runs lifecycle's ReplaceKey for each repository, in turn.
func replaceKeys(ctx context.Context, mgr *lifecycle.Manager, seq int, names []string, raw []byte, signer ssh.Signer, fp, origin string) tea.Cmd {
	return func() tea.Msg {
		var res []keyResult
		for _, n := range names {
			_, err := mgr.ReplaceKey(ctx, n, raw, signer, fp, origin)
			res = append(res, keyResult{name: n, err: err})
		}
		return keyReplacedMsg{seq: seq, results: res}
	}
}

// checked handles the outcome: done, the host key screen for a changed
// host key, or back to the picker with the refusal (and the public key to
// add on the server).
func (p *keyChangePage) checked(results []keyResult) (page, tea.Cmd) {
	var failed []store.Repository
	var firstErr error
	for i, res := range results {
		if res.err == nil {
			p.done = append(p.done, res.name)
			p.c.sess.setSigner(res.name, p.chosen.Key.Signer)
			continue
		}
		failed = append(failed, p.repos[i])
		if firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", res.name, res.err)
		}
	}
	if len(failed) == 0 {
		return closePage(p.partialFlash(), true)
	}
	p.repos = failed
	var hk *gitops.HostKeyError
	if errors.As(firstErr, &hk) {
		p.stage = stageHostKey
		p.host.Show(hk)
		return p, nil
	}
	p.stage = stageKey
	var ae *gitops.AuthError
	if errors.As(firstErr, &ae) {
		p.refused, p.err = ae, nil
		// Authorize it on the host, as the wizard does (issue 18).
		return newKeyChangeAuthorizePage(p.c, p, p.repos[0], p.chosen.Key, ae)
	} else {
		p.err = firstErr
	}
	return p, p.picker.Init()
}

func (p *keyChangePage) partialFlash() flash {
	if len(p.done) == 0 {
		return flash{}
	}
	fp := ""
	if p.chosen != nil && p.chosen.Key != nil {
		fp = ": " + p.chosen.Key.Fingerprint
	}
	return flash{text: fmt.Sprintf("New key for %s, accepted by the server%s", strings.Join(p.done, ", "), fp)}
}

// head is the page's first line.
func (p *keyChangePage) head() string {
	return common.Wrap(p.c.Styles.Text, max(20, p.width), "A new key for "+p.names()+", checked on the server before it is stored.")
}

// parts are the key stage's rows above and below the scrolling body.
func (p *keyChangePage) parts() (top, body, bottom string, focus int) {
	st := p.c.Styles
	w := max(20, p.width)
	r := p.picker.Render()
	b := common.NewLines(w)
	if a := p.refused; a != nil && a.AuthorizedKey != "" && !p.picker.ShowsGenerated() {
		b.Text(st.Error, fmt.Sprintf("✗ The server refused key %s for user %s.", a.Fingerprint, a.User))
		b.Text(st.Text, "Add this public key to the git host's SSH keys page (or the repository's deploy keys), then press enter to try again, or choose another key:")
		b.Code(st.Code, a.AuthorizedKey)
		b.Blank()
	}
	focus = r.Body.Focus()
	if focus >= 0 {
		focus += b.Len()
	}
	if r.Body.Len() > 0 {
		b.Add(r.Body.String())
	}
	bot := r.Bottom.String()
	if p.err != nil {
		bot = strings.TrimSpace(bot + "\n" + common.Wrap(st.Error, w, "✗ "+common.ErrText(p.err)))
	}
	return r.Top.String(), b.String(), bot, focus
}

// layout gives the picker's body the rows the page has left.
func (p *keyChangePage) layout() {
	w := max(20, p.width)
	p.picker.SetSize(w, p.height)
	if p.stage != stageKey {
		return
	}
	top, body, bottom, focus := p.parts()
	used := lipgloss.Height(p.head()) + 1 + lipgloss.Height(top) + 1
	if bottom != "" {
		used += lipgloss.Height(bottom) + 1
	}
	p.body.SetSize(w, max(3, p.height-used))
	p.body.SetContent(common.StripMarks(body), focus)
}

func (p *keyChangePage) view() string {
	out := []string{p.head()}
	switch p.stage {
	case stageCheck:
		out = append(out, p.spin.View()+" Checking that the server accepts the key for "+p.names()+"…")
	case stagePassphrase:
		out = append(out, p.prompt.View())
		if s := p.prompt.Status(); s != "" {
			out = append(out, s)
		}
	case stageHostKey:
		out = append(out, p.host.View())
	default:
		top, _, bottom, _ := p.parts()
		out = append(out, top, p.body.View())
		if bottom != "" {
			out = append(out, bottom)
		}
	}
	return common.StripMarks(strings.Join(out, "\n\n"))
}
