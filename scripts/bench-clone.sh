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

die() { echo "bench-clone: $*" >&2; exit 1; }
for tool in go git ssh ssh-keygen; do
	command -v "$tool" >/dev/null || die "$tool not found: run \`make deps\`"
done
SSHD=$(command -v sshd || true)
[ -z "$SSHD" ] && [ -x /usr/sbin/sshd ] && SSHD=/usr/sbin/sshd
[ -n "$SSHD" ] || die "sshd not found: run \`make deps\` (apt-get install openssh-server)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: run \`make deps\` (apt-get install time)"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
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
SSHD_PID=
cleanup() {
	if [ -n "$SSHD_PID" ]; then kill "$SSHD_PID" 2>/dev/null || true; wait "$SSHD_PID" 2>/dev/null || true; fi
	if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/client_key"
cp "$WORK/client_key.pub" "$WORK/authorized_keys"
chmod 600 "$WORK/authorized_keys"
mkdir -p "$WORK/home"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	echo $((20000 + RANDOM % 20000)))
USER_NAME=$(id -un)
GIT_DIR_BIN=$(dirname "$(command -v git)")
cat >"$WORK/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $WORK/host_key
PidFile none
UsePAM no
StrictModes no
AuthorizedKeysFile $WORK/authorized_keys
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
$( [ "$(id -u)" = 0 ] && echo "PermitRootLogin yes" )
AllowUsers $USER_NAME
UseDNS no
PrintMotd no
PermitTTY no
LogLevel ERROR
# No profile scripts: HOME without dotfiles, git on PATH.
SetEnv HOME=$WORK/home PATH=$GIT_DIR_BIN:/usr/local/bin:/usr/bin:/bin
EOF
"$SSHD" -t -f "$WORK/sshd_config" || die "sshd rejected the config"
"$SSHD" -D -e -f "$WORK/sshd_config" 2>"$WORK/sshd.log" &
SSHD_PID=$!
for _ in $(seq 100); do
	if ssh-keyscan -p "$PORT" 127.0.0.1 >/dev/null 2>&1; then break; fi
	sleep 0.1
done
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$WORK/host_key.pub")" >"$WORK/known_hosts"
export GIT_SSH_COMMAND="ssh -F /dev/null -i $WORK/client_key -o IdentitiesOnly=yes -o UserKnownHostsFile=$WORK/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes"

# measure OUT CMD...: runs CMD under /usr/bin/time -v; prints "seconds kib".
measure() {
	local out=$1; shift
	/usr/bin/time -v -o "$out.time" "$@" >"$out.log" 2>&1 || { cat "$out.log" "$out.time" >&2; die "failed: $*"; }
	local wall rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out.time")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out.time")
	# h:mm:ss or m:ss.ss -> seconds
	wall=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
	echo "$wall $rss"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

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
				read -r wall rss < <(measure "$WORK/$r-$tool-$i" "$BIN" clone -url "$url" -key "$WORK/client_key" -known-hosts "$WORK/known_hosts" -dir "$dst")
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
