package manage

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/components/passphrase"
)

// passphraseOwner routes the prompt's decryption to the open page.
const passphraseOwner = "manage/passphrase"

// passphrasePage asks the passphrase of an encrypted stored key before a
// sync, with the passphrase component (masked, decrypted in a command,
// never stored); the decrypted key stays in the session's memory.
type passphrasePage struct {
	c      *shared
	batch  int
	name   string
	prompt *passphrase.Model
	desc   string // the key: its file, type and fingerprint
	width  int
}

func newPassphrasePage(c *shared, batch int, lk lockedKey) (page, tea.Cmd) {
	desc := c.Display(lk.repo.KeyFile)
	if lk.key != nil && lk.key.Fingerprint != "" {
		desc += " (" + keyLabel(lk.key) + " " + lk.key.Fingerprint + ")"
	}
	p := &passphrasePage{c: c, batch: batch, name: lk.repo.Name, desc: desc, prompt: passphrase.New(c.Common, passphraseOwner)}
	p.prompt.SetKey(lk.repo.KeyFile, lk.raw)
	return p, p.prompt.Init()
}

func (p *passphrasePage) title() string { return "Sync " + p.name + " · Passphrase" }
func (p *passphrasePage) typing() bool  { return true }
func (p *passphrasePage) busy() bool    { return p.prompt.Busy() }
func (p *passphrasePage) help() help.KeyMap {
	k := p.c.Keys
	return newHelp(append(p.prompt.ShortHelp(), k.Clear, withDesc(k.Back, "skip this sync"))...)
}

func (p *passphrasePage) update(msg tea.Msg) (page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		p.width = msg.Width
		p.prompt.SetSize(msg.Width, msg.Height)
		return p, nil
	case passphrase.DecryptedMsg:
		if !p.c.Requests.Current(msg.Request) {
			return p, nil // an answer for a page closed since
		}
		p.c.Requests.Done(msg.Request)
	case passphrase.UnlockedMsg:
		signer := msg.Key.Signer
		batch, name := p.batch, p.name
		return p, func() tea.Msg { return passphraseDoneMsg{batch: batch, name: name, signer: signer} }
	case tea.KeyMsg:
		if key.Matches(msg, p.c.Keys.Back) && !p.prompt.Busy() {
			p.c.Requests.Cancel(passphraseOwner)
			batch, name := p.batch, p.name
			return p, func() tea.Msg { return passphraseDoneMsg{batch: batch, name: name} }
		}
	}
	_, cmd := p.prompt.Update(msg)
	return p, cmd
}

func (p *passphrasePage) view() string {
	st := p.c.Styles
	w := max(20, p.width)
	parts := []string{
		common.Wrap(st.Text, w, "The key of "+p.name+", "+p.desc+", is encrypted: to sync "+p.name+", gitjira needs it unlocked."),
		common.Wrap(st.Hint, w, "The unlocked key stays in memory until you quit; the passphrase is kept nowhere."),
		"",
		p.prompt.View(),
	}
	if s := p.prompt.Status(); s != "" {
		parts = append(parts, "", s)
	}
	return strings.Join(parts, "\n")
}
