#!/usr/bin/env bash
# bench-clone.sh: clone the same repositories over the same loopback OpenSSH
# sshd with `git clone --mirror` and with gitjira (gitops.Clone), and print
# wall time and peak memory side by side.
#
#   scripts/bench-clone.sh [-r RUNS] [-s small|large|all] [-k]
#
#   -r RUNS   clones per tool and repository (default 3; the median is shown)
#   -s WHICH  which repositories (default all)
#   -k        keep the sshd work directory (printed at the end)
#
# Repositories are generated once with `git fast-import` and cached under
# $BENCH_CACHE (default /tmp/gitjira-bench):
#   small: 1,000 commits, 50 files
#   large: 50,000 commits, 400 files, tags every 500 commits (annotated every
#          2,500), release branches, feature branches
# The clone alone, on synthetic repositories; scripts/bench-real.sh measures
# the whole connect (clone + commit index) on real repositories.
# Needs: go, git, sshd and ssh (Debian: openssh-server, openssh-client), and
# GNU time (/usr/bin/time, Debian package `time`). `make deps` installs them.
set -euo pipefail

RUNS=3
WHICH=all
KEEP=0
while getopts "r:s:k" opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	s) WHICH=$OPTARG ;;
	k) KEEP=1 ;;
	*) echo "usage: $0 [-r RUNS] [-s small|large|all] [-k]" >&2; exit 2 ;;
	esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_need go
CACHE=${BENCH_CACHE:-/tmp/gitjira-bench}
mkdir -p "$CACHE"
BIN=$CACHE/benchclone
(cd "$ROOT" && go build -o "$BIN" ./scripts/benchclone)

# make_repo NAME COMMITS FILES: a bare repository, fully packed as a server's would be.
make_repo() {
	local name=$1 commits=$2 files=$3 dir=$CACHE/$1.git
	if [ -f "$dir/.bench-complete" ]; then return; fi
	echo "generating $name ($commits commits, $files files)..." >&2
	rm -rf "$dir"
	git init --quiet --bare --initial-branch=main "$dir"
	"$BIN" gen -commits "$commits" -files "$files" | git -C "$dir" fast-import --quiet
	git -C "$dir" repack -adq
	touch "$dir/.bench-complete"
}

REPOS=()
case $WHICH in
small) REPOS=(small) ;;
large) REPOS=(large) ;;
all) REPOS=(small large) ;;
*) die "-s takes small, large or all" ;;
esac
for r in "${REPOS[@]}"; do
	case $r in
	small) make_repo small 1000 50 ;;
	large) make_repo large 50000 400 ;;
	esac
done

# A private sshd on a free loopback port, as the current user.
WORK=$(mktemp -d /tmp/gitjira-bench-run.XXXXXX)
cleanup() {
	bench_stop_sshd
	if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
bench_start_sshd "$WORK"

printf '\n%-6s %-22s %10s %12s   (median of %d; peak RSS = largest process, for git that is index-pack)\n' \
	repo tool "wall s" "peak MiB" "$RUNS"
for r in "${REPOS[@]}"; do
	src=$CACHE/$r.git
	url="ssh://$USER_NAME@127.0.0.1:$PORT$src"
	pack=$(du -sm "$src/objects/pack" | cut -f1)
	commits=$(git -C "$src" rev-list --all --count)
	declare -A T=() M=()
	for tool in git gitjira; do
		: >"$WORK/$tool.times"; : >"$WORK/$tool.rss"
		for i in $(seq "$RUNS"); do
			dst=$WORK/$r-$tool-$i.git
			if [ $tool = git ]; then
				read -r wall rss < <(measure "$WORK/$r-$tool-$i" git clone --quiet --mirror "$url" "$dst")
			else
				read -r wall rss < <(measure "$WORK/$r-$tool-$i" "$BIN" clone -url "$url" -key "$CLIENT_KEY" -known-hosts "$KNOWN_HOSTS" -dir "$dst")
			fi
			got=$(git -C "$dst" rev-list --all --count)
			[ "$got" = "$commits" ] || die "$tool clone of $r has $got commits, want $commits"
			echo "$wall" >>"$WORK/$tool.times"; echo "$rss" >>"$WORK/$tool.rss"
			rm -rf "$dst"
		done
		T[$tool]=$(median <"$WORK/$tool.times")
		M[$tool]=$(median <"$WORK/$tool.rss")
		printf '%-6s %-22s %10.2f %12.1f\n' "$r" "$tool" "${T[$tool]}" "$(echo "${M[$tool]}" | awk '{print $1/1024}')"
	done
	awk -v r="$r" -v c="$commits" -v p="$pack" -v tg="${T[git]}" -v tj="${T[gitjira]}" -v mg="${M[git]}" -v mj="${M[gitjira]}" \
		'BEGIN { printf "%-6s %-22s %9.2fx %11.2fx   (%d commits, %d MiB pack)\n", r, "gitjira / git", tj/tg, mj/mg, c, p }'
	unset T M
done
