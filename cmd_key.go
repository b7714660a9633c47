package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"strings"

	"github.com/gitjira/gitjira/sshkeys"
	"golang.org/x/crypto/ssh"
)

const keyUsage = `Usage:
  gitjira key inspect FILE|- [--passphrase-stdin] [--json]
  gitjira key convert FILE|- --to openssh|pem|ppk [-o OUT] [--passphrase-stdin] [--new-passphrase-stdin]
  gitjira key generate [--type ed25519|rsa|ecdsa] [--bits N] [--format openssh|pem] [-C COMMENT] [--passphrase-stdin] [--json] -o FILE

A passphrase never comes from the command line: it is read from the first line
of stdin (--passphrase-stdin), from GITJIRA_PASSPHRASE, or from a prompt when
stdin is a terminal. With FILE "-" the key is read from stdin after those lines.`

// runKey dispatches `gitjira key inspect|convert|generate`.
func runKey(s *IO, args []string) error {
	if len(args) == 0 {
		return usageErrorf("key: missing subcommand: use inspect, convert or generate (gitjira key -h)")
	}
	switch args[0] {
	case "inspect":
		return runKeyInspect(s, args[1:])
	case "convert":
		return runKeyConvert(s, args[1:])
	case "generate":
		return runKeyGenerate(s, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(s.Out, keyUsage)
		return nil
	default:
		return usageErrorf("key: unknown subcommand %q: use inspect, convert or generate", args[0])
	}
}

// parseKeyFlags parses a key subcommand's flags; done is true after -h.
func parseKeyFlags(fs *flag.FlagSet, usage string, args []string) (pos []string, done bool, err error) {
	setUsage(fs, usage)
	pos, err = parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, true, nil
	}
	return pos, false, err
}

// ---- inspect ----

// keyInspectOptions are the flags of `gitjira key inspect`.
type keyInspectOptions struct {
	File            string
	PassphraseStdin bool
	JSON            bool
}

func runKeyInspect(s *IO, args []string) error {
	var opts keyInspectOptions
	const usage = "key inspect FILE|- [--passphrase-stdin] [--json]"
	fs := newFlagSet("key inspect", s)
	fs.BoolVar(&opts.PassphraseStdin, "passphrase-stdin", false, "read the key's passphrase from the first line of stdin")
	fs.BoolVar(&opts.JSON, "json", false, "print one JSON object")
	pos, done, err := parseKeyFlags(fs, usage, args)
	if err != nil || done {
		return err
	}
	switch len(pos) {
	case 0:
		return usageErrorf("key inspect: missing FILE: give the private key file, or - for stdin")
	case 1:
		opts.File = pos[0]
	default:
		return usageErrorf("key inspect: one FILE only (got %d arguments)", len(pos))
	}
	return keyInspect(s, opts)
}

// keyJSON is the `key inspect --json` object (shared/CLI.md); fields may be added, not renamed.
type keyJSON struct {
	Format      sshkeys.Format `json:"format"`
	Type        string         `json:"type"`
	Bits        int            `json:"bits"`
	Encrypted   bool           `json:"encrypted"`
	Fingerprint string         `json:"fingerprint"`
	PublicKey   string         `json:"public_key"`
	Comment     string         `json:"comment"`
	// Decrypted is an addition: false when the key is encrypted and no
	// passphrase was given, so only what the file shows in the clear is known.
	Decrypted bool     `json:"decrypted"`
	Warnings  []string `json:"warnings,omitempty"`
	// PrivateKeyFile and PublicKeyFile are set by `key generate --json` only.
	PrivateKeyFile string `json:"private_key_file,omitempty"`
	PublicKeyFile  string `json:"public_key_file,omitempty"`
}

// keyInspect prints what the key is. An encrypted key is decrypted when a
// passphrase is available (which also checks the passphrase: a wrong one is
// exit 1); without any passphrase source it prints what is known without
// decrypting and exits 0, because inspecting does not need the private half.
// An empty passphrase typed at the prompt skips decryption the same way.
func keyInspect(s *IO, opts keyInspectOptions) error {
	var pass []byte
	defer func() { clear(pass) }()
	if opts.PassphraseStdin {
		// The passphrase is the first line even when the key follows on stdin.
		line, err := stdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return err
		}
		pass = []byte(line)
	}
	raw, name, err := readKeyInput(s, opts.File)
	if err != nil {
		return err
	}
	k, locked, err := openKey(s, raw, name, pass, "Passphrase for "+name+" (Enter to skip): ")
	if err != nil {
		return err
	}
	decrypted := locked == nil
	if locked != nil {
		if k = locked.Key; k == nil {
			k = &sshkeys.Key{Encrypted: true}
		}
		fmt.Fprintf(s.Err, "note: %s is encrypted; give its passphrase (--passphrase-stdin, %s or a terminal) to check it and see every field\n", name, keyPassphraseEnv)
	}
	j := inspectJSON(k, decrypted)
	if opts.JSON {
		return writeJSON(s.Out, j)
	}
	printKeyHuman(s.Out, name, j)
	return nil
}

func inspectJSON(k *sshkeys.Key, decrypted bool) keyJSON {
	return keyJSON{
		Format:      k.Format,
		Type:        k.Type,
		Bits:        k.Bits,
		Encrypted:   k.Encrypted,
		Fingerprint: k.Fingerprint,
		PublicKey:   k.AuthorizedKey,
		Comment:     k.Comment,
		Decrypted:   decrypted,
		Warnings:    keyWarnings(k),
	}
}

// keyWarnings says what will go wrong later with a key that reads fine: the
// parser's warnings (DSA, short RSA) plus advice on the file format.
func keyWarnings(k *sshkeys.Key) []string {
	w := append([]string(nil), k.Warnings...)
	if k.Format == sshkeys.FormatPPKv2 {
		w = append(w, "PuTTY .ppk version 2 protects its passphrase weakly: `gitjira key convert FILE --to ppk` writes version 3")
	}
	return w
}

func printKeyHuman(w io.Writer, name string, j keyJSON) {
	unknown := "(unknown until decrypted)"
	orUnknown := func(v string) string {
		if v == "" && !j.Decrypted {
			return unknown
		}
		return v
	}
	bits := unknown
	if j.Bits > 0 {
		bits = fmt.Sprint(j.Bits)
	}
	enc := "no"
	if j.Encrypted {
		enc = "yes (passphrase checked)"
		if !j.Decrypted {
			enc = "yes (not decrypted)"
		}
	}
	fmt.Fprintf(w, "File:         %s\n", name)
	fmt.Fprintf(w, "Format:       %s\n", orUnknown(string(j.Format)))
	fmt.Fprintf(w, "Type:         %s\n", orUnknown(j.Type))
	fmt.Fprintf(w, "Bits:         %s\n", bits)
	fmt.Fprintf(w, "Encrypted:    %s\n", enc)
	fmt.Fprintf(w, "Fingerprint:  %s\n", orUnknown(j.Fingerprint))
	fmt.Fprintf(w, "Comment:      %s\n", orUnknown(j.Comment))
	fmt.Fprintf(w, "Public key:   %s\n", orUnknown(j.PublicKey))
	for _, warn := range j.Warnings {
		fmt.Fprintf(w, "Warning:      %s\n", warn)
	}
}

// ---- convert ----

// keyConvertOptions are the flags of `gitjira key convert`.
type keyConvertOptions struct {
	File               string
	To                 sshkeys.Format
	Out                string
	PassphraseStdin    bool
	NewPassphraseStdin bool
}

// convertTargets maps --to values to formats.
var convertTargets = map[string]sshkeys.Format{
	"openssh": sshkeys.FormatOpenSSH,
	"pem":     sshkeys.FormatPEM,
	"ppk":     sshkeys.FormatPPKv3,
}

func runKeyConvert(s *IO, args []string) error {
	var opts keyConvertOptions
	var to string
	const usage = "key convert FILE|- --to openssh|pem|ppk [-o OUT] [--passphrase-stdin] [--new-passphrase-stdin]"
	fs := newFlagSet("key convert", s)
	fs.StringVar(&to, "to", "", "target format: openssh, pem (PKCS#1 for RSA, SEC1 for ECDSA, PKCS#8 for Ed25519) or ppk (PuTTY v3)")
	fs.StringVar(&opts.Out, "o", "", "write to this new file (0600, never overwritten) instead of stdout")
	fs.BoolVar(&opts.PassphraseStdin, "passphrase-stdin", false, "read the key's passphrase from the first line of stdin")
	fs.BoolVar(&opts.NewPassphraseStdin, "new-passphrase-stdin", false, "read the new passphrase from the next line of stdin (empty line: none)")
	pos, done, err := parseKeyFlags(fs, usage, args)
	if err != nil || done {
		return err
	}
	switch len(pos) {
	case 0:
		return usageErrorf("key convert: missing FILE: give the private key file, or - for stdin")
	case 1:
		opts.File = pos[0]
	default:
		return usageErrorf("key convert: one FILE only (got %d arguments)", len(pos))
	}
	if to == "" {
		return usageErrorf("key convert: --to is required: openssh, pem or ppk")
	}
	f, ok := convertTargets[strings.ToLower(to)]
	if !ok {
		return usageErrorf("key convert: --to %q is not a format: use openssh, pem or ppk", to)
	}
	opts.To = f
	return keyConvert(s, opts)
}

// keyConvert reads, decrypts and re-encodes a key. stdin lines are taken in a
// fixed order, whether or not the key turns out to be encrypted: first the
// old passphrase (--passphrase-stdin), then the new one
// (--new-passphrase-stdin), then, for FILE "-", the key itself.
func keyConvert(s *IO, opts keyConvertOptions) error {
	if opts.Out != "" {
		// Fail before asking for passphrases or doing slow work.
		if err := sshkeys.CheckNewFile(opts.Out); err != nil {
			return err
		}
	}
	var oldPass, newPass []byte
	defer func() { clear(oldPass); clear(newPass) }()
	if opts.PassphraseStdin {
		line, err := stdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return err
		}
		oldPass = []byte(line)
	}
	if opts.NewPassphraseStdin {
		line, err := stdinSecretLine(s, "--new-passphrase-stdin")
		if err != nil {
			return err
		}
		newPass = []byte(line)
	}
	raw, name, err := readKeyInput(s, opts.File)
	if err != nil {
		return err
	}
	k, locked, err := openKey(s, raw, name, oldPass, "Passphrase for "+name+": ")
	if err != nil {
		return err
	}
	if locked != nil {
		return fmt.Errorf("%s is encrypted: give its passphrase with --passphrase-stdin, %s or on a terminal", name, keyPassphraseEnv)
	}
	if k.Comment == "" && opts.File != "-" {
		k.Comment = commentFromPub(opts.File+".pub", k)
	}
	if !opts.NewPassphraseStdin && s.StdinIsTerminal() {
		newPass, err = keyNewPassphrase(s, "New passphrase for the converted key (empty for none): ")
		if err != nil {
			return err
		}
	}
	out, err := sshkeys.Convert(k, opts.To, newPass)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, note := range convertNotes(k, opts.To, len(newPass) > 0) {
		fmt.Fprintf(s.Err, "note: %s\n", note)
	}
	if opts.Out == "" {
		_, err := s.Out.Write(out)
		return err
	}
	if err := sshkeys.WriteFileExclusive(opts.Out, out, 0o600); err != nil {
		return err
	}
	state := "not encrypted"
	if len(newPass) > 0 {
		state = "encrypted"
	}
	fmt.Fprintf(s.Out, "Wrote %s (%s, %s, %s)\n", opts.Out, targetName(k, opts.To, len(newPass) > 0), state, k.Fingerprint)
	return nil
}

// commentFromPub returns the comment of the .pub file beside a key whose
// format has no room for one (PEM, PKCS#8), when that .pub holds the same
// key, so a conversion to OpenSSH or PPK keeps the name ssh-keygen gave it.
func commentFromPub(pubPath string, k *sshkeys.Key) string {
	if k.PublicKey == nil {
		return ""
	}
	data, err := os.ReadFile(pubPath)
	if err != nil || len(data) > 64<<10 {
		return ""
	}
	pub, comment, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil || !bytes.Equal(pub.Marshal(), k.PublicKey.Marshal()) {
		return ""
	}
	return comment
}

// targetName is the concrete format Convert writes, as inspect will report it.
func targetName(k *sshkeys.Key, to sshkeys.Format, encrypted bool) sshkeys.Format {
	if to != sshkeys.FormatPEM {
		return to
	}
	switch {
	case encrypted, k.Type == "ssh-ed25519":
		return sshkeys.FormatPKCS8
	case k.Type == "ssh-rsa":
		return sshkeys.FormatPKCS1
	default:
		return sshkeys.FormatSEC1
	}
}

// convertNotes warns about tools that will not read what was written (measured
// with OpenSSH 9.2, PuTTY 0.78 and OpenSSL 3.0).
func convertNotes(k *sshkeys.Key, to sshkeys.Format, encrypted bool) []string {
	var notes []string
	if to == sshkeys.FormatPEM {
		if k.Type == "ssh-ed25519" {
			notes = append(notes, "Ed25519 in PEM is PKCS#8, which OpenSSL reads but ssh-keygen and PuTTYgen do not: use openssh or ppk for those")
		} else if encrypted {
			notes = append(notes, "encrypted PEM is written as PKCS#8 (ENCRYPTED PRIVATE KEY), which OpenSSL and ssh-keygen read but PuTTYgen does not")
		}
	}
	if k.Encrypted && !encrypted {
		notes = append(notes, "the converted key is not encrypted: keep it private (--new-passphrase-stdin sets a passphrase)")
	}
	return notes
}

// ---- generate ----

// keyGenerateOptions are the flags of `gitjira key generate`.
type keyGenerateOptions struct {
	Gen             sshkeys.GenerateOptions
	Out             string
	PassphraseStdin bool
	JSON            bool
}

func runKeyGenerate(s *IO, args []string) error {
	var opts keyGenerateOptions
	var format string
	comment := keyDefaultComment()
	const usage = "key generate [--type ed25519|rsa|ecdsa] [--bits N] [--format openssh|pem] [-C COMMENT] [--passphrase-stdin] [--json] -o FILE"
	fs := newFlagSet("key generate", s)
	fs.StringVar(&opts.Gen.Type, "type", "ed25519", "key type: ed25519, rsa or ecdsa")
	fs.IntVar(&opts.Gen.Bits, "bits", 0, "key size: rsa 2048..16384 (default 4096), ecdsa 256, 384 or 521 (default 256)")
	fs.StringVar(&format, "format", "openssh", "private key format: openssh or pem")
	fs.StringVar(&comment, "C", comment, "comment at the end of the public key")
	fs.StringVar(&opts.Out, "o", "", "private key file to create (FILE.pub gets the public key); never overwritten")
	fs.BoolVar(&opts.PassphraseStdin, "passphrase-stdin", false, "read the new key's passphrase from the first line of stdin (empty line: none)")
	fs.BoolVar(&opts.JSON, "json", false, "print the new key as one JSON object (the inspect fields plus the file names)")
	pos, done, err := parseKeyFlags(fs, usage, args)
	if err != nil || done {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("key generate: unexpected argument %q: the file goes after -o", pos[0])
	}
	if opts.Out == "" {
		return usageErrorf("key generate: -o FILE is required: where to write the private key (FILE.pub gets the public key)")
	}
	switch strings.ToLower(format) {
	case "openssh":
		opts.Gen.Format = sshkeys.FormatOpenSSH
	case "pem":
		opts.Gen.Format = sshkeys.FormatPEM
	default:
		return usageErrorf("key generate: --format %q is not a format: use openssh or pem", format)
	}
	opts.Gen.Comment = comment
	if err := opts.Gen.Validate(); err != nil {
		var oe *sshkeys.OptionError
		if errors.As(err, &oe) {
			flagName := map[string]string{"type": "--type", "bits": "--bits", "format": "--format", "comment": "-C"}[oe.Option]
			return usageErrorf("key generate: %s: %s", flagName, oe.Reason)
		}
		return usageErrorf("key generate: %v", err)
	}
	return keyGenerate(s, opts)
}

// keyGenerate makes a key pair and writes FILE and FILE.pub. The passphrase
// comes from --passphrase-stdin, GITJIRA_PASSPHRASE, or a prompt asked twice
// when stdin is a terminal; otherwise the key is not encrypted.
func keyGenerate(s *IO, opts keyGenerateOptions) error {
	for _, p := range []string{opts.Out, opts.Out + ".pub"} {
		if err := sshkeys.CheckNewFile(p); err != nil {
			return err
		}
	}
	var pass []byte
	defer func() { clear(pass) }()
	switch v, set := os.LookupEnv(keyPassphraseEnv); {
	case opts.PassphraseStdin:
		line, err := stdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return err
		}
		pass = []byte(line)
	case set:
		pass = []byte(v)
	case s.StdinIsTerminal():
		var err error
		pass, err = keyNewPassphrase(s, "Passphrase for the new key (empty for none): ")
		if err != nil {
			return err
		}
	}
	opts.Gen.Passphrase = pass
	if opts.Gen.Type == sshkeys.TypeRSA && opts.Gen.Bits >= 4096 {
		fmt.Fprintf(s.Err, "Generating an RSA %d key (this takes a few seconds)...\n", opts.Gen.Bits)
	}
	k, priv, err := sshkeys.Generate(opts.Gen)
	if err != nil {
		return err
	}
	if err := sshkeys.WriteKeyPair(opts.Out, priv, k.AuthorizedKey); err != nil {
		return err
	}
	if opts.JSON {
		j := inspectJSON(k, true)
		j.PrivateKeyFile, j.PublicKeyFile = opts.Out, opts.Out+".pub"
		return writeJSON(s.Out, j)
	}
	state := "not encrypted"
	if k.Encrypted {
		state = "encrypted"
	}
	fmt.Fprintf(s.Out, "Wrote the private key to %s (%s %d, %s, %s) and the public key to %s.pub\n", opts.Out, k.Type, k.Bits, k.Format, state, opts.Out)
	fmt.Fprintf(s.Out, "Fingerprint: %s\n", k.Fingerprint)
	fmt.Fprintf(s.Out, "Public key:\n%s\n\n", k.AuthorizedKey)
	fmt.Fprintf(s.Out, "Add this public key on your git host's SSH keys page (GitHub: Settings > SSH and GPG keys; GitLab: Preferences > SSH Keys; Bitbucket: Personal settings > SSH keys), then use %s as the private key: gitjira connect --key %s\n", opts.Out, opts.Out)
	return nil
}

// keyDefaultComment is user@host, as ssh-keygen writes it.
func keyDefaultComment() string {
	name := "gitjira"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return name + "@" + h
	}
	return name
}

// ---- shared ----

// readKeyInput reads the key from FILE, or from the rest of stdin for "-".
// It reads at most one byte more than sshkeys.MaxInputSize, so a huge file
// is refused by the parser without being loaded.
func readKeyInput(s *IO, file string) (raw []byte, name string, err error) {
	limit := int64(sshkeys.MaxInputSize) + 1
	if file == "-" {
		raw, err = io.ReadAll(io.LimitReader(s.Stdin(), limit))
		if err != nil {
			return nil, "stdin", fmt.Errorf("could not read the key from stdin: %v", err)
		}
		return raw, "stdin", nil
	}
	f, err := os.Open(file)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, file, fmt.Errorf("%s does not exist: give the path of the private key file (e.g. ~/.ssh/id_ed25519)", file)
		case errors.Is(err, fs.ErrPermission):
			return nil, file, fmt.Errorf("%s cannot be read (permission denied): check the file's owner and mode", file)
		}
		return nil, file, fmt.Errorf("cannot open %s: %v", file, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, file, fmt.Errorf("%s is a directory: give the private key file inside it (e.g. %s/id_ed25519)", file, strings.TrimRight(file, "/"))
	}
	raw, err = io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, file, fmt.Errorf("could not read %s: %v", file, err)
	}
	return raw, file, nil
}

// stdinSecretLine reads one passphrase line from stdin for flag. A line that
// is the start of a key means the passphrase line was forgotten before a key
// given on stdin ("-"); saying so beats a confusing parse error later.
func stdinSecretLine(s *IO, flag string) (string, error) {
	line, err := s.ReadLine()
	if err != nil {
		return "", fmt.Errorf("could not read the passphrase from stdin (%s): %v", flag, err)
	}
	if strings.HasPrefix(line, "-----BEGIN ") || strings.HasPrefix(line, "PuTTY-User-Key-File-") {
		return "", usageErrorf("%s: the first line of stdin is the start of a key, not a passphrase: put the passphrase line(s) before the key", flag)
	}
	return line, nil
}

// openKey parses a private key and decrypts it when it is encrypted. The
// passphrase is stdinPass when --passphrase-stdin gave one; else
// GITJIRA_PASSPHRASE; else a masked prompt, only when prompt is set and stdin
// is a terminal (so scripts and tests never block on /dev/tty). An empty
// answer at the prompt counts as none. locked is set, with a nil key and
// error, when the key is encrypted and no passphrase was to be had; a wrong
// passphrase's error says where the passphrase came from.
func openKey(s *IO, raw []byte, name string, stdinPass []byte, prompt string) (k *sshkeys.Key, locked *sshkeys.PassphraseMissingError, err error) {
	k, err = sshkeys.Parse(raw)
	var pme *sshkeys.PassphraseMissingError
	if !errors.As(err, &pme) {
		if err != nil {
			return nil, nil, keyError(name, err)
		}
		return k, nil, nil
	}
	pass, source := stdinPass, "--passphrase-stdin"
	if pass == nil {
		if v, set := os.LookupEnv(keyPassphraseEnv); set {
			pass, source = []byte(v), keyPassphraseEnv
		} else if prompt != "" && s.StdinIsTerminal() {
			typed, ok, err := s.Secret(false, "", prompt)
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

// newPassphrase asks for a new passphrase twice on the terminal; empty means none.
func keyNewPassphrase(s *IO, prompt string) ([]byte, error) {
	p1, ok, err := s.Secret(false, "", prompt)
	if err != nil || !ok || len(p1) == 0 {
		return nil, err
	}
	p2, _, err := s.Secret(false, "", "Repeat the passphrase: ")
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

// passphraseError is keyError that, for a wrong passphrase, says where the
// passphrase came from: a stale GITJIRA_PASSPHRASE is easy to forget.
func passphraseError(name, source string, err error) error {
	if errors.Is(err, sshkeys.ErrWrongPassphrase) && source != "" {
		return fmt.Errorf("%s: %w (the passphrase came from %s)", name, err, source)
	}
	return keyError(name, err)
}

// keyError puts the input's name in front of a parser error.
func keyError(name string, err error) error {
	return fmt.Errorf("%s: %w", name, err)
}
