package key

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/forge"
	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/sshkeys"
)

// ViaSSH is --via ssh: the one-time password login that appends the key to
// the account's ~/.ssh/authorized_keys.
const ViaSSH = "ssh"

// AuthorizeOptions are the flags of `gitjira key authorize`.
type AuthorizeOptions struct {
	IO  *cmdutil.IOStreams
	Ctx context.Context

	URL             string
	Key             string
	Via             string // a forge.Kind or ViaSSH; "" = guessed or asked
	APIURL          string
	Title           string
	KnownHostsFile  string
	SSHConfigFile   string
	TrustHost       string
	Timeout         time.Duration
	Wait            time.Duration
	TokenStdin      bool
	PasswordStdin   bool
	PassphraseStdin bool
	InsecureHTTP    bool
	Yes             bool
	JSON            bool

	// HTTPClient is used for the host's API (nil: the default client);
	// tests give the stand-in's TLS client.
	HTTPClient *http.Client
	// Now gives the date of the default title (nil: time.Now).
	Now func() time.Time
}

// NewCmdAuthorize builds `gitjira key authorize`. runF, when not nil, is
// called with the parsed options instead of runAuthorize.
func NewCmdAuthorize(f *cmdutil.Factory, runF func(*AuthorizeOptions) error) *cobra.Command {
	opts := &AuthorizeOptions{}
	cmd := &cobra.Command{
		Use:   "authorize --url URL --key FILE",
		Short: "Add a key where the repository's host accepts it, then prove it reads the repository",
		Long: `Add a key's public half where the repository's host will accept it, then log
in with the key and list the repository's refs: the command exits 0 only if
that works.

--via github|gitlab|gitea|bitbucket|bitbucket-server adds a read-only deploy
key to the repository through the host's API (a key already there is not
added twice). The token comes from --token-stdin, the host's usual variable
(GH_TOKEN or GITHUB_TOKEN, GITLAB_TOKEN, GITEA_TOKEN, BITBUCKET_TOKEN) or a
masked prompt; it is never stored, and never sent over plain http without
--insecure-http.

--via ssh, for plain SSH servers, logs in once with the account's password
(--password-stdin or a masked prompt; never stored) and appends the key to
that account's ~/.ssh/authorized_keys as ssh-copy-id does. An account
without a shell (git-shell, gitolite) is answered with the line its admin runs.

--via is guessed for github.com, gitlab.com, bitbucket.org, codeberg.org and
gitea.com; for other hosts it is asked on a terminal, and required otherwise.
With several secrets on stdin the order is: passphrase, then token or password.`,
		Example: `  gitjira key authorize --url git@github.com:octo/app.git --key ~/.ssh/gitjira_ed25519
  echo "$TOKEN" | gitjira key authorize --via gitlab --api-url https://git.corp \
      --url git@git.corp:team/app.git --key deploy.pub --token-stdin --yes
  gitjira key authorize --via ssh --url ssh://git@srv.example.com/srv/git/app.git --key ~/.ssh/id_ed25519`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Ctx = cmd.Context()
			if opts.KnownHostsFile == "" {
				opts.KnownHostsFile = f.KnownHostsFile()
			}
			opts.SSHConfigFile = f.SSHConfigFile()
			if err := cmdutil.ResolveTimeout(cmd, opts.IO, &opts.Timeout); err != nil {
				return err
			}
			if opts.URL == "" {
				return cmdutil.UsageErrorf("key authorize: --url is required: the repository, e.g. git@github.com:octo/app.git")
			}
			if opts.Key == "" {
				return cmdutil.UsageErrorf("key authorize: --key is required: the private key file (or its .pub)")
			}
			if opts.Via != "" && opts.Via != ViaSSH {
				k, err := forge.ParseKind(opts.Via)
				if err != nil {
					return cmdutil.UsageErrorf("key authorize: --via %v, or ssh", err)
				}
				opts.Via = string(k)
			}
			if opts.Via == ViaSSH && (opts.TokenStdin || opts.APIURL != "") {
				return cmdutil.UsageErrorf("key authorize: --via ssh logs in with a password: --token-stdin and --api-url are for API hosts")
			}
			if opts.Via != "" && opts.Via != ViaSSH && opts.PasswordStdin {
				return cmdutil.UsageErrorf("key authorize: --password-stdin is for --via ssh; API hosts take a token (--token-stdin)")
			}
			if opts.TrustHost != "" && !strings.HasPrefix(opts.TrustHost, "SHA256:") {
				return cmdutil.UsageErrorf("key authorize: --trust-host takes a SHA256 fingerprint such as SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8")
			}
			if opts.Wait <= 0 {
				return cmdutil.UsageErrorf("key authorize: --wait must be more than 0, e.g. 30s or 2m")
			}
			if runF != nil {
				return runF(opts)
			}
			return runAuthorize(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.URL, "url", "", "`URL` of the repository: ssh://[user@]host[:port]/path or [user@]host:path")
	fl.StringVar(&opts.Key, "key", "", "the key: private key `FILE` or its .pub (the private key is needed for the re-test)")
	fl.StringVar(&opts.Via, "via", "", "where to add the key: `HOST` kind github, gitlab, gitea, bitbucket, bitbucket-server, or ssh (password login)")
	fl.StringVar(&opts.APIURL, "api-url", "", "API `URL` of a self-hosted instance (default https://api.github.com for github.com, https://HOST/api/v3 for GitHub Enterprise, https://HOST otherwise)")
	fl.StringVar(&opts.Title, "title", "", "the deploy key's `TEXT` (default: gitjira <this machine> <date>)")
	fl.StringVar(&opts.KnownHostsFile, "known-hosts", "", "known_hosts `FILE` to check and extend (default $GITJIRA_KNOWN_HOSTS, else ~/.ssh/known_hosts)")
	fl.StringVar(&opts.TrustHost, "trust-host", "", "accept an unknown host only if its key has this `SHA256:...` fingerprint")
	fl.BoolVar(&opts.TokenStdin, "token-stdin", false, "read the host's API token from a line of stdin")
	fl.BoolVar(&opts.PasswordStdin, "password-stdin", false, "--via ssh: read the account's password from a line of stdin")
	fl.BoolVar(&opts.PassphraseStdin, "passphrase-stdin", false, "read the private key's passphrase from the first line of stdin")
	fl.BoolVar(&opts.InsecureHTTP, "insecure-http", false, "accept an http:// --api-url although the token then travels in clear")
	fl.DurationVar(&opts.Wait, "wait", forge.DefaultWait, "how long to keep trying while the host does not accept the new key yet, `DURATION`")
	fl.BoolVar(&opts.Yes, "yes", false, "never prompt; fail with the missing flag named instead")
	fl.BoolVar(&opts.JSON, "json", false, "print the result as one JSON object")
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	return cmd
}

// authorizeJSON is --json's output.
type authorizeJSON struct {
	Repository     string   `json:"repository"`
	Via            string   `json:"via"`
	Fingerprint    string   `json:"fingerprint"`
	Added          bool     `json:"added"`
	AlreadyWorked  bool     `json:"already_worked"`
	DeployKeyID    string   `json:"deploy_key_id,omitempty"`
	Title          string   `json:"title,omitempty"`
	Tries          int      `json:"tries"`
	AcceptedAfterS *float64 `json:"accepted_after_seconds"`
	DefaultBranch  string   `json:"default_branch"`
	Branches       int      `json:"branches"`
	Tags           int      `json:"tags"`
}

// authKey is the key being authorized: its public line, and the signer
// for the re-test (nil when only the .pub was to be had).
type authKey struct {
	line        string
	fingerprint string
	signer      ssh.Signer
	missing     string // why there is no signer
}

func runAuthorize(o *AuthorizeOptions) error {
	s := o.IO
	ctx := o.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	interactive := s.StdinIsTerminal() && !o.Yes
	ep, err := gitops.ParseURLWithConfig(o.URL, o.SSHConfigFile)
	if err != nil {
		return cmdutil.UsageErrorf("key authorize: --url: %v", err)
	}
	k, err := loadAuthKey(ctx, s, o)
	if err != nil {
		return err
	}
	if k.signer == nil {
		return fmt.Errorf("%s: the re-test after adding the key needs its private key: %s", o.Key, k.missing)
	}
	via, err := chooseVia(s, o, ep, interactive)
	if err != nil {
		return err
	}
	co := gitops.ConnectOptions{Endpoint: ep, Signer: k.signer, KnownHostsFile: o.KnownHostsFile, TrustFingerprint: o.TrustHost, Timeout: o.Timeout}
	out := authorizeJSON{Repository: ep.String(), Via: via, Fingerprint: k.fingerprint}

	// Does the key work already? This also settles the host key before any
	// token or password is asked for.
	info, err := gitops.Check(ctx, co)
	if err = trustUnknownHost(s, o, &co, err, interactive); err == nil && info == nil {
		info, err = gitops.Check(ctx, co)
	}
	var authErr *gitops.AuthError
	switch {
	case err == nil:
		out.AlreadyWorked, out.Tries = true, 1
		return report(s, o, out, info, fmt.Sprintf("The key %s already reads %s: nothing to add.", k.fingerprint, ep))
	case !errors.As(err, &authErr):
		return hostKeyHint(err)
	}
	co.TrustFingerprint = "" // recorded by the first Check when it was given

	title := o.Title
	if title == "" {
		title = defaultTitle(o.Now)
	}
	out.Title = title
	if via == ViaSSH {
		added, err := appendOverSSH(ctx, s, o, co, k.line+" "+title, interactive)
		if err != nil {
			return err
		}
		out.Added = added
		if added {
			fmt.Fprintf(s.Err, "Added the key to ~/.ssh/authorized_keys of %s on %s.\n", ep.User, ep.Host)
		} else {
			fmt.Fprintf(s.Err, "The key was already in ~/.ssh/authorized_keys of %s on %s.\n", ep.User, ep.Host)
		}
	} else {
		res, err := uploadDeployKey(ctx, s, o, forge.Kind(via), ep, k.line, title, interactive)
		if err != nil {
			return err
		}
		out.Added, out.DeployKeyID = !res.Existing, res.Key.ID
		if res.Existing {
			fmt.Fprintf(s.Err, "The key is already a deploy key of the repository on %s (%q).\n", forge.Kind(via).Name(), res.Key.Title)
		} else {
			fmt.Fprintf(s.Err, "Added the read-only deploy key %q on %s.\n", title, forge.Kind(via).Name())
		}
	}

	fmt.Fprintf(s.Err, "Checking that the key reads %s...\n", ep)
	acc, err := forge.WaitForAccess(ctx, co, o.Wait, func(tries int, elapsed time.Duration) {
		if tries == 1 {
			fmt.Fprintf(s.Err, "The host does not accept the key yet: trying again for up to %s.\n", o.Wait)
		}
	})
	out.Tries = acc.Tries
	if err != nil {
		if errors.As(err, &authErr) {
			return fmt.Errorf("the key was added but %s still refuses it after %s (%d tries): check that the URL's repository is the one the key was added to, then run the command again", ep.Host, o.Wait, acc.Tries)
		}
		return hostKeyHint(err)
	}
	msg := fmt.Sprintf("Verified: the key %s reads %s.", k.fingerprint, ep)
	if acc.Tries > 1 {
		secs := acc.After.Seconds()
		out.AcceptedAfterS = &secs
		msg += fmt.Sprintf(" The host took %s to accept the key (%d tries).", acc.After.Round(100*time.Millisecond), acc.Tries)
	}
	return report(s, o, out, acc.Remote, msg)
}

// report prints the result: JSON on stdout, or the summary lines.
func report(s *cmdutil.IOStreams, o *AuthorizeOptions, out authorizeJSON, info *gitops.RemoteInfo, msg string) error {
	out.DefaultBranch, out.Branches, out.Tags = info.DefaultBranch, info.Branches, info.Tags
	if o.JSON {
		return cmdutil.WriteJSON(s.Out, out)
	}
	fmt.Fprintln(s.Out, msg)
	def := info.DefaultBranch
	if def == "" {
		def = "(none: the repository is empty)"
	}
	fmt.Fprintf(s.Out, "%d branches, %d tags, default branch %s\n", info.Branches, info.Tags, def)
	return nil
}

// loadAuthKey reads --key: a private key (decrypted when needed: the re-test
// signs with it) or a .pub, whose private half is looked for beside it.
func loadAuthKey(ctx context.Context, s *cmdutil.IOStreams, o *AuthorizeOptions) (*authKey, error) {
	var pass []byte
	defer func() { clear(pass) }()
	if o.PassphraseStdin {
		line, err := cmdutil.StdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return nil, err
		}
		pass = []byte(line)
	}
	raw, name, err := cmdutil.ReadKeyInput(s, o.Key)
	if err != nil {
		return nil, err
	}
	_, perr := sshkeys.Parse(raw)
	var pub *sshkeys.PublicKeyGivenError
	if errors.As(perr, &pub) {
		line, fp, err := publicLine(raw)
		if err != nil {
			return nil, cmdutil.KeyError(name, err)
		}
		k := &authKey{line: line, fingerprint: fp}
		priv := strings.TrimSuffix(o.Key, ".pub")
		if priv == o.Key {
			k.missing = "give the private key file with --key"
			return k, nil
		}
		raw, _, err := cmdutil.ReadKeyInput(s, priv)
		if err != nil {
			k.missing = err.Error()
			return k, nil
		}
		name, o.Key = priv, priv
		return openAuthKey(ctx, s, raw, name, pass, k)
	}
	return openAuthKey(ctx, s, raw, name, pass, nil)
}

// openAuthKey decrypts the private key when needed (passphrase, then
// ssh-agent holding it) and checks it is the .pub's pair.
func openAuthKey(ctx context.Context, s *cmdutil.IOStreams, raw []byte, name string, pass []byte, want *authKey) (*authKey, error) {
	prompt := ""
	if s.StdinIsTerminal() {
		prompt = "Passphrase for " + name + ": "
	}
	key, locked, err := cmdutil.OpenKey(ctx, s, raw, name, pass, prompt)
	if err != nil {
		return nil, err
	}
	if locked != nil {
		if sock, ok := s.Getenv("SSH_AUTH_SOCK"); ok && sock != "" && locked.Key != nil {
			if ak, err := sshkeys.AgentSigner(sock, locked.Key.Fingerprint); err == nil {
				key = ak
			}
		}
		if key == nil {
			return nil, fmt.Errorf("%s is encrypted: pass its passphrase with --passphrase-stdin or %s, or load it into ssh-agent (the re-test signs with it)", name, cmdutil.PassphraseEnv)
		}
	}
	if want != nil && key.Fingerprint != want.fingerprint {
		return nil, fmt.Errorf("%s is not the private half of the .pub given (%s, not %s): give the matching private key with --key", name, key.Fingerprint, want.fingerprint)
	}
	return &authKey{line: key.AuthorizedKey, fingerprint: key.Fingerprint, signer: key.Signer}, nil
}

// publicLine reads a .pub file's key: "type base64" and its fingerprint.
func publicLine(raw []byte) (string, string, error) {
	pk, _, _, _, err := ssh.ParseAuthorizedKey(raw)
	if err != nil {
		return "", "", errors.New("not a public key line (ssh-ed25519 AAAA...)")
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))), ssh.FingerprintSHA256(pk), nil
}

// chooseVia settles --via: as given, guessed from a well-known host, or
// asked on a terminal.
func chooseVia(s *cmdutil.IOStreams, o *AuthorizeOptions, ep *gitops.Endpoint, interactive bool) (string, error) {
	if o.Via != "" {
		return o.Via, nil
	}
	if k := forge.Guess(ep.Host); k != "" {
		return string(k), nil
	}
	if !interactive {
		return "", cmdutil.UsageErrorf("key authorize: --via is required for %s: github, gitlab, gitea, bitbucket, bitbucket-server (the host's API), or ssh (a password login)", ep.Host)
	}
	for range 3 {
		fmt.Fprintf(s.Err, "How does %s take SSH keys? github, gitlab, gitea, bitbucket, bitbucket-server (its API), or ssh (a password login): ", ep.Host)
		line, err := s.ReadLine()
		if err != nil {
			return "", err
		}
		line = strings.TrimSpace(line)
		if strings.EqualFold(line, ViaSSH) {
			return ViaSSH, nil
		}
		if k, err := forge.ParseKind(line); err == nil {
			return string(k), nil
		}
		fmt.Fprintf(s.Err, "%q is none of those.\n", line)
	}
	return "", cmdutil.UsageErrorf("key authorize: pass --via")
}

// trustUnknownHost asks, on a terminal, whether to record an unknown host's
// key (the fingerprint shown), and records it. It returns the error that
// remains: nil when the host was just trusted (check again).
func trustUnknownHost(s *cmdutil.IOStreams, o *AuthorizeOptions, co *gitops.ConnectOptions, err error, interactive bool) error {
	var hk *gitops.HostKeyError
	if !errors.As(err, &hk) || !hk.Unknown() || !interactive || hk.Offered == nil {
		return err
	}
	fmt.Fprintf(s.Err, "Host %s is not known. Its %s key has fingerprint\n  %s\nCompare it with the one the host's admin publishes. Trust it? (y/N): ", hk.Host, hk.KeyType, hk.OfferedFingerprint)
	line, rerr := s.ReadLine()
	if rerr != nil || !strings.EqualFold(strings.TrimSpace(line), "y") && !strings.EqualFold(strings.TrimSpace(line), "yes") {
		return cmdutil.UsageErrorf("key authorize: host %s not trusted: nothing was changed", hk.Host)
	}
	if aerr := gitops.AddKnownHost(co.KnownHostsFile, co.Endpoint, hk.Offered); aerr != nil {
		return aerr
	}
	return nil
}

// hostKeyHint adds the flag that fixes an unknown host.
func hostKeyHint(err error) error {
	var hk *gitops.HostKeyError
	if errors.As(err, &hk) && hk.Unknown() {
		return fmt.Errorf("host %s is not known: its %s key has fingerprint %s; check it with the host's admin, then pass --trust-host %s",
			hk.Host, hk.KeyType, hk.OfferedFingerprint, hk.OfferedFingerprint)
	}
	return err
}

// uploadDeployKey adds the key through the host's API with a token from
// --token-stdin, the host's variable or a masked prompt.
func uploadDeployKey(ctx context.Context, s *cmdutil.IOStreams, o *AuthorizeOptions, kind forge.Kind, ep *gitops.Endpoint, line, title string, interactive bool) (forge.Result, error) {
	repo, err := forge.RepoFromPath(kind, ep.Path)
	if err != nil {
		return forge.Result{}, cmdutil.UsageErrorf("key authorize: --url: %v", err)
	}
	token, err := forgeToken(ctx, s, o, kind, repo, interactive)
	if err != nil {
		return forge.Result{}, err
	}
	user := ""
	if kind == forge.Bitbucket {
		user, _ = s.Getenv("BITBUCKET_USERNAME")
	}
	c, err := forge.New(forge.Options{Kind: kind, APIURL: o.APIURL, Host: ep.Host, Repo: repo, Token: token, Username: user,
		HTTPClient: o.HTTPClient, AllowHTTP: o.InsecureHTTP, UserAgent: "gitjira"})
	if err != nil {
		if errors.Is(err, forge.ErrInsecure) {
			return forge.Result{}, cmdutil.UsageErrorf("key authorize: %v", err)
		}
		return forge.Result{}, err
	}
	return c.Authorize(ctx, title, line)
}

// forgeToken reads the API token: --token-stdin, else the host's variables,
// else a masked prompt on a terminal. Never from argv, never stored.
func forgeToken(ctx context.Context, s *cmdutil.IOStreams, o *AuthorizeOptions, kind forge.Kind, repo forge.Repo, interactive bool) (string, error) {
	if o.TokenStdin {
		line, err := s.ReadLine()
		if err != nil {
			return "", fmt.Errorf("could not read the token from stdin (--token-stdin): %v", err)
		}
		return strings.TrimSpace(line), nil
	}
	for _, env := range kind.TokenEnv() {
		if v, ok := s.Getenv(env); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v), nil
		}
	}
	if interactive {
		fmt.Fprintf(s.Err, "Adding the key to %s on %s needs %s.\n", repo, kind.Name(), kind.TokenHelp())
		tok, ok, err := s.Secret(ctx, false, "", kind.Name()+" token (not shown, not stored): ")
		if err != nil {
			return "", err
		}
		if ok && len(tok) > 0 {
			defer clear(tok)
			return strings.TrimSpace(string(tok)), nil
		}
	}
	return "", cmdutil.UsageErrorf("key authorize: no %s token: pipe it with --token-stdin, set %s, or run on a terminal to be asked (%s)",
		kind.Name(), strings.Join(kind.TokenEnv(), " or "), kind.TokenHelp())
}

// appendOverSSH is --via ssh: the password from --password-stdin or a
// masked prompt, one login, the key appended.
func appendOverSSH(ctx context.Context, s *cmdutil.IOStreams, o *AuthorizeOptions, co gitops.ConnectOptions, line string, interactive bool) (bool, error) {
	var pw []byte
	switch {
	case o.PasswordStdin:
		l, err := s.ReadLine()
		if err != nil {
			return false, fmt.Errorf("could not read the password from stdin (--password-stdin): %v", err)
		}
		pw = []byte(l)
	case interactive:
		p, ok, err := s.Secret(ctx, false, "", fmt.Sprintf("Password of %s on %s (used once, not stored): ", co.Endpoint.User, co.Endpoint.Host))
		if err != nil {
			return false, err
		}
		if ok {
			pw = p
		}
	}
	defer clear(pw)
	if len(pw) == 0 {
		return false, cmdutil.UsageErrorf("key authorize: --via ssh needs the password of %s: pipe it with --password-stdin, or run on a terminal to be asked", co.Endpoint.User)
	}
	res, err := gitops.AppendAuthorizedKey(ctx, gitops.AppendKeyOptions{ConnectOptions: co, Password: pw, AuthorizedKey: line})
	if err != nil {
		return false, err
	}
	return res.Added, nil
}

// defaultTitle is "gitjira <this machine> <date>".
func defaultTitle(now func() time.Time) string {
	if now == nil {
		now = time.Now
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	return "gitjira " + host + " " + now().Format("2006-01-02")
}
