#!/usr/bin/env bash
# The syslog input's limits, with real sockets: UDP over rate_limit is dropped and counted;
# TCP over rate_limit is slowed down, not dropped; connections beyond max_connections are
# refused and counted; an oversized frame is counted and the next message on the same
# connection still arrives (octet counting and LF framing).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

udp_port=$(free_port) && rl_port=$(free_port) && max_port=$(free_port) || fail "no free port"
gg_config
cat >> "$work/gridgate.conf" <<EOC
[syslog:udprl]
listen = 127.0.0.1:$udp_port
protocol = udp
rate_limit = 5
rate_burst = 5
max_message_size = 1k
[syslog:tcprl]
listen = 127.0.0.1:$rl_port
protocol = tcp
rate_limit = 20
rate_burst = 10
[syslog:tcpmax]
listen = 127.0.0.1:$max_port
protocol = tcp
max_connections = 2
max_message_size = 1k
EOC
gg_start
listening() { port_bound udp "$udp_port" && port_bound tcp "$rl_port" && port_bound tcp "$max_port"; }
wait_for 30 listening || fail "gridgate does not listen"
tag=$$
msg() { printf '<13>1 2026-11-23T10:00:00Z host.test itlim - - - %s hello' "$1"; }
big=$(printf '%02000d' 0)

# UDP: one oversized datagram, then 49 in a rush from one address: the burst of 5 (the
# oversized one takes a token too) passes, the rest is dropped, not queued.
exec 3>"/dev/udp/127.0.0.1/$udp_port"
printf '<13>1 - host.test itlim - - - %s' "$big" >&3
for i in $(seq 1 49); do msg "udp-$tag-$i" >&3; done
exec 3>&-
sleep 0.5
counters_now udprl || fail "no udprl counters after SIGUSR1"
limited=$(counter udprl rate_limited)
[ "$(counter udprl oversized)" = 1 ] || fail "udp oversized=$(counter udprl oversized), want 1"
[ "$limited" -ge 40 ] && [ "$limited" -le 45 ] || fail "udp rate_limited=$limited, want 40-45"
udp_passed=$((49 - limited))

# TCP at 20/s with a burst of 10: 60 messages sent at once all arrive, in no less than
# (60 - 10) / 20 = 2.5 s, because the connection is paused, not cut.
start=$SECONDS
for i in $(seq 1 60); do m=$(msg "tcprl-$tag-$i"); printf '%d %s' "${#m}" "$m"; done |
	timeout 30 bash -c "cat > /dev/tcp/127.0.0.1/$rl_port" || fail "tcp send failed"

# max_connections = 2: two connections held open, the third is closed at once: gridgate never
# writes on a syslog connection, so a read that returns at all (status 1, not a timeout's
# >128) saw the close. What the third one sends must not arrive.
exec 4<>"/dev/tcp/127.0.0.1/$max_port" 5<>"/dev/tcp/127.0.0.1/$max_port"
sleep 0.3
exec 6<>"/dev/tcp/127.0.0.1/$max_port"
rc=0; read -r -t 5 -u 6 _ || rc=$?
[ "$rc" = 1 ] || fail "the third connection was not closed by gridgate (read status $rc)"
# A write on the closed socket may raise SIGPIPE: the subshell takes it, not the test.
( printf '%s\n' "$(msg "third-$tag")" >&6 ) 2>/dev/null || true
# On the held connections: an oversized frame, then a good one, octet counted on one and LF
# framed on the other; both good ones must arrive.
o="<13>1 - host.test itlim - - - $big" m=$(msg "after-oc-$tag")
printf '%d %s%d %s' "${#o}" "$o" "${#m}" "$m" >&4
printf '%s\n%s\n' "$o" "$(msg "after-lf-$tag")" >&5
exec 4>&- 5>&- 6>&-

want=$((udp_passed + 60 + 2))
arrived() { [ "$(gg_spool_stat published)" -ge "$want" ]; }
wait_for 60 arrived || fail "$(gg_spool_stat published) of $want messages published"
elapsed=$((SECONDS - start))
wait_for 60 spool_drained || fail "spool not drained"
n=$(read_items)
[ "$n" = "$want" ] || fail "topic holds $n items, want $want"
for i in $(seq 1 60); do
	grep -q "tcprl-$tag-$i hello" "$work"/items/*.xml || fail "rate-limited tcp message $i lost"
done
[ "$(grep -l "udp-$tag-" "$work"/items/*.xml | wc -l)" = "$udp_passed" ] \
	|| fail "udp messages on the topic are not the $udp_passed that passed"
grep -q "after-oc-$tag hello" "$work"/items/*.xml || fail "message after an oversized octet frame lost"
grep -q "after-lf-$tag hello" "$work"/items/*.xml || fail "message after an oversized LF line lost"
if grep -q "third-$tag hello" "$work"/items/*.xml; then
	fail "the refused third connection's message was published"
fi
[ "$elapsed" -ge 2 ] || fail "60 messages at 20/s (burst 10) took only ${elapsed}s"
gg_stop || fail "gridgate did not stop cleanly"
[ "$(counter tcprl rate_paused)" -ge 1 ] || fail "tcp rate_paused=$(counter tcprl rate_paused)"
[ "$(counter tcpmax connections_refused)" = 1 ] \
	|| fail "connections_refused=$(counter tcpmax connections_refused), want 1"
[ "$(counter tcpmax oversized)" = 2 ] || fail "tcp oversized=$(counter tcpmax oversized), want 2"
[ "$(counter tcprl oversized)" = 0 ] || fail "tcprl counted oversized frames"
[ "$(gg_spool_stat quarantined)" = 0 ] || fail "messages were quarantined"
echo "ok: syslog limits: udp rate drops ($limited), tcp paused ${elapsed}s, refused and oversized counted"
