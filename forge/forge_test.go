package forge_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/forge"
	"github.com/gitjira/gitjira/forge/forgetest"
	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/sshdtest"
)

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authorizedLine(s ssh.Signer) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))) + " me@laptop"
}

func client(t *testing.T, srv *forgetest.Server, token string) *forge.Client {
	t.Helper()
	c, err := forge.New(forge.Options{Kind: srv.Kind, APIURL: srv.URL, Repo: srv.Repo, Token: token, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Each host's stand-in: the upload makes the key a read-only deploy key, the
// stand-in writes it to the real sshd's authorized_keys, and a real SSH login
// with the key then lists the repository's refs. A second run finds the key
// and adds nothing.
func TestAuthorizeThenSSHLogin(t *testing.T) {
	sshd := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	repo := sshd.NewBareRepo("app", 3)
	known := sshd.WriteKnownHosts()
	for _, kind := range forge.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			signer := newSigner(t)
			srv := forgetest.New(t, kind, forgetest.Options{OnAdd: sshd.AuthorizeKey})
			ep, err := gitops.ParseURL(sshd.URL(repo))
			if err != nil {
				t.Fatal(err)
			}
			opts := gitops.ConnectOptions{Endpoint: ep, Signer: signer, KnownHostsFile: known, Timeout: 20 * time.Second}
			var ae *gitops.AuthError
			if _, err := gitops.Check(context.Background(), opts); !errors.As(err, &ae) {
				t.Fatalf("before the upload: %v, want the key refused", err)
			}
			c := client(t, srv, forgetest.Token)
			res, err := c.Authorize(context.Background(), "gitjira test", authorizedLine(signer))
			if err != nil {
				t.Fatal(err)
			}
			if res.Existing || !res.Key.ReadOnly || res.Key.Title != "gitjira test" || res.Key.ID == "" {
				t.Fatalf("result %+v: want a new read-only key", res)
			}
			info, err := gitops.Check(context.Background(), opts)
			if err != nil {
				t.Fatalf("after the upload: %v", err)
			}
			if info.Branches != 1 || info.DefaultBranch != "main" {
				t.Fatalf("refs after the upload: %+v", info)
			}
			res, err = c.Authorize(context.Background(), "again", authorizedLine(signer))
			if err != nil || !res.Existing {
				t.Fatalf("second Authorize = %+v, %v: want the existing key", res, err)
			}
			if srv.Posts() != 1 || len(srv.Keys()) != 1 {
				t.Fatalf("posts %d keys %d: want one key added once", srv.Posts(), len(srv.Keys()))
			}
		})
	}
}

// 401, 403, 404 and "key already in use" for every host, each classified and
// answered with one line that says what to do.
func TestAuthorizeErrors(t *testing.T) {
	inUse := newSigner(t)
	for _, kind := range forge.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			srv := forgetest.New(t, kind, forgetest.Options{InUse: []string{authorizedLine(inUse)}})
			fresh := authorizedLine(newSigner(t))
			cases := []struct {
				name  string
				token string
				repo  forge.Repo
				key   string
				want  error
				hint  string
			}{
				{"bad token", "gjt_bad_token", srv.Repo, fresh, forge.ErrBadToken, "make a new one"},
				{"no scope or not admin", forgetest.ReadOnlyToken, srv.Repo, fresh, forge.ErrForbidden, "use a"},
				{"no such repository", forgetest.Token, forge.Repo{Owner: srv.Repo.Owner, Name: "nope"}, fresh, forge.ErrNotFound, "check --url and --api-url"},
				{"key in use", forgetest.Token, srv.Repo, authorizedLine(inUse), forge.ErrKeyInUse, "gitjira key generate"},
			}
			for _, tc := range cases {
				c, err := forge.New(forge.Options{Kind: kind, APIURL: srv.URL, Repo: tc.repo, Token: tc.token, HTTPClient: srv.Client()})
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Authorize(context.Background(), "t", tc.key)
				var ae *forge.APIError
				if !errors.Is(err, tc.want) || !errors.As(err, &ae) {
					t.Fatalf("%s: err = %v, want %v", tc.name, err, tc.want)
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") || !strings.Contains(msg, tc.hint) || strings.Contains(msg, tc.token+" ") {
					t.Errorf("%s: message %q: want one line with %q and no token", tc.name, msg, tc.hint)
				}
				t.Logf("%s: %s", tc.name, msg)
			}
		})
	}
}

// A key already there on a later page is found (no second upload): each
// host's paging is followed.
func TestAuthorizeFindsKeyOnLaterPage(t *testing.T) {
	for _, kind := range forge.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			var existing []forge.DeployKey
			var last ssh.Signer
			for i := range 5 {
				last = newSigner(t)
				existing = append(existing, forge.DeployKey{ID: string(rune('1' + i)), Title: "k", Key: authorizedLine(last), ReadOnly: true})
			}
			srv := forgetest.New(t, kind, forgetest.Options{Existing: existing, PageSize: 2})
			res, err := client(t, srv, forgetest.Token).Authorize(context.Background(), "t", authorizedLine(last))
			if err != nil || !res.Existing {
				t.Fatalf("Authorize = %+v, %v: want the existing key from page 3", res, err)
			}
			if srv.Posts() != 0 {
				t.Fatalf("%d posts: want none", srv.Posts())
			}
		})
	}
}

// The token never goes over plain http unless asked, and never follows a
// redirect.
func TestTokenSafety(t *testing.T) {
	_, err := forge.New(forge.Options{Kind: forge.GitHub, APIURL: "http://127.0.0.1:1", Repo: forge.Repo{Owner: "o", Name: "r"}, Token: "x"})
	if !errors.Is(err, forge.ErrInsecure) || !strings.Contains(err.Error(), "--insecure-http") {
		t.Fatalf("http API: %v", err)
	}
	var sawToken bool
	elsewhere := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawToken = r.Header.Get("Authorization") != ""
	}))
	defer elsewhere.Close()
	redirect := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer redirect.Close()
	c, err := forge.New(forge.Options{Kind: forge.GitHub, APIURL: redirect.URL, Repo: forge.Repo{Owner: "o", Name: "r"}, Token: "secret-token", HTTPClient: redirect.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListKeys(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--api-url") || sawToken {
		t.Fatalf("redirect: %v (token sent elsewhere: %v)", err, sawToken)
	}
	// A plain-http stand-in works only with AllowHTTP.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("[]")) }))
	defer plain.Close()
	c, err = forge.New(forge.Options{Kind: forge.GitHub, APIURL: plain.URL, Repo: forge.Repo{Owner: "o", Name: "r"}, Token: "t", AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := c.ListKeys(context.Background()); err != nil || len(keys) != 0 {
		t.Fatalf("ListKeys over allowed http: %v %v", keys, err)
	}
}

func TestRepoFromPath(t *testing.T) {
	cases := []struct {
		kind forge.Kind
		path string
		want string
		ok   bool
	}{
		{forge.GitHub, "octo/app.git", "octo/app", true},
		{forge.GitHub, "/octo/app", "octo/app", true},
		{forge.GitHub, "octo/sub/app.git", "", false},
		{forge.GitLab, "group/sub/app.git", "group/sub/app", true},
		{forge.GitLab, "app.git", "", false},
		{forge.BitbucketServer, "/PRJ/app.git", "PRJ/app", true},
		{forge.BitbucketServer, "/scm/PRJ/app.git", "PRJ/app", true},
		{forge.Gitea, "../etc/passwd", "", false},
		{forge.Bitbucket, "ws/repo%2f", "", false},
	}
	for _, c := range cases {
		r, err := forge.RepoFromPath(c.kind, c.path)
		if (err == nil) != c.ok || (c.ok && r.String() != c.want) {
			t.Errorf("RepoFromPath(%s, %q) = %v, %v; want %q ok=%v", c.kind, c.path, r, err, c.want, c.ok)
		}
	}
}

func TestGuessAndDefaults(t *testing.T) {
	cases := map[string]forge.Kind{"github.com": forge.GitHub, "GitLab.com": forge.GitLab, "bitbucket.org": forge.Bitbucket, "codeberg.org": forge.Gitea, "git.example.com": ""}
	for host, want := range cases {
		if got := forge.Guess(host); got != want {
			t.Errorf("Guess(%s) = %q, want %q", host, got, want)
		}
	}
	for _, c := range []struct {
		k          forge.Kind
		host, want string
	}{
		{forge.GitHub, "github.com", "https://api.github.com"},
		{forge.GitHub, "ghe.corp", "https://ghe.corp/api/v3"},
		{forge.Bitbucket, "bitbucket.org", "https://api.bitbucket.org"},
		{forge.GitLab, "gitlab.corp", "https://gitlab.corp"},
		{forge.BitbucketServer, "bb.corp", "https://bb.corp"},
	} {
		if got := forge.DefaultAPIURL(c.k, c.host); got != c.want {
			t.Errorf("DefaultAPIURL(%s, %s) = %s, want %s", c.k, c.host, got, c.want)
		}
	}
}

// A host that lets a new key in only after a while: WaitForAccess logs in
// again until it works and says how long it took.
func TestWaitForAccessRetries(t *testing.T) {
	sshd := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.Ed25519}})
	repo := sshd.NewBareRepo("slow", 1)
	srv := forgetest.New(t, forge.GitHub, forgetest.Options{OnAdd: sshd.AuthorizeKey, AcceptDelay: 1200 * time.Millisecond})
	signer := newSigner(t)
	if _, err := client(t, srv, forgetest.Token).Authorize(context.Background(), "slow", authorizedLine(signer)); err != nil {
		t.Fatal(err)
	}
	ep, _ := gitops.ParseURL(sshd.URL(repo))
	var retries int
	acc, err := forge.WaitForAccess(context.Background(), gitops.ConnectOptions{Endpoint: ep, Signer: signer, KnownHostsFile: sshd.WriteKnownHosts(), Timeout: 20 * time.Second},
		time.Minute, func(int, time.Duration) { retries++ })
	if err != nil {
		t.Fatal(err)
	}
	if acc.Tries < 2 || acc.After < time.Second || retries != acc.Tries-1 || acc.Remote.DefaultBranch != "main" {
		t.Fatalf("access %+v after %d retries: want several tries taking the delay", acc, retries)
	}
	// A key the host never accepts: the refusal after the wait.
	other := newSigner(t)
	_, err = forge.WaitForAccess(context.Background(), gitops.ConnectOptions{Endpoint: ep, Signer: other, KnownHostsFile: sshd.WriteKnownHosts(), Timeout: 20 * time.Second}, time.Second, nil)
	var ae *gitops.AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("never accepted: %v", err)
	}
}
