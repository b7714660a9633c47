package packfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func needGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not installed: run `make deps`")
	}
}

func git(t testing.TB, dir string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent",
		"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=C", "GIT_COMMITTER_EMAIL=c@example.com",
		"GIT_AUTHOR_DATE=1700000000 +0100", "GIT_COMMITTER_DATE=1700000000 +0100")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// testRepo makes a bare repository whose objects make deltas: 12 versions
// of a file that grows, a 300 KB blob and a variant of it, a commit with a
// long message, an annotated tag.
func testRepo(t testing.TB) string {
	needGit(t)
	dir := filepath.Join(t.TempDir(), "r.git")
	git(t, "", nil, "init", "-q", "--bare", dir)
	var lines []string
	parent := ""
	big := bytes.Repeat([]byte("a fairly long line of text that repeats, with a number: "), 6000)
	for i := 0; i < 12; i++ {
		lines = append(lines, fmt.Sprintf("line %d of the file, changed in commit %d", i, i))
		file := git(t, dir, []byte(strings.Join(lines, "\n")+"\n"), "hash-object", "-w", "--stdin")
		bigv := append([]byte(nil), big...)
		copy(bigv[i*1000:], fmt.Sprintf("version %d", i))
		bigID := git(t, dir, bigv, "hash-object", "-w", "--stdin")
		tree := git(t, dir, []byte(fmt.Sprintf("100644 blob %s\tbig\n100644 blob %s\tfile\n", bigID, file)), "mktree")
		msg := fmt.Sprintf("PROJ-%d: commit %d", i, i)
		if i == 5 {
			msg += "\n\n" + strings.Repeat("a long message body line\n", 3000)
		}
		args := []string{"commit-tree", tree, "-m", msg}
		if parent != "" {
			args = append(args, "-p", parent)
		}
		parent = git(t, dir, nil, args...)
	}
	git(t, dir, nil, "update-ref", "refs/heads/main", parent)
	git(t, dir, nil, "tag", "-a", "-m", "release", "v1", parent)
	git(t, dir, nil, "repack", "-adq")
	return dir
}

// packOf returns the path of the single pack of a repository.
func packOf(t testing.TB, dir string) string {
	packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Fatalf("%d packs in %s", len(packs), dir)
	}
	return packs[0]
}

type gitObject struct {
	id   plumbing.Hash
	typ  string
	size int
	data []byte
}

// allObjects lists every object of the repository with its content, as git shows it.
func allObjects(t testing.TB, dir string) []gitObject {
	out := git(t, dir, nil, "cat-file", "--batch-all-objects", "--batch-check")
	var objs []gitObject
	var ids bytes.Buffer
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		size, _ := strconv.Atoi(f[2])
		objs = append(objs, gitObject{id: plumbing.NewHash(f[0]), typ: f[1], size: size})
		ids.WriteString(f[0] + "\n")
	}
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir = dir
	cmd.Stdin = &ids
	raw, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	for i := range objs {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
		objs[i].data = make([]byte, objs[i].size)
		io.ReadFull(br, objs[i].data)
		br.ReadByte()
	}
	return objs
}

func TestReaderReadsWhatGitWrote(t *testing.T) {
	dir := testRepo(t)
	for _, variant := range []struct {
		name string
		prep func(t *testing.T) string // returns a pack path
	}{
		{"ofs-deltas", func(t *testing.T) string { return packOf(t, dir) }},
		{"ref-deltas", func(t *testing.T) string {
			// pack-objects without --delta-base-offset writes REF_DELTAs.
			out := t.TempDir()
			list := git(t, dir, nil, "rev-list", "--objects", "--all")
			git(t, dir, []byte(list+"\n"), "pack-objects", "-q", filepath.Join(out, "pack"))
			packs, _ := filepath.Glob(filepath.Join(out, "*.pack"))
			return packs[0]
		}},
	} {
		t.Run(variant.name, func(t *testing.T) {
			path := variant.prep(t)
			p, err := OpenPack(path)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			objs := allObjects(t, dir)
			if p.Index.Count() != len(objs) {
				t.Fatalf("index has %d objects, git lists %d", p.Index.Count(), len(objs))
			}
			types, err := p.Types() // scanned: git wrote no types file
			if err != nil {
				t.Fatal(err)
			}
			rd := &Reader{MaxCache: 1 << 20}
			for _, o := range objs {
				pos, ok := p.Index.Lookup(o.id)
				off, _ := p.Index.Offset(pos)
				if !ok {
					t.Fatalf("%s not found", o.id)
				}
				typ, data, err := rd.Read(p, off)
				if err != nil || typ.String() != o.typ || !bytes.Equal(data, o.data) {
					t.Fatalf("Read %s: %s %d bytes %v; git: %s %d", o.id, typ, len(data), err, o.typ, o.size)
				}
				if HashObject(typ, data) != o.id {
					t.Fatalf("%s hashes differently", o.id)
				}
				if tt, err := rd.TypeAt(p, off); err != nil || tt != typ || types[pos] != typ {
					t.Fatalf("TypeAt %s = %s %v, scan says %s; want %s", o.id, tt, err, types[pos], typ)
				}
			}
			// The same with a tiny threshold: everything bigger is refused
			// by Read and streamed by Open (bases in temporary files).
			defer func(v int64) { BigObjectThreshold = v }(BigObjectThreshold)
			BigObjectThreshold = 200
			rd = &Reader{MaxCache: 1 << 20, TempDir: t.TempDir()}
			streamed := 0
			for _, o := range objs {
				off, _ := p.Index.Find(o.id)
				_, data, err := rd.Read(p, off)
				if o.size > 200 {
					if !errors.Is(err, ErrBigObject) {
						t.Fatalf("Read of a %d-byte object: %v", o.size, err)
					}
				} else if err != nil || !bytes.Equal(data, o.data) {
					t.Fatalf("Read %s: %v", o.id, err)
				}
				typ, size, rc, err := rd.Open(p, off)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || typ.String() != o.typ || size != int64(o.size) || !bytes.Equal(got, o.data) {
					t.Fatalf("Open %s: %s %d, %d bytes read, %v", o.id, typ, size, len(got), err)
				}
				streamed++
			}
			if left, _ := os.ReadDir(rd.TempDir); len(left) != 0 {
				t.Fatalf("temporary files left: %v", left)
			}
			_ = streamed
		})
	}
}

func TestIndexMatchesGit(t *testing.T) {
	dir := testRepo(t)
	path := packOf(t, dir)
	idx, err := os.ReadFile(strings.TrimSuffix(path, ".pack") + ".idx")
	if err != nil {
		t.Fatal(err)
	}
	x, err := ParseIndex(idx)
	if err != nil {
		t.Fatal(err)
	}
	// Written again from what was parsed, it is the same bytes.
	var buf bytes.Buffer
	if _, err := WriteIndex(&buf, x.PackID, x.Count(), func(i int) IndexEntry {
		off, _ := x.Offset(i)
		return IndexEntry{ID: x.ID(i), CRC: x.CRC(i), Offset: off}
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), idx) {
		t.Fatal("WriteIndex does not reproduce git's index")
	}
	for i := 0; i < x.Count(); i++ {
		if j, ok := x.Lookup(x.ID(i)); !ok || j != i {
			t.Fatalf("Lookup(ID(%d)) = %d, %v", i, j, ok)
		}
	}
	if _, ok := x.Lookup(plumbing.NewHash("ffffffffffffffffffffffffffffffffffffffff")); ok {
		t.Fatal("found an absent id")
	}
}

// Offsets past 2 GiB go to the 8-byte table.
func TestIndexLargeOffsets(t *testing.T) {
	ids := []plumbing.Hash{plumbing.NewHash("01"), plumbing.NewHash("02"), plumbing.NewHash("03")}
	offs := []int64{12, 3 << 30, 1<<31 - 1}
	var buf bytes.Buffer
	WriteIndex(&buf, plumbing.ZeroHash, 3, func(i int) IndexEntry { return IndexEntry{ID: ids[i], CRC: uint32(i), Offset: offs[i]} })
	x, err := ParseIndex(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range offs {
		if off, ok := x.Offset(i); !ok || off != want || x.CRC(i) != uint32(i) {
			t.Fatalf("entry %d: offset %d %v crc %d", i, off, ok, x.CRC(i))
		}
	}
}

func TestTypesFile(t *testing.T) {
	dir := testRepo(t)
	path := packOf(t, dir)
	p, err := OpenPack(path)
	if err != nil {
		t.Fatal(err)
	}
	scanned, err := p.Types()
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	data := EncodeTypes(p.Index.PackID, len(scanned), func(i int) Type { return scanned[i] })
	os.MkdirAll(filepath.Dir(TypesPath(path)), 0o755)
	if err := os.WriteFile(TypesPath(path), data, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = OpenPack(path)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasTypes() {
		t.Fatal("types file not read")
	}
	commits, _ := p.PositionsOfType(Commit)
	if len(commits) != 12 {
		t.Fatalf("%d commits, want 12", len(commits))
	}
	p.Close()
	// A damaged or foreign types file is ignored, never trusted.
	for i, bad := range [][]byte{
		data[:len(data)-1],
		append(append([]byte(nil), data[:len(data)-41]...), data[len(data)-40:]...),
		func() []byte { b := bytes.Clone(data); b[12] = 9; return b }(),
		func() []byte { b := bytes.Clone(data); b[len(b)-30]++; return b }(),
	} {
		os.WriteFile(TypesPath(path), bad, 0o644)
		p, err := OpenPack(path)
		if err != nil {
			t.Fatal(err)
		}
		if p.HasTypes() {
			t.Fatalf("damaged types file %d accepted", i)
		}
		p.Close()
	}
}

func TestLooseObjects(t *testing.T) {
	needGit(t)
	dir := filepath.Join(t.TempDir(), "r.git")
	git(t, "", nil, "init", "-q", "--bare", dir)
	id := plumbing.NewHash(git(t, dir, []byte("hello\n"), "hash-object", "-w", "--stdin"))
	typ, size, rc, err := OpenLoose(filepath.Join(dir, "objects"), id)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if typ != Blob || size != 6 || string(data) != "hello\n" {
		t.Fatalf("%s %d %q", typ, size, data)
	}
	if _, _, _, err := OpenLoose(filepath.Join(dir, "objects"), plumbing.NewHash("1234")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing object: %v", err)
	}
}

// FuzzReader reads the first object of a pack whose bytes after the 12-byte
// header are the fuzz input, with an index naming one more object at a
// fuzzed offset: nothing may panic, read outside the data or allocate more
// than the input justifies.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0x3b, 0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0x28, 0xcf, 0x2f, 0xca, 0x49, 0x01, 0x00, 0x1a, 0x0b, 0x04, 0x5d}, uint32(12)) // blob "hello world"
	f.Add([]byte{0x6b, 0x05, 0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}, uint32(12))                                                             // OFS_DELTA pointing before the pack
	f.Add([]byte{0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, uint32(12))                                                             // huge size
	f.Add([]byte{0x7f, 0x05, 0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}, uint32(12))                                                             // REF_DELTA truncated
	f.Fuzz(func(t *testing.T, body []byte, off2 uint32) {
		data := append([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x02"), body...)
		data = append(data, make([]byte, 20)...)
		var idx bytes.Buffer
		ids := []plumbing.Hash{plumbing.NewHash("01"), plumbing.NewHash("02")}
		offs := []int64{12, int64(off2)}
		WriteIndex(&idx, plumbing.ZeroHash, 2, func(i int) IndexEntry { return IndexEntry{ID: ids[i], Offset: offs[i]} })
		x, err := ParseIndex(idx.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		p := newPackFromBytes(data, x)
		rd := &Reader{MaxCache: 1 << 16, TempDir: t.TempDir()}
		for _, off := range offs {
			typ, out, err := rd.Read(p, off)
			if err == nil && (!typ.IsObject() || out == nil && typ == 0) {
				t.Fatalf("type %d, %d bytes, no error", typ, len(out))
			}
			if _, err := rd.TypeAt(p, off); err == nil {
				_ = err
			}
			if _, size, rc, err := rd.Open(p, off); err == nil {
				n, _ := io.Copy(io.Discard, io.LimitReader(rc, 1<<20))
				rc.Close()
				if n > size {
					t.Fatalf("read %d bytes of a %d-byte object", n, size)
				}
			}
		}
		p.Types()
	})
}

// FuzzParseIndex checks the index parser against any bytes.
func FuzzParseIndex(f *testing.F) {
	var buf bytes.Buffer
	WriteIndex(&buf, plumbing.ZeroHash, 2, func(i int) IndexEntry {
		return IndexEntry{ID: plumbing.NewHash(fmt.Sprint(i + 1)), Offset: int64(i) << 31}
	})
	f.Add(buf.Bytes())
	f.Add(append(bytes.Clone(idxMagic), make([]byte, 1024+40)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ParseIndex(data)
		if err != nil {
			return
		}
		for i := 0; i < x.Count(); i++ {
			x.Offset(i)
			x.CRC(i)
			// Unsorted ids are possible in a damaged index: not found, never a panic.
			x.Lookup(x.ID(i))
		}
		x.Find(plumbing.NewHash("ff"))
	})
}

// FuzzEntryHeader checks the entry header parser against any bytes.
func FuzzEntryHeader(f *testing.F) {
	f.Add([]byte{0x3b}, int64(12))
	f.Add([]byte{0x6b, 0x05}, int64(100))
	f.Add([]byte{0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, int64(12))
	f.Fuzz(func(t *testing.T, b []byte, off int64) {
		h, err := ParseEntryHeader(b, off)
		if err != nil {
			return
		}
		if h.Len > len(b) || h.Len > HeaderMaxLen || h.Size < 0 || h.Size > MaxObjectSize {
			t.Fatalf("header %+v from %d bytes", h, len(b))
		}
		if h.Type == OFSDelta && (h.BaseOffset < 12 || h.BaseOffset >= off) {
			t.Fatalf("base offset %d for an entry at %d", h.BaseOffset, off)
		}
	})
}
