package gitops

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func testPublicKey(t *testing.T, typ string) ssh.PublicKey {
	t.Helper()
	var pub any
	switch typ {
	case "ed25519":
		p, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub = p
	case "ecdsa":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub = &k.PublicKey
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 1024) // size irrelevant here; fast
		if err != nil {
			t.Fatal(err)
		}
		pub = &k.PublicKey
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustEndpoint(t *testing.T, s string) *Endpoint {
	t.Helper()
	ep, err := ParseURL(s)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func TestAddKnownHost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", ".ssh")
	file := filepath.Join(dir, "known_hosts")
	k22 := testPublicKey(t, "ed25519")
	k2222 := testPublicKey(t, "ecdsa")
	ep22 := mustEndpoint(t, "git@git.example.com:org/r.git")
	ep2222 := mustEndpoint(t, "ssh://git@127.0.0.1:2222/srv/r.git")

	if err := AddKnownHost(file, ep22, k22); err != nil {
		t.Fatal(err)
	}
	if err := AddKnownHost(file, ep2222, k2222); err != nil {
		t.Fatal(err)
	}
	if err := AddKnownHost(file, ep2222, k2222); err != nil { // again: no second line
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := "git.example.com " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k22))) + "\n" +
		"[127.0.0.1]:2222 " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k2222))) + "\n"
	if string(data) != want {
		t.Fatalf("known_hosts:\n%s\nwant:\n%s", data, want)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v", st.Mode())
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v", st.Mode())
	}
	// x/crypto reads it back.
	cb, err := knownhosts.New(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := cb("127.0.0.1:2222", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}, k2222); err != nil {
		t.Fatalf("x/crypto does not accept the recorded key: %v", err)
	}
	// OpenSSH's ssh-keygen finds both hosts.
	for _, h := range []string{"git.example.com", "[127.0.0.1]:2222"} {
		if out, err := exec.Command("ssh-keygen", "-F", h, "-f", file).CombinedOutput(); err != nil || !strings.Contains(string(out), "found") {
			t.Fatalf("ssh-keygen -F %s: %v: %s", h, err, out)
		}
	}
}

func TestAddKnownHostNoTrailingNewline(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known_hosts")
	other := knownhosts.Line([]string{"other.example"}, testPublicKey(t, "ed25519"))
	if err := os.WriteFile(file, []byte("# mine\n"+other), 0o600); err != nil { // no final newline
		t.Fatal(err)
	}
	k := testPublicKey(t, "ed25519")
	if err := AddKnownHost(file, mustEndpoint(t, "h:r"), k); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || lines[1] != other || !strings.HasPrefix(lines[2], "h ssh-ed25519 ") {
		t.Fatalf("known_hosts:\n%s", data)
	}
}

// writeKnownHosts writes lines to a temp known_hosts and returns its path.
func writeKnownHosts(t *testing.T, lines ...string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func runCheck(t *testing.T, file, url, trust string, key ssh.PublicKey) (*hostKeyCheck, error) {
	t.Helper()
	ep := mustEndpoint(t, url)
	c, err := newHostKeyCheck(file, ep, trust)
	if err != nil {
		t.Fatal(err)
	}
	return c, c.callback(ep.Addr(), fakeRemote(ep), key)
}

func TestHostKeyCheck(t *testing.T) {
	ed := testPublicKey(t, "ed25519")
	ec := testPublicKey(t, "ecdsa")
	rs := testPublicKey(t, "rsa")
	line := func(host string, k ssh.PublicKey) string { return knownhosts.Line([]string{host}, k) }

	t.Run("known", func(t *testing.T) {
		f := writeKnownHosts(t, "# comment", "", line("other", ec), line("[h]:2222", ed))
		if _, err := runCheck(t, f, "ssh://h:2222/r", "", ed); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("hashed entry", func(t *testing.T) {
		f := writeKnownHosts(t, line("[h]:2222", ed), line("plain.example", rs))
		if out, err := exec.Command("ssh-keygen", "-H", "-f", f).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -H: %v: %s", err, out)
		}
		data, _ := os.ReadFile(f)
		if !strings.HasPrefix(string(data), "|1|") || strings.Contains(string(data), "plain.example") {
			t.Fatalf("not hashed: %s", data)
		}
		if _, err := runCheck(t, f, "ssh://h:2222/r", "", ed); err != nil {
			t.Fatal(err)
		}
		if _, err := runCheck(t, f, "git@plain.example:r", "", rs); err != nil {
			t.Fatal(err)
		}
		c, _ := newHostKeyCheck(f, mustEndpoint(t, "git@plain.example:r"), "")
		if got := c.algorithms(); !reflect.DeepEqual(got, []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}) {
			t.Fatalf("algorithms from a hashed line: %v", got)
		}
	})
	t.Run("missing file means unknown", func(t *testing.T) {
		c, err := runCheck(t, filepath.Join(t.TempDir(), "none"), "ssh://h:2222/r", "", ed)
		var hk *HostKeyError
		if !errors.As(err, &hk) || !hk.Unknown() || hk.Host != "[h]:2222" || hk.KeyType != "ssh-ed25519" || hk.OfferedFingerprint != Fingerprint(ed) {
			t.Fatalf("err %v %+v", err, hk)
		}
		// OpenSSH's order, so the key shown is the one `ssh` shows (issue 11).
		want := []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
			ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
		if got := c.algorithms(); !reflect.DeepEqual(got, want) {
			t.Fatalf("algorithms for an unknown host: %v, want %v", got, want)
		}
	})
	t.Run("other port is another host", func(t *testing.T) {
		f := writeKnownHosts(t, line("h", ed))
		_, err := runCheck(t, f, "ssh://h:2222/r", "", ed)
		var hk *HostKeyError
		if !errors.As(err, &hk) || !hk.Unknown() {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("changed", func(t *testing.T) {
		f := writeKnownHosts(t, line("h", ed), line("h", rs))
		_, err := runCheck(t, f, "git@h:r", Fingerprint(ec), ec)
		var hk *HostKeyError
		if !errors.As(err, &hk) || hk.Unknown() || !reflect.DeepEqual(hk.Known, []string{Fingerprint(ed), Fingerprint(rs)}) {
			t.Fatalf("err %v %+v", err, hk)
		}
		if !strings.HasPrefix(err.Error(), "WARNING host key for h has changed: known "+Fingerprint(ed)+", "+Fingerprint(rs)+", offered "+Fingerprint(ec)) {
			t.Fatalf("message %q", err)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		f := writeKnownHosts(t, "@revoked * "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ed))), line("h", ed))
		_, err := runCheck(t, f, "git@h:r", "", ed)
		var hk *HostKeyError
		if !errors.As(err, &hk) || !hk.Revoked || hk.Unknown() || !strings.Contains(err.Error(), "@revoked") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("cert-authority line is not a host key", func(t *testing.T) {
		f := writeKnownHosts(t, "@cert-authority *.example "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(rs))))
		c, err := runCheck(t, f, "git@h.example:r", "", ed)
		var hk *HostKeyError
		if !errors.As(err, &hk) || !hk.Unknown() {
			t.Fatalf("err %v", err)
		}
		// Certificates are asked for first, plain keys still allowed.
		algos := c.algorithms()
		if len(algos) < 2 || algos[0] != ssh.CertAlgoRSASHA512v01 || !contains(algos, ssh.KeyAlgoED25519) {
			t.Fatalf("algorithms %v", algos)
		}
		if c.knownFingerprints() != nil {
			t.Fatalf("a CA key counted as the host's key: %v", c.knownFingerprints())
		}
	})
	t.Run("trust fingerprint records the key", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "kh")
		if _, err := runCheck(t, f, "ssh://h:2222/r", Fingerprint(ed), ed); err != nil {
			t.Fatal(err)
		}
		if _, err := runCheck(t, f, "ssh://h:2222/r", "", ed); err != nil {
			t.Fatalf("after trust: %v", err)
		}
	})
	t.Run("algorithms follow the recorded types, in OpenSSH's order", func(t *testing.T) {
		f := writeKnownHosts(t, line("[h]:2222", ec), line("[h]:2222", ed), line("h", rs))
		c, _ := newHostKeyCheck(f, mustEndpoint(t, "ssh://h:2222/r"), "")
		if got := c.algorithms(); !reflect.DeepEqual(got, []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256}) {
			t.Fatalf("algorithms %v", got)
		}
	})
	t.Run("malformed file", func(t *testing.T) {
		f := writeKnownHosts(t, "h ssh-ed25519 not-base64!!")
		_, err := newHostKeyCheck(f, mustEndpoint(t, "git@h:r"), "")
		if err == nil || !strings.Contains(err.Error(), f) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestNormalizeFingerprint(t *testing.T) {
	good := "SHA256:" + strings.Repeat("A", 43)
	for in, want := range map[string]string{
		"":                                  "",
		good:                                good,
		" " + good + "= ":                   good,
		strings.Repeat("A", 43):             good,
		"MD5:aa:bb":                         "error",
		"SHA256:short":                      "error",
		"SHA256:" + strings.Repeat("!", 43): "error",
		"16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48": "error",
	} {
		got, err := normalizeFingerprint(in)
		if want == "error" {
			if err == nil || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: got %q, %v; want an error", in, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
}
