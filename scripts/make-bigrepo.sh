#!/usr/bin/env bash
# Makes a ~50,000-commit repository for the commit index benchmark
# (go test -run '^$' -bench 'Index|GitLog' ./index/) and caches it:
#   $OUT/mirror.git   a bare mirror, packed as a clone over the network is
# Default OUT=/tmp/gitjira-bigrepo; COMMITS=50000. Run again to reuse the cache;
# remove $OUT to regenerate. History: a main line, a topic branch merged every
# 40 commits (older topic commits reachable only through merges), a few
# unmerged branches, annotated tags; ~60% of messages mention Jira keys.
set -euo pipefail
OUT=${OUT:-/tmp/gitjira-bigrepo}
COMMITS=${COMMITS:-50000}
if [ -f "$OUT/mirror.git/.complete" ]; then
  echo "$OUT/mirror.git already made ($(cat "$OUT/mirror.git/.complete") commits)"
  exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git init -q --bare "$OUT/src.git"
awk -v total="$COMMITS" '
function data(s) { printf "data %d\n%s\n", length(s), s }
function msg(   m, r, k) {
  r = rand()
  if (r < 0.45)      m = sprintf("PROJ-%d: %s", int(rand()*5000)+1, words())
  else if (r < 0.55) m = sprintf("[OTHER-%d] %s", int(rand()*800)+1, words())
  else if (r < 0.60) m = sprintf("%s (XPROJ-%d, PROJ-%d0)", words(), int(rand()*90)+1, int(rand()*90)+1)
  else               m = words()
  if (rand() < 0.5) {
    m = m "\n\n" words() " " words() "\n" words()
    if (rand() < 0.3) m = m sprintf("\nRefs PROJ-%d, OTHER-%d", int(rand()*5000)+1, int(rand()*800)+1)
    m = m "\n\nSigned-off-by: Dev Eloper <dev@example.com>"
  }
  return m
}
function words(   n, i, s) {
  n = 3 + int(rand()*6); s = ""
  for (i = 0; i < n; i++) s = s (i ? " " : "") w[int(rand()*nw)]
  return s
}
function commit(ref, from, merge,   f) {
  count++; mark++; t += 60 + int(rand()*600)
  printf "commit %s\nmark :%d\n", ref, mark
  printf "author Dev %d <dev%d@example.com> %d +0000\n", count % 37, count % 37, t
  printf "committer Dev %d <dev%d@example.com> %d +0000\n", count % 37, count % 37, t
  data(msg())
  if (from != "") printf "from %s\n", from
  if (merge != "") printf "merge %s\n", merge
  f = int(rand()*200)
  printf "M 100644 inline src/f%d.txt\n", f
  data(sprintf("file %d version %d\n%s\n", f, count, words()))
  printf "\n"
  return ":" mark
}
BEGIN {
  srand(42); t = 1500000000
  nw = split("fix add remove update refactor the a parser index commit cache key repo list lock test build docs speed up handle error case when with for of in new old", w, " ")
  mainTip = commit("refs/heads/main", "", "")
  while (count < total) {
    mainTip = commit("refs/heads/main", mainTip, "")
    if (count % 40 == 0) {
      printf "reset refs/heads/topic\nfrom %s\n\n", mainTip
      side = mainTip
      for (i = 0; i < 4; i++) side = commit("refs/heads/topic", side, "")
      mainTip = commit("refs/heads/main", mainTip, side)
    }
    if (count % 1000 == 0) {
      tags++; printf "tag v1.%d\nfrom %s\ntagger Rel <rel@example.com> %d +0000\n", tags, mainTip, t
      data(sprintf("release 1.%d, PROJ-%d", tags, tags))
    }
    if (count % 5000 == 0) {
      stale++; b = mainTip
      for (i = 0; i < 3; i++) b = commit("refs/heads/stale-" stale, b, "")
    }
  }
  printf "done\n"
}' | git --git-dir="$OUT/src.git" fast-import --quiet --done
git --git-dir="$OUT/src.git" symbolic-ref HEAD refs/heads/main
git clone -q --mirror --no-local "$OUT/src.git" "$OUT/mirror.git"
n=$(git --git-dir="$OUT/mirror.git" rev-list --all | wc -l)
echo "$n" > "$OUT/mirror.git/.complete"
echo "made $OUT/mirror.git: $n commits"
