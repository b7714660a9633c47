package sshdtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// StartForge starts a Server whose sessions run in ReposDir, so that
// repositories are reached by relative paths as on the big forges
// (git@github.com:octo/app.git runs git-upload-pack 'octo/app.git'): make
// them with NewBareRepo("octo/app", n) and reach them through ForgeURL, or
// as URL("octo/app.git").
func StartForge(t testing.TB, opts Options) *Server {
	t.Helper()
	// HOME is the server's home directory (see config): its sibling is
	// ReposDir. As on GitHub, ssh://host/octo/app.git (a leading slash)
	// means the same repository as host:octo/app.git.
	opts.ExtraConfig = append(opts.ExtraConfig,
		`ForceCommand cd "$HOME/../repos" && exec sh -c "$(printf '%s' "$SSH_ORIGINAL_COMMAND" | sed "s|'/|'|")"`)
	return Start(t, opts)
}

// ForgeURL returns a scp-like location alias:path for a repository of a
// StartForge server, and the ssh_config file that makes alias mean this
// server (HostName 127.0.0.1, its port, its user): pass both to
// gitops.ParseURLWithConfig or a command's --url and SSH config.
func (s *Server) ForgeURL(alias, path string) (url, sshConfig string) {
	s.t.Helper()
	cfg := filepath.Join(s.t.TempDir(), "ssh_config")
	body := fmt.Sprintf("Host %s\n  HostName %s\n  Port %d\n  User %s\n", alias, s.Host(), s.Port(), s.User)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return alias + ":" + path, cfg
}
