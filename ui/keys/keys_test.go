package keys

import (
	"reflect"
	"testing"

	"github.com/charmbracelet/bubbles/key"
)

// TestOneMeaningPerKey checks that no key has two meanings, except the
// pairs that are the same action by design (a key that is both a mode key
// and a completion key, enter as next/details).
func TestOneMeaningPerKey(t *testing.T) {
	allowed := map[[2]string]bool{
		{"Complete", "Right"}: true, {"Complete", "TabComplete"}: true, {"NextMode", "TabComplete"}: true,
		{"Right", "TabComplete"}: true, {"Copy", "CopyTyping"}: true,
		// The issue view has no question and no projects: n/p move between commits there.
		{"No", "NextItem"}: true, {"Projects", "PrevItem"}: true,
	}
	k := Default()
	v := reflect.ValueOf(k)
	owner := map[string]string{}
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		b := v.Field(i).Interface().(key.Binding)
		if len(b.Keys()) == 0 {
			t.Errorf("%s has no keys", name)
		}
		for _, s := range b.Keys() {
			if o, ok := owner[s]; ok && !allowed[[2]string{o, name}] && !allowed[[2]string{name, o}] {
				t.Errorf("key %q means both %s and %s", s, o, name)
			}
			owner[s] = name
		}
	}
	for s, want := range map[string]string{"c": "Copy", "o": "Open", "/": "Filter", "?": "Help", "esc": "Back", "y": "Yes"} {
		if owner[s] != want {
			t.Errorf("%q is %s, want %s", s, owner[s], want)
		}
	}
}
