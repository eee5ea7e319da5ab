#!/usr/bin/env bash
# The file drop's promises, each checked so that breaking it fails: IODEF 1.0 documents that
# upgrade cleanly but are invalid as 2.0 are quarantined, not published; NAME.tmp is never
# read, NAME after the rename exactly once; and a file leaves the drop directory (its only
# acknowledgement) only after its record is committed: the spool's write lock is held from
# another process, so "before the commit" is a window of seconds, not luck.
. "$(dirname "$0")/lib.sh"

gg_config
d=$work/drop
db=$work/state/spool.db
inv=$top/tests/data/iodef/invalid
cp "$inv/05-v1-bad-enum-purpose.xml" "$inv/06-v1-missing-incidentid.xml" "$d/"
iodef2_doc "good-1" > "$d/good-1.xml"
# Present at start-up: the first scan must skip it as the events do.
iodef2_doc "early-tmp" > "$d/early.xml.tmp"

# id_of NAME FILE: the record id the drop gives FILE's content under NAME (record_id.h).
id_of() {
	python3 -c 'import hashlib, sys
data = open(sys.argv[2], "rb").read()
print(hashlib.sha256(b"drop\0" + sys.argv[1].encode() + b"\0" + b"0\0" + data).hexdigest()[:32])' "$1" "$2"
}
records_with_id() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
print(c.execute("SELECT count(*) FROM records WHERE id = ?", (sys.argv[2],)).fetchone()[0])' "$db" "$1"
}
# The drop directory holds nothing but the .tmp files.
settled() { [ -z "$(find "$d" -maxdepth 1 -type f ! -name '*.tmp')" ]; }
accepted() { echo $(($(gg_spool_stat pending) + $(gg_spool_stat published))); }

gg_start
# 1. Upgraded 1.0 documents are validated after the upgrade.
wait_for 30 settled || fail "files still waiting: $(ls "$d")"
[ -f "$d/early.xml.tmp" ] || fail "early.xml.tmp was taken at start-up: $(ls "$d/done")"
for f in 05-v1-bad-enum-purpose.xml 06-v1-missing-incidentid.xml; do
	[ -f "$d/failed/$f" ] || fail "invalid 1.0 document $f not in failed/ (done/: $(ls "$d/done"))"
	[ -s "$d/failed/$f.reason" ] || fail "$f has no .reason"
done
grep -q 'purpose' "$d/failed/05-v1-bad-enum-purpose.xml.reason" \
	|| fail "05 reason: $(cat "$d/failed/05-v1-bad-enum-purpose.xml.reason")"
grep -q 'IncidentID' "$d/failed/06-v1-missing-incidentid.xml.reason" \
	|| fail "06 reason: $(cat "$d/failed/06-v1-missing-incidentid.xml.reason")"
[ -f "$d/done/good-1.xml" ] || fail "good-1.xml not in done/"
wait_for 30 spool_drained || fail "spool not drained"
[ "$(gg_spool_stat quarantined)" = 2 ] || fail "quarantined=$(gg_spool_stat quarantined), want 2"
[ "$(gg_spool_stat published)" = 1 ] || fail "published=$(gg_spool_stat published), want 1"
n=$(read_items)
[ "$n" = 1 ] || fail "topic holds $n items, want 1 (the invalid 1.0 documents were published?)"
if grep -lq -e 'exfiltration' -e 'Missing IncidentID' "$work"/items/*.xml; then
	fail "an invalid 1.0 document reached the topic"
fi

# 2. NAME.tmp is a writer's file in progress: never read, however long it sits there. A file
# dropped after it goes through the same event queue, so once that one is done the .tmp's
# events have been handled too.
iodef2_doc "late-tmp" > "$d/late.xml.tmp"
iodef2_doc "after-tmp" > "$d/after-tmp.xml"
wait_for 20 test -f "$d/done/after-tmp.xml" || fail "after-tmp.xml not done"
sleep 1
[ -f "$d/early.xml.tmp" ] && [ -f "$d/late.xml.tmp" ] || fail ".tmp files were taken: $(ls -R "$d")"
[ "$(accepted)" = 2 ] || fail "$(accepted) records after the .tmp files, want 2"
mv "$d/late.xml.tmp" "$d/late.xml"
wait_for 20 test -f "$d/done/late.xml" || fail "late.xml not done after the rename"
[ "$(records_with_id "$(id_of late.xml "$d/done/late.xml")")" = 1 ] \
	|| fail "late.xml's record is not in the spool once"
[ "$(accepted)" = 3 ] || fail "$(accepted) records after the rename, want 3"
[ -f "$d/early.xml.tmp" ] || fail "early.xml.tmp was taken"
[ -z "$(ls "$d/failed" | grep -v -e '^0[56]-v1-')" ] || fail "unexpected failed/: $(ls "$d/failed")"

# 3. No acknowledgement before the commit. Another process holds the spool's write lock (the
# spool waits up to 10 s for it); the dropped file must stay where it is until the lock is
# released, then move to done/ with its record in the spool.
hold=5
python3 - "$db" "$work/locked" "$hold" <<'EOP' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
c.execute("ROLLBACK")
c.close()
EOP
locker=$!
wait_for 10 test -f "$work/locked" || fail "could not take the spool's write lock"
iodef2_doc "locked" > "$work/locked.xml"
mv "$work/locked.xml" "$d/locked.xml"
end=$((SECONDS + hold - 2))
while [ $SECONDS -lt $end ]; do
	[ -f "$d/locked.xml" ] && [ ! -e "$d/done/locked.xml" ] \
		|| fail "locked.xml left the drop directory while the spool was locked (commit pending)"
	sleep 0.1
done
wait "$locker" || fail "the lock holder failed"
wait_for 20 test -f "$d/done/locked.xml" || fail "locked.xml not done after the lock was released"
[ "$(records_with_id "$(id_of locked.xml "$d/done/locked.xml")")" = 1 ] \
	|| fail "locked.xml is in done/ but its record is not in the spool"
wait_for 30 spool_drained || fail "spool not drained"
[ "$(gg_spool_stat published)" = 4 ] || fail "published=$(gg_spool_stat published), want 4"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: upgraded 1.0 validated, .tmp skipped, no acknowledgement before the commit"
