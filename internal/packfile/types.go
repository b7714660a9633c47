package packfile

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// The types file records the type of every object of one pack, as the
// indexer resolved them (it knows every delta's type once it has applied
// it), so that a reader finds the pack's commits, and the type a ref points
// at, without reading a single object header of the pack. Layout:
//
//	"GJTY", version (uint32 1), count N (uint32)
//	N bytes: the type (1-4) of each object, in the order of the .idx
//	the pack's checksum (20 bytes, as in the .idx)
//	SHA-1 of everything before (20 bytes)
//
// It lives in objects/info/gitjira/pack-<sha>.types, not beside the pack:
// git reports unknown files in objects/pack as garbage (`git gc`, `git
// count-objects`), and leaves objects/info alone. A types file whose pack is
// gone (after a `git repack`) is ignored; a pack without one (a mirror made
// before types files existed, or repacked by git) is read by scanning its
// entry headers instead.

var typesMagic = []byte{'G', 'J', 'T', 'Y', 0, 0, 0, 1}

// TypesPath returns where the types file of the pack at packPath
// (".../objects/pack/pack-<sha>.pack") lives.
func TypesPath(packPath string) string {
	objects := filepath.Dir(filepath.Dir(packPath))
	name := strings.TrimSuffix(filepath.Base(packPath), ".pack")
	return filepath.Join(objects, "info", "gitjira", name+".types")
}

// EncodeTypes returns the types file of a pack of n objects; typeAt(i) is
// the type of the i-th object in id (.idx) order.
func EncodeTypes(packID plumbing.Hash, n int, typeAt func(i int) Type) []byte {
	b := make([]byte, 0, len(typesMagic)+4+n+40)
	b = append(b, typesMagic...)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for i := 0; i < n; i++ {
		b = append(b, byte(typeAt(i)))
	}
	b = append(b, packID[:]...)
	sum := sha1.Sum(b)
	return append(b, sum[:]...)
}

// DecodeTypes checks a types file against the index of its pack and returns
// the types in index order.
func DecodeTypes(data []byte, x *Index) ([]Type, error) {
	head := len(typesMagic) + 4
	if len(data) < head+40 || !bytes.Equal(data[:len(typesMagic)], typesMagic) {
		return nil, corruptf("not a gitjira types file")
	}
	n := int(binary.BigEndian.Uint32(data[len(typesMagic):]))
	if n != x.Count() || len(data) != head+n+40 {
		return nil, corruptf("types file for %d objects, the pack has %d", n, x.Count())
	}
	if !bytes.Equal(data[head+n:head+n+20], x.PackID[:]) {
		return nil, corruptf("types file of another pack")
	}
	if sum := sha1.Sum(data[:len(data)-20]); !bytes.Equal(sum[:], data[len(data)-20:]) {
		return nil, corruptf("types file checksum mismatch")
	}
	types := make([]Type, n)
	for i, c := range data[head : head+n] {
		t := Type(c)
		if !t.IsObject() {
			return nil, corruptf("types file holds type %d", c)
		}
		types[i] = t
	}
	return types, nil
}

// ReadTypes reads and checks the types file of the pack at packPath; it
// returns (nil, nil) when there is none.
func ReadTypes(packPath string, x *Index) ([]Type, error) {
	data, err := os.ReadFile(TypesPath(packPath))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return DecodeTypes(data, x)
}
