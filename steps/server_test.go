package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/ui/components/keypicker"
)

// sampleCommits is the size of the test repository's main branch.
const sampleCommits = 30

// testServer starts the in-process SSH git server with a sample repository
// at /demo.git, the fixed host key hostKey, and authorized user keys.
func testServer(t *testing.T, hostKey string, stallAfter int64, authorized ...string) *gitserver.Server {
	t.Helper()
	root := t.TempDir()
	if err := gitserver.MakeSampleRepo(filepath.Join(root, "demo.git"), sampleCommits); err != nil {
		t.Fatal(err)
	}
	hk, err := ssh.ParsePrivateKey(readTestKey(t, hostKey))
	if err != nil {
		t.Fatal(err)
	}
	var keys []ssh.PublicKey
	for _, name := range authorized {
		pk, _, _, _, err := ssh.ParseAuthorizedKey(readTestKey(t, name+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, pk)
	}
	s, err := gitserver.Start(gitserver.Options{Root: root, HostKeys: []ssh.Signer{hk}, AuthorizedKeys: keys, StallAfter: stallAfter})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// connectedDraft fills the draft as the first steps would: the server's
// /demo.git planned by the lifecycle layer, and the decrypted user key.
func connectedDraft(t *testing.T, env *Env, d *Draft, s *gitserver.Server, userKey string) {
	t.Helper()
	planDraft(t, env, d, s.URL("/demo.git"), "")
	raw := readTestKey(t, userKey)
	k, err := keypicker.ParseKey(raw)
	if err != nil || k.Signer == nil {
		t.Fatalf("user key: %v", err)
	}
	d.SetKey("/keys/"+userKey, raw, k, false)
}

// planDraft plans url (and name) with the lifecycle layer, as the location step does.
func planDraft(t *testing.T, env *Env, d *Draft, url, name string) {
	t.Helper()
	p, err := env.manager().Plan(lifecycle.ConnectRequest{URL: url, Name: name})
	if err != nil {
		t.Fatalf("plan %s: %v", url, err)
	}
	d.SetPlan(url, p)
}

// trustTestHost records the server's host key as known.
func trustTestHost(t *testing.T, env *Env, d *Draft, hostKey string) {
	t.Helper()
	pk, _, _, _, err := ssh.ParseAuthorizedKey(readTestKey(t, hostKey+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gitops.AddKnownHost(env.KnownHostsFile, d.Endpoint, pk); err != nil {
		t.Fatal(err)
	}
}

func knownHostsText(t *testing.T, env *Env) string {
	b, err := os.ReadFile(env.KnownHostsFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func hostKeyLine(t *testing.T, name string) string {
	f := strings.Fields(string(readTestKey(t, name+".pub")))
	return f[0] + " " + f[1]
}

// trustTestHost2 records the server's host key as known, for any path on it.
func trustTestHost2(t *testing.T, env *Env, s *gitserver.Server, hostKey string) {
	t.Helper()
	e, err := gitops.ParseURL(s.URL("/demo.git"))
	if err != nil {
		t.Fatal(err)
	}
	trustTestHost(t, env, &Draft{Endpoint: e}, hostKey)
}

// hostKeyErrFor is the unknown-host error the check gives for the draft's
// endpoint served with the host_ed25519 key.
func hostKeyErrFor(t *testing.T, env *Env, d *Draft) *gitops.HostKeyError {
	t.Helper()
	pk, _, _, _, err := ssh.ParseAuthorizedKey(readTestKey(t, "host_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return &gitops.HostKeyError{Host: d.Endpoint.KnownHostsName(), KeyType: pk.Type(), Offered: pk,
		OfferedFingerprint: ssh.FingerprintSHA256(pk), KnownHostsFile: env.KnownHostsFile}
}
