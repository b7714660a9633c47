package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gitjira/gitjira/internal/safefile"

	"github.com/gitjira/gitjira/internal/termtext"
	sshconfig "github.com/kevinburke/ssh_config"
)

// DefaultSSHConfigFile returns ~/.ssh/config (the file need not exist).
func DefaultSSHConfigFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".ssh", "config")
}

// ParseURLWithConfig is ParseURL followed by resolving the host as a Host
// alias of the OpenSSH client configuration file sshConfigPath ("" means
// ~/.ssh/config): HostName, Port, User and IdentityFile apply as ssh would
// apply them, except that a user or port written in the location wins. A
// missing file is not an error. Only that one file (and its Includes) is
// read, never /etc/ssh/ssh_config, so results do not depend on the machine.
func ParseURLWithConfig(s, sshConfigPath string) (*Endpoint, error) {
	ep, err := ParseURL(s)
	if err != nil {
		return nil, err
	}
	if sshConfigPath == "" {
		sshConfigPath = DefaultSSHConfigFile()
	}
	cfg, err := loadSSHConfig(sshConfigPath)
	if err != nil || cfg == nil {
		return ep, err
	}
	if err := applySSHConfig(ep, cfg, sshConfigPath); err != nil {
		return nil, err
	}
	return ep, nil
}

// maxSSHConfigSize bounds an ssh_config file read (internal/safefile).
const maxSSHConfigSize = 16 << 20

// loadSSHConfig reads one ssh_config file; nil, nil when it does not exist.
func loadSSHConfig(path string) (cfg *sshconfig.Config, err error) {
	data, err := safefile.Read(path, maxSSHConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading SSH config %s: %w", path, err)
	}
	return decodeSSHConfig(data, path)
}

// decodeSSHConfig parses ssh_config text (a UTF-8 byte-order mark is dropped).
func decodeSSHConfig(data []byte, path string) (cfg *sshconfig.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			cfg, err = nil, fmt.Errorf("SSH config %s: cannot parse it (%v): fix the file or pass the full ssh:// URL", path, r)
		}
	}()
	cfg, err = sshconfig.DecodeBytes(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if err != nil {
		return nil, fmt.Errorf("SSH config %s: %s: fix the file or pass the full ssh:// URL", path, termtext.OneLine(err.Error()))
	}
	return cfg, nil
}

// configGet and configGetAll shield callers from the library's panic on
// "Match" blocks, which it cannot evaluate.
func configGet(cfg *sshconfig.Config, alias, key string) (v string, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = "", fmt.Errorf("%v", r)
		}
	}()
	return cfg.Get(alias, key)
}

func configGetAll(cfg *sshconfig.Config, alias, key string) (v []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return cfg.GetAll(alias, key)
}

func applySSHConfig(ep *Endpoint, cfg *sshconfig.Config, path string) error {
	alias := ep.Host
	bad := func(key string, err error) error {
		return fmt.Errorf("SSH config %s: %s for host %q: %s; fix the file or pass the full ssh:// URL", path, key, alias, termtext.OneLine(err.Error()))
	}
	hostName, err := configGet(cfg, alias, "HostName")
	if err != nil {
		return bad("HostName", err)
	}
	portStr, err := configGet(cfg, alias, "Port")
	if err != nil {
		return bad("Port", err)
	}
	userName, err := configGet(cfg, alias, "User")
	if err != nil {
		return bad("User", err)
	}
	idFiles, err := configGetAll(cfg, alias, "IdentityFile")
	if err != nil {
		return bad("IdentityFile", err)
	}
	if hostName != "" {
		h := expandTokens(hostName, tokenVals{host: alias, alias: alias})
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if h != "" && h != alias {
			ep.Host = h
		}
		ep.Alias = alias
	} else if isExplicitHost(cfg, alias) {
		ep.Alias = alias
	}
	if portStr != "" && !ep.portGiven {
		n, err := strconv.Atoi(portStr)
		if err != nil || n < 1 || n > 65535 {
			return bad("Port", fmt.Errorf("%q is not a port number", portStr))
		}
		ep.Port = n
	}
	if userName != "" && !ep.userGiven {
		ep.User = expandTokens(userName, tokenVals{host: ep.Host, alias: alias})
	}
	for _, f := range idFiles {
		if strings.EqualFold(f, "none") {
			continue
		}
		p := expandTokens(f, tokenVals{host: ep.Host, alias: alias, user: ep.User, port: ep.Port})
		p = expandHome(p)
		if !contains(ep.IdentityFiles, p) {
			ep.IdentityFiles = append(ep.IdentityFiles, p)
		}
	}
	if r := checkParts(ep); r != "" {
		return &URLError{Input: ep.Original, Reason: "after applying " + path + ": " + r}
	}
	return nil
}

// isExplicitHost reports whether alias is named (without wildcards) on a Host line.
func isExplicitHost(cfg *sshconfig.Config, alias string) bool {
	for _, h := range cfg.Hosts {
		for _, p := range h.Patterns {
			// Pattern.String drops a leading '!': a negated entry does not match.
			if p.String() == alias && h.Matches(alias) {
				return true
			}
		}
	}
	return false
}

type tokenVals struct {
	host, alias, user string
	port              int
}

// expandTokens expands the ssh_config(5) TOKENS gitjira needs: %% %d %h %n
// %p %r %u. Unknown tokens are left as written.
func expandTokens(s string, v tokenVals) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 'd':
			home, _ := os.UserHomeDir()
			b.WriteString(home)
		case 'h':
			b.WriteString(v.host)
		case 'n':
			b.WriteString(v.alias)
		case 'p':
			port := v.port
			if port == 0 {
				port = DefaultPort
			}
			b.WriteString(strconv.Itoa(port))
		case 'r':
			b.WriteString(v.user)
		case 'u':
			if u, err := user.Current(); err == nil {
				b.WriteString(u.Username)
			}
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// expandHome turns a leading ~ or ~/ into the home directory.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SSHConfigHosts returns the Host aliases of an ssh_config file (""
// means ~/.ssh/config) that name one host: no wildcards, no negations. They
// are offered as suggestions for the repository location. A missing or
// unreadable file gives none.
func SSHConfigHosts(sshConfigPath string) []string {
	if sshConfigPath == "" {
		sshConfigPath = DefaultSSHConfigFile()
	}
	data, err := safefile.Read(sshConfigPath, maxSSHConfigSize)
	if err != nil {
		return nil
	}
	cfg, err := decodeSSHConfig(data, sshConfigPath)
	if err != nil {
		return nil
	}
	var hosts []string
	for _, h := range cfg.Hosts {
		for _, p := range h.Patterns {
			s := p.String()
			// Pattern.String drops a leading '!'; a negated entry does not match itself.
			if s == "" || strings.ContainsAny(s, "*?!") || contains(hosts, s) || !h.Matches(s) {
				continue
			}
			hosts = append(hosts, s)
		}
	}
	return hosts
}
