package common

import (
	"io"
	"regexp"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// Styles are all the styles of the UI (the wizard, Manage), made from one renderer so that
// the colour profile (ASCII under NO_COLOR or in tests) applies everywhere.
type Styles struct {
	renderer *lipgloss.Renderer

	App      lipgloss.Style // the program name in the header
	Banner   lipgloss.Style // e.g. "Demo: ..."
	Header   lipgloss.Style // "Step N of M · Title"
	Context  lipgloss.Style // the repository/key lines under the header
	Text     lipgloss.Style
	Hint     lipgloss.Style // secondary text
	Label    lipgloss.Style // field names in summaries
	Value    lipgloss.Style // values in summaries
	Error    lipgloss.Style
	Warning  lipgloss.Style // the changed-host-key warning
	Success  lipgloss.Style
	Cursor   lipgloss.Style // the selected row's marker
	Selected lipgloss.Style // the selected row
	Code     lipgloss.Style // public keys, commands
	// InputCursor is the text fields' cursor block. NO_COLOR turns colours
	// off, not reverse video: under the ASCII profile (which drops every
	// attribute) it comes from a renderer that keeps attributes, so the
	// cursor stays visible without any colour.
	InputCursor lipgloss.Style
}

// NewStyles makes the styles with renderer r (nil: lipgloss' default renderer).
func NewStyles(r *lipgloss.Renderer) Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#9B8CFF"}
	muted := lipgloss.AdaptiveColor{Light: "#666666", Dark: "#999999"}
	red := lipgloss.AdaptiveColor{Light: "#C0392B", Dark: "#FF5F56"}
	green := lipgloss.AdaptiveColor{Light: "#1E7B34", Dark: "#5FD787"}
	cursor := r.NewStyle()
	if r.ColorProfile() == termenv.Ascii {
		plain := lipgloss.NewRenderer(io.Discard)
		plain.SetColorProfile(termenv.ANSI)
		cursor = plain.NewStyle()
	}
	return Styles{
		InputCursor: cursor,
		renderer:    r,
		App:         r.NewStyle().Bold(true).Foreground(accent),
		Banner:      r.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#FFD75F"}),
		Header:      r.NewStyle().Bold(true),
		Context:     r.NewStyle().Foreground(muted),
		Text:        r.NewStyle(),
		Hint:        r.NewStyle().Foreground(muted),
		Label:       r.NewStyle().Foreground(muted),
		Value:       r.NewStyle().Bold(true),
		Error:       r.NewStyle().Foreground(red),
		Warning:     r.NewStyle().Bold(true).Foreground(red),
		Success:     r.NewStyle().Foreground(green),
		Cursor:      r.NewStyle().Foreground(accent).Bold(true),
		Selected:    r.NewStyle().Foreground(accent),
		Code:        r.NewStyle().Foreground(accent),
	}
}

// Profile is the colour profile the styles render with; bubbles that colour
// on their own (the progress bar) are given the same.
func (s Styles) Profile() termenv.Profile {
	if s.renderer == nil {
		return lipgloss.ColorProfile()
	}
	return s.renderer.ColorProfile()
}

// wordRE splits a line into words, each with the spaces before it.
var wordRE = regexp.MustCompile(`( *)([^ ]+)`)

// Wrap fits text to width: it breaks lines at spaces only, never inside a
// word, so a path or a name with hyphens (gitjira-demo-123/ssh) stays whole
// where it fits and can be copied (lipgloss's wrapping also breaks at
// hyphens); a word wider than the width is cut into rows of the width. Each
// paragraph's indentation is kept on its continuation lines.
func Wrap(st lipgloss.Style, width int, text string) string {
	if width <= 0 {
		return st.Render(text)
	}
	var rows []string
	for _, para := range strings.Split(text, "\n") {
		indent := para[:len(para)-len(strings.TrimLeft(para, " "))]
		if lipgloss.Width(indent) >= width {
			indent = ""
		}
		line := ""
		flush := func() {
			rows = append(rows, line)
			line = ""
		}
		for _, m := range wordRE.FindAllStringSubmatch(para[len(indent):], -1) {
			space, word := m[1], m[2]
			switch {
			case line == "" && lipgloss.Width(indent+word) <= width:
				line = indent + word
			case line != "" && lipgloss.Width(line)+lipgloss.Width(space)+lipgloss.Width(word) <= width:
				line += space + word // the spaces as written: aligned labels stay aligned
			default:
				if line != "" {
					flush()
				}
				word = indent + word
				for lipgloss.Width(word) > width {
					cut := ansi.Truncate(word, width, "")
					if cut == "" {
						cut = string([]rune(word)[:1])
					}
					rows = append(rows, cut)
					word = word[len(cut):]
				}
				line = word
			}
		}
		flush()
	}
	return st.Width(width).Render(strings.Join(rows, "\n"))
}

// NewInput is a text field in the shared styles.
func NewInput(st Styles, prompt string) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.PromptStyle = st.Text
	in.TextStyle = st.Text
	in.PlaceholderStyle = st.Hint
	in.CompletionStyle = st.Hint
	in.Cursor.Style = st.InputCursor
	return in
}

// StyleArea gives a text area the shared cursor.
func StyleArea(st Styles, a *textarea.Model) {
	a.Cursor.Style = st.InputCursor
}

// HelpLine renders bindings as "key desc • key desc", wrapped to the width
// rather than cut, so every key stays visible on a narrow terminal. The
// wizard and the Manage screen share it.
func HelpLine(st Styles, width int, bindings []key.Binding) string {
	sep := st.Hint.Render(" • ")
	var lines []string
	line, lineW := "", 0
	for _, b := range bindings {
		if !b.Enabled() {
			continue
		}
		h := b.Help()
		item := st.Text.Render(h.Key) + " " + st.Hint.Render(h.Desc)
		w := lipgloss.Width(h.Key) + 1 + lipgloss.Width(h.Desc)
		switch {
		case lineW == 0:
			line, lineW = item, w
		case width > 0 && lineW+3+w > width:
			lines = append(lines, line)
			line, lineW = item, w
		default:
			line += sep + item
			lineW += 3 + w
		}
	}
	if lineW > 0 {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// NewHelpModel is the help bubble in the shared styles.
func NewHelpModel(st Styles) help.Model {
	h := help.New()
	h.Styles.ShortKey = st.Text
	h.Styles.ShortDesc = st.Hint
	h.Styles.ShortSeparator = st.Hint
	h.Styles.FullKey = st.Text
	h.Styles.FullDesc = st.Hint
	h.Styles.FullSeparator = st.Hint
	h.Styles.Ellipsis = st.Hint
	return h
}
