#!/usr/bin/env bash
# it_export_scale.sh: EVENTS grid events (10,000 in the plain build's run; the ASan/UBSan
# build's run, several times slower per event, takes GG_ASAN_EVENTS, 1,500) published by an
# independent client (slixmpp) reach an HTTPS endpoint exactly once each by Idempotency-Key
# while everything that can go wrong on the way does, in turn:
#   1. the endpoint is down for a while (its process killed, then started again);
#   2. gridgate is SIGKILLed mid-delivery and started again;
#   3. the controller is restarted while gridgate delivers, and the rest is published after.
# A third of the events is published before gridgate starts (caught up), the rest while it
# runs. At the end the endpoint's keys are exactly the spooled records' ids, none missing;
# resends after the SIGKILL are counted, not refused (at least once, deduplicated by key).
# The controller is this test's own, on free ports: restarting the shared one would disturb
# the tests running beside this one.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ctl_state=$(mktemp -d /tmp/gg-it_export_scale-ctl.XXXXXX)
read -r port tls_port < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
export GG_STATE_DIR=$ctl_state GG_XMPP_PORT=$port GG_XMPP_TLS_PORT=$tls_port
ctl_stop() {
	"$top/scripts/controller" stop > /dev/null 2>&1 || true
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "controller dir kept: $ctl_state"; else rm -rf "$ctl_state"; fi
}
trap ctl_stop EXIT
"$top/scripts/controller" start --storage sql > "$ctl_state/start.log" 2>&1 ||
	{ cat "$ctl_state/start.log" >&2; echo "FAIL: it_export_scale: controller did not start" >&2; exit 1; }

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

case $GRIDGATE in
*-asan/*) N=${GG_ASAN_EVENTS:-1500} ;;
*) N=${EXPORT_SCALE_EVENTS:-10000} ;;
esac
first=$((N / 3))
second=$((N / 3))
third=$((N - first - second))
sink_pid="" pub_pid=""
stop_all() {
	[ -n "$pub_pid" ] && kill "$pub_pid" 2> /dev/null
	[ -n "$sink_pid" ] && kill "$sink_pid" 2> /dev/null
	return 0
}
trap 'status=$?; stop_all; ctl_stop; (exit $status); cleanup' EXIT

make_certs "$work/certs" || fail "certificates"
sink_port=$(free_port) || fail "no free port"
sink() {
	/usr/bin/python3 "$top/tests/integration/export_sink.py" --port "$sink_port" \
		--cert "$work/certs/server.crt" --key "$work/certs/server.key" \
		--log "$work/got" --control "$work/ctl" 2>> "$work/sink.err" &
	sink_pid=$!
	wait_for 10 port_bound tcp "$sink_port" || fail "the sink does not listen"
}
sink_down() { kill "$sink_pid"; wait "$sink_pid" 2> /dev/null || true; sink_pid=""; }
keys() { [ -f "$work/got" ] && sort -u "$work/got" | wc -l || echo 0; }
keys_at_least() { [ "$(keys)" -ge "$1" ]; }
# Sessions the subscriber (or the JID given) opened, over gridgate's runs.
sessions() { grep -c "connected to .* as ${1:-$GG_SUBSCRIBER_JID}/" "$work/gridgate.log" || true; }
sessions_at_least() { [ "$(sessions "${2:-}")" -ge "$1" ]; }
pub() { # pub START COUNT [grid_pub.py options]
	/usr/bin/python3 "$top/tests/integration/grid_pub.py" --jid "$GG_GATEWAY_JID" \
		--password-file "$work/gateway.password" --host "$GG_XMPP_HOST" \
		--port "$GG_XMPP_PORT" --ca "$GG_CA_FILE" --service "$GG_PUBSUB_SERVICE" \
		--node "$topic" --start "$1" --count "$2" --window 64 "${@:3}" > /dev/null
}

gg_config
cat >> "$work/gridgate.conf" <<EOC
[subscribe:sub]
jid = $GG_SUBSCRIBER_JID
password_file = $work/subscriber.password
host = $GG_XMPP_HOST
port = $GG_XMPP_PORT
ca_file = $GG_CA_FILE
pubsub_service = $GG_PUBSUB_SERVICE
topics = $topic
reconnect_min = 100ms
reconnect_max = 1s
outputs = s
[export:s]
url = https://localhost:$sink_port/events
ca_file = $work/certs/ca.crt
allow_restricted = yes
concurrency = 8
retry_min = 1s
retry_max = 1s
EOC
t0=$SECONDS
pub 1 "$first" --create || fail "publishing the first $first events"
sink
gg_start

# 1. The endpoint goes down while the second third is published, and comes back.
pub $((first + 1)) "$second" &
pub_pid=$!
wait_for 60 keys_at_least $((first / 2)) || fail "only $(keys) events before the endpoint went down"
sink_down
sleep 2
sink
# 2. gridgate killed mid-delivery, started again.
wait_for 60 keys_at_least "$first" || fail "only $(keys) events before the SIGKILL"
kill -KILL "$gg_pid"
wait "$gg_pid" 2> /dev/null || true
gg_pid=""
gg_start
wait "$pub_pid" || fail "publishing the second third failed"
pub_pid=""
# 3. The controller restarts under the subscriber's session; the rest is published after it.
wait_for 30 sessions_at_least 2 || fail "the subscriber did not connect again after the SIGKILL"
# And the publisher's session: a controller stopped while a client is between its SCRAM first
# message and the server's challenge makes libstrophe 0.12.2 leak that exchange's state (63
# bytes, auth.c's scram_ctx, freed only by the challenge handler), which the ASan run reports
# at exit. gridgate cannot free it; the restart waits until no session is authenticating.
wait_for 30 sessions_at_least 2 "$GG_GATEWAY_JID" ||
	fail "the publisher did not connect again after the SIGKILL"
"$top/scripts/controller" restart --storage sql > "$work/restart.log" 2>&1 ||
	fail "controller restart: $(tail -3 "$work/restart.log")"
pub $((first + second + 1)) "$third" || fail "publishing after the controller restart failed"
wait_for 240 keys_at_least "$N" || fail "the endpoint got $(keys) of $N events"
sleep 1 # anything still on its way would arrive now: it must be one of the N
gg_stop || fail "gridgate did not stop cleanly"

db=$work/state/spool.db
sqlite3 "$db" "SELECT id FROM records WHERE source = 'sub'" | sort > "$work/want"
[ "$(wc -l < "$work/want")" = "$N" ] || fail "$(wc -l < "$work/want") records spooled, not $N"
sort -u "$work/got" | cmp -s - "$work/want" || fail "the endpoint's keys are not the $N spooled records"
[ ! -s "$work/got.bad" ] || fail "the endpoint refused requests: $(head -3 "$work/got.bad")"
[ "$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE output = 's' AND state = 1")" = "$N" ] ||
	fail "not every delivery is done"
# The first run's session, the second run's, and the one after the controller restart.
sessions_at_least 3 || fail "$(sessions) subscriber sessions: no reconnect after the controller restart"
# What was published while the subscriber was away comes by its catch-up, the rest live: the
# loss check of the last run found nothing missing (it once counted the events that came
# live during a catch-up, after forgetting them as seen).
missed=$(grep -o 'sub: stopped: .*' "$work/gridgate.log" | tail -1 | tr ' ' '\n' |
	sed -n 's/^missed=//p')
[ "${missed:-none}" = 0 ] || fail "the loss check fetched ${missed:-no count of} events"
resent=$(($(wc -l < "$work/got") - N))
echo "ok: $test_name: $N events once each by key through an endpoint outage, a SIGKILL and a controller restart, in $((SECONDS - t0)) s; $resent resent after the kill"
