package keypicker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gitjira/gitjira/ui/common"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/sshkeys"
)

// This file holds the picker's commands: everything that touches the disk
// or sshkeys, each returning a typed message; the ones a newer request
// makes stale carry their common.Request.

// Candidate is a key offered in the "choose a key" list.
type Candidate struct {
	Path       string
	Key        *sshkeys.Key // what is known; for an encrypted key maybe only Format
	Err        error        // an IdentityFile entry that cannot be used
	FromConfig bool         // named by IdentityFile in ~/.ssh/config
	Agent      bool         // held by ssh-agent (Path is "")
}

type keysScannedMsg struct {
	common.Request
	dir  string
	list []Candidate
}

type keyLoadedMsg struct {
	common.Request
	source string
	raw    []byte
	key    *sshkeys.Key
	err    error
}

// PasteParsedMsg is the parse of the pasted text (a reply: a newer paste
// makes it stale).
type PasteParsedMsg struct {
	common.Request
	raw []byte
	key *sshkeys.Key
	err error
}

type pathSuggestionsMsg struct {
	forValue string
	list     []string
}

type keyPathSuggestedMsg struct {
	typ  string
	path string
}

type keyGeneratedMsg struct {
	common.Request
	path string
	raw  []byte
	key  *sshkeys.Key
	err  error
}

// expandHome turns a leading ~ into the home directory, as a shell would.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// skipInSSHDir lists files of ~/.ssh that are never private keys.
func skipInSSHDir(name string) bool {
	switch {
	case strings.HasSuffix(name, ".pub"),
		strings.HasPrefix(name, "known_hosts"),
		strings.HasPrefix(name, "authorized_keys"),
		name == "config", name == "environment", name == "rc",
		strings.HasPrefix(name, "."):
		return true
	}
	return false
}

// readKeyFile reads a key file through sshkeys.ReadKeyFile (bounded, never
// blocking, one-line failures that name the path as typed).
func readKeyFile(path string) ([]byte, error) {
	return sshkeys.ReadKeyFile(expandHome(path), path)
}

// ParseKey parses raw with sshkeys. An encrypted key is not an error here:
// its Key (with Encrypted set) is returned for the passphrase step.
func ParseKey(raw []byte) (*sshkeys.Key, error) {
	k, err := sshkeys.Parse(raw)
	var pm *sshkeys.PassphraseMissingError
	if errors.As(err, &pm) {
		k = pm.Key
		if k == nil {
			k = &sshkeys.Key{}
		}
		k.Encrypted = true
		return k, nil
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// scanKeys lists the private keys in dir and the IdentityFile entries. Files
// of dir that are not keys are left out; IdentityFile entries are always
// listed, with the reason when they cannot be used.
func scanKeys(req common.Request, dir string, identityFiles []string) tea.Cmd {
	return func() tea.Msg {
		var list []Candidate
		seen := map[string]bool{}
		for _, p := range identityFiles {
			abs := expandHome(p)
			if seen[abs] {
				continue
			}
			seen[abs] = true
			c := Candidate{Path: p, FromConfig: true}
			raw, err := readKeyFile(p)
			if err == nil {
				c.Key, err = ParseKey(raw)
			}
			c.Err = err
			list = append(list, c)
		}
		entries, _ := os.ReadDir(expandHome(dir))
		var found []Candidate
		for _, e := range entries {
			if e.IsDir() || skipInSSHDir(e.Name()) {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if seen[expandHome(p)] {
				continue
			}
			raw, err := readKeyFile(p)
			if err != nil {
				continue
			}
			k, err := ParseKey(raw)
			if err != nil {
				continue
			}
			seen[expandHome(p)] = true
			found = append(found, Candidate{Path: p, Key: k})
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		return keysScannedMsg{Request: req, dir: dir, list: append(list, found...)}
	}
}

// loadKeyFile reads and parses the key file at path.
func loadKeyFile(req common.Request, path string) tea.Cmd {
	return func() tea.Msg {
		raw, err := readKeyFile(path)
		if err != nil {
			return keyLoadedMsg{Request: req, source: path, err: err}
		}
		k, err := ParseKey(raw)
		return keyLoadedMsg{Request: req, source: path, raw: raw, key: k, err: err}
	}
}

// parsePasted normalises and parses pasted text.
func parsePasted(req common.Request, text string) tea.Cmd {
	return func() tea.Msg {
		raw, err := sshkeys.Normalize([]byte(text))
		if err != nil {
			return PasteParsedMsg{Request: req, err: err}
		}
		k, err := ParseKey(raw)
		return PasteParsedMsg{Request: req, raw: raw, key: k, err: err}
	}
}

// completePath offers the directory entries that complete value.
func completePath(value string) tea.Cmd {
	return func() tea.Msg {
		dirPart, base := value[:strings.LastIndex(value, "/")+1], value[strings.LastIndex(value, "/")+1:]
		dir := dirPart
		if dir == "" {
			dir = "."
		}
		entries, err := os.ReadDir(expandHome(dir))
		if err != nil {
			return pathSuggestionsMsg{forValue: value}
		}
		var list []string
		for _, e := range entries {
			n := e.Name()
			if !strings.HasPrefix(n, base) || (strings.HasPrefix(n, ".") && !strings.HasPrefix(base, ".")) {
				continue
			}
			s := dirPart + n
			if e.IsDir() {
				s += "/"
			}
			list = append(list, s)
			if len(list) == 50 {
				break
			}
		}
		return pathSuggestionsMsg{forValue: value, list: list}
	}
}

// suggestKeyPath returns dir/base, or dir/base_2, _3... when a private or
// public key file of that name exists already.
func suggestKeyPath(typ, dir, base string) tea.Cmd {
	return func() tea.Msg {
		for i := 1; ; i++ {
			name := base
			if i > 1 {
				name = fmt.Sprintf("%s_%d", base, i)
			}
			p := filepath.Join(dir, name)
			_, err1 := os.Lstat(expandHome(p))
			_, err2 := os.Lstat(expandHome(p) + ".pub")
			if errors.Is(err1, fs.ErrNotExist) && errors.Is(err2, fs.ErrNotExist) {
				return keyPathSuggestedMsg{typ: typ, path: p}
			}
			if i > 1000 {
				return keyPathSuggestedMsg{typ: typ, path: filepath.Join(dir, base)}
			}
		}
	}
}

// generateKey makes a key pair and writes it (private 0600, never over an
// existing file; .pub beside it). The ssh directory is created (0700) when
// it is missing, as ssh-keygen does on a fresh account; other missing
// directories are not. The passphrase copy is wiped once used.
func generateKey(req common.Request, opts sshkeys.GenerateOptions, path, sshDir string) tea.Cmd {
	return func() tea.Msg {
		defer clear(opts.Passphrase)
		p := expandHome(path)
		dir := filepath.Dir(p)
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if filepath.Clean(dir) != filepath.Clean(expandHome(sshDir)) {
				return keyGeneratedMsg{Request: req, path: path, err: fmt.Errorf("directory %s does not exist: choose a file in an existing directory", filepath.Dir(path))}
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return keyGeneratedMsg{Request: req, path: path, err: fmt.Errorf("cannot create %s: %v", filepath.Dir(path), shortErr(err))}
			}
			if err := os.Chmod(dir, 0o700); err != nil { // whatever the umask
				return keyGeneratedMsg{Request: req, path: path, err: fmt.Errorf("cannot make %s private: %v", filepath.Dir(path), shortErr(err))}
			}
		}
		for _, f := range []string{p, p + ".pub"} {
			if err := sshkeys.CheckNewFile(f); err != nil {
				return keyGeneratedMsg{Request: req, path: path, err: newFileError(f, path, err)}
			}
		}
		k, priv, err := sshkeys.Generate(opts)
		if err != nil {
			return keyGeneratedMsg{Request: req, path: path, err: err}
		}
		if err := sshkeys.WriteKeyPair(p, priv, k.AuthorizedKey); err != nil {
			return keyGeneratedMsg{Request: req, path: path, err: newFileError(p, path, err)}
		}
		return keyGeneratedMsg{Request: req, path: path, raw: priv, key: k}
	}
}

// newFileError words a refusal to create a key file for the wizard (the
// sshkeys messages name the command line's -o flag).
func newFileError(file, shown string, err error) error {
	if errors.Is(err, sshkeys.ErrExists) {
		name := shown
		if strings.HasSuffix(file, ".pub") {
			name += ".pub"
		}
		return fmt.Errorf("%s already exists: choose another file name (existing keys are never overwritten)", name)
	}
	return fmt.Errorf("cannot write %s: %s", shown, strings.ReplaceAll(err.Error(), "choose another -o path", "choose another file"))
}

func shortErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// TypeLabel is "ed25519", "rsa 4096", "ecdsa 256"...
func TypeLabel(k *sshkeys.Key) string {
	if k == nil {
		return ""
	}
	t := k.Type
	switch {
	case t == "ssh-ed25519":
		t = "ed25519"
	case t == "ssh-rsa":
		t = "rsa"
	case t == "ssh-dss":
		t = "dsa"
	case strings.HasPrefix(t, "ecdsa-sha2-"):
		t = "ecdsa"
	case t == "":
		t = "key"
	}
	if k.Bits > 0 && t != "ed25519" {
		t = fmt.Sprintf("%s %d", t, k.Bits)
	}
	return t
}
