package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/fsatomic"
)

// Site is the configured Jira site: its base URL and the credentials gitjira
// logs in with. Without User, Token is a Data Center personal access token
// sent as bearer token; with User, basic auth is used (Jira Cloud: the
// account e-mail and an API token; Data Center before 8.14: username and
// password). The secret is kept out of JSON (json:"-") and out of fmt output
// (String, GoString), so printing a Site never shows it.
type Site struct {
	URL   string `json:"url"`
	Token string `json:"-"`
	User  string `json:"user,omitempty"`

	// Kind and Version are what login found (serverInfo); they choose the
	// advice errors give, e.g. an API token for Cloud.
	Kind    SiteKind `json:"kind,omitempty"`
	Version []int    `json:"version,omitempty"`

	// InsecureHTTP allows an http:// URL to another machine (jira login
	// --insecure-http). Warnings then says, each time, that the credentials
	// cross the network in clear.
	InsecureHTTP bool `json:"insecure_http,omitempty"`
}

// String describes the site without its secret.
func (s Site) String() string {
	tok := "<none>"
	if s.Token != "" {
		tok = "<hidden>"
	}
	if s.User != "" {
		return fmt.Sprintf("jira.Site{URL: %s, User: %s, Token: %s}", s.URL, s.User, tok)
	}
	return fmt.Sprintf("jira.Site{URL: %s, Token: %s}", s.URL, tok)
}

// GoString hides the token from %#v too.
func (s Site) GoString() string { return s.String() }

// Client returns a client for the site. An http:// URL to another machine
// is refused (ErrInsecureHTTP) unless InsecureHTTP is set.
func (s Site) Client() (*Client, error) {
	c, err := newClient(s.URL, s.User, s.Token, s.InsecureHTTP)
	if err != nil {
		return nil, err
	}
	if s.Kind != KindUnknown {
		c.Kind = s.Kind
	}
	c.Version = s.Version
	return c, nil
}

// Warnings are the lines to show each time the site's credentials are used:
// today only the one about sending them in clear over http://.
func (s Site) Warnings() []string {
	if w, err := CheckTransport(s.URL, s.InsecureHTTP); err == nil && w != "" {
		return []string{w}
	}
	return nil
}

// Site file format versions: 1 holds a URL and a bearer token, which older
// gitjira versions read; 2 adds basic auth, the site kind and version and
// the insecure-http flag. A site that needs none of version 2's fields is
// still written as version 1, so going back to an older gitjira keeps
// working; one that does is written as 2, which older versions refuse with a
// clear message instead of sending a password as a bearer token.
const (
	siteFileVersion1 = 1
	siteFileVersion  = 2
)

// siteFile is the on-disk form of a Site (JiraConfigFile, mode 0600).
type siteFile struct {
	Version      int      `json:"version"`
	URL          string   `json:"url"`
	User         string   `json:"user,omitempty"`
	Token        string   `json:"token"`
	Kind         SiteKind `json:"kind,omitempty"`
	SiteVersion  []int    `json:"site_version,omitempty"`
	InsecureHTTP bool     `json:"insecure_http,omitempty"`
}

// LoadSite reads the configured site. It returns nil, nil when no site is
// configured. A file readable by other users is refused (it holds a secret).
func LoadSite(p Paths) (*Site, error) {
	path := p.JiraConfigFile()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the Jira configuration %s: %v", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s holds the Jira credentials but other users may read it (mode %#o): run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	var sf siteFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("%s is not a gitjira Jira configuration (invalid JSON): fix it, or delete it and run gitjira jira login --url URL", path)
	}
	if sf.Version != siteFileVersion1 && sf.Version != siteFileVersion {
		return nil, fmt.Errorf("%s has format version %d, this gitjira reads versions %d and %d: use a newer gitjira, or delete it and run gitjira jira login --url URL", path, sf.Version, siteFileVersion1, siteFileVersion)
	}
	if sf.URL == "" || sf.Token == "" {
		return nil, fmt.Errorf("%s has no URL or no token: run gitjira jira login --url URL", path)
	}
	if sf.Version == siteFileVersion1 {
		sf.User, sf.Kind, sf.SiteVersion, sf.InsecureHTTP = "", KindUnknown, nil, false
	}
	return &Site{URL: sf.URL, User: sf.User, Token: sf.Token, Kind: sf.Kind, Version: sf.SiteVersion, InsecureHTTP: sf.InsecureHTTP}, nil
}

// SaveSite stores the site in JiraConfigFile with mode 0600 (in a 0700
// directory), atomically (internal/fsatomic): a crash leaves either the old
// or the new configuration. An http:// URL to another machine needs
// InsecureHTTP.
func SaveSite(p Paths, s Site) error {
	base, err := NormalizeBaseURL(s.URL)
	if err != nil {
		return err
	}
	if _, err := CheckTransport(base, s.InsecureHTTP); err != nil {
		return err
	}
	if err := checkCredentials(s.User, s.Token); err != nil {
		return err
	}
	sf := siteFile{Version: siteFileVersion1, URL: base, Token: s.Token}
	if s.User != "" || s.Kind != KindUnknown || len(s.Version) > 0 || s.InsecureHTTP {
		sf = siteFile{Version: siteFileVersion, URL: base, User: s.User, Token: s.Token,
			Kind: s.Kind, SiteVersion: s.Version, InsecureHTTP: s.InsecureHTTP}
	}
	b, err := json.MarshalIndent(sf, "", "  ")
	if err != nil {
		return err
	}
	if err := fsatomic.MkdirPrivate(p.Config); err != nil {
		return fmt.Errorf("cannot create %s: %v", p.Config, err)
	}
	if err := fsatomic.WriteFile(p.JiraConfigFile(), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot write %s: %v", p.JiraConfigFile(), err)
	}
	return nil
}

// LoginOptions is what `gitjira jira login` collects.
type LoginOptions struct {
	URL string
	// Email logs in to Jira Cloud: basic auth with the account e-mail and
	// Secret as API token.
	Email string
	// Username logs in to Jira Data Center/Server with basic auth (username
	// and password in Secret): for versions before 8.14, which have no
	// personal access tokens.
	Username string
	// Secret is the personal access token (neither Email nor Username), the
	// API token (Email) or the password (Username).
	Secret string
	// InsecureHTTP accepts an http:// URL to another machine (--insecure-http).
	InsecureHTTP bool

	HTTP    *http.Client  // nil: the default (tests pass the fake's client)
	Timeout time.Duration // per request; 0 = DefaultTimeout
}

// LoginResult is a checked site, ready for SaveSite.
type LoginResult struct {
	Site     Site
	Server   *ServerInfo
	User     *User
	Warnings []string // to show now (and, from Site.Warnings, on each later use)
	// Notes are informational lines, e.g. Jira's own base URL differing from
	// the one given.
	Notes []string
}

// Login checks a site and credentials without saving anything: the URL and
// the transport (http:// refused without InsecureHTTP), what kind of Jira it
// is (serverInfo's deploymentType and the host name), that the credentials
// fit it (Cloud takes e-mail and API token; personal access tokens need Data
// Center 8.14+), and that Jira accepts them (myself, which also catches a
// 200 that is Jira's anonymous view). Each refusal is one line with the
// advice for that kind of site.
func Login(ctx context.Context, o LoginOptions) (*LoginResult, error) {
	base, err := NormalizeBaseURL(o.URL)
	if err != nil {
		return nil, err
	}
	warning, err := CheckTransport(base, o.InsecureHTTP)
	if err != nil {
		return nil, err
	}
	email, username := strings.TrimSpace(o.Email), strings.TrimSpace(o.Username)
	if email != "" && username != "" {
		return nil, errors.New("give either --email (Jira Cloud) or --username (Jira Data Center/Server before 8.14), not both")
	}
	if email != "" && !strings.Contains(email, "@") {
		return nil, fmt.Errorf("--email %q is not an e-mail address: Jira Cloud logs in with the account's e-mail and an API token", email)
	}
	user := email + username
	secret := o.Secret
	if user == "" {
		secret = strings.TrimSpace(secret)
	}
	hostKind := KindFromHost(hostOf(base))
	if hostKind == KindCloud && user == "" {
		return nil, fmt.Errorf("%s is Jira Cloud: %s", base, credentialAdvice(siteContext{kind: KindCloud}))
	}
	c, err := newClient(base, user, secret, o.InsecureHTTP)
	if err != nil {
		return nil, err
	}
	c.Kind = hostKind
	if o.HTTP != nil {
		c.HTTP = o.HTTP
	}
	c.Timeout = o.Timeout

	// What the site is, asked without credentials (serverInfo is public on
	// every Jira), so the credentials are checked against the kind of site
	// before they are sent: a bearer token never goes to Cloud, a personal
	// access token never to a version without them. A site that hides
	// serverInfo from anonymous callers is asked again with them.
	anon := *c
	anon.anonymous = true
	info, err := anon.ServerInfo(ctx)
	if err != nil {
		var ae *APIError
		if !errors.Is(err, ErrNotJira) && !errors.As(err, &ae) {
			return nil, err
		}
		if info, err = c.ServerInfo(ctx); err != nil {
			return nil, err
		}
	}
	kind := KindFromServerInfo(info)
	if hostKind == KindCloud {
		kind = KindCloud
	}
	c.Kind, c.Version = kind, info.VersionNumbers
	switch {
	case kind == KindCloud && user == "":
		return nil, fmt.Errorf("%s is Jira Cloud: %s", base, credentialAdvice(siteContext{kind: KindCloud}))
	case kind == KindCloud && username != "":
		return nil, fmt.Errorf("%s is Jira Cloud, which has no usernames: log in with --email YOUR-E-MAIL and an API token (create one at https://id.atlassian.com/manage-profile/security/api-tokens)", base)
	case kind != KindCloud && user == "" && !hasPersonalAccessTokens(info.VersionNumbers):
		return nil, fmt.Errorf("%s runs Jira %s, and personal access tokens need Jira 8.14 or later: log in with your username and password instead: gitjira jira login --url URL --username NAME", base, versionString(info.VersionNumbers))
	}
	me, err := c.Myself(ctx)
	if err != nil {
		return nil, err
	}
	res := &LoginResult{
		Site:   Site{URL: c.BaseURL, User: user, Token: secret, Kind: kind, Version: info.VersionNumbers, InsecureHTTP: o.InsecureHTTP},
		Server: info,
		User:   me,
	}
	if warning != "" {
		res.Warnings = append(res.Warnings, warning)
	}
	if info.BaseURL != "" && strings.TrimRight(info.BaseURL, "/") != c.BaseURL {
		// Not an error: sites behind a proxy often have another configured
		// base URL. Links Jira renders will use its own.
		res.Notes = append(res.Notes, fmt.Sprintf("Jira's own base URL is %s, you logged in with %s", info.BaseURL, c.BaseURL))
	}
	return res, nil
}

func hostOf(base string) string {
	if i := strings.Index(base, "://"); i >= 0 {
		base = base[i+3:]
	}
	if i := strings.IndexByte(base, '/'); i >= 0 {
		base = base[:i]
	}
	return base
}
