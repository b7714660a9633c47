package jira

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gitjira/gitjira/store"
)

const testSHA = "0123456789abcdef0123456789abcdef01234567"

// TestCommitURLs is issue 10's table: SSH URLs (and configured web URLs) to
// the web page of one commit.
func TestCommitURLs(t *testing.T) {
	s := testSHA
	for _, tt := range []struct {
		name      string
		repo      store.Repository
		want      string
		confident bool
	}{
		{"github scp", store.Repository{URL: "git@github.com:acme/app.git"}, "https://github.com/acme/app/commit/" + s, true},
		{"github ssh", store.Repository{URL: "ssh://git@github.com/acme/app.git"}, "https://github.com/acme/app/commit/" + s, true},
		{"github over 443", store.Repository{URL: "ssh://git@ssh.github.com:443/acme/app"}, "https://github.com/acme/app/commit/" + s, true},
		{"github enterprise guessed", store.Repository{URL: "git@github.example.com:org/app.git"}, "https://github.example.com/org/app/commit/" + s, false},
		{"github enterprise configured", store.Repository{URL: "git@ghe-ssh.corp.example:org/app.git", WebURL: "https://github.corp.example/org/app"}, "https://github.corp.example/org/app/commit/" + s, true},
		{"gitlab.com subgroups", store.Repository{URL: "git@gitlab.com:group/sub/app.git"}, "https://gitlab.com/group/sub/app/-/commit/" + s, true},
		{"gitlab.com altssh 443", store.Repository{URL: "ssh://git@altssh.gitlab.com:443/group/app.git"}, "https://gitlab.com/group/app/-/commit/" + s, true},
		{"gitlab self-managed port 2222", store.Repository{URL: "ssh://git@gitlab.example.com:2222/group/sub/app.git"}, "https://gitlab.example.com/group/sub/app/-/commit/" + s, false},
		{"gitlab self-managed configured", store.Repository{URL: "ssh://git@code.example.com:2222/group/sub/app.git", WebURL: "https://gitlab.example.com/group/sub/app"}, "https://gitlab.example.com/group/sub/app/commit/" + s, true},
		{"bitbucket cloud", store.Repository{URL: "git@bitbucket.org:team/app.git"}, "https://bitbucket.org/team/app/commits/" + s, true},
		{"bitbucket server", store.Repository{URL: "ssh://git@host:7999/PROJ/repo.git"}, "https://host/projects/PROJ/repos/repo/commits/" + s, false},
		{"bitbucket server personal", store.Repository{URL: "ssh://git@bitbucket.example.com:7999/~ann/tools.git"}, "https://bitbucket.example.com/users/ann/repos/tools/commits/" + s, false},
		{"bitbucket server configured", store.Repository{URL: "ssh://git@host:7999/PROJ/repo.git", WebURL: "https://host/bitbucket/projects/PROJ/repos/repo"}, "https://host/bitbucket/projects/PROJ/repos/repo/commits/" + s, true},
		{"codeberg", store.Repository{URL: "git@codeberg.org:forgejo/forgejo.git"}, "https://codeberg.org/forgejo/forgejo/commit/" + s, true},
		{"gitea", store.Repository{URL: "ssh://git@gitea.example.com:2222/team/app.git"}, "https://gitea.example.com/team/app/commit/" + s, false},
		{"forgejo", store.Repository{URL: "git@forgejo.example.org:team/app.git"}, "https://forgejo.example.org/team/app/commit/" + s, false},
		{"azure devops", store.Repository{URL: "git@ssh.dev.azure.com:v3/org/proj/repo"}, "https://dev.azure.com/org/proj/_git/repo/commit/" + s, true},
		{"azure devops ssh url", store.Repository{URL: "ssh://git@ssh.dev.azure.com/v3/org/proj/repo"}, "https://dev.azure.com/org/proj/_git/repo/commit/" + s, true},
		{"azure devops old host", store.Repository{URL: "org@vs-ssh.visualstudio.com:v3/org/proj/repo"}, "https://dev.azure.com/org/proj/_git/repo/commit/" + s, true},
		{"gerrit", store.Repository{URL: "ssh://ann@review.example.com:29418/platform/app"}, "https://review.example.com/plugins/gitiles/platform/app/+/" + s, false},
		{"unknown host", store.Repository{URL: "git@git.example.com:srv/app.git"}, "https://git.example.com/srv/app/commit/" + s, false},
		{"template wins", store.Repository{URL: "git@github.com:acme/app.git", WebURL: "https://x.example/a", CommitURLTemplate: "https://cgit.example.com/app/commit/?id={sha}"}, "https://cgit.example.com/app/commit/?id=" + s, true},
		// An address or a name without a domain: no web page to guess
		// (issue 15 defect 9), unless the user gives one.
		{"ipv6 host", store.Repository{URL: "ssh://git@[2001:db8::1]:2222/srv/app.git"}, "", false},
		{"ipv4 host", store.Repository{URL: "git@10.0.0.5:srv/app.git"}, "", false},
		{"localhost", store.Repository{URL: "ssh://git@localhost:2222/srv/app.git"}, "", false},
		{"ip host with web URL", store.Repository{URL: "git@10.0.0.5:srv/app.git", WebURL: "https://git.example.com/srv/app"}, "https://git.example.com/srv/app/commit/" + s, true},
		{"no path", store.Repository{URL: "git@github.com:"}, "", false},
		{"not ssh", store.Repository{URL: "https://github.com/acme/app.git"}, "", false},
		{"odd host", store.Repository{URL: "git@ex<ample>.com:a/b.git"}, "", false},
		{"azure without v3", store.Repository{URL: "git@ssh.dev.azure.com:org/proj/repo"}, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, confident := CommitURL(tt.repo, s)
			if got != tt.want || confident != tt.confident {
				t.Errorf("CommitURL(%q, web %q) = %q, %v; want %q, %v", tt.repo.URL, tt.repo.WebURL, got, confident, tt.want, tt.confident)
			}
			if strings.HasPrefix(got, "ssh:") {
				t.Errorf("an ssh:// link cannot be opened: %q", got)
			}
		})
	}
}

func TestGuessWebURLGivesRepositoryPage(t *testing.T) {
	for _, tt := range []struct{ in, web string }{
		{"git@github.com:acme/app.git", "https://github.com/acme/app"},
		{"ssh://git@host:7999/PROJ/repo.git", "https://host/projects/PROJ/repos/repo"},
		{"git@ssh.dev.azure.com:v3/org/proj/repo", "https://dev.azure.com/org/proj/_git/repo"},
		{"ssh://git@gitlab.example.com:2222/group/sub/app.git/", "https://gitlab.example.com/group/sub/app"},
	} {
		if got, _ := GuessWebURL(tt.in); got.WebURL != tt.web {
			t.Errorf("GuessWebURL(%q).WebURL = %q, want %q", tt.in, got.WebURL, tt.web)
		}
	}
}

func TestNormalizeWebURLAndTemplate(t *testing.T) {
	for _, tt := range []struct{ in, want, errHas string }{
		{in: "https://git.example.com/team/app/", want: "https://git.example.com/team/app"},
		{in: " https://Git.Example.com/team/app.git ", want: "https://git.example.com/team/app"},
		{in: "http://git.internal/team/app", want: "http://git.internal/team/app"},
		{in: "git@github.com:acme/app.git", errHas: "not a web URL"},
		{in: "ssh://git@host/x", errHas: "not a web URL"},
		{in: "https://u:p@git.example.com/x", errHas: "user name"},
		{in: "https://git.example.com/x?tab=1", errHas: "query"},
		{in: "", errHas: "not a web URL"},
	} {
		got, err := NormalizeWebURL(tt.in)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("NormalizeWebURL(%q) = %q, %v; want error with %q", tt.in, got, err, tt.errHas)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeWebURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"https://git.example.com/app/commit/{sha}", true},
		{"https://cgit.example.com/app/commit/?id={sha}", true},
		{"https://git.example.com/app/commit/", false},
		{"ssh://git.example.com/{sha}", false},
		{"https://git.example.com/a b/{sha}", false},
	} {
		if err := CheckCommitURLTemplate(tt.in); (err == nil) != tt.ok {
			t.Errorf("CheckCommitURLTemplate(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

// FuzzGuessWebURL: whatever the repository URL, a guess is either empty or
// an https URL that parses, has a host, and a template with {sha}; nothing
// panics.
func FuzzGuessWebURL(f *testing.F) {
	for _, s := range []string{"git@github.com:acme/app.git", "ssh://git@host:7999/PROJ/repo.git", "git@ssh.dev.azure.com:v3/o/p/r", "[::1]:repo.git", "ssh://git@[::1]:22/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		loc, _ := GuessWebURL(in)
		if loc == (WebLocation{}) {
			return
		}
		u, err := url.Parse(loc.WebURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("GuessWebURL(%q).WebURL = %q", in, loc.WebURL)
		}
		if !strings.Contains(loc.CommitURLTemplate, ShaPlaceholder) || !strings.HasPrefix(loc.CommitURLTemplate, loc.WebURL) {
			t.Fatalf("GuessWebURL(%q).CommitURLTemplate = %q", in, loc.CommitURLTemplate)
		}
		if err := CheckCommitURLTemplate(loc.CommitURLTemplate); err != nil {
			t.Fatalf("GuessWebURL(%q) template %q: %v", in, loc.CommitURLTemplate, err)
		}
		if !utf8.ValidString(loc.WebURL) {
			t.Fatalf("invalid UTF-8 %q", loc.WebURL)
		}
	})
}
