package store

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gitjira/gitjira/internal/fsatomic"
)

// StoreKey copies a private key, byte for byte (still encrypted if it was),
// to KeysDir/<name>.key with mode 0600 in a 0700 directory, atomically, and
// returns its path. No passphrase is ever stored.
func StoreKey(p Paths, name string, keyBytes []byte) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	if len(bytes.TrimSpace(keyBytes)) == 0 {
		return "", errors.New("the private key is empty: give the key file with --key")
	}
	dir := p.KeysDir()
	if err := fsatomic.MkdirPrivate(dir); err != nil {
		return "", fmt.Errorf("cannot create the keys directory: %w", err)
	}
	path := filepath.Join(dir, name+".key")
	if err := writeFileAtomic(path, keyBytes, 0o600); err != nil {
		return "", fmt.Errorf("cannot store the key: %w", err)
	}
	return path, nil
}
