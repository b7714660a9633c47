// Package sshkeys understands the private keys people bring to gitjira:
// it detects the format (OpenSSH, PEM, PKCS#8, PuTTY .ppk), decrypts,
// fingerprints, converts and generates keys. It has no UI code.
package sshkeys

import (
	"crypto"
	"errors"

	"golang.org/x/crypto/ssh"
)

// Format names a private key file format, as printed by `gitjira key inspect`.
type Format string

// The formats gitjira reads. The string values are part of the CLI's JSON contract.
const (
	FormatOpenSSH Format = "openssh"
	FormatPKCS1   Format = "pem-pkcs1"
	FormatSEC1    Format = "pem-sec1"
	FormatPKCS8   Format = "pkcs8"
	FormatPPKv2   Format = "ppk-v2"
	FormatPPKv3   Format = "ppk-v3"
	FormatDSAPEM  Format = "pem-dsa"
)

// Key is a parsed private key. For an encrypted key that has not been
// decrypted yet, Signer and Private are nil; PublicKey, Fingerprint and
// AuthorizedKey are set when the format carries the public half in the clear
// (OpenSSH, PPK), and empty/nil otherwise.
type Key struct {
	Format      Format
	Type        string // ssh key type: ssh-rsa, ssh-ed25519, ecdsa-sha2-nistp256, ...
	Bits        int
	Comment     string
	Encrypted   bool
	Fingerprint string // "SHA256:..." as ssh-keygen -l prints it
	// AuthorizedKey is the authorized_keys line (no trailing newline) to paste on the git host.
	AuthorizedKey string
	PublicKey     ssh.PublicKey
	// Signer signs for the SSH client; RSA keys sign with rsa-sha2-256/512, never SHA-1.
	Signer  ssh.Signer
	Private crypto.PrivateKey // *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey (value), *dsa.PrivateKey
	// Warnings are one-line notes about a key that was read but may be
	// refused elsewhere: DSA keys (OpenSSH 7.0+ servers refuse ssh-dss) and
	// RSA keys under 2048 bits. Empty for a good key.
	Warnings []string
}

// Sentinel errors, wrapped with %w by the typed errors and messages below.
var (
	ErrPassphraseNeeded = errors.New("passphrase needed")
	ErrWrongPassphrase  = errors.New("wrong passphrase")
	ErrTooLarge         = errors.New("input too large")
	ErrEmpty            = errors.New("empty input")
	ErrNotAKey          = errors.New("not a private key")
	ErrCorrupt          = errors.New("corrupt key")
	ErrUnsupported      = errors.New("unsupported key")
)

// MaxInputSize is the largest key input accepted (1 MiB).
const MaxInputSize = 1 << 20

// PublicKeyGivenError says the input is public material (authorized_keys line,
// .pub file, RFC 4716 block, PEM PUBLIC KEY, OpenSSH certificate) where a
// private key belongs. Kind describes what was found, e.g. "OpenSSH public key".
type PublicKeyGivenError struct {
	Kind        string
	Fingerprint string // of the public key, when it could be parsed
}

// PassphraseMissingError is returned by Parse for an encrypted key. Key holds
// what is known before decryption (Format, Encrypted, and for OpenSSH/PPK the
// public half and fingerprint). It wraps ErrPassphraseNeeded.
type PassphraseMissingError struct {
	Key *Key
}

// UnsupportedKeyError names a key type Go's SSH stack cannot sign with
// (Ed448, X448, ...) and the command that makes a supported key.
type UnsupportedKeyError struct {
	Type string
}

// FormatError says what is wrong with input that looked like a key but could
// not be read (truncated, bad base64, bad MAC...). It wraps ErrCorrupt or ErrNotAKey.
type FormatError struct {
	Format Format // may be empty when the format could not be detected
	Reason string
	// Hint says what to do next; when empty, Error uses a default for Err.
	Hint string
	Err  error
}

// Parse, ParseWithPassphrase (parse.go), Normalize (normalize.go) and
// Fingerprint (fingerprint.go) implement the reading half of the package;
// Convert (convert.go), Generate (generate.go) and WriteKeyPair (writefile.go)
// the writing half.
