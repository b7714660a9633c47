package forge

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseResponses feeds every host's list, key and error parsers (and the
// Link header reader) arbitrary bodies: none may panic, a parsed list stays
// within the body's size, and an error message is one printable line once
// it went through serverMessage.
func FuzzParseResponses(f *testing.F) {
	for _, s := range []string{
		`[{"id":1,"key":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI","title":"t","read_only":true}]`,
		`{"pagelen":10,"values":[{"id":2,"key":"ssh-rsa AAAA","label":"l"}],"next":"https://api.bitbucket.org/2.0/x?page=2"}`,
		`{"size":1,"isLastPage":false,"nextPageStart":25,"values":[{"key":{"id":3,"text":"ssh-ed25519 AAAA","label":"x"},"permission":"REPO_READ"}]}`,
		`{"message":{"deploy_key.fingerprint_sha256":["has already been taken"]}}`,
		`{"message":"Validation Failed","errors":[{"message":"key is already in use"}]}`,
		`{"type":"error","error":{"message":"Bad request","fields":{"key":["x"]},"detail":"d"}}`,
		`{"errors":[{"context":null,"message":"m\u001b[31m","exceptionName":"e"}]}`,
		`{"error":"insufficient_scope","error_description":"more"}`,
		`{"id":"abc","key":null}`, `null`, `[]`, `{}`, "\x00\xff",
	} {
		f.Add([]byte(s), `<https://h/x?page=2>; rel="next", <https://h/x?page=9>; rel="last"`)
	}
	f.Fuzz(func(t *testing.T, body []byte, link string) {
		h := http.Header{}
		h.Set("Link", link)
		_ = nextLink(h)
		for kind, api := range hostAPIs {
			keys, _, err := api.parseList(body, h)
			if err == nil && len(keys) > len(body) {
				t.Fatalf("%s: %d keys from %d bytes", kind, len(keys), len(body))
			}
			_, _ = api.parseKey(body)
			msg := serverMessage(api.errorMessage(body))
			if strings.ContainsAny(msg, "\n\r\x1b") || !utf8.ValidString(msg) {
				t.Fatalf("%s: message %q is not one clean line", kind, msg)
			}
		}
		_, _ = keyMaterial(string(body))
	})
}

// FuzzRepoFromPath: any URL path gives a repository whose parts are
// non-empty path segments without traversal, or an error; never a panic.
func FuzzRepoFromPath(f *testing.F) {
	for _, s := range []string{"octo/app.git", "/group/sub/app", "/scm/PRJ/app.git", "../x/y", "a//b", "~u/r", "a/b%2f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		for _, k := range Kinds {
			r, err := RepoFromPath(k, p)
			if err != nil {
				continue
			}
			if r.Owner == "" || r.Name == "" || strings.Contains(r.Name, "/") || strings.Contains("/"+r.Owner+"/"+r.Name+"/", "/../") {
				t.Fatalf("%s %q -> %+v", k, p, r)
			}
		}
	})
}
