package gitops

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

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
	if hk, err := loadKnownHosts(file); err == nil && hk != nil {
		if hk.callback(e.Addr(), fakeRemote(e), key) == nil {
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
	line := knownhosts.Line([]string{knownhosts.Normalize(e.Addr())}, key) + "\n"
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

// loadKnownHosts parses file; nil, nil when it does not exist (every host unknown).
func loadKnownHosts(file string) (*knownHostsDB, error) {
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	db, err := skknownhosts.NewDB(file)
	if err != nil {
		return nil, fmt.Errorf("known_hosts file %s: %s: fix or move the file", file, oneLine(strings.TrimPrefix(err.Error(), "knownhosts: ")))
	}
	return &knownHostsDB{db: db, callback: db.HostKeyCallback()}, nil
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
	file  string
	ep    *Endpoint
	trust string
	db    *knownHostsDB // nil: no known_hosts file yet

	// Filled by the callback.
	fingerprint string
	err         *HostKeyError
}

func newHostKeyCheck(file string, ep *Endpoint, trust string) (*hostKeyCheck, error) {
	db, err := loadKnownHosts(file)
	if err != nil {
		return nil, err
	}
	return &hostKeyCheck{file: file, ep: ep, trust: trust, db: db}, nil
}

// algorithms returns the host-key algorithms to offer: those of the keys
// recorded for the host, so that a server with several host keys shows the
// one we know. Without this, x/crypto negotiates its own preferred type
// (ed25519 first) and a host known only by its RSA key looks like a changed
// key (go-git issue 1551). Nil (the library default) for an unknown host.
func (c *hostKeyCheck) algorithms() []string {
	if c.db == nil {
		return nil
	}
	algos := c.db.db.HostKeyAlgorithms(c.ep.Addr())
	plain := false
	for _, k := range c.db.db.HostKeys(c.ep.Addr()) {
		plain = plain || !k.Cert
	}
	if len(algos) > 0 && !plain {
		// Only @cert-authority lines match: a server without a certificate
		// must still be able to show its plain key, to be reported as
		// unknown (as OpenSSH does) rather than fail negotiation.
		algos = append(algos, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
			ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoED25519)
	}
	return algos
}

// knownFingerprints lists the fingerprints recorded for the host.
func (c *hostKeyCheck) knownFingerprints() []string {
	if c.db == nil {
		return nil
	}
	var fps []string
	for _, k := range c.db.db.HostKeys(c.ep.Addr()) {
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
	}
	var err error
	if c.db == nil {
		err = &knownhosts.KeyError{}
	} else {
		// Check the name we dialled, not the resolved address: known_hosts
		// lines name hosts as the user wrote them (after HostName).
		err = c.db.callback(c.ep.Addr(), remote, key)
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
	case errors.As(err, &keyErr):
		// Unknown host: accepted only when the user vouched for this exact key.
		if c.trust != "" && c.trust == c.fingerprint {
			if werr := AddKnownHost(c.file, c.ep, key); werr != nil {
				return werr
			}
			return nil
		}
		hkErr.Expected = c.trust
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
