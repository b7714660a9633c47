package sshdtest

import (
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// A StartForge server reaches a repository by its forge path, with or
// without a leading slash, as GitHub does.
func TestStartForgePaths(t *testing.T) {
	s := StartForge(t, Options{HostKeyTypes: []string{Ed25519}})
	s.NewBareRepo("octo/app", 1)
	k, err := NewKey(Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	s.AuthorizePublicKey(k.PublicKey())
	for _, path := range []string{"octo/app.git", "/octo/app.git"} {
		c, err := ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(k)}, HostKeyCallback: ssh.FixedHostKey(s.HostKey(Ed25519))})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		out, err := sess.Output("git-upload-pack --advertise-refs '" + path + "'")
		c.Close()
		if err != nil || !strings.Contains(string(out), "refs/heads/main") {
			t.Fatalf("%s: %v %q", path, err, out)
		}
	}
}
