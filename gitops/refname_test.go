package gitops

import (
	"os/exec"
	"strings"
	"testing"
)

var refNameCases = []struct {
	name string
	ok   bool
}{
	{"HEAD", true},
	{"refs/heads/main", true},
	{"refs/heads/feature/DEMO-7-login", true},
	{"refs/tags/v1.0", true},
	{"refs/pull/123/head", true},
	{"refs/heads/ünïcödé", true},
	{"refs/heads/\u202eevil", true}, // valid for git; shown sanitised
	{"refs/heads/a.b", true},
	{"refs/heads/a@b", true},
	{"refs/heads/-dash", true},
	{"refs/heads/x.lockx", true},
	{"", false},
	{"@", false},
	{"main", false},           // not under refs/
	{"FETCH_HEAD", false},     // not under refs/
	{"refsheads/main", false}, // not under refs/
	{"refs/heads/../../etc", false},
	{"refs/heads/a..b", false},
	{"refs/heads/.hidden", false},
	{"refs/heads/a/.b", false},
	{"refs/heads/x.lock", false},
	{"refs/heads/x.lock/y", false},
	{"refs/heads/trailing/", false},
	{"refs/heads//double", false},
	{"/refs/heads/x", false},
	{"refs/heads/dot.", false},
	{"refs/heads/a@{1}", false},
	{"refs/heads/sp ace", false},
	{"refs/heads/tab\tx", false},
	{"refs/heads/nl\nx", false},
	{"refs/heads/esc\x1b[2J", false},
	{"refs/heads/del\x7f", false},
	{"refs/heads/nul\x00", false},
	{"refs/heads/a~1", false},
	{"refs/heads/a^2", false},
	{"refs/heads/a:b", false},
	{"refs/heads/a?", false},
	{"refs/heads/a*", false},
	{"refs/heads/a[b", false},
	{`refs/heads/a\b`, false},
	{"refs/heads/.", false},
	{"refs/heads/..", false},
}

func TestCheckRefName(t *testing.T) {
	for _, tc := range refNameCases {
		err := CheckRefName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("CheckRefName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// TestCheckRefNameAgreesWithGit: for names under refs/, the verdict is
// git check-ref-format's.
func TestCheckRefNameAgreesWithGit(t *testing.T) {
	needGit(t)
	for _, tc := range refNameCases {
		if !strings.HasPrefix(tc.name, "refs/") || strings.ContainsRune(tc.name, 0) {
			continue // not a command-line argument git can take
		}
		gitOK := exec.Command("git", "check-ref-format", tc.name).Run() == nil
		if ours := CheckRefName(tc.name) == nil; ours != gitOK {
			t.Errorf("%q: CheckRefName ok=%v, git check-ref-format ok=%v", tc.name, ours, gitOK)
		}
	}
}

func TestCheckHeadTarget(t *testing.T) {
	for name, ok := range map[string]bool{
		"refs/heads/main":    true,
		"refs/heads/a/b":     true,
		"refs/tags/v1":       false,
		"HEAD":               false,
		"refs/heads/../../x": false,
		"refs/heads/":        false,
	} {
		if err := checkHeadTarget(name); (err == nil) != ok {
			t.Errorf("checkHeadTarget(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func FuzzCheckRefName(f *testing.F) {
	for _, tc := range refNameCases {
		f.Add(tc.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if CheckRefName(name) != nil {
			return
		}
		// What a passing name can never do: leave refs/, split a line,
		// carry an escape sequence, or collide with git's lock files.
		if name != "HEAD" && !strings.HasPrefix(name, "refs/") {
			t.Fatalf("%q passed outside refs/", name)
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; c < 0x20 || c == 0x7f || strings.IndexByte(" ~^:?*[\\", c) >= 0 {
				t.Fatalf("%q passed with byte %#x", name, c)
			}
		}
		for _, bad := range []string{"..", "@{", "//", "/.", ".lock/"} {
			if strings.Contains(name, bad) {
				t.Fatalf("%q passed with %q", name, bad)
			}
		}
		if strings.HasSuffix(name, ".lock") || strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") {
			t.Fatalf("%q passed with a bad ending", name)
		}
	})
}
