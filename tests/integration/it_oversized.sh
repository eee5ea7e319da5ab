#!/usr/bin/env bash
# Records too big for the controller do not stop the gateway: a 60,000-byte syslog message of
# '<' (480 KB once escaped and carried twice), a 150 KB line of a log file and an NDJSON line
# with a 150 KB description are each cut to fit max_document_size and published, valid and
# marked as cut; the good records sent after each are published too, with no reconnect.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

tcp_port=$(free_port) || fail "no free port"
gg_config
sed -i "/^\[gridgate\]/a mapping_dir = $top/mappings" "$work/gridgate.conf"
mkdir -p "$work/logs"
cat >> "$work/gridgate.conf" <<EOC
[filedrop:logs]
directory = $work/logs
mappings = openssh
unmatched = generic
[syslog:tcp]
listen = 127.0.0.1:$tcp_port
protocol = tcp
EOC
gg_start
wait_for 30 port_bound tcp "$tcp_port" || fail "gridgate does not listen on $tcp_port/tcp"

fill() { head -c "$2" /dev/zero | tr '\0' "$1"; }
tag=$$
# 1. syslog over TCP: the oversized message, then good ones on the same connection.
{
	printf '<13>Dec  6 10:00:00 host.test app: %s\n' "$(fill '<' 60000)"
	for i in 1 2 3; do printf '<13>Dec  6 10:00:01 host.test app: good-syslog-%s-%s\n' "$tag" "$i"; done
} > "$work/syslog.bin"
exec 3<>"/dev/tcp/127.0.0.1/$tcp_port"
cat "$work/syslog.bin" >&3
exec 3>&-
# 2. a log file with one 150 KB line between good ones.
{
	printf 'Dec  6 10:00:02 host.test app: good-log-%s-1\n' "$tag"
	printf 'Dec  6 10:00:03 host.test app: %s\n' "$(fill x 150000)"
	printf 'Dec  6 10:00:04 host.test app: good-log-%s-2\n' "$tag"
} > "$work/stage.log"
mv "$work/stage.log" "$work/logs/big.log"
# 3. NDJSON: a 150 KB description, then a good line.
{
	printf '{"id": "big-%s", "description": "%s"}\n' "$tag" "$(fill y 150000)"
	printf '{"id": "good-json-%s", "description": "good one"}\n' "$tag"
} > "$work/stage.ndjson"
mv "$work/stage.ndjson" "$work/drop/big.ndjson"

published() { [ "$(gg_spool_stat published)" -ge 9 ]; }
wait_for 30 published || fail "not all published: $("$GRIDGATE" -c "$work/gridgate.conf" spool stats)"
wait_for 10 spool_drained || fail "spool not drained"
stats=$("$GRIDGATE" -c "$work/gridgate.conf" spool stats)
[ "$(echo "$stats" | head -n 1)" = "pending=0 published=9 refused=0 quarantined=0" ] \
	|| fail "spool: $stats"
echo "$stats" | grep -qx "output grid: depth=0 oldest_age=0s delivered=9 dead=0" \
	|| fail "no per-output line for grid: $stats"
[ -e "$work/logs/done/big.log" ] || fail "big.log not in done/: $(ls -R "$work/logs")"
[ -e "$work/drop/done/big.ndjson" ] || fail "big.ndjson not in done/"
! grep -q "xmpp: disconnected" "$work/gridgate.log" || fail "the session was dropped"
grep -q "record cut to fit max_document_size" "$work/gridgate.log" || fail "no cut logged"

n=$(read_items)
[ "$n" = 9 ] || fail "topic holds $n items, want 9"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
for want in "good-syslog-$tag-3" "good-log-$tag-2" "good-json-$tag"; do
	grep -q "$want" "$work"/items/*.xml || fail "$want not on the topic"
done
cut=$(grep -l 'meaning="record cut to its first 32768 of' "$work"/items/*.xml | wc -l)
[ "$cut" = 3 ] || fail "$cut items marked as cut, want 3"
big_len=$(head -n 1 "$work/syslog.bin" | tr -d '\n' | wc -c)
# The controller re-serializes items: attribute order on the topic is its own (Prosody's
# changes with each start), so the pattern allows any attribute after meaning.
grep -Eq "meaning=\"record-original-length\"[^>]*>$big_len<" "$work"/items/*.xml \
	|| fail "the syslog record's length ($big_len) is not on the topic"
big_sha=$(head -n 1 "$work/syslog.bin" | tr -d '\n' | sha256sum | cut -d' ' -f1)
grep -q ">$big_sha<" "$work"/items/*.xml || fail "the syslog record's SHA-256 is not on the topic"
for f in "$work"/items/*.xml; do
	size=$(stat -c %s "$f")
	[ "$size" -le $((240 * 1024)) ] || fail "$(basename "$f") is $size bytes"
done
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: three oversized records cut, published and marked; the records behind them followed"
