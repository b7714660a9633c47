#!/usr/bin/env bash
# bench-issue.sh: `gitjira issue KEY` (the commits that mention an issue,
# from the index) against `git log --all --grep`, on the same mirror: wall
# time and peak RSS from GNU time, median of RUNS.
#
#   scripts/bench-issue.sh [-r RUNS] MIRROR NAME KEY...
#
#   MIRROR   a bare repository (read only: the index goes to a gitjira home
#            under the work directory), e.g. /work/.mirror/apache+kafka/repo,
#            or "gen" for a generated one (5,000 commits mentioning PROJ-1..500)
#   NAME     the repository's name in the table
#   KEY      issue keys to look up
#   -r RUNS  runs per lookup (default 5)
#
# git's side is `git log --all -F --grep=KEY --format=%H%x09%an%x09%ad%x09%s`
# (it walks the history; -F, so KEY-1 also finds KEY-12: an upper bound of
# what it has to print). The binary is built from this tree unless
# $GITJIRA_BIN names one.
set -euo pipefail
RUNS=5
while getopts "r:" opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	*) echo "usage: $0 [-r RUNS] MIRROR NAME KEY..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] || { echo "usage: $0 [-r RUNS] MIRROR NAME KEY..." >&2; exit 2; }
MIRROR=$1 NAME=$2
shift 2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_need go
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
WORK=$(mktemp -d /tmp/gitjira-bench-issue.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
HELPER=$WORK/benchfetch
(cd "$ROOT" && go build -o "$HELPER" ./scripts/benchfetch)
BIN=${GITJIRA_BIN:-}
if [ -z "$BIN" ]; then
	BIN=$WORK/gitjira
	(cd "$ROOT" && go build -o "$BIN" .)
fi
if [ "$MIRROR" = gen ]; then
	MIRROR=$WORK/gen.git
	git init --quiet --bare --initial-branch=main "$MIRROR"
	"$HELPER" gen -commits 5000 -refs 100 | git -C "$MIRROR" fast-import --quiet
	git -C "$MIRROR" repack -adq
fi
MIRROR=$(cd "$MIRROR" && pwd)
HOME_DIR=$WORK/home
"$HELPER" index -home "$HOME_DIR" -name "$NAME" -mirror "$MIRROR" >&2
commits=$(git -C "$MIRROR" rev-list --all --count)
refs=$(git -C "$MIRROR" for-each-ref | wc -l)

printf '\n%s: %d commits, %d refs (load %s)\n' "$NAME" "$commits" "$refs" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %7s | %9s %8s %6s | %9s %8s %6s\n' key found "gitjira ms" "MiB" "" "git ms" "MiB" "found"
for key in "$@"; do
	: >"$WORK/j.t"; : >"$WORK/j.m"; : >"$WORK/g.t"; : >"$WORK/g.m"
	for _ in $(seq "$RUNS"); do
		read -r w m < <(measure "$WORK/j" env GITJIRA_HOME="$HOME_DIR" "$BIN" issue "$key")
		echo "$w" >>"$WORK/j.t"; echo "$m" >>"$WORK/j.m"
		read -r w m < <(measure "$WORK/g" git -C "$MIRROR" log --all -F --grep="$key" --format='%H%x09%an%x09%ad%x09%s')
		echo "$w" >>"$WORK/g.t"; echo "$m" >>"$WORK/g.m"
	done
	found=$(grep -c '^[^ ]*  *[0-9a-f]\{10\} ' "$WORK/j.log" || true)
	gfound=$(wc -l <"$WORK/g.log")
	printf '%-16s %7d | %9.0f %8.1f %6s | %9.0f %8.1f %6d\n' "$key" "$found" \
		"$(median <"$WORK/j.t" | awk '{ print $1 * 1000 }')" "$(median <"$WORK/j.m" | awk '{ print $1 / 1024 }')" "" \
		"$(median <"$WORK/g.t" | awk '{ print $1 * 1000 }')" "$(median <"$WORK/g.m" | awk '{ print $1 / 1024 }')" "$gfound"
done
