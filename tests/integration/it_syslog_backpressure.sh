#!/usr/bin/env bash
# A full spool stops a TCP syslog input from reading instead of dropping: 3,000 messages on one
# connection against a spool that holds 25 unpublished records. The input waits (counted as
# backpressure_waits), the sender is slowed by TCP itself, and every message ends on the topic.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

n=3000
port=$(free_port) || fail "no free port"
GG_SPOOL_EXTRA="max_pending = 25
batch = 8" gg_config
cat >> "$work/gridgate.conf" <<EOC
[syslog:tcp]
listen = 127.0.0.1:$port
protocol = tcp
EOC
gg_start
wait_for 30 port_bound tcp "$port" || fail "gridgate does not listen on $port/tcp"

seq 1 "$n" | sed "s/^/bp-$$-/" > "$work/messages"
logger -n 127.0.0.1 -P "$port" -T --octet-count --rfc5424 -t itbp -f "$work/messages" \
	|| fail "logger failed"
all_in() { [ "$(gg_spool_stat published)" -ge "$n" ]; }
wait_for 120 all_in || fail "only $(gg_spool_stat published) of $n published"
[ "$(read_items)" = "$n" ] || fail "topic holds $(read_items) items, want $n"
for i in 1 "$((n / 2))" "$n"; do
	grep -q "bp-$$-$i<" "$work"/items/*.xml || fail "message $i missing"
done
kill -USR1 "$gg_pid"
wait_for 10 grep -q "backpressure_waits=[1-9]" "$work/gridgate.log" \
	|| fail "the input never waited for room: $(grep -o 'backpressure_waits=[0-9]*' "$work/gridgate.log" | tail -1)"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: a full spool paused the TCP input; all $n messages published, none dropped"
