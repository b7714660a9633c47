#!/usr/bin/env bash
# bench-refs.sh: memory and time of a repository with very many refs, over
# a loopback OpenSSH sshd: `gitjira connect --yes` (clone, refs, index) and
# `gitjira repos fetch` after one new commit, against `git clone --mirror`
# and `git fetch`; peak RSS and wall time from GNU time.
#
#   scripts/bench-refs.sh [-n REFS] [-k]
#
#   -n REFS   refs (branches) in the repository (default 1000000); each of
#             them points at one of 1,000 commits
#   -k        keep the work directory
#   -G        gitjira only (git's clone and fetch of a million refs take minutes)
#
# The binary is built from this tree unless $GITJIRA_BIN names one.
set -euo pipefail
N=1000000
KEEP=0
GIT=1
while getopts "n:kG" opt; do
	case $opt in
	n) N=$OPTARG ;;
	k) KEEP=1 ;;
	G) GIT=0 ;;
	*) echo "usage: $0 [-n REFS] [-k] [-G]" >&2; exit 2 ;;
	esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_need go
WORK=$(mktemp -d /tmp/gitjira-bench-refs.XXXXXX)
cleanup() {
	bench_stop_sshd
	if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
BIN=${GITJIRA_BIN:-}
if [ -z "$BIN" ]; then
	BIN=$WORK/gitjira
	(cd "$ROOT" && go build -o "$BIN" .)
fi

# The repository: 1,000 commits on main, then N branches over them,
# written straight into packed-refs (sorted, as git writes it).
REPO=$WORK/refs.git
git init --quiet --bare --initial-branch=main "$REPO"
for i in $(seq 1000); do
	printf 'commit refs/heads/main\ncommitter Ada <ada@example.com> %d +0000\ndata 14\nPROJ-%d: work\n\n' $((1700000000 + i)) $((i % 90 + 10))
done | git -C "$REPO" fast-import --quiet
git -C "$REPO" rev-list main >"$WORK/commits"
awk -v n="$N" 'BEGIN { print "# pack-refs with: peeled fully-peeled sorted " }
	{ c[NR - 1] = $1 } END { for (i = 0; i < n; i++) printf "%s refs/heads/b%07d\n", c[i % NR], i
		printf "%s refs/heads/main\n", c[0] }' "$WORK/commits" >"$REPO/packed-refs"
rm -f "$REPO/refs/heads/main"
echo "$(git -C "$REPO" for-each-ref | wc -l) refs, packed-refs $(du -m "$REPO/packed-refs" | cut -f1) MiB" >&2

bench_start_sshd "$WORK"
URL="ssh://$USER_NAME@127.0.0.1:$PORT$REPO"
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k/1024 }'; }

gcw=0 gcm=0 gfw=0 gfm=0
[ $GIT = 1 ] && read -r gcw gcm < <(measure "$WORK/git-clone" git clone --quiet --mirror "$URL" "$WORK/git.git")
read -r jcw jcm < <(measure "$WORK/gj-connect" env GITJIRA_HOME="$WORK/home" "$BIN" connect --yes --json \
	--url "$URL" --key "$CLIENT_KEY" --known-hosts "$KNOWN_HOSTS" --name refs)
printf 'commit refs/heads/main\ncommitter Ada <ada@example.com> 1800000000 +0000\ndata 13\nPROJ-1: more\nfrom %s\n\n' "$(git -C "$REPO" rev-parse main)" |
	git -C "$REPO" fast-import --quiet
[ $GIT = 1 ] && read -r gfw gfm < <(measure "$WORK/git-fetch" git -C "$WORK/git.git" fetch --quiet --prune "$URL" '+refs/*:refs/*')
read -r jfw jfm < <(measure "$WORK/gj-fetch" env GITJIRA_HOME="$WORK/home" GITJIRA_KNOWN_HOSTS="$KNOWN_HOSTS" "$BIN" repos fetch refs)

printf '\n%d refs (load %s)\n' "$N" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %8s %9s\n' "" "wall s" "peak MiB"
printf '%-28s %8.2f %9s\n' "git clone --mirror" "$gcw" "$(mib "$gcm")"
printf '%-28s %8.2f %9s\n' "gitjira connect (+ index)" "$jcw" "$(mib "$jcm")"
printf '%-28s %8.2f %9s\n' "git fetch (1 new commit)" "$gfw" "$(mib "$gfm")"
printf '%-28s %8.2f %9s\n' "gitjira repos fetch" "$jfw" "$(mib "$jfm")"
