#!/usr/bin/env bash
# 1,000 dropped files give 1,000 distinct items on the topic, each valid IODEF 2.0 when read back
# by the subscriber (xml:lang included), and every file ends in done/.
. "$(dirname "$0")/lib.sh"

gg_config
gg_start
drop_docs 1000 doc
wait_for 120 no_files_left || fail "files still waiting: $(files_left)"
wait_for 120 spool_drained || fail "spool not drained: $(gg_spool_stat pending) pending"
[ "$(find "$work/drop/done" -type f | wc -l)" = 1000 ] || fail "done/ does not hold 1000 files"
[ "$(gg_spool_stat published)" = 1000 ] || fail "published=$(gg_spool_stat published)"
n=$(read_items)
[ "$n" = 1000 ] || fail "topic holds $n items, want 1000"
[ "$(ls "$work/items" | wc -l)" = 1000 ] || fail "item files: $(ls "$work/items" | wc -l)"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > "$work/validate.out" \
	|| fail "items read back do not validate: $(grep -v ': valid' "$work/validate.out" | head -3)"
grep -q 'xml:lang="de"' "$work"/items/*.xml || fail "xml:lang lost on the way"
# Every incident id came through exactly once.
ids=$(grep -ho 'csirt.example.com">doc-[0-9]*<' "$work"/items/*.xml | sort -u | wc -l)
[ "$ids" = 1000 ] || fail "distinct incident ids: $ids"
echo "ok: 1000 files -> 1000 valid items"
