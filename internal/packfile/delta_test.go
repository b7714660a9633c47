package packfile

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// deltaOf builds a delta: base size, result size, then instructions.
func deltaOf(baseSize, resultSize int, ins ...byte) []byte {
	var d []byte
	for _, v := range []int{baseSize, resultSize} {
		for v >= 0x80 {
			d = append(d, byte(v)|0x80)
			v >>= 7
		}
		d = append(d, byte(v))
	}
	return append(d, ins...)
}

func TestApplyDelta(t *testing.T) {
	base := []byte("hello world")
	for _, tc := range []struct {
		name  string
		delta []byte
		want  string // "" with err
		err   bool
	}{
		{"copy and insert", deltaOf(11, 8, 0x91, 0x06, 0x05, 0x03, '!', '!', '!'), "world!!!", false},
		{"insert only", deltaOf(11, 2, 0x02, 'h', 'i'), "hi", false},
		{"empty result", deltaOf(11, 0), "", false},
		{"whole base, offset and size bytes omitted", deltaOf(11, 11, 0x90, 11), "hello world", false},
		{"empty delta", nil, "", true},
		{"truncated sizes", []byte{0x8b}, "", true},
		{"wrong base size", deltaOf(12, 5, 0x91, 0x00, 0x05), "", true},
		{"copy past the end of base", deltaOf(11, 5, 0x91, 0x09, 0x05), "", true},
		{"copy with size 0 means 64 KiB", deltaOf(11, 5, 0x80), "", true},
		{"reserved instruction 0", deltaOf(11, 5, 0x00), "", true},
		{"insert past the delta's end", deltaOf(11, 5, 0x06, 'a'), "", true},
		{"result larger than declared", deltaOf(11, 3, 0x91, 0x00, 0x05), "", true},
		{"result smaller than declared", deltaOf(11, 6, 0x91, 0x00, 0x05), "", true},
		{"truncated copy", deltaOf(11, 5, 0x91, 0x00), "", true},
		{"size varint too long", []byte{0x0b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "", true},
		{"result larger than the delta can make", deltaOf(11, 1<<20, 0x91, 0x00, 0x05), "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := ApplyDelta(nil, base, tc.delta)
			if tc.err {
				if err == nil || !errors.Is(err, ErrCorrupt) {
					t.Fatalf("ApplyDelta = %q, %v; want a corrupt-data error", out, err)
				}
			} else if err != nil || string(out) != tc.want {
				t.Fatalf("ApplyDelta = %q, %v; want %q", out, err, tc.want)
			}
			// The three appliers agree on every input.
			var w bytes.Buffer
			n, werr := WriteDelta(&w, base, tc.delta)
			if (werr == nil) != (err == nil) || (err == nil && (w.String() != tc.want || n != int64(len(tc.want)))) {
				t.Fatalf("WriteDelta = %q, %d, %v", w.String(), n, werr)
			}
			var s bytes.Buffer
			n, serr := ApplyDeltaStream(&s, bytes.NewReader(base), int64(len(base)), bytes.NewReader(tc.delta))
			if (serr == nil) != (err == nil) || (err == nil && (s.String() != tc.want || n != int64(len(tc.want)))) {
				t.Fatalf("ApplyDeltaStream = %q, %d, %v", s.String(), n, serr)
			}
		})
	}
}

// The result is built in the given buffer when it is large enough, and in
// an array of exactly the declared size otherwise.
func TestApplyDeltaAllocatesExactly(t *testing.T) {
	base := bytes.Repeat([]byte("0123456789"), 1000)
	delta := deltaOf(len(base), 9000, 0xb0, 0x28, 0x23) // copy 9000 bytes from 0
	out, err := ApplyDelta(nil, base, delta)
	if err != nil || len(out) != 9000 || cap(out) != 9000 {
		t.Fatalf("len %d cap %d, %v", len(out), cap(out), err)
	}
	buf := make([]byte, 0, 10000)
	out2, err := ApplyDelta(buf, base, delta)
	if err != nil || &out2[0] != &buf[:1][0] || !bytes.Equal(out, out2) {
		t.Fatalf("the buffer was not reused: %v", err)
	}
	if a := testing.AllocsPerRun(10, func() { ApplyDelta(buf, base, delta) }); a != 0 {
		t.Fatalf("%v allocations with a large enough buffer", a)
	}
	if a := testing.AllocsPerRun(10, func() { WriteDelta(io.Discard, base, delta) }); a != 0 {
		t.Fatalf("WriteDelta allocates %v times", a)
	}
}

func TestApplyDeltaRefusesHugeResults(t *testing.T) {
	big := deltaOf(3, int(BigObjectThreshold)+1, 0x93, 0, 3) // declares more than memory allows
	if _, err := ApplyDelta(nil, []byte("abc"), big); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v", err)
	}
	lie := deltaOf(3, MaxObjectSize+1)
	if _, err := ApplyDeltaStream(io.Discard, bytes.NewReader(nil), 3, bytes.NewReader(lie)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v", err)
	}
}

// ApplyDeltaStream reads copies from the base by range: a big base is never
// needed in memory, and a copy can reach any offset.
func TestApplyDeltaStreamLargeCopies(t *testing.T) {
	base := make([]byte, 3<<20)
	for i := range base {
		base[i] = byte(i * 7)
	}
	// copy 2 MiB from 1 MiB (offset bytes 0x04 = byte 2, size byte 3 = 0x40), insert "x", copy 16 bytes from 5.
	delta := deltaOf(len(base), 2<<20+1+16, 0x80|0x04|0x40, 0x10, 0x20, 0x01, 'x', 0x80|0x01|0x10, 5, 16)
	var out bytes.Buffer
	n, err := ApplyDeltaStream(&out, bytes.NewReader(base), int64(len(base)), bytes.NewReader(delta))
	if err != nil || n != int64(out.Len()) {
		t.Fatal(n, err)
	}
	want := append(append(append([]byte(nil), base[1<<20:3<<20]...), 'x'), base[5:21]...)
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatal("wrong result")
	}
	if mem, err := ApplyDelta(nil, base, delta); err != nil || !bytes.Equal(mem, want) {
		t.Fatal("ApplyDelta disagrees", err)
	}
}

func TestDeltaSizes(t *testing.T) {
	b, r, n, err := DeltaSizes([]byte{0x80, 0x01, 0x90, 0x03, 0xff})
	if err != nil || b != 128 || r != 0x10|3<<7 || n != 4 {
		t.Fatalf("DeltaSizes = %d %d %d %v", b, r, n, err)
	}
	for _, d := range [][]byte{nil, {0x05}, {0x80}} {
		if _, _, _, err := DeltaSizes(d); err == nil {
			t.Errorf("DeltaSizes(%x) accepted a truncated header", d)
		}
	}
}

// FuzzApplyDelta checks that no delta makes the appliers panic or
// over-allocate, that a result always has the declared size, and that the
// in-memory, hashing and streaming appliers agree.
func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("hello world"), []byte{0x0b, 0x08, 0x91, 0x06, 0x05, 0x03, '!', '!', '!'})
	f.Add([]byte(""), []byte{0x00, 0x02, 0x02, 'h', 'i'})
	f.Add([]byte("abc"), []byte{0x03, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff})
	f.Add([]byte("abc"), []byte{0x03, 0x80, 0x80, 0x04, 0x80})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := ApplyDelta(nil, base, delta)
		var w bytes.Buffer
		_, werr := WriteDelta(&w, base, delta)
		var s bytes.Buffer
		_, serr := ApplyDeltaStream(&s, bytes.NewReader(base), int64(len(base)), bytes.NewReader(delta))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			if serr == nil && int64(s.Len()) <= BigObjectThreshold {
				t.Fatalf("ApplyDelta refused (%v) what ApplyDeltaStream took", err)
			}
			return
		}
		_, size, _, _ := DeltaSizes(delta)
		if int64(len(out)) != size {
			t.Fatalf("result has %d bytes, delta declared %d", len(out), size)
		}
		if werr != nil || serr != nil || !bytes.Equal(w.Bytes(), out) || !bytes.Equal(s.Bytes(), out) {
			t.Fatalf("appliers disagree: %v %v", werr, serr)
		}
	})
}
