package steps

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/forge"
	"github.com/gitjira/gitjira/ui/common"
)

// publicKey is the chosen key's authorized_keys line.
func (m Authorize) publicKey() string {
	if m.draft.Key == nil {
		return ""
	}
	return m.draft.Key.AuthorizedKey
}

// title names the key on the host: gitjira <this machine> <date>.
func (m Authorize) title() string {
	host, _ := os.Hostname()
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	if host == "" {
		host = "host"
	}
	return "gitjira " + host + " " + time.Now().Format("2006-01-02")
}

// keysPage is the host's deploy keys page for the repository, "" when the
// kind of host is not known.
func (m Authorize) keysPage() string {
	ep := m.draft.Endpoint
	if ep == nil {
		return ""
	}
	kind, web := forgeHost(ep)
	if kind == "" {
		return ""
	}
	repo, err := forge.RepoFromPath(kind, ep.Path)
	if err != nil {
		return ""
	}
	return forge.KeysPage(kind, web, repo)
}

// Help implements Step.
func (m Authorize) Help() help.KeyMap {
	k := m.env.Keys
	switch m.screen {
	case authMenu:
		b := []key.Binding{common.WithDesc(k.Next, "choose"), k.Up, k.Down, common.WithDesc(k.Copy, "copy public key")}
		if m.keysPage() != "" {
			b = append(b, common.WithDesc(k.Open, "open keys page"))
		}
		return common.NewHelp(append(b, k.Back)...)
	case authAPIForm:
		return common.NewHelp(common.WithDesc(k.Next, "upload"), common.WithDesc(k.NextMode, "next field"), common.WithDesc(k.Left, "host kind"), k.Back)
	case authPasswordForm:
		return common.NewHelp(common.WithDesc(k.Next, "log in"), k.Back)
	case authWaiting:
		b := []key.Binding{common.WithDesc(k.Copy, "copy"), common.WithDesc(k.Retry, "try now")}
		if m.keysPage() != "" {
			b = append(b, common.WithDesc(k.Open, "open keys page"))
		}
		return common.NewHelp(append(b, common.WithDesc(k.Back, "other ways"))...)
	}
	return common.NewHelp(k.Back)
}

// View implements Step.
func (m Authorize) View() Screen {
	st := m.env.Styles
	top, body, bottom := common.NewLines(m.width), common.NewLines(m.width), common.NewLines(m.width)
	scr := Screen{Focus: -1}
	host := ""
	if m.draft.Endpoint != nil {
		_, host = forgeHost(m.draft.Endpoint)
	}
	pub := m.publicKey()
	scr.Copy, scr.CopyWhat = pub, "public key"
	switch m.screen {
	case authChecking:
		top.Text(st.Text, m.spin.View()+" Logging in to "+host+" with the key…")
	case authMenu:
		top.Text(st.Text, host+" does not accept this key yet. How should it be authorized?")
		body.Code(st.Code, pub)
		body.Blank()
		for i := authWay(0); i < wayCount; i++ {
			if i == m.cursor {
				body.FocusNext()
				body.Add(st.Cursor.Render("> ") + common.Truncate(st.Selected.Render(wayNames[i]), max(10, m.width-2)))
			} else {
				body.Add("  " + common.Truncate(st.Text.Render(wayNames[i]), max(10, m.width-2)))
			}
		}
		bottom.Text(st.Hint, wayHints[m.cursor])
		if page := m.keysPage(); page != "" {
			body.Blank()
			body.Add(st.Label.Render("Keys page ") + link(page))
		}
	case authAPIForm:
		kind := forge.Kinds[m.kind]
		top.Text(st.Text, "Upload the key as a read-only deploy key of the repository through "+kind.Name()+"'s API.")
		marker := func(i int) string {
			if m.focus == i {
				return "> "
			}
			return "  "
		}
		body.Add(marker(0) + st.Label.Render("Host kind ") + st.Value.Render("← "+kind.Name()+" →"))
		body.Add(marker(1) + m.apiURL.View())
		body.Add(marker(2) + m.token.View())
		body.Blank()
		body.Text(st.Hint, "Needs "+kind.TokenHelp()+". The token is used for this upload only: never stored, never shown.")
		if m.working {
			bottom.Text(st.Hint, m.spin.View()+" Adding the deploy key…")
		}
	case authPasswordForm:
		user := ""
		if m.draft.Endpoint != nil {
			user = m.draft.Endpoint.User
		}
		top.Text(st.Text, fmt.Sprintf("Log in once as %s on %s with the account's password; gitjira appends the key to its ~/.ssh/authorized_keys, as ssh-copy-id does.", user, host))
		body.Add(m.password.View())
		body.Blank()
		body.Text(st.Hint, "The password is used for this login only: never stored. The host key is verified as for every connection.")
		if m.working {
			bottom.Text(st.Hint, m.spin.View()+" Logging in with the password…")
		}
	case authWaiting:
		if m.note != "" {
			top.Text(st.Success, "✓ "+m.note)
		}
		if m.admin != "" {
			body.Code(st.Code, m.admin)
			scr.Copy, scr.CopyWhat = m.admin, "command"
		} else {
			body.Text(st.Text, "The public key:")
			body.Code(st.Code, pub)
		}
		if page := m.keysPage(); page != "" {
			body.Blank()
			body.Add(st.Label.Render("Keys page ") + link(page))
		}
		elapsed := time.Since(m.since).Round(time.Second)
		bottom.Text(st.Hint, fmt.Sprintf("%s Waiting for %s to accept the key: tried %s, for %s.", m.spin.View(), host, common.Plural(m.tries, "once", fmt.Sprintf("%d times", m.tries)), elapsed))
	}
	if m.err != nil {
		bottom.Text(st.Error, "✗ "+common.ErrText(m.err))
	}
	scr.Top, scr.Body, scr.Bottom = top.String(), body.String(), bottom.String()
	if scr.Focus < 0 {
		scr.Focus = body.Focus()
	}
	return scr
}

// link is an OSC 8 hyperlink: terminals that know it make the address
// clickable, the others show it as it is.
func link(url string) string {
	return "\x1b]8;;" + url + "\x1b\\" + url + "\x1b]8;;\x1b\\"
}

// openURL opens a web page in the browser ($BROWSER, else xdg-open or open).
var openURL = func(url string) tea.Cmd {
	return func() tea.Msg {
		err := common.OpenBrowser(url)
		if err != nil {
			return common.CopiedMsg{Text: "Could not open a browser (" + err.Error() + "): open " + url + " yourself."}
		}
		return common.CopiedMsg{Text: "Opened " + url + " in the browser."}
	}
}
