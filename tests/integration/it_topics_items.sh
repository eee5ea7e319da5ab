#!/usr/bin/env bash
# it_topics_items.sh: the operator's directed and bulk historic query, `gridgate topics items`,
# against real Prosody and an independent publisher (slixmpp, grid_pub.py): every item in
# publish order with its payload as published (xml:lang, xsi:schemaLocation and a foreign
# prefixed attribute kept: read from the stream's bytes, xml_same.py), --since ID (the items
# after it, pages with --max), --max alone (the most recent), --since TIME (by the documents'
# GenerationTime), --format json (one {"topic","id","payload"} per line), an unknown id.
. "$(dirname "$0")/lib.sh"

items() { # items ARGS...: topics items as the subscriber
	"$GRIDGATE" -c "$work/gridgate.conf" topics items --jid "$GG_SUBSCRIBER_JID" \
		--password-file "$work/subscriber.password" "$@" 2>> "$work/cli.log"
}
ids() { items --list "$@" | grep -v ' items on topic ' | tr '\n' ' ' | sed 's/ $//'; }
pub() { # pub START COUNT TIME [--create]
	/usr/bin/python3 "$top/tests/integration/grid_pub.py" --jid "$GG_GATEWAY_JID" \
		--password-file "$work/gateway.password" --host "$GG_XMPP_HOST" --port "$GG_XMPP_PORT" \
		--ca "$GG_CA_FILE" --service "$GG_PUBSUB_SERVICE" --node "$topic" --out "$work/sent" \
		--window 1 --start "$1" --count "$2" --time "$3" "${@:4}" > /dev/null ||
		fail "grid_pub.py failed"
}

gg_config
mkdir -p "$work/sent" "$work/got"
pub 1 3 2015-07-18T09:00:00-05:00 --create
pub 4 2 2026-01-01T00:00:00Z

items --out "$work/got" --list > "$work/all"
tail -n 1 "$work/all" | grep -qx "5 items on topic $topic at $GG_PUBSUB_SERVICE" ||
	fail "not 5 items: $(tail -3 "$work/cli.log")"
[ "$(head -n 5 "$work/all" | tr '\n' ' ')" = "ev-1 ev-2 ev-3 ev-4 ev-5 " ] ||
	fail "not in publish order: $(cat "$work/all")"
for i in 1 2 3 4 5; do
	/usr/bin/python3 "$top/tests/integration/xml_same.py" "$work/got/ev-$i.xml" "$work/sent/ev-$i.xml" ||
		fail "item ev-$i differs from what was published"
done
[ "$(ids --since ev-3)" = "ev-4 ev-5" ] || fail "--since ev-3: $(ids --since ev-3)"
[ "$(ids --since ev-1 --max 2)" = "ev-2 ev-3" ] || fail "--since ev-1 --max 2: $(ids --since ev-1 --max 2)"
[ "$(ids --max 2)" = "ev-4 ev-5" ] || fail "--max 2: $(ids --max 2)"
# 09:00-05:00 is 14:00Z: a zone is read as such.
[ "$(ids --since 2015-07-18T13:59:59Z)" = "ev-1 ev-2 ev-3 ev-4 ev-5" ] || fail "--since before 14:00Z"
[ "$(ids --since 2015-07-18T09:00:00-05:00)" = "ev-4 ev-5" ] || fail "--since 14:00Z: $(ids --since 2015-07-18T09:00:00-05:00)"

items --format json --since ev-3 > "$work/items.json" || fail "--format json: exit $?"
/usr/bin/python3 - "$work/items.json" "$work/json" "$topic" <<'EOP' || fail "--format json"
import json, os, sys
lines = open(sys.argv[1]).read().splitlines()
os.makedirs(sys.argv[2])
assert [json.loads(l)["id"] for l in lines] == ["ev-4", "ev-5"], lines
for l in lines:
    o = json.loads(l)
    assert list(o) == ["topic", "id", "payload"] and o["topic"] == sys.argv[3], o
    open(os.path.join(sys.argv[2], o["id"] + ".xml"), "w").write(o["payload"])
EOP
for i in 4 5; do
	/usr/bin/python3 "$top/tests/integration/xml_same.py" "$work/json/ev-$i.xml" "$work/sent/ev-$i.xml" ||
		fail "JSON payload of ev-$i differs from what was published"
done

set +e
items --since ev-99 > /dev/null; code=$?
items --format xml > /dev/null; usage=$?
set -e
[ $code = 1 ] && grep -q "item ev-99 is not on topic $topic" "$work/cli.log" ||
	fail "--since an unknown id: exit $code"
[ $usage = 2 ] || fail "--format xml: exit $usage, want 2"
echo "ok: $test_name: 5 items as published, in order; --since ID, --max, --since TIME, json"
