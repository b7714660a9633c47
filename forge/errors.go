package forge

import (
	"fmt"
	"net/http"
	"strings"
)

// APIError is a host's refusal, with the one line that says what to do.
type APIError struct {
	Kind    Kind
	Status  int    // HTTP status
	What    string // "add a deploy key to", "list the deploy keys of"
	Repo    Repo
	APIURL  string
	Message string // the host's own message, sanitised ("" when none)
	// Location is where a redirect pointed (3xx), sanitised.
	Location string
	// Hint says what to do; Error ends with it.
	Hint string
	kind error // ErrBadToken, ErrForbidden, ErrNotFound, ErrKeyInUse or nil
}

// Error is one line: what was refused, the host's words, what to do.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s refused to %s %s (%d %s", e.Kind.Name(), e.What, e.Repo, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	b.WriteString(")")
	if e.Hint != "" {
		b.WriteString(": " + e.Hint)
	}
	return b.String()
}

// Is matches the sentinel of the error's class (ErrBadToken, ErrForbidden,
// ErrNotFound, ErrKeyInUse).
func (e *APIError) Is(target error) bool { return e.kind != nil && target == e.kind }

// classify sets kind and Hint from the status and the host's message.
func (e *APIError) classify() {
	k := e.Kind
	msg := strings.ToLower(e.Message)
	inUse := strings.Contains(msg, "already") || strings.Contains(msg, "in use") || strings.Contains(msg, "been taken") || strings.Contains(msg, "been used")
	envs := strings.Join(k.TokenEnv(), " or ")
	switch {
	case e.Status >= 300 && e.Status < 400:
		e.Hint = "the API moved"
		if e.Location != "" {
			e.Hint += " to " + e.Location + ": pass that address with --api-url"
		} else {
			e.Hint += ": check --api-url"
		}
	case e.Status == http.StatusUnauthorized && k == BitbucketServer && !strings.Contains(msg, "authenticat"):
		// Bitbucket Data Center answers 401 both for a bad token and for a
		// user who may not add access keys; its message tells them apart.
		e.kind = ErrForbidden
		e.Hint = fmt.Sprintf("the token's user is not an admin of %s: use %s", e.Repo, k.TokenHelp())
	case e.Status == http.StatusUnauthorized:
		e.kind = ErrBadToken
		e.Hint = fmt.Sprintf("the token is wrong or expired: make a new one (%s) and pass it with --token-stdin or %s", k.TokenHelp(), envs)
	case e.Status == http.StatusForbidden:
		e.kind = ErrForbidden
		if strings.Contains(msg, "scope") {
			e.Hint = fmt.Sprintf("the token lacks a scope: use %s", k.TokenHelp())
		} else {
			e.Hint = fmt.Sprintf("the token's user may not manage deploy keys of %s (it needs admin rights there, or the token a scope): use %s", e.Repo, k.TokenHelp())
		}
	case e.Status == http.StatusNotFound:
		e.kind = ErrNotFound
		e.Hint = fmt.Sprintf("%s does not exist at %s, or the token cannot see it: check --url and --api-url, and that the token has access to the repository", e.Repo, e.APIURL)
	case (e.Status == http.StatusUnprocessableEntity || e.Status == http.StatusBadRequest || e.Status == http.StatusConflict) && inUse:
		e.kind = ErrKeyInUse
		e.Hint = fmt.Sprintf("%s accepts a key only once, and this one is already a deploy key of another repository or a user's SSH key: make a key for this repository (gitjira key generate -o FILE) and authorize that", k.Name())
	case e.Status == http.StatusUnprocessableEntity || e.Status == http.StatusBadRequest:
		e.Hint = "the host did not accept the key: check that it is an SSH public key the host supports (ed25519, ecdsa or rsa of 2048 bits or more)"
	case e.Status == http.StatusTooManyRequests:
		e.Hint = "too many requests: wait a minute and run the command again"
	case e.Status >= 500:
		e.Hint = "the host has a problem: try again later"
	}
}
