package store

import "strings"

// IssueKeys returns the Jira issue keys in a commit message (subject and
// body), each once, in order of first appearance. A key has Jira's syntax
// [A-Z][A-Z0-9_]+-[0-9]+ and is not preceded by a letter, digit or
// underscore nor followed by a digit, so "XPROJ-7" and "PROJ-70" do not
// mention PROJ-7. Go's regexp has no look-around, and the index runs this on
// every commit, so it is a hand-written scanner: one pass, no allocation
// when the message mentions nothing.
func IssueKeys(message string) []string {
	var keys []string
	s := message
	n := len(s)
	for i := 0; i < n; {
		c := s[i]
		if !isUpper(c) || (i > 0 && isWordChar(s[i-1])) {
			i++
			continue
		}
		j := i + 1
		for j < n && isKeyChar(s[j]) {
			j++
		}
		// Every position inside the run [i,j) is preceded by a word
		// character, so none can start a key: resume after the run.
		if j-i < 2 || j >= n || s[j] != '-' {
			i = j
			continue
		}
		k := j + 1
		for k < n && isDigit(s[k]) {
			k++
		}
		if k == j+1 {
			i = j + 1
			continue
		}
		// The digits run is maximal, so the key is never followed by a digit.
		key := s[i:k]
		dup := false
		for _, have := range keys {
			if have == key {
				dup = true
				break
			}
		}
		if !dup {
			// Clone: the message may be a view of a large buffer (a mapped
			// packfile); the key must not keep it alive.
			keys = append(keys, strings.Clone(key))
		}
		i = k
	}
	return keys
}

// ProjectOf returns the project key of an issue key ("PROJ" for "PROJ-7").
func ProjectOf(issueKey string) string {
	if i := strings.LastIndexByte(issueKey, '-'); i > 0 {
		return issueKey[:i]
	}
	return ""
}

// ValidIssueKey reports whether s is exactly one issue key, e.g. "PROJ-7".
func ValidIssueKey(s string) bool {
	keys := IssueKeys(s)
	return len(keys) == 1 && keys[0] == s
}

func isUpper(c byte) bool    { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isKeyChar(c byte) bool  { return isUpper(c) || isDigit(c) || c == '_' }
func isWordChar(c byte) bool { return isKeyChar(c) || c >= 'a' && c <= 'z' }
