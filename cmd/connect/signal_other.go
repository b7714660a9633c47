//go:build !unix

package connect

// quitWizard does nothing where there is no SIGTERM to send: the wizard
// then ends with the terminal.
func quitWizard() {}
