#!/bin/sh
# Makes the fixed test keys of the wizard and steps tests. Run once; the keys
# are committed so fingerprints in golden files never change.
#   cd wizard/testdata && ./make-keys.sh
set -eu
cd "$(dirname "$0")/keys"
rm -f ./*_ed25519* ./*_rsa* ./*.pub
# a plain user key (authorized on the test server)
ssh-keygen -q -t ed25519 -N '' -C 'alice@wizard-test' -f id_ed25519
# the same kind, encrypted (bcrypt KDF); passphrase: correct horse battery
ssh-keygen -q -t ed25519 -N 'correct horse battery' -C 'bob@wizard-test' -f enc_ed25519
# an RSA key in the old PEM format, to see type/bits in the list
ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C 'carol@wizard-test' -f legacy_rsa
# a key the server does not know (authentication refused)
ssh-keygen -q -t ed25519 -N '' -C 'mallory@wizard-test' -f stranger_ed25519
# the test server's host key, and another one to play a changed host key
ssh-keygen -q -t ed25519 -N '' -C 'host' -f host_ed25519
ssh-keygen -q -t ed25519 -N '' -C 'host2' -f host2_ed25519
chmod 600 id_ed25519 enc_ed25519 legacy_rsa stranger_ed25519 host_ed25519 host2_ed25519
