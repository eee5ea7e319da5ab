#!/usr/bin/env bash
# IODEF 1.0 files are upgraded to 2.0 and NDJSON lines mapped to IODEF 2.0; both are published
# and valid when read back.
. "$(dirname "$0")/lib.sh"

gg_config
cp "$top"/tests/data/iodef/rfc5070/*.xml "$work/drop/"
cat > "$work/drop/alerts.ndjson" <<'EOD'
{"id": "a-1", "time": "2026-11-24T10:00:00Z", "src_ip": "192.0.2.10", "dst_ip": "198.51.100.7", "dst_port": 22, "protocol": "tcp", "severity": "high", "description": "ssh brute force"}
{"id": "a-2", "time": "2026-11-24T10:01:00+01:00", "src_ip": "2001:db8::1", "dst_ip": "2001:db8::2", "dst_port": 443, "protocol": "udp", "severity": "low"}
EOD
gg_start
wait_for 60 no_files_left || fail "files still waiting"
wait_for 60 spool_drained || fail "spool not drained"
[ -z "$(ls "$work/drop/failed")" ] || fail "failed: $(cat "$work"/drop/failed/*.reason)"
n=$(read_items)
[ "$n" = 6 ] || fail "topic holds $n items, want 6 (4 upgraded + 2 mapped)"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
grep -l 'iodef-2.0' "$work"/items/*.xml | wc -l | grep -qx 6 || fail "not all items are IODEF 2.0"
grep -q '2001:db8::1' "$work"/items/*.xml || fail "IPv6 address missing"
echo "ok: IODEF 1.0 and NDJSON published as valid IODEF 2.0"
