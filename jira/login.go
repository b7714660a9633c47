package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gitjira/gitjira/store"
)

// SiteClient returns a client for a stored site. An http:// URL to another
// machine is refused (ErrInsecureHTTP) unless the site says InsecureHTTP.
func SiteClient(s store.Site) (*Client, error) {
	c, err := newClient(s.URL, s.User, s.Token, s.InsecureHTTP)
	if err != nil {
		return nil, err
	}
	if s.Kind != store.KindUnknown {
		c.Kind = s.Kind
	}
	c.Version = s.Version
	return c, nil
}

// SiteWarnings are the lines to show each time the site's credentials are
// used: today only the one about sending them in clear over http://.
func SiteWarnings(s store.Site) []string {
	if w, err := CheckTransport(s.URL, s.InsecureHTTP); err == nil && w != "" {
		return []string{w}
	}
	return nil
}

// SaveSite checks a site (URL, transport, credentials) and stores it with
// store.WriteSite: 0600, atomically. An http:// URL to another machine
// needs InsecureHTTP.
func SaveSite(p store.Paths, s store.Site) error {
	base, err := NormalizeBaseURL(s.URL)
	if err != nil {
		return err
	}
	if _, err := CheckTransport(base, s.InsecureHTTP); err != nil {
		return err
	}
	if s.Token != "" || !s.DevInfo() {
		if err := checkCredentials(s.User, s.Token); err != nil {
			return err
		}
	}
	s.URL = base
	return store.WriteSite(p, s)
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
	// OAuthClientID logs in with Jira Cloud OAuth 2.0 client credentials
	// (Secret is the client secret): commits then go to the Development
	// panel (oauth.go, devinfo.go).
	OAuthClientID string

	HTTP    *http.Client  // nil: the default (tests pass the fake's client)
	Timeout time.Duration // per request; 0 = DefaultTimeout
}

// LoginResult is a checked site, ready for SaveSite.
type LoginResult struct {
	Site     store.Site
	Server   *ServerInfo
	User     *User
	Warnings []string // to show now (and, from SiteWarnings, on each later use)
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
	if strings.TrimSpace(o.OAuthClientID) != "" {
		if o.Email != "" || o.Username != "" {
			return nil, errors.New("give --oauth-client-id alone: OAuth client credentials are not tied to a user (log in with --email separately to also list projects)")
		}
		return loginOAuth(ctx, o)
	}
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
	if isGateway(base) {
		// https://api.atlassian.com/ex/jira/{cloudId}: the gateway scoped
		// API tokens and service accounts must use.
		hostKind = store.KindCloud
	}
	if hostKind == store.KindCloud && user == "" {
		return nil, fmt.Errorf("%s is Jira Cloud: %s", base, credentialAdvice(siteContext{kind: store.KindCloud}))
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
	if hostKind == store.KindCloud {
		kind = store.KindCloud
	}
	c.Kind, c.Version = kind, info.VersionNumbers
	switch {
	case kind == store.KindCloud && user == "":
		return nil, fmt.Errorf("%s is Jira Cloud: %s", base, credentialAdvice(siteContext{kind: store.KindCloud}))
	case kind == store.KindCloud && username != "":
		return nil, fmt.Errorf("%s is Jira Cloud, which has no usernames: log in with --email YOUR-E-MAIL and an API token (create one at https://id.atlassian.com/manage-profile/security/api-tokens)", base)
	case kind != store.KindCloud && user == "" && !hasPersonalAccessTokens(info.VersionNumbers):
		return nil, fmt.Errorf("%s runs Jira %s, and personal access tokens need Jira 8.14 or later: log in with your username and password instead: gitjira jira login --url URL --username NAME", base, versionString(info.VersionNumbers))
	}
	me, err := c.Myself(ctx)
	var gatewayNote string
	if err != nil && errors.Is(err, ErrUnauthorized) && kind == store.KindCloud && user != "" && !isGateway(c.BaseURL) {
		// A scoped API token (or a service account's) is refused at the
		// site's own address and accepted only through Atlassian's gateway.
		if gw, me2, gerr := viaGateway(ctx, c, o.HTTP); gerr == nil {
			c, me, err = gw, me2, nil
			gatewayNote = "this is a scoped API token: gitjira uses Atlassian's API gateway " + c.BaseURL + ", as scoped tokens require"
		}
	}
	if err != nil {
		return nil, err
	}
	res := &LoginResult{
		Site:   store.Site{URL: c.BaseURL, User: user, Token: secret, Kind: kind, Version: info.VersionNumbers, InsecureHTTP: o.InsecureHTTP},
		Server: info,
		User:   me,
	}
	if warning != "" {
		res.Warnings = append(res.Warnings, warning)
	}
	if gatewayNote != "" {
		res.Notes = append(res.Notes, gatewayNote)
	} else if info.BaseURL != "" && strings.TrimRight(info.BaseURL, "/") != c.BaseURL {
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

// viaGateway retries the login check of a Cloud site through the API
// gateway (GatewayURL), which scoped API tokens need.
func viaGateway(ctx context.Context, c *Client, hc *http.Client) (*Client, *User, error) {
	ep, err := Atlassian()
	if err != nil {
		return nil, nil, err
	}
	cloudID, err := CloudID(ctx, hc, c.BaseURL)
	if err != nil {
		return nil, nil, err
	}
	gw := *c
	gw.BaseURL = GatewayURL(ep, cloudID)
	me, err := gw.Myself(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &gw, me, nil
}
