package cmdtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/sshkeys"
)

// KeyPassphrase is the passphrase of GitServer.EncKeyFile.
const KeyPassphrase = "s3cret"

// GitServer is gitops' SSH git server on 127.0.0.1 serving bare repositories
// made with the git CLI, two keys made by ssh-keygen that may log in, and
// the Env's known_hosts file holding the server's host key.
type GitServer struct {
	*gitserver.Server
	Root       string
	KeyFile    string // unencrypted ed25519
	EncKeyFile string // encrypted with KeyPassphrase
	env        *Env
}

// StartGitServer starts the server for e (stopped at test cleanup).
func StartGitServer(t *testing.T, e *Env, opts gitserver.Options) *GitServer {
	t.Helper()
	g := &GitServer{Root: t.TempDir(), env: e}
	keys := t.TempDir()
	g.KeyFile = filepath.Join(keys, "id_plain")
	g.EncKeyFile = filepath.Join(keys, "id_enc")
	for file, pass := range map[string]string{g.KeyFile: "", g.EncKeyFile: KeyPassphrase} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", pass, "-C", "test", "-f", file).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen (run `make deps`): %v\n%s", err, out)
		}
	}
	opts.Root = g.Root
	srv, err := gitserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	g.Server = srv
	for _, file := range []string{g.KeyFile, g.EncKeyFile} {
		pub, _ := os.ReadFile(file + ".pub")
		k, _, _, _, err := ssh.ParseAuthorizedKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		srv.AuthorizeKey(k)
	}
	ep, err := gitops.ParseURL(srv.URL("x.git"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gitops.AddKnownHost(e.KnownHosts, ep, srv.HostKeys()[0]); err != nil {
		t.Fatal(err)
	}
	return g
}

// HostKeyFingerprint is the SHA256 fingerprint of the server's host key.
func (g *GitServer) HostKeyFingerprint() string {
	return sshkeys.Fingerprint(g.HostKeys()[0])
}

// Serve makes a bare repository name.git on the server from a work repo
// with the given messages, and returns the work repo (to add commits to).
func (g *GitServer) Serve(t *testing.T, name string, msgs ...string) string {
	t.Helper()
	src, _ := SourceRepo(t, msgs...)
	Git(t, "/", nil, "clone", "-q", "--bare", src, filepath.Join(g.Root, name+".git"))
	Git(t, src, nil, "remote", "add", "origin", filepath.Join(g.Root, name+".git"))
	return src
}

// Connect clones name.git into the data directory and adds it to the list
// with keyFile, as the wizard does.
func (g *GitServer) Connect(t *testing.T, name, keyFile string) {
	t.Helper()
	p := g.env.Paths
	raw, _ := os.ReadFile(keyFile)
	k, err := sshkeys.Parse(raw)
	if err != nil {
		k, err = sshkeys.ParseWithPassphrase(raw, []byte(KeyPassphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	m := &lifecycle.Manager{Paths: p, KnownHostsFile: g.env.KnownHosts, SSHConfigFile: "none"}
	_, err = m.Connect(context.Background(), lifecycle.ConnectRequest{URL: g.URL(name + ".git"), Name: name},
		// A loopback server has no web page gitjira could guess: links
		// need the one the user would give (connect --web-url).
		lifecycle.CloneOptions{Signer: k.Signer}, lifecycle.CommitRequest{KeyRaw: raw, KeyFingerprint: k.Fingerprint,
			WebURL: "https://git.example.com/team/" + name})
	if err != nil {
		t.Fatal(err)
	}
}

// CommitAndPush adds empty commits with the messages to the work repo src
// and pushes them to the server.
func CommitAndPush(t *testing.T, src string, msgs ...string) {
	t.Helper()
	for _, m := range msgs {
		Git(t, src, nil, "commit", "-q", "--allow-empty", "-m", m)
	}
	Git(t, src, nil, "push", "-q", "origin", "main")
}
