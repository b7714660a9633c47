// Package forge adds a read-only deploy key to a repository through its git
// host's REST API: GitHub (and GitHub Enterprise), GitLab, Gitea/Forgejo,
// Bitbucket Cloud and Bitbucket Data Center. Each host has one small client
// that follows that host's documented endpoint and response shapes; a key
// already there is not added twice (the keys are listed first), and every
// refusal becomes an *APIError whose one line says what to do.
//
// Tokens are held only in memory, sent only over https unless the caller
// allows plain http explicitly (Options.AllowHTTP), and never followed to
// another address by a redirect. Everything the server says is bounded in
// size and sanitised before it reaches an error message.
package forge

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Kind is a kind of git host with a deploy-key API.
type Kind string

// The hosts with a deploy-key API, as --via names them.
const (
	GitHub          Kind = "github"
	GitLab          Kind = "gitlab"
	Gitea           Kind = "gitea" // also Forgejo (Codeberg): the same API
	Bitbucket       Kind = "bitbucket"
	BitbucketServer Kind = "bitbucket-server" // Bitbucket Data Center / Server
)

// Kinds lists every Kind in the order help texts show them.
var Kinds = []Kind{GitHub, GitLab, Gitea, Bitbucket, BitbucketServer}

// ParseKind reads a --via value (case-insensitive; "forgejo", "bitbucket-dc"
// and "bitbucket-datacenter" are accepted as aliases).
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "github", "github-enterprise", "ghe":
		return GitHub, nil
	case "gitlab":
		return GitLab, nil
	case "gitea", "forgejo":
		return Gitea, nil
	case "bitbucket", "bitbucket-cloud":
		return Bitbucket, nil
	case "bitbucket-server", "bitbucket-dc", "bitbucket-datacenter", "bitbucket-data-center":
		return BitbucketServer, nil
	}
	return "", fmt.Errorf("%q is not a git host kind: use github, gitlab, gitea, bitbucket or bitbucket-server", s)
}

// Name is the host's product name, for messages.
func (k Kind) Name() string {
	switch k {
	case GitHub:
		return "GitHub"
	case GitLab:
		return "GitLab"
	case Gitea:
		return "Gitea"
	case Bitbucket:
		return "Bitbucket Cloud"
	case BitbucketServer:
		return "Bitbucket Data Center"
	}
	return string(k)
}

// TokenEnv lists the environment variables a token for this host is read
// from, first found wins (the variables the hosts' own CLIs use).
func (k Kind) TokenEnv() []string {
	switch k {
	case GitHub:
		return []string{"GH_TOKEN", "GITHUB_TOKEN"}
	case GitLab:
		return []string{"GITLAB_TOKEN"}
	case Gitea:
		return []string{"GITEA_TOKEN"}
	case Bitbucket, BitbucketServer:
		return []string{"BITBUCKET_TOKEN"}
	}
	return nil
}

// TokenHelp says which token the host needs, in one sentence.
func (k Kind) TokenHelp() string {
	switch k {
	case GitHub:
		return "a GitHub token of a repository admin: classic with the repo scope, or fine-grained with Administration: read and write on the repository"
	case GitLab:
		return "a GitLab personal, project or group access token with the api scope, of a user with the Maintainer role on the project"
	case Gitea:
		return "a Gitea/Forgejo access token with the write:repository scope, of a repository admin"
	case Bitbucket:
		return "a Bitbucket Cloud repository, project or workspace access token with the repository:admin scope (or BITBUCKET_USERNAME plus an app password/API token with it)"
	case BitbucketServer:
		return "a Bitbucket Data Center HTTP access token with Repository admin permission"
	}
	return "an access token"
}

// wellKnown maps public hosts (the SSH host of a repository URL) to their kind.
var wellKnown = map[string]Kind{
	"github.com":           GitHub,
	"ssh.github.com":       GitHub,
	"gitlab.com":           GitLab,
	"altssh.gitlab.com":    GitLab,
	"bitbucket.org":        Bitbucket,
	"altssh.bitbucket.org": Bitbucket,
	"codeberg.org":         Gitea,
	"gitea.com":            Gitea,
}

// Guess returns the kind of a well-known public host ("" for any other:
// a self-hosted instance must be named with --via).
func Guess(host string) Kind {
	return wellKnown[strings.ToLower(strings.TrimSuffix(host, "."))]
}

// DefaultAPIURL is the API base for a repository on host: api.github.com for
// github.com, https://HOST/api/v3 for GitHub Enterprise, api.bitbucket.org
// for bitbucket.org, and https://HOST for the others (the client adds
// /api/v4, /api/v1 or /rest/keys/1.0 itself).
func DefaultAPIURL(k Kind, host string) string {
	h := strings.ToLower(host)
	switch {
	case k == GitHub && (h == "github.com" || h == "ssh.github.com"):
		return "https://api.github.com"
	case k == GitHub:
		return "https://" + host + "/api/v3"
	case k == Bitbucket && (h == "bitbucket.org" || h == "altssh.bitbucket.org"):
		return "https://api.bitbucket.org"
	case k == GitLab && h == "altssh.gitlab.com":
		return "https://gitlab.com"
	}
	return "https://" + host
}

// Repo names a repository the way its host's API does.
type Repo struct {
	// Owner is the GitHub/Gitea owner, the Bitbucket workspace, the
	// Bitbucket Data Center project key, or GitLab's namespace (groups
	// joined by "/").
	Owner string
	// Name is the repository name (Bitbucket: its slug).
	Name string
}

// String is owner/name.
func (r Repo) String() string { return r.Owner + "/" + r.Name }

// RepoFromPath reads the repository from an SSH URL's path:
// "org/repo.git", "/org/repo", "group/sub/project.git" (GitLab), or
// "/KEY/slug.git" and "/scm/KEY/slug.git" (Bitbucket Data Center).
func RepoFromPath(k Kind, p string) (Repo, error) {
	p = strings.Trim(strings.TrimSpace(p), "/")
	p = strings.TrimSuffix(p, ".git")
	p = strings.TrimSuffix(p, "/")
	parts := strings.Split(p, "/")
	if k == BitbucketServer && len(parts) == 3 && strings.EqualFold(parts[0], "scm") {
		parts = parts[1:]
	}
	bad := func(want string) (Repo, error) {
		return Repo{}, fmt.Errorf("the repository path %q is not %s", p, want)
	}
	for _, s := range parts {
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "?#%\\ ") || s[0] == '~' {
			return bad(map[bool]string{true: "group/project", false: "owner/repository"}[k == GitLab])
		}
	}
	switch {
	case k == GitLab && len(parts) >= 2:
		return Repo{Owner: strings.Join(parts[:len(parts)-1], "/"), Name: parts[len(parts)-1]}, nil
	case k == GitLab:
		return bad("group/project")
	case k == BitbucketServer && len(parts) == 2:
		return Repo{Owner: parts[0], Name: parts[1]}, nil
	case k == BitbucketServer:
		return bad("PROJECT/repository (as in ssh://git@host:7999/PROJECT/repo.git)")
	case len(parts) == 2:
		return Repo{Owner: parts[0], Name: parts[1]}, nil
	}
	return bad("owner/repository")
}

// KeysPage is the web page where the repository's deploy keys are managed,
// for people who add the key by hand.
func KeysPage(k Kind, host string, r Repo) string {
	h := "https://" + host
	if host == "ssh.github.com" {
		h = "https://github.com"
	}
	if host == "altssh.bitbucket.org" {
		h = "https://bitbucket.org"
	}
	if host == "altssh.gitlab.com" {
		h = "https://gitlab.com"
	}
	switch k {
	case GitHub:
		return h + "/" + r.String() + "/settings/keys"
	case GitLab:
		return h + "/" + r.String() + "/-/settings/repository#js-deploy-keys-settings"
	case Gitea:
		return h + "/" + r.String() + "/settings/keys"
	case Bitbucket:
		return h + "/" + r.String() + "/admin/access-keys/"
	case BitbucketServer:
		return h + "/plugins/servlet/ssh/projects/" + url.PathEscape(r.Owner) + "/repos/" + url.PathEscape(r.Name) + "/keys"
	}
	return ""
}

// Errors an *APIError matches with errors.Is, by what the user must fix.
var (
	ErrBadToken  = errors.New("the token was refused")
	ErrForbidden = errors.New("not allowed to add deploy keys")
	ErrNotFound  = errors.New("repository not found")
	ErrKeyInUse  = errors.New("key already in use")
	ErrInsecure  = errors.New("refusing to send a token over plain http")
)
