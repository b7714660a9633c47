package manage

import (
	"github.com/gitjira/gitjira/ui/components/scroll"
	"github.com/gitjira/gitjira/ui/components/table"
	"github.com/gitjira/gitjira/ui/components/tabs"
)

// The screen's components (ui/components) on its shared context.

func newTable(c *shared, cols ...table.Column) *table.Model { return table.New(c.Common, cols...) }

// newScroll is a page's scrolling area: arrows, page keys, home and end
// (letters stay free for actions).
func newScroll(c *shared) *scroll.Model { return scroll.New(c.Common, scroll.AllKeys(c.Keys)) }

func newTabs(c *shared) *tabs.Model { return tabs.New(c.Common, tabTitles[:]...) }
