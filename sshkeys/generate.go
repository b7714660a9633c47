package sshkeys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Key types GenerateOptions.Type accepts.
const (
	TypeEd25519 = "ed25519"
	TypeRSA     = "rsa"
	TypeECDSA   = "ecdsa"
)

// Limits on RSA sizes: below 2048 bits servers and policies refuse the key;
// above 16384 ssh-keygen itself refuses, and generation would take minutes.
const (
	MinRSABits     = 2048
	MaxRSABits     = 16384
	DefaultRSABits = 4096
)

// ErrBadOptions is wrapped by GenerateOptions.Validate's errors.
var ErrBadOptions = errors.New("bad key options")

// OptionError is GenerateOptions.Validate's error: Option names the field
// ("type", "bits", "format" or "comment") so a command line can name its flag.
// It wraps ErrBadOptions.
type OptionError struct {
	Option string
	Reason string
}

func (e *OptionError) Error() string { return e.Reason }

func (e *OptionError) Unwrap() error { return ErrBadOptions }

func optionErrorf(option, format string, a ...any) error {
	return &OptionError{Option: option, Reason: fmt.Sprintf(format, a...)}
}

// GenerateOptions describes a new key pair. Validate fills the defaults.
type GenerateOptions struct {
	// Type is ed25519 (default), rsa or ecdsa. The ssh names (ssh-ed25519,
	// ssh-rsa, ecdsa-sha2-nistp256...) are accepted too.
	Type string
	// Bits: RSA 2048..16384 (default 4096); ECDSA 256, 384 or 521 (default 256);
	// Ed25519 has a fixed size (0 or 256).
	Bits int
	// Format is FormatOpenSSH (default), FormatPEM (or FormatPKCS1/SEC1/PKCS8)
	// or FormatPPKv3.
	Format Format
	// Comment goes in the OpenSSH/PPK file and at the end of the public key line.
	Comment string
	// Passphrase encrypts the private key file; nil or empty for none.
	Passphrase []byte
}

// String describes the options without the passphrase, so they can be logged.
func (o GenerateOptions) String() string {
	enc := "no passphrase"
	if len(o.Passphrase) > 0 {
		enc = "passphrase set"
	}
	return fmt.Sprintf("%s %d bits, %s, comment %q, %s", o.Type, o.Bits, o.Format, o.Comment, enc)
}

// Validate checks the options and fills the defaults: ed25519, RSA 4096,
// ECDSA 256, OpenSSH format.
func (o *GenerateOptions) Validate() error {
	switch strings.ToLower(strings.TrimSpace(o.Type)) {
	case "", TypeEd25519, ssh.KeyAlgoED25519:
		o.Type = TypeEd25519
	case TypeRSA, ssh.KeyAlgoRSA:
		o.Type = TypeRSA
	case TypeECDSA, "ec":
		o.Type = TypeECDSA
	case ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
		bits := map[string]int{ssh.KeyAlgoECDSA256: 256, ssh.KeyAlgoECDSA384: 384, ssh.KeyAlgoECDSA521: 521}[strings.ToLower(strings.TrimSpace(o.Type))]
		if o.Bits != 0 && o.Bits != bits {
			return optionErrorf("bits", "%s has %d bits, not %d", o.Type, bits, o.Bits)
		}
		o.Type, o.Bits = TypeECDSA, bits
	case "dsa", "ssh-dss":
		return optionErrorf("type", "DSA keys are refused by modern SSH servers: use ed25519 (default), rsa or ecdsa")
	default:
		return optionErrorf("type", "unknown key type %q: use ed25519 (default), rsa or ecdsa", o.Type)
	}
	switch o.Type {
	case TypeEd25519:
		if o.Bits != 0 && o.Bits != 256 {
			return optionErrorf("bits", "Ed25519 keys have a fixed size: leave the bits out")
		}
		o.Bits = 256
	case TypeRSA:
		if o.Bits == 0 {
			o.Bits = DefaultRSABits
		}
		if o.Bits < MinRSABits {
			return optionErrorf("bits", "RSA keys need at least %d bits (%d asked); 4096 is the default", MinRSABits, o.Bits)
		}
		if o.Bits > MaxRSABits {
			return optionErrorf("bits", "RSA keys of more than %d bits are not supported (%d asked); 4096 is the default", MaxRSABits, o.Bits)
		}
	case TypeECDSA:
		if o.Bits == 0 {
			o.Bits = 256
		}
		if o.Bits != 256 && o.Bits != 384 && o.Bits != 521 {
			return optionErrorf("bits", "ECDSA keys have 256, 384 or 521 bits, not %d", o.Bits)
		}
	}
	switch o.Format {
	case "":
		o.Format = FormatOpenSSH
	case FormatOpenSSH, FormatPEM, FormatPPKv3, FormatPKCS8:
	case FormatPKCS1:
		if o.Type != TypeRSA {
			return optionErrorf("format", "PKCS#1 holds RSA keys only: use pem for %s", o.Type)
		}
	case FormatSEC1:
		if o.Type != TypeECDSA {
			return optionErrorf("format", "SEC1 holds ECDSA keys only: use pem for %s", o.Type)
		}
	default:
		return optionErrorf("format", "unknown format %q: use openssh (default) or pem", string(o.Format))
	}
	if strings.ContainsAny(o.Comment, "\r\n") {
		return optionErrorf("comment", "the comment must be a single line")
	}
	return nil
}

// Generate makes a key pair and returns the parsed Key and the encoded
// private key file. The Key comes from parsing what was encoded, so its
// fingerprint, public key line and signer are exactly what a later Parse of
// the file gives. Formats that have no room for a comment (PEM) still get
// opts.Comment on the Key and its AuthorizedKey line, as ssh-keygen puts it in the .pub.
func Generate(opts GenerateOptions) (*Key, []byte, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	var priv crypto.PrivateKey
	var err error
	switch opts.Type {
	case TypeEd25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case TypeRSA:
		priv, err = rsa.GenerateKey(rand.Reader, opts.Bits)
	case TypeECDSA:
		curve := map[int]elliptic.Curve{256: elliptic.P256(), 384: elliptic.P384(), 521: elliptic.P521()}[opts.Bits]
		priv, err = ecdsa.GenerateKey(curve, rand.Reader)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("could not generate the %s key: %v", opts.Type, err)
	}
	raw, err := Convert(&Key{Private: priv, Comment: opts.Comment}, opts.Format, opts.Passphrase)
	if err != nil {
		return nil, nil, err
	}
	var k *Key
	if len(opts.Passphrase) > 0 {
		k, err = ParseWithPassphrase(raw, opts.Passphrase)
	} else {
		k, err = Parse(raw)
	}
	if err != nil {
		// Reading back what we just wrote must work; anything else is a bug.
		return nil, nil, fmt.Errorf("internal error: the generated key does not read back: %v", err)
	}
	if k.Comment == "" && opts.Comment != "" {
		k.Comment = opts.Comment
		k.AuthorizedKey = pubLineWithComment(k.PublicKey, opts.Comment)
	}
	return k, raw, nil
}

// pubLineWithComment is the authorized_keys line for pub ("type base64 comment",
// no trailing newline), as ssh-keygen writes it into a .pub file.
func pubLineWithComment(pub ssh.PublicKey, comment string) string {
	line := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n")
	if comment = strings.TrimSpace(comment); comment != "" {
		line += " " + comment
	}
	return line
}
