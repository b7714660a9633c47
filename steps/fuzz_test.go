package steps

import (
	"strings"
	"testing"

	"github.com/gitjira/gitjira/store"
)

// FuzzTypedProjectKeys feeds the permissions step's "Project keys" field:
// whatever is typed, the step either refuses it with a message or keeps only
// valid Jira project keys, never an empty selection.
func FuzzTypedProjectKeys(f *testing.F) {
	for _, s := range []string{"PROJ", "proj, ops", "A1,B_2 C3", ",,,", "9X", "PROJ-1", "ÄÖ", "  demo\tops  "} {
		f.Add(s)
	}
	env := &Env{Keys: DefaultKeyMap(), Styles: NewStyles(nil)}
	f.Fuzz(func(t *testing.T, typed string) {
		m := NewPermissions(env, &Draft{})
		m.restrict = true
		m.keys.CharLimit = 0
		m.keys.SetValue(typed)
		keys, err := m.chosenKeys()
		if err != nil {
			if keys != nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q with keys %v", err, keys)
			}
			return
		}
		if len(keys) == 0 {
			t.Fatal("no keys and no error")
		}
		for _, k := range keys {
			if !store.ValidProjectKey(k) {
				t.Fatalf("invalid key %q accepted from %q", k, typed)
			}
		}
	})
}
