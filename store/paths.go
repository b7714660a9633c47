package store

import (
	"os"
	"path/filepath"
	"strings"
)

// Paths says where gitjira keeps its files: Config holds the Jira site
// configuration, Data the repositories list, stored keys, mirrors and index.
// Both are absolute directories (see shared/CLI.md).
type Paths struct {
	Config, Data string
}

// DefaultPaths follows shared/CLI.md: $GITJIRA_HOME holds everything when set;
// otherwise configuration goes under $XDG_CONFIG_HOME/gitjira (default
// ~/.config/gitjira) and data under $XDG_DATA_HOME/gitjira (default
// ~/.local/share/gitjira). Relative XDG values are ignored, as the XDG base
// directory specification asks.
func DefaultPaths() Paths {
	if h := os.Getenv("GITJIRA_HOME"); h != "" {
		h = absOr(h)
		return Paths{Config: h, Data: h}
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		// No home directory (a stripped-down service account): fall back to
		// the working directory rather than to "/", so nothing lands in the root.
		home = absOr(".")
	}
	config := filepath.Join(home, ".config")
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		config = x
	}
	data := filepath.Join(home, ".local", "share")
	if x := os.Getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		data = x
	}
	return Paths{Config: filepath.Join(config, "gitjira"), Data: filepath.Join(data, "gitjira")}
}

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// ReposFile is the repositories list (versioned JSON).
func (p Paths) ReposFile() string { return filepath.Join(p.Data, "repositories.json") }

// KeysDir holds the private keys of the repositories, one <name>.key file
// each, mode 0600, stored as given (still encrypted if they were).
func (p Paths) KeysDir() string { return filepath.Join(p.Data, "keys") }

// MirrorsDir holds the bare mirrors, one <name>.git directory each.
func (p Paths) MirrorsDir() string { return filepath.Join(p.Data, "mirrors") }

// IndexDir holds the commit index, one file per repository.
func (p Paths) IndexDir() string { return filepath.Join(p.Data, "index") }

// JiraConfigFile holds the configured Jira site (URL and token), mode 0600.
func (p Paths) JiraConfigFile() string { return filepath.Join(p.Config, "jira.json") }

// MirrorDir is where the mirror of the repository called name goes.
func (p Paths) MirrorDir(name string) string { return filepath.Join(p.MirrorsDir(), name+".git") }

// Resolve is a path stored in the repositories list as an absolute path: a
// relative one is relative to Data (the list stores its own files that way,
// so a moved or copied home works on its own files).
func (p Paths) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.Data, path)
}

// Relative is how the list stores path: relative to Data when it is inside
// it ("mirrors/app.git"), else as given.
func (p Paths) Relative(path string) string {
	if path == "" || !filepath.IsAbs(path) || p.Data == "" {
		return path
	}
	rel, err := filepath.Rel(p.Data, path)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}
