package common

import (
	"context"
	"io"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/ui/keys"
)

// Common is the context every screen and component shares. It is passed
// by value; the pointers in it (Manager, Requests) are shared.
type Common struct {
	// Ctx is cancelled when the program ends (the user quit): commands
	// started by components use it.
	Ctx context.Context
	// Width and Height are the cells the holder may use (SetSize).
	Width, Height int
	Styles        Styles
	Keys          keys.KeyMap
	// Manager is the lifecycle layer every front-end calls.
	Manager *lifecycle.Manager
	// Home is the user's home directory: paths under it are shown as ~/...
	Home string
	// Requests issues the ids that async results carry (see Reply).
	Requests *Requests
	// Clipboard receives the OSC 52 sequence of the copy key (nil: the
	// terminal cannot be sent it).
	Clipboard io.Writer
}

// Component is the contract of a reusable piece of a screen: see the
// package comment.
type Component interface {
	tea.Model
	help.KeyMap
	SetSize(width, height int)
}

// New is a Common with the default styles and keys, a background context
// and a fresh request counter.
func New() Common {
	return Common{Ctx: context.Background(), Styles: NewStyles(nil), Keys: keys.Default(), Requests: &Requests{}}
}

// SetSize records the size the holder may use.
func (c *Common) SetSize(width, height int) { c.Width, c.Height = width, height }

// Context is Ctx, or a background context when none was set.
func (c Common) Context() context.Context {
	if c.Ctx == nil {
		return context.Background()
	}
	return c.Ctx
}

// Display shows a path the short way people write it: ~/.ssh/id_ed25519.
func (c Common) Display(path string) string { return DisplayPath(c.Home, path) }

// DisplayPath shows path relative to home as ~/...
func DisplayPath(home, path string) string {
	if home == "" || path == "" {
		return path
	}
	h := strings.TrimRight(home, "/")
	if path == h {
		return "~"
	}
	if strings.HasPrefix(path, h+"/") {
		return "~" + path[len(h):]
	}
	return path
}
