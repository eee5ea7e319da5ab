#!/usr/bin/env bash
# UDP against a full spool: UDP senders cannot be slowed down, so once pending records reach
# max_pending the input reads datagrams and drops them, counted as udp_dropped, instead of
# ingesting past the bound. The controller is a closed loopback port: nothing is published
# and the spool fills.
# Each read burst stages no more than the room left, so with one writer the bound is exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

udp_port=$(free_port) && dead_port=$(free_port) || fail "no free port"
max=20 slack=0
GG_SPOOL_EXTRA="max_pending = $max" gg_config
sed -i "s/^port = .*/port = $dead_port/" "$work/gridgate.conf"
grep -q "^port = $dead_port\$" "$work/gridgate.conf" || fail "could not point [xmpp] at $dead_port"
cat >> "$work/gridgate.conf" <<EOC
[syslog:udpfull]
listen = 127.0.0.1:$udp_port
protocol = udp
EOC
gg_start
wait_for 30 port_bound udp "$udp_port" || fail "gridgate does not listen"

# flood COUNT TAG: COUNT RFC 5424 datagrams as fast as one socket sends them.
flood() {
	python3 - "$udp_port" "$1" "$2" <<'EOP'
import socket, sys
port, count, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(count):
    s.sendto(b"<13>1 2026-11-23T10:00:00Z host.test itudp - - - %s-%d hello" % (tag.encode(), i),
             ("127.0.0.1", port))
EOP
}
pending_ok() {
	local p
	p=$(gg_spool_stat pending)
	[ "$p" -le $((max + slack)) ] || fail "pending=$p after $1, over max_pending=$max (+$slack)"
}

# Several floods, the pending count checked after each: a bound that holds only for the
# first burst, or only while the input is idle, does not pass.
for round in 1 2 3; do
	flood 2000 "r$round-$$"
	sleep 0.5
	pending_ok "flood $round"
done
counters_now udpfull || fail "no udpfull counters after SIGUSR1"
dropped=$(counter udpfull udp_dropped)
[ "$(gg_spool_stat pending)" -ge "$max" ] || fail "pending=$(gg_spool_stat pending): the spool never filled"
[ -n "$dropped" ] && [ "$dropped" -gt 0 ] || fail "udp_dropped=${dropped:-missing} with a full spool"
[ "$(gg_spool_stat published)" = 0 ] || fail "published with the controller unreachable?"
gg_stop || fail "gridgate did not stop cleanly"
# The final counters agree.
[ "$(counter udpfull udp_dropped)" -ge "$dropped" ] || fail "udp_dropped went down at stop"
echo "ok: udp against a full spool: pending stays at $(gg_spool_stat pending) (max $max), $dropped dropped and counted"
