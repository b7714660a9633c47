#!/usr/bin/env bash
# bench-fetch.sh: fetch the same new commits into the same mirror over the
# same loopback OpenSSH sshd with `git fetch` + `git log` of the new commits
# and with gitjira (gitops.Fetch + reading the new commits), and print wall
# time, the server's CPU time and the haves each client sent, side by side.
#
#   scripts/bench-fetch.sh [-r RUNS] [-c COMMITS] [-n REFS] [-k]
#
#   -r RUNS     fetches per tool (default 5; the median is shown)
#   -c COMMITS  commits on main in the mirror (default 20000)
#   -n REFS     refs in the mirror (default 20000: tags and refs/pull/N/head)
#   -k          keep the work directory (printed at the end)
#
# The server gets 100 new commits on main after the mirror was made. The
# repositories are generated once with `git fast-import` and cached under
# $BENCH_CACHE (default /tmp/gitjira-bench). Server CPU is what sshd's
# children (sshd, the shell, git-upload-pack, pack-objects) used for the
# fetch, read from /proc. Needs: go, git, sshd and ssh, GNU time; `make
# deps` installs them.
set -euo pipefail

RUNS=5
COMMITS=20000
REFS=20000
NEW=100
KEEP=0
while getopts "r:c:n:k" opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	c) COMMITS=$OPTARG ;;
	n) REFS=$OPTARG ;;
	k) KEEP=1 ;;
	*) echo "usage: $0 [-r RUNS] [-c COMMITS] [-n REFS] [-k]" >&2; exit 2 ;;
	esac
done

die() { echo "bench-fetch: $*" >&2; exit 1; }
for tool in go git ssh ssh-keygen ssh-keyscan; do
	command -v "$tool" >/dev/null || die "$tool not found: run \`make deps\`"
done
SSHD=$(command -v sshd || true)
[ -z "$SSHD" ] && [ -x /usr/sbin/sshd ] && SSHD=/usr/sbin/sshd
[ -n "$SSHD" ] || die "sshd not found: run \`make deps\` (apt-get install openssh-server)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: run \`make deps\` (apt-get install time)"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${BENCH_CACHE:-/tmp/gitjira-bench}
mkdir -p "$CACHE"
BIN=$CACHE/benchfetch
(cd "$ROOT" && go build -o "$BIN" ./scripts/benchfetch)
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

# The server's repository before (old) and after (new) the 100 commits, and
# the mirror of old that both tools fetch into.
NAME=fetch-$COMMITS-$REFS
OLD=$CACHE/$NAME-old.git
NEWREPO=$CACHE/$NAME-new.git
BASE=$CACHE/$NAME-mirror.git
if [ ! -f "$BASE/.bench-complete" ]; then
	echo "generating $NAME ($COMMITS commits, about $REFS refs, $NEW new)..." >&2
	rm -rf "$OLD" "$NEWREPO" "$BASE"
	git init --quiet --bare --initial-branch=main "$OLD"
	"$BIN" gen -commits "$COMMITS" -refs "$REFS" | git -C "$OLD" fast-import --quiet
	git -C "$OLD" repack -adq
	git -C "$OLD" pack-refs --all
	git clone --quiet --mirror --no-local "$OLD" "$BASE"
	git -C "$BASE" config --unset remote.origin.url
	cp -a "$OLD" "$NEWREPO"
	"$BIN" grow -commits "$NEW" -from "$(git -C "$OLD" rev-parse main)" | git -C "$NEWREPO" fast-import --quiet
	touch "$BASE/.bench-complete"
fi
OLDTIP=$(git -C "$OLD" rev-parse main)
NEWTIP=$(git -C "$NEWREPO" rev-parse main)
NREFS=$(git -C "$BASE" for-each-ref | wc -l)

# A private sshd on a free loopback port, as the current user.
WORK=$(mktemp -d /tmp/gitjira-benchfetch-run.XXXXXX)
SSHD_PID=
cleanup() {
	if [ -n "$SSHD_PID" ]; then kill "$SSHD_PID" 2>/dev/null || true; wait "$SSHD_PID" 2>/dev/null || true; fi
	if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_start_sshd "$WORK"
URL="ssh://$USER_NAME@127.0.0.1:$PORT$NEWREPO"
TICK=$(getconf CLK_TCK)

# server_cpu: seconds of CPU that sshd's finished children used so far.
server_cpu() { awk -v t="$TICK" '{ print ($16 + $17) / t }' "/proc/$SSHD_PID/stat"; }

# measure OUT CMD...: runs CMD under /usr/bin/time -v; prints "wall server-cpu".
measure() {
	local out=$1; shift
	local before after wall
	before=$(server_cpu)
	/usr/bin/time -v -o "$out.time" "$@" >"$out.log" 2>&1 || { cat "$out.log" "$out.time" >&2; die "failed: $*"; }
	sleep 0.3 # sshd reaps the connection's processes
	after=$(server_cpu)
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out.time" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
	echo "$wall $(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

check() { # check DIR TOOL: the mirror has the server's refs
	[ "$(git -C "$1" rev-parse main)" = "$NEWTIP" ] || die "$2 fetch did not move main"
	[ "$(git -C "$1" for-each-ref | wc -l)" = "$NREFS" ] || die "$2 fetch changed the number of refs"
}

# How many haves each client sends (untimed runs).
cp -a "$BASE" "$WORK/trace.git"
GIT_TRACE_PACKET="$WORK/trace" git -C "$WORK/trace.git" fetch --quiet --prune "$URL" '+refs/*:refs/*'
GIT_HAVES=$(grep -c '> have ' "$WORK/trace" || true)
rm -rf "$WORK/trace.git"; cp -a "$BASE" "$WORK/trace.git"
# BENCHFETCH_CPUPROFILE=FILE writes a CPU profile of this gitjira fetch.
OURS=$("$BIN" fetch -url "$URL" -key "$WORK/client_key" -known-hosts "$WORK/known_hosts" -dir "$WORK/trace.git" \
	${BENCHFETCH_CPUPROFILE:+-cpuprofile "$BENCHFETCH_CPUPROFILE"})
check "$WORK/trace.git" gitjira
rm -rf "$WORK/trace.git"

printf '\n%d commits, %d refs in the mirror; %d new commits on the server (median of %d)\n' "$COMMITS" "$NREFS" "$NEW" "$RUNS"
printf '%-34s %8s %14s %7s\n' tool "wall s" "server CPU s" haves
declare -A T=() C=()
# git-nomaint: git with its automatic maintenance after the fetch turned
# off (maintenance.auto, gc.auto), to compare the fetch itself.
# BENCHFETCH_OTHER=BIN also measures another build of benchfetch (e.g. of
# an older commit) as "other".
TOOLS="git git-nomaint gitjira${BENCHFETCH_OTHER:+ other}"
for tool in $TOOLS; do
	: >"$WORK/$tool.times"; : >"$WORK/$tool.cpu"
	for i in $(seq "$RUNS"); do
		dst=$WORK/$tool-$i.git
		cp -a "$BASE" "$dst"
		if [ $tool = git ]; then
			read -r wall cpu < <(measure "$WORK/$tool-$i" bash -c "git -C '$dst' fetch --quiet --prune '$URL' '+refs/*:refs/*' && git -C '$dst' log --format='%H %s' $OLDTIP..$NEWTIP >/dev/null")
		elif [ $tool = git-nomaint ]; then
			read -r wall cpu < <(measure "$WORK/$tool-$i" bash -c "git -C '$dst' -c maintenance.auto=false -c gc.auto=0 fetch --quiet --prune '$URL' '+refs/*:refs/*' && git -C '$dst' log --format='%H %s' $OLDTIP..$NEWTIP >/dev/null")
		elif [ $tool = other ]; then
			read -r wall cpu < <(measure "$WORK/$tool-$i" "$BENCHFETCH_OTHER" fetch -url "$URL" -key "$WORK/client_key" -known-hosts "$WORK/known_hosts" -dir "$dst")
		else
			read -r wall cpu < <(measure "$WORK/$tool-$i" "$BIN" fetch -url "$URL" -key "$WORK/client_key" -known-hosts "$WORK/known_hosts" -dir "$dst")
		fi
		check "$dst" $tool
		echo "$wall" >>"$WORK/$tool.times"; echo "$cpu" >>"$WORK/$tool.cpu"
		rm -rf "$dst"
	done
	T[$tool]=$(median <"$WORK/$tool.times")
	C[$tool]=$(median <"$WORK/$tool.cpu")
done
printf '%-34s %8.2f %14.2f %7s\n' "git fetch + git log" "${T[git]}" "${C[git]}" "$GIT_HAVES"
printf '%-34s %8.2f %14.2f %7s\n' "  same, no auto maintenance" "${T[git-nomaint]}" "${C[git-nomaint]}" "$GIT_HAVES"
printf '%-34s %8.2f %14.2f %7s\n' "gitjira (gitops.Fetch + log)" "${T[gitjira]}" "${C[gitjira]}" "$(echo "$OURS" | sed -E 's/.* ([0-9]+) haves.*/\1/')"
if [ -n "${BENCHFETCH_OTHER:-}" ]; then
	printf '%-34s %8.2f %14.2f %7s\n' "other ($(basename "$BENCHFETCH_OTHER"))" "${T[other]}" "${C[other]}" "-"
fi
awk -v tg="${T[git]}" -v tn="${T[git-nomaint]}" -v tj="${T[gitjira]}" -v cg="${C[git]}" -v cj="${C[gitjira]}" \
	'BEGIN { printf "%-34s %7.2fx %13.2fx\n%-34s %7.2fx\n", "gitjira / git", tj/tg, (cg > 0 ? cj/cg : 0), "gitjira / git, no maintenance", tj/tn }'
echo "$OURS"
