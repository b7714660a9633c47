package jira

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"strings"

	"github.com/gitjira/gitjira/store"
)

// Repository identity (issue 16 item 3): what the globalIds of a
// repository's links contain, so the same repository connected again, from
// another home or another machine, updates the same links instead of adding
// new ones. It is derived from the resolved location alone, through
// LocationIdentity: the host (lower case, without a trailing dot), the port
// when it is not 22, and the path without leading or trailing slashes and
// without ".git". The SSH user is not part of it (git@ and another account
// reach the same repository), and neither is the name in the list, so a
// rename keeps it.

// LocationIdentity is the identity of the repository at a resolved location
// (ssh://[user@]host[:port]/path or the scp-like user@host:path); "" when
// the location has no host or path.
func LocationIdentity(location string) string {
	host, path, _, port := splitGitURL(strings.TrimSpace(location))
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return ""
	}
	path = strings.TrimPrefix(path, "~/")
	for strings.Contains(path, "//") {
		path = strings.ReplaceAll(path, "//", "/")
	}
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(path, ".git")
	path = strings.Trim(path, "/")
	if path == "" {
		return ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" && port != "22" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	return host + "/" + path
}

// RepositoryIdentity is r's identity: LocationIdentity of its resolved
// location, else (a location that does not parse) its ID or name.
func RepositoryIdentity(r store.Repository) string {
	if id := LocationIdentity(r.URL); id != "" {
		return id
	}
	if r.ID != "" {
		return r.ID
	}
	return r.Name
}

// LinkKey is the repository identity the globalIds of r's links contain
// (RepositoryIdentity).
func LinkKey(r store.Repository) string { return RepositoryIdentity(r) }

// AggregateGlobalID is the globalId of the one link of a repository (by
// identity) on an issue: gitjira:<identity>:<ISSUE-KEY>.
func AggregateGlobalID(identity, issue string) string { return boundedGlobalID(identity, issue) }

// LinkGlobalID is the globalId of the link of one commit of the repository
// whose identity is key (the per-commit style): gitjira:<identity>:<sha>.
func LinkGlobalID(key, sha string) string { return boundedGlobalID(key, sha) }

// boundedGlobalID keeps globalIds within Jira's 255 characters: a longer
// identity is replaced by a hash, stable and unique.
func boundedGlobalID(key, tail string) string {
	id := "gitjira:" + key + ":" + tail
	if len(id) <= 255 {
		return id
	}
	h := sha256.Sum256([]byte(key))
	return "gitjira:" + hex.EncodeToString(h[:16]) + ":" + tail
}
