package common

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// OpenBrowser opens url in the user's browser: $BROWSER when set, else
// xdg-open (open on macOS). Only http(s) addresses are opened. It does not
// wait for the browser.
func OpenBrowser(url string) error {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return errors.New("not a web address")
	}
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	if b := strings.TrimSpace(os.Getenv("BROWSER")); b != "" {
		name = strings.Split(b, ":")[0]
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return errors.New("no browser found: set BROWSER")
	}
	cmd := exec.Command(path, url)
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
