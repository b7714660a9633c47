package store

import (
	"regexp"
	"slices"
	"testing"
)

func TestIssueKeys(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want []string
	}{
		{"PROJ-7 fix", []string{"PROJ-7"}},
		{"fix PROJ-7", []string{"PROJ-7"}},
		{"XPROJ-7", []string{"XPROJ-7"}},     // a key of project XPROJ, not PROJ-7
		{"PROJ-70", []string{"PROJ-70"}},     // not PROJ-7
		{"proj_PROJ-7 aPROJ-7 9PROJ-7", nil}, // preceded by underscore, letter, digit
		{"(PROJ-7), [PROJ-8]: PROJ-9.", []string{"PROJ-7", "PROJ-8", "PROJ-9"}},
		{"PROJ-7 and PROJ-7 again", []string{"PROJ-7"}}, // once per commit
		{"PROJ-7x", []string{"PROJ-7"}},                 // followed by a letter is fine
		{"P-7 PROJ- PROJ-x -7 PROJ--7", nil},            // key too short, no number
		{"A1_B-12", []string{"A1_B-12"}},
		{"FOO-BAR-12", []string{"BAR-12"}}, // FOO- is not followed by a number
		{"AB-1-2", []string{"AB-1"}},
		{"subject\n\nbody with KEY-1\nand\tKEY-2", []string{"KEY-1", "KEY-2"}},
		{"ÉPROJ-7 éPROJ-7", []string{"PROJ-7"}}, // non-ASCII letters are not word characters
		{"PROJ-0000123", []string{"PROJ-0000123"}},
		{"", nil},
		{"no keys at all", nil},
	} {
		if got := IssueKeys(tc.msg); !slices.Equal(got, tc.want) {
			t.Errorf("IssueKeys(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}

func TestValidIssueKey(t *testing.T) {
	for s, want := range map[string]bool{"PROJ-7": true, "AB_1-0": true, "proj-7": false, "PROJ-7 ": false, "PROJ": false, "P-1": false, "PROJ-7-8": false} {
		if ValidIssueKey(s) != want {
			t.Errorf("ValidIssueKey(%q) != %v", s, want)
		}
	}
	if ProjectOf("A_B-12") != "A_B" || ProjectOf("x") != "" {
		t.Error("ProjectOf")
	}
}

// referenceKeys is the specification, slowly: at every position not
// preceded by a word character, try the anchored regexp (its digit run is
// greedy, so the match is never followed by a digit).
var keyAt = regexp.MustCompile(`^[A-Z][A-Z0-9_]+-[0-9]+`)

func referenceKeys(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if i > 0 && isWordChar(s[i-1]) {
			continue
		}
		if m := keyAt.FindString(s[i:]); m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func FuzzIssueKeys(f *testing.F) {
	for _, s := range []string{"PROJ-7", "XPROJ-7 PROJ-70", "a_B-1 FOO-BAR-12", "AB-1-2\nCD-3", "ÉPROJ-7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		got := IssueKeys(msg)
		if want := referenceKeys(msg); !slices.Equal(got, want) {
			t.Fatalf("IssueKeys(%q) = %q, reference %q", msg, got, want)
		}
		for _, k := range got {
			if !ValidIssueKey(k) {
				t.Fatalf("returned %q, not a valid key", k)
			}
		}
	})
}

func BenchmarkIssueKeys(b *testing.B) {
	msg := "Merge pull request #123 from team/feature\n\nFixes PROJ-1234 and OTHER-5; see also https://example.com/browse/ABC-99\n" +
		"Signed-off-by: Someone <someone@example.com>\n"
	for b.Loop() {
		IssueKeys(msg)
	}
}
