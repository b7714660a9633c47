package manage

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/steps"
	"github.com/gitjira/gitjira/store"
)

// The key change reuses the wizard's key step (a file from ~/.ssh, a pasted
// key or a generated pair) and passphrase step, on a draft of their own,
// then calls lifecycle.Manager.ReplaceKey for each repository, which checks
// that the server accepts the key before it stores it.

const (
	stageKey = iota
	stagePassphrase
	stageCheck
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
	draft  *steps.Draft
	key    steps.Step
	pass   steps.Step
	stage  int
	spin   spinner.Model
	seq    int
	width  int
	height int
	err    error
	done   []string // repositories that have the new key already
	pane   stepPane
}

func newKeyChangePage(c *shared, repos []store.Repository) (page, tea.Cmd) {
	d := &steps.Draft{}
	if len(repos) > 0 {
		// The stored URL is resolved: no ~/.ssh/config needed to parse it.
		if ep, err := gitops.ParseURL(repos[0].URL); err == nil {
			d.Location, d.Endpoint, d.Name = repos[0].URL, ep, repos[0].Name
		}
	}
	p := &keyChangePage{c: c, repos: repos, draft: d, spin: spinner.New(spinner.WithSpinner(spinner.Line)), pane: newStepPane(c.Keys)}
	p.pass = steps.NewPassphrase(c.env, d)
	var cmd tea.Cmd
	p.key, cmd = steps.NewKey(c.env, d, "").Enter()
	p.pane.refresh(p.key)
	return p, cmd
}

func (p *keyChangePage) names() string {
	var ns []string
	for _, r := range p.repos {
		ns = append(ns, r.Name)
	}
	return strings.Join(ns, ", ")
}

func (p *keyChangePage) title() string { return truncate(p.names(), 40) + " · New key" }

func (p *keyChangePage) active() steps.Step {
	if p.stage == stagePassphrase {
		return p.pass
	}
	return p.key
}

func (p *keyChangePage) typing() bool { return p.stage != stageCheck && p.active().Typing() }
func (p *keyChangePage) busy() bool {
	return p.stage == stageCheck || p.active().Busy()
}

func (p *keyChangePage) help() help.KeyMap {
	if p.stage == stageCheck {
		return newHelp()
	}
	return p.active().Help()
}

func (p *keyChangePage) update(msg tea.Msg) (page, tea.Cmd) {
	pg, cmd := p.updateInner(msg)
	if p.stage != stageCheck {
		p.pane.refresh(p.active())
	}
	return pg, cmd
}

func (p *keyChangePage) updateInner(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width, p.height = msg.Width, msg.Height
		inner := tea.WindowSizeMsg{Width: msg.Width, Height: max(3, msg.Height-2)}
		p.pane.setSize(inner.Width, inner.Height)
		var c1, c2 tea.Cmd
		p.key, c1 = p.key.Update(inner)
		p.pass, c2 = p.pass.Update(inner)
		return p, tea.Batch(c1, c2)
	case steps.DoneMsg:
		switch {
		case msg.From == steps.StepKey && p.stage == stageKey:
			p.err = nil
			if k := p.draft.Key; k != nil && k.Encrypted && k.Signer == nil {
				p.stage = stagePassphrase
				var cmd tea.Cmd
				p.pass, cmd = p.pass.Enter()
				return p, cmd
			}
			return p.check()
		case msg.From == steps.StepPassphrase && p.stage == stagePassphrase:
			return p.check()
		}
		return p, nil
	case steps.BackMsg:
		switch {
		case msg.From == steps.StepKey && p.stage == stageKey:
			return closePage(p.partialFlash(), len(p.done) > 0)
		case msg.From == steps.StepPassphrase && p.stage == stagePassphrase:
			p.stage = stageKey
			var cmd tea.Cmd
			p.key, cmd = p.key.Enter()
			return p, cmd
		}
		return p, nil
	case steps.GotoMsg:
		return p, nil
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
		if p.stage == stageCheck {
			return p, nil
		}
		if p.pane.scrollKey(msg) {
			return p, nil
		}
		if p.pane.isCopy(p.c.Keys, msg, p.active().Typing()) {
			return p, copyCmd(p.c, p.pane.copyWhat, p.pane.copyText, true)
		}
		var cmd tea.Cmd
		if p.stage == stagePassphrase {
			p.pass, cmd = p.pass.Update(msg)
		} else {
			p.key, cmd = p.key.Update(msg)
		}
		return p, cmd
	}
	// Command results and ticks of the steps: each ignores what is not its own.
	var c1, c2 tea.Cmd
	p.key, c1 = p.key.Update(msg)
	p.pass, c2 = p.pass.Update(msg)
	return p, tea.Batch(c1, c2)
}

// check replaces the key of each repository, one after the other; each
// ReplaceKey checks first that the server accepts it.
func (p *keyChangePage) check() (page, tea.Cmd) {
	k := p.draft.Key
	if k == nil || k.Signer == nil {
		p.err = errors.New("the key cannot sign: choose another")
		p.stage = stageKey
		return p, nil
	}
	p.stage = stageCheck
	p.seq++
	seq, mgr, ctx := p.seq, p.c.Manager, p.c.Ctx
	raw, signer, fp := append([]byte(nil), p.draft.KeyRaw...), k.Signer, k.Fingerprint
	var names []string
	for _, r := range p.repos {
		names = append(names, r.Name)
	}
	return p, tea.Batch(func() tea.Msg {
		var res []keyResult
		for _, n := range names {
			_, err := mgr.ReplaceKey(ctx, n, raw, signer, fp)
			res = append(res, keyResult{name: n, err: err})
		}
		return keyReplacedMsg{seq: seq, results: res}
	}, p.spin.Tick)
}

// checked handles the outcome: done, or back to the key step with the
// refusal (the key step then shows the public key to add on the server).
func (p *keyChangePage) checked(results []keyResult) (page, tea.Cmd) {
	var failed []store.Repository
	var firstErr error
	for i, res := range results {
		if res.err == nil {
			p.done = append(p.done, res.name)
			p.c.sess.setSigner(res.name, p.draft.Key.Signer)
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
	p.stage = stageKey
	p.err = firstErr
	var ae *gitops.AuthError
	if errors.As(firstErr, &ae) {
		p.draft.AuthErr = ae
	}
	var cmd tea.Cmd
	p.key, cmd = p.key.Enter()
	return p, cmd
}

func (p *keyChangePage) partialFlash() flash {
	if len(p.done) == 0 {
		return flash{}
	}
	fp := ""
	if p.draft.Key != nil {
		fp = ": " + p.draft.Key.Fingerprint
	}
	return flash{text: fmt.Sprintf("New key for %s, accepted by the server%s", strings.Join(p.done, ", "), fp)}
}

func (p *keyChangePage) view() string {
	st := p.c.Styles
	w := max(20, p.width)
	var b strings.Builder
	b.WriteString(st.Text.Render(truncate("A new key for "+p.names()+", checked on the server before it is stored.", w)))
	b.WriteString("\n")
	// A refusal is shown by the key step itself, with the public key to add.
	var ae *gitops.AuthError
	if p.err != nil && !errors.As(p.err, &ae) {
		b.WriteString(st.Error.Render(truncate("✗ "+oneLine(p.err), w)))
	}
	b.WriteString("\n")
	if p.stage == stageCheck {
		b.WriteString(p.spin.View() + " Checking that the server accepts the key for " + p.names() + "…")
		return b.String()
	}
	b.WriteString(p.pane.view(st))
	return b.String()
}
