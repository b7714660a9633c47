package forgetest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gitjira/gitjira/forge"
)

const created = "2026-12-07T01:00:00Z"

// handlers returns the stand-in's shapes for its kind: paths and bodies as
// each host's API reference documents them.
func (s *Server) handlers() *kindHandlers {
	switch s.Kind {
	case forge.GitHub:
		return s.github()
	case forge.GitLab:
		return s.gitlab()
	case forge.Gitea:
		return s.gitea()
	case forge.Bitbucket:
		return s.bitbucket()
	case forge.BitbucketServer:
		return s.bitbucketServer()
	}
	return nil
}

func ownerRepo(r *http.Request) forge.Repo {
	return forge.Repo{Owner: r.PathValue("owner"), Name: r.PathValue("repo")}
}

func parseTitleKey(body []byte) (string, string, bool, error) {
	var b struct {
		Title    string `json:"title"`
		Key      string `json:"key"`
		ReadOnly *bool  `json:"read_only"`
	}
	err := json.Unmarshal(body, &b)
	return b.Title, b.Key, b.ReadOnly != nil && *b.ReadOnly, err
}

// GitHub: GET/POST /repos/{owner}/{repo}/keys.
func (s *Server) github() *kindHandlers {
	ghKey := func(k forge.DeployKey) map[string]any {
		return map[string]any{"id": json.Number(k.ID), "key": k.Key, "url": "https://api.github.com/repos/" + s.Repo.String() + "/keys/" + k.ID,
			"title": k.Title, "verified": true, "created_at": created, "read_only": k.ReadOnly, "added_by": "octocat", "last_used": nil, "enabled": true}
	}
	doc := "https://docs.github.com/rest/deploy-keys/deploy-keys#create-a-deploy-key"
	return &kindHandlers{
		path: "/repos/{owner}/{repo}/keys",
		repo: ownerRepo,
		token: func(r *http.Request) string {
			if t := bearer(r, "Bearer"); t != "" {
				return t
			}
			return bearer(r, "token")
		},
		list: func(w http.ResponseWriter, r *http.Request, keys []forge.DeployKey, total, start int) {
			out := []map[string]any{}
			for _, k := range keys {
				out = append(out, ghKey(k))
			}
			linkNext(w, r, start, len(keys), total, s.o.PageSize)
			writeJSON(w, http.StatusOK, out)
		},
		parseAdd: parseTitleKey,
		added:    func(w http.ResponseWriter, k forge.DeployKey) { writeJSON(w, http.StatusCreated, ghKey(k)) },
		fail: func(w http.ResponseWriter, status int, f failure) {
			body := map[string]any{"documentation_url": doc, "status": http.StatusText(status)}
			switch f {
			case failBadToken:
				body["message"] = "Bad credentials"
			case failForbidden:
				body["message"] = "Resource not accessible by personal access token"
			case failNotFound:
				body["message"] = "Not Found"
			case failInUse:
				body["message"] = "Validation Failed"
				body["errors"] = []map[string]string{{"resource": "PublicKey", "code": "custom", "field": "key", "message": "key is already in use"}}
			case failInvalid:
				body["message"] = "Validation Failed"
				body["errors"] = []map[string]string{{"resource": "PublicKey", "code": "custom", "field": "key", "message": "key is invalid. You must supply a key in OpenSSH public key format"}}
			}
			writeJSON(w, status, body)
		},
		failCodes: map[failure]int{failBadToken: 401, failForbidden: 403, failNotFound: 404, failInUse: 422, failInvalid: 422},
	}
}

// GitLab: GET/POST /api/v4/projects/{url-encoded path}/deploy_keys.
func (s *Server) gitlab() *kindHandlers {
	glKey := func(k forge.DeployKey) map[string]any {
		return map[string]any{"id": json.Number(k.ID), "title": k.Title, "key": k.Key, "fingerprint": "", "fingerprint_sha256": "",
			"created_at": created, "expires_at": nil, "can_push": !k.ReadOnly}
	}
	return &kindHandlers{
		path: "/api/v4/projects/{id}/deploy_keys",
		repo: func(r *http.Request) forge.Repo {
			p := r.PathValue("id") // "group%2Fsub%2Fapp" arrives decoded
			i := strings.LastIndex(p, "/")
			if i < 0 || !strings.Contains(r.URL.EscapedPath(), "%2F") {
				return forge.Repo{}
			}
			return forge.Repo{Owner: p[:i], Name: p[i+1:]}
		},
		token: func(r *http.Request) string {
			if t := r.Header.Get("PRIVATE-TOKEN"); t != "" {
				return t
			}
			return bearer(r, "Bearer")
		},
		list: func(w http.ResponseWriter, r *http.Request, keys []forge.DeployKey, total, start int) {
			out := []map[string]any{}
			for _, k := range keys {
				out = append(out, glKey(k))
			}
			linkNext(w, r, start, len(keys), total, s.o.PageSize)
			writeJSON(w, http.StatusOK, out)
		},
		parseAdd: func(body []byte) (string, string, bool, error) {
			var b struct {
				Title   string `json:"title"`
				Key     string `json:"key"`
				CanPush *bool  `json:"can_push"`
			}
			err := json.Unmarshal(body, &b)
			return b.Title, b.Key, b.CanPush != nil && !*b.CanPush, err
		},
		added: func(w http.ResponseWriter, k forge.DeployKey) { writeJSON(w, http.StatusCreated, glKey(k)) },
		fail: func(w http.ResponseWriter, status int, f failure) {
			switch f {
			case failBadToken:
				writeJSON(w, status, map[string]any{"message": "401 Unauthorized"})
			case failForbidden:
				writeJSON(w, status, map[string]any{"error": "insufficient_scope",
					"error_description": "The request requires higher privileges than provided by the access token.", "scope": "api"})
			case failNotFound:
				writeJSON(w, status, map[string]any{"message": "404 Project Not Found"})
			case failInUse:
				writeJSON(w, status, map[string]any{"message": map[string][]string{"deploy_key.fingerprint_sha256": {"has already been taken"}}})
			case failInvalid:
				writeJSON(w, status, map[string]any{"message": map[string][]string{"deploy_key.key": {"is invalid"}}})
			}
		},
		// GitLab answers validation failures with 400 Bad Request.
		failCodes: map[failure]int{failBadToken: 401, failForbidden: 403, failNotFound: 404, failInUse: 400, failInvalid: 400},
	}
}

// Gitea/Forgejo: GET/POST /api/v1/repos/{owner}/{repo}/keys.
func (s *Server) gitea() *kindHandlers {
	gtKey := func(k forge.DeployKey) map[string]any {
		return map[string]any{"id": json.Number(k.ID), "key_id": json.Number(k.ID), "key": k.Key, "url": "",
			"title": k.Title, "fingerprint": "", "created_at": created, "read_only": k.ReadOnly}
	}
	return &kindHandlers{
		path: "/api/v1/repos/{owner}/{repo}/keys",
		repo: ownerRepo,
		token: func(r *http.Request) string {
			if t := bearer(r, "token"); t != "" {
				return t
			}
			return bearer(r, "Bearer")
		},
		list: func(w http.ResponseWriter, r *http.Request, keys []forge.DeployKey, total, start int) {
			out := []map[string]any{}
			for _, k := range keys {
				out = append(out, gtKey(k))
			}
			linkNext(w, r, start, len(keys), total, s.o.PageSize)
			writeJSON(w, http.StatusOK, out)
		},
		parseAdd: parseTitleKey,
		added:    func(w http.ResponseWriter, k forge.DeployKey) { writeJSON(w, http.StatusCreated, gtKey(k)) },
		fail: func(w http.ResponseWriter, status int, f failure) {
			msg := map[failure]string{
				failBadToken:  "user does not exist [uid: 0, name: ]",
				failForbidden: "token does not have at least one of required scope(s), required=[write:repository]",
				failNotFound:  "The target couldn't be found.",
				failInUse:     "Key content has been used as non-deploy key",
				failInvalid:   "Invalid key content",
			}[f]
			writeJSON(w, status, map[string]any{"message": msg, "url": "https://gitea.com/api/swagger"})
		},
		failCodes: map[failure]int{failBadToken: 401, failForbidden: 403, failNotFound: 404, failInUse: 422, failInvalid: 422},
	}
}

// Bitbucket Cloud: GET/POST /2.0/repositories/{workspace}/{repo_slug}/deploy-keys.
func (s *Server) bitbucket() *kindHandlers {
	bbKey := func(k forge.DeployKey) map[string]any {
		return map[string]any{"id": json.Number(k.ID), "key": k.Key, "label": k.Title, "type": "deploy_key",
			"created_on": created, "last_used": nil, "comment": "",
			"links": map[string]any{"self": map[string]string{"href": "https://api.bitbucket.org/2.0/repositories/" + s.Repo.String() + "/deploy-keys/" + k.ID}}}
	}
	return &kindHandlers{
		path: "/2.0/repositories/{owner}/{repo}/deploy-keys",
		repo: ownerRepo,
		token: func(r *http.Request) string {
			if t := bearer(r, "Bearer"); t != "" {
				return t
			}
			return basicPassword(r)
		},
		list: func(w http.ResponseWriter, r *http.Request, keys []forge.DeployKey, total, start int) {
			vals := []map[string]any{}
			for _, k := range keys {
				vals = append(vals, bbKey(k))
			}
			page := start/s.o.PageSize + 1
			body := map[string]any{"pagelen": s.o.PageSize, "values": vals, "page": page, "size": total}
			if start+len(keys) < total {
				body["next"] = "https://" + r.Host + r.URL.Path + "?pagelen=" + itoa(s.o.PageSize) + "&page=" + itoa(page+1)
			}
			writeJSON(w, http.StatusOK, body)
		},
		parseAdd: func(body []byte) (string, string, bool, error) {
			var b struct {
				Key   string `json:"key"`
				Label string `json:"label"`
			}
			err := json.Unmarshal(body, &b)
			return b.Label, b.Key, true, err // Bitbucket Cloud deploy keys are read-only
		},
		added: func(w http.ResponseWriter, k forge.DeployKey) { writeJSON(w, http.StatusOK, bbKey(k)) },
		fail: func(w http.ResponseWriter, status int, f failure) {
			e := map[string]any{}
			switch f {
			case failBadToken:
				e["message"] = "Token is invalid or not supported for this endpoint."
			case failForbidden:
				e["message"] = "Your credentials lack one or more required privilege scopes."
				e["detail"] = map[string]any{"granted": []string{"repository"}, "required": []string{"repository:admin"}}
			case failNotFound:
				e["message"] = "Repository " + s.Repo.String() + " not found"
			case failInUse:
				e["message"] = "Bad request"
				e["fields"] = map[string][]string{"key": {"Someone has already added that access key to this account or repository."}}
			case failInvalid:
				e["message"] = "Bad request"
				e["fields"] = map[string][]string{"key": {"Invalid key."}}
			}
			writeJSON(w, status, map[string]any{"type": "error", "error": e})
		},
		failCodes: map[failure]int{failBadToken: 401, failForbidden: 403, failNotFound: 404, failInUse: 400, failInvalid: 400},
	}
}

// Bitbucket Data Center: GET/POST /rest/keys/1.0/projects/{projectKey}/repos/{repositorySlug}/ssh.
func (s *Server) bitbucketServer() *kindHandlers {
	access := func(k forge.DeployKey) map[string]any {
		perm := "REPO_WRITE"
		if k.ReadOnly {
			perm = "REPO_READ"
		}
		return map[string]any{
			"key":        map[string]any{"id": json.Number(k.ID), "text": k.Key, "label": k.Title},
			"repository": map[string]any{"slug": s.Repo.Name, "project": map[string]any{"key": s.Repo.Owner}},
			"permission": perm,
		}
	}
	return &kindHandlers{
		path:  "/rest/keys/1.0/projects/{owner}/repos/{repo}/ssh",
		repo:  ownerRepo,
		token: func(r *http.Request) string { return bearer(r, "Bearer") },
		list: func(w http.ResponseWriter, r *http.Request, keys []forge.DeployKey, total, start int) {
			vals := []map[string]any{}
			for _, k := range keys {
				vals = append(vals, access(k))
			}
			last := start+len(keys) >= total
			body := map[string]any{"size": len(keys), "limit": s.o.PageSize, "isLastPage": last, "values": vals, "start": start}
			if !last {
				body["nextPageStart"] = start + len(keys)
			}
			writeJSON(w, http.StatusOK, body)
		},
		parseAdd: func(body []byte) (string, string, bool, error) {
			var b struct {
				Key struct {
					Text  string `json:"text"`
					Label string `json:"label"`
				} `json:"key"`
				Permission string `json:"permission"`
			}
			err := json.Unmarshal(body, &b)
			return b.Key.Label, b.Key.Text, b.Permission == "REPO_READ", err
		},
		added: func(w http.ResponseWriter, k forge.DeployKey) { writeJSON(w, http.StatusOK, access(k)) },
		fail: func(w http.ResponseWriter, status int, f failure) {
			e := map[failure][2]string{
				failBadToken:  {"Authentication failed. Please check your credentials and try again.", "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"},
				failForbidden: {"You are not permitted to access this resource", "com.atlassian.bitbucket.AuthorisationException"},
				failNotFound:  {"Repository " + s.Repo.Name + " does not exist in project " + s.Repo.Owner + ".", "com.atlassian.bitbucket.repository.NoSuchRepositoryException"},
				failInUse:     {"This SSH key is already in use and cannot be added to this repository.", "com.atlassian.bitbucket.ssh.DuplicateSshKeyException"},
				failInvalid:   {"The key is not a valid SSH public key.", "com.atlassian.bitbucket.validation.ArgumentValidationException"},
			}[f]
			msg, exc := e[0], e[1]
			writeJSON(w, status, map[string]any{"errors": []map[string]any{{"context": nil, "message": msg, "exceptionName": exc}}})
		},
		// The documented answers: 401 for a user without admin permission
		// as for bad credentials, 400 for invalid or duplicate keys.
		failCodes: map[failure]int{failBadToken: 401, failForbidden: 401, failNotFound: 404, failInUse: 400, failInvalid: 400},
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
