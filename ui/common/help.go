package common

import "github.com/charmbracelet/bubbles/key"

// HelpMap is a help.KeyMap built from lists of bindings.
type HelpMap struct {
	Short []key.Binding
	Full  [][]key.Binding
}

// ShortHelp implements help.KeyMap.
func (h HelpMap) ShortHelp() []key.Binding { return h.Short }

// FullHelp implements help.KeyMap: Full, or Short as one column.
func (h HelpMap) FullHelp() [][]key.Binding {
	if h.Full == nil {
		return [][]key.Binding{h.Short}
	}
	return h.Full
}

// NewHelp is a HelpMap of short bindings.
func NewHelp(short ...key.Binding) HelpMap { return HelpMap{Short: short} }

// WithDesc returns b with another help text (same keys).
func WithDesc(b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// Join is one help entry for several bindings ("↑/↓ move").
func Join(label, desc string, bs ...key.Binding) key.Binding {
	var ks []string
	for _, b := range bs {
		ks = append(ks, b.Keys()...)
	}
	return key.NewBinding(key.WithKeys(ks...), key.WithHelp(label, desc))
}
