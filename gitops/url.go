package gitops

import (
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// DefaultUser is the user the well-known git hosts (GitHub, GitLab, Gitea,
// Bitbucket) serve repositories as; the wizard suggests it. A location
// without a user logs in as ssh would: the SSH config's User, else the
// local login name.
const DefaultUser = "git"

// DefaultPort is the SSH port used when the location names none.
const DefaultPort = 22

// Endpoint is a parsed repository location on an SSH git host.
type Endpoint struct {
	User          string   // the location's, else the SSH config's User, else the local login name
	Host          string   // DNS name or IP, as dialled (after ~/.ssh/config HostName); IPv6 without brackets
	Port          int      // default 22
	Path          string   // as given, e.g. "/srv/git/repo.git" or "org/repo.git" (scp-like: relative); "~/x" for ssh://host/~/x
	Alias         string   // the ~/.ssh/config Host alias used, if any
	IdentityFiles []string // IdentityFile entries for this host (expanded paths), key candidates
	Original      string   // the text the user typed
	// Route is how the OpenSSH configuration resolved the host (jump hosts,
	// proxy command, certificates, known_hosts files); nil when no
	// configuration was applied (ParseURL alone).
	Route *SSHRoute

	// Which parts the location spelled out; ~/.ssh/config only fills the others
	// (OpenSSH gives the command line precedence over the config file too).
	userGiven, portGiven bool
}

// knownForges maps https hosts to the SSH host that serves the same
// repositories, to suggest git@host:path for a pasted https URL.
var knownForges = map[string]string{
	"github.com":    "github.com",
	"gitlab.com":    "gitlab.com",
	"bitbucket.org": "bitbucket.org",
	"codeberg.org":  "codeberg.org",
	"gitea.com":     "gitea.com",
	"git.sr.ht":     "git.sr.ht",
}

// ParseURL parses a repository location: ssh://[user@]host[:port]/path,
// git+ssh:// and ssh+git:// (same thing), or scp-like [user@]host:path, with
// IPv6 hosts in brackets. The user defaults to the local login name (as
// with ssh; ParseURLWithConfig applies the SSH config's User first) and
// the port to 22. As git does, an ssh:// location is %XX-decoded, and a path
// may contain spaces.
// http(s)://, git://, file:// and local paths are refused with a *URLError
// that says gitjira connects over SSH and shows the form to use.
func ParseURL(s string) (*Endpoint, error) {
	orig := s
	s = strings.TrimSpace(s)
	fail := func(reason, suggest string) (*Endpoint, error) {
		return nil, &URLError{Input: orig, Reason: reason, Suggest: suggest}
	}
	if s == "" {
		return fail("no repository location given", "")
	}
	var ep *Endpoint
	var reason, suggest string
	if i := strings.Index(s, "://"); i >= 0 && isScheme(s[:i]) {
		// git decodes %XX in a URL before splitting it (connect.c, url_decode).
		s = s[:i+3] + percentDecode(s[i+3:])
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fail("the location contains control or invalid characters", "")
		}
	}
	if i := strings.Index(s, "://"); i >= 0 {
		ep, reason, suggest = parseSchemeURL(s, strings.ToLower(s[:i]))
	} else {
		ep, reason, suggest = parseSCP(s)
	}
	if reason != "" {
		return fail(reason, suggest)
	}
	if r := checkParts(ep); r != "" {
		return fail(r, "")
	}
	ep.Original = orig
	return ep, nil
}

func parseSchemeURL(s, scheme string) (*Endpoint, string, string) {
	switch scheme {
	case "ssh", "git+ssh", "ssh+git":
	case "http", "https":
		return nil, "HTTP(S) locations are not supported", forgeSuggestion(s)
	case "git":
		return nil, "the git:// protocol is not supported (it is unauthenticated)", forgeSuggestion(s)
	case "file":
		return nil, "local repositories are not supported", ""
	default:
		return nil, "unsupported scheme " + strconv.Quote(scheme), ""
	}
	// Like git, '?' and '#' are part of the path (git passes the path to
	// the server as is); %XX was decoded by ParseURL.
	rest := s[strings.Index(s, "://")+3:]
	authority, p := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, p = rest[:i], rest[i:]
	}
	ep := &Endpoint{User: LocalUser(), Port: DefaultPort}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		ep.User = authority[:at]
		ep.userGiven = true
		authority = authority[at+1:]
		if strings.Contains(ep.User, ":") {
			return nil, "passwords are not used: gitjira signs in with a key", ""
		}
	}
	if authority == "" {
		return nil, "no host in the URL", ""
	}
	host, port := authority, ""
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return nil, "missing ']' after the host", ""
		}
		host = authority[1:end]
		after := authority[end+1:]
		if after != "" {
			if !strings.HasPrefix(after, ":") {
				return nil, "expected ':port' after ']'", ""
			}
			port = after[1:]
			if port == "" {
				return nil, "empty port after ':'", ""
			}
		}
	} else if i := strings.LastIndexByte(authority, ':'); i >= 0 {
		host, port = authority[:i], authority[i+1:]
		if port == "" {
			return nil, "empty port after ':'", ""
		}
		if strings.Contains(host, ":") {
			return nil, "an IPv6 address goes in brackets, as in ssh://git@[::1]:22/path", ""
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '+' {
			return nil, "the port must be a number from 1 to 65535", ""
		}
		ep.Port = n
		ep.portGiven = true
	}
	ep.Host = host
	ep.Path = p
	// git treats ssh://host/~user/repo as a path relative to a home
	// directory and sends it without the leading slash.
	if strings.HasPrefix(ep.Path, "/~") {
		ep.Path = ep.Path[1:]
	}
	return ep, "", ""
}

func parseSCP(s string) (*Endpoint, string, string) {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") ||
		strings.HasPrefix(s, "~") || s == "." || s == ".." || isWindowsPath(s) {
		return nil, "local paths are not supported", ""
	}
	ep := &Endpoint{User: LocalUser(), Port: DefaultPort}
	rest := s
	// A user name ends at an '@' that comes before the host's ':', '/' or '['.
	if at := strings.IndexByte(rest, '@'); at >= 0 {
		if stop := strings.IndexAny(rest, ":/["); stop < 0 || at < stop {
			ep.User = rest[:at]
			ep.userGiven = true
			rest = rest[at+1:]
		}
	}
	var hostPart string
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, "missing ']' after the host", ""
		}
		hostPart = rest[1:end]
		rest = rest[end+1:]
		if !strings.HasPrefix(rest, ":") {
			return nil, "expected ':' and a path after ']'", ""
		}
		rest = rest[1:]
		if net.ParseIP(hostPart) == nil {
			// git also accepts "[host:port]:path" (and "[user@host:port]:path") to give a port in scp-like form.
			if at := strings.LastIndexByte(hostPart, '@'); at >= 0 {
				if ep.userGiven {
					return nil, "two user names in the location", ""
				}
				ep.User = hostPart[:at]
				ep.userGiven = true
				hostPart = hostPart[at+1:]
			}
			h, p, err := net.SplitHostPort(hostPart)
			if err != nil {
				return nil, "a bracketed host must be an IPv6 address or host:port", ""
			}
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return nil, "the port must be a number from 1 to 65535", ""
			}
			hostPart, ep.Port, ep.portGiven = h, n, true
		}
	} else {
		// git's rule: scp-like only when a ':' comes before any '/'.
		c := strings.IndexByte(rest, ':')
		if sl := strings.IndexByte(rest, '/'); c < 0 || (sl >= 0 && sl < c) {
			if ep.userGiven && sl > 0 {
				// "git@github.com/org/repo": a '/' typed for the ':'.
				fixed := ep.User + "@" + rest[:sl] + ":" + rest[sl+1:]
				return nil, "missing ':' between the host and the path", fixed
			}
			return nil, "not an SSH location (no host: before the path)", ""
		}
		hostPart, rest = rest[:c], rest[c+1:]
	}
	ep.Host = hostPart
	ep.Path = rest
	return ep, "", ""
}

// isScheme reports whether s is a URL scheme (letters, digits, + - .).
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// percentDecode is git's url_decode: %XX with two hex digits becomes that
// byte; anything else stays as written ('+' is not a space).
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func isWindowsPath(s string) bool {
	return len(s) >= 3 && s[1] == ':' && (s[2] == '\\' || s[2] == '/') &&
		((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))
}

// checkParts validates what both forms produce and returns a reason, or "".
func checkParts(ep *Endpoint) string {
	if ep.User == "" {
		return "empty user name before '@'"
	}
	// A leading '-' would be read as an option by an ssh client that we
	// might hand the location to (the CVE-2017-1000117 family).
	if strings.HasPrefix(ep.User, "-") || strings.HasPrefix(ep.Host, "-") {
		return "the user and host cannot start with '-'"
	}
	if strings.ContainsAny(ep.User, "@:/[] \t") {
		return "invalid user name " + strconv.Quote(ep.User)
	}
	if ep.Host == "" {
		return "no host name"
	}
	// IP addresses, or DNS-style names (with '_', which ssh_config aliases
	// use); IPv6 zones ("fe80::1%eth0") are refused by both.
	if net.ParseIP(ep.Host) == nil {
		for _, r := range ep.Host {
			if !(r == '-' || r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return "invalid host name " + strconv.Quote(ep.Host)
			}
		}
		if len(ep.Host) > 253 {
			return "host name too long"
		}
	}
	p := ep.Path
	if p == "" || p == "/" || p == "~" || p == "~/" {
		return "no repository path after the host"
	}
	if strings.ContainsRune(p, 0) {
		return "the path contains a NUL byte"
	}
	return ""
}

// forgeSuggestion turns https://github.com/org/repo(.git) into
// git@github.com:org/repo.git for hosts known to serve the same path over SSH.
func forgeSuggestion(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	forge := strings.ToLower(u.Hostname())
	host, ok := knownForges[forge]
	if !ok {
		return ""
	}
	p := strings.Trim(u.Path, "/")
	// Browser URLs go deeper than the repository: GitLab marks the end of
	// the (possibly nested) project path with "/-/"; the others have
	// exactly owner/repo (…/tree/main, …/src/branch/x follow).
	if i := strings.Index(p, "/-/"); i >= 0 {
		p = p[:i]
	}
	if forge != "gitlab.com" {
		if parts := strings.Split(p, "/"); len(parts) > 2 {
			p = strings.Join(parts[:2], "/")
		}
	}
	if p == "" || !strings.Contains(p, "/") || strings.ContainsAny(p, " \t") {
		return ""
	}
	if !strings.HasSuffix(p, ".git") {
		p += ".git"
	}
	return DefaultUser + "@" + host + ":" + p
}

// String returns the canonical form: ssh://user@host:port/path for absolute
// paths, and user@host:path (scp-like) for paths relative to the account's
// home directory, which the ssh:// form cannot express except through ~/.
func (e *Endpoint) String() string {
	host := e.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	user := e.User
	if user == "" {
		user = DefaultUser
	}
	port := e.Port
	if port == 0 {
		port = DefaultPort
	}
	p := e.Path
	switch {
	case strings.HasPrefix(p, "/~") && port == DefaultPort:
		// ssh://host/~x would mean the home-relative "~x"; keep the absolute path.
		return user + "@" + host + ":" + p
	case strings.HasPrefix(p, "/~"):
		// "//~x" names the same file and is not read as home-relative.
		return "ssh://" + user + "@" + host + ":" + strconv.Itoa(port) + "/" + p
	case strings.HasPrefix(p, "/"):
		return "ssh://" + user + "@" + host + ":" + strconv.Itoa(port) + p
	case port == DefaultPort:
		return user + "@" + host + ":" + p
	case strings.HasPrefix(p, "~"):
		return "ssh://" + user + "@" + host + ":" + strconv.Itoa(port) + "/" + p
	default:
		// Relative to the home directory on a non-standard port: git-upload-pack
		// expands "~/" itself, so this names the same repository.
		return "ssh://" + user + "@" + host + ":" + strconv.Itoa(port) + "/~/" + p
	}
}

// Addr returns host:port for dialling ("[::1]:22" for IPv6).
func (e *Endpoint) Addr() string {
	port := e.Port
	if port == 0 {
		port = DefaultPort
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(port))
}

// KnownHostsName returns the host as known_hosts writes it: "host" on port
// 22, "[host]:port" otherwise.
// With HostKeyAlias in the SSH config, the alias alone stands for the
// host and its port (as in OpenSSH).
func (e *Endpoint) KnownHostsName() string {
	h := e.hostKeyHost()
	if e.Port == 0 || e.Port == DefaultPort || h != e.Host {
		return h
	}
	return "[" + h + "]:" + strconv.Itoa(e.Port)
}

// hostKeyHost is the name host keys are looked up and recorded under: the
// HostKeyAlias when the SSH config sets one, else the host.
func (e *Endpoint) hostKeyHost() string {
	if e.Route != nil && e.Route.HostKeyAlias != "" {
		return e.Route.HostKeyAlias
	}
	return e.Host
}

// hostKeyAddr is hostKeyHost with the port, for known_hosts lookups.
func (e *Endpoint) hostKeyAddr() string {
	port := e.Port
	if port == 0 || e.hostKeyHost() != e.Host {
		port = DefaultPort // a HostKeyAlias is looked up without the port
	}
	return net.JoinHostPort(e.hostKeyHost(), strconv.Itoa(port))
}

// RepoName returns the last path element without ".git", e.g. "repo" for
// git@host:org/repo.git; the host name when the path has no usable element.
func (e *Endpoint) RepoName() string {
	p := strings.TrimRight(e.Path, "/")
	name := strings.TrimSuffix(path.Base(p), ".git")
	if name == "" || name == "." || name == "/" || strings.HasPrefix(name, "~") {
		return e.Host
	}
	return name
}

// SuggestForgeUser returns the location with the user git for a
// well-known git host (GitHub, GitLab, Bitbucket, Codeberg, Gitea,
// sourcehut) when none was typed and the SSH config names none either: the
// login would then be the local user name, which those hosts refuse.
// Otherwise "".
func (e *Endpoint) SuggestForgeUser() string {
	if e.userGiven || e.User == DefaultUser || e.User != LocalUser() {
		return ""
	}
	if _, ok := knownForges[strings.ToLower(e.Host)]; !ok {
		return ""
	}
	orig := strings.TrimSpace(e.Original)
	if i := strings.Index(orig, "://"); i >= 0 {
		return orig[:i+3] + DefaultUser + "@" + orig[i+3:]
	}
	return DefaultUser + "@" + orig
}
