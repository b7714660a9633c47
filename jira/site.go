package jira

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Site is the configured Jira Data Center/Server site: its base URL and the
// personal access token. The token is kept out of JSON (json:"-") and out of
// fmt output (String, GoString), so printing a Site never shows it.
type Site struct {
	URL   string `json:"url"`
	Token string `json:"-"`
}

// String describes the site without its token.
func (s Site) String() string {
	tok := "<none>"
	if s.Token != "" {
		tok = "<hidden>"
	}
	return fmt.Sprintf("jira.Site{URL: %s, Token: %s}", s.URL, tok)
}

// GoString hides the token from %#v too.
func (s Site) GoString() string { return s.String() }

// Client returns a client for the site.
func (s Site) Client() (*Client, error) { return NewClient(s.URL, s.Token) }

// siteFileVersion is the format version of the Jira config file; a file with
// another version is refused, never overwritten silently by LoadSite.
const siteFileVersion = 1

// siteFile is the on-disk form of a Site (JiraConfigFile, mode 0600).
type siteFile struct {
	Version int    `json:"version"`
	URL     string `json:"url"`
	Token   string `json:"token"`
}

// LoadSite reads the configured site. It returns nil, nil when no site is
// configured. A file readable by other users is refused (it holds a token).
func LoadSite(p Paths) (*Site, error) {
	path := p.JiraConfigFile()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the Jira configuration %s: %v", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s holds the Jira token but other users may read it (mode %#o): run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	var sf siteFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("%s is not a gitjira Jira configuration (%v): fix it, or delete it and run gitjira jira login --url URL", path, err)
	}
	if sf.Version != siteFileVersion {
		return nil, fmt.Errorf("%s has format version %d, this gitjira reads version %d: use a newer gitjira, or delete it and run gitjira jira login --url URL", path, sf.Version, siteFileVersion)
	}
	if sf.URL == "" || sf.Token == "" {
		return nil, fmt.Errorf("%s has no URL or no token: run gitjira jira login --url URL", path)
	}
	return &Site{URL: sf.URL, Token: sf.Token}, nil
}

// SaveSite stores the site in JiraConfigFile with mode 0600, atomically: a
// temporary file in the same directory is written, synced and renamed over
// the old one, so a crash leaves either the old or the new configuration.
func SaveSite(p Paths, s Site) error {
	base, err := NormalizeBaseURL(s.URL)
	if err != nil {
		return err
	}
	if err := checkToken(s.Token); err != nil {
		return err
	}
	b, err := json.MarshalIndent(siteFile{Version: siteFileVersion, URL: base, Token: s.Token}, "", "  ")
	if err != nil {
		return err
	}
	return writeSiteFileAtomic(p.JiraConfigFile(), append(b, '\n'))
}

// writeSiteFileAtomic writes data to path with mode 0600 through a temporary file
// in the same directory (created 0700 if missing), fsync and rename.
func writeSiteFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %v", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // CreateTemp makes it 0600
	if err != nil {
		return fmt.Errorf("cannot write in %s: %v", dir, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
