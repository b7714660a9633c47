package forge

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// hostAPI is one host's deploy-key endpoints and shapes.
type hostAPI interface {
	// listPath is the first page of the key list, relative to the API base.
	listPath(r Repo) string
	// parseList reads one page; next is the next page's link ("" at the end).
	parseList(body []byte, h http.Header) (keys []DeployKey, next string, err error)
	// addRequest is the path and JSON body that add a read-only deploy key.
	addRequest(r Repo, title, key string) (path string, body any)
	// parseKey reads the added key.
	parseKey(body []byte) (DeployKey, error)
	authorize(req *http.Request, token string)
	// errorMessage extracts the host's message from an error body.
	errorMessage(body []byte) string
}

var hostAPIs = map[Kind]hostAPI{
	GitHub:          githubAPI{},
	GitLab:          gitlabAPI{},
	Gitea:           giteaAPI{},
	Bitbucket:       bitbucketAPI{},
	BitbucketServer: bitbucketServerAPI{},
}

// id reads a JSON id that hosts send as a number (or, rarely, a string).
type id string

func (i *id) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*i = id(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("id is neither a number nor a string")
	}
	*i = id(s)
	return nil
}

// hostKey is one host's JSON shape of a deploy key.
type hostKey interface{ deployKey() DeployKey }

// parseArray reads a JSON array of a host's keys.
func parseArray[T hostKey](body []byte) ([]DeployKey, error) {
	var ks []T
	if err := json.Unmarshal(body, &ks); err != nil {
		return nil, err
	}
	return deployKeys(ks), nil
}

func deployKeys[T hostKey](ks []T) []DeployKey {
	out := make([]DeployKey, 0, len(ks))
	for _, k := range ks {
		out = append(out, k.deployKey())
	}
	return out
}

// nextLink reads RFC 8288 Link: <...>; rel="next" (GitHub, GitLab, Gitea).
func nextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			segs := strings.Split(part, ";")
			if len(segs) < 2 {
				continue
			}
			target := strings.TrimSpace(segs[0])
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range segs[1:] {
				p = strings.TrimSpace(p)
				if p == `rel="next"` || p == "rel=next" {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

func esc(s string) string { return url.PathEscape(s) }

// ---- GitHub: https://docs.github.com/en/rest/deploy-keys/deploy-keys

type githubAPI struct{}

type githubKey struct {
	ID       id     `json:"id"`
	Key      string `json:"key"`
	Title    string `json:"title"`
	ReadOnly bool   `json:"read_only"`
}

func (k githubKey) deployKey() DeployKey {
	return DeployKey{ID: string(k.ID), Title: k.Title, Key: k.Key, ReadOnly: k.ReadOnly}
}

func (githubAPI) listPath(r Repo) string {
	return "/repos/" + esc(r.Owner) + "/" + esc(r.Name) + "/keys?per_page=100"
}

func (githubAPI) parseList(body []byte, h http.Header) ([]DeployKey, string, error) {
	keys, err := parseArray[githubKey](body)
	return keys, nextLink(h), err
}

func (githubAPI) addRequest(r Repo, title, key string) (string, any) {
	return "/repos/" + esc(r.Owner) + "/" + esc(r.Name) + "/keys",
		map[string]any{"title": title, "key": key, "read_only": true}
}

func (githubAPI) parseKey(body []byte) (DeployKey, error) {
	var k githubKey
	if err := json.Unmarshal(body, &k); err != nil {
		return DeployKey{}, err
	}
	return k.deployKey(), nil
}

func (githubAPI) authorize(req *http.Request, token string) {
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
}

// errorMessage: {"message": "Validation Failed", "errors": [{"message": "key is already in use", ...}]}.
func (githubAPI) errorMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
		Errors  []struct {
			Message string `json:"message"`
			Code    string `json:"code"`
			Field   string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := e.Message
	for _, d := range e.Errors {
		switch {
		case d.Message != "":
			msg += "; " + d.Message
		case d.Code != "":
			msg += "; " + d.Field + " " + d.Code
		}
	}
	return msg
}

// ---- GitLab: https://docs.gitlab.com/api/deploy_keys/

type gitlabAPI struct{}

type gitlabKey struct {
	ID      id     `json:"id"`
	Title   string `json:"title"`
	Key     string `json:"key"`
	CanPush bool   `json:"can_push"`
}

func (k gitlabKey) deployKey() DeployKey {
	return DeployKey{ID: string(k.ID), Title: k.Title, Key: k.Key, ReadOnly: !k.CanPush}
}

// gitlabProject is the URL-encoded full path GitLab takes as a project id.
func gitlabProject(r Repo) string { return url.PathEscape(r.Owner + "/" + r.Name) }

func (gitlabAPI) listPath(r Repo) string {
	return "/api/v4/projects/" + gitlabProject(r) + "/deploy_keys?per_page=100"
}

func (gitlabAPI) parseList(body []byte, h http.Header) ([]DeployKey, string, error) {
	keys, err := parseArray[gitlabKey](body)
	return keys, nextLink(h), err
}

func (gitlabAPI) addRequest(r Repo, title, key string) (string, any) {
	return "/api/v4/projects/" + gitlabProject(r) + "/deploy_keys",
		map[string]any{"title": title, "key": key, "can_push": false}
}

func (gitlabAPI) parseKey(body []byte) (DeployKey, error) {
	var k gitlabKey
	if err := json.Unmarshal(body, &k); err != nil {
		return DeployKey{}, err
	}
	return k.deployKey(), nil
}

func (gitlabAPI) authorize(req *http.Request, token string) { req.Header.Set("PRIVATE-TOKEN", token) }

// errorMessage: {"message": "404 Project Not Found"}, {"message": {"key": ["..."],
// "fingerprint_sha256": ["has already been taken"]}}, or OAuth's
// {"error": "insufficient_scope", "error_description": "..."}.
func (gitlabAPI) errorMessage(body []byte) string {
	var e struct {
		Message json.RawMessage `json:"message"`
		Error   string          `json:"error"`
		Desc    string          `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Error != "" {
		if e.Desc != "" {
			return e.Error + ": " + e.Desc
		}
		return e.Error
	}
	var s string
	if json.Unmarshal(e.Message, &s) == nil {
		return s
	}
	var fields map[string][]string
	if json.Unmarshal(e.Message, &fields) == nil {
		var parts []string
		for _, f := range slices.Sorted(maps.Keys(fields)) {
			parts = append(parts, f+" "+strings.Join(fields[f], ", "))
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// ---- Gitea / Forgejo: https://gitea.com/api/swagger#/repository/repoCreateKey

type giteaAPI struct{}

func (giteaAPI) listPath(r Repo) string {
	return "/api/v1/repos/" + esc(r.Owner) + "/" + esc(r.Name) + "/keys?limit=50"
}

// Gitea's DeployKey has the fields GitHub's has (id, key, title, read_only).
func (giteaAPI) parseList(body []byte, h http.Header) ([]DeployKey, string, error) {
	return githubAPI{}.parseList(body, h)
}

func (giteaAPI) addRequest(r Repo, title, key string) (string, any) {
	return "/api/v1/repos/" + esc(r.Owner) + "/" + esc(r.Name) + "/keys",
		map[string]any{"title": title, "key": key, "read_only": true}
}

func (giteaAPI) parseKey(body []byte) (DeployKey, error) { return githubAPI{}.parseKey(body) }

func (giteaAPI) authorize(req *http.Request, token string) {
	req.Header.Set("Authorization", "token "+token)
}

// errorMessage: {"message": "...", "url": "..."}.
func (giteaAPI) errorMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Message
}

// ---- Bitbucket Cloud: https://developer.atlassian.com/cloud/bitbucket/rest/api-group-deployments/

type bitbucketAPI struct{}

type bitbucketKey struct {
	ID    id     `json:"id"`
	Key   string `json:"key"`
	Label string `json:"label"`
}

func (k bitbucketKey) deployKey() DeployKey {
	// Bitbucket Cloud deploy keys are read-only by definition.
	return DeployKey{ID: string(k.ID), Title: k.Label, Key: k.Key, ReadOnly: true}
}

func (bitbucketAPI) listPath(r Repo) string {
	return "/2.0/repositories/" + esc(r.Owner) + "/" + esc(r.Name) + "/deploy-keys?pagelen=100"
}

// parseList reads Bitbucket's paginated shape: {"values": [...], "next": URL}.
func (bitbucketAPI) parseList(body []byte, _ http.Header) ([]DeployKey, string, error) {
	var p struct {
		Values *[]bitbucketKey `json:"values"`
		Next   string          `json:"next"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, "", err
	}
	if p.Values == nil {
		return nil, "", errors.New(`no "values" in the page`)
	}
	return deployKeys(*p.Values), p.Next, nil
}

func (bitbucketAPI) addRequest(r Repo, title, key string) (string, any) {
	return "/2.0/repositories/" + esc(r.Owner) + "/" + esc(r.Name) + "/deploy-keys",
		map[string]any{"key": key, "label": title}
}

func (bitbucketAPI) parseKey(body []byte) (DeployKey, error) {
	var k bitbucketKey
	if err := json.Unmarshal(body, &k); err != nil {
		return DeployKey{}, err
	}
	return k.deployKey(), nil
}

func (bitbucketAPI) authorize(req *http.Request, token string) {
	req.Header.Set("Authorization", "Bearer "+token)
}

// errorMessage: {"type": "error", "error": {"message": "...", "detail": "...",
// "fields": {"key": ["..."]}}}.
func (bitbucketAPI) errorMessage(body []byte) string {
	var e struct {
		Error struct {
			Message string              `json:"message"`
			Detail  json.RawMessage     `json:"detail"`
			Fields  map[string][]string `json:"fields"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	msg := e.Error.Message
	var d string
	if json.Unmarshal(e.Error.Detail, &d) == nil && d != "" {
		msg += ": " + d
	}
	for _, f := range slices.Sorted(maps.Keys(e.Error.Fields)) {
		msg += "; " + f + ": " + strings.Join(e.Error.Fields[f], ", ")
	}
	return msg
}

// ---- Bitbucket Data Center: https://docs.atlassian.com/bitbucket-server/rest/latest/bitbucket-ssh-rest.html

type bitbucketServerAPI struct{}

type bitbucketServerAccessKey struct {
	Key struct {
		ID    id     `json:"id"`
		Text  string `json:"text"`
		Label string `json:"label"`
	} `json:"key"`
	Permission string `json:"permission"`
}

func (k bitbucketServerAccessKey) deployKey() DeployKey {
	return DeployKey{ID: string(k.Key.ID), Title: k.Key.Label, Key: k.Key.Text, ReadOnly: k.Permission == "REPO_READ"}
}

func bitbucketServerPath(r Repo) string {
	return "/rest/keys/1.0/projects/" + esc(r.Owner) + "/repos/" + esc(r.Name) + "/ssh"
}

func (bitbucketServerAPI) listPath(r Repo) string { return bitbucketServerPath(r) + "?limit=100" }

// parseList reads the paged shape: {"values": [...], "isLastPage": false, "nextPageStart": 100}.
func (bitbucketServerAPI) parseList(body []byte, _ http.Header) ([]DeployKey, string, error) {
	var p struct {
		Values        *[]bitbucketServerAccessKey `json:"values"`
		IsLastPage    *bool                       `json:"isLastPage"`
		NextPageStart *int64                      `json:"nextPageStart"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, "", err
	}
	if p.Values == nil {
		return nil, "", errors.New(`no "values" in the page`)
	}
	out := deployKeys(*p.Values)
	next := ""
	if p.IsLastPage != nil && !*p.IsLastPage {
		if p.NextPageStart == nil || *p.NextPageStart < 0 {
			return nil, "", errors.New("a page that is not the last has no nextPageStart")
		}
		next = "?limit=100&start=" + strconv.FormatInt(*p.NextPageStart, 10)
	}
	return out, next, nil
}

func (bitbucketServerAPI) addRequest(r Repo, title, key string) (string, any) {
	return bitbucketServerPath(r), map[string]any{
		"key":        map[string]string{"text": key, "label": title},
		"permission": "REPO_READ",
	}
}

func (bitbucketServerAPI) parseKey(body []byte) (DeployKey, error) {
	var k bitbucketServerAccessKey
	if err := json.Unmarshal(body, &k); err != nil {
		return DeployKey{}, err
	}
	if k.Key.Text == "" && k.Key.ID == "" {
		return DeployKey{}, errors.New(`no "key" in the answer`)
	}
	return k.deployKey(), nil
}

func (bitbucketServerAPI) authorize(req *http.Request, token string) {
	req.Header.Set("Authorization", "Bearer "+token)
}

// errorMessage: {"errors": [{"context": null, "message": "...", "exceptionName": "..."}]}.
func (bitbucketServerAPI) errorMessage(body []byte) string {
	var e struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	var parts []string
	for _, x := range e.Errors {
		if x.Message != "" {
			parts = append(parts, x.Message)
		}
	}
	return strings.Join(parts, "; ")
}
