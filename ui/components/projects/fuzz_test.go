package projects

import (
	"strings"
	"testing"

	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
)

// FuzzTypedProjectKeys feeds the picker's "Project keys" field:
// whatever is typed, the step either refuses it with a message or keeps only
// valid Jira project keys, never an empty selection.
func FuzzTypedProjectKeys(f *testing.F) {
	for _, s := range []string{"PROJ", "proj, ops", "A1,B_2 C3", ",,,", "9X", "PROJ-1", "ÄÖ", "  demo\tops  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		m := New(common.New(), "permissions", nil, nil)
		m.restrict = true
		m.keys.CharLimit = 0
		m.keys.SetValue(typed)
		keys, err := m.Chosen()
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
