//go:build unix

package connect

import (
	"os"
	"syscall"
)

// quitWizard makes Bubble Tea quit the way it does on SIGTERM.
func quitWizard() { syscall.Kill(os.Getpid(), syscall.SIGTERM) }
