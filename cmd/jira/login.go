package jiracmd

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/store"
)

// TokenEnv is the environment variable the Jira token may come from.
const TokenEnv = "JIRA_TOKEN"

// LoginOptions are the flags of `gitjira jira login`.
type LoginOptions struct {
	IO    *cmdutil.IOStreams
	Ctx   context.Context
	Paths store.Paths

	URL        string
	TokenStdin bool
	// Email logs in to Jira Cloud (basic auth with an API token); Username
	// to Data Center before 8.14 (basic auth with the password).
	Email, Username string
	// InsecureHTTP accepts an http:// URL: the token then travels in clear.
	InsecureHTTP bool
	// OAuthClientID logs in with Jira Cloud OAuth client credentials (the
	// secret comes like a token): commits go to the Development panel.
	OAuthClientID string

	HTTP *http.Client // nil: the default (tests pass the stand-ins' client)
}

// NewCmdLogin builds `gitjira jira login`. runF, when not nil, is called
// with the parsed options instead of runLogin.
func NewCmdLogin(f *cmdutil.Factory, runF func(*LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{}
	cmd := &cobra.Command{
		Use:   "login --url URL",
		Short: "Check Jira credentials and save the site",
		Long: `Check credentials against a Jira site and save both; nothing is saved when a
check fails. Data Center/Server 8.14+ takes a personal access token (Profile,
Personal Access Tokens); Jira Cloud takes the account e-mail (--email) and an
API token; Data Center before 8.14 takes a username (--username) and password.
http:// URLs are refused unless --insecure-http is given.

Jira Cloud's Development panel: a site admin creates OAuth credentials in Jira
(Settings, Apps, OAuth credentials, with the "Development information"
permission); log in with --oauth-client-id ID and the client secret. Commits
then go to each issue's Development panel instead of remote links. To also
list the site's projects, log in with --email as well (both are kept).

The secret comes from the first line of stdin (--token-stdin), the environment
variable JIRA_TOKEN, or a masked prompt on the terminal; never from argv.`,
		Example: "  gitjira jira login --url https://jira.example.com\n  printf '%s\\n' \"$TOKEN\" | gitjira jira login --url https://jira.example.com --token-stdin",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				// Not echoed: it may well be the token, which must not reach a terminal log.
				return cmdutil.UsageErrorf("jira login: unexpected argument (a token is never an argument: use --token-stdin or %s)", TokenEnv)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.Paths = f.Paths()
			if opts.URL == "" {
				return cmdutil.UsageErrorf("jira login: --url is required, e.g. --url https://jira.example.com")
			}
			if runF != nil {
				return runF(opts)
			}
			return runLogin(opts)
		},
	}
	cmd.Flags().StringVar(&opts.URL, "url", "", "Jira base `URL`, e.g. https://jira.example.com or https://SITE.atlassian.net")
	cmd.Flags().BoolVar(&opts.TokenStdin, "token-stdin", false, "read the token (or password) from the first line of stdin")
	cmd.Flags().StringVar(&opts.Email, "email", "", "Jira Cloud: the account's `E-MAIL`; the secret is an API token (id.atlassian.com, Security, API tokens)")
	cmd.Flags().StringVar(&opts.Username, "username", "", "Jira Data Center/Server before 8.14 (no personal access tokens): the `USER`; the secret is the password")
	cmd.Flags().BoolVar(&opts.InsecureHTTP, "insecure-http", false, "accept an http:// URL although the token then travels in clear")
	cmd.Flags().StringVar(&opts.OAuthClientID, "oauth-client-id", "", "Jira Cloud: OAuth client credentials' `ID` (the secret comes like a token): publish commits to the Development panel")
	return cmd
}

// runLogin checks the credentials against the site (jira.Login: the kind
// of site, its version, the transport) and saves them; nothing is saved when
// any check fails.
func runLogin(o *LoginOptions) error {
	s := o.IO
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := jira.NormalizeBaseURL(o.URL); err != nil {
		return cmdutil.UsageErrorf("jira login: %v", err)
	}
	if o.Email != "" && o.Username != "" {
		return cmdutil.UsageErrorf("jira login: give --email (Jira Cloud) or --username (Data Center before 8.14), not both")
	}
	if o.OAuthClientID != "" && (o.Email != "" || o.Username != "") {
		return cmdutil.UsageErrorf("jira login: give --oauth-client-id alone; log in with --email in a second jira login to also list projects")
	}
	what, prompt := "token", "Jira personal access token: "
	switch {
	case o.OAuthClientID != "":
		what, prompt = "OAuth client secret", "OAuth client secret for "+o.OAuthClientID+": "
	case o.Email != "":
		what, prompt = "API token", "Jira Cloud API token for "+o.Email+": "
	case o.Username != "":
		what, prompt = "password", "Jira password for "+o.Username+": "
	}
	secret, ok, err := s.Secret(ctx, o.TokenStdin, TokenEnv, prompt)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("could not read the Jira %s: %v", what, stripPassphraseWord(err))
	}
	if !ok {
		return cmdutil.UsageErrorf("jira login: no %s: pipe it with --token-stdin, set %s, or run on a terminal to be asked", what, TokenEnv)
	}
	res, err := jira.Login(ctx, jira.LoginOptions{URL: o.URL, Email: o.Email, Username: o.Username, Secret: strings.TrimSpace(string(secret)), InsecureHTTP: o.InsecureHTTP, OAuthClientID: o.OAuthClientID, HTTP: o.HTTP})
	clear(secret)
	if err != nil {
		return err
	}
	// The two kinds of Cloud credentials complement each other (the REST
	// API for projects, OAuth for the Development panel): a login with one
	// keeps the other when the site is the same.
	if old, lerr := store.LoadSite(o.Paths); lerr == nil && old != nil && old.URL == res.Site.URL {
		if o.OAuthClientID != "" && old.Token != "" {
			res.Site.User, res.Site.Token, res.Site.Version = old.User, old.Token, old.Version
		} else if o.OAuthClientID == "" && old.DevInfo() {
			res.Site.OAuthClientID, res.Site.OAuthSecret, res.Site.CloudID = old.OAuthClientID, old.OAuthSecret, old.CloudID
		}
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(s.Err, "gitjira: warning: %s\n", w)
	}
	if err := jira.SaveSite(o.Paths, res.Site); err != nil {
		return err
	}
	if o.OAuthClientID != "" {
		fmt.Fprintf(s.Out, "Logged in to %s with OAuth client %s: commits go to the Development panel of their issues\n", res.Site.URL, termtext.OneLine(o.OAuthClientID))
		if res.Site.Token == "" {
			fmt.Fprintf(s.Err, "note: to pick projects from the site's list, also run gitjira jira login --url %s --email YOUR-E-MAIL\n", res.Site.URL)
		}
		return nil
	}
	name, title, version := "", "Jira", ""
	if res.User != nil {
		name = res.User.DisplayName
		if name == "" {
			name = res.User.Name
		}
	}
	if res.Server != nil {
		if res.Server.ServerTitle != "" {
			title = res.Server.ServerTitle
		}
		version = res.Server.Version
	}
	kind := "Data Center/Server"
	if res.Site.Kind == store.KindCloud {
		kind = "Cloud"
	}
	fmt.Fprintf(s.Out, "Logged in to %s (Jira %s %s) as %s\n", termtext.OneLine(title), kind, termtext.OneLine(version), termtext.OneLine(name))
	for _, n := range res.Notes {
		fmt.Fprintf(s.Err, "note: %s\n", n)
	}
	return nil
}

// stripPassphraseWord: IOStreams.Secret's messages speak of a passphrase; here it is a token.
func stripPassphraseWord(err error) string {
	return strings.ReplaceAll(err.Error(), "the passphrase", "the token")
}
