package sshkeys

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
)

// Every message below is one line that says what is wrong and what to do
// next: the CLI prints it as is and the wizard shows it under the key field.

// formatName is how a Format is called in messages.
func formatName(f Format) string {
	switch f {
	case FormatOpenSSH:
		return "OpenSSH"
	case FormatPKCS1:
		return "PEM (PKCS#1 RSA)"
	case FormatSEC1:
		return "PEM (SEC1 EC)"
	case FormatDSAPEM:
		return "PEM (DSA)"
	case FormatPKCS8:
		return "PKCS#8"
	case FormatPPKv2:
		return "PuTTY .ppk v2"
	case FormatPPKv3:
		return "PuTTY .ppk v3"
	}
	return ""
}

// supportedKeyCommand is the advice given with every "not supported" answer.
const supportedKeyCommand = "make a supported key with `gitjira key generate` or `ssh-keygen -t ed25519`"

func (e *PublicKeyGivenError) Error() string {
	var b strings.Builder
	b.WriteString("this is a public key (")
	b.WriteString(e.Kind)
	if e.Fingerprint != "" {
		b.WriteString(", ")
		b.WriteString(e.Fingerprint)
	}
	b.WriteString("), not a private key: give the private key file instead, usually the same file name without .pub")
	return b.String()
}

// Unwrap lets errors.Is(err, ErrNotAKey) match.
func (e *PublicKeyGivenError) Unwrap() error { return ErrNotAKey }

func (e *PassphraseMissingError) Error() string {
	what := "the key"
	if e.Key != nil {
		if n := formatName(e.Key.Format); n != "" {
			what = "the " + n + " key"
		}
		if e.Key.Fingerprint != "" {
			what += " " + e.Key.Fingerprint
		}
	}
	return what + " is encrypted: a passphrase is needed, enter the passphrase it was saved with"
}

// Unwrap lets errors.Is(err, ErrPassphraseNeeded) match.
func (e *PassphraseMissingError) Unwrap() error { return ErrPassphraseNeeded }

func (e *UnsupportedKeyError) Error() string {
	return e.Type + " keys are not supported for SSH by gitjira: " + supportedKeyCommand
}

// Unwrap lets errors.Is(err, ErrUnsupported) match.
func (e *UnsupportedKeyError) Unwrap() error { return ErrUnsupported }

func (e *FormatError) Error() string {
	var b strings.Builder
	if n := formatName(e.Format); n != "" {
		b.WriteString(n)
		b.WriteString(" key: ")
	}
	b.WriteString(e.Reason)
	hint := e.Hint
	if hint == "" {
		switch {
		case errors.Is(e.Err, ErrNotAKey):
			hint = "give a private key file (OpenSSH, PEM, PKCS#8 or PuTTY .ppk), for example ~/.ssh/id_ed25519"
		case errors.Is(e.Err, ErrUnsupported):
			hint = supportedKeyCommand
		default:
			hint = "copy the whole key file again, from its first line to its last, or export the key again from the tool that made it"
		}
	}
	b.WriteString(": ")
	b.WriteString(hint)
	return oneLine(b.String())
}

func (e *FormatError) Unwrap() error { return e.Err }

// oneLine keeps a message on one line even when a reason came from a library.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// corrupt, notAKey and unsupportedFormat build the *FormatError variants.
func corrupt(f Format, reason string) error {
	return &FormatError{Format: f, Reason: reason, Err: ErrCorrupt}
}

func corruptf(f Format, format string, args ...any) error {
	return corrupt(f, fmt.Sprintf(format, args...))
}

func notAKey(reason, hint string) error {
	return &FormatError{Reason: reason, Hint: hint, Err: ErrNotAKey}
}

func unsupportedFormat(f Format, reason, hint string) error {
	return &FormatError{Format: f, Reason: reason, Hint: hint, Err: ErrUnsupported}
}

// damagedHint is the advice for a file whose content was changed or cut.
const damagedHint = "copy it again from the source, from its first line to its last, or export the key again from the tool that made it"

// derError describes an ASN.1 (DER) structure that could not be read. The
// library's own words ("asn1: syntax error: data truncated", "indefinite
// length found (not DER)", "tags don't match") mean nothing to a user, so
// they are replaced by what they tell: the data ends early, or it is not
// the structure the file claims to hold. what names the structure ("PKCS#8",
// "RSA key", ...).
func derError(f Format, what string, err error) error {
	var se asn1.SyntaxError
	if errors.As(err, &se) && strings.Contains(se.Msg, "truncated") {
		return &FormatError{Format: f, Err: ErrCorrupt, Hint: damagedHint,
			Reason: fmt.Sprintf("the key file is truncated or damaged (the %s structure ends early)", what)}
	}
	return &FormatError{Format: f, Err: ErrCorrupt, Hint: damagedHint,
		Reason: fmt.Sprintf("the key file is damaged (the %s structure cannot be read)", what)}
}

// wrongPassphrase is ErrWrongPassphrase with advice; the passphrase itself is
// never part of it.
func wrongPassphrase(f Format) error {
	what := "this key"
	if n := formatName(f); n != "" {
		what = "this " + n + " key"
	}
	return fmt.Errorf("%w for %s: type the passphrase again (check Caps Lock and the keyboard layout)", ErrWrongPassphrase, what)
}

func errEmpty() error {
	return fmt.Errorf("%w: no key was given: paste the private key or choose its file, for example ~/.ssh/id_ed25519", ErrEmpty)
}

func errTooLarge(n int) error {
	return fmt.Errorf("%w: %d bytes is more than any key file (limit %d bytes): give the private key file itself, for example ~/.ssh/id_ed25519", ErrTooLarge, n, MaxInputSize)
}
