#!/usr/bin/env bash
# The controller restarted mid-run loses nothing: the gateway reconnects with backoff and
# re-sends what was not acknowledged, with the same item ids.
. "$(dirname "$0")/lib.sh"

# A small spool bound keeps files waiting while the controller is away (backpressure).
GG_SPOOL_EXTRA="max_pending = 200" gg_config
drop_docs 1000 c
gg_start
wait_for 60 bash -c "[ \$('$GRIDGATE' -c '$work/gridgate.conf' spool stats | sed -n 's/.*published=\([0-9]*\).*/\1/p') -ge 100 ]" \
	|| fail "no publishing before the restart"
"$top/scripts/controller" restart > /dev/null
[ "$(files_left)" -gt 0 ] || fail "the restart came after ingestion ended: nothing tested"
wait_for 120 no_files_left || fail "files still waiting: $(files_left)"
wait_for 180 spool_drained || fail "spool not drained: $(gg_spool_stat pending) pending"
n=$(read_items)
[ "$n" = 1000 ] || fail "topic holds $n items, want 1000"
grep -q 'reconnecting' "$work/gridgate.log" || fail "no reconnect logged"
echo "ok: controller restart -> 1000 items"
