package steps

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/gitjira/gitjira/ui/common"
)

// Styles are the UI's styles (package ui/common).
//
// Deprecated: use common.Styles; kept while manage still uses it.
type Styles = common.Styles

// NewStyles makes the styles with renderer r (nil: lipgloss' default renderer).
//
// Deprecated: use common.NewStyles.
func NewStyles(r *lipgloss.Renderer) Styles { return common.NewStyles(r) }

// HelpLine renders bindings as one wrapped help line.
//
// Deprecated: use common.HelpLine.
func HelpLine(st Styles, width int, bindings []key.Binding) string {
	return common.HelpLine(st, width, bindings)
}

// StripMarks removes the copyable-line markers.
//
// Deprecated: use common.StripMarks.
func StripMarks(s string) string { return common.StripMarks(s) }
