package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
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
// /demo.git and the decrypted user key.
func connectedDraft(t *testing.T, d *Draft, s *gitserver.Server, userKey string) {
	t.Helper()
	e, err := gitops.ParseURL(s.URL("/demo.git"))
	if err != nil {
		t.Fatal(err)
	}
	d.SetEndpoint(s.URL("/demo.git"), e)
	raw := readTestKey(t, userKey)
	k, err := parseKey(raw)
	if err != nil || k.Signer == nil {
		t.Fatalf("user key: %v", err)
	}
	d.SetKey("/keys/"+userKey, raw, k, false)
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
