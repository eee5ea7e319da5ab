#!/usr/bin/env bash
# Syslog over UDP, TCP with LF framing and TCP with octet counting becomes valid IODEF 2.0 on
# the topic; a malformed octet count closes only its own connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

# Free ports unless given: runs in parallel (two builds, two engineers) must not meet.
udp_port=${GG_SYSLOG_UDP_PORT:-$(free_port)} || fail "no free port"
tcp_port=${GG_SYSLOG_TCP_PORT:-$(free_port)} || fail "no free port"
if port_bound udp "$udp_port" || port_bound tcp "$tcp_port"; then
	fail "port $udp_port/udp or $tcp_port/tcp is taken; set GG_SYSLOG_UDP_PORT/_TCP_PORT"
fi

gg_config
cat >> "$work/gridgate.conf" <<EOC
[syslog:udp]
listen = 127.0.0.1:$udp_port
protocol = udp
[syslog:tcp]
listen = 127.0.0.1:$tcp_port
protocol = tcp
max_connections = 64
EOC
gg_start
listening() { port_bound udp "$udp_port" && port_bound tcp "$tcp_port"; }
wait_for 30 listening || fail "gridgate does not listen on $udp_port/udp and $tcp_port/tcp"

tag=$$
for i in 1 2 3 4 5; do
	logger -n 127.0.0.1 -P "$udp_port" -d --rfc5424 -t itsys "udp-$tag-$i hello"
	logger -n 127.0.0.1 -P "$tcp_port" -T --rfc3164 -t itsys "tcplf-$tag-$i hello"
	logger -n 127.0.0.1 -P "$tcp_port" -T --octet-count --rfc5424 -t itsys "tcpoc-$tag-$i hello"
done

# Malformed octet counts ("12x"): the stream cannot be framed, so only that connection is
# closed; a good message on a new connection still arrives. 25 of them: the log gets the first
# 20 notices of the minute, the other 5 are only counted (a peer must not write the log full).
for _ in $(seq 1 25); do
	exec 3<>"/dev/tcp/127.0.0.1/$tcp_port"
	printf '12x <13>x\n' >&3
	exec 3>&-
done
closed() { [ "$(grep -c 'tcp: .*; closing' "$work/gridgate.log")" -ge 20 ]; }
wait_for 10 closed || fail "bad connections not closed"
sleep 0.5
kill -0 "$gg_pid" 2>/dev/null || fail "gridgate died after a malformed octet count"
logger -n 127.0.0.1 -P "$tcp_port" -T --rfc3164 -t itsys "after-$tag hello"

# Syslog has no acknowledgement: the spool's published count says when all have come in.
arrived() { [ "$(gg_spool_stat published)" -ge 16 ]; }
wait_for 60 arrived || fail "not all 16 messages were published"
wait_for 60 spool_drained || fail "spool not drained"
n=$(read_items)
[ "$n" = 16 ] || fail "topic holds $n items, want 16 (5 udp + 5 tcp lf + 5 tcp octet + 1)"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
for i in 1 2 3 4 5; do
	for kind in udp tcplf tcpoc; do
		grep -q "$kind-$tag-$i hello" "$work"/items/*.xml || fail "$kind message $i missing"
	done
done
grep -q "after-$tag hello" "$work"/items/*.xml || fail "message after the bad connection missing"
gg_stop || fail "gridgate did not stop cleanly"
grep -q 'tcp: stopped: .*protocol_errors=25 .*log_suppressed=5' "$work/gridgate.log" \
	|| fail "malformed octet counts: $(grep 'tcp: stopped:' "$work/gridgate.log")"
[ "$(grep -c 'tcp: .*; closing' "$work/gridgate.log")" = 20 ] \
	|| fail "$(grep -c 'tcp: .*; closing' "$work/gridgate.log") connection notices logged, want 20"
[ "$(gg_spool_stat quarantined)" = 0 ] || fail "messages were quarantined"
echo "ok: syslog over UDP and TCP (LF and octet counting) published as valid IODEF 2.0"
