package gitops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/internal/termtext"
)

// PasswordError means the server refused the account's password (or offers
// neither password nor keyboard-interactive logins).
type PasswordError struct {
	User string
	Host string // host:port
	Err  error
}

func (e *PasswordError) Error() string {
	return fmt.Sprintf("%s refused the password of %s (or allows no password logins): check the account name in the URL and the password, or ask the server's admin to add the key", e.Host, e.User)
}

func (e *PasswordError) Unwrap() error { return e.Err }

// Shells without a command line, as NoShellError.Shell names them.
const (
	ShellGit      = "git-shell"
	ShellGitolite = "gitolite"
	ShellNologin  = "nologin"
	ShellUnknown  = "no shell"
)

// NoShellError means the account logged in but runs no shell commands
// (git-shell, gitolite, nologin): only its admin can add a key, and
// AdminCommand is the one line to run (or, for gitolite, to do) for it.
type NoShellError struct {
	User, Host   string
	Shell        string // ShellGit, ShellGitolite, ShellNologin or ShellUnknown
	AdminCommand string
	Said         string // what the account answered (first line, sanitised)
}

func (e *NoShellError) Error() string {
	what := "has no shell"
	if e.Shell != ShellUnknown {
		what = "runs " + e.Shell + ", not a shell"
	}
	return fmt.Sprintf("the account %s on %s %s, so the key cannot be added by logging in: ask the server's admin to run: %s", e.User, e.Host, what, e.AdminCommand)
}

// AppendKeyOptions say where to log in with a password and which key to add.
type AppendKeyOptions struct {
	// Endpoint (its User is the account), KnownHostsFile, TrustFingerprint
	// and Timeout as for every connection; Signer is not used.
	ConnectOptions
	// Password of the account: used for this login only, never stored.
	Password []byte
	// AuthorizedKey is the public key line to add ("ssh-ed25519 AAAA... comment").
	AuthorizedKey string
}

// AppendKeyResult says what AppendAuthorizedKey did.
type AppendKeyResult struct {
	// Added is false when the key was already in authorized_keys.
	Added              bool
	HostKeyFingerprint string
}

// keyLine matches "type base64" as it may be written into a shell command.
var keyLine = regexp.MustCompile(`^(ssh-[a-z0-9-]+|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}$`)

// AppendAuthorizedKey logs in once with the account's password
// (keyboard-interactive or password), the host key verified as for every
// connection, and appends the key to the account's ~/.ssh/authorized_keys
// the way ssh-copy-id does: ~/.ssh made 0700 and the file 0600 when they
// are new (umask 077), a missing final newline added first, the key not
// added twice. An account without a shell gives a *NoShellError with the
// line its admin runs; a refused password a *PasswordError.
func AppendAuthorizedKey(ctx context.Context, o AppendKeyOptions) (AppendKeyResult, error) {
	fields := strings.Fields(o.AuthorizedKey)
	if len(fields) < 2 || !keyLine.MatchString(fields[0]+" "+fields[1]) {
		return AppendKeyResult{}, errors.New("not a public key line (ssh-ed25519 AAAA...)")
	}
	material := fields[0] + " " + fields[1]
	line := material
	if comment := termtext.OneLine(strings.Join(fields[2:], " ")); comment != "" {
		line += " " + comment
	}
	co := o.ConnectOptions
	co.Signer = nil
	co.password = o.Password
	if len(co.password) == 0 {
		return AppendKeyResult{}, errors.New("no password given for the one-time login")
	}
	client, fp, err := Dial(ctx, co)
	if err != nil {
		return AppendKeyResult{}, err
	}
	defer client.Close()
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()

	sess, err := client.NewSession()
	if err != nil {
		return AppendKeyResult{}, fmt.Errorf("opening an SSH session: %w", peerText(classify(err, co.Endpoint.Addr(), "")))
	}
	defer sess.Close()
	stdout, stderr := &capBuffer{max: 16 << 10}, &capBuffer{max: 16 << 10}
	sess.Stdout, sess.Stderr = stdout, stderr
	sess.Stdin = strings.NewReader(line + "\n")
	runErr := sess.Run(appendScript(material))
	if ctx.Err() != nil {
		return AppendKeyResult{}, ctx.Err()
	}
	out := stdout.String()
	res := AppendKeyResult{HostKeyFingerprint: fp}
	if !hasLine(out, shellOK) {
		said := firstMeaningfulLine(stderr.String() + "\n" + out)
		return res, &NoShellError{
			User: co.Endpoint.User, Host: co.Endpoint.Host, Shell: shellKind(said),
			AdminCommand: adminCommand(shellKind(said), co.Endpoint.User, line), Said: said,
		}
	}
	switch {
	case hasLine(out, "gitjira-key-present"):
		return res, nil
	case hasLine(out, "gitjira-key-added") && runErr == nil:
		res.Added = true
		return res, nil
	}
	detail := firstMeaningfulLine(stderr.String())
	if detail == "" && runErr != nil {
		detail = termtext.OneLine(runErr.Error())
	}
	return res, fmt.Errorf("could not add the key to ~/.ssh/authorized_keys of %s on %s (%s): ask the server's admin to run: %s",
		co.Endpoint.User, co.Endpoint.Host, detail, adminCommand(ShellGit, co.Endpoint.User, line))
}

// shellOK is what the script prints first; the command text holds
// "$((6*7))", not "42", so a server that echoes the command back (git-shell's
// "unrecognized command") is not mistaken for a shell.
const shellOK = "gitjira-shell-42"

// appendScript is ssh-copy-id's remote command, with a duplicate check.
// material is checked by keyLine: no quote or shell character in it.
func appendScript(material string) string {
	return `exec sh -c 'echo gitjira-shell-$((6*7)); cd || exit 1; umask 077; f=.ssh/authorized_keys; ` +
		`if [ -f "$f" ] && grep -qF "` + material + `" "$f"; then echo gitjira-key-present; exit 0; fi; ` +
		`mkdir -p .ssh || exit 1; ` +
		`if [ -s "$f" ] && [ -n "$(tail -c1 "$f")" ]; then echo >> "$f" || exit 1; fi; ` +
		`cat >> "$f" || exit 1; ` +
		`if type restorecon >/dev/null 2>&1; then restorecon -F .ssh "$f"; fi; ` +
		`echo gitjira-key-added'`
}

func hasLine(out, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// shellKind tells what answered instead of a shell from what it said.
func shellKind(said string) string {
	s := strings.ToLower(said)
	switch {
	case strings.Contains(s, "gitolite") || strings.Contains(s, "unknown git/gitolite command"):
		return ShellGitolite
	case strings.Contains(s, "unrecognized command") || strings.Contains(s, "git-shell") || strings.Contains(s, "interactive git shell"):
		return ShellGit
	case strings.Contains(s, "not available") || strings.Contains(s, "nologin"):
		return ShellNologin
	}
	return ShellUnknown
}

// adminCommand is the one line the server's admin runs to add the key.
func adminCommand(shell, user, line string) string {
	if shell == ShellGitolite {
		return fmt.Sprintf(`in a clone of gitolite-admin: echo '%s' > keydir/NAME.pub && git add keydir/NAME.pub && git commit -m 'add NAME' && git push (and give NAME read access to the repository in conf/gitolite.conf)`, line)
	}
	return fmt.Sprintf(`sudo -u %s sh -c 'umask 077; mkdir -p ~%s/.ssh && echo "%s" >> ~%s/.ssh/authorized_keys'`, user, user, line, user)
}

// authMethods are the methods Dial offers: the key, or for a one-time
// password login keyboard-interactive (what PAM servers ask) and password.
func (o ConnectOptions) authMethods() []ssh.AuthMethod {
	if o.password == nil {
		return []ssh.AuthMethod{ssh.PublicKeys(o.Signer)}
	}
	pw := string(o.password)
	rounds := 0
	return []ssh.AuthMethod{
		ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
			// Answer hidden questions (the password prompt) with the
			// password, a few rounds at most: a server asking again means
			// the password was wrong, and asking forever must not loop.
			rounds++
			if rounds > 3 {
				return nil, errors.New("too many password prompts")
			}
			answers := make([]string, len(questions))
			for i := range questions {
				if !echos[i] {
					answers[i] = pw
				}
			}
			return answers, nil
		}),
		ssh.Password(pw),
	}
}
