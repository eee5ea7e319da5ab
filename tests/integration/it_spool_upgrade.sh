#!/usr/bin/env bash
# Spools written by the previous versions are upgraded in place at start and their pending
# records are published with their ids; nothing is lost. tests/data/spool/schema1.db (one state
# per record) goes through schemas 2 and 3 to 4; schema2.db (a delivery per output, every id
# checked) and schema3.db (stream ids unchecked) to 4, where a
# replayed file's ids are still recognised (a quarantined one's too: its row is not added
# again) and the delivery counts stay exact.
. "$(dirname "$0")/lib.sh"

base_topic=$topic
upgrade() { # upgrade FIXTURE_SCHEMA ID...
	local schema=$1 stats n
	shift
	topic=$base_topic-s$schema
	rm -rf "$work/state" "$work/gridgate.log"
	gg_config
	# The fixture's records came from a file-drop input of this name: a replay's ids match.
	[ "$schema" != 1 ] && sed -i 's/^\[filedrop:drop\]$/[filedrop:incoming]/' "$work/gridgate.conf"
	mkdir -p "$work/state"
	cp "$top/tests/data/spool/schema$schema.db" "$work/state/spool.db"
	gg_start
	# Running means the daemon opened (and upgraded) the spool: `spool stats` must not be first.
	wait_for 30 grep -q "gridgate running" "$work/gridgate.log" || fail "gridgate did not start"
	grep -q "upgraded from schema $schema to 4" "$work/gridgate.log" ||
		fail "schema $schema: no upgrade logged"
	wait_for 30 spool_drained || fail "schema $schema: the old spool's records were not published"
	stats=$("$GRIDGATE" -c "$work/gridgate.conf" spool stats | head -n 1)
	[ "$stats" = "pending=0 published=2 refused=0 quarantined=1" ] ||
		fail "schema $schema: spool: $stats"
	n=$(read_items)
	[ "$n" = 2 ] || fail "schema $schema: topic holds $n items, want 2"
	for id in "$@"; do
		[ -f "$work/items/$id.xml" ] || fail "schema $schema: item $id missing"
	done
}

upgrade 1 003cdb97401f8cc461c47fc622589ecc 4c5359dde39ee3cb5608143b34850212
gg_stop || fail "gridgate did not stop cleanly"

for schema in 2 3; do
	upgrade "$schema" 57e4a4a66061987565b6a62913a37ca8 9df5235147ff4a01eaa113524f6a9ac2
	# These spools' records came from the file drop: the same file read again (a crash
	# before its move to done/) gives the same ids, still recognised as replays after the
	# upgrade. A new file is a new record, counted once.
	cp "$top/tests/data/iodef/rfc7970/rfc7970-s7.1-minimal.xml" "$work/drop/"
	wait_for 30 no_files_left || fail "schema $schema: the replayed file was not taken"
	[ "$(gg_spool_stat published)" = 2 ] && [ "$(gg_spool_stat pending)" = 0 ] ||
		fail "schema $schema: the replayed file was published again: $("$GRIDGATE" -c "$work/gridgate.conf" spool stats | head -n 1)"
	# A file quarantined, then read again (dropped once more, as after a crash before its
	# move): its row is kept once (the quarantine's index is added at the first open).
	for _ in 1 2; do
		printf '<IODEF-Document><Incident>\n' > "$work/broken.xml"
		mv "$work/broken.xml" "$work/drop/"
		wait_for 30 no_files_left || fail "schema $schema: the broken file was not taken"
	done
	[ "$(gg_spool_stat quarantined)" = 2 ] ||
		fail "schema $schema: a file read again was quarantined again: $("$GRIDGATE" -c "$work/gridgate.conf" spool stats | head -n 1)"
	iodef2_doc "new-after-upgrade-$schema" > "$work/new.xml"
	mv "$work/new.xml" "$work/drop/"
	wait_for 30 spool_drained || fail "schema $schema: the new record was not published"
	[ "$(gg_spool_stat published)" = 3 ] && [ "$(gg_spool_stat pending)" = 0 ] ||
		fail "schema $schema: spool after a new record: $("$GRIDGATE" -c "$work/gridgate.conf" spool stats | head -n 1)"
	gg_stop || fail "gridgate did not stop cleanly"
done
echo "ok: schema 1, 2 and 3 spools upgraded in place to 4; their pending records published with their ids; a replay still recognised; a new record counted once"
