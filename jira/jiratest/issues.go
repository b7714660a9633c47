package jiratest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// What smart commits and per-issue refusals need of a Jira site (issue 16):
// users found by e-mail (GET /rest/api/2/user/search), comments and
// worklogs (POST and GET /rest/api/2/issue/{key}/comment|worklog), a
// workflow (GET and POST /rest/api/2/issue/{key}/transitions), issues whose
// remote links are refused one by one (a closed issue locked by a workflow
// property: 403; an issue at the site's remote link cap: 400), and
// RateLimit-Reason on 429 answers. The answers have the shapes of the Jira
// Server and Cloud platform REST API v2 references.

// JiraUser is a user of the fake site.
type JiraUser struct {
	Name, DisplayName, Email string
}

// Comment is a comment as stored by the fake site.
type Comment struct {
	ID   string
	Body string
}

// Worklog is a worklog as stored by the fake site.
type Worklog struct {
	ID               string
	Comment, Started string
	TimeSpentSeconds int
}

// workflow: status -> transitions available from it (name -> target status).
var defaultWorkflow = map[string][][2]string{
	"Open":        {{"Start Progress", "In Progress"}, {"Resolve Issue", "Resolved"}, {"Close Issue", "Closed"}},
	"In Progress": {{"Stop Progress", "Open"}, {"Resolve Issue", "Resolved"}, {"Close Issue", "Closed"}},
	"Resolved":    {{"Reopen Issue", "Open"}, {"Close Issue", "Closed"}},
	"Closed":      {{"Reopen Issue", "Open"}},
}

var transitionIDs = map[string]string{"Start Progress": "4", "Stop Progress": "301", "Resolve Issue": "5", "Close Issue": "2", "Reopen Issue": "3"}

type issueExtras struct {
	mu       sync.Mutex
	users    []JiraUser
	comments map[string][]Comment
	worklogs map[string][]Worklog
	status   map[string]string
	locked   map[string]bool
	linkCap  int
	rlReason string
	nextID   int
}

func (s *Server) extras() *issueExtras {
	s.extraOnce.Do(func() {
		s.extra = &issueExtras{comments: map[string][]Comment{}, worklogs: map[string][]Worklog{}, status: map[string]string{}, locked: map[string]bool{}, nextID: 10000}
	})
	return s.extra
}

// AddUser adds a user the user search finds by e-mail.
func (s *Server) AddUser(name, displayName, email string) {
	x := s.extras()
	x.mu.Lock()
	x.users = append(x.users, JiraUser{name, displayName, email})
	x.mu.Unlock()
}

// Comments returns an issue's comments.
func (s *Server) Comments(issue string) []Comment {
	x := s.extras()
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.comments[issue])
}

// Worklogs returns an issue's worklogs.
func (s *Server) Worklogs(issue string) []Worklog {
	x := s.extras()
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.worklogs[issue])
}

// Status returns an issue's workflow status ("Open" at first).
func (s *Server) Status(issue string) string {
	x := s.extras()
	x.mu.Lock()
	defer x.mu.Unlock()
	if st := x.status[issue]; st != "" {
		return st
	}
	return "Open"
}

// SetIssueLocked makes writing remote links of the issue answer 403, as a
// closed issue whose workflow status sets jira.issue.editable=false does.
func (s *Server) SetIssueLocked(issue string, locked bool) {
	x := s.extras()
	x.mu.Lock()
	x.locked[issue] = locked
	x.mu.Unlock()
}

// SetRemoteLinkLimit makes adding a remote link to an issue that has n
// already answer 400, as Jira does at its per-issue cap (0: no cap).
func (s *Server) SetRemoteLinkLimit(n int) {
	x := s.extras()
	x.mu.Lock()
	x.linkCap = n
	x.mu.Unlock()
}

// SetRateLimitReason sets the RateLimit-Reason header of 429 answers (e.g.
// "jira-per-issue-on-write", "jira-burst-based"; "" = none).
func (s *Server) SetRateLimitReason(v string) {
	x := s.extras()
	x.mu.Lock()
	x.rlReason = v
	x.mu.Unlock()
}

// refuseLink answers a remote link write the extras refuse; false if none.
func (s *Server) refuseLink(w http.ResponseWriter, r *http.Request, key string, existing int, hasGlobalID func() bool) bool {
	x := s.extras()
	x.mu.Lock()
	locked, cap := x.locked[key], x.linkCap
	x.mu.Unlock()
	switch {
	case locked && (r.Method == http.MethodPost || r.Method == http.MethodDelete):
		writeError(w, http.StatusForbidden, "You do not have permission to edit issue "+key+".")
		return true
	case cap > 0 && r.Method == http.MethodPost && existing >= cap && !hasGlobalID():
		writeJSONStatus(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{fmt.Sprintf("The number of remote links on this issue has reached the limit of %d.", cap)}, "errors": map[string]string{}})
		return true
	}
	return false
}

var (
	issueSubPath = regexp.MustCompile(`^/rest/api/2/issue/([^/]+)/(comment|worklog|transitions)$`)
)

// serveExtras answers the resources above; false when path is none of them.
func (s *Server) serveExtras(w http.ResponseWriter, r *http.Request, path string, body []byte) bool {
	if path == "/rest/api/2/user/search" && r.Method == http.MethodGet {
		s.userSearch(w, r)
		return true
	}
	m := issueSubPath.FindStringSubmatch(path)
	if m == nil {
		return false
	}
	key, what := m[1], m[2]
	s.mu.Lock()
	exists := s.issues[key] || s.anyIssue
	s.mu.Unlock()
	if !exists {
		writeError(w, http.StatusNotFound, "Issue Does Not Exist")
		return true
	}
	x := s.extras()
	x.mu.Lock()
	defer x.mu.Unlock()
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000-0700")
	author := map[string]any{"self": s.URL + "/rest/api/2/user?username=admin", "name": "admin", "key": "JIRAUSER10100", "displayName": "Alice Admin", "active": true, "timeZone": "Europe/Berlin"}
	switch {
	case what == "comment" && r.Method == http.MethodPost:
		var in struct {
			Body string `json:"body"`
		}
		if json.Unmarshal(body, &in) != nil || strings.TrimSpace(in.Body) == "" {
			writeJSONStatus(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{}, "errors": map[string]string{"comment": "Comment body can not be empty!"}})
			return true
		}
		x.nextID++
		c := Comment{ID: fmt.Sprint(x.nextID), Body: in.Body}
		x.comments[key] = append(x.comments[key], c)
		writeJSONStatus(w, http.StatusCreated, s.commentJSON(key, c, author, now))
	case what == "comment" && r.Method == http.MethodGet:
		cs := []any{}
		for _, c := range x.comments[key] {
			cs = append(cs, s.commentJSON(key, c, author, now))
		}
		writeJSON(w, http.StatusOK, map[string]any{"startAt": 0, "maxResults": 1048576, "total": len(cs), "comments": cs})
	case what == "worklog" && r.Method == http.MethodPost:
		var in struct {
			TimeSpentSeconds int    `json:"timeSpentSeconds"`
			Started          string `json:"started"`
			Comment          string `json:"comment"`
		}
		if json.Unmarshal(body, &in) != nil || in.TimeSpentSeconds <= 0 {
			writeJSONStatus(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{}, "errors": map[string]string{"timeLogged": "You must indicate the time spent working."}})
			return true
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000-0700", in.Started); err != nil {
			writeJSONStatus(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{}, "errors": map[string]string{"started": "Invalid start time."}})
			return true
		}
		x.nextID++
		wl := Worklog{ID: fmt.Sprint(x.nextID), Comment: in.Comment, Started: in.Started, TimeSpentSeconds: in.TimeSpentSeconds}
		x.worklogs[key] = append(x.worklogs[key], wl)
		writeJSONStatus(w, http.StatusCreated, s.worklogJSON(key, wl, author, now))
	case what == "worklog" && r.Method == http.MethodGet:
		ws := []any{}
		for _, wl := range x.worklogs[key] {
			ws = append(ws, s.worklogJSON(key, wl, author, now))
		}
		writeJSON(w, http.StatusOK, map[string]any{"startAt": 0, "maxResults": len(ws), "total": len(ws), "worklogs": ws})
	case what == "transitions" && r.Method == http.MethodGet:
		st := x.status[key]
		if st == "" {
			st = "Open"
		}
		ts := []any{}
		for _, t := range defaultWorkflow[st] {
			ts = append(ts, map[string]any{
				"id": transitionIDs[t[0]], "name": t[0],
				"to": map[string]any{"self": s.URL + "/rest/api/2/status/1", "description": "", "iconUrl": s.URL + "/images/icons/statuses/open.png", "name": t[1], "id": "1",
					"statusCategory": map[string]any{"self": s.URL + "/rest/api/2/statuscategory/2", "id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"}},
				"hasScreen": false, "isGlobal": false, "isInitial": false, "isAvailable": true, "isConditional": false,
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{"expand": "transitions", "transitions": ts})
	case what == "transitions" && r.Method == http.MethodPost:
		var in struct {
			Transition struct {
				ID string `json:"id"`
			} `json:"transition"`
		}
		json.Unmarshal(body, &in)
		st := x.status[key]
		if st == "" {
			st = "Open"
		}
		for _, t := range defaultWorkflow[st] {
			if transitionIDs[t[0]] == in.Transition.ID {
				x.status[key] = t[1]
				w.WriteHeader(http.StatusNoContent)
				return true
			}
		}
		writeJSONStatus(w, http.StatusBadRequest, map[string]any{"errorMessages": []string{"It seems that you have tried to perform a workflow operation (" + in.Transition.ID + ") that is not valid for the current state of this issue (" + key + ")."}, "errors": map[string]string{}})
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
	return true
}

func (s *Server) commentJSON(key string, c Comment, author map[string]any, now string) map[string]any {
	return map[string]any{"self": s.URL + "/rest/api/2/issue/" + key + "/comment/" + c.ID, "id": c.ID, "author": author, "body": c.Body, "updateAuthor": author, "created": now, "updated": now}
}

func (s *Server) worklogJSON(key string, wl Worklog, author map[string]any, now string) map[string]any {
	return map[string]any{"self": s.URL + "/rest/api/2/issue/" + key + "/worklog/" + wl.ID, "author": author, "updateAuthor": author, "comment": wl.Comment,
		"created": now, "updated": now, "started": wl.Started, "timeSpent": fmt.Sprintf("%dm", wl.TimeSpentSeconds/60), "timeSpentSeconds": wl.TimeSpentSeconds, "id": wl.ID, "issueId": "10002"}
}

// userSearch answers GET /rest/api/2/user/search: Data Center matches
// ?username= against user names, display names and e-mail addresses by
// prefix; Cloud matches ?query= and, as most Cloud sites hide e-mail
// addresses, answers them only when asked by exact address.
func (s *Server) userSearch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	cloud := s.deployment == "Cloud"
	s.mu.Unlock()
	q := r.URL.Query().Get("username")
	if cloud {
		q = r.URL.Query().Get("query")
	}
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		writeError(w, http.StatusBadRequest, "The username query parameter was not provided")
		return
	}
	x := s.extras()
	x.mu.Lock()
	users := slices.Clone(x.users)
	x.mu.Unlock()
	out := []map[string]any{}
	for i, u := range users {
		if !strings.HasPrefix(strings.ToLower(u.Name), q) && !strings.HasPrefix(strings.ToLower(u.Email), q) && !strings.HasPrefix(strings.ToLower(u.DisplayName), q) {
			continue
		}
		m := map[string]any{"self": s.URL + "/rest/api/2/user?username=" + u.Name, "key": fmt.Sprintf("JIRAUSER%d", 10200+i), "name": u.Name,
			"emailAddress": u.Email, "displayName": u.DisplayName, "active": true, "deleted": false, "timeZone": "Europe/Berlin", "locale": "en_US",
			"avatarUrls": map[string]string{"48x48": s.URL + "/secure/useravatar?avatarId=10122"}}
		if cloud {
			delete(m, "name")
			delete(m, "key")
			m["accountId"] = fmt.Sprintf("5b10a2844c20165700ede%03d", i)
			m["accountType"] = "atlassian"
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}
