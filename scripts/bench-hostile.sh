#!/usr/bin/env bash
# bench-hostile.sh: the big-object cases of issue 9 against the real binary.
# Crafts the repositories (scripts/bigrepo), serves them over a loopback
# OpenSSH sshd, and runs `gitjira connect --yes` under GNU time beside
# `git clone --mirror`; checks every mirror with git fsck.
#
#   scripts/bench-hostile.sh [-s SIZE] [-c 'CASE...'] [-k]
#
#   -s SIZE   object size (default 1GiB; the message case uses half of it)
#   -c CASES  which cases (default 'tags deltas message')
#   -k        keep the work directory
#
# Cases: a blob behind 20 annotated tags; a blob and four deltas copying it;
# a commit with a huge message and a commit stored as a delta on it.
# Needs about 3x SIZE of free disk for git's side, and time: git fsck reads
# every object. The binary is built from this tree unless $GITJIRA_BIN names one.
set -euo pipefail

SIZE=1GiB
CASES="tags deltas message"
KEEP=0
while getopts "s:c:k" opt; do
	case $opt in
	s) SIZE=$OPTARG ;;
	c) CASES=$OPTARG ;;
	k) KEEP=1 ;;
	*) echo "usage: $0 [-s SIZE] [-c 'CASE...'] [-k]" >&2; exit 2 ;;
	esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_need go

WORK=$(mktemp -d /tmp/gitjira-bench-hostile.XXXXXX)
cleanup() {
	bench_stop_sshd
	if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

BIN=${GITJIRA_BIN:-}
if [ -z "$BIN" ]; then
	BIN=$WORK/gitjira
	(cd "$ROOT" && go build -o "$BIN" .)
fi
(cd "$ROOT" && go build -o "$WORK/bigrepo" ./scripts/bigrepo)
bench_start_sshd "$WORK"

# half SIZE: "1GiB" -> "512MiB", "48MiB" -> "24MiB"
half() {
	awk -v s="$1" 'BEGIN {
		n = s + 0; u = s; sub(/^[0-9]+/, "", u)
		if (n % 2 == 1 && u == "GiB") { n *= 1024; u = "MiB" }
		else if (n % 2 == 1 && u == "MiB") { n *= 1024; u = "KiB" }
		printf "%d%s", n / 2, u }'
}

printf '\n%-8s %-9s | %8s %9s | %9s %9s | %s\n' case size "git s" "git MiB" "gitjira s" "gj MiB" "gitjira result"
for kind in $CASES; do
	size=$SIZE
	[ "$kind" = message ] && size=$(half "$SIZE")
	repo=$WORK/$kind.git
	"$WORK/bigrepo" -kind "$kind" -size "$size" -dir "$repo"
	url="ssh://$USER_NAME@127.0.0.1:$PORT$repo"

	read -r wg mg < <(measure "$WORK/git-$kind" git clone --quiet --mirror "$url" "$WORK/git-$kind.git")
	rm -rf "$WORK/git-$kind.git"

	home=$WORK/home-$kind
	read -r wj mj < <(measure "$WORK/gitjira-$kind" env GITJIRA_HOME="$home" "$BIN" connect --yes --json \
		--url "$url" --key "$CLIENT_KEY" --known-hosts "$KNOWN_HOSTS" --name "$kind")
	mirror=$(find "$home" -maxdepth 3 -type d -name "$kind.git" | head -1)
	[ -n "$mirror" ] || die "no mirror for $kind (see $WORK/gitjira-$kind.log)"
	git --git-dir="$mirror" fsck --no-progress >"$WORK/fsck-$kind.log" 2>&1 || die "git fsck of the $kind mirror failed (see $WORK/fsck-$kind.log)"
	commits=$(grep -o '"commits": *[0-9]*' "$WORK/gitjira-$kind.log" | grep -o '[0-9]*$' || true)
	printf '%-8s %-9s | %8.2f %9.0f | %9.2f %9.0f | %s commits indexed, fsck ok\n' "$kind" "$size" \
		"$wg" "$(awk -v k="$mg" 'BEGIN { print k / 1024 }')" "$wj" "$(awk -v k="$mj" 'BEGIN { print k / 1024 }')" "${commits:-?}"
	rm -rf "$home" "$repo"
done
