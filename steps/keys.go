package steps

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/gitjira/gitjira/ui/common"
	"github.com/gitjira/gitjira/ui/keys"
)

// KeyMap is the program's one keymap (package ui/keys).
//
// Deprecated: use keys.KeyMap; kept while manage still embeds it.
type KeyMap = keys.KeyMap

// DefaultKeyMap is the program's keymap.
//
// Deprecated: use keys.Default.
func DefaultKeyMap() KeyMap { return keys.Default() }

// upDown is one help entry for both arrows.
func upDown(k KeyMap, desc string) key.Binding { return common.Join("↑/↓", desc, k.Up, k.Down) }
