package manage

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/keys"
)

// KeyMap is the program's one keymap (ui/keys): a key means in Manage what
// it means in the wizard (c copy, / filter, ? help, esc back, enter go on);
// Manage's actions have their own keys there (s sync, p projects, k key,
// d remove, a add, > sort, v public key).
type KeyMap = keys.KeyMap

// DefaultKeyMap is the program's keymap.
func DefaultKeyMap() KeyMap { return keys.Default() }

// helpMap is a help.KeyMap built from lists of bindings.
type helpMap = common.HelpMap

func newHelp(short ...key.Binding) helpMap { return common.NewHelp(short...) }

// withDesc returns b with another help text (same keys).
func withDesc(b key.Binding, desc string) key.Binding { return common.WithDesc(b, desc) }

// upDown is one help entry for both arrows.
func upDown(k KeyMap, desc string) key.Binding { return common.Join("↑/↓", desc, k.Up, k.Down) }

// quitKeys is ctrl+c, and q where no text field has the focus.
func quitKeys(k KeyMap, typing bool) key.Binding {
	if typing {
		return k.Quit
	}
	return common.Join("q", "quit", k.Quit, k.QuitQ)
}

// newHelpModel is the help bubble in the shared styles.
func newHelpModel(st common.Styles) help.Model { return common.NewHelpModel(st) }

// shortHelp is the help line of the bindings, as the wizard shows it.
func shortHelp(st common.Styles, width int, bindings []key.Binding) string {
	return common.HelpLine(st, width, bindings)
}
