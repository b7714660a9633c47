// Package packtest crafts packs and repositories of shapes git would not
// write on its own, for tests and benchmarks: objects of any size made from
// a cheap deterministic pattern (so a 1 GiB blob is a few megabytes on the
// wire), delta chains on big objects, commits with huge messages, many tags
// on one object. The packs are indexed by `git index-pack`, not by gitjira,
// so what the tests then clone is what real git serves.
package packtest

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// Writer writes a pack entry by entry.
type Writer struct {
	w     io.Writer
	h     hash.Hash
	off   int64
	count uint32
	n     uint32
	err   error
}

// NewWriter starts a pack of count entries on w.
func NewWriter(w io.Writer, count uint32) *Writer {
	pw := &Writer{w: w, h: sha1.New(), count: count}
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], count)
	pw.write(hdr[:])
	return pw
}

func (pw *Writer) write(b []byte) {
	if pw.err != nil {
		return
	}
	_, pw.err = pw.w.Write(b)
	pw.h.Write(b)
	pw.off += int64(len(b))
}

// Write writes raw bytes into the pack (the zlib writer writes through it).
func (pw *Writer) Write(b []byte) (int, error) {
	pw.write(b)
	return len(b), pw.err
}

func (pw *Writer) header(t packfile.Type, size int64) {
	c := byte(t)<<4 | byte(size&15)
	size >>= 4
	var b []byte
	for size > 0 {
		b = append(b, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	pw.write(append(b, c))
}

func (pw *Writer) deflate(r io.Reader) {
	zw, _ := zlib.NewWriterLevel(pw, zlib.BestSpeed)
	if _, err := io.Copy(zw, r); err != nil && pw.err == nil {
		pw.err = err
	}
	if err := zw.Close(); err != nil && pw.err == nil {
		pw.err = err
	}
}

// Object writes an object entry of type t whose content (size bytes) is
// read from r, and returns its offset.
func (pw *Writer) Object(t packfile.Type, size int64, r io.Reader) int64 {
	off := pw.off
	pw.n++
	pw.header(t, size)
	pw.deflate(io.LimitReader(r, size))
	return off
}

// OFSDelta writes a delta entry on the entry at baseOff and returns its offset.
func (pw *Writer) OFSDelta(baseOff int64, delta []byte) int64 {
	off := pw.off
	pw.n++
	pw.header(packfile.OFSDelta, int64(len(delta)))
	rel := off - baseOff
	b := []byte{byte(rel & 0x7f)}
	for rel >>= 7; rel > 0; rel >>= 7 {
		rel--
		b = append([]byte{byte(rel&0x7f) | 0x80}, b...)
	}
	pw.write(b)
	pw.deflate(bytes.NewReader(delta))
	return off
}

// Close writes the trailer.
func (pw *Writer) Close() error {
	if pw.err == nil && pw.n != pw.count {
		return fmt.Errorf("packtest: %d entries written, %d announced", pw.n, pw.count)
	}
	sum := pw.h.Sum(nil)
	if pw.err == nil {
		_, pw.err = pw.w.Write(sum)
	}
	return pw.err
}

// Delta builds delta instructions.
type Delta struct {
	b          []byte
	base, size int64
}

// NewDelta starts a delta on a base of baseSize bytes making size bytes.
func NewDelta(baseSize, size int64) *Delta {
	d := &Delta{base: baseSize, size: size}
	for _, v := range []int64{baseSize, size} {
		for v >= 0x80 {
			d.b = append(d.b, byte(v)|0x80)
			v >>= 7
		}
		d.b = append(d.b, byte(v))
	}
	return d
}

// Copy copies n bytes of the base from off (in instructions of at most
// 16 MiB - 64 KiB).
func (d *Delta) Copy(off, n int64) *Delta {
	for n > 0 {
		k := min(n, 0xff0000)
		cmd := byte(0x80)
		var args []byte
		for i := 0; i < 4; i++ {
			if v := byte(off >> (8 * i)); v != 0 {
				cmd |= 1 << i
				args = append(args, v)
			}
		}
		for i := 0; i < 3; i++ {
			if v := byte(k >> (8 * i)); v != 0 {
				cmd |= 0x10 << i
				args = append(args, v)
			}
		}
		d.b = append(append(d.b, cmd), args...)
		off += k
		n -= k
	}
	return d
}

// Insert inserts literal bytes.
func (d *Delta) Insert(b []byte) *Delta {
	for len(b) > 0 {
		k := min(len(b), 127)
		d.b = append(append(d.b, byte(k)), b[:k]...)
		b = b[k:]
	}
	return d
}

// Bytes returns the delta.
func (d *Delta) Bytes() []byte { return d.b }

// Pattern is deterministic content of any size: 64 KiB blocks of zeros,
// each starting with a line that names the block and the seed, so it
// compresses about 1000:1 and two seeds never make the same object.
type Pattern struct {
	Size int64
	Seed int
}

const block = 64 << 10

// ReadAt implements io.ReaderAt.
func (p Pattern) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) && off < p.Size {
		blk, in := off/block, off%block
		k := int(min(int64(len(b)-n), block-in, p.Size-off))
		dst := b[n : n+k]
		clear(dst)
		if line := fmt.Sprintf("block %d of pattern %d\n", blk, p.Seed); in < int64(len(line)) {
			copy(dst, line[in:])
		}
		n += k
		off += int64(k)
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// Reader reads the pattern from the start.
func (p Pattern) Reader() io.Reader { return io.NewSectionReader(p, 0, p.Size) }

// ID returns the object id of content read from r (size bytes) as type t.
func ID(t packfile.Type, size int64, r io.Reader) plumbing.Hash {
	h := packfile.NewHasher()
	h.Write(packfile.AppendObjectHeader(nil, t, size))
	io.Copy(h, io.LimitReader(r, size))
	var id plumbing.Hash
	h.Sum(id[:0])
	return id
}

// Tree returns a tree object of files (name -> blob id), sorted by name.
func Tree(names []string, ids []plumbing.Hash) []byte {
	var b bytes.Buffer
	for i, n := range names {
		fmt.Fprintf(&b, "100644 %s\x00", n)
		b.Write(ids[i][:])
	}
	return b.Bytes()
}

const sig = "Ada Author <ada@example.com> 1700000000 +0000"

// CommitHeader returns a commit's header and blank line.
func CommitHeader(tree plumbing.Hash, parents ...plumbing.Hash) string {
	s := "tree " + tree.String() + "\n"
	for _, p := range parents {
		s += "parent " + p.String() + "\n"
	}
	return s + "author " + sig + "\ncommitter " + sig + "\n\n"
}

// Tag returns an annotated tag object.
func Tag(target plumbing.Hash, typ packfile.Type, name string) []byte {
	return []byte(fmt.Sprintf("object %s\ntype %s\ntag %s\ntagger %s\n\nrelease %s\n", target, typ, name, sig, name))
}

// Repo is a bare repository being crafted.
type Repo struct {
	Dir string
	env []string
}

// InitRepo makes an empty bare repository at dir with `git init`.
func InitRepo(dir string) (*Repo, error) {
	r := &Repo{Dir: dir, env: append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent")}
	_, err := r.Git(nil, "init", "-q", "--bare", "--initial-branch=main", dir)
	return r, err
}

// Git runs git in the repository with stdin.
func (r *Repo) Git(stdin io.Reader, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = r.Dir
	if _, err := os.Stat(r.Dir); err != nil {
		cmd.Dir = ""
	}
	cmd.Env = r.env
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// Pack writes a pack into the repository through `git index-pack --stdin`
// (which checks it and writes the .idx); write writes its entries.
func (r *Repo) Pack(count uint32, write func(pw *Writer)) error {
	pr, pwr := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := r.Git(pr, "index-pack", "--stdin", "--strict")
		pr.CloseWithError(err)
		done <- err
	}()
	pw := NewWriter(pwr, count)
	write(pw)
	err := pw.Close()
	pwr.CloseWithError(err)
	if gerr := <-done; err == nil {
		err = gerr
	}
	return err
}

// SetRef points ref at id.
func (r *Repo) SetRef(ref string, id plumbing.Hash) error {
	_, err := r.Git(nil, "update-ref", ref, id.String())
	return err
}

// MakeBlobTags crafts a repository holding a blob of size bytes, a commit on
// main whose tree holds it, and n annotated tags pointing at the blob itself
// (refs/tags/big-1..n). It returns the blob's id.
func MakeBlobTags(dir string, size int64, n int) (plumbing.Hash, error) {
	r, err := InitRepo(dir)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	blob := Pattern{Size: size, Seed: 1}
	blobID := ID(packfile.Blob, size, blob.Reader())
	tree := Tree([]string{"big.bin"}, []plumbing.Hash{blobID})
	treeID := packfile.HashObject(packfile.Tree, tree)
	commit := []byte(CommitHeader(treeID) + "PROJ-1 add a big file\n")
	commitID := packfile.HashObject(packfile.Commit, commit)
	var tags [][]byte
	for i := 1; i <= n; i++ {
		tags = append(tags, Tag(blobID, packfile.Blob, fmt.Sprintf("big-%d", i)))
	}
	err = r.Pack(uint32(3+n), func(pw *Writer) {
		pw.Object(packfile.Commit, int64(len(commit)), bytes.NewReader(commit))
		for _, t := range tags {
			pw.Object(packfile.Tag, int64(len(t)), bytes.NewReader(t))
		}
		pw.Object(packfile.Tree, int64(len(tree)), bytes.NewReader(tree))
		pw.Object(packfile.Blob, size, blob.Reader())
	})
	if err != nil {
		return blobID, err
	}
	if err := r.SetRef("refs/heads/main", commitID); err != nil {
		return blobID, err
	}
	for i, t := range tags {
		if err := r.SetRef(fmt.Sprintf("refs/tags/big-%d", i+1), packfile.HashObject(packfile.Tag, t)); err != nil {
			return blobID, err
		}
	}
	return blobID, nil
}

// MakeBlobDeltas crafts a repository holding a blob B of size bytes and
// four blobs stored as deltas that copy it: v1 on B, v2 on v1 (a chain), v3
// and v4 on B (siblings), each inserting a short line in the middle; all
// five are in the tree of one commit on main. It returns the five ids.
func MakeBlobDeltas(dir string, size int64) ([]plumbing.Hash, error) {
	r, err := InitRepo(dir)
	if err != nil {
		return nil, err
	}
	base := Pattern{Size: size, Seed: 2}
	// variant returns a reader of parent with ins inserted at at.
	type content struct {
		r    io.ReaderAt
		size int64
	}
	insert := func(parent content, at int64, ins []byte) content {
		return content{io.NewSectionReader(multiReaderAt{parent.r, at, ins}, 0, parent.size+int64(len(ins))), parent.size + int64(len(ins))}
	}
	b := content{base, size}
	v1 := insert(b, size/2, []byte("variant one\n"))
	v2 := insert(v1, size/4, []byte("variant two, on one\n"))
	v3 := insert(b, size/3, []byte("variant three\n"))
	v4 := insert(b, 0, []byte("variant four\n"))
	delta := func(parent content, at int64, ins string) []byte {
		return NewDelta(parent.size, parent.size+int64(len(ins))).Copy(0, at).Insert([]byte(ins)).Copy(at, parent.size-at).Bytes()
	}
	all := []content{b, v1, v2, v3, v4}
	ids := make([]plumbing.Hash, len(all))
	for i, c := range all {
		ids[i] = ID(packfile.Blob, c.size, io.NewSectionReader(c.r, 0, c.size))
	}
	names := []string{"b0.bin", "b1.bin", "b2.bin", "b3.bin", "b4.bin"}
	tree := Tree(names, ids)
	treeID := packfile.HashObject(packfile.Tree, tree)
	commit := []byte(CommitHeader(treeID) + "PROJ-2 a big file and four copies\n")
	commitID := packfile.HashObject(packfile.Commit, commit)
	err = r.Pack(7, func(pw *Writer) {
		pw.Object(packfile.Commit, int64(len(commit)), bytes.NewReader(commit))
		pw.Object(packfile.Tree, int64(len(tree)), bytes.NewReader(tree))
		ob := pw.Object(packfile.Blob, size, base.Reader())
		o1 := pw.OFSDelta(ob, delta(b, size/2, "variant one\n"))
		pw.OFSDelta(o1, delta(v1, size/4, "variant two, on one\n"))
		pw.OFSDelta(ob, delta(b, size/3, "variant three\n"))
		pw.OFSDelta(ob, delta(b, 0, "variant four\n"))
	})
	if err != nil {
		return ids, err
	}
	return ids, r.SetRef("refs/heads/main", commitID)
}

// multiReaderAt is r with ins inserted at at.
type multiReaderAt struct {
	r   io.ReaderAt
	at  int64
	ins []byte
}

func (m multiReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		o := off + int64(n)
		var k int
		var err error
		switch {
		case o < m.at:
			k, err = m.r.ReadAt(b[n:min(len(b), n+int(m.at-o))], o)
		case o < m.at+int64(len(m.ins)):
			k = copy(b[n:], m.ins[o-m.at:])
		default:
			k, err = m.r.ReadAt(b[n:], o-int64(len(m.ins)))
		}
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// MakeHugeMessage crafts a repository with two commits on main: the first
// has a message of about size bytes that mentions PROJ-3 in its subject and
// LATE-4 only after its first MiB; the second (same message body, subject
// PROJ-5) is stored as a delta on the first. It returns both ids.
func MakeHugeMessage(dir string, size int64) ([]plumbing.Hash, error) {
	r, err := InitRepo(dir)
	if err != nil {
		return nil, err
	}
	blob := []byte("small file\n")
	blobID := packfile.HashObject(packfile.Blob, blob)
	tree := Tree([]string{"f"}, []plumbing.Hash{blobID})
	treeID := packfile.HashObject(packfile.Tree, tree)
	line := "a line of a very long commit message that mentions no issue\n"
	late := "LATE-4 is only mentioned here\n"
	n1 := int64(1<<20) / int64(len(line))
	n2 := max(0, size-(1<<20))/int64(len(line)) + 1
	bodySize := (n1+n2)*int64(len(line)) + int64(len(late))
	body := func() io.Reader {
		return io.MultiReader(repeatReader(line, n1), strings.NewReader(late), repeatReader(line, n2))
	}
	head1 := CommitHeader(treeID) + "PROJ-3 a commit with a huge message\n\n"
	c1size := int64(len(head1)) + bodySize
	c1 := func() io.Reader { return io.MultiReader(strings.NewReader(head1), body()) }
	id1 := ID(packfile.Commit, c1size, c1())
	head2 := CommitHeader(treeID, id1) + "PROJ-5 the same huge message again\n\n"
	c2size := int64(len(head2)) + bodySize
	id2 := ID(packfile.Commit, c2size, io.MultiReader(strings.NewReader(head2), body()))
	d := NewDelta(c1size, c2size).Insert([]byte(head2)).Copy(int64(len(head1)), bodySize).Bytes()
	err = r.Pack(4, func(pw *Writer) {
		o1 := pw.Object(packfile.Commit, c1size, c1())
		pw.OFSDelta(o1, d)
		pw.Object(packfile.Tree, int64(len(tree)), bytes.NewReader(tree))
		pw.Object(packfile.Blob, int64(len(blob)), bytes.NewReader(blob))
	})
	if err != nil {
		return nil, err
	}
	return []plumbing.Hash{id1, id2}, r.SetRef("refs/heads/main", id2)
}

// repeatReader reads s n times without holding more than s.
func repeatReader(s string, n int64) io.Reader {
	return io.LimitReader(&cycle{s: s}, n*int64(len(s)))
}

type cycle struct {
	s string
	i int
}

func (c *cycle) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k := copy(b[n:], c.s[c.i:])
		n += k
		c.i = (c.i + k) % len(c.s)
	}
	return n, nil
}
