package issueview

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/ui/common"
)

// Run shows the issue view of key on a terminal (in, out) until the user
// quits or ctx ends.
func Run(ctx context.Context, mgr *lifecycle.Manager, key string, in io.Reader, out io.Writer) error {
	r := lipgloss.NewRenderer(out, termenv.WithColorCache(true))
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		r.SetColorProfile(termenv.Ascii)
	}
	lipgloss.SetDefaultRenderer(r)
	r.HasDarkBackground() // asked now, not during the first render (it would race with the input)
	c := common.New()
	c.Ctx, c.Manager, c.Styles = ctx, mgr, common.NewStyles(r)
	c.Clipboard = &common.LockedWriter{W: out}
	c.Home, _ = os.UserHomeDir()
	m := New(c, key, true)
	_, err := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out), tea.WithAltScreen(), tea.WithContext(ctx)).Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("the issue view stopped: %w", err)
	}
	return nil
}

// errNoBrowser: nothing here can open a web page (an SSH session).
var errNoBrowser = errors.New("no graphical session")

// openURL opens url in the user's browser, when there is one to open.
func openURL(ctx context.Context, url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", url)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", url)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errNoBrowser
		}
		cmd = exec.CommandContext(ctx, "xdg-open", url)
	}
	return cmd.Run()
}
