package forge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/termtext"
)

// Limits on what a host may send.
const (
	// MaxResponseBytes bounds one response body.
	MaxResponseBytes = 4 << 20
	// MaxPages bounds how many pages of keys are read before giving up the
	// duplicate check (100 keys a page on every host).
	MaxPages = 50
)

// Options say which host, repository and token a Client uses.
type Options struct {
	Kind Kind
	// APIURL is the API base (DefaultAPIURL when empty needs Host).
	APIURL string
	// Host is the repository's SSH host, for DefaultAPIURL.
	Host string
	Repo Repo
	// Token is the access token; never stored, never printed (String hides it).
	Token string
	// Username, for Bitbucket Cloud only, switches to HTTP basic auth with
	// Token as the app password or API token.
	Username string
	// HTTPClient is the client to use (nil: one with a 30s timeout). Tests
	// give httptest.NewTLSServer's client, whose pool trusts the server.
	HTTPClient *http.Client
	// AllowHTTP allows an http:// APIURL: the token then crosses the
	// network in clear. Only when the user asked for it explicitly.
	AllowHTTP bool
	// UserAgent is sent with each request.
	UserAgent string
}

// String describes the options without the token.
func (o Options) String() string {
	tok := "(none)"
	if o.Token != "" {
		tok = "(set)"
	}
	return fmt.Sprintf("%s %s at %s, token %s", o.Kind.Name(), o.Repo, o.APIURL, tok)
}

// Client adds deploy keys to one repository on one host.
type Client struct {
	o    Options
	base *url.URL
	api  hostAPI
	http *http.Client
}

// DeployKey is a key as the host lists it.
type DeployKey struct {
	ID       string
	Title    string
	Key      string // "type base64 [comment]" as the host returned it
	ReadOnly bool
}

// New checks the options and builds a client. An http:// API URL is refused
// (ErrInsecure) unless AllowHTTP.
func New(o Options) (*Client, error) {
	api := hostAPIs[o.Kind]
	if api == nil {
		return nil, fmt.Errorf("unknown git host kind %q: use github, gitlab, gitea, bitbucket or bitbucket-server", o.Kind)
	}
	if o.APIURL == "" {
		if o.Host == "" {
			return nil, errors.New("no API URL: pass --api-url")
		}
		o.APIURL = DefaultAPIURL(o.Kind, o.Host)
	}
	u, err := url.Parse(strings.TrimRight(o.APIURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--api-url %q is not an API address: give one such as https://git.example.com", o.APIURL)
	}
	if u.Scheme == "http" && !o.AllowHTTP {
		return nil, fmt.Errorf("%w: %s would carry the token in clear; use https, or pass --insecure-http if this network is trusted", ErrInsecure, o.APIURL)
	}
	if o.Repo.Owner == "" || o.Repo.Name == "" {
		return nil, errors.New("no repository given")
	}
	if o.Token == "" {
		return nil, fmt.Errorf("no %s token: %s", o.Kind.Name(), o.Kind.TokenHelp())
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	// A redirect would carry the Authorization header to wherever the host
	// points (Go drops it only across domains): follow none, say where.
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if o.UserAgent == "" {
		o.UserAgent = "gitjira"
	}
	return &Client{o: o, base: u, api: api, http: &c}, nil
}

// Kind is the client's host kind.
func (c *Client) Kind() Kind { return c.o.Kind }

// Result says what Authorize did.
type Result struct {
	Key DeployKey
	// Existing is set when the key was already a deploy key of the
	// repository (nothing was added).
	Existing bool
}

// Authorize makes the public key (an authorized_keys line) a read-only
// deploy key of the repository: it lists the keys first and adds it only
// when it is not there.
func (c *Client) Authorize(ctx context.Context, title, authorizedKey string) (Result, error) {
	want, err := keyMaterial(authorizedKey)
	if err != nil {
		return Result{}, err
	}
	keys, err := c.ListKeys(ctx)
	if err != nil {
		return Result{}, err
	}
	for _, k := range keys {
		if got, err := keyMaterial(k.Key); err == nil && got == want {
			return Result{Key: k, Existing: true}, nil
		}
	}
	k, err := c.AddKey(ctx, title, want)
	if err != nil {
		return Result{}, err
	}
	return Result{Key: k}, nil
}

// ListKeys lists the repository's deploy keys, following the host's pages.
func (c *Client) ListKeys(ctx context.Context) ([]DeployKey, error) {
	next := strings.TrimRight(c.base.String(), "/") + c.api.listPath(c.o.Repo)
	var all []DeployKey
	for page := 0; next != ""; page++ {
		if page == MaxPages {
			return nil, fmt.Errorf("%s lists more than %d pages of deploy keys for %s: remove unused ones", c.o.Kind.Name(), MaxPages, c.o.Repo)
		}
		body, hdr, err := c.do(ctx, http.MethodGet, next, nil, "list the deploy keys of")
		if err != nil {
			return nil, err
		}
		keys, more, err := c.api.parseList(body, hdr)
		if err != nil {
			return nil, fmt.Errorf("%s answered the deploy key list of %s with something unexpected (%v): check --api-url", c.o.Kind.Name(), c.o.Repo, err)
		}
		all = append(all, keys...)
		cur := next
		next = ""
		if more != "" {
			if next, err = c.sameOrigin(cur, more); err != nil {
				return nil, err
			}
		}
	}
	return all, nil
}

// AddKey adds a read-only deploy key.
func (c *Client) AddKey(ctx context.Context, title, key string) (DeployKey, error) {
	path, payload := c.api.addRequest(c.o.Repo, title, key)
	body, err := json.Marshal(payload)
	if err != nil {
		return DeployKey{}, err
	}
	resp, _, err := c.do(ctx, http.MethodPost, path, body, "add a deploy key to")
	if err != nil {
		return DeployKey{}, err
	}
	k, err := c.api.parseKey(resp)
	if err != nil {
		return DeployKey{}, fmt.Errorf("%s added the key to %s but answered with something unexpected (%v)", c.o.Kind.Name(), c.o.Repo, err)
	}
	return k, nil
}

// sameOrigin resolves a next-page link against the current page and refuses
// one that leaves the API's scheme and host (the token goes with it).
func (c *Client) sameOrigin(cur, link string) (string, error) {
	base, err := url.Parse(cur)
	if err != nil {
		return "", err
	}
	u, err := base.Parse(link)
	if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return "", fmt.Errorf("%s sent a next-page link to another address (%s): not following it with the token", c.o.Kind.Name(), termtext.OneLine(termtext.Truncate(link, 100)))
	}
	return u.String(), nil
}

// do sends one request. path is either absolute (a next-page link, already
// checked) or relative to the API base. Errors are *APIError for an HTTP
// status, or a one-line network error.
func (c *Client) do(ctx context.Context, method, path string, body []byte, what string) ([]byte, http.Header, error) {
	target := path
	if !strings.HasPrefix(path, "https://") && !strings.HasPrefix(path, "http://") {
		target = strings.TrimRight(c.base.String(), "/") + path
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", c.o.UserAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.o.Username != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.o.Username+":"+c.o.Token)))
	} else {
		c.api.authorize(req, c.o.Token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("could not reach %s at %s (%v): check --api-url and the network", c.o.Kind.Name(), c.base.Host, termtext.OneLine(err.Error()))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s's answer: %v", c.o.Kind.Name(), err)
	}
	if len(data) > MaxResponseBytes {
		return nil, nil, fmt.Errorf("%s's answer is over %d MiB: not reading it", c.o.Kind.Name(), MaxResponseBytes>>20)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return data, resp.Header, nil
	}
	e := &APIError{
		Kind:    c.o.Kind,
		Status:  resp.StatusCode,
		What:    what,
		Repo:    c.o.Repo,
		APIURL:  c.base.String(),
		Message: serverMessage(c.api.errorMessage(data)),
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Location = termtext.OneLine(termtext.Truncate(resp.Header.Get("Location"), 200))
	}
	e.classify()
	return nil, nil, e
}

// serverMessage makes a host's message safe and short for one line.
func serverMessage(s string) string {
	return termtext.Truncate(termtext.OneLine(s), 200)
}

// keyMaterial is "type base64" of an authorized_keys line, without options
// or comment, checked for the characters a key has; hosts compare keys by it.
func keyMaterial(line string) (string, error) {
	f := strings.Fields(line)
	for i := 0; i+1 < len(f); i++ {
		if isKeyType(f[i]) && isBase64(f[i+1]) {
			return f[i] + " " + f[i+1], nil
		}
	}
	return "", errors.New("not a public key line (ssh-ed25519 AAAA...)")
}

func isKeyType(s string) bool {
	if !strings.HasPrefix(s, "ssh-") && !strings.HasPrefix(s, "ecdsa-") && !strings.HasPrefix(s, "sk-") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '@' || r == '.') {
			return false
		}
	}
	return true
}

func isBase64(s string) bool {
	if len(s) < 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
			return false
		}
	}
	return true
}

// KeyMaterial is "type base64" of a public key line (options and comment
// dropped), as hosts compare keys.
func KeyMaterial(line string) (string, error) { return keyMaterial(line) }
