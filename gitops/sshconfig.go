package gitops

import (
	"os"
	"path/filepath"
	"strings"
)

// DefaultSSHConfigFile returns ~/.ssh/config (the file need not exist).
func DefaultSSHConfigFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".ssh", "config")
}

// ParseURLWithConfig is ParseURL followed by resolving the host with the
// OpenSSH client configuration, as `ssh` would for git: sshConfigPath ""
// means ~/.ssh/config then /etc/ssh/ssh_config, "none" no file, anything
// else that one file (ssh -F). Host and Match blocks, Include, tokens and
// CanonicalizeHostname apply (see ResolveSSHHost); a user or port written
// in the location wins, as on ssh's command line. The user is the
// location's, else the config's User, else the local login name. A
// directive that applies to the host and cannot be honoured is refused
// with a *ConfigError naming it.
func ParseURLWithConfig(s, sshConfigPath string) (*Endpoint, error) {
	ep, err := ParseURL(s)
	if err != nil {
		return nil, err
	}
	if err := ep.resolve(sshConfigPath); err != nil {
		return nil, err
	}
	return ep, nil
}

// resolve applies the SSH configuration to an endpoint fresh from ParseURL.
func (ep *Endpoint) resolve(sshConfigPath string) error {
	user, port := "", 0
	if ep.userGiven {
		user = ep.User
	}
	if ep.portGiven {
		port = ep.Port
	}
	route, err := ResolveSSHHost(ep.Host, user, port, sshConfigPath)
	if err != nil {
		return err
	}
	alias := ep.Host
	ep.Route = route
	ep.User, ep.Port = route.User, route.Port
	if route.HostName != "" && route.HostName != alias {
		ep.Host = route.HostName
		ep.Alias = alias
	}
	ep.IdentityFiles = route.IdentityFiles
	if r := checkParts(ep); r != "" {
		return &URLError{Input: ep.Original, Reason: "after applying the SSH config: " + r}
	}
	return nil
}

// SSHConfigHosts returns the Host aliases of an ssh_config file (""
// means ~/.ssh/config) that name one host: no wildcards, no negations. They
// are offered as suggestions for the repository location. A missing or
// unreadable file gives none.
func SSHConfigHosts(sshConfigPath string) []string {
	if sshConfigPath == "" {
		sshConfigPath = DefaultSSHConfigFile()
	}
	if sshConfigPath == "none" {
		return nil
	}
	lines, err := readConfigFile(sshConfigPath, true)
	if err != nil {
		return nil
	}
	var hosts []string
	for _, l := range lines {
		if l.keyword != "host" {
			continue
		}
		for _, p := range l.args {
			if p == "" || strings.ContainsAny(p, "*?!") || containsStr(hosts, p) || !hostLineMatches(l.args, p) {
				continue
			}
			hosts = append(hosts, p)
		}
	}
	return hosts
}

// RouteText is the route in one line: user@host:port, then the jump hosts
// or the proxy command when there are any.
func (ep *Endpoint) RouteText() string {
	s := ep.User + "@" + ep.Addr()
	if ep.Route == nil {
		return s
	}
	if len(ep.Route.ProxyJump) > 0 {
		s += " via jump " + strings.Join(ep.Route.ProxyJump, ", ")
	} else if ep.Route.ProxyCommand != "" {
		s += " via proxy command " + ep.Route.ProxyCommand
	}
	return s
}
