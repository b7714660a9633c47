package gitops_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/sshdtest"
	"golang.org/x/crypto/ssh"
)

// TestSSHDUnknownHostShowsEd25519: for a host with ed25519 and ECDSA keys
// the unknown-host key offered for confirmation is the ed25519 one, the key
// OpenSSH's ssh shows (issue 11: the wizard showed ECDSA).
func TestSSHDUnknownHostShowsEd25519(t *testing.T) {
	f := newFixture(t, sshdtest.Options{HostKeyTypes: []string{sshdtest.ECDSA, sshdtest.Ed25519}})
	o := f.options(t, f.repo)
	o.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	_, err := gitops.Check(context.Background(), o)
	var hk *gitops.HostKeyError
	if !errors.As(err, &hk) || !hk.Unknown() {
		t.Fatalf("err = %v, want an unknown host", err)
	}
	want := f.srv.HostKeyFingerprints()[sshdtest.Ed25519]
	if hk.KeyType != ssh.KeyAlgoED25519 || hk.OfferedFingerprint != want {
		t.Fatalf("offered %s %s, want ssh-ed25519 %s", hk.KeyType, hk.OfferedFingerprint, want)
	}
	if typ := opensshShows(t, f.srv); typ != "ED25519" {
		t.Fatalf("OpenSSH's ssh shows a %s key; gitjira shows ed25519", typ)
	}

	// Once the ECDSA key alone is recorded, that is the one checked (the
	// recorded algorithms are offered first: go-git issue 1551).
	o.KnownHostsFile = f.srv.WriteKnownHosts(sshdtest.ECDSA)
	info, err := gitops.Check(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if info.HostKeyFingerprint != f.srv.HostKeyFingerprints()[sshdtest.ECDSA] {
		t.Fatalf("verified %s, want the recorded ECDSA key", info.HostKeyFingerprint)
	}
}

// opensshShows runs OpenSSH's ssh against srv with an empty known_hosts and
// strict checking, and returns the key type it says is unknown.
func opensshShows(t *testing.T, srv *sshdtest.Server) string {
	t.Helper()
	cmd := exec.Command("ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile="+filepath.Join(t.TempDir(), "none"), "-o", "GlobalKnownHostsFile=/dev/null",
		"-p", strconv.Itoa(srv.Port()), srv.User+"@"+srv.Host(), "true")
	out, _ := cmd.CombinedOutput()
	m := regexp.MustCompile(`No (\S+) host key is known`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("ssh said: %s", out)
	}
	return string(m[1])
}

func TestSSHDKeyScan(t *testing.T) {
	for _, types := range [][]string{
		{sshdtest.ECDSA, sshdtest.Ed25519},
		{sshdtest.RSA, sshdtest.ECDSA, sshdtest.Ed25519},
		{sshdtest.RSA},
	} {
		t.Run(strings.Join(types, "+"), func(t *testing.T) {
			srv := sshdtest.Start(t, sshdtest.Options{HostKeyTypes: types})
			ep, err := gitops.ParseURL(srv.URL("/x.git"))
			if err != nil {
				t.Fatal(err)
			}
			keys, err := gitops.KeyScan(context.Background(), ep, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			// OpenSSH's order, whatever the server's.
			var want []string
			for _, typ := range []string{sshdtest.Ed25519, sshdtest.ECDSA, sshdtest.RSA} {
				if fp, ok := srv.HostKeyFingerprints()[typ]; ok {
					want = append(want, fp)
				}
			}
			var got []string
			for _, k := range keys {
				got = append(got, gitops.Fingerprint(k))
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("KeyScan: %v, want %v", got, want)
			}
			// The same keys as ssh-keyscan finds.
			out, err := exec.Command("ssh-keyscan", "-p", strconv.Itoa(srv.Port()), srv.Host()).Output()
			if err != nil {
				t.Fatalf("ssh-keyscan: %v", err)
			}
			for _, k := range keys {
				if !strings.Contains(string(out), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))) {
					t.Fatalf("ssh-keyscan did not list %s:\n%s", gitops.Fingerprint(k), out)
				}
			}
		})
	}
	t.Run("closed port", func(t *testing.T) {
		ep, err := gitops.ParseURL("ssh://git@" + sshdtest.ClosedPort(t) + "/x.git")
		if err != nil {
			t.Fatal(err)
		}
		_, err = gitops.KeyScan(context.Background(), ep, time.Second)
		var ne *gitops.NetError
		if !errors.As(err, &ne) || ne.Kind != gitops.NetRefused {
			t.Fatalf("err = %v, want refused", err)
		}
	})
}
