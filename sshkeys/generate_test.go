package sshkeys

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestGenerateOptionsValidate(t *testing.T) {
	tests := []struct {
		in         GenerateOptions
		wantType   string
		wantBits   int
		wantFormat Format
		wantOption string // "" = valid
	}{
		{GenerateOptions{}, TypeEd25519, 256, FormatOpenSSH, ""},
		{GenerateOptions{Type: "ED25519", Bits: 256}, TypeEd25519, 256, FormatOpenSSH, ""},
		{GenerateOptions{Type: "ssh-ed25519"}, TypeEd25519, 256, FormatOpenSSH, ""},
		{GenerateOptions{Type: "rsa"}, TypeRSA, 4096, FormatOpenSSH, ""},
		{GenerateOptions{Type: "ssh-rsa", Bits: 2048, Format: FormatPEM}, TypeRSA, 2048, FormatPEM, ""},
		{GenerateOptions{Type: "rsa", Bits: 3072, Format: FormatPKCS1}, TypeRSA, 3072, FormatPKCS1, ""},
		{GenerateOptions{Type: "rsa", Bits: 16384}, TypeRSA, 16384, FormatOpenSSH, ""},
		{GenerateOptions{Type: "ecdsa"}, TypeECDSA, 256, FormatOpenSSH, ""},
		{GenerateOptions{Type: "ecdsa", Bits: 384}, TypeECDSA, 384, FormatOpenSSH, ""},
		{GenerateOptions{Type: "ecdsa", Bits: 521, Format: FormatSEC1}, TypeECDSA, 521, FormatSEC1, ""},
		{GenerateOptions{Type: "ecdsa-sha2-nistp384"}, TypeECDSA, 384, FormatOpenSSH, ""},
		{GenerateOptions{Type: "ed25519", Format: FormatPPKv3}, TypeEd25519, 256, FormatPPKv3, ""},
		{GenerateOptions{Type: "rsa", Bits: 1024}, "", 0, "", "bits"},
		{GenerateOptions{Type: "rsa", Bits: 2047}, "", 0, "", "bits"},
		{GenerateOptions{Type: "rsa", Bits: 32768}, "", 0, "", "bits"},
		{GenerateOptions{Type: "ecdsa", Bits: 512}, "", 0, "", "bits"},
		{GenerateOptions{Type: "ecdsa-sha2-nistp256", Bits: 384}, "", 0, "", "bits"},
		{GenerateOptions{Type: "ed25519", Bits: 4096}, "", 0, "", "bits"},
		{GenerateOptions{Type: "dsa"}, "", 0, "", "type"},
		{GenerateOptions{Type: "ed448"}, "", 0, "", "type"},
		{GenerateOptions{Format: "der"}, "", 0, "", "format"},
		{GenerateOptions{Format: FormatPKCS1}, "", 0, "", "format"},
		{GenerateOptions{Type: "rsa", Format: FormatSEC1}, "", 0, "", "format"},
		{GenerateOptions{Comment: "two\nlines"}, "", 0, "", "comment"},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			o := tt.in
			err := o.Validate()
			if tt.wantOption != "" {
				var oe *OptionError
				if !errors.As(err, &oe) || !errors.Is(err, ErrBadOptions) {
					t.Fatalf("err = %v, want *OptionError", err)
				}
				if oe.Option != tt.wantOption {
					t.Errorf("Option = %q, want %q (%v)", oe.Option, tt.wantOption, err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("message is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Type != tt.wantType || o.Bits != tt.wantBits || o.Format != tt.wantFormat {
				t.Errorf("got %s/%d/%s, want %s/%d/%s", o.Type, o.Bits, o.Format, tt.wantType, tt.wantBits, tt.wantFormat)
			}
		})
	}
}

func TestGenerateOptionsStringHidesPassphrase(t *testing.T) {
	o := GenerateOptions{Type: "rsa", Passphrase: []byte("hunter2-secret")}
	for _, s := range []string{o.String(), fmt.Sprintf("%v", o), fmt.Sprintf("%+v", o), fmt.Sprint(&o)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("passphrase printed: %s", s)
		}
	}
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		opts       GenerateOptions
		wantType   string
		wantBits   int
		wantFormat Format
	}{
		{GenerateOptions{Comment: "me@host"}, "ssh-ed25519", 256, FormatOpenSSH},
		{GenerateOptions{Type: "rsa", Bits: 2048, Comment: "me@host"}, "ssh-rsa", 2048, FormatOpenSSH},
		{GenerateOptions{Type: "rsa", Bits: 2048, Format: FormatPEM, Comment: "me@host"}, "ssh-rsa", 2048, FormatPKCS1},
		{GenerateOptions{Type: "ecdsa", Comment: "me@host"}, "ecdsa-sha2-nistp256", 256, FormatOpenSSH},
		{GenerateOptions{Type: "ecdsa", Bits: 384, Format: FormatPEM, Comment: "me@host"}, "ecdsa-sha2-nistp384", 384, FormatSEC1},
		{GenerateOptions{Type: "ecdsa", Bits: 521, Comment: "me@host"}, "ecdsa-sha2-nistp521", 521, FormatOpenSSH},
		{GenerateOptions{Format: FormatPEM, Comment: "me@host"}, "ssh-ed25519", 256, FormatPKCS8},
		{GenerateOptions{Format: FormatPEM, Comment: "me@host", Passphrase: []byte("pass phrase")}, "ssh-ed25519", 256, FormatPKCS8},
		{GenerateOptions{Type: "ecdsa", Comment: "me@host", Passphrase: []byte("pass phrase")}, "ecdsa-sha2-nistp256", 256, FormatOpenSSH},
		{GenerateOptions{Comment: "me@host", Format: FormatPPKv3}, "ssh-ed25519", 256, FormatPPKv3},
	}
	for _, tt := range tests {
		t.Run(tt.opts.String(), func(t *testing.T) {
			k, raw, err := Generate(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if k.Type != tt.wantType || k.Bits != tt.wantBits || k.Format != tt.wantFormat {
				t.Errorf("got %s %d %s, want %s %d %s", k.Type, k.Bits, k.Format, tt.wantType, tt.wantBits, tt.wantFormat)
			}
			encrypted := len(tt.opts.Passphrase) > 0
			if k.Encrypted != encrypted || k.Private == nil || k.Signer == nil {
				t.Errorf("encrypted %v (want %v), private %v, signer %v", k.Encrypted, encrypted, k.Private != nil, k.Signer != nil)
			}
			if k.Comment != "me@host" || !strings.HasSuffix(k.AuthorizedKey, " me@host") {
				t.Errorf("comment %q, authorized key %q", k.Comment, k.AuthorizedKey)
			}
			if k.Fingerprint != Fingerprint(k.PublicKey) || !strings.HasPrefix(k.Fingerprint, "SHA256:") {
				t.Errorf("fingerprint %q does not match the public key", k.Fingerprint)
			}
			pub, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(k.AuthorizedKey))
			if err != nil || comment != "me@host" || !bytes.Equal(pub.Marshal(), k.PublicKey.Marshal()) {
				t.Errorf("authorized key line %q does not hold the key (%v)", k.AuthorizedKey, err)
			}
			// The file reads back to the same key, and only with the passphrase when it has one.
			var again *Key
			if encrypted {
				var pme *PassphraseMissingError
				if _, err := Parse(raw); !errors.As(err, &pme) {
					t.Fatalf("encrypted file parsed without passphrase: %v", err)
				}
				again, err = ParseWithPassphrase(raw, tt.opts.Passphrase)
			} else {
				again, err = Parse(raw)
			}
			if err != nil {
				t.Fatal(err)
			}
			if again.Fingerprint != k.Fingerprint {
				t.Errorf("file fingerprint %s, key %s", again.Fingerprint, k.Fingerprint)
			}
			// The signer works and verifies with the public key.
			data := []byte("gitjira")
			sig, err := k.Signer.Sign(rand.Reader, data)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.PublicKey.Verify(data, sig); err != nil {
				t.Errorf("signature does not verify: %v", err)
			}
			if tt.wantType == "ssh-rsa" && sig.Format == ssh.KeyAlgoRSA {
				t.Errorf("RSA signer signs with SHA-1 (ssh-rsa)")
			}
		})
	}
}

func TestGenerateRefusesBadOptions(t *testing.T) {
	_, _, err := Generate(GenerateOptions{Type: "rsa", Bits: 1024})
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Option != "bits" {
		t.Fatalf("err = %v, want OptionError for bits", err)
	}
}

// dirNames lists a directory, to check that nothing (no temporary file) is left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestWriteKeyPair(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "id_test")
	k, raw, err := Generate(GenerateOptions{Comment: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(path, raw, k.AuthorizedKey); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		mode fs.FileMode
		want []byte
	}{{"id_test", 0o600, raw}, {"id_test.pub", 0o644, []byte(k.AuthorizedKey + "\n")}} {
		st, err := os.Stat(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != f.mode {
			t.Errorf("%s: mode %v, want %v", f.name, st.Mode().Perm(), f.mode)
		}
		got, _ := os.ReadFile(filepath.Join(dir, f.name))
		if !bytes.Equal(got, f.want) {
			t.Errorf("%s: content %q, want %q", f.name, got, f.want)
		}
	}
	if names := dirNames(t, dir); strings.Join(names, ",") != "id_test,id_test.pub" {
		t.Errorf("directory holds %v, want only the pair", names)
	}
}

// TestWriteKeyPairNeverOverwrites: an existing private key, .pub, directory
// or dangling symlink stops the write before anything is written, and what
// was there is untouched.
func TestWriteKeyPairNeverOverwrites(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		// which of path / path.pub must exist afterwards with their old content
		blocked string
	}{
		{"private exists", func(t *testing.T, p string) { writeOld(t, p) }, "id"},
		{"pub exists", func(t *testing.T, p string) { writeOld(t, p+".pub") }, "id.pub"},
		{"both exist", func(t *testing.T, p string) { writeOld(t, p); writeOld(t, p+".pub") }, "id"},
		{"private is a directory", func(t *testing.T, p string) { os.Mkdir(p, 0o700) }, "id"},
		{"dangling symlink", func(t *testing.T, p string) { os.Symlink(filepath.Join(filepath.Dir(p), "nowhere"), p) }, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "id")
			tt.setup(t, path)
			before := snapshot(t, dir)
			err := WriteKeyPair(path, []byte("NEW PRIVATE"), "ssh-ed25519 AAAA new")
			if !errors.Is(err, ErrExists) {
				t.Fatalf("err = %v, want ErrExists", err)
			}
			want := filepath.Join(dir, tt.blocked) + " already exists: choose another -o path or remove it first"
			if err.Error() != want {
				t.Errorf("message %q, want %q", err, want)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("directory changed:\nbefore %s\nafter  %s", before, after)
			}
			if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
				t.Errorf("wrote through the symlink")
			}
		})
	}
}

func writeOld(t *testing.T, p string) {
	t.Helper()
	if err := os.WriteFile(p, []byte("OLD"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// snapshot describes a directory's entries, modes and contents.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range dirNames(t, dir) {
		st, _ := os.Lstat(filepath.Join(dir, n))
		data, _ := os.ReadFile(filepath.Join(dir, n))
		fmt.Fprintf(&b, "%s %v %q; ", n, st.Mode(), data)
	}
	return b.String()
}

func TestWriteFileExclusiveErrors(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // dir below is outside home: nothing is created there
	dir := t.TempDir()
	err := WriteFileExclusive(filepath.Join(dir, "missing", "key"), []byte("x"), 0o600)
	if !errors.Is(err, ErrDirMissing) || !strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Error("created a directory outside home")
	}
	writeOld(t, filepath.Join(dir, "file"))
	err = WriteFileExclusive(filepath.Join(dir, "file", "key"), []byte("x"), 0o600)
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as directory: %v", err)
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o500)
		err = WriteFileExclusive(filepath.Join(ro, "key"), []byte("x"), 0o600)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("read-only directory: %v", err)
		}
		if names := dirNames(t, ro); len(names) != 0 {
			t.Errorf("left behind %v", names)
		}
	}
	// A umask never weakens or strengthens the mode asked for.
	p := filepath.Join(dir, "pub")
	if err := WriteFileExclusive(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}

// TestWriteFileExclusiveRace: many writers of one path; exactly one wins, the
// file holds exactly its data, the others get ErrExists, and no temporary file remains.
func TestWriteFileExclusiveRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = WriteFileExclusive(path, bytes.Repeat([]byte{byte('a' + i)}, 64<<10), 0o600)
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner == -1:
			winner = i
		case err == nil:
			t.Fatalf("writers %d and %d both succeeded", winner, i)
		case !errors.Is(err, ErrExists):
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if winner == -1 {
		t.Fatal("no writer succeeded")
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, bytes.Repeat([]byte{byte('a' + winner)}, 64<<10)) {
		t.Errorf("file does not hold exactly the winner's data")
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, opts := range []GenerateOptions{
		{Type: TypeEd25519},
		{Type: TypeECDSA, Bits: 256},
		{Type: TypeECDSA, Bits: 384},
		{Type: TypeECDSA, Bits: 521},
		{Type: TypeRSA, Bits: 2048},
		{Type: TypeRSA, Bits: 4096},
	} {
		b.Run(fmt.Sprintf("%s-%d", opts.Type, opts.Bits), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Generate(opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestWriteKeyPairCreatesDirInHome: on a fresh account (no ~/.ssh) the pair
// is written and ~/.ssh created 0700, as ssh-keygen and `gh auth login` do.
// Missing levels below home are created; nothing outside home, nor home
// itself, ever is.
func TestWriteKeyPairCreatesDirInHome(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	outside := filepath.Join(root, "outside")
	for _, d := range []string{home, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(home, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(home, filepath.Join(root, "home-link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		home    string
		path    string
		created []string // directories that must now exist, 0700
		absent  string   // a directory that must not have been created
	}{
		{name: "~/.ssh missing", home: home, path: filepath.Join(home, ".ssh", "id_ed25519"), created: []string{filepath.Join(home, ".ssh")}},
		{name: "two levels below home", home: home, path: filepath.Join(home, "keys", "work", "id"),
			created: []string{filepath.Join(home, "keys"), filepath.Join(home, "keys", "work")}},
		{name: "home given through a symlink", home: filepath.Join(root, "home-link"), path: filepath.Join(root, "home-link", ".ssh2", "id"),
			created: []string{filepath.Join(home, ".ssh2")}},
		{name: "outside home", home: home, path: filepath.Join(root, "elsewhere", "id"), absent: filepath.Join(root, "elsewhere")},
		{name: "home itself missing", home: filepath.Join(root, "nohome"), path: filepath.Join(root, "nohome", ".ssh", "id"), absent: filepath.Join(root, "nohome")},
		{name: "a symlink in home leading out", home: home, path: filepath.Join(home, "link-out", "new", "id"), absent: filepath.Join(outside, "new")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HOME", tt.home)
			checkErr := CheckNewFile(tt.path)
			for _, d := range append(tt.created, tt.absent) {
				if _, err := os.Lstat(d); d != "" && err == nil {
					t.Fatalf("CheckNewFile created %s", d)
				}
			}
			err := WriteKeyPair(tt.path, []byte("PRIVATE"), "ssh-ed25519 AAAA c")
			if tt.absent != "" {
				for _, e := range []error{checkErr, err} {
					if !errors.Is(e, ErrDirMissing) || !strings.Contains(e.Error(), "inside your home directory") || strings.ContainsAny(e.Error(), "\r\n") {
						t.Errorf("want a one-line ErrDirMissing, got %v", e)
					}
				}
				if _, err := os.Lstat(tt.absent); err == nil {
					t.Errorf("%s was created", tt.absent)
				}
				return
			}
			if checkErr != nil || err != nil {
				t.Fatalf("CheckNewFile: %v; WriteKeyPair: %v", checkErr, err)
			}
			for _, d := range tt.created {
				st, err := os.Stat(d)
				if err != nil || st.Mode().Perm() != 0o700 {
					t.Errorf("%s: %v, mode %v, want 0700", d, err, st.Mode().Perm())
				}
			}
			for p, mode := range map[string]fs.FileMode{tt.path: 0o600, tt.path + ".pub": 0o644} {
				if st, err := os.Stat(p); err != nil || st.Mode().Perm() != mode {
					t.Errorf("%s: %v, want mode %v", p, err, mode)
				}
			}
		})
	}
	// An existing directory keeps its mode: only what is created is made 0700.
	t.Setenv("HOME", home)
	shared := filepath.Join(home, "shared")
	os.Mkdir(shared, 0o755)
	os.Chmod(shared, 0o755)
	if err := WriteKeyPair(filepath.Join(shared, "id"), []byte("PRIVATE"), "ssh-ed25519 AAAA c"); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(shared); st.Mode().Perm() != 0o755 {
		t.Errorf("existing directory changed to %v", st.Mode().Perm())
	}
}

// TestGenerateIntoFreshHome is the wizard's and `gitjira key generate`'s
// first-time case: no ~/.ssh, a passphrase and a comment. The files read
// back with that passphrase, carry the comment, and the key is encrypted.
func TestGenerateIntoFreshHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	path := filepath.Join(home, ".ssh", "id_ed25519")
	pass := []byte("a passphrase")
	k, raw, err := Generate(GenerateOptions{Comment: "ann@laptop", Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckNewFile(path); err != nil {
		t.Fatalf("CheckNewFile before generating: %v", err)
	}
	if err := WriteKeyPair(path, raw, k.AuthorizedKey); err != nil {
		t.Fatal(err)
	}
	onDisk, _ := os.ReadFile(path)
	_, err = Parse(onDisk)
	var pm *PassphraseMissingError
	if !errors.As(err, &pm) || pm.Key.Fingerprint != k.Fingerprint {
		t.Fatalf("without the passphrase: %v, want PassphraseMissingError for %s", err, k.Fingerprint)
	}
	back, err := ParseWithPassphrase(onDisk, pass)
	if err != nil || back.Fingerprint != k.Fingerprint || back.Comment != "ann@laptop" || !back.Encrypted {
		t.Fatalf("read back: %v %+v", err, back)
	}
	pub, _ := os.ReadFile(path + ".pub")
	if !strings.HasSuffix(string(pub), " ann@laptop\n") || !strings.HasPrefix(string(pub), "ssh-ed25519 AAAA") {
		t.Errorf(".pub = %q", pub)
	}
	if st, _ := os.Stat(filepath.Dir(path)); st.Mode().Perm() != 0o700 {
		t.Errorf("~/.ssh mode %v", st.Mode().Perm())
	}
	// A second run never overwrites.
	if err := WriteKeyPair(path, raw, k.AuthorizedKey); !errors.Is(err, ErrExists) {
		t.Errorf("second write: %v", err)
	}
}
