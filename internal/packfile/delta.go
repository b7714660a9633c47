package packfile

import (
	"bufio"
	"io"
)

// A delta (gitformat-pack(5), "Deltified representation") is the base's
// size and the result's size as little-endian base-128 varints, then
// instructions: a byte with the high bit set copies a range of the base
// (bits 0-3 say which offset bytes follow, bits 4-6 which size bytes; size 0
// means 0x10000), a byte 1-127 inserts that many literal bytes that follow,
// and 0 is reserved. Like git's patch_delta, every instruction is checked
// against the base and the declared result size, and the instructions must
// make exactly the declared size and use up the whole delta.

// DeltaSizes reads the base and result sizes at the start of a delta and
// returns them with the number of bytes they take.
func DeltaSizes(delta []byte) (base, result int64, n int, err error) {
	if base, n, err = sliceDeltaSize(delta, 0); err != nil {
		return 0, 0, 0, err
	}
	if result, n, err = sliceDeltaSize(delta, n); err != nil {
		return 0, 0, 0, err
	}
	return base, result, n, nil
}

// sliceDeltaSize is readDeltaSize on a slice from position i (no interface,
// so nothing escapes to the heap).
func sliceDeltaSize(b []byte, i int) (int64, int, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if i >= len(b) {
			return 0, 0, corruptf("delta header is truncated")
		}
		if shift > 63 {
			return 0, 0, corruptf("delta size varint too long")
		}
		c := b[i]
		i++
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			break
		}
	}
	if v > MaxObjectSize {
		return 0, 0, corruptf("delta declares a %d-byte object, more than gitjira accepts (%d)", v, uint64(MaxObjectSize))
	}
	return int64(v), i, nil
}

func readDeltaSize(r io.ByteReader) (int64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, corruptf("delta header is truncated")
			}
			return 0, err
		}
		if shift > 63 {
			return 0, corruptf("delta size varint too long")
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			break
		}
	}
	if v > MaxObjectSize {
		return 0, corruptf("delta declares a %d-byte object, more than gitjira accepts (%d)", v, uint64(MaxObjectSize))
	}
	return int64(v), nil
}

// ApplyDelta applies delta to base and returns the result, which must be at
// most BigObjectThreshold bytes (larger results go through ApplyDeltaStream).
// The result is built in buf when its capacity suffices, otherwise in a new
// array of exactly the declared size: no growing, no over-allocation.
func ApplyDelta(buf, base, delta []byte) ([]byte, error) {
	bsz, rsz, n, err := DeltaSizes(delta)
	if err != nil {
		return nil, err
	}
	if bsz != int64(len(base)) {
		return nil, corruptf("delta is for a %d-byte base, the base has %d", bsz, len(base))
	}
	if rsz > BigObjectThreshold {
		return nil, corruptf("delta makes a %d-byte object, too large to build in memory", rsz)
	}
	// Each instruction byte makes at most one base's worth (copies are at most
	// 2^24 bytes): a lying size is refused before it is allocated.
	if rsz > int64(len(delta)-n)*max(1, int64(min(len(base), 1<<24))) {
		return nil, corruptf("delta declares a %d-byte result that its %d bytes cannot make", rsz, len(delta))
	}
	var out []byte
	if int64(cap(buf)) >= rsz {
		out = buf[:rsz]
	} else {
		out = make([]byte, rsz)
	}
	if err := patch(base, delta[n:], out, nil, int(rsz)); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteDelta writes the result of delta on base to w (typically a hash)
// without building it; it returns the result's size.
func WriteDelta(w io.Writer, base, delta []byte) (int64, error) {
	bsz, rsz, n, err := DeltaSizes(delta)
	if err != nil {
		return 0, err
	}
	if bsz != int64(len(base)) {
		return 0, corruptf("delta is for a %d-byte base, the base has %d", bsz, len(base))
	}
	return rsz, patch(base, delta[n:], nil, w, int(rsz))
}

// ResultSize returns the declared result size of a delta.
func ResultSize(delta []byte) (int64, error) {
	_, r, _, err := DeltaSizes(delta)
	return r, err
}

// patch runs the instructions in ins (the delta after its sizes), which
// must make want bytes. The result goes to w when w is set, otherwise into
// out, which has want bytes.
func patch(base, ins []byte, out []byte, w io.Writer, want int) error {
	pos := 0 // result bytes made
	for i := 0; i < len(ins); {
		c := ins[i]
		i++
		switch {
		case c&0x80 != 0:
			var off, size uint
			for b := uint(0); b < 4; b++ {
				if c&(1<<b) != 0 {
					if i >= len(ins) {
						return corruptf("delta copy instruction is truncated")
					}
					off |= uint(ins[i]) << (8 * b)
					i++
				}
			}
			for b := uint(0); b < 3; b++ {
				if c&(0x10<<b) != 0 {
					if i >= len(ins) {
						return corruptf("delta copy instruction is truncated")
					}
					size |= uint(ins[i]) << (8 * b)
					i++
				}
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > uint(len(base)) {
				return corruptf("delta copies bytes %d-%d of a %d-byte base", off, off+size, len(base))
			}
			if uint(want-pos) < size {
				return corruptf("delta makes more than the %d bytes it declares", want)
			}
			if w != nil {
				if _, err := w.Write(base[off : off+size]); err != nil {
					return err
				}
			} else {
				copy(out[pos:], base[off:off+size])
			}
			pos += int(size)
		case c != 0:
			size := int(c)
			if i+size > len(ins) {
				return corruptf("delta insert instruction runs past the delta's end")
			}
			if want-pos < size {
				return corruptf("delta makes more than the %d bytes it declares", want)
			}
			if w != nil {
				if _, err := w.Write(ins[i : i+size]); err != nil {
					return err
				}
			} else {
				copy(out[pos:], ins[i:i+size])
			}
			i += size
			pos += size
		default:
			return corruptf("delta has the reserved instruction 0")
		}
	}
	if pos != want {
		return corruptf("delta makes %d bytes, it declares %d", pos, want)
	}
	return nil
}

// ByteReader is what the streaming delta functions read a delta from.
type ByteReader interface {
	io.Reader
	io.ByteReader
}

// ApplyDeltaStream reads a delta from d (to its end) and writes the result
// to w, reading copied ranges from base, which has baseSize bytes. Memory
// use is one 64 KiB buffer whatever the sizes; it returns the result size.
func ApplyDeltaStream(w io.Writer, base io.ReaderAt, baseSize int64, d io.Reader) (int64, error) {
	br, ok := d.(ByteReader)
	if !ok {
		br = bufio.NewReaderSize(d, 64<<10)
	}
	bsz, err := readDeltaSize(br)
	if err != nil {
		return 0, err
	}
	rsz, err := readDeltaSize(br)
	if err != nil {
		return 0, err
	}
	if bsz != baseSize {
		return 0, corruptf("delta is for a %d-byte base, the base has %d", bsz, baseSize)
	}
	buf := make([]byte, 64<<10)
	var pos int64
	truncated := func(err error) error {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return corruptf("delta instruction is truncated")
		}
		return err
	}
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		switch {
		case c&0x80 != 0:
			var off, size int64
			for b := uint(0); b < 4; b++ {
				if c&(1<<b) != 0 {
					x, err := br.ReadByte()
					if err != nil {
						return 0, truncated(err)
					}
					off |= int64(x) << (8 * b)
				}
			}
			for b := uint(0); b < 3; b++ {
				if c&(0x10<<b) != 0 {
					x, err := br.ReadByte()
					if err != nil {
						return 0, truncated(err)
					}
					size |= int64(x) << (8 * b)
				}
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > baseSize {
				return 0, corruptf("delta copies bytes %d-%d of a %d-byte base", off, off+size, baseSize)
			}
			if rsz-pos < size {
				return 0, corruptf("delta makes more than the %d bytes it declares", rsz)
			}
			for size > 0 {
				k := min(size, int64(len(buf)))
				if _, err := base.ReadAt(buf[:k], off); err != nil {
					return 0, err
				}
				if _, err := w.Write(buf[:k]); err != nil {
					return 0, err
				}
				off += k
				size -= k
				pos += k
			}
		case c != 0:
			size := int64(c)
			if rsz-pos < size {
				return 0, corruptf("delta makes more than the %d bytes it declares", rsz)
			}
			if _, err := io.ReadFull(br, buf[:size]); err != nil {
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return 0, corruptf("delta insert instruction runs past the delta's end")
				}
				return 0, err
			}
			if _, err := w.Write(buf[:size]); err != nil {
				return 0, err
			}
			pos += size
		default:
			return 0, corruptf("delta has the reserved instruction 0")
		}
	}
	if pos != rsz {
		return 0, corruptf("delta makes %d bytes, it declares %d", pos, rsz)
	}
	return rsz, nil
}
