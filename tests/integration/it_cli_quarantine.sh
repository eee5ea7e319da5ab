#!/usr/bin/env bash
# gridgate spool quarantine against a real daemon's spool: a document over max_document_size,
# a log line no mapping takes (and the generic path refuses: it looks like JSON) and a broken document are
# quarantined; with gridgate stopped they are listed and shown, a release before the cause is
# fixed fails and keeps the row, releases after the fix (a mapping file, max_document_size)
# queue the records and delete their rows in one go, purge deletes the rest, and the next
# gridgate publishes what was released.
. "$(dirname "$0")/lib.sh"

gg() { "$GRIDGATE" -c "$work/gridgate.conf" "$@"; }
gg_config
mkdir -p "$work/maps" "$work/logs"
# The mapping expects "{widget} ALARM"; the device writes "{widget} ALERT". Unmatched, the
# line would be a generic incident, but it starts with '{' and is no JSON object: refused.
cat > "$work/maps/widget.map" <<'EOM'
mapping widget
rule alert
match msg ^\{widget\} ALARM (?<src>\S+)
set description "widget alert from ${src}"
set source.address $src
set purpose reporting
EOM
sed -i "/^\[gridgate\]/a mapping_dir = $work/maps\nmax_document_size = 4k\nmax_record_size = 2k" "$work/gridgate.conf"
cat >> "$work/gridgate.conf" <<EOC
[filedrop:logs]
directory = $work/logs
mappings = widget
unmatched = generic
EOC

tag=$$
pad=$(for i in $(seq 1 80); do printf '<Description>padding line %s of a big document</Description>' "$i"; done)
iodef2_doc "big-$tag" | sed "s|^    <Contact |    $pad\n&|" > "$work/big.xml"
size=$(stat -c %s "$work/big.xml")
[ "$size" -gt 4096 ] || fail "big.xml is only $size bytes"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work/big.xml" > /dev/null || fail "big.xml invalid"
printf '{widget} ALERT 192.0.2.77 tag-%s\n' "$tag" > "$work/widget.log"
printf '<IODEF-Document><Incident>\n' > "$work/broken.xml"

gg_start
cp "$work/big.xml" "$work/drop/.big.tmp" && mv "$work/drop/.big.tmp" "$work/drop/big.xml"
cp "$work/widget.log" "$work/logs/.w.tmp" && mv "$work/logs/.w.tmp" "$work/logs/widget.log"
sleep 0.5
cp "$work/broken.xml" "$work/drop/.b.tmp" && mv "$work/drop/.b.tmp" "$work/drop/broken.xml"
three() { [ "$(gg_spool_stat quarantined)" = 3 ]; }
wait_for 20 three || fail "not 3 quarantined: $(gg spool stats)"
gg_stop || fail "gridgate did not stop"

# list: newest first, one line each.
gg spool quarantine list > "$work/list" || fail "list: exit $?"
[ "$(wc -l < "$work/list")" = 3 ] || fail "list: $(cat "$work/list")"
seq_of() { sed -n "s/^seq=\([0-9]*\) .*$1.*/\1/p" "$work/list"; }
big=$(seq_of 'document is [0-9]* bytes')
line=$(seq_of 'source=logs')
broken=$(seq_of 'source=drop.*at=[0-9]*:[0-9]*')
[ -n "$big" ] && [ -n "$line" ] && [ -n "$broken" ] || fail "list: $(cat "$work/list")"
head -n 1 "$work/list" | grep -q "^seq=$broken " || fail "not newest first: $(cat "$work/list")"
grep -Eq "^seq=$big id=[0-9a-f]{32} source=drop created=[0-9T:-]+Z size=$size reason=xml: document is $size bytes" \
	"$work/list" || fail "list line of big.xml: $(cat "$work/list")"
[ "$(gg spool quarantine list 1 | wc -l)" = 1 ] || fail "list MAX"

# show: the row and the payload as stored, by seq and by record id.
gg spool quarantine show "$big" > "$work/show" || fail "show: exit $?"
grep -qx "seq: $big" "$work/show" && grep -qx "source: drop" "$work/show" \
	&& grep -qx "payload: $size bytes" "$work/show" || fail "show: $(head -n 9 "$work/show")"
sed '1,/^$/d' "$work/show" | cmp -s - "$work/big.xml" || fail "show: payload differs from big.xml"
id=$(sed -n 's/^id: //p' "$work/show")
gg spool quarantine show "$id" > "$work/show" && grep -qx "seq: $big" "$work/show" \
	|| fail "show by record id"
set +e
gg spool quarantine show 99999 > /dev/null 2> "$work/err"; code=$?
set -e
[ $code = 1 ] && grep -q 'nothing quarantined' "$work/err" || fail "show of no row: exit $code"

# release before the fix: refused again, kept.
set +e
gg spool quarantine release "$line" > "$work/out" 2>&1; code=$?
set -e
[ $code = 1 ] && grep -q "refused again as a log line of input logs" "$work/out" \
	|| fail "release before the fix: exit $code: $(cat "$work/out")"
[ "$(gg_spool_stat quarantined)" = 3 ] && [ "$(gg_spool_stat pending)" = 0 ] \
	|| fail "a failed release changed the spool: $(gg spool stats)"

# fix the mapping: released, queued, row gone.
sed -i 's/ALARM/ALERT/' "$work/maps/widget.map"
gg spool quarantine release "$line" > "$work/out" 2>&1 || fail "release: $(cat "$work/out")"
grep -q "^released seq=$line " "$work/out" || fail "release: $(cat "$work/out")"
[ "$(gg_spool_stat quarantined)" = 2 ] && [ "$(gg_spool_stat pending)" = 1 ] \
	|| fail "after release: $(gg spool stats)"
set +e
gg spool quarantine release "$line" > /dev/null 2>&1; code=$?
set -e
[ $code = 1 ] || fail "a second release of the same row: exit $code"

# the size bound: refused again at 4k, released at 64k.
set +e
gg spool quarantine release "$big" > "$work/out" 2>&1; code=$?
set -e
[ $code = 1 ] && grep -q 'refused again as an XML document' "$work/out" || fail "big at 4k: $(cat "$work/out")"
sed -i 's/^max_document_size = 4k$/max_document_size = 64k/' "$work/gridgate.conf"
gg spool quarantine release "$id" > "$work/out" 2>&1 || fail "release by id: $(cat "$work/out")"
[ "$(gg_spool_stat quarantined)" = 1 ] && [ "$(gg_spool_stat pending)" = 2 ] \
	|| fail "after the second release: $(gg spool stats)"

# purge: by age (nothing that old), then all.
gg spool quarantine purge --older-than 7d | grep -qx 'purged 0 quarantined record(s) older than 7d' \
	|| fail "purge --older-than"
gg spool quarantine purge | grep -qx 'purged 1 quarantined record(s)' || fail "purge"
[ "$(gg_spool_stat quarantined)" = 0 ] || fail "after purge: $(gg spool stats)"
set +e
gg spool quarantine purge --older-than soon 2> /dev/null; code=$?
set -e
[ $code = 2 ] || fail "purge with a bad age: exit $code"
gg spool quarantine --help | grep -q 'quarantine' || fail "spool --help"

# the next gridgate publishes both.
gg_start
published() { [ "$(gg_spool_stat published)" -ge 2 ]; }
wait_for 30 published || fail "released records not published: $(gg spool stats)"
n=$(read_items)
[ "$n" = 2 ] || fail "topic holds $n items, want 2"
grep -q "big-$tag" "$work"/items/*.xml || fail "big.xml not on the topic"
grep -q "widget alert from 192.0.2.77" "$work"/items/*.xml || fail "the widget line not on the topic"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: spool quarantine list, show, release, purge"
