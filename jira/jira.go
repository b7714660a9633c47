// Package jira talks to a Jira site over REST: login and the kind of site
// (Cloud or Data Center/Server), the projects list, and the remote links that
// put a repository's commits on the issues they mention, idempotently and
// resumably (links.go, linking.go). What it stores about the site lives in
// package store; the commits to link come from package index. It has no UI
// code.
package jira
