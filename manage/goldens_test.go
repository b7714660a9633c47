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
	d.UntilView("docs").Settle()
	shot := func(name string) {
		t.Helper()
		v := d.View()
		checkFits(t, v, 80, 24)
		golden(t, name, sizeRE.ReplaceAllString(w.sanitize(v), "Size        N KiB"))
	}
	shot("list")
	d.Key(tea.KeyDown).Settle()
	shot("list-error")
	d.Key(tea.KeyUp).Key(tea.KeyEnter).UntilView("Recent commits").Settle()
	shot("details")
	d.Key(tea.KeyEsc).Runes("?").Settle()
	shot("list-help")
	d.Runes("?").Runes("p").Settle()
	shot("projects")
	d.Key(tea.KeyEsc).Runes("d").Settle()
	shot("remove")
	d.Key(tea.KeySpace).Settle()
	shot("remove-unlink")
	d.Key(tea.KeyEsc).Key(tea.KeyTab).UntilView("ECDSA").Settle()
	shot("keys")
	d.Key(tea.KeyEnter).Settle()
	shot("key-public")
}

// sizeRE matches the mirror's size on disk, which depends on how the server packed it.
var sizeRE = regexp.MustCompile(`Size        [0-9.]+ [KMG]?i?B`)
