package lifecycle

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/gitjira/gitjira/sshkeys"
)

func TestListAndDetails(t *testing.T) {
	f := newFixture(t, 5)
	f.connect("demo", f.srv.URL("/demo.git"))
	var notified []string
	f.m.Notify = func(line string) { notified = append(notified, line) }
	leaveConnectDebris(t, f.m, "dead")
	l, err := f.m.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Repositories) != 1 || l.Stats.Repositories != 1 || l.Stats.Commits != l.Repositories[0].Commits || l.Stats.Commits == 0 {
		t.Fatalf("listing %+v", l)
	}
	lines := l.Recovered.Lines()
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "cleaned up an interrupted connect of dead (") {
		t.Fatalf("recovered %q", lines)
	}
	if len(l.Orphans) != 0 {
		t.Fatalf("orphans %+v", l.Orphans)
	}
	d, err := f.m.Details("demo", 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.SizeErr != nil || d.MirrorSize == 0 || d.KeyErr != nil || d.Key == nil || d.Key.Fingerprint == "" || d.RecentErr != nil || len(d.Recent) != 3 {
		t.Fatalf("details %+v", d)
	}
	if d.Recent[0].SHA == "" || d.Recent[0].Subject == "" || !d.Recent[0].Date.After(d.Recent[2].Date.Add(-1)) {
		t.Fatalf("recent %+v", d.Recent)
	}
	if _, err := f.m.Details("nope", 3); err == nil {
		t.Fatal("details of an unknown name")
	}
	// An operation's own repair is reported through Notify.
	leaveConnectDebris(t, f.m, "dead2")
	if _, err := f.m.Plan(ConnectRequest{URL: f.srv.URL("/other.git"), Name: "other"}); err != nil {
		t.Fatal(err)
	}
	if len(notified) != 1 || !strings.Contains(notified[0], "interrupted connect of dead2") {
		t.Fatalf("notified %q", notified)
	}
}

func TestOpenStoredKey(t *testing.T) {
	f := newFixture(t, 2)
	r := f.connect("demo", f.srv.URL("/demo.git"))
	k, err := f.m.OpenStoredKey(r, KeySource{})
	if err != nil || k.Signer == nil {
		t.Fatalf("plain key: %v", err)
	}
	// An encrypted stored key: locked without a passphrase, the public half
	// for display, opened with the right one, refused with a wrong one.
	enc, err := os.ReadFile("../sshkeys/testdata/openssh_ed25519_enc.key")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(r.KeyFile, enc, 0o600)
	_, err = f.m.OpenStoredKey(r, KeySource{})
	var locked *KeyLockedError
	var pme *sshkeys.PassphraseMissingError
	if !errors.As(err, &locked) || !errors.As(err, &pme) {
		t.Fatalf("encrypted without passphrase: %v", err)
	}
	if pub, err := f.m.PublicStoredKey(r); err != nil || !pub.Encrypted || pub.Fingerprint == "" {
		t.Fatalf("public half: %+v %v", pub, err)
	}
	if _, err := f.m.OpenStoredKey(r, KeySource{Passphrase: []byte("wrong")}); !errors.Is(err, sshkeys.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}

// A stored key replaced by a FIFO is refused at once, in one line.
func TestStoredKeyFIFO(t *testing.T) {
	f := newFixture(t, 2)
	r := f.connect("demo", f.srv.URL("/demo.git"))
	os.Remove(r.KeyFile)
	if err := mkfifo(r.KeyFile); err != nil {
		t.Fatal(err)
	}
	_, err := f.m.OpenStoredKey(r, KeySource{})
	if err == nil || !strings.Contains(err.Error(), "FIFO") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("FIFO key: %v", err)
	}
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }
