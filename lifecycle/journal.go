package lifecycle

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/safefile"
	"github.com/gitjira/gitjira/store"
)

// intent is one journal entry: what an operation is about to do to a name.
// It is written before the first file is created or deleted and removed when
// the operation is over, so a run killed in between leaves a record of what
// to undo (connect) or finish (remove).
type intent struct {
	Op      string    `json:"op"` // "connect" or "remove"
	Name    string    `json:"name"`
	ID      string    `json:"id,omitempty"` // the repository's identity (remove): its link state is keyed by it
	Mirror  string    `json:"mirror,omitempty"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

const (
	opConnect = "connect"
	opRemove  = "remove"
)

func (m *Manager) journalFile(name string) string {
	return filepath.Join(m.journalDir(), name+".json")
}

func (m *Manager) writeIntent(in intent) error {
	in.PID = os.Getpid()
	in.Started = m.now().UTC()
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return fsatomic.WriteFile(m.journalFile(in.Name), append(data, '\n'), 0o600)
}

func (m *Manager) clearIntent(name string) {
	if err := os.Remove(m.journalFile(name)); err == nil {
		fsatomic.SyncDir(m.journalDir())
	}
}

// maxJournalSize bounds a journal file read (one is a few hundred bytes).
const maxJournalSize = 64 << 10

// readIntent returns the journal entry of name; a missing file is (nil,
// nil). One that cannot be read or decoded (gitjira writes journals
// atomically, so it is not one of its own: a FIFO, a huge file, garbage) is
// an error, and recovery then touches nothing of that name.
func (m *Manager) readIntent(name string) (*intent, error) {
	data, err := safefile.Read(m.journalFile(name), maxJournalSize)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var in intent
	if err := json.Unmarshal(data, &in); err != nil || in.Name != name || (in.Op != opConnect && in.Op != opRemove) {
		return nil, fmt.Errorf("%s is not a gitjira journal entry: move it aside (gitjira leaves the files of %s alone meanwhile)", m.journalFile(name), name)
	}
	return &in, nil
}

// artifactNames lists, sorted, the names that have a journal entry or files
// under Data (mirror, partial clone, stored key, index), from the names of
// the files themselves.
func (m *Manager) artifactNames() []string {
	names := map[string]bool{}
	add := func(dir string, name func(string) (string, bool)) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if n, ok := name(e.Name()); ok && store.ValidName(n) == nil {
				names[n] = true
			}
		}
	}
	add(m.journalDir(), func(f string) (string, bool) { return strings.CutSuffix(f, ".json") })
	add(m.Paths.MirrorsDir(), func(f string) (string, bool) {
		if i := strings.Index(f, ".git.partial-"); i > 0 {
			return f[:i], true
		}
		return strings.CutSuffix(f, ".git")
	})
	add(m.Paths.KeysDir(), func(f string) (string, bool) { return strings.CutSuffix(f, ".key") })
	add(m.Paths.IndexDir(), func(f string) (string, bool) { return strings.CutSuffix(f, ".idx") })
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
