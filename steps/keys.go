package steps

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/keys"
)

// KeyMap is the program's one keymap (package ui/keys), as steps hold it.
type KeyMap = keys.KeyMap

// upDown is one help entry for both arrows.
func upDown(k KeyMap, desc string) key.Binding { return common.Join("↑/↓", desc, k.Up, k.Down) }
