package common

import (
	"io"
	"strings"
	"sync"

	osc52 "github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"
)

// CopiedMsg says what the copy key did; Text is the line to show.
type CopiedMsg struct {
	// What names what was copied ("public key", "command").
	What string
	Text string
	// Err is set when the sequence could not be written.
	Err error
}

// Copy sends text to the terminal's clipboard with OSC 52 on w (it works
// over SSH and in tmux with set-clipboard on) and reports, as a CopiedMsg,
// what happened and how to copy by hand when the terminal ignores it. what
// names the text ("public key"). w nil: the terminal cannot be sent it.
func Copy(w io.Writer, text, what string) tea.Cmd {
	if what == "" {
		what = "text"
	}
	return func() tea.Msg {
		if w == nil {
			return CopiedMsg{What: what, Text: "This terminal cannot be sent the " + what + ": select it with the mouse (it is on one line) to copy it."}
		}
		if _, err := osc52.New(text).WriteTo(w); err != nil {
			return CopiedMsg{What: what, Err: err, Text: "Could not send the " + what + " to the clipboard: select it with the mouse to copy it."}
		}
		named := what
		if len(text) <= 72 && !strings.ContainsAny(text, "\n\r") {
			named += " “" + text + "”" // which one, when the screen offers several
		}
		return CopiedMsg{What: what, Text: "Sent the " + named + " to the clipboard (OSC 52). Nothing to paste? Select it with the mouse: it is on one line."}
	}
}

// LockedWriter serialises writes to the program's output made outside the
// renderer (the OSC 52 sequence), one Write each, so they never interleave
// with a frame.
type LockedWriter struct {
	mu sync.Mutex
	W  io.Writer
}

func (l *LockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}
