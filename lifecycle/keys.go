package lifecycle

import (
	"errors"
	"fmt"

	"github.com/gitjira/gitjira/internal/safefile"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
)

// KeySource says where the secret of a repository's key may come from.
type KeySource struct {
	// AgentSocket is ssh-agent's socket ($SSH_AUTH_SOCK); "" uses no agent.
	// A key kept only in the agent (no stored file) is always taken from
	// there; an encrypted stored key is taken from the agent when it holds
	// it and no Passphrase is given (unattended runs need no passphrase).
	AgentSocket string
	// Passphrase decrypts an encrypted stored key (never stored).
	Passphrase []byte
}

// KeyLockedError says a repository's stored key is encrypted and no
// passphrase was given. It wraps the *sshkeys.PassphraseMissingError (with
// the public half when the format shows it), so a front-end that can ask
// asks, and calls OpenStoredKey again with the passphrase.
type KeyLockedError struct {
	Name    string
	Missing *sshkeys.PassphraseMissingError
	// Raw is the stored key file as read, still encrypted, for a screen's
	// passphrase prompt to decrypt (the Manage screen's sync).
	Raw []byte
}

func (e *KeyLockedError) Error() string {
	return fmt.Sprintf("the key of %s is encrypted and no passphrase was given", e.Name)
}

func (e *KeyLockedError) Unwrap() error { return e.Missing }

// readStoredKey reads r's stored key file: a regular file of at most
// sshkeys.MaxInputSize bytes, opened without blocking.
func (m *Manager) readStoredKey(r store.Repository) ([]byte, error) {
	if r.KeyFile == "" {
		return nil, fmt.Errorf("no stored key for %s", r.Name)
	}
	raw, err := safefile.Read(r.KeyFile, sshkeys.MaxInputSize)
	if err != nil {
		return nil, fmt.Errorf("cannot read the stored key of %s (%w): give it a key again (`gitjira repos remove %s`, then connect it)", r.Name, err, r.Name)
	}
	return raw, nil
}

// OpenStoredKey is the one way to get the key a repository signs with: from
// ssh-agent when it has no stored file (or, with no passphrase given, when
// the agent holds its encrypted key), else its stored file, decrypted with
// src.Passphrase when encrypted. An encrypted key without a passphrase is a
// *KeyLockedError; a wrong passphrase wraps sshkeys.ErrWrongPassphrase.
func (m *Manager) OpenStoredKey(r store.Repository, src KeySource) (*sshkeys.Key, error) {
	src.AgentSocket = m.agentSocket(r, src.AgentSocket)
	if r.KeyFile == "" {
		if r.KeyFingerprint == "" {
			return nil, fmt.Errorf("no stored key for %s: remove it and connect it again", r.Name)
		}
		k, err := sshkeys.AgentSigner(src.AgentSocket, r.KeyFingerprint)
		if err != nil {
			return nil, fmt.Errorf("the key of %s is held by ssh-agent only: %w", r.Name, err)
		}
		return k, nil
	}
	raw, err := m.readStoredKey(r)
	if err != nil {
		return nil, err
	}
	if len(src.Passphrase) == 0 && src.AgentSocket != "" && r.KeyFingerprint != "" {
		if k, err := sshkeys.AgentSigner(src.AgentSocket, r.KeyFingerprint); err == nil {
			return k, nil
		}
	}
	k, err := sshkeys.Parse(raw)
	var pme *sshkeys.PassphraseMissingError
	if errors.As(err, &pme) {
		if len(src.Passphrase) == 0 {
			return nil, &KeyLockedError{Name: r.Name, Missing: pme, Raw: raw}
		}
		k, err = sshkeys.ParseWithPassphrase(raw, src.Passphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("the stored key of %s: %w", r.Name, err)
	}
	if k.Signer == nil {
		return nil, fmt.Errorf("the stored key of %s cannot sign", r.Name)
	}
	return k, nil
}

// PublicStoredKey is r's stored key as far as it reads without a
// passphrase: the whole key when it is not encrypted, else what the format
// shows in the clear (the public half of OpenSSH and PuTTY keys), marked
// Encrypted. For display (fingerprint, type, comment), never for signing.
func (m *Manager) PublicStoredKey(r store.Repository) (*sshkeys.Key, error) {
	raw, err := m.readStoredKey(r)
	if err != nil {
		return nil, err
	}
	k, err := sshkeys.Parse(raw)
	var pme *sshkeys.PassphraseMissingError
	if errors.As(err, &pme) {
		if pme.Key != nil {
			return pme.Key, nil
		}
		return &sshkeys.Key{Encrypted: true, Fingerprint: r.KeyFingerprint}, nil
	}
	return k, err
}
