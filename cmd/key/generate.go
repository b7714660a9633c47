package key

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/sshkeys"
)

// GenerateOptions are the flags of `gitjira key generate`.
type GenerateOptions struct {
	IO  *cmdutil.IOStreams
	Ctx context.Context

	Gen             sshkeys.GenerateOptions
	Out             string
	PassphraseStdin bool
	JSON            bool
}

// NewCmdGenerate builds `gitjira key generate -o FILE`. runF, when not nil,
// is called with the parsed options instead of runGenerate.
func NewCmdGenerate(f *cmdutil.Factory, runF func(*GenerateOptions) error) *cobra.Command {
	opts := &GenerateOptions{}
	var format string
	cmd := &cobra.Command{
		Use:   "generate -o FILE",
		Short: "Make a new key pair: FILE and FILE.pub",
		Long: `Make a new key pair: the private key in FILE (0600) and the public key in
FILE.pub. Neither is ever overwritten.

The new key's passphrase comes from --passphrase-stdin, GITJIRA_PASSPHRASE, or
a prompt asked twice when stdin is a terminal; otherwise the key is not encrypted.`,
		Example: "  gitjira key generate -o ~/.ssh/gitjira_ed25519\n  gitjira key generate --type rsa --bits 4096 -C deploy@ci -o deploy_rsa",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.UsageErrorf("key generate: unexpected argument %q: the file goes after -o", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			if opts.Out == "" {
				return cmdutil.UsageErrorf("key generate: -o FILE is required: where to write the private key (FILE.pub gets the public key)")
			}
			switch strings.ToLower(format) {
			case "openssh":
				opts.Gen.Format = sshkeys.FormatOpenSSH
			case "pem":
				opts.Gen.Format = sshkeys.FormatPEM
			default:
				return cmdutil.UsageErrorf("key generate: --format %q is not a format: use openssh or pem", format)
			}
			if !cmd.Flags().Changed("comment") {
				opts.Gen.Comment = defaultComment()
			}
			if err := opts.Gen.Validate(); err != nil {
				var oe *sshkeys.OptionError
				if errors.As(err, &oe) {
					flagName := map[string]string{"type": "--type", "bits": "--bits", "format": "--format", "comment": "-C"}[oe.Option]
					return cmdutil.UsageErrorf("key generate: %s: %s", flagName, oe.Reason)
				}
				return cmdutil.UsageErrorf("key generate: %v", err)
			}
			if runF != nil {
				return runF(opts)
			}
			return runGenerate(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Gen.Type, "type", "ed25519", "key `TYPE`: ed25519, rsa or ecdsa")
	fl.IntVar(&opts.Gen.Bits, "bits", 0, "key size in `N` bits: rsa 2048..16384 (default 4096), ecdsa 256, 384 or 521 (default 256)")
	fl.StringVar(&format, "format", "openssh", "private key `FORMAT`: openssh or pem")
	fl.StringVarP(&opts.Gen.Comment, "comment", "C", "", "`COMMENT` at the end of the public key (default user@host, as ssh-keygen)")
	fl.StringVarP(&opts.Out, "output", "o", "", "private key `FILE` to create (FILE.pub gets the public key); never overwritten")
	fl.BoolVar(&opts.PassphraseStdin, "passphrase-stdin", false, "read the new key's passphrase from the first line of stdin (empty line: none)")
	fl.BoolVar(&opts.JSON, "json", false, "print the new key as one JSON object (the inspect fields plus the file names)")
	return cmd
}

// runGenerate makes a key pair and writes FILE and FILE.pub. The passphrase
// comes from --passphrase-stdin, GITJIRA_PASSPHRASE, or a prompt asked twice
// when stdin is a terminal; otherwise the key is not encrypted.
func runGenerate(opts *GenerateOptions) error {
	s := opts.IO
	for _, p := range []string{opts.Out, opts.Out + ".pub"} {
		if err := sshkeys.CheckNewFile(p); err != nil {
			return err
		}
	}
	var pass []byte
	defer func() { clear(pass) }()
	switch v, set := s.Getenv(cmdutil.PassphraseEnv); {
	case opts.PassphraseStdin:
		line, err := cmdutil.StdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return err
		}
		pass = []byte(line)
	case set:
		pass = []byte(v)
	case s.StdinIsTerminal():
		var err error
		pass, err = cmdutil.NewPassphrase(opts.Ctx, s, "Passphrase for the new key (empty for none): ")
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
		return cmdutil.WriteJSON(s.Out, j)
	}
	state := "not encrypted"
	if k.Encrypted {
		state = "encrypted"
	}
	fmt.Fprintf(s.Out, "Wrote the private key to %s (%s %d, %s, %s) and the public key to %s.pub\n", opts.Out, k.Type, k.Bits, k.Format, state, opts.Out)
	fmt.Fprintf(s.Out, "Fingerprint: %s\n", k.Fingerprint)
	fmt.Fprintf(s.Out, "Public key:\n%s\n\n", k.AuthorizedKey)
	fmt.Fprintf(s.Out, "Authorize it on the repository's host (a read-only deploy key through its API, or a password login on a plain SSH server), proven by a login: gitjira key authorize --url URL --key %s\n", opts.Out)
	fmt.Fprintf(s.Out, "Or add this public key on the host's SSH keys page (GitHub: Settings > SSH and GPG keys; GitLab: Preferences > SSH Keys; Bitbucket: Personal settings > SSH keys). Then connect: gitjira connect --key %s\n", opts.Out)
	return nil
}

// defaultComment is user@host, as ssh-keygen writes it.
func defaultComment() string {
	name := "gitjira"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return name + "@" + h
	}
	return name
}
