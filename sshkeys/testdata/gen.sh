#!/usr/bin/env bash
# gen.sh makes every key fixture in this directory with the real tools
# (ssh-keygen, puttygen, openssl) and records the fingerprint each tool prints
# for it in fingerprints.txt. Run it from anywhere:  ./sshkeys/testdata/gen.sh
#
# Every encrypted fixture uses the passphrase "correct horse". Tools that take
# the passphrase from a file get it from a temporary file that is removed on exit.
#
# fingerprints.txt, one line per private-key fixture, whitespace separated:
#   FILE FORMAT ENCRYPTED TYPE BITS FINGERPRINT TOOL
# FORMAT is what gitjira must report (openssh, pem-pkcs1, pem-sec1, pem-dsa,
# pkcs8, ppk-v2, ppk-v3); TYPE is the SSH key type; BITS and FINGERPRINT are
# taken from the output of TOOL: `ssh-keygen -l -E sha256` or `puttygen -l -E sha256`
# (puttygen counts an Ed25519 key as 255 bits, ssh-keygen and gitjira as 256).
#
# Tools used when these files were made: OpenSSH_9.2p1, PuTTYgen 0.78, OpenSSL 3.0.
set -euo pipefail
cd "$(dirname "$0")"

PASS='correct horse'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%s' "$PASS" >"$tmp/pass"
chmod 600 "$tmp/pass"

rm -f ./*.key ./*.pub ./*.ppk ./*.pem ./*.txt
out=fingerprints.txt
: >"$out"

# record FILE FORMAT ENCRYPTED TYPE: fingerprint via ssh-keygen. For encrypted
# files ssh-keygen cannot list without the passphrase, so the public key is
# first extracted with -y and the passphrase.
record() {
	local f=$1 format=$2 enc=$3 typ=$4 line
	if [ "$typ" = ssh-ed25519 ] && [ "$format" = pkcs8 ]; then
		ed25519_pkcs8_pub "$f" "$enc" >"$tmp/pub"
	elif [ "$enc" = yes ]; then
		ssh-keygen -y -P "$PASS" -f "$f" >"$tmp/pub"
	else
		ssh-keygen -y -P '' -f "$f" >"$tmp/pub"
	fi
	line=$(ssh-keygen -l -E sha256 -f "$tmp/pub")
	# "256 SHA256:... comment (ED25519)"
	echo "$f $format $enc $typ $(echo "$line" | awk '{print $1, $2}') ssh-keygen" >>"$out"
}

# ed25519_pkcs8_pub FILE ENCRYPTED: OpenSSH 9.2 cannot load Ed25519 keys in
# PKCS#8, so build the authorized_keys line from the raw public key openssl
# prints (the last 32 bytes of the SubjectPublicKeyInfo) and let ssh-keygen
# fingerprint that: string "ssh-ed25519" || string pubkey (RFC 8709).
ed25519_pkcs8_pub() {
	local pass=()
	[ "$2" = yes ] && pass=(-passin file:"$tmp/pass")
	{
		printf '\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20'
		openssl pkey -in "$1" "${pass[@]}" -pubout -outform DER | tail -c 32
	} | base64 -w0 | sed 's/^/ssh-ed25519 /'
	echo
}

# record_ppk FILE FORMAT ENCRYPTED TYPE: fingerprint via puttygen -l.
record_ppk() {
	local f=$1 format=$2 enc=$3 typ=$4 line
	if [ "$enc" = yes ]; then
		line=$(puttygen "$f" --old-passphrase "$tmp/pass" -l -E sha256)
	else
		line=$(puttygen "$f" -l -E sha256)
	fi
	# "ssh-ed25519 255 SHA256:... comment"
	echo "$f $format $enc $typ $(echo "$line" | awk '{print $2, $3}') puttygen" >>"$out"
}

sshgen() { ssh-keygen -q "$@"; }

# ---------- OpenSSH format (ssh-keygen) ----------
sshgen -t ed25519 -N '' -C 'gitjira ed25519' -f openssh_ed25519.key
sshgen -t rsa -b 2048 -N '' -C 'gitjira rsa2048' -f openssh_rsa2048.key
sshgen -t rsa -b 4096 -N '' -C 'gitjira rsa4096' -f openssh_rsa4096.key
sshgen -t ecdsa -b 256 -N '' -C 'gitjira ecdsa256' -f openssh_ecdsa256.key
sshgen -t ecdsa -b 384 -N '' -C 'gitjira ecdsa384' -f openssh_ecdsa384.key
sshgen -t ecdsa -b 521 -N '' -C 'gitjira ecdsa521' -f openssh_ecdsa521.key
sshgen -t dsa -N '' -C 'gitjira dsa' -f openssh_dsa.key
for t in ed25519 rsa2048 rsa4096 ecdsa256 ecdsa384 ecdsa521 dsa; do
	case $t in
	ed25519) typ=ssh-ed25519 ;; rsa*) typ=ssh-rsa ;; dsa) typ=ssh-dss ;;
	ecdsa256) typ=ecdsa-sha2-nistp256 ;; ecdsa384) typ=ecdsa-sha2-nistp384 ;; ecdsa521) typ=ecdsa-sha2-nistp521 ;;
	esac
	record openssh_$t.key openssh no $typ
done

# encrypted: the default cipher (aes256-ctr, 16 bcrypt rounds) for each type
for t in ed25519 rsa2048 ecdsa256; do
	cp openssh_$t.key openssh_${t}_enc.key
	ssh-keygen -q -p -P '' -N "$PASS" -f openssh_${t}_enc.key >/dev/null
done
record openssh_ed25519_enc.key openssh yes ssh-ed25519
record openssh_rsa2048_enc.key openssh yes ssh-rsa
record openssh_ecdsa256_enc.key openssh yes ecdsa-sha2-nistp256
# every cipher ssh-keygen -Z offers that people use, and more bcrypt rounds
for c in aes128-ctr aes256-cbc aes256-gcm@openssh.com chacha20-poly1305@openssh.com; do
	f=openssh_ed25519_${c%%@*}.key
	cp openssh_ed25519.key "$f"
	ssh-keygen -q -p -P '' -N "$PASS" -Z "$c" -f "$f" >/dev/null
	record "$f" openssh yes ssh-ed25519
done
cp openssh_rsa2048.key openssh_rsa2048_chacha20-poly1305.key
ssh-keygen -q -p -P '' -N "$PASS" -Z chacha20-poly1305@openssh.com -f openssh_rsa2048_chacha20-poly1305.key >/dev/null
record openssh_rsa2048_chacha20-poly1305.key openssh yes ssh-rsa
cp openssh_ecdsa384.key openssh_ecdsa384_aes256-gcm.key
ssh-keygen -q -p -P '' -N "$PASS" -Z aes256-gcm@openssh.com -f openssh_ecdsa384_aes256-gcm.key >/dev/null
record openssh_ecdsa384_aes256-gcm.key openssh yes ecdsa-sha2-nistp384
cp openssh_ed25519.key openssh_ed25519_rounds100.key
ssh-keygen -q -p -P '' -N "$PASS" -a 100 -f openssh_ed25519_rounds100.key >/dev/null
record openssh_ed25519_rounds100.key openssh yes ssh-ed25519

# ---------- PEM (ssh-keygen -m PEM): PKCS#1, SEC1, DSA; legacy encryption AES-128-CBC ----------
sshgen -t rsa -b 2048 -m PEM -N '' -C '' -f pem_rsa2048_sshkeygen.key
record pem_rsa2048_sshkeygen.key pem-pkcs1 no ssh-rsa
cp pem_rsa2048_sshkeygen.key pem_rsa2048_sshkeygen_enc.key
ssh-keygen -q -p -m PEM -P '' -N "$PASS" -f pem_rsa2048_sshkeygen_enc.key >/dev/null
record pem_rsa2048_sshkeygen_enc.key pem-pkcs1 yes ssh-rsa
sshgen -t ecdsa -b 256 -m PEM -N '' -C '' -f pem_ecdsa256_sshkeygen.key
record pem_ecdsa256_sshkeygen.key pem-sec1 no ecdsa-sha2-nistp256
cp pem_ecdsa256_sshkeygen.key pem_ecdsa256_sshkeygen_enc.key
ssh-keygen -q -p -m PEM -P '' -N "$PASS" -f pem_ecdsa256_sshkeygen_enc.key >/dev/null
record pem_ecdsa256_sshkeygen_enc.key pem-sec1 yes ecdsa-sha2-nistp256
sshgen -t dsa -m PEM -N '' -C '' -f pem_dsa_sshkeygen.key
record pem_dsa_sshkeygen.key pem-dsa no ssh-dss

# ---------- PKCS#8 (ssh-keygen -m PKCS8): PBES2 PBKDF2-HMAC-SHA256 AES-128-CBC ----------
sshgen -t rsa -b 2048 -m PKCS8 -N '' -C '' -f pkcs8_rsa2048_sshkeygen.key
record pkcs8_rsa2048_sshkeygen.key pkcs8 no ssh-rsa
cp pkcs8_rsa2048_sshkeygen.key pkcs8_rsa2048_sshkeygen_enc.key
ssh-keygen -q -p -m PKCS8 -P '' -N "$PASS" -f pkcs8_rsa2048_sshkeygen_enc.key >/dev/null
record pkcs8_rsa2048_sshkeygen_enc.key pkcs8 yes ssh-rsa
sshgen -t ecdsa -b 384 -m PKCS8 -N '' -C '' -f pkcs8_ecdsa384_sshkeygen.key
record pkcs8_ecdsa384_sshkeygen.key pkcs8 no ecdsa-sha2-nistp384

# ---------- OpenSSL ----------
ossl() { openssl "$@" 2>/dev/null; }
# PKCS#8 plain
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pkcs8_rsa2048_openssl.key
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out pkcs8_ecdsa256_openssl.key
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out pkcs8_ecdsa521_openssl.key
ossl genpkey -algorithm ED25519 -out pkcs8_ed25519_openssl.key
record pkcs8_rsa2048_openssl.key pkcs8 no ssh-rsa
record pkcs8_ecdsa256_openssl.key pkcs8 no ecdsa-sha2-nistp256
record pkcs8_ecdsa521_openssl.key pkcs8 no ecdsa-sha2-nistp521
record pkcs8_ed25519_openssl.key pkcs8 no ssh-ed25519
# PKCS#8 encrypted: PBES2 with each PRF and cipher, and scrypt
ossl genpkey -algorithm ED25519 -aes-256-cbc -pass file:"$tmp/pass" -out pkcs8_ed25519_openssl_aes256.key
record pkcs8_ed25519_openssl_aes256.key pkcs8 yes ssh-ed25519
enc8() { # enc8 SRC DST TYPE ARGS...
	local src=$1 dst=$2 typ=$3
	shift 3
	ossl pkcs8 -topk8 -in "$src" -out "$dst" -passout file:"$tmp/pass" "$@"
	record "$dst" pkcs8 yes "$typ"
}
enc8 pkcs8_rsa2048_openssl.key pkcs8_rsa2048_pbes2_aes256_sha256.key ssh-rsa -v2 aes-256-cbc -v2prf hmacWithSHA256
enc8 pkcs8_rsa2048_openssl.key pkcs8_rsa2048_pbes2_aes256_sha1.key ssh-rsa -v2 aes-256-cbc -v2prf hmacWithSHA1
enc8 pkcs8_ecdsa256_openssl.key pkcs8_ecdsa256_pbes2_aes128_sha256.key ecdsa-sha2-nistp256 -v2 aes-128-cbc -v2prf hmacWithSHA256
enc8 pkcs8_ecdsa256_openssl.key pkcs8_ecdsa256_pbes2_aes192_sha1.key ecdsa-sha2-nistp256 -v2 aes-192-cbc -v2prf hmacWithSHA1
enc8 pkcs8_ed25519_openssl.key pkcs8_ed25519_pbes2_des3.key ssh-ed25519 -v2 des3
enc8 pkcs8_ed25519_openssl.key pkcs8_ed25519_scrypt.key ssh-ed25519 -scrypt
enc8 pkcs8_rsa2048_openssl.key pkcs8_rsa2048_scrypt.key ssh-rsa -scrypt
# traditional PEM: PKCS#1 / SEC1, legacy encrypted with each DEK-Info cipher
ossl rsa -in pkcs8_rsa2048_openssl.key -traditional -out pem_rsa2048_openssl.key
record pem_rsa2048_openssl.key pem-pkcs1 no ssh-rsa
for c in aes128 aes192 aes256 des3; do
	ossl rsa -in pkcs8_rsa2048_openssl.key -traditional -$c -passout file:"$tmp/pass" -out pem_rsa2048_openssl_$c.key
	record pem_rsa2048_openssl_$c.key pem-pkcs1 yes ssh-rsa
done
ossl ec -in pkcs8_ecdsa256_openssl.key -out pem_ecdsa256_openssl.key
record pem_ecdsa256_openssl.key pem-sec1 no ecdsa-sha2-nistp256
ossl ec -in pkcs8_ecdsa521_openssl.key -out pem_ecdsa521_openssl.key
record pem_ecdsa521_openssl.key pem-sec1 no ecdsa-sha2-nistp521
for c in aes256 des3; do
	ossl ec -in pkcs8_ecdsa256_openssl.key -$c -passout file:"$tmp/pass" -out pem_ecdsa256_openssl_$c.key
	record pem_ecdsa256_openssl_$c.key pem-sec1 yes ecdsa-sha2-nistp256
done
# OpenSSL's SEC1 with explicit "EC PARAMETERS" block before the key
ossl ecparam -name prime256v1 -genkey -out pem_ecdsa256_ecparam.key
record pem_ecdsa256_ecparam.key pem-sec1 no ecdsa-sha2-nistp256
# a 1024-bit RSA key: read, with a warning that servers refuse it
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 | ossl rsa -traditional -out pem_rsa1024_openssl.key
record pem_rsa1024_openssl.key pem-pkcs1 no ssh-rsa
# types Go's SSH stack cannot sign with: no fingerprint line, gitjira says unsupported
ossl genpkey -algorithm ED448 -out unsupported_ed448.pem
ossl genpkey -algorithm ED448 -aes-256-cbc -pass file:"$tmp/pass" -out unsupported_ed448_enc.pem
ossl genpkey -algorithm X25519 -out unsupported_x25519.pem
ossl genpkey -algorithm X448 -out unsupported_x448.pem
: >"$tmp/empty"
puttygen -q -t ed448 -C 'gitjira ed448' --new-passphrase "$tmp/empty" -o unsupported_ed448.ppk </dev/null

# ---------- PuTTY .ppk (puttygen) ----------
# made from the OpenSSH keys above, so both tools agree on the key
for t in ed25519 rsa2048 ecdsa256 ecdsa384 ecdsa521 dsa; do
	case $t in
	ed25519) typ=ssh-ed25519 ;; rsa*) typ=ssh-rsa ;; dsa) typ=ssh-dss ;;
	ecdsa256) typ=ecdsa-sha2-nistp256 ;; ecdsa384) typ=ecdsa-sha2-nistp384 ;; ecdsa521) typ=ecdsa-sha2-nistp521 ;;
	esac
	puttygen openssh_$t.key -O private -o ppk3_$t.ppk
	record_ppk ppk3_$t.ppk ppk-v3 no $typ
	puttygen openssh_$t.key -O private --ppk-param version=2 -o ppk2_$t.ppk
	record_ppk ppk2_$t.ppk ppk-v2 no $typ
done
for t in ed25519 rsa2048 ecdsa256; do
	case $t in ed25519) typ=ssh-ed25519 ;; rsa*) typ=ssh-rsa ;; ecdsa256) typ=ecdsa-sha2-nistp256 ;; esac
	puttygen openssh_$t.key -O private --new-passphrase "$tmp/pass" --ppk-param version=2 -o ppk2_${t}_enc.ppk
	record_ppk ppk2_${t}_enc.ppk ppk-v2 yes $typ
	# puttygen's defaults: argon2id, 8192 KiB, parallelism 1, and passes it
	# picks for ~100 ms of hashing: 21 on an idle machine here. The passes are
	# pinned so the fixtures (and BenchmarkParse) do not depend on the load
	# of the machine that ran this script; encodePPKv3 writes the same.
	puttygen openssh_$t.key -O private --new-passphrase "$tmp/pass" --ppk-param passes=21 -o ppk3_${t}_argon2id.ppk
	record_ppk ppk3_${t}_argon2id.ppk ppk-v3 yes $typ
done
for k in argon2i argon2d; do
	puttygen openssh_ed25519.key -O private --new-passphrase "$tmp/pass" --ppk-param version=3,kdf=$k,passes=21 -o ppk3_ed25519_$k.ppk
	record_ppk ppk3_ed25519_$k.ppk ppk-v3 yes ssh-ed25519
done
puttygen openssh_rsa4096.key -O private --new-passphrase "$tmp/pass" --ppk-param kdf=argon2d,passes=2,memory=16384,parallelism=2 -o ppk3_rsa4096_argon2d_p2.ppk
record_ppk ppk3_rsa4096_argon2d_p2.ppk ppk-v3 yes ssh-rsa

# ---------- cheap key derivations ----------
# The same formats with the smallest parameters the tools accept. They are
# fixtures like the others, and the fuzz seeds that reach the decryption code
# while FuzzParse/FuzzPPK run with lowered KDF limits.
cp openssh_ed25519.key openssh_ed25519_rounds1.key
ssh-keygen -q -p -P '' -N "$PASS" -a 1 -f openssh_ed25519_rounds1.key >/dev/null
record openssh_ed25519_rounds1.key openssh yes ssh-ed25519
cp openssh_ecdsa256.key openssh_ecdsa256_gcm_rounds1.key
ssh-keygen -q -p -P '' -N "$PASS" -a 1 -Z aes256-gcm@openssh.com -f openssh_ecdsa256_gcm_rounds1.key >/dev/null
record openssh_ecdsa256_gcm_rounds1.key openssh yes ecdsa-sha2-nistp256
cp openssh_rsa2048.key openssh_rsa2048_chacha20_rounds1.key
ssh-keygen -q -p -P '' -N "$PASS" -a 1 -Z chacha20-poly1305@openssh.com -f openssh_rsa2048_chacha20_rounds1.key >/dev/null
record openssh_rsa2048_chacha20_rounds1.key openssh yes ssh-rsa
for k in argon2id argon2i argon2d; do
	puttygen openssh_ecdsa256.key -O private --new-passphrase "$tmp/pass" --ppk-param kdf=$k,memory=64,passes=1 -o ppk3_ecdsa256_${k}_cheap.ppk
	record_ppk ppk3_ecdsa256_${k}_cheap.ppk ppk-v3 yes ecdsa-sha2-nistp256
done
enc8 pkcs8_ed25519_openssl.key pkcs8_ed25519_pbes2_iter1.key ssh-ed25519 -v2 aes-128-cbc -v2prf hmacWithSHA256 -iter 1
enc8 pkcs8_ecdsa256_openssl.key pkcs8_ecdsa256_scrypt_cheap.key ecdsa-sha2-nistp256 -scrypt -scrypt_N 1024 -scrypt_r 8 -scrypt_p 1

# ---------- older encryptions and encodings other tools still write ----------
# OpenSSH's 3des-cbc and the rest of `ssh -Q cipher` (ssh-keygen -Z takes any of them)
for t in ed25519 rsa2048; do
	cp openssh_$t.key openssh_${t}_3des-cbc.key
	ssh-keygen -q -p -P '' -N "$PASS" -Z 3des-cbc -f openssh_${t}_3des-cbc.key >/dev/null
done
record openssh_ed25519_3des-cbc.key openssh yes ssh-ed25519
record openssh_rsa2048_3des-cbc.key openssh yes ssh-rsa
for c in aes192-ctr aes128-cbc aes192-cbc aes128-gcm@openssh.com; do
	f=openssh_ecdsa256_${c%%@*}.key
	cp openssh_ecdsa256.key "$f"
	ssh-keygen -q -p -P '' -N "$PASS" -Z "$c" -f "$f" >/dev/null
	record "$f" openssh yes ecdsa-sha2-nistp256
done

# PKCS#8 with the PKCS#12 schemes (RFC 7292 appendix C) and PBES1 (RFC 8018
# section 6.1): `openssl pkcs8 -topk8 -v1 ...`. PBE-SHA1-3DES is what
# `openssl pkcs8 -topk8` wrote by default before OpenSSL 1.1.0. OpenSSL 3
# needs its legacy provider for RC2, RC4, single DES and PBKDF1; ssh-keygen
# loads keys without it, so record_legacy has openssl decrypt those first.
legacy=(-provider legacy -provider default)
record_legacy() { # record_legacy FILE TYPE
	ossl pkcs8 "${legacy[@]}" -in "$1" -passin file:"$tmp/pass" -out "$tmp/plain.key"
	chmod 600 "$tmp/plain.key"
	ssh-keygen -y -P '' -f "$tmp/plain.key" >"$tmp/pub"
	echo "$1 pkcs8 yes $2 $(ssh-keygen -l -E sha256 -f "$tmp/pub" | awk '{print $1, $2}') ssh-keygen" >>"$out"
}
enc8 pkcs8_ecdsa256_openssl.key pkcs8_ecdsa256_pbe_sha1_3des.key ecdsa-sha2-nistp256 -v1 PBE-SHA1-3DES
enc8 pkcs8_rsa2048_openssl.key pkcs8_rsa2048_pbe_sha1_3des.key ssh-rsa -v1 PBE-SHA1-3DES
enc8 pkcs8_ed25519_openssl.key pkcs8_ed25519_pbe_sha1_3des.key ssh-ed25519 -v1 PBE-SHA1-3DES
enc8 pkcs8_ecdsa256_openssl.key pkcs8_ecdsa256_pbe_sha1_2des.key ecdsa-sha2-nistp256 -v1 PBE-SHA1-2DES
for v in PBE-SHA1-RC4-128 PBE-SHA1-RC4-40 PBE-SHA1-RC2-128 PBE-SHA1-RC2-40 PBE-MD5-DES PBE-SHA1-DES PBE-MD5-RC2-64 PBE-SHA1-RC2-64; do
	f=pkcs8_ecdsa256_pbe_$(echo "${v#PBE-}" | tr 'A-Z-' 'a-z_').key
	ossl pkcs8 -topk8 "${legacy[@]}" -v1 "$v" -in pkcs8_ecdsa256_openssl.key -passout file:"$tmp/pass" -out "$f"
	record_legacy "$f" ecdsa-sha2-nistp256
done
ossl pkcs8 -topk8 "${legacy[@]}" -v1 PBE-SHA1-RC4-128 -in pkcs8_rsa2048_openssl.key -passout file:"$tmp/pass" -out pkcs8_rsa2048_pbe_sha1_rc4_128.key
record_legacy pkcs8_rsa2048_pbe_sha1_rc4_128.key ssh-rsa
# PBES2 with the old DES and RC2 ciphers
for c in des-cbc rc2-cbc rc2-40-cbc; do
	f=pkcs8_ecdsa256_pbes2_${c//-/_}.key
	ossl pkcs8 -topk8 "${legacy[@]}" -v2 "$c" -in pkcs8_ecdsa256_openssl.key -passout file:"$tmp/pass" -out "$f"
	record_legacy "$f" ecdsa-sha2-nistp256
done
# a PBES2 cipher gitjira does not read: refused by name, with the command that converts it
ossl pkcs8 -topk8 -v2 camellia-256-cbc -in pkcs8_ecdsa256_openssl.key -passout file:"$tmp/pass" -out unsupported_pkcs8_pbes2_camellia256.pem
# A non-ASCII passphrase: the PKCS#12 derivation takes it as UTF-16 (BMPString).
# Not in fingerprints.txt (which assumes one passphrase); the test compares
# it with pkcs8_ecdsa256_openssl.key.
printf '%s' 'pässwörd ✓' >"$tmp/pass_utf8"
ossl pkcs8 -topk8 -v1 PBE-SHA1-3DES -in pkcs8_ecdsa256_openssl.key -passout file:"$tmp/pass_utf8" -out utf8pass_pkcs8_ecdsa256_pbe_sha1_3des.key

# EC keys whose curve is written as explicit parameters (prime, a, b, base
# point, order) instead of its name: `openssl ec -param_enc explicit`.
ossl ec -in pkcs8_ecdsa256_openssl.key -param_enc explicit -out pem_ecdsa256_explicit.key
record pem_ecdsa256_explicit.key pem-sec1 no ecdsa-sha2-nistp256
ossl ec -in pkcs8_ecdsa384_sshkeygen.key -param_enc explicit -out pem_ecdsa384_explicit.key
record pem_ecdsa384_explicit.key pem-sec1 no ecdsa-sha2-nistp384
ossl ec -in pkcs8_ecdsa521_openssl.key -param_enc explicit -conv_form compressed -out pem_ecdsa521_explicit_compressed.key
record pem_ecdsa521_explicit_compressed.key pem-sec1 no ecdsa-sha2-nistp521
ossl ec -in pkcs8_ecdsa256_openssl.key -param_enc explicit -des3 -passout file:"$tmp/pass" -out pem_ecdsa256_explicit_des3.key
record pem_ecdsa256_explicit_des3.key pem-sec1 yes ecdsa-sha2-nistp256
ossl pkcs8 -topk8 -nocrypt -in pem_ecdsa256_explicit.key -out pkcs8_ecdsa256_explicit.key
record pkcs8_ecdsa256_explicit.key pkcs8 no ecdsa-sha2-nistp256
enc8 pem_ecdsa256_explicit.key pkcs8_ecdsa256_explicit_pbe_sha1_3des.key ecdsa-sha2-nistp256 -v1 PBE-SHA1-3DES
ossl pkcs8 -topk8 -nocrypt -in pem_ecdsa521_explicit_compressed.key -out pkcs8_ecdsa521_explicit_compressed.key
record pkcs8_ecdsa521_explicit_compressed.key pkcs8 no ecdsa-sha2-nistp521
# curves Go's SSH stack cannot sign with, named and explicit: no fingerprint line
ossl ecparam -name secp256k1 -genkey -noout -out unsupported_secp256k1.pem
ossl ecparam -name secp256k1 -genkey -noout -param_enc explicit -out unsupported_secp256k1_explicit.pem
ossl ecparam -name brainpoolP256r1 -genkey -noout -param_enc explicit | ossl pkcs8 -topk8 -nocrypt -out unsupported_brainpoolP256r1_explicit_pkcs8.pem

# ---------- public material given where a private key belongs ----------
cp openssh_ed25519.key.pub public_ed25519.pub
cp openssh_rsa2048.key.pub public_rsa2048.pub
echo "no-port-forwarding,command=\"echo hi\" $(cat openssh_ecdsa256.key.pub)" >public_authorized_keys_options.txt
ssh-keygen -e -f openssh_rsa2048.key.pub >public_rfc4716.pub
ssh-keygen -e -m PKCS8 -f openssh_ecdsa256.key.pub >public_pem_pkcs8.pem
ssh-keygen -e -m PEM -f openssh_rsa2048.key.pub >public_pem_pkcs1.pem
sshgen -t ed25519 -N '' -C 'gitjira test CA' -f "$tmp/ca"
cp openssh_ed25519.key.pub "$tmp/user.pub"
ssh-keygen -q -s "$tmp/ca" -I gitjira-test -n git "$tmp/user.pub" 2>/dev/null
cp "$tmp/user-cert.pub" public_ed25519-cert.pub
puttygen openssh_ed25519.key -O public -o public_putty_ed25519.pub
# the .pub files ssh-keygen wrote beside each private key are not fixtures
rm -f ./openssh_*.key.pub ./pem_*.key.pub ./pkcs8_*.key.pub

chmod 600 ./*.key ./*.ppk ./unsupported_*.pem
echo "wrote $(wc -l <"$out") fingerprints to $PWD/$out"
