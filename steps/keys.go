package steps

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding of the wizard. The wizard handles Quit and
// Help; steps handle the rest and list the ones they use in their help.
type KeyMap struct {
	Next     key.Binding
	Back     key.Binding
	Quit     key.Binding
	Help     key.Binding
	Up       key.Binding
	Down     key.Binding
	NextMode key.Binding
	PrevMode key.Binding
	Toggle   key.Binding
	Complete key.Binding
	Yes      key.Binding
	No       key.Binding
	Retry    key.Binding
	// PageUp and PageDown scroll the step's body when it does not fit.
	PageUp   key.Binding
	PageDown key.Binding
	// Copy puts what the screen offers to copy (a public key, a command) on
	// the clipboard; while a text field has the focus only ctrl+y does.
	Copy key.Binding
	// TabComplete completes a path field (tab there completes, as in a shell).
	TabComplete key.Binding
	// Edit opens a value shown as a line for editing (the review's web page).
	Edit key.Binding
}

// DefaultKeyMap is the wizard's key map.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		Back:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:        key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more")),
		Up:          key.NewBinding(key.WithKeys("up", "ctrl+p"), key.WithHelp("↑", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "ctrl+n"), key.WithHelp("↓", "down")),
		NextMode:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next mode")),
		PrevMode:    key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous mode")),
		Toggle:      key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "select")),
		Complete:    key.NewBinding(key.WithKeys("right", "ctrl+f"), key.WithHelp("→", "complete")),
		Yes:         key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:          key.NewBinding(key.WithKeys("n", "N"), key.WithHelp("n", "no")),
		Retry:       key.NewBinding(key.WithKeys("r", "R"), key.WithHelp("r", "retry")),
		PageUp:      key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "scroll up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "scroll down")),
		Copy:        key.NewBinding(key.WithKeys("c", "ctrl+y"), key.WithHelp("c", "copy")),
		TabComplete: key.NewBinding(key.WithKeys("tab", "right", "ctrl+f"), key.WithHelp("tab", "complete")),
		Edit:        key.NewBinding(key.WithKeys("e", "E"), key.WithHelp("e", "edit")),
	}
}

// withHelp returns b with another help text (same keys).
func withHelp(b key.Binding, desc string) key.Binding {
	h := b.Help()
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(h.Key, desc))
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

// upDown is one help entry for both arrows.
func upDown(k KeyMap, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(append(k.Up.Keys(), k.Down.Keys()...)...), key.WithHelp("↑/↓", desc))
}
