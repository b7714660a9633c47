#!/usr/bin/env bash
# Installs what the tests need when it is missing: a real OpenSSH sshd, PuTTY's
# puttygen, openssl, git and tmux (Debian packages). Safe to run again.
set -euo pipefail
need=()
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v puttygen >/dev/null 2>&1 || need+=(putty-tools)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v git >/dev/null 2>&1 || need+=(git)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ -x /usr/bin/time ] || need+=(time)   # scripts/bench-clone.sh measures peak memory with it
command -v nc >/dev/null 2>&1 || need+=(netcat-openbsd)   # gitops tests: ProxyCommand nc %h %p
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "installing test dependencies: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# staticcheck, run by `make test` (2026.2.2, the first release for Go 1.26).
STATICCHECK_VERSION=v0.8.2
gobin="$(go env GOPATH)/bin"
if ! command -v staticcheck >/dev/null 2>&1 && [ ! -x "$gobin/staticcheck" ]; then
  echo "installing staticcheck $STATICCHECK_VERSION into $gobin"
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
