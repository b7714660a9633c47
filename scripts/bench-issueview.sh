#!/usr/bin/env bash
# bench-issueview.sh: the issue view on a real history. The repository is
# served by a loopback OpenSSH sshd and connected with `gitjira connect
# --yes` (gitjira's own clone, packs and index, as a user has them); then
# scripts/benchissueview times, in one process:
#   - the first screen for KEY: the index lookup and the list drawn
#     (target < 100 ms), against `git log --all -F --grep=KEY`;
#   - opening each of KEY's commits in the view (n: read from the mirror,
#     diffed within the view's budget, drawn; target p99 < 200 ms), against
#     `git show --first-parent` of the same commits, and the heap every 100;
#   - the first part of the diff of the LARGE largest commits among the
#     newest 3,000 of HEAD (by files changed), against `git show`.
#
#   scripts/bench-issueview.sh [-l LARGE] REPO KEY
#
#   REPO  a bare repository, e.g. /work/.mirror/git+git/repo (read only)
#   KEY   an issue key its messages mention often (git/git: SHA-1)
# The binary is built from this tree unless $GITJIRA_BIN names one.
set -euo pipefail
LARGE=3
while getopts "l:" opt; do
	case $opt in
	l) LARGE=$OPTARG ;;
	*) echo "usage: $0 [-l LARGE] REPO KEY" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { echo "usage: $0 [-l LARGE] REPO KEY" >&2; exit 2; }
REPO=$(cd "$1" && pwd) KEY=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench-lib.sh
. "$ROOT/scripts/bench-lib.sh"
bench_need go
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
WORK=$(mktemp -d /tmp/gitjira-bench-issueview.XXXXXX)
cleanup() { bench_stop_sshd; rm -rf "$WORK"; }
trap cleanup EXIT
BIN=${GITJIRA_BIN:-}
if [ -z "$BIN" ]; then
	BIN=$WORK/gitjira
	(cd "$ROOT" && go build -o "$BIN" .)
fi
(cd "$ROOT" && go build -o "$WORK/benchissueview" ./scripts/benchissueview)
bench_start_sshd "$WORK"

# Only its branches and tags are served, from a repository that borrows its
# objects: a snapshot's other refs may reach objects it lacks.
SERVED=$WORK/served.git
git init --quiet --bare "$SERVED"
echo "$REPO/objects" >"$SERVED/objects/info/alternates"
git --git-dir="$REPO" for-each-ref --format='create %(refname) %(objectname)' refs/heads refs/tags |
	git --git-dir="$SERVED" update-ref --stdin
cp "$REPO/HEAD" "$SERVED/HEAD"

HOME_DIR=$WORK/home
read -r w m < <(measure "$WORK/connect" env GITJIRA_HOME="$HOME_DIR" "$BIN" connect --yes --json \
	--url "ssh://$USER_NAME@127.0.0.1:$PORT$SERVED" --key "$CLIENT_KEY" --known-hosts "$KNOWN_HOSTS" --name bench --timeout 15m) ||
	die "connect failed: $(tail -3 "$WORK/connect.log")"
printf 'connected %s (branches, tags) over the loopback sshd in %.1f s (peak %d MiB); load %s\n' "$REPO" "$w" $((m / 1024)) "$(cut -d' ' -f1-3 /proc/loadavg)"

# The largest of the newest 3,000 commits of HEAD, by files changed.
mapfile -t large < <(git -C "$REPO" log -n 3000 --first-parent --format='@%H' --shortstat HEAD |
	awk '/^@/ { sha = substr($0, 2) } / files? changed/ { print $1, sha }' | sort -rn | head -n "$LARGE" | cut -d' ' -f2)
"$WORK/benchissueview" -home "$HOME_DIR" -repo bench -key "$KEY" "${large[@]}"
printf 'load after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
