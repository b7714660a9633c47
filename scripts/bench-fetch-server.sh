#!/usr/bin/env bash
# bench-fetch-server.sh: what one incremental fetch costs the git server,
# with `git fetch` and with gitjira (gitops.Fetch), over the same loopback
# OpenSSH sshd: git-upload-pack's CPU time (with its pack-objects child,
# from GNU time around the command sshd runs), the bytes it sent (the ref
# list, the acknowledgements and the pack), and the haves each client sent.
#
#   scripts/bench-fetch-server.sh [-r RUNS] [-N NEW] [-R 'PATTERN...'] [-x FILE] [-k] SRC NAME
#
#   SRC          a bare repository to serve a copy of (e.g. a real history:
#                /work/.mirror/git+git/repo), or "gen" for a generated one
#                (bench-fetch.sh's: 20,000 commits, 20,000 refs, 100 new)
#   NAME         a name for the cached copies (under $BENCH_CACHE)
#   -r RUNS      fetches per tool (default 3; the median is shown)
#   -N NEW       about how many of the newest commits the mirror lacks (default 100)
#   -R PATS      serve only the refs matching these for-each-ref patterns
#                (e.g. 'refs/heads refs/tags': a snapshot's other refs may
#                reach objects it lacks)
#   -x FILE      the same, serving every ref but those listed in FILE (one
#                full ref name a line). The refs of a snapshot that reach
#                missing objects are found with
#                  git rev-list --objects --all --missing=print | grep '^?'
#                then the commits that add those (git log --all --raw) and
#                git for-each-ref --contains each of them.
#   -k           keep the work directory
#
# For a real history the mirror is the repository as it was before its
# NEW newest commits: branches rewound to their last commit before that
# date, refs created after it (tags, pull requests) absent; the mirror is
# made by `git clone --mirror --no-local` of that state, so it has only
# those objects. Both tools then fetch the rest into copies of it.
# $BENCHFETCH_OTHER=BIN also measures another build of scripts/benchfetch
# (e.g. of the commit before thin packs) as "other".
set -euo pipefail

RUNS=3
NEW=100
REFS=
EXCLUDE=
KEEP=0
while getopts "r:N:R:x:k" opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	N) NEW=$OPTARG ;;
	R) REFS=$OPTARG ;;
	x) EXCLUDE=$(cd "$(dirname "$OPTARG")" && pwd)/$(basename "$OPTARG") ;;
	k) KEEP=1 ;;
	*) echo "usage: $0 [-r RUNS] [-N NEW] [-R 'PATTERN...'] [-x FILE] [-k] SRC NAME" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 2 ] || { echo "usage: $0 [-r RUNS] [-N NEW] [-R 'PATTERN...'] [-x FILE] [-k] SRC NAME" >&2; exit 2; }
SRC=$1
NAME=$2

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_need go ssh-keyscan
CACHE=${BENCH_CACHE:-/tmp/gitjira-bench}
mkdir -p "$CACHE"
BIN=$CACHE/benchfetch
(cd "$ROOT" && go build -o "$BIN" ./scripts/benchfetch)
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

SERVER=$CACHE/$NAME-server.git
BASE=$CACHE/$NAME-mirror.git
if [ ! -f "$BASE/.bench-complete" ]; then
	rm -rf "$SERVER" "$BASE" "$CACHE/$NAME-old.git"
	if [ "$SRC" = gen ]; then
		echo "generating $NAME (20000 commits, about 20000 refs, $NEW new)..." >&2
		OLD=$CACHE/$NAME-old.git
		git init --quiet --bare --initial-branch=main "$OLD"
		"$BIN" gen -commits 20000 -refs 20000 | git -C "$OLD" fast-import --quiet
		git -C "$OLD" repack -adq
		git -C "$OLD" pack-refs --all
		git clone --quiet --mirror --no-local "$OLD" "$BASE"
		git clone --quiet --mirror "$OLD" "$SERVER"
		"$BIN" grow -commits "$NEW" -from "$(git -C "$OLD" rev-parse main)" | git -C "$SERVER" fast-import --quiet
		rm -rf "$OLD"
	else
		echo "serving $SRC's refs ${REFS:-(all)} and making the mirror of its state $NEW commits ago..." >&2
		SRC=$(cd "$SRC" && pwd)
		# serve_refs DIR: a bare repository borrowing SRC's objects
		# (objects/info/alternates) with SRC's refs matching $REFS, less
		# those in $EXCLUDE.
		serve_refs() {
			git init --quiet --bare "$1"
			echo "$SRC/objects" >"$1/objects/info/alternates"
			# shellcheck disable=SC2086
			git --git-dir="$SRC" for-each-ref --format='create %(refname) %(objectname)' $REFS |
				awk -v ex="$EXCLUDE" 'BEGIN { if (ex != "") while ((getline r < ex) > 0) skip[r] = 1 } !($2 in skip)' |
				git --git-dir="$1" update-ref --stdin
			git --git-dir="$1" pack-refs --all
			cp "$SRC/HEAD" "$1/HEAD"
		}
		serve_refs "$SERVER"
		# The date before which the mirror was made.
		WHEN=$(git -C "$SERVER" log --all --date-order --format=%ct -n "$NEW" | tail -1)
		OLD=$CACHE/$NAME-old.git
		serve_refs "$OLD"
		git -C "$OLD" for-each-ref --format='%(refname) %(creatordate:unix)' | while read -r ref date; do
			case $ref in
			refs/heads/*)
				if [ "$date" -ge "$WHEN" ]; then
					if prev=$(git -C "$OLD" rev-list -1 --before="$((WHEN - 1))" "$ref" 2>/dev/null) && [ -n "$prev" ]; then
						echo "update $ref $prev"
					else
						echo "delete $ref"
					fi
				fi
				;;
			*) [ -z "$date" ] || [ "$date" -lt "$WHEN" ] || echo "delete $ref" ;; # no date: a blob or tree, kept
			esac
		done | git -C "$OLD" update-ref --stdin
		git clone --quiet --mirror --no-local "$OLD" "$BASE"
		rm -rf "$OLD"
	fi
	git -C "$BASE" config --unset remote.origin.url || true
	touch "$BASE/.bench-complete"
fi

WORK=$(mktemp -d /tmp/gitjira-benchserver-run.XXXXXX)
cleanup() {
	bench_stop_sshd
	if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# sshd runs every command through this wrapper: the CPU time of the
# command (upload-pack and its pack-objects child: the second line of bash's `times`,
# which getrusage gives to the microsecond) and a byte count of what it sent.
cat >"$WORK/serve.sh" <<EOF
#!/bin/bash
( sh -c "\$SSH_ORIGINAL_COMMAND"; times >&3 ) 3>>'$WORK/server.cpu' | tee >(wc -c >>'$WORK/server.bytes')
EOF
chmod +x "$WORK/serve.sh"
BENCH_SSHD_EXTRA="ForceCommand $WORK/serve.sh" bench_start_sshd "$WORK"
URL="ssh://$USER_NAME@127.0.0.1:$PORT$SERVER"

# fresh DST: a copy of the mirror (hard links: both tools only add files
# and replace others by renaming).
fresh() {
	rm -rf "$1"
	cp -al "$BASE" "$1"
	rm -f "$1/FETCH_HEAD" "$1/.bench-complete"
}
# server_cost CMD...: runs CMD; prints "wall cpu bytes" (the server's).
server_cost() {
	: >"$WORK/server.cpu"
	: >"$WORK/server.bytes"
	local start end
	start=$(date +%s.%N)
	"$@" >"$WORK/last.log" 2>&1 || { cat "$WORK/last.log" >&2; die "failed: $*"; }
	end=$(date +%s.%N)
	sleep 0.5 # the wrapper's time and wc finish after the connection
	echo "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }') $(awk 'NR % 2 == 0 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } } END { print s + 0 }' "$WORK/server.cpu") $(awk '{ s += $1 } END { print s + 0 }' "$WORK/server.bytes")"
}
git_fetch() { git -C "$1" -c maintenance.auto=false -c gc.auto=0 fetch --quiet --prune "$URL" '+refs/*:refs/*'; }
jira_fetch() { "$BIN" fetch -log=false -url "$URL" -key "$CLIENT_KEY" -known-hosts "$KNOWN_HOSTS" -dir "$1"; }
# An older build may not know -log (its reading of new commits happens
# after the connection is closed: the server's figures are the same).
other_fetch() { "$BENCHFETCH_OTHER" fetch -url "$URL" -key "$CLIENT_KEY" -known-hosts "$KNOWN_HOSTS" -dir "$1"; }

# Untimed: what each client says, and what the fetch brings.
fresh "$WORK/trace.git"
GIT_TRACE_PACKET="$WORK/trace" git_fetch "$WORK/trace.git"
GIT_HAVES=$(grep -c '> have ' "$WORK/trace" || true)
git -C "$BASE" for-each-ref --format='^%(objectname)' >"$WORK/old-tips"
NEWCOMMITS=$(git -C "$WORK/trace.git" rev-list --count --all --stdin <"$WORK/old-tips")
NREFS=$(git -C "$WORK/trace.git" for-each-ref | wc -l)
fresh "$WORK/trace.git"
OURS=$(jira_fetch "$WORK/trace.git")
[ "$(git -C "$WORK/trace.git" for-each-ref | md5sum)" = "$(git -C "$SERVER" for-each-ref | md5sum)" ] || die "gitjira's mirror differs from the server"
git -C "$WORK/trace.git" fsck --connectivity-only --no-dangling 2>&1 | head -5 >&2
JIRA_HAVES=$(echo "$OURS" | sed -E 's/.* ([0-9]+) haves.*/\1/')

TOOLS="git gitjira${BENCHFETCH_OTHER:+ other}"
declare -A W=() C=() B=()
for tool in $TOOLS; do : >"$WORK/$tool.w"; : >"$WORK/$tool.c"; : >"$WORK/$tool.b"; done
# The tools take turns, so a change of the machine's load during the
# runs weighs on each alike.
for _ in $(seq "$RUNS"); do
	for tool in $TOOLS; do
		dst=$WORK/$tool.git
		fresh "$dst"
		case $tool in
		git) read -r w c b < <(server_cost git_fetch "$dst") ;;
		gitjira) read -r w c b < <(server_cost jira_fetch "$dst") ;;
		other) read -r w c b < <(server_cost other_fetch "$dst") ;;
		esac
		echo "$w" >>"$WORK/$tool.w"; echo "$c" >>"$WORK/$tool.c"; echo "$b" >>"$WORK/$tool.b"
		rm -rf "$dst"
	done
done
for tool in $TOOLS; do
	W[$tool]=$(median <"$WORK/$tool.w"); C[$tool]=$(median <"$WORK/$tool.c"); B[$tool]=$(median <"$WORK/$tool.b")
done

printf '\n%s: %d refs; the fetch brings %d commits (median of %d; load %s)\n' "$NAME" "$NREFS" "$NEWCOMMITS" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %8s %14s %14s %7s\n' tool "wall s" "server CPU s" "server bytes" haves
printf '%-10s %8.2f %14.3f %14d %7s\n' git "${W[git]}" "${C[git]}" "${B[git]}" "$GIT_HAVES"
printf '%-10s %8.2f %14.3f %14d %7s\n' gitjira "${W[gitjira]}" "${C[gitjira]}" "${B[gitjira]}" "$JIRA_HAVES"
if [ -n "${BENCHFETCH_OTHER:-}" ]; then
	printf '%-10s %8.2f %14.3f %14d %7s\n' other "${W[other]}" "${C[other]}" "${B[other]}" -
fi
awk -v cg="${C[git]}" -v cj="${C[gitjira]}" -v bg="${B[git]}" -v bj="${B[gitjira]}" \
	'BEGIN { printf "%-10s %8s %13.2fx %13.2fx\n", "gitjira/git", "", (cg > 0 ? cj/cg : 0), (bg > 0 ? bj/bg : 0) }'
echo "$OURS"
