package manage

import (
	"context"
	"regexp"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/gitjira/gitjira/store"
)

// The screens at 80x24 against golden files (go test -update rewrites
// them): the list, a repository in error, details, the SSH keys tab and a
// key, the projects editor, the remove confirmation, the full help.
func TestGoldenScreens(t *testing.T) {
	w := threeRepos(t)
	cfg := w.cfg()
	cfg.Unlink = func(context.Context, store.Repository) error { return nil }
	d := newDriver(t, newModel(cfg, newSession()), 80, 24)
	d.untilView("docs").settle()
	shot := func(name string) {
		t.Helper()
		v := d.view()
		checkFits(t, v, 80, 24)
		golden(t, name, sizeRE.ReplaceAllString(w.sanitize(v), "Size        N KiB"))
	}
	shot("list")
	d.key(tea.KeyDown).settle()
	shot("list-error")
	d.key(tea.KeyUp).key(tea.KeyEnter).untilView("Recent commits").settle()
	shot("details")
	d.key(tea.KeyEsc).runes("?").settle()
	shot("list-help")
	d.runes("?").runes("p").settle()
	shot("projects")
	d.key(tea.KeyEsc).runes("d").settle()
	shot("remove")
	d.key(tea.KeySpace).settle()
	shot("remove-unlink")
	d.key(tea.KeyEsc).key(tea.KeyTab).untilView("ECDSA").settle()
	shot("keys")
	d.key(tea.KeyEnter).settle()
	shot("key-public")
}

// sizeRE matches the mirror's size on disk, which depends on how the server packed it.
var sizeRE = regexp.MustCompile(`Size        [0-9.]+ [KMG]?i?B`)
