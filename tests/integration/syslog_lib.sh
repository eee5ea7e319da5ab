# syslog_lib.sh: helpers the syslog integration tests share beyond lib.sh: free loopback ports,
# throwaway certificates, the instance's counters from gridgate's log. Source after lib.sh.

# port_bound PROTO PORT: something is bound to PORT (read from /proc: no iproute2 needed).
port_bound() {
	local files=("/proc/net/$1")
	[ -r "/proc/net/${1}6" ] && files+=("/proc/net/${1}6")
	# TCP counts in LISTEN state (0A) only: TIME_WAIT leftovers of an earlier run do not.
	awk -v p="$(printf ':%04X' "$2")" -v proto="$1" \
		'$2 ~ p"$" && (proto != "tcp" || $4 == "0A") { found = 1 } END { exit !found }' \
		"${files[@]}"
}

# free_port: a port free for both UDP and TCP, away from the fixed ports of other tests, so
# that runs in parallel (two engineers, two builds) do not meet.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((30000 + RANDOM % 25000))
		if ! port_bound udp "$p" && ! port_bound tcp "$p" &&
			! grep -q ":$(printf '%04X' "$p") " /proc/net/tcp 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# make_certs DIR: a CA, a server certificate for localhost/127.0.0.1, a client certificate
# from the same CA and one from a CA gridgate does not trust. Throwaway, never committed.
make_certs() {
	local d=$1 name
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=gridgate test CA" -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=rogue CA" -keyout "$d/rogue-ca.key" -out "$d/rogue-ca.crt" 2>/dev/null
	for name in server client rogue; do
		local ca=ca san="DNS:localhost,IP:127.0.0.1"
		[ "$name" = rogue ] && ca=rogue-ca
		[ "$name" = server ] || san="DNS:$name.test"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=${name/server/localhost}" -keyout "$d/$name.key" \
			-out "$d/$name.csr" 2>/dev/null
		printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" > "$d/$name.ext"
		openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" \
			-CAcreateserial -days 2 -extfile "$d/$name.ext" -out "$d/$name.crt" \
			2>/dev/null
	done
	[ -s "$d/server.crt" ] && [ -s "$d/client.crt" ] && [ -s "$d/rogue.crt" ]
}

# octet_frames PREFIX FIRST LAST: RFC 5424 messages PREFIX-FIRST..PREFIX-LAST, each as an
# RFC 6587 octet-counted frame (the framing RFC 5425 prescribes for TLS); $BULK_PAD, when set,
# is appended to make them longer.
octet_frames() {
	local i msg
	for i in $(seq "$2" "$3"); do
		msg="<13>1 2026-11-23T10:00:00Z host.test ittls - - - $1-$i hello${BULK_PAD:+ $BULK_PAD}"
		printf '%d %s' "${#msg}" "$msg"
	done
}

# counter INSTANCE KEY: a counter from the instance's last "stopped:" or "counters:" line that
# has it (an input with mappings logs its mapping counters on a line of their own).
counter() {
	grep -E "info: $1: (stopped|counters): (.* )?$2=" "$work/gridgate.log" | tail -n 1 |
		tr ' ' '\n' | sed -n "s/^$2=//p"
}

# counters_now INSTANCE: asks the running gridgate to log its counters (SIGUSR1, as an
# operator would) and waits until INSTANCE's line is there.
counters_now() {
	local before
	before=$(grep -c "info: $1: counters: " "$work/gridgate.log" || true)
	kill -USR1 "$gg_pid"
	# shellcheck disable=SC2317
	more_counters() { [ "$(grep -c "info: $1: counters: " "$work/gridgate.log")" -gt "$before" ]; }
	wait_for 10 more_counters "$1"
}

# counter_reaches INSTANCE KEY VALUE [SECONDS]: asks for INSTANCE's counters (SIGUSR1) until
# KEY is at least VALUE; fails after SECONDS (10). The last value is then in `counter`.
counter_reaches() {
	local end=$((SECONDS + ${4:-10})) v
	while :; do
		counters_now "$1" || return 1
		v=$(counter "$1" "$2")
		[ -n "$v" ] && [ "$v" -ge "$3" ] && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.3
	done
}
