package gitops

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// zlibBomb is the zlib stream of n zero bytes: about n/800 bytes.
func zlibBomb(t testing.TB, n int64) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&b, zlib.BestSpeed)
	zero := make([]byte, 1<<20)
	for left := n; left > 0; left -= int64(len(zero)) {
		zw.Write(zero[:min(left, int64(len(zero)))])
	}
	zw.Close()
	return b.Bytes()
}

// packOf wraps entries (header and zlib data each) into a pack with its trailer.
func packOf(entries ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("PACK\x00\x00\x00\x02")
	binary.Write(&b, binary.BigEndian, uint32(len(entries)))
	for _, e := range entries {
		b.Write(e)
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

// An object whose header says 10 bytes but whose zlib data inflates to
// 256 MiB is refused as soon as it passes 10 bytes: the receiver reads its
// first buffer (128 KiB) of the bomb's 320 KiB, where inflating it to its
// end (as it did: about 2 s of CPU a GiB) reads all of it.
func TestReceivePackRefusesZlibBombEarly(t *testing.T) {
	bomb := zlibBomb(t, 256<<20)
	for _, tc := range []struct {
		name string
		hdr  []byte
	}{
		{"blob", packfile.AppendEntryHeader(nil, packfile.Blob, 10, 0, plumbing.ZeroHash)},
		{"delta", packfile.AppendEntryHeader(nil, packfile.REFDelta, 10, 0, plumbing.NewHash(strings.Repeat("ab", 20)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pack := packOf(append(append([]byte(nil), tc.hdr...), bomb...))
			dir := newEmptyRepo(t)
			cr := &countingReader{r: bytes.NewReader(pack)}
			_, err := receivePack(context.Background(), cr, dir, nil)
			if !errors.Is(err, errPackFormat) || !strings.Contains(err.Error(), "inflates to more than the 10 bytes") {
				t.Fatalf("err = %v", err)
			}
			if got := cr.n.Load(); got > 192<<10 {
				t.Fatalf("read %d of the pack's %d bytes before refusing it: the bomb was inflated", got, len(pack))
			}
			if got := packFiles(t, dir); len(got) != 0 {
				t.Fatalf("left in objects/pack: %v", got)
			}
		})
	}
}
