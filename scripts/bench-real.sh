#!/usr/bin/env bash
# bench-real.sh: `gitjira connect --yes` (clone + commit index) against
# `git clone --mirror` + `git log --all` on real repositories, served by the
# same loopback OpenSSH sshd; prints wall time and peak RSS side by side.
#
#   scripts/bench-real.sh [-r RUNS] [-k] [-R 'PATTERN...'] [-x FILE] REPO...
#
#   REPO      a bare repository to serve, e.g. a mirror of git/git
#             (git clone --mirror https://github.com/git/git), or the large
#             synthetic one of bench-clone.sh (/tmp/gitjira-bench/large.git)
#   -r RUNS   runs per tool and repository (default 1; the median is shown:
#             the machine may be shared, run the big ones when it is quiet)
#   -k        keep the work directory (printed at the end)
#   -R PATS   serve only the refs matching these for-each-ref patterns (e.g.
#             'refs/heads refs/tags'), through a repository that borrows the
#             objects (objects/info/alternates): for snapshots whose other refs
#             (say refs/pull/*) reach objects the snapshot lacks
#   -x FILE   the same, serving every ref but those listed in FILE (one
#             full ref name a line)
#
# git's side is two processes run one after the other, as a user would:
#   git clone --mirror URL D && git -C D log --all --format=%H%x00%B
# its wall time is the sum, its peak RSS the larger of the two (for the
# clone that is index-pack, the largest process). gitjira's side is
#   GITJIRA_HOME=H gitjira connect --yes --json --url URL --key K --known-hosts F
# which clones and indexes. Both must find the same number of commits.
# The binary is built from this tree unless $GITJIRA_BIN names one.
set -euo pipefail

RUNS=1
KEEP=0
REFS=
EXCLUDE=
usage() { echo "usage: $0 [-r RUNS] [-k] [-R 'PATTERN...'] [-x FILE] REPO..." >&2; exit 2; }
while getopts "r:kR:x:" opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	k) KEEP=1 ;;
	R) REFS=$OPTARG ;;
	x) EXCLUDE=$(cd "$(dirname "$OPTARG")" && pwd)/$(basename "$OPTARG") ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_need go

WORK=$(mktemp -d /tmp/gitjira-bench-real.XXXXXX)
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
bench_start_sshd "$WORK"

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k/1024 }'; }

# serve_refs SRC DIR: a bare repository at DIR with SRC's objects (by
# alternates) and only SRC's refs matching $REFS, less those in $EXCLUDE.
serve_refs() {
	local src=$1 dir=$2
	git init --quiet --bare "$dir"
	echo "$src/objects" >"$dir/objects/info/alternates"
	# shellcheck disable=SC2086
	git --git-dir="$src" for-each-ref --format='create %(refname) %(objectname)' $REFS |
		awk -v ex="$EXCLUDE" 'BEGIN { if (ex != "") while ((getline r < ex) > 0) skip[r] = 1 } !($2 in skip)' |
		git --git-dir="$dir" update-ref --stdin
	git --git-dir="$dir" pack-refs --all
	cp "$src/HEAD" "$dir/HEAD"
}

printf '\n%-18s %8s %8s %6s | %9s %9s | %9s %9s | %7s %7s\n' \
	repository commits "pack MiB" refs "git s" "git MiB" "gitjira s" "gj MiB" "time x" "RSS x"
for repo in "$@"; do
	src=$(cd "$repo" && pwd)
	[ -d "$src/objects" ] || die "$repo is not a bare repository"
	name=$(basename "$(dirname "$src")")/$(basename "$src")
	if [ -n "$REFS$EXCLUDE" ]; then
		served=$WORK/served-$(echo "$name" | tr '/+' '__').git
		serve_refs "$src" "$served"
		src=$served
	fi
	url="ssh://$USER_NAME@127.0.0.1:$PORT$src"
	commits=$(git --git-dir="$src" rev-list --all --count)
	refs=$(git --git-dir="$src" for-each-ref | wc -l)
	: >"$WORK/git.t"; : >"$WORK/git.m"; : >"$WORK/gj.t"; : >"$WORK/gj.m"
	for i in $(seq "$RUNS"); do
		dst=$WORK/git-$i.git
		read -r w1 m1 < <(measure "$WORK/clone-$i" git clone --quiet --mirror "$url" "$dst")
		read -r w2 m2 < <(measure "$WORK/log-$i" git -C "$dst" log --all --format=%H%x00%B)
		[ "$(git -C "$dst" rev-list --all --count)" = "$commits" ] || die "git clone of $repo misses commits"
		pack=$(du -sm "$dst/objects/pack" | cut -f1) # what the server sent
		awk -v a="$w1" -v b="$w2" 'BEGIN { print a + b }' >>"$WORK/git.t"
		echo $((m1 > m2 ? m1 : m2)) >>"$WORK/git.m"
		rm -rf "$dst"

		home=$WORK/home-$i
		read -r w m < <(measure "$WORK/gitjira-$i" env GITJIRA_HOME="$home" "$BIN" connect --yes --json \
			--url "$url" --key "$CLIENT_KEY" --known-hosts "$KNOWN_HOSTS" --name bench)
		n=$(grep -o '"commits": *[0-9]*' "$WORK/gitjira-$i.log" | grep -o '[0-9]*$' || true)
		[ "$n" = "$commits" ] || die "gitjira indexed ${n:-?} commits of $repo, git rev-list --all counts $commits (see $WORK/gitjira-$i.log)"
		echo "$w" >>"$WORK/gj.t"
		echo "$m" >>"$WORK/gj.m"
		rm -rf "$home"
	done
	tg=$(median <"$WORK/git.t"); mg=$(median <"$WORK/git.m")
	tj=$(median <"$WORK/gj.t"); mj=$(median <"$WORK/gj.m")
	printf '%-18s %8d %8d %6d | %9.2f %9s | %9.2f %9s | %6.2fx %6.2fx\n' \
		"$name" "$commits" "$pack" "$refs" "$tg" "$(mib "$mg")" "$tj" "$(mib "$mj")" \
		"$(awk -v a="$tj" -v b="$tg" 'BEGIN { print a / b }')" "$(awk -v a="$mj" -v b="$mg" 'BEGIN { print a / b }')"
done
