#!/bin/sh
# Captures the Connect wizard's screens from the real program in a real
# terminal (tmux, 80x24, and 50x20 for two) and writes them as text files beside this script.
#   docs/screenshots/capture.sh        (needs go, tmux, ssh-keygen)
# It drives `gitjira demo` (embedded SSH git server on 127.0.0.1) and
# `gitjira connect`; nothing leaves the machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
sock="gjshots-$$"
T="tmux -L $sock"
trap '$T kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/gitjira" .)
bin="$work/gitjira"

# wait_for SESSION TEXT: poll the pane until TEXT is on it (10 s at most)
wait_for() {
	i=0
	while ! $T capture-pane -p -t "$1" | grep -qF -- "$2"; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "capture.sh: $1 never showed: $2" >&2
			$T capture-pane -p -t "$1" >&2
			exit 1
		fi
		sleep 0.1
	done
	sleep 0.2 # let the frame settle
}
# shot SESSION NAME: save the pane, without trailing blank lines. -J joins
# the rows the terminal wrapped: a public key or a command the wizard wrote
# as one line shows as the one line a mouse selection copies.
shot() {
	$T capture-pane -p -J -t "$1" | sed -e 's/ *$//' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$here/$2.txt"
}
start() { # start SESSION WIDTH HEIGHT COMMAND...
	s=$1
	w=$2
	h=$3
	shift 3
	$T new-session -d -s "$s" -x "$w" -y "$h" "env TERM=xterm-256color HOME=$work/home GITJIRA_HOME=$work/home/.gitjira SSH_AUTH_SOCK= $* ; sleep 60"
}
mkdir -p "$work/home/.ssh"

# 1. the demo, the main path: location, key list, paste, generate, host key
# (declined, then trusted), clone, permissions, review, finish, summary
start demo 80 24 "$bin" demo --commits 2000
wait_for demo "Step 1 of 8"
shot demo 1-location
$T send-keys -t demo Enter
wait_for demo "Step 2 of 8"
wait_for demo "id_ed25519"
shot demo 2-key-choose
$T send-keys -t demo Tab
wait_for demo "[Paste a key]"
$T load-buffer -b key "$repo/wizard/testdata/keys/legacy_rsa"
$T paste-buffer -p -b key -t demo
wait_for demo "Press enter to use it."
shot demo 2-key-paste
$T send-keys -t demo Tab
wait_for demo "Save as:"
shot demo 2-key-generate
$T send-keys -t demo Enter
wait_for demo "Add this public key"
shot demo 2-key-generated
$T send-keys -t demo Escape
sleep 0.5 # a lone ESC, not the start of alt+tab
$T send-keys -t demo Tab
wait_for demo "[Choose a key]"
# the list is gitjira_ed25519 (just made), id_ed25519 (the demo's key): take the second
$T send-keys -t demo Up Up Up Down
sleep 0.3
$T send-keys -t demo Enter
wait_for demo "Trust this host"
shot demo 4-hostkey-unknown
$T send-keys -t demo n
wait_for demo "Not trusted"
shot demo 4-hostkey-declined
$T send-keys -t demo y
# the clone of 2000 commits over loopback is quick: catch it if we can
i=0
while [ $i -lt 40 ]; do
	if $T capture-pane -p -t demo | grep -qF "Step 5 of 8"; then
		shot demo 5-clone
		break
	fi
	i=$((i + 1))
	sleep 0.05
done
wait_for demo "Step 6 of 8"
shot demo 6-permissions-all
$T send-keys -t demo Down
wait_for demo "Filter:"
$T send-keys -t demo Down Space Down Space
wait_for demo "2 selected"
shot demo 6-permissions-restrict
$T send-keys -t demo Enter
wait_for demo "Step 7 of 8"
shot demo 7-review
$T send-keys -t demo Enter
wait_for demo "Press enter to exit."
shot demo 8-finish
$T send-keys -t demo Enter
wait_for demo "Added demo to the repositories list."
shot demo 9-summary

# 2. a small terminal (50x20): the generated public key and the host key
# question are on screen
start small 50 20 "$bin" demo
wait_for small "Step 1 of 8"
$T send-keys -t small Enter
wait_for small "Step 2 of 8"
$T send-keys -t small BTab
wait_for small "Save as:"
$T send-keys -t small Enter
wait_for small "Add this public key"
shot small 2-key-generated-50x20
$T send-keys -t small Escape
sleep 0.5
$T send-keys -t small Tab
wait_for small "[Choose a key]"
$T send-keys -t small Up Up Up Down
sleep 0.3
$T send-keys -t small Enter
wait_for small "(y/n)"
shot small 4-hostkey-unknown-50x20
$T send-keys -t small C-c

# 3. an encrypted key with a wrong passphrase, then a changed host key: the
# demo's server keeps running in one session while `gitjira connect` runs in
# another, with a known_hosts that records another key for the server.
cp "$repo/wizard/testdata/keys/enc_ed25519" "$work/home/.ssh/id_ed25519"
chmod 600 "$work/home/.ssh/id_ed25519"
start demo2 80 24 "$bin" demo
wait_for demo2 "Step 1 of 8"
port=$($T capture-pane -p -t demo2 | sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/demo\.git.*/\1/p' | head -n 1)
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$repo/wizard/testdata/keys/host2_ed25519.pub")" >"$work/home/.ssh/known_hosts"
start conn 80 24 "$bin" connect --url "ssh://git@127.0.0.1:$port/demo.git" --known-hosts "$work/home/.ssh/known_hosts"
wait_for conn "Step 1 of 8"
wait_for conn "✓ ssh://"
$T send-keys -t conn Enter
wait_for conn "encrypted"
$T send-keys -t conn Enter
wait_for conn "Step 3 of 8"
$T send-keys -t conn -l "not the passphrase"
$T send-keys -t conn Enter
wait_for conn "attempt 1"
shot conn 3-passphrase-wrong
$T send-keys -t conn -l "correct horse battery"
$T send-keys -t conn Enter
wait_for conn "HAS CHANGED"
shot conn 5-hostkey-changed
echo "screens written to $here"
