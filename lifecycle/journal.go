package lifecycle

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/fsatomic"
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

// readIntent returns the journal entry of name; a missing file is (nil, nil)
// and an unreadable one (a crash mid-write cannot make one: writes are
// atomic) is treated as an unfinished connect, the safe reading: roll back
// only what the list does not own.
func (m *Manager) readIntent(name string) *intent {
	data, err := os.ReadFile(m.journalFile(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var in intent
	if err != nil || json.Unmarshal(data, &in) != nil || in.Name != name {
		return &intent{Op: opConnect, Name: name}
	}
	return &in
}

// artifactNames lists the names that have a journal entry or files under
// Data (mirror, partial clone, stored key, index), from the names of the
// files themselves.
func (m *Manager) artifactNames() map[string]bool {
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
	return names
}
