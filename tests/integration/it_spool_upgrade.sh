#!/usr/bin/env bash
# A spool written by the previous version (schema 1, tests/data/spool/schema1.db) is upgraded in
# place at start and its pending records are published with their ids; nothing is lost.
. "$(dirname "$0")/lib.sh"

gg_config
mkdir -p "$work/state"
cp "$top/tests/data/spool/schema1.db" "$work/state/spool.db"
gg_start
# Running means the daemon opened (and upgraded) the spool: `spool stats` must not be first.
wait_for 30 grep -q "gridgate running" "$work/gridgate.log" || fail "gridgate did not start"
grep -q "upgraded from schema 1 to 2" "$work/gridgate.log" || fail "no upgrade logged"
wait_for 30 spool_drained || fail "the old spool's records were not published"
stats=$("$GRIDGATE" -c "$work/gridgate.conf" spool stats | head -n 1)
[ "$stats" = "pending=0 published=2 refused=0 quarantined=1" ] || fail "spool: $stats"
n=$(read_items)
[ "$n" = 2 ] || fail "topic holds $n items, want 2"
for id in 003cdb97401f8cc461c47fc622589ecc 4c5359dde39ee3cb5608143b34850212; do
	[ -f "$work/items/$id.xml" ] || fail "item $id missing"
done
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: a schema 1 spool upgraded in place; its 2 pending records published with their ids"
