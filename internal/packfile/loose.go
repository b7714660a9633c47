package packfile

import (
	"bufio"
	"compress/zlib"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
)

// A loose object (gitformat-loose(5)) is objects/xx/yyyy…, the zlib
// compression of "<type> <size>\x00<content>". Mirrors hold packs only, but
// git may leave loose objects in one (a `git gc --auto`, a manual commit).

// OpenLoose opens the loose object id under objectsDir and returns its type,
// size and a stream of its content; os.ErrNotExist when there is none.
func OpenLoose(objectsDir string, id plumbing.Hash) (Type, int64, io.ReadCloser, error) {
	hex := id.String()
	f, err := os.Open(filepath.Join(objectsDir, hex[:2], hex[2:]))
	if err != nil {
		return 0, 0, nil, err
	}
	zr, err := zlib.NewReader(bufio.NewReaderSize(f, 32<<10))
	if err != nil {
		f.Close()
		return 0, 0, nil, corruptf("loose object %s: %v", hex, err)
	}
	br := bufio.NewReaderSize(zr, 32<<10)
	t, size, err := parseLooseHeader(br)
	if err != nil {
		f.Close()
		return 0, 0, nil, corruptf("loose object %s: %v", hex, err)
	}
	return t, size, looseReader{Reader: &sizedReader{r: br, left: size}, f: f}, nil
}

type looseReader struct {
	io.Reader
	f *os.File
}

func (l looseReader) Close() error { return l.f.Close() }

// parseLooseHeader reads "<type> <size>\x00" (at most 32 bytes).
func parseLooseHeader(br *bufio.Reader) (Type, int64, error) {
	var hdr []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, 0, corruptf("truncated header")
		}
		if c == 0 {
			break
		}
		if len(hdr) >= 32 {
			return 0, 0, corruptf("header too long")
		}
		hdr = append(hdr, c)
	}
	sp := -1
	for i, c := range hdr {
		if c == ' ' {
			sp = i
			break
		}
	}
	if sp < 0 {
		return 0, 0, corruptf("bad header %q", hdr)
	}
	var t Type
	switch string(hdr[:sp]) {
	case "commit":
		t = Commit
	case "tree":
		t = Tree
	case "blob":
		t = Blob
	case "tag":
		t = Tag
	default:
		return 0, 0, corruptf("unknown type %q", hdr[:sp])
	}
	size, err := strconv.ParseInt(string(hdr[sp+1:]), 10, 64)
	if err != nil || size < 0 || size > MaxObjectSize {
		return 0, 0, corruptf("bad size %q", hdr[sp+1:])
	}
	return t, size, nil
}
