package keypicker

// State is what the picker shows, for hosts and tests that look at it.
type State struct {
	Scanned    bool
	Candidates []Candidate
	Cursor     int    // index in Candidates; len(Candidates) is the path field
	Path       string // the path field
	Err        error
	// Paste mode: the text, its parse (nil while it runs), the refusal.
	PasteText string
	PasteKey  *PastedKey
	PasteErr  error
	// Generate mode: the suggested or typed file, the focused field
	// ("type", "path", "pass", "pass2", "comment"), whether a passphrase
	// field holds anything, and the pair written.
	GenPath      string
	GenField     string
	GenPassTyped bool
	Generated    *GeneratedMsg
}

// PastedKey is the parse of the pasted text.
type PastedKey = ChosenMsg

// State is a snapshot of the picker.
func (m *Model) State() State {
	s := State{
		Scanned:      m.choose.scanned,
		Candidates:   m.choose.cands(),
		Cursor:       m.choose.cursor,
		Path:         m.choose.path.Value(),
		Err:          m.err,
		PasteText:    m.paste.area.Value(),
		PasteErr:     m.paste.err,
		GenPath:      m.generate.path.Value(),
		GenField:     []string{"type", "path", "pass", "pass2", "comment"}[m.generate.field],
		GenPassTyped: m.generate.pass.Value() != "" || m.generate.pass2.Value() != "",
	}
	if m.paste.parsing {
		s.PasteErr = nil
	}
	if k := m.paste.parsed(); k != nil {
		s.PasteKey = &ChosenMsg{Source: PastedSource, Raw: m.paste.raw, Key: k}
	}
	if g := m.generate.generated; g != nil {
		s.Generated = &GeneratedMsg{Path: g.path, Key: g.key}
	}
	return s
}

// Suggestions is the number of completions offered for the path field.
func (m *Model) Suggestions() int { return len(m.choose.path.AvailableSuggestions()) }
