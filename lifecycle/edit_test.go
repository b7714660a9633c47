package lifecycle

import (
	"context"
	"errors"
	"os"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestSetProjectsRecounts(t *testing.T) {
	f := newFixture(t, 20)
	r := f.connect("", f.srv.URL("/demo.git"))
	if r.IssueKeys == 0 {
		t.Fatal("sample repository mentions no issue keys")
	}
	got, err := f.m.SetProjects(context.Background(), "demo", []string{"NOPE"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Projects[0] != "NOPE" || got.IssueKeys != 0 || got.ID != r.ID {
		t.Errorf("after restricting: %+v", got)
	}
	listed, _ := f.m.list().Get("demo")
	if listed.IssueKeys != 0 {
		t.Errorf("list not recounted: %d", listed.IssueKeys)
	}
	if _, err := f.m.SetProjects(context.Background(), "demo", []string{"bad key"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad key: %v", err)
	}
	got, _ = f.m.SetProjects(context.Background(), "demo", nil)
	if got.IssueKeys != r.IssueKeys {
		t.Errorf("back to all: %d, want %d", got.IssueKeys, r.IssueKeys)
	}
}

func TestReplaceKeyChecksFirst(t *testing.T) {
	f := newFixture(t, 3)
	r := f.connect("", f.srv.URL("/demo.git"))
	otherRaw, err := os.ReadFile("../sshkeys/testdata/openssh_ecdsa256.key")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ssh.ParsePrivateKey(otherRaw)
	if err != nil {
		t.Fatal(err)
	}
	// Not authorized on the server: refused, the old key stays.
	if _, err := f.m.ReplaceKey(context.Background(), "demo", otherRaw, other, "SHA256:other", ""); err == nil {
		t.Fatal("an unauthorized key was accepted")
	}
	if b, _ := os.ReadFile(r.KeyFile); string(b) != string(f.keyRaw) {
		t.Fatal("the old key was replaced after a failed check")
	}
	f.srv.AuthorizeKey(other.PublicKey())
	got, err := f.m.ReplaceKey(context.Background(), "demo", otherRaw, other, "SHA256:other", "")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got.KeyFile); string(b) != string(otherRaw) || got.KeyFingerprint != "SHA256:other" {
		t.Errorf("key not replaced: %+v", got)
	}
	checkHome(t, f.m)
}
