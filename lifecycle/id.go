package lifecycle

import (
	"crypto/rand"
	"encoding/hex"
)

// newID is a repository identity: 16 random hex digits, made once at
// connect and kept across renames.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
