package gitops

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gitjira/gitjira/internal/safefile"

	"github.com/gitjira/gitjira/internal/termtext"
	skknownhosts "github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// DefaultKnownHostsFile returns $GITJIRA_KNOWN_HOSTS when set, else ~/.ssh/known_hosts.
func DefaultKnownHostsFile() string {
	if f := os.Getenv("GITJIRA_KNOWN_HOSTS"); f != "" {
		return f
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".ssh", "known_hosts")
	}
	return filepath.Join(home, ".ssh", "known_hosts")
}

// Fingerprint returns the SHA256 fingerprint of a public key as ssh-keygen
// -l prints it ("SHA256:" and unpadded base64).
func Fingerprint(k ssh.PublicKey) string { return ssh.FingerprintSHA256(k) }

// knownHostsMu serialises appends from this process; OpenSSH itself appends
// without locking, so this is the best a client can do.
var knownHostsMu sync.Mutex

// AddKnownHost appends an OpenSSH known_hosts line for the endpoint's host
// ("[host]:port" when the port is not 22) and key, creating the file (0600)
// and its directory (0700) when missing. A line that is already there is not
// written twice.
func AddKnownHost(file string, e *Endpoint, key ssh.PublicKey) error {
	if file == "" {
		file = DefaultKnownHostsFile()
	}
	if e == nil || key == nil {
		return errors.New("AddKnownHost: no endpoint or key")
	}
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	hk, err := loadKnownHosts(file)
	if errors.Is(err, safefile.ErrRefused) {
		return err // a FIFO would block the open for writing below
	}
	if err == nil && hk != nil {
		if hk.callback(e.hostKeyAddr(), fakeRemote(e), key) == nil {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("creating the directory for %s: %w", file, err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening %s to record the host key: %w", file, err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(e.hostKeyAddr())}, key) + "\n"
	// Do not glue our line onto a last line that lacks its newline.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		if r, err := os.Open(file); err == nil {
			buf := make([]byte, 1)
			if _, err := r.ReadAt(buf, st.Size()-1); err == nil && buf[0] != '\n' {
				line = "\n" + line
			}
			r.Close()
		}
	}
	if _, err := io.WriteString(f, line); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

// knownHostsDB is a parsed known_hosts file.
type knownHostsDB struct {
	db       *skknownhosts.HostKeyDB
	callback ssh.HostKeyCallback
}

// maxKnownHostsSize bounds a known_hosts file (internal/safefile).
const maxKnownHostsSize = 64 << 20

// loadKnownHosts parses the files that exist; nil, nil when none does
// (every host unknown). Each is checked without blocking first (a FIFO,
// /dev/zero): NewDB opens them plainly.
func loadKnownHosts(files ...string) (*knownHostsDB, error) {
	var present []string
	for _, file := range files {
		if st, err := os.Stat(file); err == nil && st.IsDir() {
			continue
		}
		f, _, err := safefile.Open(file, maxKnownHostsSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		f.Close()
		present = append(present, file)
	}
	if len(present) == 0 {
		return nil, nil
	}
	db, err := skknownhosts.NewDB(present...)
	if err != nil {
		return nil, fmt.Errorf("known_hosts: %s: fix or move the file", termtext.OneLine(strings.TrimPrefix(err.Error(), "knownhosts: ")))
	}
	return &knownHostsDB{db: db, callback: db.HostKeyCallback()}, nil
}

// knownHostsFiles are the files checked for a connection, and the one a
// newly trusted key is recorded in. --known-hosts (or $GITJIRA_KNOWN_HOSTS)
// wins; else the SSH config's UserKnownHostsFile (several allowed) and
// GlobalKnownHostsFile, or OpenSSH's defaults for them.
func knownHostsFiles(o ConnectOptions) (read []string, write string) {
	explicit := o.KnownHostsFile != "" && (os.Getenv("GITJIRA_KNOWN_HOSTS") != "" || o.KnownHostsFile != defaultUserKnownHosts())
	route := o.Endpoint.Route
	if explicit || route == nil {
		f := o.KnownHostsFile
		if f == "" {
			f = DefaultKnownHostsFile()
		}
		return []string{f}, f
	}
	user := route.UserKnownHostsFiles
	if user == nil {
		user = []string{defaultUserKnownHosts(), defaultUserKnownHosts() + "2"}
	}
	global := route.GlobalKnownHostsFiles
	if global == nil {
		global = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
	}
	read = append(append(read, user...), global...)
	write = defaultUserKnownHosts()
	if len(user) > 0 {
		write = user[0]
	}
	return read, write
}

// defaultUserKnownHosts is ~/.ssh/known_hosts.
func defaultUserKnownHosts() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".ssh", "known_hosts")
	}
	return filepath.Join(home, ".ssh", "known_hosts")
}

func fakeRemote(e *Endpoint) net.Addr {
	ip := net.ParseIP(e.Host)
	if ip == nil {
		ip = net.IPv4zero
	}
	return &net.TCPAddr{IP: ip, Port: e.Port}
}

// hostKeyCheck verifies the server's key during one Dial.
type hostKeyCheck struct {
	file  string   // where a trusted key is recorded
	files []string // the files checked
	ep    *Endpoint
	trust string
	db    *knownHostsDB // nil: no known_hosts file yet
	// acceptNew records an unknown host's key without asking
	// (StrictHostKeyChecking accept-new, or no: a changed key is still refused).
	acceptNew bool
	jump      bool // the host is a jump host

	// Filled by the callback.
	fingerprint string
	err         *HostKeyError
}

func newHostKeyCheck(file string, ep *Endpoint, trust string) (*hostKeyCheck, error) {
	db, err := loadKnownHosts(file)
	if err != nil {
		return nil, err
	}
	return &hostKeyCheck{file: file, files: []string{file}, ep: ep, trust: trust, db: db}, nil
}

// newHostKeyCheckFor is the check for a connection with o: its known_hosts
// files, HostKeyAlias and StrictHostKeyChecking.
func newHostKeyCheckFor(o ConnectOptions) (*hostKeyCheck, error) {
	read, write := knownHostsFiles(o)
	db, err := loadKnownHosts(read...)
	if err != nil {
		return nil, err
	}
	c := &hostKeyCheck{file: write, files: read, ep: o.Endpoint, trust: o.TrustFingerprint, db: db, jump: o.jump}
	if r := o.Endpoint.Route; r != nil {
		c.acceptNew = r.StrictHostKeyChecking == "accept-new" || r.StrictHostKeyChecking == "no"
	}
	return c, nil
}

// openSSHHostKeyOrder is OpenSSH's default HostKeyAlgorithms order for
// plain keys (ssh_config(5), certificates left out): the key `ssh` shows
// for a host with several is the first of these it has, so gitjira shows
// and records the same one. ssh-rsa (SHA-1 signatures) comes last, for
// servers too old for rsa-sha2; the fingerprint is the RSA key's either way.
var openSSHHostKeyOrder = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA,
}

// algorithms returns the host-key algorithms to offer. For an unknown host,
// OpenSSH's order (ed25519 first), so the fingerprint shown is the one
// `ssh` shows; x/crypto's own default prefers ECDSA. For a known host, the
// algorithms of the keys recorded for it, in OpenSSH's order: a server with
// several host keys then shows the one we know. Without this, a host known
// only by its RSA key would look like a changed key (go-git issue 1551).
func (c *hostKeyCheck) algorithms() []string {
	if c.db == nil {
		return slices.Clone(openSSHHostKeyOrder)
	}
	algos := c.db.db.HostKeyAlgorithms(c.ep.hostKeyAddr())
	if len(algos) == 0 {
		return slices.Clone(openSSHHostKeyOrder)
	}
	plain := false
	for _, k := range c.db.db.HostKeys(c.ep.hostKeyAddr()) {
		plain = plain || !k.Cert
	}
	if !plain {
		// Only @cert-authority lines match: a server without a certificate
		// must still be able to show its plain key, to be reported as
		// unknown (as OpenSSH does) rather than fail negotiation.
		algos = append(algos, openSSHHostKeyOrder...)
	}
	return orderHostKeyAlgos(algos)
}

// orderHostKeyAlgos sorts algorithms in OpenSSH's order (certificate
// algorithms first, as OpenSSH prefers them, in the order given), without
// repeats.
func orderHostKeyAlgos(algos []string) []string {
	rank := func(a string) int {
		if i := slices.Index(openSSHHostKeyOrder, a); i >= 0 {
			return i
		}
		return -1 // certificates and anything else: first
	}
	var out []string
	for _, a := range algos {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

// knownFingerprints lists the fingerprints recorded for the host.
func (c *hostKeyCheck) knownFingerprints() []string {
	if c.db == nil {
		return nil
	}
	var fps []string
	for _, k := range c.db.db.HostKeys(c.ep.hostKeyAddr()) {
		if k.Cert {
			continue
		}
		fp := ssh.FingerprintSHA256(k.PublicKey)
		if !contains(fps, fp) {
			fps = append(fps, fp)
		}
	}
	return fps
}

func (c *hostKeyCheck) callback(_ string, remote net.Addr, key ssh.PublicKey) error {
	c.fingerprint = ssh.FingerprintSHA256(key)
	hkErr := &HostKeyError{
		Host:               c.ep.KnownHostsName(),
		KeyType:            key.Type(),
		Offered:            key,
		OfferedFingerprint: c.fingerprint,
		KnownHostsFile:     c.file,
		Jump:               c.jump,
	}
	var err error
	if c.db == nil {
		err = &knownhosts.KeyError{}
	} else {
		// Check the name we dialled, not the resolved address: known_hosts
		// lines name hosts as the user wrote them (after HostName).
		err = c.db.callback(c.ep.hostKeyAddr(), remote, key)
	}
	var keyErr *knownhosts.KeyError
	var revErr *knownhosts.RevokedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &revErr):
		hkErr.Revoked = true
		hkErr.Known = []string{ssh.FingerprintSHA256(revErr.Revoked.Key)}
	case errors.As(err, &keyErr) && len(c.plainKnown(keyErr.Want)) > 0:
		hkErr.Known = c.plainKnown(keyErr.Want)
		if len(keyErr.Want) > 0 && keyErr.Want[0].Filename != "" {
			hkErr.KnownHostsFile = keyErr.Want[0].Filename // where the old line is
		}
	case errors.As(err, &keyErr):
		// Unknown host: accepted only when the user vouched for this exact key.
		if (c.trust != "" && c.trust == c.fingerprint) || (c.trust == "" && c.acceptNew) {
			if werr := AddKnownHost(c.file, c.ep, key); werr != nil {
				return werr
			}
			return nil
		}
		if !c.jump {
			// A pin is for the repository's host: a jump host it does not
			// match is simply unknown.
			hkErr.Expected = c.trust
		}
	default:
		return err
	}
	c.err = hkErr
	return hkErr
}

// plainKnown returns the fingerprints of want that are host keys, leaving
// out @cert-authority keys: a plain key from a host that only a CA line
// covers makes the host unknown, not changed (as in OpenSSH).
func (c *hostKeyCheck) plainKnown(want []knownhosts.KnownKey) []string {
	plain := c.knownFingerprints()
	var fps []string
	for _, k := range want {
		fp := ssh.FingerprintSHA256(k.Key)
		if contains(plain, fp) && !contains(fps, fp) {
			fps = append(fps, fp)
		}
	}
	return fps
}

// normalizeFingerprint accepts "SHA256:xxx" (as ssh-keygen prints it, with
// or without base64 padding) and returns the canonical form, or an error.
func normalizeFingerprint(fp string) (string, error) {
	fp = strings.TrimSpace(fp)
	if fp == "" {
		return "", nil
	}
	body, ok := strings.CutPrefix(fp, "SHA256:")
	if !ok {
		if strings.HasPrefix(strings.ToUpper(fp), "MD5:") || strings.Count(fp, ":") >= 15 {
			return "", fmt.Errorf("fingerprint %q is MD5: give the SHA256:... fingerprint (ssh-keygen -lf KEY prints it)", fp)
		}
		body = fp
	}
	body = strings.TrimRight(body, "=")
	if len(body) != 43 || strings.Trim(body, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != "" {
		return "", fmt.Errorf("%q is not a SHA256 host key fingerprint: expected SHA256: and 43 base64 characters, as ssh-keygen -lf prints", fp)
	}
	return "SHA256:" + body, nil
}

// KnownHostsFiles returns the known_hosts files a connection to ep checks
// and the one it records a newly trusted key in. flag is --known-hosts (""
// when not given): it, or $GITJIRA_KNOWN_HOSTS, wins over the SSH config.
func KnownHostsFiles(ep *Endpoint, flag string) (read []string, write string) {
	if flag == "" {
		flag = DefaultKnownHostsFile()
	}
	return knownHostsFiles(ConnectOptions{Endpoint: ep, KnownHostsFile: flag})
}
