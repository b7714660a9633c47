package sshkeys

import (
	"bytes"
	"crypto/elliptic"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// The fixtures with explicit curve parameters that match P-256/384/521 are
// read by TestParseFixtures (pem_ecdsa*_explicit*.key, pkcs8_ecdsa*_explicit*.key)
// with the fingerprints ssh-keygen printed. Here: the refusals and damage.

// TestExplicitCurveRefused: explicit parameters of another curve are named
// as such, not as a damaged file or an unnamed curve.
func TestExplicitCurveRefused(t *testing.T) {
	explicit := string(readFixture(t, "pem_ecdsa256_explicit.key"))
	tests := []struct {
		name  string
		input []byte
		want  string // in the UnsupportedKeyError's Type and message
	}{
		{"secp256k1, explicit (SEC1)", readFixture(t, "unsupported_secp256k1_explicit.pem"), explicitCurveReason},
		{"brainpoolP256r1, explicit (PKCS#8)", readFixture(t, "unsupported_brainpoolP256r1_explicit_pkcs8.pem"), explicitCurveReason},
		{"secp256k1, named", readFixture(t, "unsupported_secp256k1.pem"), "secp256k1"},
		{"P-256 parameters with b changed", []byte(reencodePEM(t, explicit, func(der []byte) []byte {
			b := elliptic.P256().Params().B.Bytes()
			return bytes.Replace(der, b, append(bytes.Clone(b[:31]), b[31]^1), 1)
		})), explicitCurveReason},
		{"P-256 parameters with cofactor 2", []byte(reencodePEM(t, explicit, func(der []byte) []byte {
			// the cofactor INTEGER 1 follows the order
			n := elliptic.P256().Params().N.Bytes()
			i := bytes.Index(der, n)
			if i < 0 || !bytes.Equal(der[i+len(n):i+len(n)+3], []byte{2, 1, 1}) {
				t.Fatal("fixture layout changed")
			}
			der = bytes.Clone(der)
			der[i+len(n)+2] = 2
			return der
		})), explicitCurveReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.input)
			var ue *UnsupportedKeyError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUnsupported) {
				t.Fatalf("want *UnsupportedKeyError, got %v", err)
			}
			if !strings.Contains(ue.Type, tt.want) {
				t.Errorf("Type %q does not say %q", ue.Type, tt.want)
			}
			checkMessage(t, err, tt.want)
			checkMessage(t, err, "gitjira key generate")
			checkNoJargon(t, err)
		})
	}
}

// TestInvalidScalar: a P-256 key whose private scalar is 0, not below the
// order, or does not give the stored public key is a damaged file, and
// says so; it is not an unsupported curve.
func TestInvalidScalar(t *testing.T) {
	n := elliptic.P256().Params().N
	other := scalarOf(t, "pem_ecdsa256_sshkeygen.key")
	tests := []struct {
		name string
		d    []byte // replaces the 32-byte scalar
		why  string
	}{
		{"zero", make([]byte, 32), "it is zero"},
		{"the order n", n.FillBytes(make([]byte, 32)), "not below the curve's order"},
		{"all ones", bytes.Repeat([]byte{0xff}, 32), "not below the curve's order"},
		{"another key's scalar", other, "does not give the public key stored with it"},
	}
	for _, fixture := range []string{"pem_ecdsa256_openssl.key", "pem_ecdsa256_explicit.key", "pkcs8_ecdsa256_openssl.key", "pkcs8_ecdsa256_explicit.key"} {
		d := scalarOf(t, fixture)
		for _, tt := range tests {
			t.Run(fixture+"/"+tt.name, func(t *testing.T) {
				in := reencodePEM(t, string(readFixture(t, fixture)), func(der []byte) []byte {
					if bytes.Count(der, d) != 1 {
						t.Fatal("scalar not found once")
					}
					return bytes.Replace(der, d, tt.d, 1)
				})
				_, err := Parse([]byte(in))
				if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupported) {
					t.Fatalf("want ErrCorrupt only, got %v", err)
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("want *FormatError, got %T", err)
				}
				checkMessage(t, err, "the private key's scalar is not valid for P-256: the file is damaged")
				checkMessage(t, err, tt.why)
				checkNoJargon(t, err)
			})
		}
	}
	// OpenSSH and PuTTY keys carry the scalar as an mpint; same answer.
	q, _ := hex.DecodeString("04" + strings.Repeat("00", 64))
	for _, d := range []*big.Int{new(big.Int), n, new(big.Int).SetBytes(other)} {
		_, err := ecdsaKey(FormatOpenSSH, "nistp256", q, d)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("OpenSSH d=%x: %v", d, err)
		}
		checkMessage(t, err, "the private key's scalar is not valid for P-256: the file is damaged")
	}
}

// scalarOf returns the 32-byte private scalar of a P-256 fixture.
func scalarOf(t *testing.T, name string) []byte {
	t.Helper()
	k, err := Parse(readFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	type ecBytes interface{ Bytes() ([]byte, error) }
	d, err := k.Private.(ecBytes).Bytes()
	if err != nil || len(d) != 32 {
		t.Fatalf("%s: scalar %x, %v", name, d, err)
	}
	return d
}

// reencodePEM applies edit to the DER of the key block of a PEM file
// (skipping an EC PARAMETERS block) and encodes it again.
func reencodePEM(t *testing.T, file string, edit func([]byte) []byte) string {
	t.Helper()
	rest := []byte(file)
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			t.Fatal("no key block")
		}
		if block.Type != "EC PARAMETERS" {
			block.Bytes = edit(block.Bytes)
			return string(pem.EncodeToMemory(block))
		}
		rest = next
	}
}
