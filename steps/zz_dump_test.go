package steps

import (
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func TestZZDump(t *testing.T) {
	env, draft := testEnv(t)
	sshDirWithKeys(t, env)
	d := newDriver(t, NewKey(env, draft, "")).enter()
	d.until("scan", func(s Step) bool { return keyStep(s).scanned })
	fmt.Println(d.s.View())
	d.key(tea.KeyTab).paste(string(readTestKey(t, "legacy_rsa")))
	d.until("parsed", func(s Step) bool { k := keyStep(s); return k.pastedSeq == k.pasteSeq })
	fmt.Println(d.s.View())
	d.key(tea.KeyTab)
	d.until("path", func(s Step) bool { return keyStep(s).genPath.Value() != "" })
	fmt.Println(d.s.View())
}
