#!/usr/bin/env bash
# UDP past the receive buffer: a flood faster than the input reads overflows the socket's
# buffer and the kernel drops datagrams. They are counted (udp_overflow, from SO_RXQ_OVFL),
# so every datagram sent is either spooled or counted. receive_buffer is set to its minimum
# to make the overflow certain; the controller is a closed port, so all stay pending.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

udp_port=$(free_port) && dead_port=$(free_port) || fail "no free port"
gg_config
sed -i "s/^port = .*/port = $dead_port/" "$work/gridgate.conf"
grep -q "^port = $dead_port\$" "$work/gridgate.conf" || fail "could not point [xmpp] at $dead_port"
cat >> "$work/gridgate.conf" <<EOC
[syslog:udpflood]
listen = 127.0.0.1:$udp_port
protocol = udp
receive_buffer = 4k
EOC
gg_start
wait_for 30 port_bound udp "$udp_port" || fail "gridgate does not listen"

sent=20000
python3 - "$udp_port" "$sent" <<'EOP'
import socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(count):
    s.sendto(b"<13>1 2026-11-23T10:00:00Z host.test itflood - - - flood-%d hello" % i,
             ("127.0.0.1", port))
EOP
# The kernel reports drops on the next datagram it queues: one more, after the flood.
sleep 1
printf '<13>1 2026-11-23T10:00:01Z host.test itflood - - - sentinel' > "/dev/udp/127.0.0.1/$udp_port"
sent=$((sent + 1))
# every_one_accounted: spooled (pending) + dropped by the kernel = sent.
every_one_accounted() {
	counters_now udpflood || return 1
	[ $(($(gg_spool_stat pending) + $(counter udpflood udp_overflow))) = "$sent" ]
}
wait_for 30 every_one_accounted || fail "sent $sent: pending=$(gg_spool_stat pending)" \
	"udp_overflow=$(counter udpflood udp_overflow), not all accounted for"
overflow=$(counter udpflood udp_overflow)
[ "$overflow" -gt 0 ] || fail "a 4k buffer never overflowed under $sent datagrams?"
[ "$(counter udpflood udp_dropped)" = 0 ] || fail "udp_dropped=$(counter udpflood udp_dropped)"
# The buffer is what was asked for (4k is below any net.core.rmem_max).
grep -q "udpflood: listening on .*/udp (receive buffer 4096 bytes)" "$work/gridgate.log" \
	|| fail "receive_buffer not applied: $(grep 'udpflood: listening' "$work/gridgate.log")"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: udp past a 4k receive buffer: $sent sent, $(gg_spool_stat pending) spooled," \
	"$overflow counted as udp_overflow"
