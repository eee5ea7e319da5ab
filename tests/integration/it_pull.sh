#!/usr/bin/env bash
# it_pull.sh: the pull API ([pull:NAME]) against real Prosody, with an independent publisher
# (slixmpp, grid_pub.py) and curl as the consumer over HTTPS: 25 items paged through with
# limit=10 (10, 10, 5; next and more), each once, in publish order, payloads as published
# (xml:lang, xsi:schemaLocation, a foreign prefixed attribute: xml_same.py); the default page;
# after; then every refusal: no token and a wrong one 401 (WWW-Authenticate), a topic not
# served 404, a served topic the controller lacks 404, a cursor gone 410, bad limits and
# unknown arguments 400, POST 405 (Allow: GET), and 503 with Retry-After from a listener
# whose session cannot come up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

port=$(free_port) || fail "no free port"
down_port=$(free_port) || fail "no free port"
dead_xmpp=$(free_port) || fail "no free port"
make_certs "$work/certs" || fail "could not make certificates"
c=$work/certs
token=pull-$$-secret
printf '%s\n' "$token" > "$work/token"
count=25

gg_config
mkdir -p "$work/sent"
/usr/bin/python3 "$top/tests/integration/grid_pub.py" --jid "$GG_GATEWAY_JID" \
	--password-file "$work/gateway.password" --host "$GG_XMPP_HOST" \
	--port "$GG_XMPP_PORT" --ca "$GG_CA_FILE" --service "$GG_PUBSUB_SERVICE" --node "$topic" \
	--out "$work/sent" --create --count "$count" > /dev/null || fail "grid_pub.py failed"

cat >> "$work/gridgate.conf" <<EOC
[pull:api]
listen = 127.0.0.1:$port
tls_cert = $c/server.crt
tls_key = $c/server.key
token_file = $work/token
topics = $topic, $topic-absent
limit = 30
max_limit = 30
jid = $GG_SUBSCRIBER_JID
password_file = $work/subscriber.password
host = $GG_XMPP_HOST
port = $GG_XMPP_PORT
ca_file = $GG_CA_FILE
pubsub_service = $GG_PUBSUB_SERVICE
iq_timeout = 5s
[pull:down]
listen = 127.0.0.1:$down_port
tls_cert = $c/server.crt
tls_key = $c/server.key
token_file = $work/token
topics = $topic
jid = $GG_SUBSCRIBER_JID
password_file = $work/subscriber.password
host = 127.0.0.1
port = $dead_xmpp
ca_file = $GG_CA_FILE
pubsub_service = $GG_PUBSUB_SERVICE
EOC
"$GRIDGATE" -c "$work/gridgate.conf" check-config > /dev/null || fail "check-config refuses the config"
gg_start
listening() { port_bound tcp "$port" && port_bound tcp "$down_port"; }
wait_for 20 listening || fail "gridgate does not listen on $port and $down_port"

# [TOKEN=T] get EXPECTED URL-TAIL [curl options...]: GET https://localhost:PORT/v1/URL-TAIL
# with the token (TOKEN= none), checks the status; the body is in $work/out, the headers in
# $work/headers.
get() {
	local want=$1 tail=$2 code tok=${TOKEN-$token}
	shift 2
	code=$(curl -s --cacert "$c/ca.crt" -o "$work/out" -D "$work/headers" -w '%{http_code}' \
		${tok:+-H "Authorization: Bearer $tok"} "$@" \
		"https://localhost:${GET_PORT:-$port}/v1/$tail") || fail "curl failed on $tail"
	[ "$code" = "$want" ] || fail "GET $tail: status $code, want $want: $(head -c 300 "$work/out")"
}

# The session comes up after the listener: a 503 until then is what a client sees and retries.
wait_for 20 bash -c "code=\$(curl -s --cacert '$c/ca.crt' -o /dev/null -w '%{http_code}' \
	-H 'Authorization: Bearer $token' 'https://localhost:$port/v1/topics/$topic/items?limit=1'); \
	[ \"\$code\" = 200 ]" || fail "no 200 within 20 s"

# Pages of 10: the cursor is the previous answer's next.
mkdir -p "$work/got"
after= pages=0
while :; do
	get 200 "topics/$topic/items?limit=10${after:+&after=$after}"
	pages=$((pages + 1))
	cp "$work/out" "$work/page-$pages.json"
	after=$(/usr/bin/python3 - "$work/out" "$work/got" "$topic" <<'EOP'
import json, os, sys
page = json.load(open(sys.argv[1]))
assert list(page) == ["topic", "items", "next", "more"], page.keys()
assert page["topic"] == sys.argv[3], page["topic"]
for it in page["items"]:
    assert list(it) == ["id", "payload"], it.keys()
    path = os.path.join(sys.argv[2], it["id"] + ".xml")
    assert not os.path.exists(path), "item %s twice" % it["id"]
    open(path, "w").write(it["payload"])
    with open(os.path.join(sys.argv[2], "order"), "a") as f:
        f.write(it["id"] + "\n")
if page["items"]:
    assert page["next"] == page["items"][-1]["id"], page["next"]
print(page["next"] if page["more"] else "")
EOP
) || fail "page $pages: $(head -c 300 "$work/out")"
	[ -n "$after" ] || break
	[ $pages -lt 10 ] || fail "more than 10 pages"
done
[ $pages = 3 ] || fail "$pages pages of 10 for $count items, want 3"
[ "$(tr '\n' ' ' < "$work/got/order")" = "$(seq -f 'ev-%g' 1 $count | tr '\n' ' ')" ] ||
	fail "not every item once in publish order: $(tr '\n' ' ' < "$work/got/order")"
for i in $(seq 1 $count); do
	/usr/bin/python3 "$top/tests/integration/xml_same.py" "$work/got/ev-$i.xml" "$work/sent/ev-$i.xml" ||
		fail "item ev-$i differs from what was published"
done

# ids TAIL: the ids of a page, then next and more.
ids() {
	get 200 "$1"
	/usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1]));
print(" ".join(i["id"] for i in p["items"]), p["next"], p["more"])' "$work/out"
}
[ "$(ids "topics/$topic/items?after=ev-22")" = "ev-23 ev-24 ev-25 ev-25 False" ] ||
	fail "after=ev-22: $(ids "topics/$topic/items?after=ev-22")"
[ "$(ids "topics/$topic/items?after=ev-25")" = " ev-25 False" ] ||
	fail "after the last: $(ids "topics/$topic/items?after=ev-25")"
[ "$(ids "topics/$topic/items?limit=2&after=ev-3")" = "ev-4 ev-5 ev-5 True" ] ||
	fail "limit=2&after=ev-3: $(ids "topics/$topic/items?limit=2&after=ev-3")"
# The default page (limit = 30 here) holds all 25.
get 200 "topics/$topic/items"
[ "$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$work/out")" = $count ] ||
	fail "the default page does not hold the $count items"

# Refusals.
TOKEN= get 401 "topics/$topic/items"
grep -qi '^WWW-Authenticate: Bearer' "$work/headers" || fail "401 without WWW-Authenticate"
TOKEN=wrong-$token get 401 "topics/$topic/items"
get 404 "topics/not-$topic/items"
get 404 "topics/$topic-absent/items"
get 404 "topics/$topic"
get 410 "topics/$topic/items?after=ev-99"
get 400 "topics/$topic/items?limit=0"
get 400 "topics/$topic/items?limit=abc"
get 400 "topics/$topic/items?limit=31"
get 400 "topics/$topic/items?limit=-1"
get 400 "topics/$topic/items?after="
get 400 "topics/$topic/items?since=ev-1"
get 400 "topics/$topic/items?limit=2&limit=3"
get 405 "topics/$topic/items" -X POST -d x
grep -qi '^Allow: GET' "$work/headers" || fail "405 without Allow: GET"
GET_PORT=$down_port get 503 "topics/$topic/items"
grep -qi '^Retry-After: [1-9]' "$work/headers" || fail "503 without Retry-After"

gg_stop || fail "gridgate did not stop cleanly"
grep -q 'api: stopped: .*pages=' "$work/gridgate.log" || fail "no counters at the stop"
echo "ok: $test_name: $count items in 3 pages, once each, in order, as published; after, limits, 400/401/404/405/410/503"
