package sshkeys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/dsa" //nolint:staticcheck // DSA keys are read so that we can say servers refuse them.
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"

	"golang.org/x/crypto/blowfish"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/poly1305" //nolint:staticcheck // OpenSSH's chacha20-poly1305 needs the raw one-time MAC, not the AEAD.
	"golang.org/x/crypto/ssh"
)

// The openssh-key-v1 container (OpenSSH PROTOCOL.key) is read here rather
// than with x/crypto's ssh.ParseRawPrivateKeyWithPassphrase because we need
// (1) the public key and fingerprint before any passphrase is asked, (2) every
// cipher ssh-keygen -Z writes (all of `ssh -Q cipher`: AES CTR, CBC and GCM,
// chacha20-poly1305@openssh.com and 3des-cbc), and (3) a wrong passphrase
// told apart from a corrupt file.

const opensshMagic = "openssh-key-v1\x00"

// maxBcryptRounds caps the bcrypt_pbkdf rounds a file may ask for. ssh-keygen
// uses 16 by default and people raise it with -a 100 (about half a second
// here); 10000 rounds take about a minute, so a file asking more is hostile
// or broken, and we refuse it rather than hang. A variable so fuzz tests can
// lower it.
var maxBcryptRounds = 10000

// opensshCipher describes one cipher of the container.
type opensshCipher struct {
	keyLen, ivLen, blockSize, tagLen int
	// open decrypts data (tag appended for the AEAD ciphers); ok=false means
	// the authentication tag did not match.
	open func(key, iv, data []byte) (plain []byte, ok bool, err error)
}

var opensshCiphers = map[string]opensshCipher{
	"aes128-ctr": {16, 16, 16, 0, ctrOpen},
	"aes192-ctr": {24, 16, 16, 0, ctrOpen},
	"aes256-ctr": {32, 16, 16, 0, ctrOpen},
	"aes128-cbc": {16, 16, 16, 0, cbcOpen(aes.NewCipher)},
	"aes192-cbc": {24, 16, 16, 0, cbcOpen(aes.NewCipher)},
	"aes256-cbc": {32, 16, 16, 0, cbcOpen(aes.NewCipher)},
	// ssh-keygen -Z 3des-cbc still writes it (OpenSSH's cipher.c keeps
	// 3des-cbc for key files and old peers); keys from that era exist.
	"3des-cbc":                      {24, 8, 8, 0, cbcOpen(des.NewTripleDESCipher)},
	"aes128-gcm@openssh.com":        {16, 12, 16, 16, gcmOpen},
	"aes256-gcm@openssh.com":        {32, 12, 16, 16, gcmOpen},
	"chacha20-poly1305@openssh.com": {64, 0, 8, 16, chachaPolyOpen},
}

func ctrOpen(key, iv, data []byte) ([]byte, bool, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, false, err
	}
	out := make([]byte, len(data))
	cipher.NewCTR(b, iv).XORKeyStream(out, data)
	return out, true, nil
}

func cbcOpen(newBlock func([]byte) (cipher.Block, error)) func(key, iv, data []byte) ([]byte, bool, error) {
	return func(key, iv, data []byte) ([]byte, bool, error) {
		b, err := newBlock(key)
		if err != nil {
			return nil, false, err
		}
		if len(data)%b.BlockSize() != 0 {
			return nil, false, errors.New("encrypted data is not a whole number of blocks")
		}
		out := make([]byte, len(data))
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
		return out, true, nil
	}
}

// gcmOpen: OpenSSH uses the 12-byte IV from the KDF as the nonce and no
// additional data for key files (sshkey.c calls cipher_crypt with aadlen 0).
func gcmOpen(key, iv, data []byte) ([]byte, bool, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, false, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, false, err
	}
	out, err := g.Open(nil, iv, data, nil)
	if err != nil {
		return nil, false, nil
	}
	return out, true, nil
}

// chachaPolyOpen follows OpenSSH PROTOCOL.chacha20poly1305 with sequence
// number 0 and no length header (aadlen 0, as sshkey.c uses it for key
// files): the first 32 key bytes are K_2 (payload key), the second 32 K_1
// (length key, unused here). The Poly1305 key is the first 32 bytes of the
// K_2 keystream at block 0; the payload is encrypted from block 1. The
// original ChaCha20 has a 64-bit nonce; as an IETF nonce that is 4 zero
// bytes followed by the 8-byte big-endian sequence number, all zero here.
func chachaPolyOpen(key, _ []byte, data []byte) ([]byte, bool, error) {
	if len(data) < poly1305.TagSize {
		return nil, false, errors.New("encrypted data is shorter than its MAC")
	}
	ct, tag := data[:len(data)-poly1305.TagSize], data[len(data)-poly1305.TagSize:]
	nonce := make([]byte, chacha20.NonceSize)
	c, err := chacha20.NewUnauthenticatedCipher(key[:32], nonce)
	if err != nil {
		return nil, false, err
	}
	var polyKey [32]byte
	c.XORKeyStream(polyKey[:], polyKey[:])
	var want [poly1305.TagSize]byte
	poly1305.Sum(&want, ct, &polyKey)
	if subtle.ConstantTimeCompare(want[:], tag) != 1 {
		return nil, false, nil
	}
	c.SetCounter(1)
	out := make([]byte, len(ct))
	c.XORKeyStream(out, ct)
	return out, true, nil
}

// parseOpenSSH reads an "OPENSSH PRIVATE KEY" block's bytes.
func parseOpenSSH(data, passphrase []byte) (*Key, error) {
	const f = FormatOpenSSH
	if !bytes.HasPrefix(data, []byte(opensshMagic)) {
		return nil, corrupt(f, "the key does not start with the openssh-key-v1 header")
	}
	r := &wire{b: data[len(opensshMagic):]}
	cipherName := r.str()
	kdfName := r.str()
	kdfOpts := r.bytes()
	n := r.u32()
	if r.err != nil {
		return nil, truncated(f)
	}
	if n != 1 {
		return nil, corruptf(f, "the file holds %d keys where ssh-keygen writes exactly one", n)
	}
	pubBlob := r.bytes()
	priv := r.bytes()
	if r.err != nil {
		return nil, truncated(f)
	}
	pub, err := parsePublicBlob(pubBlob)
	if err != nil {
		return nil, publicBlobError(f, pubBlob, err)
	}
	switch pub.Type() {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoRSA, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoDSA:
	default:
		// Security-key (sk-) and certificate keys: say so before asking
		// for a passphrase that would not help.
		return nil, unsupportedType(pub.Type())
	}
	known := &Key{Format: f, Encrypted: cipherName != "none"}
	describePublic(known, pub)

	if cipherName == "none" {
		if kdfName != "none" {
			return nil, corruptf(f, "the key is not encrypted but names the key derivation %q", printable(kdfName))
		}
		if len(priv)%8 != 0 {
			return nil, corrupt(f, "the private section has a bad length")
		}
		return opensshPrivate(f, priv, pub, false)
	}

	ci, ok := opensshCiphers[cipherName]
	if !ok {
		names := []string{"none"}
		for n := range opensshCiphers {
			names = append(names, n)
		}
		sort.Strings(names)
		if near := nearName(cipherName, names...); near != "" {
			return nil, corruptf(f, "the cipher name %q is damaged (it is one character away from %s)", printable(cipherName), near)
		}
		return nil, unsupportedFormat(f, fmt.Sprintf("the key is encrypted with the cipher %q, which gitjira does not know", printable(cipherName)),
			"re-encrypt it with `ssh-keygen -p -f FILE` (aes256-ctr), then try again")
	}
	if kdfName != "bcrypt" {
		if nearName(kdfName, "bcrypt", "none") != "" {
			return nil, corruptf(f, "the key derivation name %q is damaged", printable(kdfName))
		}
		return nil, unsupportedFormat(f, fmt.Sprintf("the key uses the key derivation %q; OpenSSH keys use bcrypt", printable(kdfName)),
			"re-encrypt it with `ssh-keygen -p -f FILE`, then try again")
	}
	kr := &wire{b: kdfOpts}
	salt := kr.bytes()
	rounds := kr.u32()
	if kr.err != nil || len(salt) == 0 || len(salt) > 1024 {
		return nil, corrupt(f, "the bcrypt parameters are damaged")
	}
	if rounds < 1 || rounds > uint32(maxBcryptRounds) {
		return nil, unsupportedFormat(f, fmt.Sprintf("the key asks for %d bcrypt rounds, more than the %d gitjira allows", rounds, maxBcryptRounds),
			"re-encrypt it with fewer rounds: `ssh-keygen -p -a 100 -f FILE`")
	}
	// The AEAD ciphers' tag follows the private section, outside its length.
	tag := r.rest()
	if len(tag) < ci.tagLen {
		return nil, truncated(f)
	}
	if len(priv) == 0 || len(priv)%ci.blockSize != 0 {
		return nil, corrupt(f, "the encrypted section has a bad length")
	}
	if len(passphrase) == 0 {
		return nil, &PassphraseMissingError{Key: known}
	}
	kiv, err := bcryptPBKDF(passphrase, salt, int(rounds), ci.keyLen+ci.ivLen)
	if err != nil {
		return nil, corrupt(f, "the key derivation parameters are damaged")
	}
	plain, ok, err := ci.open(kiv[:ci.keyLen], kiv[ci.keyLen:], append(priv[:len(priv):len(priv)], tag[:ci.tagLen]...))
	if err != nil {
		return nil, corrupt(f, "the encrypted section cannot be decrypted (the file is damaged)")
	}
	if !ok {
		return nil, wrongPassphrase(f)
	}
	return opensshPrivate(f, plain, pub, true)
}

// opensshPrivate reads the (decrypted) private section: two equal check
// words, the key, its comment, then padding 1, 2, 3...
func opensshPrivate(f Format, b []byte, pub ssh.PublicKey, encrypted bool) (*Key, error) {
	r := &wire{b: b}
	c1, c2 := r.u32(), r.u32()
	if r.err != nil {
		return nil, truncated(f)
	}
	if c1 != c2 {
		// With CTR and CBC this is how a wrong passphrase shows.
		if encrypted {
			return nil, wrongPassphrase(f)
		}
		return nil, corrupt(f, "the check words of the private section differ")
	}
	typ := r.str()
	var priv any
	switch typ {
	case ssh.KeyAlgoED25519:
		pk, sk := r.bytes(), r.bytes()
		if r.err != nil {
			return nil, truncated(f)
		}
		if len(pk) != ed25519.PublicKeySize || len(sk) != ed25519.PrivateKeySize {
			return nil, corrupt(f, "the Ed25519 key has the wrong length")
		}
		k := ed25519.NewKeyFromSeed(sk[:ed25519.SeedSize])
		if !bytes.Equal(k, sk) || !bytes.Equal(pk, k[32:]) {
			return nil, corrupt(f, "the Ed25519 private and public halves do not match")
		}
		priv = k
	case ssh.KeyAlgoRSA:
		n, e, d, iqmp, p, q := r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint()
		if r.err != nil {
			return nil, truncated(f)
		}
		_ = iqmp // recomputed by Precompute
		k, err := rsaKey(f, n, e, d, p, q)
		if err != nil {
			return nil, err
		}
		priv = k
	case ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
		curveName, q, d := r.str(), r.bytes(), r.mpint()
		if r.err != nil {
			return nil, truncated(f)
		}
		k, err := ecdsaKey(f, curveName, q, d)
		if err != nil {
			return nil, err
		}
		priv = k
	case ssh.KeyAlgoDSA:
		p, q, g, y, x := r.mpint(), r.mpint(), r.mpint(), r.mpint(), r.mpint()
		if r.err != nil {
			return nil, truncated(f)
		}
		k, err := dsaKey(f, p, q, g, y, x)
		if err != nil {
			return nil, err
		}
		priv = k
	default:
		if r.err != nil {
			return nil, truncated(f)
		}
		// The public key's type was checked above: a private section of
		// another type is damage, not an unsupported key.
		return nil, corruptf(f, "the private section is of type %s where the public key is %s (the file is damaged)", printable(typ), pub.Type())
	}
	comment := r.str()
	if r.err != nil {
		return nil, truncated(f)
	}
	for i, c := range r.rest() {
		if c != byte(i+1) {
			return nil, corrupt(f, "the padding after the key is wrong")
		}
	}
	k, err := newKey(f, priv, comment, encrypted)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(k.PublicKey.Marshal(), pub.Marshal()) {
		return nil, corrupt(f, "the public key in the file does not match the private key")
	}
	return k, nil
}

// unsupportedType answers a key type we can read the name of but not use.
func unsupportedType(typ string) error {
	name := printable(typ)
	switch typ {
	case "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com":
		name = "Hardware security key (" + typ + ")"
	case "ssh-ed448":
		name = "Ed448"
	}
	return &UnsupportedKeyError{Type: name}
}

// nearKeyType returns the key type gitjira reads that typ is one edit
// (a changed, lost or added character) away from, or "". A flipped byte in
// "ssh-rsa" is a damaged file, and saying "sshxrsa keys are not supported"
// would send the user after the wrong problem. One edit, not two: P-224's
// "ecdsa-sha2-nistp224" is two away from nistp256 and is a real key type.
func nearKeyType(typ string) string {
	return nearName(typ, ssh.KeyAlgoRSA, ssh.KeyAlgoDSA, ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521)
}

// nearName returns the name in names that s is one edit away from, or "".
func nearName(s string, names ...string) string {
	for _, n := range names {
		if oneEdit(s, n) {
			return n
		}
	}
	return ""
}

// oneEdit reports whether a and b differ by exactly one substitution,
// insertion or deletion.
func oneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(b)-len(a) > 1 || a == b {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:]
	}
	return a[i:] == b[i+1:]
}

// maxRSABits bounds the RSA modulus we accept, as OpenSSH does (16384), so a
// hostile file cannot make validation crawl.
const maxRSABits = 16384

func rsaKey(f Format, n, e, d, p, q *big.Int) (*rsa.PrivateKey, error) {
	if n.Sign() <= 0 || n.BitLen() > maxRSABits || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 ||
		d.Sign() <= 0 || p.Sign() <= 0 || q.Sign() <= 0 {
		return nil, corrupt(f, "the RSA key numbers are out of range")
	}
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())},
		D:         d,
		Primes:    []*big.Int{p, q},
	}
	if err := k.Validate(); err != nil {
		return nil, corrupt(f, "the RSA key's numbers are not valid or do not fit together (the file is damaged)")
	}
	k.Precompute()
	return k, nil
}

func ecdsaKey(f Format, curveName string, q []byte, d *big.Int) (*ecdsa.PrivateKey, error) {
	var c elliptic.Curve
	switch curveName {
	case "nistp256":
		c = elliptic.P256()
	case "nistp384":
		c = elliptic.P384()
	case "nistp521":
		c = elliptic.P521()
	default:
		// Callers pass the curve of a public key already known to be one of
		// the three, so another name here is a damaged private section.
		return nil, corruptf(f, "the ECDSA curve name %s in the private section is damaged", printable(curveName))
	}
	k, err := ecdsaFromScalar(f, c, d)
	if err != nil {
		return nil, err
	}
	if q != nil {
		if want, err := k.PublicKey.Bytes(); err != nil || !bytes.Equal(want, q) {
			return nil, invalidScalar(f, c.Params().Name, "it does not give the public key stored with it")
		}
	}
	return k, nil
}

func dsaKey(f Format, p, q, g, y, x *big.Int) (*dsa.PrivateKey, error) {
	// FIPS 186 sizes: p up to 3072 bits, q up to 256. Bounding them keeps
	// the consistency check below cheap on hostile input.
	if p.Sign() <= 0 || p.BitLen() > 3072 || q.Sign() <= 0 || q.BitLen() > 256 ||
		g.Sign() <= 0 || g.Cmp(p) >= 0 || x.Sign() <= 0 || x.Cmp(q) >= 0 {
		return nil, corrupt(f, "the DSA key numbers are out of range")
	}
	if y == nil {
		y = new(big.Int).Exp(g, x, p)
	} else if new(big.Int).Exp(g, x, p).Cmp(y) != 0 {
		return nil, corrupt(f, "the DSA private and public halves do not match")
	}
	return &dsa.PrivateKey{PublicKey: dsa.PublicKey{Parameters: dsa.Parameters{P: p, Q: q, G: g}, Y: y}, X: x}, nil
}

// truncated answers data that ends inside a structure.
func truncated(f Format) error {
	what := "OpenSSH"
	if f == FormatPPKv2 || f == FormatPPKv3 {
		what = "PuTTY"
	}
	return &FormatError{Format: f, Reason: fmt.Sprintf("the key file is truncated or damaged (the %s structure ends early)", what), Err: ErrCorrupt,
		Hint: damagedHint}
}

// publicBlobError classifies a public key blob x/crypto cannot read: a type
// it does not know (Ed448, sk-...) is unsupported, anything else damaged.
// x/crypto's own message ("ssh: short read") is not shown.
func publicBlobError(f Format, blob []byte, _ error) error {
	r := &wire{b: blob}
	typ := r.str()
	if r.err == nil && typ != "" {
		switch typ {
		case ssh.KeyAlgoRSA, ssh.KeyAlgoDSA, ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521:
		default:
			if near := nearKeyType(typ); near != "" {
				return corruptf(f, "the key type %s is damaged (it is one character away from %s)", printable(typ), near)
			}
			if isPrintable(typ) {
				return unsupportedType(typ)
			}
		}
	}
	what := "OpenSSH"
	if f == FormatPPKv2 || f == FormatPPKv3 {
		what = "PuTTY"
	}
	return &FormatError{Format: f, Err: ErrCorrupt, Hint: damagedHint,
		Reason: fmt.Sprintf("the key file is truncated or damaged (the public key in the %s structure cannot be read)", what)}
}

// printable shortens and cleans a name read from a file before it goes into a message.
func printable(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}

func isPrintable(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// wire reads SSH wire-format values (RFC 4251) and remembers the first error,
// so parsers can read several fields and check once.
type wire struct {
	b   []byte
	err error
}

var errShort = errors.New("data ends too early")

func (w *wire) u32() uint32 {
	if w.err != nil || len(w.b) < 4 {
		w.err = errShort
		return 0
	}
	v := binary.BigEndian.Uint32(w.b)
	w.b = w.b[4:]
	return v
}

func (w *wire) bytes() []byte {
	n := w.u32()
	if w.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(w.b)) {
		w.err = errShort
		return nil
	}
	v := w.b[:n:n]
	w.b = w.b[n:]
	return v
}

func (w *wire) str() string { return string(w.bytes()) }

// mpint reads a non-negative multiple-precision integer.
func (w *wire) mpint() *big.Int {
	b := w.bytes()
	if w.err != nil {
		return new(big.Int)
	}
	if len(b) > 0 && b[0]&0x80 != 0 {
		w.err = errors.New("negative number")
		return new(big.Int)
	}
	return new(big.Int).SetBytes(b)
}

func (w *wire) rest() []byte {
	v := w.b
	w.b = nil
	return v
}

// bcryptPBKDF is OpenSSH's bcrypt_pbkdf (openbsd-compat/bcrypt_pbkdf.c):
// PBKDF2-like, with a bcrypt-based hash of SHA-512 digests, output bytes
// spread over the blocks. x/crypto has it only as an internal package, so it
// is written out here on top of x/crypto/blowfish (about forty lines, checked
// against every encrypted OpenSSH fixture ssh-keygen wrote in testdata).
func bcryptPBKDF(password, salt []byte, rounds, keyLen int) ([]byte, error) {
	const blockSize = 32
	if rounds < 1 || len(password) == 0 || len(salt) == 0 || keyLen < 1 || keyLen > 1024 {
		return nil, errors.New("bad bcrypt_pbkdf parameters")
	}
	numBlocks := (keyLen + blockSize - 1) / blockSize
	key := make([]byte, numBlocks*blockSize)
	sp := sha512.Sum512(password)
	shapass := sp[:]
	// The blocks are independent (that is why OpenSSH spreads the output
	// bytes over them), so they run in parallel: aes256-ctr needs 48 bytes,
	// two blocks, and the wizard waits half as long on two cores.
	var (
		wg   sync.WaitGroup
		errs = make([]error, numBlocks)
	)
	for block := 1; block <= numBlocks; block++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cnt [4]byte
			tmp := make([]byte, blockSize)
			out := make([]byte, blockSize)
			h := sha512.New()
			h.Write(salt)
			binary.BigEndian.PutUint32(cnt[:], uint32(block))
			h.Write(cnt[:])
			if err := bcryptHash(tmp, shapass, h.Sum(nil)); err != nil {
				errs[block-1] = err
				return
			}
			copy(out, tmp)
			for i := 2; i <= rounds; i++ {
				s := sha512.Sum512(tmp)
				if err := bcryptHash(tmp, shapass, s[:]); err != nil {
					errs[block-1] = err
					return
				}
				subtle.XORBytes(out, out, tmp)
			}
			for i, v := range out {
				key[i*numBlocks+(block-1)] = v
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return key[:keyLen], nil
}

func bcryptHash(out, shapass, shasalt []byte) error {
	c, err := blowfish.NewSaltedCipher(shapass, shasalt)
	if err != nil {
		return err
	}
	for range 64 {
		blowfish.ExpandKey(shasalt, c)
		blowfish.ExpandKey(shapass, c)
	}
	copy(out, "OxychromaticBlowfishSwatDynamite")
	for i := 0; i < 32; i += 8 {
		for range 64 {
			c.Encrypt(out[i:i+8], out[i:i+8])
		}
	}
	// bcrypt_pbkdf.c stores the cipher words little-endian.
	for i := 0; i < 32; i += 4 {
		out[i+3], out[i+2], out[i+1], out[i] = out[i], out[i+1], out[i+2], out[i+3]
	}
	return nil
}
