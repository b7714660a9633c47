package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
)

// PassphraseEnv is the environment variable a key's passphrase may come from (docs/CLI.md).
const PassphraseEnv = "GITJIRA_PASSPHRASE"

// ReadKeyInput reads the key from FILE, or from the rest of stdin for "-".
// It reads at most one byte more than sshkeys.MaxInputSize, so a huge file
// is refused by the parser without being loaded. name is what messages call
// the input: the file, or "stdin".
func ReadKeyInput(s *IOStreams, file string) (raw []byte, name string, err error) {
	limit := int64(sshkeys.MaxInputSize) + 1
	if file == "-" {
		raw, err = io.ReadAll(io.LimitReader(s.Stdin(), limit))
		if err != nil {
			return nil, "stdin", fmt.Errorf("could not read the key from stdin: %v", err)
		}
		return raw, "stdin", nil
	}
	raw, err = sshkeys.ReadKeyFile(file, file)
	return raw, file, err
}

// StdinSecretLine reads one passphrase line from stdin for flag. A line that
// is the start of a key means the passphrase line was forgotten before a key
// given on stdin ("-"); saying so beats a confusing parse error later.
func StdinSecretLine(s *IOStreams, flag string) (string, error) {
	line, err := s.ReadLine()
	if err != nil {
		return "", fmt.Errorf("could not read the passphrase from stdin (%s): %v", flag, err)
	}
	if strings.HasPrefix(line, "-----BEGIN ") || strings.HasPrefix(line, "PuTTY-User-Key-File-") {
		return "", UsageErrorf("%s: the first line of stdin is the start of a key, not a passphrase: put the passphrase line(s) before the key", flag)
	}
	return line, nil
}

// OpenKey parses a private key and decrypts it when it is encrypted. The
// passphrase is stdinPass when --passphrase-stdin gave one; else
// GITJIRA_PASSPHRASE; else a masked prompt, only when prompt is set and stdin
// is a terminal (so scripts and tests never block on /dev/tty). An empty
// answer at the prompt counts as none. locked is set, with a nil key and
// error, when the key is encrypted and no passphrase was to be had; a wrong
// passphrase's error says where the passphrase came from.
func OpenKey(ctx context.Context, s *IOStreams, raw []byte, name string, stdinPass []byte, prompt string) (k *sshkeys.Key, locked *sshkeys.PassphraseMissingError, err error) {
	k, err = sshkeys.Parse(raw)
	var pme *sshkeys.PassphraseMissingError
	if !errors.As(err, &pme) {
		if err != nil {
			return nil, nil, KeyError(name, err)
		}
		return k, nil, nil
	}
	pass, source := stdinPass, "--passphrase-stdin"
	if pass == nil {
		if v, set := s.Getenv(PassphraseEnv); set {
			pass, source = []byte(v), PassphraseEnv
		} else if prompt != "" && s.StdinIsTerminal() {
			typed, ok, err := s.Secret(ctx, false, "", prompt)
			if err != nil {
				return nil, nil, err
			}
			defer clear(typed)
			if ok && len(typed) > 0 {
				pass, source = typed, "the terminal"
			}
		}
	}
	if pass == nil {
		return nil, pme, nil
	}
	if k, err = sshkeys.ParseWithPassphrase(raw, pass); err != nil {
		return nil, nil, passphraseError(name, source, err)
	}
	return k, nil, nil
}

// NewPassphrase asks for a new passphrase twice on the terminal; empty means none.
func NewPassphrase(ctx context.Context, s *IOStreams, prompt string) ([]byte, error) {
	p1, ok, err := s.Secret(ctx, false, "", prompt)
	if err != nil || !ok || len(p1) == 0 {
		return nil, err
	}
	p2, _, err := s.Secret(ctx, false, "", "Repeat the passphrase: ")
	defer clear(p2)
	if err != nil {
		clear(p1)
		return nil, err
	}
	if string(p1) != string(p2) {
		clear(p1)
		return nil, errors.New("the two passphrases differ: run the command again")
	}
	return p1, nil
}

// passphraseError is KeyError that, for a wrong passphrase, says where the
// passphrase came from: a stale GITJIRA_PASSPHRASE is easy to forget.
func passphraseError(name, source string, err error) error {
	if errors.Is(err, sshkeys.ErrWrongPassphrase) && source != "" {
		return fmt.Errorf("%s: %w (the passphrase came from %s)", name, err, source)
	}
	return KeyError(name, err)
}

// KeyError puts the input's name in front of a parser error.
func KeyError(name string, err error) error {
	return fmt.Errorf("%s: %w", name, err)
}

// passphraseTries is how many times a passphrase is asked on a terminal
// before giving up, as ssh does.
const passphraseTries = 3

// StoredKey opens a repository's key through the lifecycle layer
// (Manager.OpenStoredKey: ssh-agent, else the stored file), with the
// passphrase from pass (--passphrase-stdin), GITJIRA_PASSPHRASE or, when
// mayPrompt and stdin is a terminal, a masked prompt asked up to three times
// as ssh does (cron jobs and scripts never hang on a prompt).
func StoredKey(ctx context.Context, s *IOStreams, m *lifecycle.Manager, r store.Repository, pass []byte, agentSocket string, mayPrompt bool) (*sshkeys.Key, error) {
	src, source := lifecycle.KeySource{AgentSocket: agentSocket, Passphrase: pass}, "--passphrase-stdin"
	if len(pass) == 0 {
		if v, set := s.Getenv(PassphraseEnv); set {
			// A passphrase given spares the agent lookup (as before).
			src.Passphrase, source = []byte(v), PassphraseEnv
		}
	}
	k, err := m.OpenStoredKey(r, src)
	var locked *lifecycle.KeyLockedError
	if !errors.As(err, &locked) {
		if err != nil && len(src.Passphrase) > 0 && errors.Is(err, sshkeys.ErrWrongPassphrase) {
			return nil, fmt.Errorf("%w (the passphrase came from %s)", err, source)
		}
		return k, err
	}
	if !mayPrompt || !s.StdinIsTerminal() {
		// Wraps the *sshkeys.PassphraseMissingError: a screen that can ask
		// (Manage) asks for the passphrase itself.
		return nil, fmt.Errorf("the key of %s is encrypted: pass its passphrase with --passphrase-stdin, set %s, or load it into ssh-agent, for unattended fetches (gitjira never stores it)%w", r.Name, PassphraseEnv, silent{locked})
	}
	prompt := fmt.Sprintf("Passphrase for the key of %s: ", r.Name)
	for try := 1; ; try++ {
		typed, ok, err := s.Secret(ctx, false, "", prompt)
		if err != nil {
			return nil, err
		}
		if !ok || len(typed) == 0 {
			clear(typed)
			return nil, fmt.Errorf("no passphrase given for the key of %s", r.Name)
		}
		k, err := m.OpenStoredKey(r, lifecycle.KeySource{Passphrase: typed})
		clear(typed)
		if err == nil || !errors.Is(err, sshkeys.ErrWrongPassphrase) {
			return k, err
		}
		if try == passphraseTries {
			return nil, fmt.Errorf("%w (%d tries)", err, passphraseTries)
		}
		fmt.Fprintln(s.Err, "Wrong passphrase, try again.")
	}
}

// silent wraps an error for errors.As without adding its text.
type silent struct{ err error }

func (s silent) Error() string { return "" }
func (s silent) Unwrap() error { return s.err }
