#!/usr/bin/env bash
# Load on the webhook input with the controller stopped for part of it (issue 10 item 8):
# 8 keep-alive clients over TLS post 25 requests of 4 objects each, each request with its own
# Idempotency-Key, and retry every 503 after its Retry-After until it is accepted;
# `max_pending = 100` makes the spool fill while the controller (Prosody, SIGSTOPped for 3 s,
# less than iq_timeout) publishes nothing. At the end the topic holds exactly the ids the 202
# answers listed, each once: zero lost, zero doubled. Loopback only; about 15 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

clients=8 requests=25 objects=4
want=$((clients * requests * objects))
port=$(free_port) || fail "no free port"
make_certs "$work/certs" || fail "could not make certificates"
c=$work/certs
token=tok-$$-load
printf '%s\n' "$token" > "$work/token"

ctl_pid=$(< "$(dirname "$("$top/scripts/controller" env)")/prosody.pid")
[ -n "$ctl_pid" ] && kill -0 "$ctl_pid" || fail "no controller pid"
# The controller is shared: whatever happens, it runs on when this test ends.
trap 'status=$?; kill -CONT "$ctl_pid" 2>/dev/null; (exit $status); cleanup' EXIT

GG_SPOOL_EXTRA="max_pending = 100" gg_config
cat >> "$work/gridgate.conf" <<EOC
[webhook:hooks]
listen = 127.0.0.1:$port
tls_cert = $c/server.crt
tls_key = $c/server.key
[webhook_route:load]
webhook = hooks
path = /bearer
auth = bearer
token_file = $work/token
EOC
gg_start
wait_for 30 port_bound tcp "$port" || fail "gridgate does not listen on $port"
topic_ready() { "$GRIDGATE" -c "$work/gridgate.conf" topics check; }
wait_for 30 topic_ready || fail "topic not ready"

python3 "$top/tests/integration/webhook_peer.py" load "$port" "$c/ca.crt" "$token" \
	"$clients" "$requests" "$objects" "$work/ids" > "$work/load.out" 2>&1 &
load_pid=$!
sleep 1
kill -STOP "$ctl_pid"
sleep 3
kill -CONT "$ctl_pid"
wait "$load_pid" || fail "load: $(cat "$work/load.out")"
busy=$(sed -n 's/.* \([0-9]*\) answered 503.*/\1/p' "$work/load.out")
[ "${busy:-0}" -gt 0 ] || fail "no 503 while the controller was stopped: $(cat "$work/load.out")"

sort "$work/ids" > "$work/ids.sorted"
[ "$(wc -l < "$work/ids.sorted")" = "$want" ] || fail "202 answers listed $(wc -l < "$work/ids.sorted") ids, want $want"
[ "$(sort -u "$work/ids.sorted" | wc -l)" = "$want" ] || fail "an id was listed twice"
wait_for 60 spool_drained || fail "spool not drained: $(gg_spool_stat pending) pending"
got=$(read_items)
[ "$got" = "$want" ] || fail "topic holds $got items, $want were accepted"
(cd "$work/items" && ls) | sed 's/\.xml$//' | sort > "$work/topic.ids"
cmp -s "$work/ids.sorted" "$work/topic.ids" ||
	fail "the topic's items are not the accepted ids: $(comm -3 "$work/ids.sorted" "$work/topic.ids" | head -5)"
gg_stop || fail "gridgate did not stop cleanly"
[ "$(counter hooks busy)" -ge "$busy" ] || fail "busy counter $(counter hooks busy), the clients saw $busy"
echo "ok: $test_name ($(cat "$work/load.out"))"
