package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"

	"github.com/gitjira/gitjira/jira"
)

const jiraUsage = `Usage:
  gitjira jira login --url URL [--token-stdin]   check a personal access token and save the site
  gitjira jira projects [--json]                 list the Jira projects the token's user can see

The token comes from the first line of stdin (--token-stdin), the environment
variable JIRA_TOKEN, or a masked prompt on the terminal; never from argv.`

// runJira dispatches `gitjira jira login|projects`.
func runJira(s *IO, args []string) error {
	if len(args) == 0 {
		return usageErrorf("jira: missing subcommand (login or projects)\n%s", jiraUsage)
	}
	switch args[0] {
	case "login":
		return runJiraLogin(s, args[1:])
	case "projects":
		return runJiraProjects(s, args[1:])
	case "help", "-h", "--help":
		fmt.Fprintln(s.Out, jiraUsage)
		return nil
	}
	return usageErrorf("jira: unknown subcommand %q: use login or projects", args[0])
}

// jiraLoginOptions are the flags of `gitjira jira login`.
type jiraLoginOptions struct {
	URL        string
	TokenStdin bool
}

func runJiraLogin(s *IO, args []string) error {
	var o jiraLoginOptions
	fs := newFlagSet("jira login", s)
	fs.StringVar(&o.URL, "url", "", "Jira Data Center/Server base URL, e.g. https://jira.example.com")
	fs.BoolVar(&o.TokenStdin, "token-stdin", false, "read the personal access token from the first line of stdin")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		// Not echoed: it may well be the token, which must not reach a terminal log.
		return usageErrorf("jira login: unexpected argument (a token is never an argument: use --token-stdin or JIRA_TOKEN)")
	}
	if o.URL == "" {
		return usageErrorf("jira login: --url is required, e.g. --url https://jira.example.com")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return jiraLogin(ctx, s, jira.DefaultPaths(), o)
}

// jiraLogin checks the token against the site and saves both; nothing is
// saved when any check fails.
func jiraLogin(ctx context.Context, s *IO, p jira.Paths, o jiraLoginOptions) error {
	base, err := jira.NormalizeBaseURL(o.URL)
	if err != nil {
		return usageErrorf("jira login: %v", err)
	}
	secret, ok, err := s.Secret(o.TokenStdin, "JIRA_TOKEN", "Jira personal access token: ")
	if err != nil {
		return fmt.Errorf("could not read the Jira token: %v", stripPassphraseWord(err))
	}
	if !ok {
		return usageErrorf("jira login: no token: pipe it with --token-stdin, set JIRA_TOKEN, or run on a terminal to be asked")
	}
	token := strings.TrimSpace(string(secret))
	client, err := jira.NewClient(base, token)
	if err != nil {
		return err
	}
	info, err := client.ServerInfo(ctx)
	if err != nil {
		return err
	}
	me, err := client.Myself(ctx)
	if err != nil {
		return err
	}
	if err := jira.SaveSite(p, jira.Site{URL: client.BaseURL, Token: token}); err != nil {
		return err
	}
	name := me.DisplayName
	if name == "" {
		name = me.Name
	}
	title := info.ServerTitle
	if title == "" {
		title = "Jira"
	}
	fmt.Fprintf(s.Out, "Logged in to %s (%s) as %s\n", title, info.Version, name)
	if info.BaseURL != "" && strings.TrimRight(info.BaseURL, "/") != client.BaseURL {
		// Not an error: sites behind a proxy often have another configured
		// base URL. Links Jira renders will use its own.
		fmt.Fprintf(s.Err, "note: Jira's own base URL is %s, you logged in with %s\n", info.BaseURL, client.BaseURL)
	}
	return nil
}

// stripPassphraseWord: IO.Secret's messages speak of a passphrase; here it is a token.
func stripPassphraseWord(err error) string {
	return strings.ReplaceAll(err.Error(), "the passphrase", "the token")
}

func runJiraProjects(s *IO, args []string) error {
	fs := newFlagSet("jira projects", s)
	asJSON := fs.Bool("json", false, "print the projects as a JSON array")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErrorf("jira projects: unexpected argument %q", rest[0])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return jiraProjects(ctx, s, jira.DefaultPaths(), *asJSON)
}

// jiraProject is one element of `gitjira jira projects --json`.
type jiraProject struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

func jiraProjects(ctx context.Context, s *IO, p jira.Paths, asJSON bool) error {
	site, err := jira.LoadSite(p)
	if err != nil {
		return err
	}
	if site == nil {
		return jira.ErrNoSite
	}
	client, err := site.Client()
	if err != nil {
		return fmt.Errorf("the saved Jira site is not usable (%v): run gitjira jira login --url URL", err)
	}
	projects, err := client.Projects(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]jiraProject, 0, len(projects))
		for _, pr := range projects {
			out = append(out, jiraProject{ID: pr.ID, Key: pr.Key, Name: pr.Name})
		}
		return writeJSON(s.Out, out)
	}
	if len(projects) == 0 {
		fmt.Fprintln(s.Err, "no projects: the token's user cannot browse any Jira project")
		return nil
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tNAME")
	for _, pr := range projects {
		fmt.Fprintf(tw, "%s\t%s\n", pr.Key, oneLineText(pr.Name))
	}
	return tw.Flush()
}

// oneLineText keeps a name from Jira on one table line (a project name with
// a newline or an escape sequence would break the table or the terminal).
func oneLineText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
