#!/usr/bin/env bash
# A gateway killed with SIGKILL mid-run and restarted still ends with exactly 1,000 distinct
# items and every file in done/: nothing lost, nothing doubled.
. "$(dirname "$0")/lib.sh"

# A small spool bound makes ingestion wait for publishing (backpressure), so the kill lands
# with files waiting, records spooled but unpublished, and IQs in flight.
GG_SPOOL_EXTRA="max_pending = 200" gg_config
drop_docs 1000 k
gg_start
wait_for 60 bash -c "[ \$(find '$work/drop/done' -type f 2>/dev/null | wc -l) -ge 300 ]" \
	|| fail "no progress before the kill"
kill -KILL "$gg_pid"; wait "$gg_pid" 2>/dev/null || true; gg_pid=""
before=$(find "$work/drop/done" -type f | wc -l)
echo "killed with $before files in done/, $(files_left) waiting, published $(gg_spool_stat published)"
[ "$(files_left)" -gt 0 ] || fail "the kill came after ingestion ended: nothing tested"
gg_start
wait_for 120 no_files_left || fail "files still waiting: $(files_left)"
wait_for 120 spool_drained || fail "spool not drained"
[ "$(find "$work/drop/done" -type f | wc -l)" = 1000 ] || fail "done/ does not hold 1000 files"
n=$(read_items)
[ "$n" = 1000 ] || fail "topic holds $n items, want 1000"
ids=$(grep -ho 'csirt.example.com">k-[0-9]*<' "$work"/items/*.xml | sort -u | wc -l)
[ "$ids" = 1000 ] || fail "distinct incident ids: $ids"
echo "ok: SIGKILL mid-run -> still 1000 distinct items"
