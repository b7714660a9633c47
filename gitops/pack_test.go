package gitops

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/gitops/gitserver"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/gitjira/gitjira/store"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	gogitpack "github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// samplePack returns a sample repository and a pack of all its objects made
// by `git pack-objects` (ofs-deltas).
func samplePack(t *testing.T, commits int) (repo string, pack []byte) {
	t.Helper()
	needGit(t)
	repo = filepath.Join(t.TempDir(), "src.git")
	if err := gitserver.MakeSampleRepo(repo, commits); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "git rev-list --objects --all | git pack-objects --stdout --delta-base-offset -q")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return repo, out
}

func newEmptyRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dst.git")
	if err := initBare(dir, ""); err != nil {
		t.Fatal(err)
	}
	return dir
}

func packFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "objects", "pack"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// The index gitjira writes is byte for byte the one `git index-pack` writes.
func TestReceivePackMatchesGitIndexPack(t *testing.T) {
	_, pack := samplePack(t, 80)
	dir := newEmptyRepo(t)
	res, err := receivePack(context.Background(), bytes.NewReader(pack), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	name := "pack-" + res.Hash.String()
	if got := packFiles(t, dir); len(got) != 2 || got[0] != name+".idx" || got[1] != name+".pack" {
		t.Fatalf("objects/pack holds %v", got)
	}
	gitPack := filepath.Join(t.TempDir(), "p.pack")
	os.WriteFile(gitPack, pack, 0o644)
	if out, err := exec.Command("git", "index-pack", gitPack).CombinedOutput(); err != nil {
		t.Fatalf("git index-pack: %v\n%s", err, out)
	}
	want, _ := os.ReadFile(strings.TrimSuffix(gitPack, ".pack") + ".idx")
	got, _ := os.ReadFile(filepath.Join(dir, "objects", "pack", name+".idx"))
	if !bytes.Equal(got, want) {
		t.Fatalf("idx differs from git index-pack's (%d vs %d bytes)", len(got), len(want))
	}
	if res.Objects == 0 || res.Deltas == 0 || res.Commits != gitserver.SampleCommits(80) {
		t.Fatalf("result %+v", res)
	}
}

// A pack with REF_DELTA objects (go-git's encoder with ref deltas), read back by go-git.
func TestReceivePackRefDeltas(t *testing.T) {
	repo, _ := samplePack(t, 40)
	r, err := git.PlainOpen(repo)
	if err != nil {
		t.Fatal(err)
	}
	var hashes []plumbing.Hash
	iter, _ := r.Storer.IterEncodedObjects(plumbing.AnyObject)
	iter.ForEach(func(o plumbing.EncodedObject) error { hashes = append(hashes, o.Hash()); return nil })
	var buf bytes.Buffer
	if _, err := gogitpack.NewEncoder(&buf, r.Storer, true).Encode(hashes, 10); err != nil {
		t.Fatal(err)
	}
	dir := newEmptyRepo(t)
	res, err := receivePack(context.Background(), &buf, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != len(hashes) || res.Deltas == 0 {
		t.Fatalf("result %+v for %d objects", res, len(hashes))
	}
	out, err := exec.Command("git", "verify-pack", filepath.Join(dir, "objects", "pack", "pack-"+res.Hash.String()+".idx")).CombinedOutput()
	if err != nil {
		t.Fatalf("git verify-pack: %v\n%s", err, out)
	}
	// go-git reads what we wrote: every commit reachable from main, via refs we copy over.
	refs, _ := os.ReadFile(filepath.Join(repo, "packed-refs"))
	if len(refs) == 0 {
		head := gitOut(t, repo, "rev-parse", "refs/heads/main")
		refs = []byte(head + " refs/heads/main\n")
	}
	os.WriteFile(filepath.Join(dir, "packed-refs"), refs, 0o644)
	dst, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dst.Reference("refs/heads/main", true)
	if err != nil {
		t.Fatal(err)
	}
	log, err := dst.Log(&git.LogOptions{From: ref.Hash()})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	log.ForEach(func(*object.Commit) error { n++; return nil })
	if n != 40 {
		t.Fatalf("go-git walked %d commits on main, want 40", n)
	}
}

func TestReceivePackRejectsBadPacks(t *testing.T) {
	_, pack := samplePack(t, 20)
	flip := func(i int) []byte {
		b := append([]byte(nil), pack...)
		b[i] ^= 0x55
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not a pack", []byte("HELLO WORLD, THIS IS NOT A PACK")},
		{"version 9", append([]byte("PACK\x00\x00\x00\x09"), pack[8:]...)},
		{"truncated header", pack[:10]},
		{"truncated middle", pack[:len(pack)/2]},
		{"no trailer", pack[:len(pack)-20]},
		{"bad trailer", flip(len(pack) - 1)},
		{"corrupt data", flip(len(pack) / 2)},
		{"extra bytes", append(append([]byte(nil), pack...), "junk"...)},
		{"object count too high", append(append([]byte("PACK\x00\x00\x00\x02"), 0x7f, 0xff, 0xff, 0xff), pack[12:]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newEmptyRepo(t)
			_, err := receivePack(context.Background(), bytes.NewReader(tc.data), dir, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, errPackFormat) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("err = %v: neither a format error nor a short pack", err)
			}
			if got := packFiles(t, dir); len(got) != 0 {
				t.Fatalf("left in objects/pack: %v", got)
			}
		})
	}
}

func TestReceivePackEmpty(t *testing.T) {
	dir := newEmptyRepo(t)
	// "PACK", version 2, 0 objects, then the SHA-1 of those 12 bytes.
	pack := []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00\x02\x9d\x08\x82\x3b\xd8\xa8\xea\xb5\x10\xad\x6a\xc7\x5c\x82\x3c\xfd\x3e\xd3\x1e")
	res, err := receivePack(context.Background(), bytes.NewReader(pack), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != 0 || len(packFiles(t, dir)) != 0 {
		t.Fatalf("result %+v, files %v", res, packFiles(t, dir))
	}
}

func FuzzReceivePack(f *testing.F) {
	if _, err := exec.LookPath("git"); err == nil {
		dir := f.TempDir()
		repo := filepath.Join(dir, "s.git")
		if err := gitserver.MakeSampleRepo(repo, 3); err == nil {
			cmd := exec.Command("sh", "-c", "git rev-list --objects --all | git pack-objects --stdout --delta-base-offset -q")
			cmd.Dir = repo
			if out, err := cmd.Output(); err == nil {
				f.Add(out)
			}
		}
	}
	f.Add([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00\x02\x9d\x08\x82\x3b\xd8\xa8\xea\xb5\x10\xad\x6a\xc7\x5c\x82\x3c\xfd\x3e\xd3\x1e"))
	f.Add([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x01\x6f\x80"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := filepath.Join(t.TempDir(), "r.git")
		if err := initBare(dir, ""); err != nil {
			t.Fatal(err)
		}
		res, err := receivePack(context.Background(), bytes.NewReader(data), dir, nil)
		files := packFiles(t, dir)
		if err != nil {
			if len(files) != 0 {
				t.Fatalf("error %v but files %v", err, files)
			}
			return
		}
		if res.Objects > 0 && len(files) != 2 {
			t.Fatalf("%d objects but files %v", res.Objects, files)
		}
	})
}

func FuzzSidebandReader(f *testing.F) {
	f.Add([]byte("0009\x01PACK0000"))
	f.Add([]byte("0016\x02Counting objects: 1\r0009\x01abcd0000"))
	f.Add([]byte("0011\x03fatal: boom\n"))
	f.Add([]byte("zzzz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var lines []string
		r := &sidebandReader{r: bytes.NewReader(data), max: 65520, progress: &progressLines{emit: func(s string) { lines = append(lines, s) }}}
		out, err := io.ReadAll(io.LimitReader(r, 1<<20))
		if len(out) > len(data) {
			t.Fatalf("read %d bytes from %d", len(out), len(data))
		}
		_ = err
	})
}

func TestCheckTips(t *testing.T) {
	a, b, c := plumbing.NewHash("1111111111111111111111111111111111111111"), plumbing.NewHash("2222222222222222222222222222222222222222"), plumbing.NewHash("3333333333333333333333333333333333333333")
	p := &indexedPack{sorted: []plumbing.Hash{a, c}}
	if !p.Has(a) || p.Has(b) || !p.Has(c) {
		t.Fatal("Has is wrong")
	}
	if err := checkTips(p, []plumbing.Hash{a, c}, nil); err != nil {
		t.Fatal(err)
	}
	if err := checkTips(p, []plumbing.Hash{a, b}, nil); !errors.Is(err, errPackFormat) || !strings.Contains(err.Error(), b.String()) {
		t.Fatalf("missing tip: err = %v", err)
	}
	if err := checkTips(p, []plumbing.Hash{b}, func(h plumbing.Hash) bool { return h == b }); err != nil {
		t.Fatalf("tip present locally: %v", err)
	}
}

// A fetch writes its new pack with a types file, as a clone does, and the
// commit index takes the new commits from it.
func TestFetchedPackIsIndexedLikeCloned(t *testing.T) {
	needGit(t)
	h := newTestHost(t, gitserver.Options{Backend: gitserver.BackendGit})
	dir := filepath.Join(t.TempDir(), "demo.git")
	if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	ix := index.Open(store.Paths{Config: home, Data: home})
	repo := store.Repository{Name: "demo", Mirror: dir, Projects: []string{"ALL"}}
	if _, err := ix.Update(repo); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "work")
	gitIn(t, ".", "clone", "--quiet", h.repo, work)
	for _, msg := range []string{"DEMO-201: first new", "DEMO-202: second new"} {
		if err := os.WriteFile(filepath.Join(work, "new.txt"), []byte(msg+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		gitIn(t, work, "add", "new.txt")
		gitIn(t, work, "commit", "--quiet", "-m", msg)
	}
	gitIn(t, work, "push", "--quiet", "origin", "main")
	if _, err := Fetch(context.Background(), dir, h.opts, nil); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	if len(packs) != 2 {
		t.Fatalf("packs after the fetch: %v", packs)
	}
	for _, path := range packs {
		p, err := packfile.OpenPack(path)
		if err != nil {
			t.Fatal(err)
		}
		if !p.HasTypes() {
			t.Fatalf("%s has no types file", path)
		}
		p.Close()
	}
	res, err := ix.Update(repo)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range res.Added {
		keys = append(keys, c.Keys...)
	}
	if res.New != 2 || strings.Join(keys, ",") != "DEMO-201,DEMO-202" || res.Commits != gitInt(t, dir, "rev-list", "--all", "--count") {
		t.Fatalf("after the fetch: %+v", res)
	}
}
