package sshkeys

import "testing"

// BenchmarkParse measures Parse/ParseWithPassphrase per format, including
// the key derivations a user waits for (the wizard runs them in a tea.Cmd):
//
//	go test -run '^$' -bench BenchmarkParse -benchtime 10x ./sshkeys/
func BenchmarkParse(b *testing.B) {
	cases := []struct{ name, file string }{
		{"openssh-ed25519-plain", "openssh_ed25519.key"},
		{"openssh-rsa2048-plain", "openssh_rsa2048.key"},
		{"openssh-ed25519-bcrypt16-aes256ctr", "openssh_ed25519_enc.key"},
		{"openssh-ed25519-bcrypt16-chacha20poly1305", "openssh_ed25519_chacha20-poly1305.key"},
		{"openssh-ed25519-bcrypt100", "openssh_ed25519_rounds100.key"},
		{"pem-pkcs1-rsa2048-plain", "pem_rsa2048_openssl.key"},
		{"pem-pkcs1-rsa2048-legacy-aes256", "pem_rsa2048_openssl_aes256.key"},
		{"pem-sec1-p256-legacy-des3", "pem_ecdsa256_openssl_des3.key"},
		{"pkcs8-ed25519-plain", "pkcs8_ed25519_openssl.key"},
		{"pkcs8-rsa2048-pbes2-sha256-aes256", "pkcs8_rsa2048_pbes2_aes256_sha256.key"},
		{"pkcs8-ed25519-scrypt", "pkcs8_ed25519_scrypt.key"},
		{"ppk3-ed25519-plain", "ppk3_ed25519.ppk"},
		{"ppk2-ed25519-sha1-aes256cbc", "ppk2_ed25519_enc.ppk"},
		{"ppk3-ed25519-argon2id-defaults", "ppk3_ed25519_argon2id.ppk"},
		{"ppk3-ed25519-argon2d-defaults", "ppk3_ed25519_argon2d.ppk"},
	}
	for _, c := range cases {
		raw := readFixture(b, c.file)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseWithPassphrase(raw, testPassphrase); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseEncryptedWithoutPassphrase is what the wizard does first:
// show type and fingerprint before asking. No key derivation runs.
func BenchmarkParseEncryptedWithoutPassphrase(b *testing.B) {
	raw := readFixture(b, "ppk3_rsa2048_argon2id.ppk")
	for b.Loop() {
		if _, err := Parse(raw); err == nil {
			b.Fatal("no error for an encrypted key")
		}
	}
}
