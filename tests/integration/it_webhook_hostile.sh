#!/usr/bin/env bash
# The webhook input against senders that misbehave (issue 10 item 7, beyond it_webhook's
# invalid JSON, depth, UTF-8, foreign certificates and replays): a body that stops mid-way,
# huge and hostile strings, a slowloris that trickles its head a byte at a time (never idle:
# request_timeout cuts it off while another request is served), 10,000 connections opened
# and dropped (RSS stays bounded, the next request is served), an expired client
# certificate. Each is refused or cut off, counted, nothing of it spooled, no crash, and the
# other route keeps answering. Runs in about 10 s (15 s under ASan).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

peer() { python3 "$top/tests/integration/webhook_peer.py" "$@"; }
port=$(free_port) || fail "no free port"
make_certs "$work/certs" || fail "could not make certificates"
c=$work/certs
token=tok-$$-secret
printf '%s\n' "$token" > "$work/token"

# A client certificate of the trusted CA that expired in 2020: `openssl ca` sets both dates.
ca=$work/ca
mkdir -p "$ca/new"
: > "$ca/index.txt"
echo 01 > "$ca/serial"
cat > "$ca/ca.cnf" <<EOC
[ca]
default_ca = test
[test]
database = $ca/index.txt
new_certs_dir = $ca/new
serial = $ca/serial
default_md = sha256
policy = any
[any]
commonName = supplied
EOC
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=expired.test \
	-keyout "$c/expired.key" -out "$c/expired.csr" 2>/dev/null &&
	openssl ca -batch -config "$ca/ca.cnf" -cert "$c/ca.crt" -keyfile "$c/ca.key" \
		-startdate 20200101000000Z -enddate 20200201000000Z -notext \
		-in "$c/expired.csr" -out "$c/expired.crt" 2>/dev/null ||
	fail "could not make the expired certificate"

gg_config
cat >> "$work/gridgate.conf" <<EOC
[webhook:hooks]
listen = 127.0.0.1:$port
tls_cert = $c/server.crt
tls_key = $c/server.key
tls_client_ca = $c/ca.crt
max_body_size = 256k
max_connections = 1024
timeout = 30s
request_timeout = 2s
[webhook_route:bearer]
webhook = hooks
path = /bearer
auth = bearer
token_file = $work/token
[webhook_route:cert]
webhook = hooks
path = /cert
auth = client_cert
EOC
# Under ASan, freed memory waits in a 256 MB quarantine: RSS would measure that, not gridgate.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
gg_start
wait_for 30 port_bound tcp "$port" || fail "gridgate does not listen on $port"

url=https://localhost:$port
n=0
post() { # post EXPECTED PATH [curl options...]; the answer in $work/out
	local want=$1 path=$2 got
	shift 2
	n=$((n + 1))
	got=$(curl -s --cacert "$c/ca.crt" -o "$work/out" -w '%{http_code}' \
		-H "Content-Type: application/json" "$@" "$url$path") || true
	[ "$got" = "$want" ] || fail "request $n to $path: $got, expected $want: $(cat "$work/out" 2>/dev/null)"
}
bearer=(-H "Authorization: Bearer $token")
cert=(--cert "$c/client.crt" --key "$c/client.key")
records() {
	"$GRIDGATE" -c "$work/gridgate.conf" spool stats | head -n 1 | tr ' ' '\n' |
		awk -F= '$1 == "pending" || $1 == "published" || $1 == "quarantined" { n += $2 } END { print n }'
}
accepted=0

# A body that stops mid-way: nothing of it is kept, the request counted as aborted.
before=$(records)
peer truncated "$port" "$c/ca.crt" "$token" || fail "truncated sender failed"
post 202 /cert "${cert[@]}" --data-binary '{"after":"truncated"}'
accepted=$((accepted + 1))
[ "$(records)" = $((before + 1)) ] || fail "a truncated body left records: $before -> $(records)"

# Huge and hostile strings: 200 KB of text, and control characters XML cannot carry. Each is
# an incident (cut to fit max_document_size when needed) that validates, never a crash.
python3 -c 'import json; print(json.dumps({"msg": "A" * 200000, "src_ip": "192.0.2.1"}))' > "$work/huge"
post 202 /bearer "${bearer[@]}" --data-binary @"$work/huge"
grep -q '"outcome":"accepted"' "$work/out" || fail "huge string: $(cat "$work/out")"
post 202 /bearer "${bearer[@]}" --data-binary '{"msg":"bell \u0007 esc \u001b bom \ufeff \ud83d\ude00 end","k\u0001":"v"}'
grep -q '"outcome":"accepted"' "$work/out" || fail "control characters: $(cat "$work/out")"
# NUL is no text at all: 400, naming where.
post 400 /bearer "${bearer[@]}" --data-binary '{"msg":"nul \u0000"}'
grep -q '"offset":' "$work/out" || fail "NUL: $(cat "$work/out")"
accepted=$((accepted + 2))
head -c 300000 /dev/zero | tr '\0' 'x' | sed 's/^/"/; s/$/"/' > "$work/toobig"
# Over max_body_size: refused from Content-Length before the body is sent (a sender that
# sends it anyway may see its connection closed before it reads the 413).
post 413 /bearer "${bearer[@]}" -H 'Expect: 100-continue' --data-binary @"$work/toobig"

# Slowloris: a byte of the head every 0.2 s is never idle for the 30 s timeout; the 2 s
# request_timeout cuts it off. Meanwhile the other route answers at once.
peer slowloris "$port" "$c/ca.crt" 0.2 4 > "$work/slow.out" 2>&1 &
slow_pid=$!
sleep 0.5
t0=$(date +%s%N)
post 202 /cert "${cert[@]}" --data-binary '{"during":"slowloris"}'
accepted=$((accepted + 1))
[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1500 ] || fail "a request waited behind the slowloris"
wait "$slow_pid" || fail "slowloris: $(cat "$work/slow.out")"

# 10,000 connections opened and dropped: bounded time, RSS bounded, the next request served.
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$gg_pid/status"; }
rss0=$(rss)
timeout 60 python3 "$top/tests/integration/webhook_peer.py" churn "$port" 10000 > "$work/churn.out" \
	|| fail "churn: $(cat "$work/churn.out")"
post 202 /bearer "${bearer[@]}" --data-binary '{"after":"churn"}'
accepted=$((accepted + 1))
rss1=$(rss)
[ "$rss1" -lt $((rss0 + 32768)) ] || fail "RSS grew from $rss0 to $rss1 kB over 10,000 connections"

# An expired client certificate of the trusted CA: 403, counted, the reason in the log.
post 403 /cert --cert "$c/expired.crt" --key "$c/expired.key" --data-binary '{"by":"expired"}'
grep -q 'expired' "$work/gridgate.log" || fail "the log does not say the certificate expired"

# Everything accepted reaches the topic and validates.
wait_for 30 spool_drained || fail "spool not drained"
got=$(read_items)
[ "$got" = "$accepted" ] || fail "topic holds $got items, $accepted were accepted"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
gg_stop || fail "gridgate did not stop cleanly"
[ "$(counter hooks cut_off)" -ge 1 ] || fail "cut_off: $(counter hooks cut_off)"
[ "$(counter hooks aborted)" -ge 1 ] || fail "aborted: $(counter hooks aborted)"
[ "$(counter hooks auth_failed)" = 1 ] || fail "auth_failed: $(counter hooks auth_failed)"
[ "$(counter hooks too_large)" = 1 ] || fail "too_large: $(counter hooks too_large)"
echo "ok: $test_name ($(cat "$work/slow.out"); $(cat "$work/churn.out"); RSS $rss0 -> $rss1 kB)"
