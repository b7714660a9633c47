package jira

import (
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/store"
)

func TestLocationIdentity(t *testing.T) {
	same := []string{
		"git@github.com:acme/app.git",
		"ssh://git@github.com/acme/app.git",
		"ssh://other@GitHub.com:22/acme/app",
		"github.com.:acme/app/",
		"ssh://git@github.com//acme//app.git/",
	}
	for _, loc := range same {
		if got := LocationIdentity(loc); got != "github.com/acme/app" {
			t.Errorf("%q: %q", loc, got)
		}
	}
	for loc, want := range map[string]string{
		"ssh://git@git.example.com:2222/srv/app.git": "git.example.com:2222/srv/app",
		"ssh://git@[::1]:2222/x.git":                 "[::1]:2222/x",
		"git@[::1]:x.git":                            "[::1]/x",
		"user@host:~/repos/app.git":                  "host/repos/app",
		"https://github.com/acme/app":                "",
		"nohost":                                     "",
		"git@github.com:":                            "",
	} {
		if got := LocationIdentity(loc); got != want {
			t.Errorf("%q: %q, want %q", loc, got, want)
		}
	}
	// A rename keeps it; a repository without a parsable location falls back.
	if RepositoryIdentity(store.Repository{Name: "a", ID: "i", URL: "git@h:x"}) != RepositoryIdentity(store.Repository{Name: "b", ID: "j", URL: "git@h:x"}) {
		t.Error("identity depends on name or ID")
	}
	if RepositoryIdentity(store.Repository{Name: "n", ID: "i"}) != "i" || RepositoryIdentity(store.Repository{Name: "n"}) != "n" {
		t.Error("fallback")
	}
	long := "git@h:" + strings.Repeat("p/", 200) + "x"
	if g := AggregateGlobalID(RepositoryIdentity(store.Repository{URL: long}), "PROJ-1"); len(g) > 255 || !strings.HasSuffix(g, ":PROJ-1") {
		t.Errorf("long globalId %q", g)
	}
}

func TestLinkOptionValues(t *testing.T) {
	for in, want := range map[string]string{"": "issue", "Issue": "issue", "commit": "commit", "commits": "commit"} {
		if got, err := NormalizeLinkStyle(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := NormalizeLinkStyle("panel"); err == nil {
		t.Error("unknown style accepted")
	}
	for _, ok := range []string{"none", "NONE", "https://git.example.com/favicon.ico", "http://127.0.0.1:8080/i.png"} {
		if _, err := NormalizeLinkIcon(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://example.com/i.png", "ftp://x/y", "https://", "javascript:alert(1)", "https://x.example/a b"} {
		if _, err := NormalizeLinkIcon(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if d := EstimateLinking(1600, 4); d != 100*time.Second {
		t.Errorf("estimate %v", d)
	}
	if EstimateLinking(0, 4) != 0 || EstimateLinking(5000, 16) != 100*time.Second {
		t.Error("estimate bounds")
	}
}

func TestNotVisibleBackoff(t *testing.T) {
	want := []time.Duration{time.Hour, 4 * time.Hour, 16 * time.Hour, 64 * time.Hour, 7 * 24 * time.Hour, 7 * 24 * time.Hour}
	for i, w := range want {
		if got := notVisibleBackoff(i + 1); got != w {
			t.Errorf("attempt %d: %v, want %v", i+1, got, w)
		}
	}
}

// TestPendingLinksLine: what connect and the wizard's Finish say.
func TestPendingLinksLine(t *testing.T) {
	h := newLinkHistory(t)
	h.standardHistory()
	h.sync()
	if l := PendingLinksLine(h.p, h.repo); l != "" {
		t.Errorf("no site: %q", l)
	}
	if err := store.WriteSite(h.p, store.Site{URL: "https://jira.example.com", Token: "tok"}); err != nil {
		t.Fatal(err)
	}
	if l := PendingLinksLine(h.p, h.repo); l != "Jira: 7 issues to link (about 1 s); the next gitjira repos fetch links them, or now: gitjira repos link app" {
		t.Errorf("token site: %q", l)
	}
	off := false
	h.repo.Link = &off
	if l := PendingLinksLine(h.p, h.repo); l != "" {
		t.Errorf("linking off: %q", l)
	}
	h.repo.Link = nil
	if err := store.WriteSite(h.p, store.Site{URL: "https://x.atlassian.net", OAuthClientID: "id", OAuthSecret: "s", CloudID: "c"}); err != nil {
		t.Fatal(err)
	}
	if l := PendingLinksLine(h.p, h.repo); !strings.HasPrefix(l, "Jira: 6 commits to send to the Development panel (about 1 s)") {
		t.Errorf("devinfo site: %q", l)
	}
	if d := RoughDuration(130 * time.Minute); d != "2 h 10 min" {
		t.Errorf("%q", d)
	}
}
