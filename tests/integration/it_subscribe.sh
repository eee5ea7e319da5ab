#!/usr/bin/env bash
# it_subscribe.sh: the subscriber input against real Prosody, with an independent publisher
# (slixmpp, grid_pub.py). Items published before gridgate starts are caught up, live ones
# arrive as events, items published while it is stopped arrive after it starts, none is
# spooled twice (same record id, seen ids), and every spooled payload keeps the namespaces of
# xml:lang, xsi:schemaLocation and a foreign prefixed attribute (xml_same.py: namespace URIs,
# not prefixes, which Prosody rewrites). A topic that does not exist yet when gridgate starts is
# subscribed to once it is created (asked again every check_interval). Subscribing to a topic
# its records would be published to is refused.
. "$(dirname "$0")/lib.sh"

pub() { # pub START COUNT [--create]: to $node
	/usr/bin/python3 "$top/tests/integration/grid_pub.py" --jid "$GG_GATEWAY_JID" \
		--password-file "$work/gateway.password" --host "$GG_XMPP_HOST" --port "$GG_XMPP_PORT" \
		--ca "$GG_CA_FILE" --service "$GG_PUBSUB_SERVICE" --node "$node" --out "$work/sent" \
		--start "$1" --count "$2" "${@:3}" > /dev/null || fail "grid_pub.py failed"
}
spooled() { sqlite3 "$work/state/spool.db" "SELECT count(*) FROM records WHERE source = 'sub'" 2> /dev/null; }
spooled_is() { [ "$(spooled)" = "$1" ]; }
counter() { grep -o "sub: stopped: .*" "$work/gridgate.log" | tail -1 | tr ' ' '\n' | sed -n "s/^$1=//p"; }

gg_config
node=$topic-in
mkdir -p "$work/sent"
cat >> "$work/gridgate.conf" <<EOC
[subscribe:sub]
jid = $GG_SUBSCRIBER_JID
password_file = $work/subscriber.password
host = $GG_XMPP_HOST
port = $GG_XMPP_PORT
ca_file = $GG_CA_FILE
pubsub_service = $GG_PUBSUB_SERVICE
topics = $topic-in
check_interval = 1s
reconnect_min = 100ms
EOC

pub 1 20 --create
gg_start
wait_for 20 spooled_is 20 || fail "caught up $(spooled) of 20 items published before the start"
pub 21 30
wait_for 20 spooled_is 50 || fail "$(spooled) of 50 items after 30 live ones"
gg_stop || fail "stop"
[ "$(counter caught_up)" = 20 ] || fail "caught_up=$(counter caught_up), not 20"
[ "$(counter received)" = 30 ] || fail "received=$(counter received), not 30 live"
[ "$(counter missed)" = 0 ] || fail "missed=$(counter missed) with nothing lost"

pub 51 10
gg_start
wait_for 20 spooled_is 60 || fail "$(spooled) of 60 items after a stop and 10 more"
sleep 1.5 # one loss check: it must find nothing missing and spool nothing twice
gg_stop || fail "stop"
[ "$(counter caught_up)" = 10 ] || fail "caught_up=$(counter caught_up) after the restart, not 10"
[ "$(spooled)" = 60 ] || fail "$(spooled) records: an item was spooled twice"

mkdir -p "$work/got"
sqlite3 "$work/state/spool.db" "SELECT id FROM records WHERE source = 'sub'" > "$work/ids"
while read -r id; do
	sqlite3 "$work/state/spool.db" "SELECT payload FROM records WHERE id = '$id'" > "$work/got/$id.xml"
	name=$(sed -n 's/.*<IncidentID name="csirt.example.com">\([^<]*\)<.*/\1/p' "$work/got/$id.xml")
	[ -f "$work/sent/$name.xml" ] || fail "record $id is no item that was sent ($name)"
	/usr/bin/python3 "$top/tests/integration/xml_same.py" "$work/got/$id.xml" "$work/sent/$name.xml" ||
		fail "record $id differs from what was published"
	echo "$name"
done < "$work/ids" | sort -u | wc -l | grep -qx 60 || fail "not 60 distinct items"
# Each record keeps its event's topic and item id for the outputs (the JSON envelope, topics =).
items=$(sqlite3 "$work/state/spool.db" "SELECT count(DISTINCT json_extract(meta, '\$.item'))
	FROM records WHERE source = 'sub' AND json_extract(meta, '\$.topic') = '$topic-in'")
[ "$items" = 60 ] || fail "$items records say their topic and a distinct item id, not 60"

# A topic created after the start: the subscription is refused (item-not-found), asked again at
# the next check, and what was published before it took is caught up.
node=$topic-late
sed -i "s/^topics = $topic-in\$/topics = $node/" "$work/gridgate.conf"
gg_start
wait_for 10 grep -q "sub: topic $node: .*(asked again every check_interval)" "$work/gridgate.log" ||
	fail "no refused subscription to a missing topic logged"
pub 61 5 --create
wait_for 10 spooled_is 65 || fail "$(spooled) of 65 items after a topic created late"
gg_stop || fail "stop"
grep -q "sub: subscribed to $node on" "$work/gridgate.log" || fail "the topic created late was never subscribed to"
# The route loop: a subscribed topic that an output it is routed to publishes to is refused
# with file:line.
sed -i "s/^topics = $node\$/topics = $node, $topic/" "$work/gridgate.conf"
"$GRIDGATE" -c "$work/gridgate.conf" run > "$work/loop.log" 2>&1 && fail "a route loop was accepted"
grep -q "gridgate.conf:[0-9]*: \[subscribe:sub\] topics = .*topic $topic is the one output grid (\[xmpp\]) publishes to" \
	"$work/loop.log" || fail "route loop not named: $(cat "$work/loop.log")"
echo "ok: $test_name: 60 items, caught up before start and after a stop, live, once each, namespaces kept; a topic created late subscribed to"
