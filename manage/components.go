package manage

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/gitjira/gitjira/ui/components/scroll"
	"github.com/gitjira/gitjira/ui/components/table"
	"github.com/gitjira/gitjira/ui/components/tabs"
)

// The screen's components (ui/components), made with its styles and keys.

func newTable(c *common, cols ...table.Column) table.Model {
	st := c.st
	k := c.keys
	return table.New(table.Styles{Header: st.Header, Hint: st.Hint, Cursor: st.Cursor, Selected: st.Selected},
		table.KeyMap{Up: k.Up, Down: k.Down, PageUp: k.PageUp, PageDown: k.PageDown, Home: k.Home, End: k.End}, cols...)
}

// newScroll is a page's scrolling area: arrows and page keys (letters stay
// free for actions).
func newScroll(c *common) scroll.Model {
	k := c.keys
	return scroll.New(scroll.Styles{Hint: c.st.Hint}, scroll.KeyMap{Up: k.Up, Down: k.Down, PageUp: k.PageUp, PageDown: k.PageDown, Home: k.Home, End: k.End})
}

func newTabs(c *common) tabs.Model {
	next := key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", ""))
	prev := key.NewBinding(key.WithKeys("shift+tab"))
	return tabs.New(tabs.Styles{Active: c.st.Cursor, Inactive: c.st.Hint}, tabs.KeyMap{Next: next, Prev: prev}, tabTitles[:]...)
}
