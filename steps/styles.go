package steps

import "github.com/gitjira/gitjira/ui/common"

// Styles are the UI's styles (package ui/common), as steps hold them.
type Styles = common.Styles
