package packfile

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
)

// Inflater inflates the zlib data of pack entries, reusing its decoder
// between entries. It reads the raw deflate data after the 2-byte zlib
// header and does not check the Adler-32 trailer: the pack's SHA-1 trailer
// and the object ids already cover every byte, and skipping it saves a pass
// over each object. Not safe for concurrent use.
type Inflater struct {
	fr io.ReadCloser
	br bytes.Reader
}

// Open starts inflating the zlib stream at the start of src and returns a
// reader of the inflated data, valid until the next call.
func (z *Inflater) Open(src []byte) (io.Reader, error) {
	z.br.Reset(src)
	return z.OpenStream(&z.br)
}

// OpenStream is Open on a stream; r should be an io.ByteReader (such as a
// bufio.Reader) for the decoder to stop exactly at the stream's end.
func (z *Inflater) OpenStream(r io.Reader) (io.Reader, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, corruptf("zlib data is truncated")
		}
		return nil, err
	}
	if hdr[0]&0x0f != 8 || (uint16(hdr[0])<<8|uint16(hdr[1]))%31 != 0 || hdr[1]&0x20 != 0 {
		return nil, corruptf("bad zlib header %x", hdr)
	}
	if z.fr == nil {
		z.fr = flate.NewReader(r)
	} else if err := z.fr.(flate.Resetter).Reset(r, nil); err != nil {
		return nil, corruptf("%v", err)
	}
	return z.fr, nil
}

// Inflate inflates the zlib stream at the start of src, which must make
// exactly size bytes, into dst when its capacity suffices or into a new
// array of that size.
func (z *Inflater) Inflate(dst, src []byte, size int64) ([]byte, error) {
	r, err := z.Open(src)
	if err != nil {
		return nil, err
	}
	if size > int64(len(src))*1032+64 {
		// Deflate cannot expand data by more than 1032:1: a header that
		// claims more is a lie, refused before allocating for it.
		return nil, corruptf("entry claims %d bytes from %d compressed bytes", size, len(src))
	}
	var out []byte
	if int64(cap(dst)) >= size {
		out = dst[:size]
	} else {
		out = make([]byte, size)
	}
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, inflateErr(err, size)
	}
	// The stream must end here.
	var one [1]byte
	if n, err := r.Read(one[:]); n != 0 || (err != io.EOF && err != nil) {
		if err != nil && err != io.EOF {
			return nil, inflateErr(err, size)
		}
		return nil, corruptf("entry inflates to more than its %d bytes", size)
	}
	return out, nil
}

// inflateErr turns a decoder error into ErrCorrupt (a short stream is corrupt
// data too: the entry's bytes are all there is).
func inflateErr(err error, size int64) error {
	var ce flate.CorruptInputError
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return corruptf("entry inflates to fewer than its %d bytes", size)
	}
	if errors.As(err, &ce) {
		return corruptf("bad deflate data: %v", err)
	}
	return err
}
