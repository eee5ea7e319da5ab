#!/usr/bin/env bash
# The webhook input with curl as the sender, over HTTPS with certificates made here: every
# answer of issue 10 (202 with ids only after the commit, 400 naming the offset or index with
# nothing of the request spooled, 401/403, 404, 405, 411, 413 before and while reading, 415,
# 429 + Retry-After, 503 + Retry-After while the spool is full), bearer, Standard Webhooks and
# GitHub HMAC, client certificates (good, none, foreign), idempotent retries (of an Alertmanager
# notification too, whose two alerts are two items in the 202), and accepted records on the
# topic. Runs in about 15 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

port=$(free_port) || fail "no free port"
plain_port=$(free_port) || fail "no free port"
make_certs "$work/certs" || fail "could not make certificates"
c=$work/certs
token=tok-$$-secret
printf '%s\n' "$token" > "$work/token"
secret_b64=$(head -c 24 /dev/urandom | base64)
printf 'whsec_%s\n' "$secret_b64" > "$work/whsec"
gh_secret=gh-$$-secret
printf '%s\n' "$gh_secret" > "$work/ghsecret"

webhook_config() {
	gg_config
	cat >> "$work/gridgate.conf" <<EOC
[webhook:hooks]
listen = 127.0.0.1:$port
tls_cert = $c/server.crt
tls_key = $c/server.key
tls_client_ca = $c/ca.crt
max_body_size = 4k
max_depth = 8
timeout = 5s
[webhook:plain]
listen = 127.0.0.1:$plain_port
tls = no
rate_limit = 1
rate_burst = 2
[webhook_route:bearer]
webhook = hooks
path = /bearer
auth = bearer
mappings = suricata-eve
token_file = $work/token
[webhook_route:am]
webhook = hooks
path = /alertmanager
auth = bearer
mappings = alertmanager
token_file = $work/token
[webhook_route:hmac]
webhook = hooks
path = /hmac
auth = hmac
secret_file = $work/whsec
[webhook_route:github]
webhook = hooks
path = /github
auth = hmac
secret_file = $work/ghsecret
[webhook_route:cert]
webhook = hooks
path = /cert
auth = client_cert
[webhook_route:open]
webhook = plain
path = /open
auth = none
EOC
}
webhook_config
"$GRIDGATE" -c "$work/gridgate.conf" check-config > /dev/null || fail "check-config refuses the config"
# A token file no request could match is refused with the configuration, not at the start:
# empty, two lines, a blank in the token; a missing one too.
cp "$work/token" "$work/token.good"
for bad in '\n' 'one\ntwo\n' 'tok en\n'; do
	printf "$bad" > "$work/token"
	"$GRIDGATE" -c "$work/gridgate.conf" check-config > "$work/check.out" 2>&1 &&
		fail "check-config took the token file $bad"
	grep -q 'gridgate.conf:[0-9]*: \[webhook_route:bearer\] token_file = ' "$work/check.out" ||
		fail "the refusal does not name the line: $(cat "$work/check.out")"
done
rm "$work/token"
"$GRIDGATE" -c "$work/gridgate.conf" check-config > "$work/check.out" 2>&1 &&
	fail "check-config took a missing token file"
grep -q 'No such file' "$work/check.out" || fail "a missing token file: $(cat "$work/check.out")"
cp "$work/token.good" "$work/token"
gg_start
listening() { port_bound tcp "$port" && port_bound tcp "$plain_port"; }
wait_for 30 listening || fail "gridgate does not listen on $port and $plain_port"

url=https://localhost:$port
n=0
# [CT=TYPE] post EXPECTED PATH [curl options...]: POSTs (Content-Type: application/json unless
# CT says), checks the status; the answer is in $work/out, its headers in $work/headers.
post() {
	local want=$1 path=$2 got
	shift 2
	n=$((n + 1))
	got=$(curl -s --cacert "$c/ca.crt" -o "$work/out" -D "$work/headers" -w '%{http_code}' \
		-H "Content-Type: ${CT:-application/json}" "$@" "$url$path") || true
	[ "$got" = "$want" ] || fail "request $n to $path: $got, expected $want: $(cat "$work/out")"
}
bearer=(-H "Authorization: Bearer $token")
# Records in the spool, published or not, from one reading (two could count a record that
# was published in between twice).
records() {
	"$GRIDGATE" -c "$work/gridgate.conf" spool stats | head -n 1 | tr ' ' '\n' |
		awk -F= '$1 == "pending" || $1 == "published" { n += $2 } END { print n }'
}
accepted=0

# 202 with the ids, one object and an array of two.
post 202 /bearer "${bearer[@]}" --data-binary '{"alert":"one","host":"10.0.0.5"}'
grep -q '"status":202,"items":\[{"index":0,"id":"[0-9a-f]\{32\}","outcome":"accepted"}' "$work/out" \
	|| fail "202 body: $(cat "$work/out")"
post 202 /bearer "${bearer[@]}" --data-binary '[{"a":1},{"a":2,"nested":{"x":[1,2]}}]'
[ "$(grep -o '"id"' "$work/out" | wc -l)" = 2 ] || fail "array: $(cat "$work/out")"
# NDJSON, with a blank line and CRLF.
CT=application/x-ndjson post 202 /bearer "${bearer[@]}" \
	--data-binary $'{"n":1}\r\n\n{"n":2}\n{"n":3}\n'
[ "$(grep -o '"id"' "$work/out" | wc -l)" = 3 ] || fail "ndjson: $(cat "$work/out")"
accepted=$((accepted + 6))

# Idempotent retry: the same key and body, the same ids, stored once.
before=$(records)
post 202 /bearer "${bearer[@]}" -H 'Idempotency-Key: retry-1' --data-binary '{"k":"v"}'
cp "$work/out" "$work/first"
post 202 /bearer "${bearer[@]}" -H 'Idempotency-Key: retry-1' --data-binary '{"k":"v"}'
cmp -s "$work/first" "$work/out" || fail "retry answered other ids: $(cat "$work/first") vs $(cat "$work/out")"
[ "$(records)" = $((before + 1)) ] || fail "retry stored twice: $before -> $(records)"
accepted=$((accepted + 1))

# An object an `each` mapping explodes: one item per alert, "ID-0" and "ID-1", all listed;
# retried, the same ids and nothing stored twice.
before=$(records)
am_body=$top/tests/mappings/alertmanager/group-firing-resolved.log
post 202 /alertmanager "${bearer[@]}" -H 'Idempotency-Key: am-1' --data-binary @"$am_body"
grep -q '^{"status":202,"items":\[{"index":0,"id":"\([0-9a-f]\{32\}\)-0","outcome":"accepted"},{"index":0,"id":"\1-1","outcome":"accepted"}\]}$' \
	"$work/out" || fail "exploded 202: $(cat "$work/out")"
cp "$work/out" "$work/first"
post 202 /alertmanager "${bearer[@]}" -H 'Idempotency-Key: am-1' --data-binary @"$am_body"
cmp -s "$work/first" "$work/out" || fail "exploded retry: $(cat "$work/first") vs $(cat "$work/out")"
[ "$(records)" = $((before + 2)) ] || fail "exploded retry: $before -> $(records) records"
accepted=$((accepted + 2))

# 400: all or nothing, with the offset or the index.
before=$(records)
post 400 /bearer "${bearer[@]}" --data-binary '[{"a":1},{"b":2},3]'
grep -q '"index":2' "$work/out" || fail "400 does not name index 2: $(cat "$work/out")"
post 400 /bearer "${bearer[@]}" --data-binary '{"a":1,}'
grep -q '"offset":7' "$work/out" || fail "400 does not name offset 7: $(cat "$work/out")"
post 400 /bearer "${bearer[@]}" --data-binary $'{"a":"\xff\xfe"}'
CT=application/x-ndjson post 400 /bearer "${bearer[@]}" \
	--data-binary $'{"ok":1}\n{"broken":\n'
grep -q '"index":1' "$work/out" || fail "ndjson 400 does not name object 1: $(cat "$work/out")"
post 400 /bearer "${bearer[@]}" --data-binary '[[[[[[[[[[{}]]]]]]]]]]'
grep -q 'depth' "$work/out" || fail "deep body: $(cat "$work/out")"
[ "$(records)" = "$before" ] || fail "a refused request left records: $before -> $(records)"

# 401/403 (bearer), 404, 405, 411, 413 (length and chunked), 415.
post 401 /bearer --data-binary '{}'
grep -qi '^WWW-Authenticate: Bearer realm="gridgate"' "$work/headers" || fail "401 without a Bearer challenge"
# Other credentials, or "Bearer" and no token, are no bearer token: 401 too.
post 401 /bearer -u user:password --data-binary '{}'
post 401 /bearer -H 'Authorization: Bearer ' --data-binary '{}'
post 403 /bearer -H 'Authorization: Bearer wrong' --data-binary '{}'
# A flood of wrong tokens cannot write the log full: at most 5 lines a second, the rest
# counted and said (at the latest when the listener stops).
before_lines=$(grep -c 'wrong bearer token' "$work/gridgate.log")
urls=(); for _ in $(seq 40); do urls+=("$url/bearer"); done
curl -s -Z --parallel-max 20 --cacert "$c/ca.crt" -H 'Authorization: Bearer wrong' \
	-H 'Content-Type: application/json' --data-binary '{}' -o /dev/null "${urls[@]}" || true
[ $(($(grep -c 'wrong bearer token' "$work/gridgate.log") - before_lines)) -le 15 ] ||
	fail "40 wrong tokens wrote $(($(grep -c 'wrong bearer token' "$work/gridgate.log") - before_lines)) lines"
grep -q "$token" "$work/gridgate.log" && fail "the token is in the log"
post 404 /nowhere "${bearer[@]}" --data-binary '{}'
post 405 /bearer "${bearer[@]}" -X GET
post 411 /bearer "${bearer[@]}" -X POST
head -c 5000 /dev/zero | tr '\0' ' ' > "$work/big"
post 413 /bearer "${bearer[@]}" --data-binary @"$work/big"
post 413 /bearer "${bearer[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$work/big"
CT=text/plain post 415 /bearer "${bearer[@]}" --data-binary '{}'
# Coded bodies, as log shippers compress them: gzip and deflate are decoded (each decoded
# record listed), up to max_body_size decoded; another coding is refused for its coding, with
# what is accepted, not as broken JSON.
printf '{"z":1}\n{"z":2}\n' | gzip > "$work/body.gz"
CT=application/x-ndjson post 202 /bearer "${bearer[@]}" -H 'Content-Encoding: gzip' \
	--data-binary @"$work/body.gz"
[ "$(grep -o '"id"' "$work/out" | wc -l)" = 2 ] || fail "gzip: $(cat "$work/out")"
printf '{"z":3}' | python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))' \
	> "$work/body.zz"
post 202 /bearer "${bearer[@]}" -H 'Content-Encoding: deflate' --data-binary @"$work/body.zz"
post 202 /bearer "${bearer[@]}" -H 'Content-Encoding: identity' --data-binary '{"coding":"identity"}'
accepted=$((accepted + 4))
post 415 /bearer "${bearer[@]}" -H 'Content-Encoding: br' --data-binary @"$work/body.gz"
grep -qi '^Accept-Encoding: gzip, deflate' "$work/headers" || fail "br 415: $(cat "$work/headers")"
head -c 20 "$work/body.gz" > "$work/broken.gz" # cut short
post 400 /bearer "${bearer[@]}" -H 'Content-Encoding: gzip' --data-binary @"$work/broken.gz"
grep -q 'Content-Encoding' "$work/out" || fail "broken gzip: $(cat "$work/out")"
head -c 100000 /dev/zero | gzip > "$work/bomb.gz"
post 413 /bearer "${bearer[@]}" -H 'Content-Encoding: gzip' --data-binary @"$work/bomb.gz"
# A byte order mark before the JSON, as Windows tools write files, is skipped.
printf '\xef\xbb\xbf{"bom":1}' > "$work/bom.json"
post 202 /bearer "${bearer[@]}" --data-binary @"$work/bom.json"
accepted=$((accepted + 1))

# Standard Webhooks: signed "id.timestamp.body" with the whsec_ key.
sign() { # sign ID TS BODY
	printf '%s.%s.%s' "$1" "$2" "$3" | openssl dgst -sha256 -mac HMAC \
		-macopt "hexkey:$(printf '%s' "$secret_b64" | base64 -d | od -An -tx1 | tr -d ' \n')" \
		-binary | base64
}
body='{"event":"signed"}'
ts=$(date +%s)
post 202 /hmac -H "webhook-id: msg-1" -H "webhook-timestamp: $ts" \
	-H "webhook-signature: v1,$(sign msg-1 "$ts" "$body")" --data-binary "$body"
accepted=$((accepted + 1))
post 403 /hmac -H "webhook-id: msg-1" -H "webhook-timestamp: $ts" \
	-H "webhook-signature: v1,$(sign msg-1 "$ts" '{"other":1}')" --data-binary "$body"
old=$((ts - 600))
post 403 /hmac -H "webhook-id: msg-2" -H "webhook-timestamp: $old" \
	-H "webhook-signature: v1,$(sign msg-2 "$old" "$body")" --data-binary "$body"
post 401 /hmac --data-binary "$body"
grep -qi '^WWW-Authenticate: webhook-signature' "$work/headers" || fail "401 without a challenge"
# A replay inside the window: the same webhook-id gives the same ids, stored once.
before=$(records)
post 202 /hmac -H "webhook-id: msg-1" -H "webhook-timestamp: $ts" \
	-H "webhook-signature: v1,$(sign msg-1 "$ts" "$body")" --data-binary "$body"
[ "$(records)" = "$before" ] || fail "a replayed signed request was stored again"
# GitHub's form.
gh=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$gh_secret" | sed 's/.*= //')
post 202 /github -H "X-Hub-Signature-256: sha256=$gh" --data-binary "$body"
accepted=$((accepted + 1))
post 403 /github -H "X-Hub-Signature-256: sha256=${gh//a/b}0" --data-binary "$body"

# Client certificates: verified in the handler, whatever the handshake let through.
post 202 /cert --cert "$c/client.crt" --key "$c/client.key" --data-binary '{"by":"cert"}'
accepted=$((accepted + 1))
post 403 /cert --data-binary '{"by":"nobody"}'
post 403 /cert --cert "$c/rogue.crt" --key "$c/rogue.key" --data-binary '{"by":"rogue"}'

# 429 on the plain listener: a burst of 2, then Retry-After.
url=http://127.0.0.1:$plain_port
post 202 /open --data-binary '{"p":1}'
post 202 /open --data-binary '{"p":2}'
post 429 /open --data-binary '{"p":3}'
grep -qi '^Retry-After: [1-9]' "$work/headers" || fail "429 without Retry-After"
accepted=$((accepted + 2))
grep -q 'tls = no' "$work/gridgate.log" && fail "a loopback plain listener was warned about"

# Framing RFC 9112 forbids, which a proxy in front may read otherwise (request smuggling):
# refused at once and the connection closed. raw.py sends the bytes over TLS and prints the
# status line, then "closed" when the server closed the connection within 5 s.
cat > "$work/raw.py" <<'EOP'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
s.settimeout(5)
s.sendall(sys.stdin.buffer.read())
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            got += b"\nclosed"
            break
        got += b
except socket.timeout:
    pass
print(got.split(b"\r\n")[0].decode(), "closed" if got.endswith(b"closed") else "open")
EOP
raw() { python3 "$work/raw.py" "$port" "$c/ca.crt"; }
auth="Authorization: Bearer $token"
[ "$(printf 'POST /bearer HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Type: application/json\r\nContent-Length: 9\r\nContent-Length: 10\r\n\r\n{"dup":1}' "$auth" | raw)" = "HTTP/1.1 400 Bad Request closed" ] ||
	fail "two Content-Length were not refused and closed"
[ "$(printf 'POST /bearer HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n9\r\n{"te":1}\n\r\n0\r\n\r\n' "$auth" | raw)" = "HTTP/1.1 501 Not Implemented closed" ] ||
	fail "a transfer coding other than chunked was not refused at once"
[ "$(printf 'POST /bearer HTTP/1.1\r\n%s\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}' "$auth" | raw)" = "HTTP/1.1 400 Bad Request closed" ] ||
	fail "an HTTP/1.1 request without Host was not refused"
# An encoded NUL does not cut the path: /bearer%00/x is no route (it was served as /bearer).
url=https://localhost:$port
post 404 '/bearer%00/x' --path-as-is "${bearer[@]}" --data-binary '{"nul":1}'
url=http://127.0.0.1:$plain_port

counters_now hooks
[ "$(counter hooks auth_failed)" -ge 47 ] || fail "auth_failed: $(counter hooks auth_failed)"
grep -q 'hooks: [0-9]* more line(s) like these not logged' "$work/gridgate.log" ||
	fail "the wrong tokens left out of the log were not said"
[ "$(counter hooks bad_encoding)" = 2 ] || fail "bad_encoding: $(counter hooks bad_encoding)"
[ "$(counter hooks bad_framing)" = 3 ] || fail "bad_framing: $(counter hooks bad_framing)"

# SIGHUP with a route added to a running listener: the listener and its routes restart
# together (a route alone cannot), the new path answers, the old ones still do.
printf '[webhook_route:added]\nwebhook = hooks\npath = /added\nauth = bearer\ntoken_file = %s\n' \
	"$work/token" >> "$work/gridgate.conf"
kill -HUP "$gg_pid"
wait_for 10 grep -qF "SIGHUP: [webhook:hooks] restarts with its group" "$work/gridgate.log" ||
	fail "the listener did not restart with its new route: $(grep SIGHUP "$work/gridgate.log")"
url=https://localhost:$port
wait_for 10 port_bound tcp "$port" || fail "the listener is not back after SIGHUP"
post 202 /added "${bearer[@]}" --data-binary '{"route":"added"}'
post 202 /bearer "${bearer[@]}" --data-binary '{"route":"kept"}'
accepted=$((accepted + 2))
grep -qF "[webhook:plain]" <(grep SIGHUP "$work/gridgate.log") &&
	fail "the other listener was restarted: $(grep SIGHUP "$work/gridgate.log")"
grep -q 'every input and output unchanged' "$work/gridgate.log" &&
	fail "a SIGHUP that restarted a group said nothing changed"

# A token rotated in its file (same path): SIGHUP puts it in force in place, without
# restarting the listener; the old one is refused from then on.
printf 'rotated-%s\n' "$token" > "$work/token"
restarts=$(grep -c 'restarts with its group' "$work/gridgate.log")
kill -HUP "$gg_pid"
wait_for 10 grep -qF "SIGHUP: [webhook_route:bearer] token_file's file changed: applied in place" \
	"$work/gridgate.log" || fail "the rotated token was not applied: $(grep SIGHUP "$work/gridgate.log")"
[ "$(grep -c 'restarts with its group' "$work/gridgate.log")" = "$restarts" ] ||
	fail "a token rotation restarted the listener"
post 403 /bearer "${bearer[@]}" --data-binary '{"token":"old"}'
bearer=(-H "Authorization: Bearer rotated-$token")
post 202 /bearer "${bearer[@]}" --data-binary '{"token":"rotated"}'
accepted=$((accepted + 1))

counters_now plain
[ "$(counter plain rate_limited)" = 1 ] || fail "rate_limited: $(counter plain rate_limited)"
# Over max_connections a connection is closed as it is accepted (it used to wait in the listen
# backlog until the sender gave up), and counted; once one closes, the next is served.
sed -i "/^listen = 127.0.0.1:$plain_port/a max_connections = 2" "$work/gridgate.conf"
kill -HUP "$gg_pid"
wait_for 10 grep -qF "SIGHUP: [webhook:plain] max_connections changed" "$work/gridgate.log" ||
	fail "max_connections was not applied: $(grep SIGHUP "$work/gridgate.log" | tail -3)"
wait_for 10 port_bound tcp "$plain_port" || fail "the plain listener is not back"
python3 - "$plain_port" <<'EOP' || fail "a connection over max_connections was not closed at once"
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
time.sleep(0.5)
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(3)
try:
    closed = extra.recv(1) == b""
except ConnectionResetError:
    closed = True
except socket.timeout:
    closed = False
sys.exit(0 if closed else 1)
EOP
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$plain_port/open" || fail "not served after the extra connection"

# Everything accepted reaches the topic.
wait_for 30 spool_drained || fail "spool not drained: $(gg_spool_stat pending) pending"
got=$(read_items)
[ "$got" = "$accepted" ] || fail "topic holds $got items, $accepted records were accepted"
gg_stop || fail "gridgate did not stop cleanly"
[ "$(counter plain over_limit)" -ge 1 ] || fail "over_limit: $(counter plain over_limit)"

# 503 while the spool is full: no controller to publish to, max_pending 2. Nothing accepted
# is lost: the next start publishes it.
GG_SPOOL_EXTRA="max_pending = 2" webhook_config
sed -i "s/^port = .*/port = $(free_port)/" "$work/gridgate.conf"
gg_start
wait_for 30 listening || fail "second start does not listen"
url=https://localhost:$port
post 202 /bearer "${bearer[@]}" --data-binary '[{"full":1},{"full":2}]'
post 503 /bearer "${bearer[@]}" --data-binary '{"full":3}'
grep -qi '^Retry-After: [1-9]' "$work/headers" || fail "503 without Retry-After"
accepted=$((accepted + 2))
gg_stop || fail "gridgate did not stop cleanly"
webhook_config
gg_start
wait_for 30 spool_drained || fail "spool not drained after the restart"
got=$(read_items)
[ "$got" = "$accepted" ] || fail "topic holds $got items after the restart, expected $accepted"
echo "ok: $test_name ($accepted records, $n requests)"
