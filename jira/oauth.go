package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// Jira Cloud's Development panel is fed through the Development Information
// API, which on-premises tools reach with OAuth 2.0 client credentials that a
// site admin creates for exactly this (Settings, Apps, OAuth credentials,
// with the "Development information" permission). The flow, as Atlassian
// documents it for self-hosted tools:
//
//  1. POST https://api.atlassian.com/oauth/token, form-encoded
//     grant_type=client_credentials, client_id, client_secret and
//     audience=api.atlassian.com, answers a short-lived bearer token;
//  2. the site's cloudId is at SITE/_edge/tenant_info ({"cloudId": ...});
//  3. the API is https://api.atlassian.com/jira/devinfo/0.1/cloud/{cloudId}/...
//
// Scoped API tokens and service accounts likewise reach the platform REST
// API only through the gateway https://api.atlassian.com/ex/jira/{cloudId}.
//
// Air-gapped proxies and the tests name the two Atlassian addresses with
// GITJIRA_ATLASSIAN_AUTH_URL and GITJIRA_ATLASSIAN_API_URL.

// The environment variables that replace Atlassian's addresses.
const (
	AtlassianAuthURLEnv = "GITJIRA_ATLASSIAN_AUTH_URL"
	AtlassianAPIURLEnv  = "GITJIRA_ATLASSIAN_API_URL"
)

// DefaultAtlassianURL serves both the token endpoint and the APIs.
const DefaultAtlassianURL = "https://api.atlassian.com"

// oauthAudience is the audience Atlassian's token endpoint wants for its APIs.
const oauthAudience = "api.atlassian.com"

// Bounds on what the token endpoint and tenant_info may answer.
const (
	maxTokenAnswer  = 64 << 10
	maxTenantAnswer = 16 << 10
)

// ErrNotCloud: OAuth client credentials and the Development panel are Jira
// Cloud's; a Data Center site has neither.
var ErrNotCloud = errors.New("not a Jira Cloud site")

// AtlassianEndpoints are the token endpoint's and the APIs' base URLs.
type AtlassianEndpoints struct {
	AuthURL string // token endpoint base: AuthURL + "/oauth/token"
	APIURL  string // API base: devinfo and the /ex/jira/{cloudId} gateway
}

// Atlassian returns Atlassian's addresses, or those the environment names.
// Credentials go to them, so they must be https (http only to this machine,
// as for a Jira site).
func Atlassian() (AtlassianEndpoints, error) {
	e := AtlassianEndpoints{AuthURL: DefaultAtlassianURL, APIURL: DefaultAtlassianURL}
	for _, v := range []struct {
		env string
		dst *string
	}{{AtlassianAuthURLEnv, &e.AuthURL}, {AtlassianAPIURLEnv, &e.APIURL}} {
		raw := strings.TrimSpace(os.Getenv(v.env))
		if raw == "" {
			continue
		}
		base, err := NormalizeBaseURL(raw)
		if err != nil {
			return e, fmt.Errorf("%s: %v", v.env, err)
		}
		if _, err := CheckTransport(base, false); err != nil {
			return e, fmt.Errorf("%s=%s: credentials would cross the network in clear: use an https:// address", v.env, base)
		}
		*v.dst = base
	}
	return e, nil
}

// cloudIDPattern: Atlassian cloud ids are UUIDs; the id goes into URL paths,
// so nothing else is accepted.
var cloudIDPattern = regexp.MustCompile(`^[0-9a-fA-F][0-9a-fA-F-]{7,63}$`)

// CloudID asks a Cloud site for its cloudId (SITE/_edge/tenant_info, which
// needs no credentials). A site without that page is not Jira Cloud
// (ErrNotCloud).
func CloudID(ctx context.Context, hc *http.Client, siteURL string) (string, error) {
	base, err := NormalizeBaseURL(siteURL)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(base)
	u.Path = "/_edge/tenant_info" // at the host's root, whatever the context path
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := boundedClient(hc).Do(req)
	if err != nil {
		return "", fmt.Errorf("could not ask %s for its cloud id: %s", base, termtext.Field(err.Error(), 200))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxTenantAnswer))
	var ti struct {
		CloudID string `json:"cloudId"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &ti) != nil || ti.CloudID == "" {
		return "", fmt.Errorf("%s has no Jira Cloud tenant information (%s answered %d): OAuth client credentials and the Development panel are for Jira Cloud sites (SITE.atlassian.net): %w", base, u.Path, resp.StatusCode, ErrNotCloud)
	}
	if !cloudIDPattern.MatchString(ti.CloudID) {
		return "", fmt.Errorf("%s answered a cloud id that is not one (%q): check the URL", base, termtext.Field(ti.CloudID, 80))
	}
	return strings.ToLower(ti.CloudID), nil
}

// boundedClient is hc (or a default one) with gitjira's timeout and no
// redirects: credentials are never re-sent to another address.
func boundedClient(hc *http.Client) *http.Client {
	c := http.Client{Timeout: DefaultTimeout}
	if hc != nil {
		c = *hc
	}
	if c.Timeout == 0 || c.Timeout > DefaultTimeout {
		c.Timeout = DefaultTimeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return errNoRedirect }
	return &c
}

// OAuthTokens is a token source for a site's OAuth client credentials: a
// token is asked for when needed and reused until shortly before it expires.
// Nothing of it is written anywhere.
func OAuthTokens(ctx context.Context, hc *http.Client, ep AtlassianEndpoints, clientID, secret string) oauth2.TokenSource {
	cfg := clientcredentials.Config{
		ClientID:       clientID,
		ClientSecret:   secret,
		TokenURL:       ep.AuthURL + "/oauth/token",
		EndpointParams: url.Values{"audience": {oauthAudience}},
		// Atlassian's endpoint takes the client id and secret as form fields.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, boundedClient(hc))
	return &oauthErrors{src: cfg.TokenSource(ctx), clientID: clientID}
}

// oauthErrors turns the token endpoint's refusals into one line that says
// what to do; the endpoint's own text is bounded and sanitised.
type oauthErrors struct {
	src      oauth2.TokenSource
	clientID string
}

// OAuthError is a refusal by Atlassian's token endpoint.
type OAuthError struct {
	Status   int
	Code     string // e.g. invalid_client, access_denied
	ClientID string
	Detail   string
}

func (e *OAuthError) Error() string {
	id := termtext.Field(e.ClientID, 60)
	switch {
	case e.Status == http.StatusUnauthorized || e.Code == "invalid_client" || e.Code == "unauthorized_client":
		return fmt.Sprintf("Atlassian refused the OAuth client credentials (client id %s): check the id and secret, or create new ones in Jira under Settings, Apps, OAuth credentials, then run gitjira jira login again", id)
	case e.Status == http.StatusForbidden || e.Code == "access_denied":
		return fmt.Sprintf("Atlassian refused a token for OAuth client %s (access denied): the credentials may have been revoked; create new ones in Jira under Settings, Apps, OAuth credentials", id)
	case e.Status == http.StatusTooManyRequests:
		return "Atlassian's token endpoint asks to slow down (429): retry in a minute"
	}
	msg := fmt.Sprintf("Atlassian's token endpoint answered %d", e.Status)
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg + ": retry later"
}

func (s *oauthErrors) Token() (*oauth2.Token, error) {
	t, err := s.src.Token()
	if err == nil {
		return t, nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		e := &OAuthError{Status: re.Response.StatusCode, Code: termtext.Field(re.ErrorCode, 60), ClientID: s.clientID}
		body := re.Body
		if len(body) > maxTokenAnswer {
			body = body[:maxTokenAnswer]
		}
		if re.ErrorDescription != "" {
			e.Detail = termtext.Field(re.ErrorDescription, 200)
		} else if len(body) > 0 && e.Code == "" {
			e.Detail = termtext.Field(string(body), 200)
		}
		return nil, e
	}
	// A transport failure: the URL is ours, the text is Go's.
	return nil, fmt.Errorf("could not get a token from Atlassian's token endpoint: %s", termtext.Field(err.Error(), 300))
}

// devInfoClient is a Client for the Development Information API of one
// cloud: bearer tokens from the site's OAuth client credentials.
func devInfoClient(ctx context.Context, site store.Site, hc *http.Client) (*Client, error) {
	if !site.DevInfo() {
		return nil, errors.New("no Jira Cloud OAuth client credentials stored: run gitjira jira login --url https://SITE.atlassian.net --oauth-client-id ID")
	}
	ep, err := Atlassian()
	if err != nil {
		return nil, err
	}
	if !cloudIDPattern.MatchString(site.CloudID) {
		return nil, fmt.Errorf("the stored cloud id %q is not one: run gitjira jira login again", termtext.Field(site.CloudID, 80))
	}
	c := &Client{
		BaseURL: ep.APIURL + "/jira/devinfo/0.1/cloud/" + site.CloudID,
		Kind:    store.KindCloud,
		HTTP:    hc,
		tokens:  OAuthTokens(ctx, hc, ep, site.OAuthClientID, site.OAuthSecret),
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: DefaultTimeout}
	}
	return c, nil
}

// GatewayURL is the base URL through which scoped API tokens and service
// accounts reach a Cloud site's REST API.
func GatewayURL(ep AtlassianEndpoints, cloudID string) string {
	return ep.APIURL + "/ex/jira/" + cloudID
}

// isGateway reports whether base is the Atlassian API gateway of a site.
func isGateway(base string) bool {
	ep, err := Atlassian()
	if err != nil {
		return false
	}
	return strings.HasPrefix(base, ep.APIURL+"/ex/jira/")
}

// loginOAuth checks OAuth client credentials for a Cloud site: the site's
// cloud id, a token from Atlassian, and that the token may use the
// Development Information API (a read of a repository that does not exist:
// 404 means allowed, 401/403 means the credentials lack the "Development
// information" permission).
func loginOAuth(ctx context.Context, o LoginOptions) (*LoginResult, error) {
	base, err := NormalizeBaseURL(o.URL)
	if err != nil {
		return nil, err
	}
	if _, err := CheckTransport(base, o.InsecureHTTP); err != nil {
		return nil, err
	}
	id, secret := strings.TrimSpace(o.OAuthClientID), strings.TrimSpace(o.Secret)
	if secret == "" {
		return nil, errors.New("no OAuth client secret given: give the secret shown with the client id when the credentials were created")
	}
	if strings.ContainsAny(id, " \t\r\n") || len(id) > 200 {
		return nil, fmt.Errorf("--oauth-client-id %q is not a client id: copy it from Jira's Settings, Apps, OAuth credentials", termtext.Field(id, 60))
	}
	cloudID, err := CloudID(ctx, o.HTTP, base)
	if err != nil {
		return nil, err
	}
	site := store.Site{URL: base, Kind: store.KindCloud, InsecureHTTP: o.InsecureHTTP, OAuthClientID: id, OAuthSecret: secret, CloudID: cloudID}
	c, err := devInfoClient(ctx, site, o.HTTP)
	if err != nil {
		return nil, err
	}
	if o.Timeout > 0 {
		c.Timeout = o.Timeout
	}
	if _, err := c.do(ctx, http.MethodGet, "/repository/"+url.PathEscape("gitjira-login-check"), nil, nil); err != nil {
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			// Allowed, and no such repository: what was expected.
		case errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden):
			return nil, fmt.Errorf("the OAuth credentials %s may not send development information to %s (%d): edit them in Jira under Settings, Apps, OAuth credentials and grant \"Development information\"", termtext.Field(id, 60), base, ae.Status)
		default:
			return nil, err
		}
	}
	return &LoginResult{
		Site:  site,
		Notes: []string{"commits go to the Development panel of each issue (Jira Cloud's Development Information API, cloud " + cloudID + ")"},
	}, nil
}
