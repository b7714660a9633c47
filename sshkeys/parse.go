package sshkeys

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Parse reads a private key in any format gitjira knows (OpenSSH, PEM
// PKCS#1/SEC1/DSA, PKCS#8, PuTTY .ppk v2/v3), after Normalize. For an
// encrypted key it returns *PassphraseMissingError, whose Key carries what is
// known without the passphrase (for OpenSSH and PPK: type, bits, fingerprint,
// authorized_keys line), and a nil *Key. Public material given instead of a
// private key is *PublicKeyGivenError; Ed448 and other types that cannot sign
// are *UnsupportedKeyError; unreadable input is *FormatError. Every error
// message is one line that says what to do next.
func Parse(raw []byte) (*Key, error) {
	return parse(raw, nil)
}

// ParseWithPassphrase reads and decrypts a private key. A wrong passphrase is
// ErrWrongPassphrase (errors.Is), distinct from corrupt input, and the same
// input can be tried again with another passphrase. The passphrase never
// appears in any error message. For an unencrypted key the passphrase is
// ignored; an empty passphrase for an encrypted key is *PassphraseMissingError.
func ParseWithPassphrase(raw, passphrase []byte) (*Key, error) {
	return parse(raw, passphrase)
}

func parse(raw, passphrase []byte) (*Key, error) {
	data, err := Normalize(raw)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(data, []byte("PuTTY-User-Key-File-")):
		return parsePPK(data, passphrase)
	case bytes.HasPrefix(data, []byte("-----BEGIN ")):
		return parsePEMBlocks(data, passphrase)
	case bytes.HasPrefix(data, []byte("---- BEGIN SSH2 ")):
		return nil, parseRFC4716(data)
	}
	if err := publicLine(data); err != nil {
		return nil, err
	}
	// The base64 of an OpenSSH key without its BEGIN/END lines: the user
	// copied the middle of the file. Accept it, as the body is unambiguous.
	if b64 := strings.Join(strings.Fields(string(data)), ""); strings.HasPrefix(b64, "b3BlbnNzaC1rZXktdjEA") {
		if der, err := base64.StdEncoding.DecodeString(b64); err == nil {
			return parseOpenSSH(der, passphrase)
		}
		return nil, truncated(FormatOpenSSH)
	}
	if bytes.HasPrefix(data, []byte("PuTTY-User-Key-File")) || bytes.Contains(data, []byte("Private-Lines:")) {
		return nil, corrupt(FormatPPKv3, "the PuTTY key's first line is missing or damaged")
	}
	return nil, notAKey("this is not a key: it has no -----BEGIN line, no PuTTY-User-Key-File header and no public key",
		"give the private key file (for example ~/.ssh/id_ed25519 or a .ppk file), from its first line to its last")
}

// parsePEMBlocks dispatches on the first block that is not "EC PARAMETERS"
// (which openssl ecparam writes before the key).
func parsePEMBlocks(data, passphrase []byte) (*Key, error) {
	rest := data
	for {
		label := pemLabel(rest)
		block, next := pem.Decode(rest)
		if block == nil {
			return nil, pemDecodeError(label, rest)
		}
		if block.Type == "EC PARAMETERS" {
			rest = next
			continue
		}
		return parsePEMBlock(block, passphrase)
	}
}

func parsePEMBlock(block *pem.Block, passphrase []byte) (*Key, error) {
	switch block.Type {
	case "OPENSSH PRIVATE KEY":
		return parseOpenSSH(block.Bytes, passphrase)
	case "RSA PRIVATE KEY":
		return parsePEMPrivate(block, FormatPKCS1, passphrase)
	case "EC PRIVATE KEY":
		return parsePEMPrivate(block, FormatSEC1, passphrase)
	case "DSA PRIVATE KEY":
		return parsePEMPrivate(block, FormatDSAPEM, passphrase)
	case "PRIVATE KEY":
		return parsePKCS8(block.Bytes, false)
	case "ENCRYPTED PRIVATE KEY":
		return parseEncryptedPKCS8(block.Bytes, passphrase)
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, publicPEM(block)
	case "OPENSSH PUBLIC KEY", "SSH2 PUBLIC KEY", "DSA PUBLIC KEY", "EC PUBLIC KEY":
		return nil, &PublicKeyGivenError{Kind: "PEM " + block.Type}
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE":
		return nil, notAKey("this is an X.509 (TLS) certificate, not an SSH private key",
			"give the SSH private key file instead, for example ~/.ssh/id_ed25519")
	case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
		return nil, notAKey("this is a certificate signing request, not an SSH private key",
			"give the SSH private key file instead, for example ~/.ssh/id_ed25519")
	case "PGP PRIVATE KEY BLOCK", "PGP PUBLIC KEY BLOCK":
		return nil, notAKey("this is a PGP key, not an SSH key",
			"give an SSH private key file, or make one with `gitjira key generate`")
	}
	return nil, notAKey(fmt.Sprintf("a PEM block of type %s is not a private key gitjira knows", printable(block.Type)),
		"give an OpenSSH, PEM, PKCS#8 or PuTTY .ppk private key file")
}

// pemLabel is the label of the first BEGIN line, "" if none.
func pemLabel(b []byte) string {
	i := bytes.Index(b, []byte("-----BEGIN "))
	if i < 0 {
		return ""
	}
	line := b[i+len("-----BEGIN "):]
	if j := bytes.IndexAny(line, "\n"); j >= 0 {
		line = line[:j]
	}
	return strings.TrimSuffix(string(line), "-----")
}

// pemDecodeError says why pem.Decode failed: Normalize has already fixed
// layout problems, so what is left is a missing END line or bad base64.
func pemDecodeError(label string, b []byte) error {
	f := formatForLabel(label)
	if !bytes.Contains(b, []byte("-----END ")) {
		return &FormatError{Format: f, Reason: "the key is truncated: its -----END line is missing", Err: ErrCorrupt,
			Hint: "copy the whole key file again, from the -----BEGIN line to the -----END line"}
	}
	if !bytes.Contains(b, []byte("-----END "+label+"-----")) {
		return corruptf(f, "the -----END line does not match the -----BEGIN %s----- line", printable(label))
	}
	if pemBodyIsBase64(b) {
		// Every character is fine but the length is not: lines were lost.
		return &FormatError{Format: f, Reason: "the key is truncated: lines are missing between the BEGIN and END lines", Err: ErrCorrupt,
			Hint: "copy the whole key file again, from the -----BEGIN line to the -----END line"}
	}
	return &FormatError{Format: f, Reason: "the text between the BEGIN and END lines is not valid base64", Err: ErrCorrupt,
		Hint: "copy the key file again without changing it (no added or missing characters)"}
}

// pemBodyIsBase64 reports whether the first block's body (headers aside)
// uses only base64 characters.
func pemBodyIsBase64(b []byte) bool {
	lines := strings.Split(string(b), "\n")
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "-----END ") {
			break
		}
		if strings.Contains(l, ":") {
			continue
		}
		for _, c := range l {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
				return false
			}
		}
	}
	return true
}

func formatForLabel(label string) Format {
	switch label {
	case "OPENSSH PRIVATE KEY":
		return FormatOpenSSH
	case "RSA PRIVATE KEY":
		return FormatPKCS1
	case "EC PRIVATE KEY":
		return FormatSEC1
	case "DSA PRIVATE KEY":
		return FormatDSAPEM
	case "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		return FormatPKCS8
	}
	return ""
}

// publicLine recognizes an authorized_keys line (with or without options),
// the content of a .pub file, or an OpenSSH certificate. It returns nil when
// the input is none of these.
func publicLine(data []byte) error {
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return unknownPublicLine(data)
	}
	if cert, ok := pub.(*ssh.Certificate); ok {
		return &PublicKeyGivenError{Kind: "OpenSSH certificate " + cert.Type(), Fingerprint: Fingerprint(cert.Key)}
	}
	return &PublicKeyGivenError{Kind: "OpenSSH public key " + pub.Type(), Fingerprint: Fingerprint(pub)}
}

// unknownPublicLine catches public keys x/crypto cannot parse (Ed448,
// sk-... types it does not know, a damaged blob): "TYPE AAAA..." lines.
func unknownPublicLine(data []byte) error {
	fields := strings.Fields(string(data))
	for i := 0; i+1 < len(fields) && i < 2; i++ { // allow one options field before the type
		typ, b64 := fields[i], fields[i+1]
		if !isPrintable(typ) || !strings.HasPrefix(b64, "AAAA") {
			continue
		}
		if strings.HasPrefix(typ, "ssh-") || strings.HasPrefix(typ, "ecdsa-") || strings.HasPrefix(typ, "sk-") || strings.Contains(typ, "-cert-") {
			e := &PublicKeyGivenError{Kind: "OpenSSH public key " + printable(typ)}
			if strings.Contains(typ, "-cert-v") {
				e.Kind = "OpenSSH certificate " + printable(typ)
			} else if blob, err := base64.StdEncoding.DecodeString(b64); err == nil {
				e.Fingerprint = fingerprintBlob(blob)
			}
			return e
		}
	}
	return nil
}

// parseRFC4716 answers an RFC 4716 "---- BEGIN SSH2 PUBLIC KEY ----" block
// (ssh-keygen -e, PuTTYgen's "public" output) with *PublicKeyGivenError, and
// the ssh.com private key format with advice to convert it.
func parseRFC4716(data []byte) error {
	lines := strings.Split(string(data), "\n")
	if strings.Contains(lines[0], "PRIVATE KEY") {
		return unsupportedFormat("", "this is an ssh.com (SSH2) private key, a format gitjira does not read",
			"convert it with `puttygen FILE -O private-openssh-new -o NEW`, then try again")
	}
	e := &PublicKeyGivenError{Kind: "RFC 4716 SSH2 public key, as ssh-keygen -e and PuTTYgen write"}
	var b64 strings.Builder
	continued := false
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "---- END") {
			break
		}
		// Header lines are "Tag: value" and may continue with a trailing backslash.
		if continued || strings.Contains(l, ":") {
			continued = strings.HasSuffix(l, "\\")
			continue
		}
		b64.WriteString(l)
	}
	if blob, err := base64.StdEncoding.DecodeString(b64.String()); err == nil {
		if pub, err := ssh.ParsePublicKey(blob); err == nil {
			e.Fingerprint = Fingerprint(pub)
		}
	}
	return e
}
