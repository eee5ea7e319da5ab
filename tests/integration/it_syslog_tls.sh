#!/usr/bin/env bash
# Syslog over TLS (RFC 5425) with openssl s_client as the sender: octet-counted frames from a
# client with a certificate arrive on the topic, also many in one stream (bytes OpenSSL holds
# that epoll cannot see); clients without a certificate, with one from another CA or offering
# only TLS 1.1 are refused and counted; a handshake that never starts frees its slot.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

port=$(free_port) || fail "no free port"
make_certs "$work/certs" || fail "could not make certificates"
c=$work/certs
gg_config
cat >> "$work/gridgate.conf" <<EOC
[syslog:tls]
listen = 127.0.0.1:$port
protocol = tls
tls_cert = $c/server.crt
tls_key = $c/server.key
tls_client_ca = $c/ca.crt
tls_require_client_cert = yes
tls_handshake_timeout = 1s
max_connections = 2
; A small frame buffer: SSL_read hands over less than a record, the rest stays in OpenSSL.
max_message_size = 480
EOC
"$GRIDGATE" -c "$work/gridgate.conf" check-config > /dev/null || fail "check-config refuses the config"
gg_start
listening() { port_bound tcp "$port"; }
wait_for 30 listening || fail "gridgate does not listen on $port/tcp"

# send_tls NAME FIRST LAST [s_client options]: frames NAME-FIRST..NAME-LAST in one connection.
send_tls() {
	local name=$1 first=$2 last=$3
	shift 3
	octet_frames "$name" "$first" "$last" |
		timeout 20 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
			-CAfile "$c/ca.crt" -verify_return_error -quiet -no_ign_eof "$@" \
			> "$work/s_client-$name.out" 2>&1
}

tag=$$
# A handshake that never starts: two idle connections take both slots (max_connections = 2)
# until tls_handshake_timeout frees them; the clients below would be refused otherwise.
exec 4<>"/dev/tcp/127.0.0.1/$port" 5<>"/dev/tcp/127.0.0.1/$port"
sleep 0.3
exec 6<>"/dev/tcp/127.0.0.1/$port" # third: refused at once (max_connections)
sleep 1.5
exec 4>&- 5>&- 6>&-

send_tls "good-$tag" 1 5 -cert "$c/client.crt" -key "$c/client.key" \
	|| fail "s_client with a client certificate failed: $(cat "$work/s_client-good-$tag.out")"
# 648 messages in 8 bursts on one connection that stays open; each burst must be on the topic
# before the next is sent. A burst is one write of 81 frames of about 400 bytes, which
# s_client sends as two TLS records of up to 16 KB; gridgate's frame buffer (max_message_size
# 480) takes one frame per SSL_read and a turn ends after 64 reads, so a burst's last frames
# often wait inside OpenSSL, where epoll does not see them: without draining SSL_pending they
# would stall until more bytes come (measured: about every second burst).
bursts=8
for b in $(seq 1 $bursts); do
	BULK_PAD=$(printf '%0326d' 0) octet_frames "bulk-$tag" $((b * 81 - 80)) $((b * 81)) \
		> "$work/burst-$b"
done
# await FILE: waits for the test to create FILE; gives up when the test has ended.
await() { until [ -e "$1" ]; do kill -0 $$ 2>/dev/null || exit 0; sleep 0.05; done; }
{
	for b in $(seq 1 $bursts); do
		await "$work/go-$b"
		cat "$work/burst-$b"
	done
	await "$work/go-end"
} | timeout 120 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
	-CAfile "$c/ca.crt" -verify_return_error -quiet -no_ign_eof -cert "$c/client.crt" \
	-key "$c/client.key" > "$work/s_client-bulk.out" 2>&1 &
bulk_pid=$!
for b in $(seq 1 $bursts); do
	touch "$work/go-$b"
	burst_arrived() { [ "$(gg_spool_stat published)" -ge $((5 + b * 81)) ]; }
	wait_for 20 burst_arrived \
		|| fail "burst $b stalled on an open connection: $(gg_spool_stat published) published"
done
touch "$work/go-end"
wait "$bulk_pid" || fail "bulk s_client failed: $(cat "$work/s_client-bulk.out")"
# Refused: no certificate, a certificate from a CA gridgate does not trust, TLS 1.1 only.
# With TLS 1.3 the client may think it got in and send before the server's alert arrives;
# what counts is that nothing of it reaches the topic and the refusal is counted.
send_tls "nocert-$tag" 1 1 || true
send_tls "rogue-$tag" 1 1 -cert "$c/rogue.crt" -key "$c/rogue.key" || true
send_tls "old-$tag" 1 1 -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -cert "$c/client.crt" \
	-key "$c/client.key" || true

arrived() { [ "$(gg_spool_stat published)" -ge 653 ]; }
wait_for 90 arrived || fail "not all 653 messages were published ($(gg_spool_stat published))"
wait_for 60 spool_drained || fail "spool not drained"
counters_now tls || fail "no counters after SIGUSR1"
[ "$(counter tls tls_handshake_failed)" -ge 5 ] \
	|| fail "refused handshakes counted: $(counter tls tls_handshake_failed), want 2 timeouts + 3"
n=$(read_items)
[ "$n" = 653 ] || fail "topic holds $n items, want 653"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
for i in 1 2 3 4 5; do
	grep -q "good-$tag-$i hello" "$work"/items/*.xml || fail "message good-$i missing"
done
for i in 1 81 82 648; do
	grep -q "bulk-$tag-$i hello" "$work"/items/*.xml || fail "message bulk-$i missing"
done
[ "$(grep -l "bulk-$tag-" "$work"/items/*.xml | wc -l)" = 648 ] || fail "bulk messages missing"
for name in nocert rogue old; do
	if grep -q "$name-$tag-" "$work"/items/*.xml; then fail "$name client got a message in"; fi
done
gg_stop || fail "gridgate did not stop cleanly"
log=$work/gridgate.log
grep -q 'tls handshake not done within 1000 ms' "$log" || fail "handshake timeout not logged"
grep -q 'peer did not return a certificate' "$log" || fail "missing certificate not logged"
grep -q 'client certificate: unable to get local issuer certificate' "$log" \
	|| grep -q 'certificate verify failed' "$log" || fail "untrusted certificate not logged"
grep -qi 'unsupported protocol\|wrong version\|no protocols' "$log" \
	|| fail "TLS 1.1 refusal not logged"
[ "$(counter tls tls_handshake_failed)" = 5 ] \
	|| fail "tls_handshake_failed=$(counter tls tls_handshake_failed), want 5"
[ "$(counter tls connections_refused)" = 1 ] \
	|| fail "connections_refused=$(counter tls connections_refused), want 1"
[ "$(gg_spool_stat quarantined)" = 0 ] || fail "messages were quarantined"
echo "ok: syslog over TLS: certificates checked, refusals counted, 653 messages published"
