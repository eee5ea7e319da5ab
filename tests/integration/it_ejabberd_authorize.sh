#!/usr/bin/env bash
# it_ejabberd_authorize.sh: RFC 8600's authorize access model against a real ejabberd 23.01,
# started here (scripts/controller-ejabberd) with a state dir and ports of its own, so the
# suite's shared Prosody is not touched. gridgate's publisher creates its topic with the
# authorize model (ejabberd offers it); its [subscribe:sub] input finds its subscription
# pending, reports it (log, counter pending) and does not fail; the topic's owner (the gateway
# account) approves with an independent client (grid_approve.py: the XEP-0060 8.6 form); the
# items published while it waited are then caught up and later ones arrive live, each spooled
# once. A second run with the subscription approved receives at once, nothing pending.
# Subscribed records go to a second publisher (relay, another topic): an output is required,
# and the subscribed topic must not be one its records are published to (a loop). Its topic's
# member is subscribed in advance by the owner (members = on an authorize topic).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export GG_CONTROLLER=ejabberd
GG_STATE_DIR=$(mktemp -d /tmp/gg-it_ejabberd.XXXXXX)
export GG_STATE_DIR
chmod 711 "$GG_STATE_DIR" # ejabberd runs as its own user and must reach its state dir
ej_stop() {
	"$top/scripts/controller" stop > /dev/null 2>&1 || true
	rm -rf "$GG_STATE_DIR"
	[ -z "${GG_PORT_BASE:-}" ] || rm -f "/tmp/gg-ejabberd-ports-$GG_PORT_BASE.lock"
}
trap ej_stop EXIT

# Three consecutive free ports (c2s, direct TLS, Erlang distribution), claimed with a lock so
# that the plain and the ASan lane, which run this test at the same time, never share them.
port_free() { ! grep -q ":$(printf '%04X' "$1") " /proc/net/tcp /proc/net/tcp6 2> /dev/null; }
pick_ports() {
	local base
	for _ in $(seq 1 50); do
		base=$((30000 + RANDOM % 25000))
		port_free "$base" && port_free "$((base + 1))" && port_free "$((base + 2))" || continue
		exec 8> "/tmp/gg-ejabberd-ports-$base.lock"
		if flock -n 8; then
			GG_PORT_BASE=$base
			export GG_PORT_BASE
			return 0
		fi
		exec 8>&-
	done
	unset GG_PORT_BASE
	return 1
}
t0=$(date +%s.%N)
started=0
for _ in 1 2; do
	pick_ports || { echo "FAIL: no free ports for ejabberd" >&2; exit 1; }
	if "$top/scripts/controller" start > "$GG_STATE_DIR/start.out" 2>&1; then
		started=1
		break
	fi
	exec 8>&- # taken meanwhile? once more elsewhere
	rm -f "/tmp/gg-ejabberd-ports-$GG_PORT_BASE.lock"
done
[ "$started" = 1 ] || { cat "$GG_STATE_DIR/start.out" >&2; echo "FAIL: ejabberd did not start" >&2; exit 1; }
start_secs=$(echo "$(date +%s.%N) - $t0" | bc)

. "$(dirname "$0")/lib.sh"
# gridgate first, then ejabberd (the other way round gridgate logs the controller's shutdown).
trap 'status=$?; if [ -n "$gg_pid" ]; then gg_stop || status=1; fi; ej_stop; (exit $status); cleanup' EXIT

spooled() { sqlite3 "$work/state/spool.db" "SELECT count(*) FROM records WHERE source = 'sub'" 2> /dev/null; }
spooled_is() { [ "$(spooled)" = "$1" ]; }
counter() { grep -o "sub: stopped: .*" "$work/gridgate.log" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }
approve() {
	/usr/bin/python3 "$top/tests/integration/grid_approve.py" --jid "$GG_GATEWAY_JID" \
		--password-file "$work/gateway.password" --host "$GG_XMPP_HOST" --port "$GG_XMPP_PORT" \
		--ca "$GG_CA_FILE" --service "$GG_PUBSUB_SERVICE" --node "$topic" \
		--subscriber "$GG_SUBSCRIBER_JID" > "$work/approve.out" 2>&1 ||
		fail "grid_approve.py: $(cat "$work/approve.out")"
}

gg_config
# No members: on an authorize topic they would be approved in advance (docs/export.md).
sed -i '/^members = /d' "$work/gridgate.conf"
cat >> "$work/gridgate.conf" <<EOC
outputs = grid
[out_grid:relay]
jid = $GG_SUBSCRIBER_JID
password_file = $work/subscriber.password
host = $GG_XMPP_HOST
port = $GG_XMPP_PORT
ca_file = $GG_CA_FILE
pubsub_service = $GG_PUBSUB_SERVICE
topic = $topic-relay
members = $GG_GATEWAY_JID
[subscribe:sub]
jid = $GG_SUBSCRIBER_JID
password_file = $work/subscriber.password
host = $GG_XMPP_HOST
port = $GG_XMPP_PORT
ca_file = $GG_CA_FILE
pubsub_service = $GG_PUBSUB_SERVICE
topics = $topic
outputs = relay
check_interval = 1s
reconnect_min = 100ms
EOC

gg_start
drop_docs 5 early
wait_for 15 grep -q "created topic $topic on $GG_PUBSUB_SERVICE (access authorize)" "$work/gridgate.log" ||
	fail "topic not created with the authorize access model"
wait_for 15 grep -q "grid: topic $topic-relay: subscribed in advance (approved): $GG_GATEWAY_JID" \
	"$work/gridgate.log" || fail "relay's member not subscribed in advance by its owner"
grep -q "does not offer the authorize access model" "$work/gridgate.log" &&
	fail "ejabberd's authorize model was not seen"
wait_for 15 grep -q "sub: topic $topic: subscription pending" "$work/gridgate.log" ||
	fail "pending subscription not reported"
wait_for 15 spool_drained || fail "the 5 early records were not published"
sleep 1.5 # a check or two while pending: nothing arrives, nothing fails, reported once
[ "$(spooled)" = 0 ] || fail "$(spooled) items spooled before the owner approved"
[ "$(grep -c "subscription pending" "$work/gridgate.log")" = 1 ] || fail "the wait was reported more than once"

approve
wait_for 10 grep -q "sub: subscription to $topic on $GG_PUBSUB_SERVICE approved by its owner" \
	"$work/gridgate.log" || fail "approval not noticed"
wait_for 10 spooled_is 5 || fail "$(spooled) of the 5 items published while pending caught up"
drop_docs 5 live
wait_for 15 spooled_is 10 || fail "$(spooled) of 10 items after 5 live ones"
sleep 1.2 # one loss check: nothing missing, nothing twice
gg_stop || fail "stop"
[ "$(counter pending)" = 1 ] || fail "pending=$(counter pending), not 1"
[ "$(counter approved)" = 1 ] || fail "approved=$(counter approved), not 1"
[ "$(counter caught_up)" = 5 ] || fail "caught_up=$(counter caught_up), not 5"
[ "$(counter received)" = 5 ] || fail "received=$(counter received), not 5 live"
[ "$(counter missed)" = 0 ] || fail "missed=$(counter missed)"
[ "$(spooled)" = 10 ] || fail "$(spooled) records: an item was spooled twice"

# Second run: the subscription stands; items arrive live at once.
lines=$(wc -l < "$work/gridgate.log")
gg_start
wait_for 15 sh -c "tail -n +$((lines + 1)) '$work/gridgate.log' | grep -q 'sub: subscribed to $topic on'" ||
	fail "second run did not find its subscription"
drop_docs 5 again
wait_for 15 spooled_is 15 || fail "$(spooled) of 15 items in the second run"
sleep 1.2
gg_stop || fail "stop"
tail -n +$((lines + 1)) "$work/gridgate.log" | grep -q "subscription pending" && fail "pending in the second run"
[ "$(counter pending)" = 0 ] || fail "pending=$(counter pending) in the second run"
[ "$(counter received)" = 5 ] || fail "received=$(counter received) in the second run, not 5"
[ "$(spooled)" = 15 ] || fail "$(spooled) records after the second run, not 15"
items=$(sqlite3 "$work/state/spool.db" "SELECT count(DISTINCT json_extract(meta, '\$.item'))
	FROM records WHERE source = 'sub' AND json_extract(meta, '\$.topic') = '$topic'")
[ "$items" = 15 ] || fail "$items distinct items, not 15"
echo "ok: $test_name: topic created with authorize, pending reported once, approved by the owner," \
	"5 caught up + 5 live, then 5 live with the subscription kept; once each" \
	"(ejabberd started in ${start_secs} s)"
