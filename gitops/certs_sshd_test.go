package gitops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/sshdtest"
	"github.com/gitjira/gitjira/sshkeys"
	"golang.org/x/crypto/ssh"
)

// TestCertificatesAgainstOpenSSH: a server that trusts a user CA
// (TrustedUserCAKeys) and presents host certificates, a client whose
// known_hosts holds only an @cert-authority line and whose key is not in
// authorized_keys. Certificates beside the key and from CertificateFile
// log in; expired, not yet valid and wrong-principal ones are refused with
// their own line; each compared with git ls-remote through OpenSSH.
func TestCertificatesAgainstOpenSSH(t *testing.T) {
	l := newRouteLab(t)
	userCA, hostCA := sshdtest.NewCA(t), sshdtest.NewCA(t)
	extra := append([]string{userCA.TrustedUserCAOption()}, hostCA.HostCertOptions("127.0.0.1", sshdtest.Ed25519, sshdtest.ECDSA, sshdtest.RSA)...)
	target := sshdtest.Start(t, sshdtest.Options{ExtraConfig: extra})
	repo := target.NewBareRepo("app", 2)
	// Only the host CA is known: no plain host key line.
	if err := os.WriteFile(l.kh, []byte("@cert-authority * "+hostCA.PublicLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	host := func(key, extraLines string) string {
		return l.config(fmt.Sprintf("Host gitsrv\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityFile %s\n%s", target.Port(), target.User, key, extraLines))
	}
	check := func(name, key, cfg, wantErr string) {
		t.Helper()
		l.cases++
		g, gerr := l.viaGit(cfg, "gitsrv:"+repo)
		data, _ := os.ReadFile(key)
		signer, err := ssh.ParsePrivateKey(data)
		if err != nil {
			t.Fatal(err)
		}
		ep, err := ParseURLWithConfig("gitsrv:"+repo, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var j string
		info, jerr := Check(context.Background(), ConnectOptions{Endpoint: ep, Signer: signer, KeyFile: key, Timeout: 20 * time.Second})
		if jerr == nil {
			j = info.Head
		}
		switch {
		case wantErr == "" && (gerr != nil || jerr != nil || g != j):
			t.Errorf("%s: git %q (%v), gitjira %q (%v)", name, g, gerr, j, jerr)
		case wantErr != "" && (gerr == nil || jerr == nil):
			t.Errorf("%s: want both refused: git %q (%v), gitjira %q (%v)", name, g, gerr, j, jerr)
		case wantErr != "" && (!strings.Contains(jerr.Error(), wantErr) || strings.Contains(jerr.Error(), "\n") || !strings.Contains(jerr.Error(), "certificate")):
			t.Errorf("%s: error %q, want one line with %q", name, jerr, wantErr)
		default:
			l.agree++
		}
	}
	newKey := func() string {
		k := sshdtest.NewClientKey(t)
		return k
	}

	k := newKey()
	userCA.SignUser(k+".pub", target.User, "-5m:+1h")
	check("certificate beside the key (KEY-cert.pub)", k, host(k, ""), "")

	k = newKey()
	cert := userCA.SignUser(k+".pub", target.User+",deploy", "-5m:+1h")
	moved := filepath.Join(t.TempDir(), "deploy-cert.pub")
	if err := os.Rename(cert, moved); err != nil {
		t.Fatal(err)
	}
	check("CertificateFile", k, host(k, "  CertificateFile "+moved+"\n"), "")

	k = newKey()
	userCA.SignUser(k+".pub", target.User, "-2h:-1h")
	check("expired certificate", k, host(k, ""), "expired at")

	k = newKey()
	userCA.SignUser(k+".pub", target.User, "+1h:+2h")
	check("certificate not valid yet", k, host(k, ""), "not valid yet")

	k = newKey()
	userCA.SignUser(k+".pub", "someone-else", "-5m:+1h")
	check("certificate for another principal", k, host(k, ""), "principals someone-else, not the user "+target.User)

	// A CA the server does not trust.
	k = newKey()
	sshdtest.NewCA(t).SignUser(k+".pub", target.User, "-5m:+1h")
	check("certificate from an untrusted CA", k, host(k, ""), "TrustedUserCAKeys")

	t.Logf("gitjira and git ls-remote (OpenSSH, same config) agree in %d of %d certificate cases", l.agree, l.cases)
}

// TestAgentCertificate: the agent holds the key and its certificate (as
// ssh-add loads them), the files are gone, IdentityAgent names the agent:
// the certificate from the agent logs in where the key alone may not.
func TestAgentCertificate(t *testing.T) {
	l := newRouteLab(t)
	userCA := sshdtest.NewCA(t)
	target := sshdtest.Start(t, sshdtest.Options{ExtraConfig: []string{userCA.TrustedUserCAOption()}})
	repo := target.NewBareRepo("app", 2)
	l.trust(l.kh, target)
	key := sshdtest.NewClientKey(t)
	userCA.SignUser(key+".pub", target.User, "-5m:+1h")
	sock := sshdtest.StartAgent(t, key)
	pubData, _ := os.ReadFile(key + ".pub")
	pub, _, _, _, err := ssh.ParseAuthorizedKey(pubData)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{key, key + ".pub", key + "-cert.pub"} {
		os.Remove(f)
	}
	cfg := l.config(fmt.Sprintf("Host gitsrv\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityAgent %s\n", target.Port(), target.User, sock))
	ep, err := ParseURLWithConfig("gitsrv:"+repo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	k, err := sshkeys.AgentSigner(sock, ssh.FingerprintSHA256(pub))
	if err != nil {
		t.Fatal(err)
	}
	ak := k.Signer
	if _, err := Check(context.Background(), ConnectOptions{Endpoint: ep, Signer: ak, Timeout: 20 * time.Second}); err != nil {
		t.Fatalf("with the agent's certificate: %v", err)
	}
	// Without the agent (IdentityAgent none) the certificate is not found
	// and the key alone is refused.
	cfg = l.config(fmt.Sprintf("Host gitsrv\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityAgent none\n", target.Port(), target.User))
	ep, _ = ParseURLWithConfig("gitsrv:"+repo, cfg)
	_, err = Check(context.Background(), ConnectOptions{Endpoint: ep, Signer: ak, Timeout: 20 * time.Second})
	if ae := (*AuthError)(nil); !errors.As(err, &ae) {
		t.Fatalf("IdentityAgent none: %v", err)
	}
}
