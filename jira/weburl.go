package jira

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gitjira/gitjira/store"
)

// Clickable links (issue 10): a Jira remote link needs a URL a browser opens,
// so a commit's link points at its page on the git host's web interface. The
// repository's own settings win (store.Repository.CommitURLTemplate, then
// store.Repository.WebURL); otherwise the web address is derived from the SSH URL.
// Hosts whose layout is certain (github.com, gitlab.com, bitbucket.org,
// codeberg.org, Azure DevOps) give a confident answer; for self-hosted
// servers the derivation is a guess (the web interface may live on another
// host, port or context path) that the wizard shows prefilled for the user
// to confirm, and that a link still uses rather than an ssh:// URL nobody can
// open.

// HostKind names a git host's web layout: where a commit's page is.
type HostKind string

// The web layouts gitjira knows.
const (
	HostUnknown         HostKind = ""                 // …/commit/{sha}, the most common form
	HostGitHub          HostKind = "github"           // github.com, GitHub Enterprise: …/commit/{sha}
	HostGitLab          HostKind = "gitlab"           // gitlab.com, self-managed: …/-/commit/{sha}
	HostBitbucketCloud  HostKind = "bitbucket"        // bitbucket.org: …/commits/{sha}
	HostBitbucketServer HostKind = "bitbucket-server" // Server/Data Center: /projects/P/repos/r/commits/{sha}
	HostGitea           HostKind = "gitea"            // Gitea, Forgejo, Codeberg: …/commit/{sha}
	HostAzureDevOps     HostKind = "azure-devops"     // dev.azure.com/org/proj/_git/repo/commit/{sha}
	HostGerrit          HostKind = "gerrit"           // Gerrit with gitiles: /plugins/gitiles/p/+/{sha}
)

// ShaPlaceholder is where the commit id goes in a commit URL template.
const ShaPlaceholder = "{sha}"

// WebLocation is a repository's place on the web.
type WebLocation struct {
	WebURL            string   // the repository's page, e.g. https://github.com/acme/app
	CommitURLTemplate string   // one commit's page with {sha}, e.g. https://github.com/acme/app/commit/{sha}
	Host              HostKind // the layout the template follows
}

// CommitURL fills the template with sha ("" when there is no template).
func (w WebLocation) CommitURL(sha string) string {
	if w.CommitURLTemplate == "" {
		return ""
	}
	return strings.ReplaceAll(w.CommitURLTemplate, ShaPlaceholder, sha)
}

// GuessWebURL derives a repository's web location from its SSH URL
// (ssh://[user@]host[:port]/path or scp-like [user@]host:path). confident is
// true only where the layout is certain; a zero WebLocation means nothing
// could be derived (not an SSH URL, no path).
func GuessWebURL(repoURL string) (guess WebLocation, confident bool) {
	host, path, _, port := splitGitURL(strings.TrimSpace(repoURL))
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(strings.TrimSuffix(path, "/"), ".git")
	path = strings.Trim(path, "/")
	if !validWebHost(host) || path == "" || strings.Contains(path, "..") {
		return WebLocation{}, false
	}
	segs := strings.Split(path, "/")
	web := func(h, p string) string {
		u := url.URL{Scheme: "https", Host: h, Path: "/" + p}
		if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") {
			u.Host = "[" + h + "]"
		}
		return u.String()
	}
	loc := func(kind HostKind, webURL string) WebLocation {
		return WebLocation{WebURL: webURL, CommitURLTemplate: commitTemplate(webURL, kind), Host: kind}
	}

	switch host {
	case "github.com", "ssh.github.com", "www.github.com":
		return loc(HostGitHub, web("github.com", path)), true
	case "gitlab.com", "altssh.gitlab.com":
		return loc(HostGitLab, web("gitlab.com", path)), true
	case "bitbucket.org", "altssh.bitbucket.org":
		return loc(HostBitbucketCloud, web("bitbucket.org", path)), true
	case "codeberg.org":
		return loc(HostGitea, web("codeberg.org", path)), true
	case "ssh.dev.azure.com", "vs-ssh.visualstudio.com":
		// git@ssh.dev.azure.com:v3/org/project/repo
		if len(segs) == 4 && segs[0] == "v3" {
			return loc(HostAzureDevOps, web("dev.azure.com", segs[1]+"/"+segs[2]+"/_git/"+segs[3])), true
		}
		return WebLocation{}, false
	}

	// Self-hosted: the layout follows from the port or the host name, but
	// the web address itself is a guess (another host, port or context path
	// is common), so never confident.
	switch {
	case port == "7999" || (strings.Contains(host, "bitbucket") && len(segs) == 2):
		// Bitbucket Server/Data Center: ssh://git@host:7999/PROJ/repo.git,
		// personal repositories under ~user.
		if len(segs) == 2 {
			if strings.HasPrefix(segs[0], "~") {
				return loc(HostBitbucketServer, web(host, "users/"+strings.TrimPrefix(segs[0], "~")+"/repos/"+segs[1])), false
			}
			return loc(HostBitbucketServer, web(host, "projects/"+segs[0]+"/repos/"+segs[1])), false
		}
	case port == "29418" || strings.Contains(host, "gerrit"):
		return loc(HostGerrit, web(host, "plugins/gitiles/"+path)), false
	case strings.Contains(host, "gitlab"):
		return loc(HostGitLab, web(host, path)), false
	case strings.Contains(host, "gitea") || strings.Contains(host, "forgejo"):
		return loc(HostGitea, web(host, path)), false
	case strings.Contains(host, "github"):
		return loc(HostGitHub, web(host, path)), false
	}
	// An address or a name without a domain (localhost, a bare SSH server)
	// says nothing of a web server: a page guessed there would never open,
	// so nothing is guessed and the user is asked for the web URL.
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return WebLocation{}, false
	}
	// GitHub Enterprise, Gitea, Forgejo and GitLab (which redirects) all serve
	// …/commit/{sha}: the likeliest page on an unknown host.
	return loc(HostUnknown, web(host, path)), false
}

// validWebHost accepts DNS names and IP addresses, nothing that could make a
// URL mean something else.
func validWebHost(h string) bool {
	if h == "" {
		return false
	}
	if strings.Contains(h, ":") {
		return net.ParseIP(h) != nil
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// commitTemplate is the commit page below a repository's web URL.
func commitTemplate(webURL string, kind HostKind) string {
	base := strings.TrimRight(webURL, "/")
	switch kind {
	case HostGitLab:
		return base + "/-/commit/" + ShaPlaceholder
	case HostBitbucketCloud, HostBitbucketServer:
		return base + "/commits/" + ShaPlaceholder
	case HostGerrit:
		return base + "/+/" + ShaPlaceholder
	}
	return base + "/commit/" + ShaPlaceholder
}

var (
	bitbucketServerPath = regexp.MustCompile(`^/(projects|users)/[^/]+/repos/[^/]+$`)
	gitilesPath         = regexp.MustCompile(`/plugins/gitiles/`)
)

// HostKindOfWebURL recognises a layout from a repository's web URL; hint
// (from the SSH URL) decides when the URL alone does not tell.
func HostKindOfWebURL(webURL string, hint HostKind) HostKind {
	u, err := url.Parse(webURL)
	if err != nil {
		return hint
	}
	host, path := strings.ToLower(u.Hostname()), strings.TrimRight(u.Path, "/")
	switch {
	case host == "github.com":
		return HostGitHub
	case host == "gitlab.com":
		return HostGitLab
	case host == "bitbucket.org":
		return HostBitbucketCloud
	case host == "codeberg.org":
		return HostGitea
	case host == "dev.azure.com" || strings.HasSuffix(host, ".visualstudio.com") || strings.Contains(path, "/_git/"):
		return HostAzureDevOps
	case bitbucketServerPath.MatchString(path):
		return HostBitbucketServer
	case gitilesPath.MatchString(path):
		return HostGerrit
	}
	return hint
}

// RepositoryWebLocation is where a repository's commits are on the web:
// its CommitURLTemplate and WebURL when set (confident: the user said so),
// else the guess from its SSH URL.
func RepositoryWebLocation(r store.Repository) (WebLocation, bool) {
	guess, confident := GuessWebURL(r.URL)
	switch {
	case r.CommitURLTemplate != "":
		web := r.WebURL
		if web == "" {
			web = guess.WebURL
		}
		return WebLocation{WebURL: web, CommitURLTemplate: r.CommitURLTemplate, Host: HostKindOfWebURL(web, guess.Host)}, true
	case r.WebURL != "":
		kind := HostKindOfWebURL(r.WebURL, guess.Host)
		return WebLocation{WebURL: r.WebURL, CommitURLTemplate: commitTemplate(r.WebURL, kind), Host: kind}, true
	}
	return guess, confident
}

// CommitURL is the web page of a commit of r (see RepositoryWebLocation):
// "" when no web address is known or can be guessed. It is never an ssh://
// URL, which a browser does not open.
func CommitURL(r store.Repository, sha string) (commitURL string, confident bool) {
	loc, confident := RepositoryWebLocation(r)
	return loc.CommitURL(sha), confident
}

// CommitWebURL is the web page of a commit from the repository's SSH URL
// alone (GuessWebURL), "" when none can be derived.
func CommitWebURL(repoURL, sha string) string {
	loc, _ := GuessWebURL(repoURL)
	return loc.CommitURL(sha)
}

// NormalizeWebURL checks a repository web URL given by the user (connect
// --web-url): an absolute http(s) URL without user info, query or fragment;
// a trailing slash or ".git" is dropped.
func NormalizeWebURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || !utf8.ValidString(raw) || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not a web URL: give the repository's page as https://host/path, e.g. https://git.example.com/team/app", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q has a user name, query or fragment: give only the repository's page, e.g. https://git.example.com/team/app", raw)
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f || r == ' ' {
			return "", fmt.Errorf("the web URL contains spaces or control characters: give the repository's page, e.g. https://git.example.com/team/app")
		}
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), ".git")
	u.RawPath = ""
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// ErrNoShaPlaceholder: a commit URL template without {sha}.
var ErrNoShaPlaceholder = errors.New("the commit URL template has no {sha}: give the page of one commit with {sha} where the commit id goes, e.g. https://git.example.com/team/app/commit/{sha}")

// CheckCommitURLTemplate checks a commit URL template given by the user:
// an http(s) URL with {sha} in it.
func CheckCommitURLTemplate(tmpl string) error {
	if !strings.Contains(tmpl, ShaPlaceholder) {
		return ErrNoShaPlaceholder
	}
	filled := strings.ReplaceAll(tmpl, ShaPlaceholder, "0123456789abcdef0123456789abcdef01234567")
	u, err := url.Parse(filled)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || strings.ContainsAny(filled, " \t\r\n") {
		return fmt.Errorf("%q is not a web URL: give the page of one commit, e.g. https://git.example.com/team/app/commit/{sha}", tmpl)
	}
	return nil
}

// splitGitURL splits ssh://[user@]host[:port]/path, git+ssh://…, and
// scp-like [user@]host:path. host is "" when raw is none of these.
func splitGitURL(raw string) (host, path, user, port string) {
	for _, scheme := range []string{"ssh://", "git+ssh://", "ssh+git://"} {
		if strings.HasPrefix(raw, scheme) {
			u, err := url.Parse("ssh://" + strings.TrimPrefix(raw, scheme))
			if err != nil || u.Hostname() == "" {
				return "", "", "", ""
			}
			if u.User != nil {
				user = u.User.Username()
			}
			return u.Hostname(), u.Path, user, u.Port()
		}
	}
	if strings.Contains(raw, "://") {
		return "", "", "", ""
	}
	// The host of an scp-like address ends at the first colon, except inside
	// brackets ([::1]:path or user@[::1]:path).
	from := 0
	if j := strings.IndexByte(raw, ']'); j >= 0 && strings.Contains(raw[:j], "[") {
		from = j
	}
	rel := strings.IndexByte(raw[from:], ':')
	if rel < 0 {
		return "", "", "", ""
	}
	i := from + rel
	if i == 0 || strings.ContainsAny(raw[:i], "/") {
		return "", "", "", ""
	}
	hostPart := raw[:i]
	if at := strings.LastIndexByte(hostPart, '@'); at >= 0 {
		user, hostPart = hostPart[:at], hostPart[at+1:]
	}
	hostPart = strings.Trim(hostPart, "[]")
	if hostPart == "" || !utf8.ValidString(raw) {
		return "", "", "", ""
	}
	return hostPart, raw[i+1:], user, ""
}
