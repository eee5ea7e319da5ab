#!/usr/bin/env bash
# it_export.sh: the HTTPS exporter end to end. An independent publisher (slixmpp) puts N
# public events and one private event on a topic; gridgate's [subscribe:sub] routes them to
# six [export:NAME] outputs, each an HTTPS sink written here (export_sink.py: TLS on
# loopback, certificates made here):
#   a: mutual TLS, a pinned key and a Standard Webhooks signature; it answers 503 + Retry-After first;
#   b: a bearer token, PUT, slow answers; gridgate is SIGKILLed while b receives, and b is
#      down (process stopped) while more events are published;
#   c: allow_restricted; it answers 400 (permanent) until told otherwise, so its dead letters
#      fill while a and b keep delivering; `gridgate spool retry c` then drains them;
#   d: format = iodef-json, allow_restricted: every body is RFC 8727 JSON, valid for ajv
#      against the final draft's schema (tests/iodef_json/validate.js), and says what the
#      published XML says (iodef_json_same.py);
#   e: format = json, topics = (another, the test's): every envelope names its topic and item;
#   f: topics = another topic only: it gets nothing, every record filtered for it.
# Every public event reaches a and b, and everything reaches c, exactly once by
# Idempotency-Key; the private event never reaches a or b; no request fails a sink's checks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

N=${EXPORT_EVENTS:-200}
half=$((N / 2))
sinks=()
stop_sinks() { for p in "${sinks[@]}"; do kill "$p" 2> /dev/null || true; done; }
trap 'status=$?; stop_sinks; (exit $status); cleanup' EXIT

make_certs "$work/certs" || fail "certificates"
umask 077
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" > "$work/secret"
head -c 24 /dev/urandom | base64 > "$work/token"
# a pins the sink's public key (SPKI SHA-256, base64), as an operator would from its certificate.
pin=$(openssl x509 -in "$work/certs/server.crt" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
declare -A port pid
for s in a b c d e f; do port[$s]=$(free_port) || fail "no free port"; done
mkdir "$work/json-d" "$work/env-e"

sink() { # sink NAME ARGS...: (re)starts sink NAME
	/usr/bin/python3 "$top/tests/integration/export_sink.py" --port "${port[$1]}" \
		--cert "$work/certs/server.crt" --key "$work/certs/server.key" \
		--log "$work/got-$1" --control "$work/ctl-$1" "${@:2}" 2>> "$work/sink-$1.err" &
	pid[$1]=$!
	sinks+=("$!")
	wait_for 10 port_bound tcp "${port[$1]}" || fail "sink $1 does not listen"
}
start_a() { sink a --client-ca "$work/certs/ca.crt" --secret "$work/secret"; }
start_b() { sink b --token "$work/token" --delay 0.05; }
keys() { [ -f "$work/got-$1" ] && sort -u "$work/got-$1" | wc -l || echo 0; }
keys_at_least() { [ "$(keys "$1")" -ge "$2" ]; }
dead() { "$GRIDGATE" -c "$work/gridgate.conf" spool refused 100000 --output "$1" | wc -l; }
dead_is() { [ "$(dead "$1")" = "$2" ]; }
pub() { # pub START COUNT [grid_pub.py options]
	/usr/bin/python3 "$top/tests/integration/grid_pub.py" --jid "$GG_GATEWAY_JID" \
		--password-file "$work/gateway.password" --host "$GG_XMPP_HOST" \
		--port "$GG_XMPP_PORT" --ca "$GG_CA_FILE" --service "$GG_PUBSUB_SERVICE" \
		--node "$topic-in" --start "$1" --count "$2" "${@:3}" > /dev/null ||
		fail "grid_pub.py failed"
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
topics = $topic-in
reconnect_min = 100ms
outputs = a, b, c, d, e, f
[export:a]
url = https://localhost:${port[a]}/events
ca_file = $work/certs/ca.crt
client_cert = $work/certs/client.crt
client_key = $work/certs/client.key
secret_file = $work/secret
pin_sha256 = $pin
concurrency = 4
retry_max = 2s
[export:b]
url = https://localhost:${port[b]}/events
method = PUT
ca_file = $work/certs/ca.crt
token_file = $work/token
concurrency = 4
retry_max = 2s
[export:c]
url = https://localhost:${port[c]}/events
ca_file = $work/certs/ca.crt
allow_restricted = yes
concurrency = 4
[export:d]
url = https://localhost:${port[d]}/events
ca_file = $work/certs/ca.crt
allow_restricted = yes
format = iodef-json
[export:e]
url = https://localhost:${port[e]}/events
ca_file = $work/certs/ca.crt
allow_restricted = yes
format = json
topics = other-topic, $topic-in
[export:f]
url = https://localhost:${port[f]}/events
ca_file = $work/certs/ca.crt
allow_restricted = yes
topics = other-topic
EOC
"$GRIDGATE" -c "$work/gridgate.conf" check-config > /dev/null || fail "check-config"

echo "503 1" > "$work/ctl-a"
echo 400 > "$work/ctl-c"
start_a
start_b
sink c
sink d --json-dir "$work/json-d"
sink e --envelope-dir "$work/env-e"
sink f
pub 1 "$half" --create
pub 1 1 --prefix secret --restriction private
gg_start
# b answers one request per 50 ms on each of 4 connections: kill gridgate while it receives.
wait_for 30 keys_at_least b 20 || fail "b got $(keys b) events"
# a's first answer (503) is logged before the kill: under ASan, with four endpoints starting
# at once, a's mutual-TLS handshake once came after b's twentieth event.
wait_for 5 grep -q 503 "$work/gridgate.log" || fail "no 503 logged for a"
kill -KILL "$gg_pid"
wait "$gg_pid" 2> /dev/null || true
gg_pid=""
[ "$(keys b)" -lt "$half" ] || fail "b had every event before the kill: nothing was mid-delivery"
[ "$(keys a)" = 0 ] || fail "a answered 503 and still recorded $(keys a) events"
grep -q "503" "$work/gridgate.log" || fail "no 503 logged for a"

# a recovers; b is down while gridgate restarts and the second half is published.
: > "$work/ctl-a"
kill "${pid[b]}"
wait "${pid[b]}" 2> /dev/null || true
gg_start
pub $((half + 1)) $((N - half))
sleep 1
start_b
wait_for 60 keys_at_least a "$N" || fail "a got $(keys a) of $N events"
wait_for 60 keys_at_least b "$N" || fail "b got $(keys b) of $N events"
wait_for 30 dead_is c $((N + 1)) || fail "c has $(dead c) dead letters, not $((N + 1))"
wait_for 30 keys_at_least d $((N + 1)) || fail "d got $(keys d) of $((N + 1)) events"
dead_is a 0 || fail "a has dead letters"
dead_is b 0 || fail "b has dead letters"
"$GRIDGATE" -c "$work/gridgate.conf" spool refused 1 --output c | grep -q "reason=HTTP 400 from" ||
	fail "c's dead letter does not say 400"

# c is fixed: its dead letters go again and arrive.
: > "$work/ctl-c"
"$GRIDGATE" -c "$work/gridgate.conf" spool retry c | grep -q "^$((N + 1)) dead letter" ||
	fail "spool retry c"
wait_for 30 keys_at_least c $((N + 1)) || fail "c got $(keys c) of $((N + 1)) after retry"
dead_is c 0 || fail "c still has dead letters"
gg_stop || fail "stop"

# Exactly the records the subscriber spooled, once each by key; the private one only at c.
db=$work/state/spool.db
is_private="CAST(payload AS TEXT) LIKE '%>secret-1<%'"
sqlite3 "$db" "SELECT id FROM records WHERE source = 'sub' AND NOT $is_private" |
	sort > "$work/want-public"
private=$(sqlite3 "$db" "SELECT id FROM records WHERE source = 'sub' AND $is_private")
[ -n "$private" ] || fail "the private event was not spooled"
[ "$(wc -l < "$work/want-public")" = "$N" ] || fail "$(wc -l < "$work/want-public") public records"
for s in a b; do
	sort -u "$work/got-$s" | cmp -s - "$work/want-public" || fail "$s did not get exactly the $N public records"
	! grep -qx "$private" "$work/got-$s" || fail "the private event reached $s"
done
{ cat "$work/want-public"; echo "$private"; } | sort | cmp -s - <(sort -u "$work/got-c") ||
	fail "c did not get exactly the $((N + 1)) records"
sort -u "$work/got-d" | cmp -s - <(sort -u "$work/got-c") || fail "d did not get what c got"
# d's bodies: valid IODEF-JSON for ajv, and each the JSON of the document the spool holds.
GG_NODE_MODULES=${GG_NODE_MODULES:-${XDG_CACHE_HOME:-$HOME/.cache}/gridgate/node/node_modules} \
	node "$top/tests/iodef_json/validate.js" "$top/tests/data/iodef-json/jsoniodef-14-schema.json" \
	"$work"/json-d/*.json > "$work/ajv.out" 2>&1 || fail "ajv: $(tail -3 "$work/ajv.out")"
/usr/bin/python3 "$top/tests/integration/iodef_json_same.py" "$db" "$work/json-d" ||
	fail "d's JSON does not say what the published XML says"
# e (format = json, topics = ... $topic-in): every event, each envelope naming its topic and
# its own item id; f (topics = other-topic) none: each record filtered for it.
sort -u "$work/got-e" | cmp -s - <(sort -u "$work/got-c") || fail "e did not get what c got"
/usr/bin/python3 - "$work/env-e" "$topic-in" $((N + 1)) <<'EOP' || fail "e's envelopes"
import json, os, sys
d, topic, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
items = set()
for name in os.listdir(d):
    env = json.load(open(os.path.join(d, name)))
    assert env["topic"] == topic, env.get("topic")
    assert env["source"] == "sub" and env["received"].endswith("Z"), env
    items.add(env["item"])
assert len(items) == want, (len(items), want)
EOP
[ ! -s "$work/got-f" ] || fail "f, for another topic, got $(wc -l < "$work/got-f") events"
[ "$(sqlite3 "$db" "SELECT count(*) FROM deliveries WHERE output = 'f' AND state = 1")" = $((N + 1)) ] ||
	fail "f's deliveries are not all done (filtered)"
for s in a b c d e f; do
	[ ! -s "$work/got-$s.bad" ] || fail "sink $s refused requests: $(head -3 "$work/got-$s.bad")"
done
# Kept from a and b, the private record is done for them (filtered), not waiting. Which run
# filtered it depends on where catch-up put it, so the spool says it, not one run's counters.
[ "$(sqlite3 "$db" "SELECT group_concat(d.output || d.state, ' ') FROM deliveries d JOIN records r
	ON r.seq = d.seq WHERE r.id = '$private' ORDER BY d.output")" = "a1 b1 c1 d1 e1 f1" ] ||
	fail "the private record's deliveries are not done for a, b, c and d"
[ "$(counter c filtered)" = 0 ] || fail "c filtered $(counter c filtered)"
[ "$(counter b retried)" -ge 1 ] || fail "b retried nothing while it was down"
dups_b=$(($(wc -l < "$work/got-b") - N))
echo "ok: $test_name: $N events once each by key at a (mTLS+HMAC, 503 first) and b (bearer, SIGKILL, down), private kept from both; c: $((N + 1)) dead letters, drained by spool retry; d: $((N + 1)) IODEF-JSON bodies, ajv-valid, equal to the XML; b saw $dups_b resend(s)"
