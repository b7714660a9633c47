// Package common is what every screen of gitjira's terminal UI shares: the
// Common context (size, styles, keys, the lifecycle manager, the home
// directory, the request ids and the clipboard), the Component contract,
// and the helpers written once (truncate, byte sizes, one-line text, copy,
// request ids, wrapped text, copyable lines, screen parts, the help line).
//
// # The Component contract
//
// A component is a reusable piece of a screen (a key picker, a project
// list, a table). It is a pointer type with
//
//	Init() tea.Cmd                                // commands it starts with
//	Update(tea.Msg) (tea.Model, tea.Cmd)          // returns itself
//	View() string                                 // rendered to its size
//	ShortHelp() []key.Binding; FullHelp() [][]key.Binding  // its keys (help.KeyMap)
//	SetSize(width, height int)                    // the cells it may use
//
// and it is built with a Common (New(c common.Common, ...)). Its host
// forwards it the messages meant for it (keys while it has the focus, the
// replies to its own requests), lays its View out, and lists its keys in
// the help line. A component never quits and never moves between screens:
// when the user is done with it, it emits a typed result message
// (keypicker.ChosenMsg, projects.ChosenMsg, ...) and the host decides what
// happens next. Long work runs in a tea.Cmd whose result carries the
// Request it answers (Reply); the host drops stale replies in one place
// (Requests.Current) before forwarding, so a component never checks.
package common
