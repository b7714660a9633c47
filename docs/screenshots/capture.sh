#!/bin/sh
# Captures the Connect wizard's screens from the real program in a real
# terminal (tmux, 80x24) and writes them as text files beside this script.
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
# shot SESSION NAME: save the pane, without trailing blank lines
shot() {
	$T capture-pane -p -t "$1" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$here/$2.txt"
}
start() { # start SESSION COMMAND...
	s=$1
	shift
	$T new-session -d -s "$s" -x 80 -y 24 "env TERM=xterm-256color HOME=$work/home GITJIRA_HOME=$work/home/.gitjira $* ; sleep 60"
}
mkdir -p "$work/home/.ssh"

# 1. the demo, the main path: location, key list, host key, clone, permissions, finish, summary
start demo "$bin" demo --commits 2000
wait_for demo "Step 1 of 7"
shot demo 1-location
$T send-keys -t demo Enter
wait_for demo "Step 2 of 7"
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
wait_for demo "Press enter once it is added."
shot demo 2-key-generated
$T send-keys -t demo Escape
sleep 0.5 # a lone ESC, not the start of alt+tab
$T send-keys -t demo Tab
wait_for demo "[Choose a file]"
$T send-keys -t demo Up Enter
wait_for demo "Trust this host"
shot demo 4-hostkey-unknown
$T send-keys -t demo y
# the clone of 2000 commits over loopback is quick: catch it if we can
i=0
while [ $i -lt 40 ]; do
	if $T capture-pane -p -t demo | grep -qF "Step 5 of 7"; then
		shot demo 5-clone
		break
	fi
	i=$((i + 1))
	sleep 0.05
done
wait_for demo "Step 6 of 7"
shot demo 6-permissions-all
$T send-keys -t demo Down
wait_for demo "Filter:"
$T send-keys -t demo Down Space Down Space
wait_for demo "2 selected"
shot demo 6-permissions-restrict
$T send-keys -t demo Enter
wait_for demo "Press enter to exit."
shot demo 7-finish
$T send-keys -t demo Enter
wait_for demo "Added demo to the repositories list."
shot demo 8-summary

# 2. an encrypted key with a wrong passphrase, then a changed host key: the
# demo's server keeps running in one session while `gitjira connect` runs in
# another, with a known_hosts that records another key for the server.
cp "$repo/wizard/testdata/keys/enc_ed25519" "$work/home/.ssh/id_ed25519"
chmod 600 "$work/home/.ssh/id_ed25519"
start demo2 "$bin" demo
wait_for demo2 "Step 1 of 7"
port=$($T capture-pane -p -t demo2 | sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/demo\.git.*/\1/p' | head -n 1)
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$repo/wizard/testdata/keys/host2_ed25519.pub")" >"$work/home/.ssh/known_hosts"
start conn "$bin" connect --url "ssh://git@127.0.0.1:$port/demo.git" --known-hosts "$work/home/.ssh/known_hosts"
wait_for conn "Step 1 of 7"
wait_for conn "✓ ssh://"
$T send-keys -t conn Enter
wait_for conn "encrypted"
$T send-keys -t conn Enter
wait_for conn "Step 3 of 7"
$T send-keys -t conn -l "not the passphrase"
$T send-keys -t conn Enter
wait_for conn "attempt 1"
shot conn 3-passphrase-wrong
$T send-keys -t conn -l "correct horse battery"
$T send-keys -t conn Enter
wait_for conn "HAS CHANGED"
shot conn 5-hostkey-changed
echo "screens written to $here"
