#!/usr/bin/env bash
# Items the controller answers by closing the stream are found and set aside, whatever the
# reason, and the items behind them are published within seconds: a document over Prosody's
# stanza limit (max_document_size raised above it on purpose), and two spool rows Prosody's
# parser refuses (not well-formed; a comment, restricted XML), written into the spool as a
# damaged or foreign spool file would hold them. No reconnect loop: each costs a few drops.
. "$(dirname "$0")/lib.sh"

gg_config
# Above Prosody's 256 KiB c2s_stanza_size_limit: what an operator might set by mistake.
sed -i '/^\[gridgate\]/a max_document_size = 1M' "$work/gridgate.conf"
spool=$work/state/spool.db

gg_start
drop_docs 1 first
wait_for 30 spool_drained || fail "first document not published"
gg_stop || fail "gridgate did not stop cleanly"

# Rows no builder of ours writes, ahead of the good ones in the queue.
python3 - "$spool" <<'EOP' || fail "cannot write the spool"
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
ns = "urn:ietf:params:xml:ns:iodef-2.0"
rows = {
    "bad-not-well-formed": f'<IODEF-Document xmlns="{ns}" version="2.00"><a></b></IODEF-Document>',
    "bad-comment": f'<IODEF-Document xmlns="{ns}" version="2.00"><!-- hi --></IODEF-Document>',
}
now = int(time.time())
for rid, payload in rows.items():
    cur = db.execute("INSERT INTO records(id, source, payload, created) VALUES (?, 'it', ?, ?)",
                     (rid, payload.encode(), now))
    db.execute("INSERT INTO deliveries(output, seq, updated) VALUES ('grid', ?, ?)",
               (cur.lastrowid, now))
db.commit()
EOP

gg_start
fill() { head -c "$2" /dev/zero | tr '\0' "$1"; }
{
	for i in $(seq 1 10); do printf '{"id": "before-%s", "description": "ok"}\n' "$i"; done
	printf '{"id": "too-big", "description": "%s"}\n' "$(fill z 300000)"
	for i in $(seq 1 10); do printf '{"id": "after-%s", "description": "ok"}\n' "$i"; done
} > "$work/stage.ndjson"
mv "$work/stage.ndjson" "$work/drop/alerts.ndjson"
drop_docs 20 good

start=$SECONDS
# the first, 2 injected, 21 NDJSON lines, 20 documents: 41 published, 3 refused
all_settled() { [ "$(gg_spool_stat pending)" = 0 ] && [ "$(gg_spool_stat refused)" = 3 ]; }
wait_for 30 all_settled || fail "not settled: $("$GRIDGATE" -c "$work/gridgate.conf" spool stats)"
took=$((SECONDS - start))
stats=$("$GRIDGATE" -c "$work/gridgate.conf" spool stats | head -n 1)
[ "$stats" = "pending=0 published=41 refused=3 quarantined=0" ] || fail "spool: $stats"

refused=$("$GRIDGATE" -c "$work/gridgate.conf" spool refused)
echo "$refused"
echo "$refused" | grep -q "id=bad-not-well-formed .*reason=the controller closed the stream on this item: stream error" \
	|| fail "not-well-formed row not refused with the stream error"
echo "$refused" | grep -q "id=bad-comment .*reason=the controller closed the stream on this item: stream error" \
	|| fail "restricted-xml row not refused with the stream error"
echo "$refused" | grep -q "source=drop .*reason=the controller closed the stream on this item: stream error policy-violation" \
	|| fail "oversized document not refused with policy-violation"

drops=$(grep -c "xmpp: disconnected" "$work/gridgate.log")
# Each culprit: two drops with a window in flight, one alone (a stanza verdict convicts at once).
[ "$drops" -le 12 ] || fail "$drops disconnects for 3 culprits: a reconnect loop"
n=$(read_items)
[ "$n" = 41 ] || fail "topic holds $n items, want 41 (the first, 20 + 20 good ones)"
grep -q "after-10" "$work"/items/*.xml || fail "the last NDJSON record is not on the topic"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: 3 refused items isolated in ${took}s with $drops disconnects; 41 good ones published"
