package keypicker

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/sshkeys"
)

// agentKeysMsg lists the keys a running ssh-agent holds.
type agentKeysMsg struct {
	socket string
	keys   []*sshkeys.Key
	err    error
}

// listAgentKeys asks the agent at socket for its keys ("" lists none). An
// agent that is not running is not an error worth showing: its keys are
// simply not offered.
func listAgentKeys(socket string) tea.Cmd {
	return func() tea.Msg {
		if socket == "" {
			return agentKeysMsg{socket: socket}
		}
		keys, err := sshkeys.AgentKeys(socket)
		return agentKeysMsg{socket: socket, keys: keys, err: err}
	}
}
