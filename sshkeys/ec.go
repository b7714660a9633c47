package sshkeys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// EC private keys in DER: SEC1 (RFC 5915, "EC PRIVATE KEY") on its own or
// inside PKCS#8. They are read here rather than with x509.ParseECPrivateKey
// because x509 knows curves only by name, while `openssl ec -param_enc
// explicit` (and some Java and embedded tools) write the curve as its
// parameters: prime, coefficients, base point, order. Such a key on P-256,
// P-384 or P-521 is an ordinary key, and OpenSSH reads it (sshkey.c compares
// the group with the named curves); so do we. Reading it ourselves also lets
// every failure say what is wrong (an invalid scalar is not "an unknown curve").

var (
	oidP256       = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384       = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidP521       = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
	oidPrimeField = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
)

// otherCurveNames names curves people meet that Go's SSH stack does not sign with.
var otherCurveNames = map[string]string{
	"1.3.132.0.10":          "secp256k1",
	"1.3.132.0.33":          "P-224",
	"1.2.840.10045.3.1.1":   "P-192",
	"1.3.36.3.3.2.8.1.1.7":  "brainpoolP256r1",
	"1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
	"1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
	"1.2.156.10197.1.301":   "SM2",
}

// ecPrivateKeyDER is ECPrivateKey (RFC 5915 section 3).
type ecPrivateKeyDER struct {
	Version    int
	PrivateKey []byte
	// Params is the whole [0] element: encoding/asn1 keeps the explicit
	// tag in a RawValue, so the ECParameters are Params.Bytes.
	Params    asn1.RawValue  `asn1:"optional,tag:0"`
	PublicKey asn1.BitString `asn1:"optional,explicit,tag:1"`
}

// specifiedECDomain is SpecifiedECDomain (SEC 1 v2 section C.2); the
// optional hash and later fields are ignored (encoding/asn1 allows them).
type specifiedECDomain struct {
	Version int
	FieldID struct {
		FieldType  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	Curve struct {
		A, B []byte
		Seed asn1.BitString `asn1:"optional"`
	}
	Base     []byte
	Order    *big.Int
	Cofactor *big.Int `asn1:"optional"`
}

// explicitCurveReason is how explicit parameters of another curve are described.
const explicitCurveReason = "an explicitly specified curve that is not P-256, P-384 or P-521"

// parseECDER reads a SEC1 ECPrivateKey. outerParams are the curve
// parameters of the PKCS#8 AlgorithmIdentifier (nil for a bare SEC1 key).
// structural reports that the DER itself could not be read: for a freshly
// decrypted key without a MAC that usually means a wrong passphrase, and
// the caller decides.
func parseECDER(f Format, der, outerParams []byte) (k *ecdsa.PrivateKey, structural bool, err error) {
	var sk ecPrivateKeyDER
	// Trailing bytes are ignored, as x509.ParseECPrivateKey ignores them.
	if _, err := asn1.Unmarshal(der, &sk); err != nil {
		return nil, true, derError(f, "EC key", err)
	}
	if sk.Version != 1 {
		return nil, true, corruptf(f, "the EC key has version %d where SEC1 says 1 (the file is damaged)", sk.Version)
	}
	var curve elliptic.Curve
	for _, p := range [][]byte{outerParams, sk.Params.Bytes} {
		if len(p) == 0 {
			continue
		}
		c, err := ecCurve(f, p)
		if err != nil {
			return nil, false, err
		}
		if curve != nil && c != curve {
			return nil, false, corrupt(f, "the key names two different curves (the file is damaged)")
		}
		curve = c
	}
	if curve == nil {
		return nil, false, corrupt(f, "the key does not say which curve it is on (the file is damaged)")
	}
	name := curve.Params().Name
	size := (curve.Params().BitSize + 7) / 8
	d := sk.PrivateKey
	// SEC1 says the scalar has exactly the curve's size; old OpenSSL
	// versions dropped leading zero bytes, and x509 accepts extra ones too.
	for len(d) > size && d[0] == 0 {
		d = d[1:]
	}
	if len(d) > size {
		return nil, false, invalidScalar(f, name, "it is longer than the curve's size")
	}
	k, err = ecdsaFromScalar(f, curve, new(big.Int).SetBytes(d))
	if err != nil {
		return nil, false, err
	}
	if pub := sk.PublicKey.RightAlign(); len(pub) > 0 {
		want, err := k.PublicKey.Bytes()
		if err != nil || !ecPointMatches(size, pub, want) {
			return nil, false, invalidScalar(f, name, "it does not give the public key stored with it")
		}
	}
	return k, false, nil
}

// invalidScalar is the answer for a private scalar that cannot be the key on
// its curve: 0, not below the order, or not matching the public point. The
// file was damaged (or edited); it is not a question of curve support.
func invalidScalar(f Format, curve, why string) error {
	return &FormatError{Format: f, Err: ErrCorrupt,
		Reason: fmt.Sprintf("the private key's scalar is not valid for %s: the file is damaged (%s)", curve, why),
		Hint:   "copy it again from the source, or export the key again from the tool that made it"}
}

// ecdsaFromScalar checks 1 <= d < n and builds the key.
func ecdsaFromScalar(f Format, c elliptic.Curve, d *big.Int) (*ecdsa.PrivateKey, error) {
	name := c.Params().Name
	switch {
	case d.Sign() == 0:
		return nil, invalidScalar(f, name, "it is zero")
	case d.Cmp(c.Params().N) >= 0:
		return nil, invalidScalar(f, name, "it is not below the curve's order")
	}
	k, err := ecdsa.ParseRawPrivateKey(c, d.FillBytes(make([]byte, (c.Params().BitSize+7)/8)))
	if err != nil {
		return nil, invalidScalar(f, name, "it is out of range")
	}
	return k, nil
}

// ecCurve resolves ECParameters (RFC 5480 / SEC 1 C.2): a named curve OID
// or explicit parameters. Only P-256, P-384 and P-521 can sign for SSH.
func ecCurve(f Format, params []byte) (elliptic.Curve, error) {
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(params, &oid); err == nil && len(rest) == 0 {
		switch {
		case oid.Equal(oidP256):
			return elliptic.P256(), nil
		case oid.Equal(oidP384):
			return elliptic.P384(), nil
		case oid.Equal(oidP521):
			return elliptic.P521(), nil
		}
		name, ok := otherCurveNames[oid.String()]
		if !ok {
			name = "(curve OID " + oid.String() + ")"
		}
		return nil, &UnsupportedKeyError{Type: "ECDSA " + name}
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(params, &raw); err != nil {
		return nil, derError(f, "curve parameters", err)
	}
	if raw.Class == asn1.ClassUniversal && raw.Tag == asn1.TagNull {
		// implicitlyCA: the curve is "whatever the CA uses", which a key file alone cannot tell.
		return nil, unsupportedFormat(f, "the key does not name its curve (implicitlyCA parameters)",
			"export it again with a named curve: `openssl ec -in FILE -param_enc named_curve -out NEW`")
	}
	var dom specifiedECDomain
	if _, err := asn1.Unmarshal(params, &dom); err != nil {
		return nil, derError(f, "explicit curve parameters", err)
	}
	if c := matchExplicitCurve(&dom); c != nil {
		return c, nil
	}
	return nil, &UnsupportedKeyError{Type: "ECDSA (" + explicitCurveReason + ")"}
}

// matchExplicitCurve returns the named curve whose parameters dom spells
// out, or nil. Everything that defines the group is compared: field prime,
// a, b, base point, order and cofactor; the seed and hash are only how the
// curve was generated.
func matchExplicitCurve(dom *specifiedECDomain) elliptic.Curve {
	if !dom.FieldID.FieldType.Equal(oidPrimeField) || dom.Order == nil {
		return nil
	}
	var p *big.Int
	if _, err := asn1.Unmarshal(dom.FieldID.Parameters.FullBytes, &p); err != nil || p == nil {
		return nil
	}
	if dom.Cofactor != nil && dom.Cofactor.Cmp(big.NewInt(1)) != 0 {
		return nil
	}
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		cp := c.Params()
		// The NIST curves have a = -3 mod p.
		a := new(big.Int).Sub(cp.P, big.NewInt(3))
		if p.Cmp(cp.P) != 0 || new(big.Int).SetBytes(dom.Curve.A).Cmp(a) != 0 ||
			new(big.Int).SetBytes(dom.Curve.B).Cmp(cp.B) != 0 || dom.Order.Cmp(cp.N) != 0 {
			continue
		}
		size := (cp.BitSize + 7) / 8
		g := append([]byte{4}, cp.Gx.FillBytes(make([]byte, size))...)
		if ecPointMatches(size, dom.Base, append(g, cp.Gy.FillBytes(make([]byte, size))...)) {
			return c
		}
	}
	return nil
}

// ecPointMatches reports whether enc, a point in any X9.62 encoding
// (uncompressed 04, compressed 02/03, hybrid 06/07), is the point whose
// uncompressed encoding is want (04 || x || y, coordinates of size bytes).
func ecPointMatches(size int, enc, want []byte) bool {
	if len(enc) == 0 || len(want) != 1+2*size {
		return false
	}
	x, y := want[1:1+size], want[1+size:]
	yOdd := y[size-1]&1 == 1
	switch enc[0] {
	case 4:
		return bytes.Equal(enc, want)
	case 2, 3:
		return len(enc) == 1+size && bytes.Equal(enc[1:], x) && (enc[0] == 3) == yOdd
	case 6, 7:
		return len(enc) == 1+2*size && bytes.Equal(enc[1:], want[1:]) && (enc[0] == 7) == yOdd
	}
	return false
}
