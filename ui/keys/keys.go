// Package keys is the one keymap of gitjira's terminal UI: the wizard, the
// Manage screen and every component take their bindings from it, so a key
// means the same thing on every screen (c copy, o open, / filter, ? help,
// esc back, y/n answer a question, enter go on, ctrl+c quit).
package keys

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding of the program. A screen uses the ones it
// needs and lists them in its help line; none gives a key another meaning.
type KeyMap struct {
	// Next goes on: the next step, the chosen row, the details of a row.
	Next key.Binding
	// Back leaves the current screen, mode or question (esc).
	Back key.Binding
	// Quit ends the program (ctrl+c), everywhere.
	Quit key.Binding
	// QuitQ also quits where no text field has the focus (q in Manage).
	QuitQ key.Binding
	// Help shows all the keys (?), where no text field has the focus.
	Help key.Binding

	Up, Down, Home, End key.Binding
	// PageUp and PageDown scroll a body or a list that does not fit.
	PageUp, PageDown key.Binding
	// NextMode and PrevMode switch modes or tabs (tab, shift+tab).
	NextMode, PrevMode key.Binding
	// Left and Right choose between values on one line (a key type).
	Left, Right key.Binding
	// Toggle selects or unselects the row under the cursor (space).
	Toggle key.Binding
	// Complete completes a path field (→, ctrl+f; tab where TabComplete).
	Complete key.Binding
	// TabComplete completes a path field with tab as well, as in a shell.
	TabComplete key.Binding
	// Clear empties the focused text field (ctrl+u, as in a shell).
	Clear key.Binding

	// Yes and No answer a question.
	Yes, No key.Binding
	// Retry runs failed work again.
	Retry key.Binding
	// Copy puts what the screen offers to copy (a public key, a command) on
	// the clipboard; while a text field has the focus only CopyTyping does.
	Copy       key.Binding
	CopyTyping key.Binding
	// Open opens what the screen points at in a browser (a web page).
	Open key.Binding
	// Filter starts typing a filter for a list (/).
	Filter key.Binding
	// Edit opens a value shown as a line for editing (e).
	Edit key.Binding

	// Manage's actions on a repository or a key.
	Sync     key.Binding
	SyncAll  key.Binding
	Projects key.Binding
	Key      key.Binding // change the key (of a repository, or a stored key)
	Remove   key.Binding // remove the repository or the stored key
	Connect  key.Binding // connect a repository (the wizard)
	Sort     key.Binding // sort by the next column
	Reverse  key.Binding // reverse the order
	Show     key.Binding // the public key of the stored key
	// The issue view's moves between the commits of an issue (n and p, as
	// issue 19 asks; no screen with them asks a yes/no question or edits
	// projects).
	NextItem key.Binding
	PrevItem key.Binding
	// Issue opens the issue view for a key typed after it (Manage).
	Issue key.Binding
	// Authorize adds a key where the repository's host accepts it (a
	// deploy key, a password login, or by hand), then re-tests (issue 18).
	Authorize key.Binding
}

// Default is the program's keymap.
func Default() KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return KeyMap{
		Next:        b([]string{"enter"}, "enter", "next"),
		Back:        b([]string{"esc"}, "esc", "back"),
		Quit:        b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		QuitQ:       b([]string{"q"}, "q", "quit"),
		Help:        b([]string{"?"}, "?", "more"),
		Up:          b([]string{"up", "ctrl+p"}, "↑", "up"),
		Down:        b([]string{"down", "ctrl+n"}, "↓", "down"),
		Home:        b([]string{"home"}, "home", "first"),
		End:         b([]string{"end"}, "end", "last"),
		PageUp:      b([]string{"pgup"}, "pgup", "scroll up"),
		PageDown:    b([]string{"pgdown"}, "pgdn", "scroll down"),
		NextMode:    b([]string{"tab"}, "tab", "next mode"),
		PrevMode:    b([]string{"shift+tab"}, "shift+tab", "previous mode"),
		Left:        b([]string{"left"}, "←", "left"),
		Right:       b([]string{"right"}, "→", "right"),
		Toggle:      b([]string{" "}, "space", "select"),
		Complete:    b([]string{"right", "ctrl+f"}, "→", "complete"),
		TabComplete: b([]string{"tab", "right", "ctrl+f"}, "tab", "complete"),
		Clear:       b([]string{"ctrl+u"}, "ctrl+u", "clear"),
		Yes:         b([]string{"y", "Y"}, "y", "yes"),
		No:          b([]string{"n", "N"}, "n", "no"),
		Retry:       b([]string{"r", "R"}, "r", "retry"),
		Copy:        b([]string{"c", "ctrl+y"}, "c", "copy"),
		CopyTyping:  b([]string{"ctrl+y"}, "ctrl+y", "copy"),
		Open:        b([]string{"o"}, "o", "open"),
		Filter:      b([]string{"/"}, "/", "filter"),
		Edit:        b([]string{"e", "E"}, "e", "edit"),
		Sync:        b([]string{"s"}, "s", "sync"),
		SyncAll:     b([]string{"S"}, "S", "sync all"),
		Projects:    b([]string{"p"}, "p", "projects"),
		Key:         b([]string{"k"}, "k", "change key"),
		Remove:      b([]string{"d"}, "d", "remove"),
		Connect:     b([]string{"a"}, "a", "add (connect)"),
		Sort:        b([]string{">"}, ">", "sort"),
		Reverse:     b([]string{"<"}, "<", "reverse"),
		Show:        b([]string{"v"}, "v", "public key"),
		Authorize:   b([]string{"u"}, "u", "authorize on the host"),
		NextItem:    b([]string{"n"}, "n", "next commit"),
		PrevItem:    b([]string{"p"}, "p", "previous commit"),
		Issue:       b([]string{"i"}, "i", "issue"),
	}
}
