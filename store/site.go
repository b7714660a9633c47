package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/safefile"
)

// SiteKind says what kind of Jira a site is; it decides how gitjira
// authenticates and which advice its errors give.
type SiteKind string

const (
	// KindUnknown: not checked yet (treated like Data Center).
	KindUnknown SiteKind = ""
	// KindCloud: Jira Cloud (SITE.atlassian.net): basic auth with the account
	// e-mail and an API token.
	KindCloud SiteKind = "cloud"
	// KindDataCenter: Jira Data Center or Server: a personal access token as
	// bearer token (8.14+), or basic auth with username and password.
	KindDataCenter SiteKind = "datacenter"
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

	// OAuthClientID and OAuthSecret are Jira Cloud OAuth 2.0 client
	// credentials (Settings, Apps, OAuth credentials) with the Development
	// information permission: with them commits go to the issues' Development
	// panel (jira/devinfo.go) instead of remote links. CloudID is the site's
	// id, found at login (SITE/_edge/tenant_info). The secret, like Token, is
	// kept out of JSON and fmt output.
	OAuthClientID string `json:"oauth_client_id,omitempty"`
	OAuthSecret   string `json:"-"`
	CloudID       string `json:"cloud_id,omitempty"`
}

// DevInfo reports whether the site publishes commits to Jira Cloud's
// Development panel (OAuth client credentials are stored). Jira then applies
// smart commits itself, so gitjira does not.
func (s Site) DevInfo() bool { return s.OAuthClientID != "" && s.OAuthSecret != "" && s.CloudID != "" }

// HasToken reports whether the site has credentials for Jira's REST API
// (a token, API token or password), which projects and remote links need.
func (s Site) HasToken() bool { return s.Token != "" }

// String describes the site without its secret.
func (s Site) String() string {
	tok := "<none>"
	if s.Token != "" {
		tok = "<hidden>"
	}
	if s.OAuthClientID != "" {
		return fmt.Sprintf("jira.Site{URL: %s, OAuthClientID: %s, OAuthSecret: <hidden>, Token: %s}", s.URL, s.OAuthClientID, tok)
	}
	if s.User != "" {
		return fmt.Sprintf("store.Site{URL: %s, User: %s, Token: %s}", s.URL, s.User, tok)
	}
	return fmt.Sprintf("store.Site{URL: %s, Token: %s}", s.URL, tok)
}

// GoString hides the token from %#v too.
func (s Site) GoString() string { return s.String() }

// Site file format versions: 1 holds a URL and a bearer token, which older
// gitjira versions read; 2 adds basic auth, the site kind and version and
// the insecure-http flag. A site that needs none of version 2's fields is
// still written as version 1, so going back to an older gitjira keeps
// working; one that does is written as 2, which older versions refuse with a
// clear message instead of sending a password as a bearer token.
const (
	siteFileVersion1 = 1
	siteFileVersion2 = 2
	// siteFileVersion (3) adds Jira Cloud OAuth client credentials; a site
	// without them is still written as 1 or 2.
	siteFileVersion = 3
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
	// Version 3.
	OAuthClientID string `json:"oauth_client_id,omitempty"`
	OAuthSecret   string `json:"oauth_secret,omitempty"`
	CloudID       string `json:"cloud_id,omitempty"`
}

// maxSiteSize bounds jira.json (a few hundred bytes).
const maxSiteSize = 1 << 20

// LoadSite reads the configured site. It returns nil, nil when no site is
// configured. A file readable by other users is refused (it holds a secret).
func LoadSite(p Paths) (*Site, error) {
	path := p.JiraConfigFile()
	b, err := safefile.Read(path, maxSiteSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if errors.Is(err, safefile.ErrRefused) {
		return nil, err
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
	if sf.Version < siteFileVersion1 || sf.Version > siteFileVersion {
		return nil, fmt.Errorf("%s has format version %d, this gitjira reads versions %d to %d: use a newer gitjira, or delete it and run gitjira jira login --url URL", path, sf.Version, siteFileVersion1, siteFileVersion)
	}
	if sf.Version < siteFileVersion {
		sf.OAuthClientID, sf.OAuthSecret, sf.CloudID = "", "", ""
	}
	oauth := sf.OAuthClientID != "" && sf.OAuthSecret != "" && sf.CloudID != ""
	if sf.URL == "" || (sf.Token == "" && !oauth) {
		return nil, fmt.Errorf("%s has no URL or no token: run gitjira jira login --url URL", path)
	}
	if sf.Version == siteFileVersion1 {
		sf.User, sf.Kind, sf.SiteVersion, sf.InsecureHTTP = "", KindUnknown, nil, false
	}
	return &Site{URL: sf.URL, User: sf.User, Token: sf.Token, Kind: sf.Kind, Version: sf.SiteVersion, InsecureHTTP: sf.InsecureHTTP,
		OAuthClientID: sf.OAuthClientID, OAuthSecret: sf.OAuthSecret, CloudID: sf.CloudID}, nil
}

// WriteSite stores the site in JiraConfigFile with mode 0600 (in a 0700
// directory), atomically (internal/fsatomic): a crash leaves either the old
// or the new configuration. It stores what it is given: jira.SaveSite checks
// the URL, the transport and the credentials first and is what callers use.
func WriteSite(p Paths, s Site) error {
	if s.URL == "" || (s.Token == "" && !s.DevInfo()) {
		return errors.New("a Jira site needs a URL and a token (or OAuth client credentials): run gitjira jira login --url URL")
	}
	sf := siteFile{Version: siteFileVersion1, URL: s.URL, Token: s.Token}
	switch {
	case s.OAuthClientID != "" || s.OAuthSecret != "" || s.CloudID != "":
		sf = siteFile{Version: siteFileVersion, URL: s.URL, User: s.User, Token: s.Token,
			Kind: s.Kind, SiteVersion: s.Version, InsecureHTTP: s.InsecureHTTP,
			OAuthClientID: s.OAuthClientID, OAuthSecret: s.OAuthSecret, CloudID: s.CloudID}
	case s.User != "" || s.Kind != KindUnknown || len(s.Version) > 0 || s.InsecureHTTP:
		sf = siteFile{Version: siteFileVersion2, URL: s.URL, User: s.User, Token: s.Token,
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
