package lifecycle

import (
	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/store"
)

// Location is the repository's location as it was typed (an ~/.ssh/config
// alias and all) when the list holds it, else its stored URL. Every
// connection resolves it afresh, so a changed alias (a new bastion, a new
// HostName) applies without reconnecting.
func Location(r store.Repository) string {
	if r.Alias != "" {
		return r.Alias
	}
	return r.URL
}

// Endpoint resolves the repository's location with the SSH configuration
// as it is now: the route (user, host, port, jump hosts, proxy command,
// certificates, known_hosts files) of its next connection.
//
// When the typed location was an alias that the config no longer renames
// (its Host entry was deleted), the route last connected (the stored URL)
// is used rather than the bare alias as a host name.
func (m *Manager) Endpoint(r store.Repository) (*gitops.Endpoint, error) {
	ep, err := gitops.ParseURLWithConfig(Location(r), m.sshConfig())
	if err != nil || r.Alias == "" || ep.Alias != "" || r.URL == "" {
		return ep, err
	}
	stored, err2 := gitops.ParseURLWithConfig(r.URL, m.sshConfig())
	if err2 != nil || stored.Host == ep.Host {
		return ep, nil
	}
	return stored, nil
}

// RouteText describes in one line how the repository's next connection
// goes ("root@10.0.0.5:22 via jump bastion", "... via proxy command nc %h
// %p"), or why its location does not resolve.
func (m *Manager) RouteText(r store.Repository) string {
	ep, err := m.Endpoint(r)
	if err != nil {
		return "does not resolve: " + err.Error()
	}
	return ep.RouteText()
}

// agentSocket is the ssh-agent for r's connections: the SSH config's
// IdentityAgent for its location when set ("none": no agent), else
// fallback ($SSH_AUTH_SOCK).
func (m *Manager) agentSocket(r store.Repository, fallback string) string {
	ep, err := m.Endpoint(r)
	if err != nil || ep.Route == nil || ep.Route.IdentityAgent == "" {
		return fallback
	}
	if ep.Route.IdentityAgent == "none" {
		return ""
	}
	return ep.Route.IdentityAgent
}
