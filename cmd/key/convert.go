package key

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/gitjira/gitjira/internal/safefile"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/sshkeys"
)

// ConvertOptions are the arguments and flags of `gitjira key convert`.
type ConvertOptions struct {
	IO  *cmdutil.IOStreams
	Ctx context.Context

	File               string
	To                 sshkeys.Format
	Out                string
	PassphraseStdin    bool
	NewPassphraseStdin bool
	// NoPassphrase writes an encrypted key's conversion unencrypted, on purpose.
	NoPassphrase bool
}

// convertTargets maps --to values to formats.
var convertTargets = map[string]sshkeys.Format{
	"openssh": sshkeys.FormatOpenSSH,
	"pem":     sshkeys.FormatPEM,
	"ppk":     sshkeys.FormatPPKv3,
}

// NewCmdConvert builds `gitjira key convert FILE|- --to FORMAT`. runF, when
// not nil, is called with the parsed options instead of runConvert.
func NewCmdConvert(f *cmdutil.Factory, runF func(*ConvertOptions) error) *cobra.Command {
	opts := &ConvertOptions{}
	var to string
	cmd := &cobra.Command{
		Use:   "convert FILE|- --to openssh|pem|ppk",
		Short: "Convert a private key to OpenSSH, PEM or PuTTY (.ppk v3)",
		Long: `Convert a private key to another format, to stdout or to a new file (-o).

stdin lines are read in order: the old passphrase (--passphrase-stdin), the new
one (--new-passphrase-stdin), then the key when FILE is "-". On a terminal the
passphrases are asked for instead. -o OUT is never overwritten.

--to pem writes PKCS#1 for RSA, SEC1 for ECDSA and PKCS#8 for Ed25519; with a
new passphrase, PEM is encrypted PKCS#8 (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC).`,
		Example: "  gitjira key convert key.ppk --to openssh -o id_ed25519\n  gitjira key convert id_rsa --to ppk -o id_rsa.ppk",
		Args:    fileArg("convert"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.File = args[0]
			if to == "" {
				return cmdutil.UsageErrorf("key convert: --to is required: openssh, pem or ppk")
			}
			format, ok := convertTargets[strings.ToLower(to)]
			if !ok {
				return cmdutil.UsageErrorf("key convert: --to %q is not a format: use openssh, pem or ppk", to)
			}
			opts.To = format
			if runF != nil {
				return runF(opts)
			}
			return runConvert(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&to, "to", "", "target `FORMAT`: openssh, pem (PKCS#1 for RSA, SEC1 for ECDSA, PKCS#8 for Ed25519) or ppk (PuTTY v3)")
	fl.StringVarP(&opts.Out, "output", "o", "", "write to this new `FILE` (0600, never overwritten) instead of stdout")
	fl.BoolVar(&opts.PassphraseStdin, "passphrase-stdin", false, "read the key's passphrase from the first line of stdin")
	fl.BoolVar(&opts.NewPassphraseStdin, "new-passphrase-stdin", false, "read the new passphrase from the next line of stdin (empty line: none)")
	fl.BoolVar(&opts.NoPassphrase, "no-passphrase", false, "write the converted key unencrypted even though the original is encrypted")
	return cmd
}

// runConvert reads, decrypts and re-encodes a key. stdin lines are taken in a
// fixed order, whether or not the key turns out to be encrypted: first the
// old passphrase (--passphrase-stdin), then the new one
// (--new-passphrase-stdin), then, for FILE "-", the key itself.
func runConvert(opts *ConvertOptions) error {
	s := opts.IO
	if opts.Out != "" {
		// Fail before asking for passphrases or doing slow work.
		if err := sshkeys.CheckNewFile(opts.Out); err != nil {
			return err
		}
	}
	var oldPass, newPass []byte
	defer func() { clear(oldPass); clear(newPass) }()
	if opts.PassphraseStdin {
		line, err := cmdutil.StdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return err
		}
		oldPass = []byte(line)
	}
	if opts.NewPassphraseStdin {
		line, err := cmdutil.StdinSecretLine(s, "--new-passphrase-stdin")
		if err != nil {
			return err
		}
		newPass = []byte(line)
	}
	raw, name, err := cmdutil.ReadKeyInput(s, opts.File)
	if err != nil {
		return err
	}
	k, locked, err := cmdutil.OpenKey(opts.Ctx, s, raw, name, oldPass, "Passphrase for "+name+": ")
	if err != nil {
		return err
	}
	if locked != nil {
		return fmt.Errorf("%s is encrypted: give its passphrase with --passphrase-stdin, %s or on a terminal", name, cmdutil.PassphraseEnv)
	}
	if k.Comment == "" && opts.File != "-" {
		k.Comment = commentFromPub(opts.File+".pub", k)
	}
	if !opts.NewPassphraseStdin && s.StdinIsTerminal() {
		newPass, err = cmdutil.NewPassphrase(opts.Ctx, s, "New passphrase for the converted key (empty for none): ")
		if err != nil {
			return err
		}
	}
	if k.Encrypted && len(newPass) == 0 && !opts.NoPassphrase {
		// Decrypting a key by converting it is rarely what was meant: the
		// protection must be dropped on purpose.
		return cmdutil.UsageErrorf("key convert: %s is encrypted and the converted key would not be: give a new passphrase with --new-passphrase-stdin (or on the terminal), or pass --no-passphrase to write it unencrypted", name)
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
	data, err := safefile.Read(pubPath, 64<<10)
	if err != nil {
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
		notes = append(notes, "the converted key is not encrypted (--no-passphrase): keep it private")
	}
	return notes
}
