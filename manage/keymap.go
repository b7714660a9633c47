package manage

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"

	"github.com/gitjira/gitjira/steps"
)

// KeyMap is every key binding of the screen. The wizard's bindings
// (steps.KeyMap: enter, esc, ctrl+c, ?, arrows, space, y/n) keep their
// meaning here; the screen adds its actions.
type KeyMap struct {
	steps.KeyMap

	Quit     key.Binding // ctrl+c, and q when no text field has the focus
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding
	Tab      key.Binding

	Details  key.Binding
	Sync     key.Binding
	SyncAll  key.Binding
	Projects key.Binding
	Key      key.Binding
	Remove   key.Binding
	Connect  key.Binding
	Filter   key.Binding
	Sort     key.Binding
	Reverse  key.Binding

	Show      key.Binding // SSH keys: the public key
	Copy      key.Binding
	Replace   key.Binding
	RemoveKey key.Binding
}

// DefaultKeyMap is the screen's key map.
func DefaultKeyMap() KeyMap {
	k := steps.DefaultKeyMap()
	return KeyMap{
		KeyMap:    k,
		Quit:      key.NewBinding(key.WithKeys("ctrl+c", "q"), key.WithHelp("q", "quit")),
		PageUp:    key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Home:      key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first")),
		End:       key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last")),
		Tab:       key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "SSH keys")),
		Details:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Sync:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sync")),
		SyncAll:   key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "sync all")),
		Projects:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "projects")),
		Key:       key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "change key")),
		Remove:    key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "remove")),
		Connect:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "connect")),
		Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:      key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort")),
		Reverse:   key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "reverse")),
		Show:      key.NewBinding(key.WithKeys("enter", "v"), key.WithHelp("enter", "public key")),
		Copy:      key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy")),
		Replace:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "replace")),
		RemoveKey: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "remove")),
	}
}

// helpMap is a help.KeyMap built from lists of bindings.
type helpMap struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpMap) ShortHelp() []key.Binding { return h.short }
func (h helpMap) FullHelp() [][]key.Binding {
	if h.full == nil {
		return [][]key.Binding{h.short}
	}
	return h.full
}

func newHelp(short ...key.Binding) helpMap { return helpMap{short: short} }

// withDesc returns b with another help text (same keys).
func withDesc(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// upDown is one help entry for both arrows.
func upDown(k KeyMap, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(append(k.Up.Keys(), k.Down.Keys()...)...), key.WithHelp("↑/↓", desc))
}

// newHelpModel is the help bubble with the wizard's styles.
func newHelpModel(st steps.Styles) help.Model {
	h := help.New()
	h.Styles.ShortKey = st.Text
	h.Styles.ShortDesc = st.Hint
	h.Styles.ShortSeparator = st.Hint
	h.Styles.FullKey = st.Text
	h.Styles.FullDesc = st.Hint
	h.Styles.FullSeparator = st.Hint
	h.Styles.Ellipsis = st.Hint
	return h
}

// shortHelp is the help line of the bindings, as the wizard shows it.
func shortHelp(st steps.Styles, width int, bindings []key.Binding) string {
	return steps.HelpLine(st, width, bindings)
}
