# bench-lib.sh: what the benchmark scripts share. Source it, then call
# bench_start_sshd WORK: a private OpenSSH sshd on a free 127.0.0.1 port,
# running as the current user, with a fresh host key and client key. It sets
#   PORT, USER_NAME, CLIENT_KEY, KNOWN_HOSTS and GIT_SSH_COMMAND (exported)
# and stops the daemon on exit ($BENCH_SSHD_EXTRA: more sshd_config lines). measure OUT CMD... runs CMD under GNU time
# and prints "seconds kib" (wall time, peak RSS of the largest process).

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

bench_need() {
	for tool in git ssh ssh-keygen "$@"; do
		command -v "$tool" >/dev/null || die "$tool not found: run \`make deps\`"
	done
	SSHD=$(command -v sshd || true)
	[ -z "$SSHD" ] && [ -x /usr/sbin/sshd ] && SSHD=/usr/sbin/sshd
	[ -n "$SSHD" ] || die "sshd not found: run \`make deps\` (apt-get install openssh-server)"
	[ -x /usr/bin/time ] || die "/usr/bin/time not found: run \`make deps\` (apt-get install time)"
}

SSHD_PID=
bench_stop_sshd() {
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null || true
		wait "$SSHD_PID" 2>/dev/null || true
		SSHD_PID=
	fi
}

bench_start_sshd() {
	local work=$1
	ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
	cp "$work/client_key.pub" "$work/authorized_keys"
	chmod 600 "$work/authorized_keys"
	mkdir -p "$work/home"
	[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000)))
	USER_NAME=$(id -un)
	local gitdir
	gitdir=$(dirname "$(command -v git)")
	cat >"$work/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile none
UsePAM no
StrictModes no
AuthorizedKeysFile $work/authorized_keys
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
$([ "$(id -u)" = 0 ] && echo "PermitRootLogin yes")
AllowUsers $USER_NAME
UseDNS no
PrintMotd no
PermitTTY no
LogLevel ERROR
# No profile scripts: HOME without dotfiles, git on PATH, no system git config.
SetEnv HOME=$work/home PATH=$gitdir:/usr/local/bin:/usr/bin:/bin GIT_CONFIG_NOSYSTEM=1
${BENCH_SSHD_EXTRA:-}
EOF
	"$SSHD" -t -f "$work/sshd_config" || die "sshd rejected the config"
	"$SSHD" -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
	SSHD_PID=$!
	for _ in $(seq 100); do
		if ssh-keyscan -p "$PORT" 127.0.0.1 >/dev/null 2>&1; then break; fi
		sleep 0.1
	done
	CLIENT_KEY=$work/client_key
	KNOWN_HOSTS=$work/known_hosts
	echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$work/host_key.pub")" >"$KNOWN_HOSTS"
	export GIT_SSH_COMMAND="ssh -F /dev/null -i $CLIENT_KEY -o IdentitiesOnly=yes -o UserKnownHostsFile=$KNOWN_HOSTS -o StrictHostKeyChecking=yes -o BatchMode=yes"
}

# measure OUT CMD...: runs CMD under /usr/bin/time -v; prints "seconds kib".
measure() {
	local out=$1
	shift
	/usr/bin/time -v -o "$out.time" "$@" >"$out.log" 2>&1 || {
		cat "$out.log" "$out.time" >&2
		die "failed: $*"
	}
	local wall rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out.time")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out.time")
	# h:mm:ss or m:ss.ss -> seconds
	wall=$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
	echo "$wall $rss"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
