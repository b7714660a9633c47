package jira

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func clientTestPaths(t *testing.T) Paths {
	t.Helper()
	d := t.TempDir()
	return Paths{Config: filepath.Join(d, "config"), Data: filepath.Join(d, "data")}
}

func TestSiteSaveLoad(t *testing.T) {
	p := clientTestPaths(t)
	if s, err := LoadSite(p); s != nil || err != nil {
		t.Fatalf("LoadSite without a file = %v, %v; want nil, nil", s, err)
	}
	if err := SaveSite(p, Site{URL: "https://Jira.example.com/jira/", Token: "s3cret-PAT"}); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSite(p)
	if err != nil || s == nil || s.URL != "https://jira.example.com/jira" || s.Token != "s3cret-PAT" {
		t.Fatalf("LoadSite = %v (token ok: %v), %v", s, s != nil && s.Token == "s3cret-PAT", err)
	}
	fi, err := os.Stat(p.JiraConfigFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	di, _ := os.Stat(p.Config)
	if di.Mode().Perm() != 0o700 {
		t.Errorf("config dir mode %v; want 0700", di.Mode().Perm())
	}

	// Overwrite: still one file, no temporary file left over.
	if err := SaveSite(p, Site{URL: "https://other.example.com", Token: "n3w"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(p.Config)
	if len(entries) != 1 {
		t.Errorf("config dir holds %d entries, want only the config file", len(entries))
	}
	if s, _ := LoadSite(p); s == nil || s.Token != "n3w" {
		t.Errorf("after overwrite: %v", s)
	}
}

func TestSiteSaveRefusesBadInput(t *testing.T) {
	p := clientTestPaths(t)
	for _, s := range []Site{{URL: "jira.example.com", Token: "x"}, {URL: "https://jira.example.com", Token: ""}, {URL: "https://u:p@h", Token: "x"}} {
		if err := SaveSite(p, s); err == nil {
			t.Errorf("SaveSite(%v) accepted", s)
		}
	}
	if _, err := os.Stat(p.JiraConfigFile()); !os.IsNotExist(err) {
		t.Errorf("a refused save wrote a file: %v", err)
	}
	// A config directory that is a file: error, nothing half-written.
	os.MkdirAll(filepath.Dir(p.Config), 0o700)
	os.WriteFile(p.Config, []byte("x"), 0o600)
	if err := SaveSite(p, Site{URL: "https://jira.example.com", Token: "x"}); err == nil || !strings.Contains(err.Error(), p.Config) {
		t.Errorf("SaveSite into a file: %v", err)
	}
}

func TestLoadSiteRefusesBadFiles(t *testing.T) {
	tests := []struct {
		name, content string
		mode          os.FileMode
		has           string
	}{
		{"corrupt", "{not json", 0o600, "is not a gitjira Jira configuration"},
		{"future version", `{"version":2,"url":"https://j","token":"t"}`, 0o600, "format version 2"},
		{"no token", `{"version":1,"url":"https://j"}`, 0o600, "no URL or no token"},
		{"world readable", `{"version":1,"url":"https://j","token":"t"}`, 0o644, "chmod 600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := clientTestPaths(t)
			os.MkdirAll(p.Config, 0o700)
			path := p.JiraConfigFile()
			os.WriteFile(path, []byte(tt.content), tt.mode)
			os.Chmod(path, tt.mode)
			s, err := LoadSite(p)
			if err == nil || s != nil || !strings.Contains(err.Error(), tt.has) || !strings.Contains(err.Error(), path) {
				t.Errorf("LoadSite = %v, %v; want an error naming %s with %q", s, err, path, tt.has)
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Error("LoadSite changed the file")
			}
		})
	}
}

func TestSiteNeverShowsToken(t *testing.T) {
	s := Site{URL: "https://jira.example.com", Token: "s3cret-PAT"}
	b, _ := json.Marshal(s)
	outs := []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), fmt.Sprintf("%v %+v", &s, &s), string(b)}
	for _, o := range outs {
		if strings.Contains(o, "s3cret") {
			t.Errorf("token shown: %s", o)
		}
	}
	if !strings.Contains(fmt.Sprint(s), "https://jira.example.com") {
		t.Errorf("String lacks the URL: %s", s)
	}
}
