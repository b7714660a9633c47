package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/fsatomic"
	"github.com/gitjira/gitjira/internal/safefile"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/store"
)

// Applying smart commits. Comments and worklogs are not idempotent, so
// every command goes through a journal (links/smart-<ID>.json, under its own
// lock): commands are recorded as pending before anything is sent, marked
// "sending" before their request and "done" after it. A run killed between
// the two finds the command "sending" and looks on the issue for it (the
// comment or worklog carries a marker naming the commit and the command)
// before sending it again, so each command happens once.
//
// Only commits a fetch indexed for the first time (sync's added commits)
// are looked at, and only while the repository's smart commits are on:
// never a backfill (repos link), a resync or the first index of a clone.
// The author's e-mail must match exactly one Jira user (user search); the
// request is made as gitjira's Jira user, and each comment or worklog names
// the person and the commit. On Cloud with the Development panel (OAuth,
// store.Site.DevInfo) Jira applies smart commits itself, and gitjira does not.

// SmartOptions tunes ApplySmartCommits.
type SmartOptions struct {
	// Clock stamps the journal; nil = the real one.
	Clock Clock
	// AfterSending, tests only: called after a command's request was
	// answered, before the journal records it.
	AfterSending func(e SmartEntry)
}

// SmartReport says what smart commits did in a run.
type SmartReport struct {
	Applied int          `json:"applied"`
	Skipped []SmartEntry `json:"skipped,omitempty"` // with their reasons (at most 50)
	Pending int          `json:"pending"`           // left for the next run (Jira did not answer)
	Note    string       `json:"note,omitempty"`    // why none ran, when none did
}

// SmartEntry is one command in the journal.
type SmartEntry struct {
	ID     string       `json:"id"` // <sha>/<n>: the commit and the command's place in it
	SHA    string       `json:"sha"`
	Email  string       `json:"email,omitempty"`
	Author string       `json:"author,omitempty"`
	When   time.Time    `json:"when"`
	Cmd    SmartCommand `json:"cmd"`
	State  string       `json:"state"` // pending, sending, done, skipped
	Reason string       `json:"reason,omitempty"`
}

const (
	smartPending = "pending"
	smartSending = "sending"
	smartDone    = "done"
	smartSkipped = "skipped"
)

type smartJournal struct {
	Version int          `json:"version"`
	Entries []SmartEntry `json:"entries"`
}

// smartJournalFile is the smart-commit journal of r.
func smartJournalFile(p store.Paths, r store.Repository) string {
	if r.ID != "" {
		return filepath.Join(p.Data, "links", "smart-id-"+safeFileName(r.ID)+".json")
	}
	return filepath.Join(p.Data, "links", "smart-name-"+safeFileName(r.Name)+".json")
}

// maxJournalDone bounds the journal: finished entries beyond it are
// dropped oldest first (their commits are never "added" again).
const maxJournalDone = 2000

// ApplySmartCommits applies the smart commit commands of added (the commits
// a fetch indexed for the first time) to Jira, once each. See above.
func ApplySmartCommits(ctx context.Context, p store.Paths, c *Client, site store.Site, repo store.Repository, added []index.CommitRef, o SmartOptions) (SmartReport, error) {
	var rep SmartReport
	if !repo.SmartCommits {
		return rep, nil
	}
	if site.DevInfo() {
		rep.Note = "Jira applies smart commits itself on this site (Development panel)"
		return rep, nil
	}
	if repo.Commits == 0 {
		rep.Note = "the first index of a repository is a backfill: no smart commits"
		return rep, nil
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	path := smartJournalFile(p, repo)
	lock, err := fsatomic.Acquire(ctx, path+".lock")
	if err != nil {
		return rep, err
	}
	defer lock.Unlock()
	fsatomic.CleanTemps(path)
	j, err := loadSmartJournal(path)
	if err != nil {
		return rep, err
	}
	known := map[string]bool{}
	for _, e := range j.Entries {
		known[e.SHA] = true
	}
	var gr *git.Repository
	for _, cm := range added {
		if known[cm.SHA] || !index.ValidSHA(cm.SHA) {
			continue
		}
		if gr == nil {
			if gr, err = git.PlainOpen(repo.Mirror); err != nil {
				return rep, fmt.Errorf("cannot open the mirror of %s for smart commits: %v", repo.Name, err)
			}
		}
		obj, err := gr.CommitObject(plumbing.NewHash(cm.SHA))
		if err != nil {
			continue
		}
		for n, cmd := range ParseSmartCommits(obj.Message, repo.AllowsIssue) {
			e := SmartEntry{ID: fmt.Sprintf("%s/%d", cm.SHA, n+1), SHA: cm.SHA, Email: termtext.Field(obj.Author.Email, 200),
				Author: termtext.Field(obj.Author.Name, 100), When: obj.Author.When, Cmd: cmd, State: smartPending}
			if cmd.Error != "" {
				e.State, e.Reason = smartSkipped, cmd.Error
			}
			j.Entries = append(j.Entries, e)
		}
	}
	if err := saveSmartJournal(path, j); err != nil {
		return rep, err
	}
	users := map[string]userMatch{}
	var runErr error
	for i := range j.Entries {
		e := &j.Entries[i]
		if e.State != smartPending && e.State != smartSending {
			continue
		}
		if runErr != nil || ctx.Err() != nil {
			rep.Pending++
			continue
		}
		err := applySmart(ctx, c, repo, e, users, func() error { return saveSmartJournal(path, j) }, o)
		if err != nil {
			if stopsSmart(err) {
				runErr = err
				rep.Pending++
				continue
			}
			e.State, e.Reason = smartSkipped, smartReason(err)
		}
		if e.State == smartDone {
			rep.Applied++
		}
		if err := saveSmartJournal(path, j); err != nil {
			return rep, err
		}
	}
	for _, e := range j.Entries {
		if e.State == smartSkipped && len(rep.Skipped) < 50 {
			rep.Skipped = append(rep.Skipped, e)
		}
	}
	trimJournal(j)
	if err := saveSmartJournal(path, j); err != nil && runErr == nil {
		runErr = err
	}
	return rep, runErr
}

// stopsSmart: the site's trouble (no answer, 5xx, 429, login refused):
// the command stays for the next run.
func stopsSmart(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.kind == ErrUnauthorized || ae.kind == ErrCaptcha || ae.Status >= 500 || ae.Status == http.StatusTooManyRequests
	}
	return true
}

func smartReason(err error) string {
	_, r := failureReason(err)
	return r
}

type userMatch struct {
	user *User
	why  string
}

// applySmart applies one command; e.State says what happened.
func applySmart(ctx context.Context, c *Client, repo store.Repository, e *SmartEntry, users map[string]userMatch, save func() error, o SmartOptions) error {
	um, ok := users[strings.ToLower(e.Email)]
	if !ok {
		u, why, err := c.UserByEmail(ctx, e.Email)
		if err != nil {
			return err
		}
		um = userMatch{u, why}
		users[strings.ToLower(e.Email)] = um
	}
	if um.user == nil {
		e.State, e.Reason = smartSkipped, um.why
		return nil
	}
	marker := fmt.Sprintf("[gitjira smart commit %s]", e.ID)
	by := fmt.Sprintf("%s, commit %s in %s %s", um.user.DisplayName, shortOf(e.SHA), termtext.Field(repo.Name, 100), marker)
	switch e.Cmd.Kind {
	case SmartComment, SmartTime:
		if e.State == smartSending {
			// Killed after sending? Look for the marker first.
			found, err := c.hasSmartMarker(ctx, e.Cmd.Issue, e.Cmd.Kind, marker)
			if err != nil {
				return err
			}
			if found {
				e.State = smartDone
				return nil
			}
		}
		e.State = smartSending
		if err := save(); err != nil {
			return err
		}
		var err error
		if e.Cmd.Kind == SmartComment {
			err = c.AddComment(ctx, e.Cmd.Issue, e.Cmd.Text+"\n\n— "+by)
		} else {
			text := "Work logged by " + by
			if e.Cmd.Text != "" {
				text = e.Cmd.Text + "\n\n— " + by
			}
			err = c.AddWorklog(ctx, e.Cmd.Issue, e.Cmd.Seconds, e.When, text)
		}
		if err != nil {
			return err
		}
		if o.AfterSending != nil {
			o.AfterSending(*e)
		}
		e.State = smartDone
		return nil
	case SmartTransition:
		ts, err := c.Transitions(ctx, e.Cmd.Issue)
		if err != nil {
			return err
		}
		var match []Transition
		for _, t := range ts {
			name := strings.ReplaceAll(strings.ToLower(t.Name), " ", "-")
			if strings.HasPrefix(name, e.Cmd.Transition) {
				match = append(match, t)
			}
		}
		switch {
		case len(match) == 0 && e.State == smartSending:
			// Sent before a kill: the issue has moved on.
			e.State = smartDone
			return nil
		case len(match) == 0:
			e.State, e.Reason = smartSkipped, fmt.Sprintf("no transition of %s starts with %q from its current status", e.Cmd.Issue, e.Cmd.Transition)
			return nil
		case len(match) > 1:
			var names []string
			for _, t := range match {
				names = append(names, t.Name)
			}
			e.State, e.Reason = smartSkipped, fmt.Sprintf("#%s matches several transitions of %s (%s): use more of the name", e.Cmd.Transition, e.Cmd.Issue, strings.Join(names, ", "))
			return nil
		}
		e.State = smartSending
		if err := save(); err != nil {
			return err
		}
		if err := c.DoTransition(ctx, e.Cmd.Issue, match[0].ID); err != nil {
			return err
		}
		if o.AfterSending != nil {
			o.AfterSending(*e)
		}
		e.State = smartDone
		return nil
	}
	e.State, e.Reason = smartSkipped, "unknown command"
	return nil
}

func loadSmartJournal(path string) (*smartJournal, error) {
	j := &smartJournal{Version: 1}
	b, err := safefile.Read(path, 64<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the smart commit journal %s: %v", path, err)
	}
	if err := json.Unmarshal(b, j); err != nil || j.Version != 1 {
		return nil, fmt.Errorf("the smart commit journal %s is corrupted: move it aside (commands it lists as pending or sending would then not be applied)", path)
	}
	return j, nil
}

func saveSmartJournal(path string, j *smartJournal) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := fsatomic.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot write the smart commit journal %s: %v", path, err)
	}
	return nil
}

func trimJournal(j *smartJournal) {
	finished := 0
	for _, e := range j.Entries {
		if e.State == smartDone || e.State == smartSkipped {
			finished++
		}
	}
	drop := finished - maxJournalDone
	if drop <= 0 {
		return
	}
	out := j.Entries[:0]
	for _, e := range j.Entries {
		if drop > 0 && (e.State == smartDone || e.State == smartSkipped) {
			drop--
			continue
		}
		out = append(out, e)
	}
	j.Entries = out
}

// UserByEmail finds the one active Jira user with this e-mail address (GET
// /rest/api/2/user/search: ?username= on Data Center, ?query= on Cloud). It
// returns nil and the reason when there is none or more than one.
func (c *Client) UserByEmail(ctx context.Context, email string) (*User, string, error) {
	email = strings.TrimSpace(email)
	if email == "" || !strings.Contains(email, "@") {
		return nil, "the commit's author has no e-mail address", nil
	}
	param := "username"
	if c.siteContext().kind == store.KindCloud {
		param = "query"
	}
	var us []User
	if _, err := c.do(ctx, http.MethodGet, "/rest/api/2/user/search?"+param+"="+url.QueryEscape(email)+"&maxResults=10", nil, &us); err != nil {
		return nil, "", err
	}
	var match []User
	for _, u := range us {
		if strings.EqualFold(strings.TrimSpace(u.EmailAddress), email) || (u.EmailAddress == "" && len(us) == 1) {
			match = append(match, u)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Sprintf("no Jira user has the author's e-mail %s", termtext.Field(email, 100)), nil
	case 1:
		u := match[0]
		u.DisplayName = termtext.Field(u.DisplayName, maxNameRunes)
		if u.DisplayName == "" {
			u.DisplayName = termtext.Field(email, 100)
		}
		return &u, "", nil
	}
	return nil, fmt.Sprintf("%d Jira users have the author's e-mail %s: ambiguous", len(match), termtext.Field(email, 100)), nil
}

func issueResource(issueKey, what string) (string, error) {
	if !issueKeyPattern.MatchString(issueKey) {
		return "", fmt.Errorf("%q is not a Jira issue key (like PROJ-7)", issueKey)
	}
	return "/rest/api/2/issue/" + url.PathEscape(issueKey) + "/" + what, nil
}

// AddComment adds a comment (POST /rest/api/2/issue/{key}/comment).
func (c *Client) AddComment(ctx context.Context, issueKey, body string) error {
	p, err := issueResource(issueKey, "comment")
	if err != nil {
		return err
	}
	var resp struct {
		ID string `json:"id"`
	}
	_, err = c.do(ctx, http.MethodPost, p, map[string]string{"body": body}, &resp)
	return err
}

// AddWorklog logs work (POST /rest/api/2/issue/{key}/worklog) started at
// started.
func (c *Client) AddWorklog(ctx context.Context, issueKey string, seconds int, started time.Time, comment string) error {
	p, err := issueResource(issueKey, "worklog")
	if err != nil {
		return err
	}
	body := map[string]any{
		"timeSpentSeconds": seconds,
		"started":          started.Format("2006-01-02T15:04:05.000-0700"),
		"comment":          comment,
	}
	var resp struct {
		ID string `json:"id"`
	}
	_, err = c.do(ctx, http.MethodPost, p, body, &resp)
	return err
}

// Transition is one of GET /rest/api/2/issue/{key}/transitions.
type Transition struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Transitions lists the transitions the user may make on the issue now.
func (c *Client) Transitions(ctx context.Context, issueKey string) ([]Transition, error) {
	p, err := issueResource(issueKey, "transitions")
	if err != nil {
		return nil, err
	}
	var resp struct {
		Transitions []Transition `json:"transitions"`
	}
	if _, err := c.do(ctx, http.MethodGet, p, nil, &resp); err != nil {
		return nil, err
	}
	for i := range resp.Transitions {
		resp.Transitions[i].Name = termtext.Field(resp.Transitions[i].Name, maxNameRunes)
	}
	return resp.Transitions, nil
}

// DoTransition makes a transition (POST …/transitions).
func (c *Client) DoTransition(ctx context.Context, issueKey, id string) error {
	p, err := issueResource(issueKey, "transitions")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodPost, p, map[string]any{"transition": map[string]string{"id": id}}, nil)
	return err
}

// hasSmartMarker looks for marker in the issue's newest comments or
// worklogs (the text of a command sent before a kill).
func (c *Client) hasSmartMarker(ctx context.Context, issueKey, kind, marker string) (bool, error) {
	what := "comment?orderBy=-created&maxResults=100"
	if kind == SmartTime {
		what = "worklog?maxResults=1000"
	}
	p, err := issueResource(issueKey, what)
	if err != nil {
		return false, err
	}
	var resp struct {
		Comments []struct {
			Body json.RawMessage `json:"body"`
		} `json:"comments"`
		Worklogs []struct {
			Comment json.RawMessage `json:"comment"`
		} `json:"worklogs"`
	}
	if _, err := c.do(ctx, http.MethodGet, p, nil, &resp); err != nil {
		return false, err
	}
	for _, cm := range resp.Comments {
		if strings.Contains(string(cm.Body), marker) {
			return true, nil
		}
	}
	for _, w := range resp.Worklogs {
		if strings.Contains(string(w.Comment), marker) {
			return true, nil
		}
	}
	return false, nil
}
