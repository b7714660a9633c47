package key

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/sshkeys"
)

// InspectOptions are the arguments and flags of `gitjira key inspect`.
type InspectOptions struct {
	IO  *cmdutil.IOStreams
	Ctx context.Context

	File            string
	PassphraseStdin bool
	JSON            bool
}

// NewCmdInspect builds `gitjira key inspect FILE|-`. runF, when not nil, is
// called with the parsed options instead of runInspect.
func NewCmdInspect(f *cmdutil.Factory, runF func(*InspectOptions) error) *cobra.Command {
	opts := &InspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect FILE|-",
		Short: "Show a private key's format, type, bits and fingerprint",
		Long: `Show what a private key is: format, type, bits, whether it is encrypted, its
fingerprint and public key.

An encrypted key is decrypted when a passphrase is available (which also checks
it); without one, what the file shows in the clear is printed, with a note.`,
		Example: "  gitjira key inspect ~/.ssh/id_ed25519\n  gitjira key inspect key.ppk --json\n  { echo \"$PASS\"; cat key; } | gitjira key inspect - --passphrase-stdin",
		Args:    fileArg("inspect"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			opts.File = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runInspect(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.PassphraseStdin, "passphrase-stdin", false, "read the key's passphrase from the first line of stdin")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object")
	return cmd
}

// keyJSON is the `key inspect --json` object (docs/CLI.md); fields may be added, not renamed.
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
	// Certificate is the KEY-cert.pub beside the key, when there is one.
	Certificate *certJSON `json:"certificate,omitempty"`
}

// runInspect prints what the key is. An encrypted key is decrypted when a
// passphrase is available (which also checks the passphrase: a wrong one is
// exit 1); without any passphrase source it prints what is known without
// decrypting and exits 0, because inspecting does not need the private half.
// An empty passphrase typed at the prompt skips decryption the same way.
func runInspect(opts *InspectOptions) error {
	s := opts.IO
	var pass []byte
	defer func() { clear(pass) }()
	if opts.PassphraseStdin {
		// The passphrase is the first line even when the key follows on stdin.
		line, err := cmdutil.StdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return err
		}
		pass = []byte(line)
	}
	raw, name, err := cmdutil.ReadKeyInput(s, opts.File)
	if err != nil {
		return err
	}
	// An OpenSSH certificate (KEY-cert.pub): its principals, validity and CA.
	if ok, err := inspectCertificate(opts, raw, name); ok {
		return err
	}
	k, locked, err := cmdutil.OpenKey(opts.Ctx, s, raw, name, pass, "Passphrase for "+name+" (Enter to skip): ")
	if err != nil {
		return err
	}
	decrypted := locked == nil
	if locked != nil {
		if k = locked.Key; k == nil {
			k = &sshkeys.Key{Encrypted: true}
		}
		fmt.Fprintf(s.Err, "note: %s is encrypted; give its passphrase (--passphrase-stdin, %s or a terminal) to check it and see every field\n", name, cmdutil.PassphraseEnv)
	}
	j := inspectJSON(k, decrypted)
	// The certificate OpenSSH would load beside the key.
	j.Certificate = besideCertificate(opts.File)
	if opts.JSON {
		return cmdutil.WriteJSON(s.Out, j)
	}
	printKeyHuman(s.Out, name, j)
	if j.Certificate != nil {
		fmt.Fprintln(s.Out)
		printCertHuman(s.Out, *j.Certificate)
	}
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
