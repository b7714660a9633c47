package cmdutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/store"
)

// WriteJSON prints one JSON document: indented, HTML characters kept as they
// are, and every invisible character escaped: format characters (bidi
// controls such as U+202E, zero-width ones, the BOM, tags) and C1 controls
// come out as \u202e etc., which encoding/json leaves raw. The text is
// otherwise intact: a program reading the JSON gets the same strings, and a
// person reading it on a terminal sees where they are.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeInvisible(buf.Bytes()))
	return err
}

// escapeInvisible rewrites the invisible characters of encoded JSON as
// \uXXXX escapes (UTF-16 surrogate pairs above U+FFFF). Outside strings JSON
// is ASCII, so every such character is inside a string, where the escape
// means the same character.
func escapeInvisible(data []byte) []byte {
	var out []byte
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r < utf8.RuneSelf || !invisible(r) {
			if out != nil {
				out = append(out, data[i:i+size]...)
			}
			i += size
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(data)+16), data[:i]...)
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	if out == nil {
		return data
	}
	return out
}

// invisible reports a character that changes or hides text without showing:
// Unicode format characters (Cf: bidi controls, zero-width, BOM, tags) and
// controls (the C1 range; encoding/json escapes C0 itself).
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.IsControl(r)
}

// RepositoryJSON is one repository as `repos list --json` and `connect
// --json` print it (docs/CLI.md: fields may be added, not renamed). Times
// are RFC 3339, null when never set.
type RepositoryJSON struct {
	Name               string   `json:"name"`
	URL                string   `json:"url"`
	Projects           []string `json:"projects"`
	KeyFingerprint     string   `json:"key_fingerprint"`
	HostKeyFingerprint string   `json:"host_key_fingerprint"`
	Mirror             string   `json:"mirror"`
	DefaultBranch      string   `json:"default_branch"`
	Commits            int      `json:"commits"`
	IssueKeys          int      `json:"issue_keys"`
	Added              *string  `json:"added"`
	LastFetched        *string  `json:"last_fetched"`

	// Additions (issue 8, 10): the identity Jira links use, the location as
	// typed when it was an ~/.ssh/config alias, the web URLs, whether syncs
	// link to Jira (null: the default), the last error, the stored key.
	ID                string `json:"id,omitempty"`
	Alias             string `json:"alias,omitempty"`
	WebURL            string `json:"web_url,omitempty"`
	CommitURLTemplate string `json:"commit_url_template,omitempty"`
	Link              *bool  `json:"link"`
	LastError         string `json:"last_error,omitempty"`
	KeyFile           string `json:"key_file,omitempty"`

	// Additions (issue 16): how its commits appear on Jira issues.
	LinkStyle    string `json:"link_style"`
	LinkIcon     string `json:"link_icon,omitempty"`
	SmartCommits bool   `json:"smart_commits"`

	// Route is how the location resolves now with the SSH config (issue
	// 20): the next connection goes this way.
	Route *RouteJSON `json:"route,omitempty"`
}

// RouteJSON is a resolved location: who logs in where, through which jump
// hosts or proxy command; Error says why it does not resolve.
type RouteJSON struct {
	User         string   `json:"user,omitempty"`
	Host         string   `json:"host,omitempty"`
	Port         int      `json:"port,omitempty"`
	ProxyJump    []string `json:"proxy_jump,omitempty"`
	ProxyCommand string   `json:"proxy_command,omitempty"`
	HostKeyAlias string   `json:"host_key_alias,omitempty"`
	Error        string   `json:"error,omitempty"`
}

// NewRouteJSON resolves location with the SSH config file sshConfig (""
// for ~/.ssh/config and /etc/ssh/ssh_config, "none" for none).
func NewRouteJSON(location, sshConfig string) *RouteJSON {
	ep, err := gitops.ParseURLWithConfig(location, sshConfig)
	if err != nil {
		return &RouteJSON{Error: err.Error()}
	}
	r := &RouteJSON{User: ep.User, Host: ep.Host, Port: ep.Port}
	if ep.Route != nil {
		r.ProxyJump, r.ProxyCommand, r.HostKeyAlias = ep.Route.ProxyJump, ep.Route.ProxyCommand, ep.Route.HostKeyAlias
	}
	return r
}

// NewRepositoryJSON is r in the shape of RepositoryJSON; projects is ["ALL"]
// for all projects.
func NewRepositoryJSON(r store.Repository) RepositoryJSON {
	projects := r.Projects
	if r.AllProjects() {
		projects = []string{store.AllProjectsValue}
	}
	return RepositoryJSON{
		Name: r.Name, URL: r.URL, Projects: projects, KeyFingerprint: r.KeyFingerprint,
		HostKeyFingerprint: r.HostKeyFingerprint, Mirror: r.Mirror, DefaultBranch: r.DefaultBranch,
		Commits: r.Commits, IssueKeys: r.IssueKeys, Added: rfc3339OrNil(r.Added), LastFetched: rfc3339OrNil(r.LastFetched),
		ID: r.ID, Alias: r.Alias, WebURL: r.WebURL, CommitURLTemplate: r.CommitURLTemplate, Link: r.Link,
		LastError: r.LastError, KeyFile: r.KeyFile,
		LinkStyle: linkStyleOrDefault(r.LinkStyle), LinkIcon: r.LinkIcon, SmartCommits: r.SmartCommits,
	}
}

func linkStyleOrDefault(s string) string {
	if s == "" {
		return "issue"
	}
	return s
}

func rfc3339OrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.RFC3339)
	return &s
}
