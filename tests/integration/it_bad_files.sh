#!/usr/bin/env bash
# Invalid, oversized, XXE, billion-laughs, unknown-namespace and garbage files end in failed/
# with a .reason, are quarantined and counted; the good files beside them are published, and an
# NDJSON file with a few refused lines is done/ with a .report naming them.
. "$(dirname "$0")/lib.sh"

GG_MAX_FILE_SIZE=64k gg_config
d=$work/drop
cp "$top"/tests/data/iodef/invalid/*.xml "$d/"
cat > "$d/xxe.xml" <<'EOD'
<?xml version="1.0"?>
<!DOCTYPE IODEF-Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0"><Incident purpose="reporting"><IncidentID name="a">&x;</IncidentID></Incident></IODEF-Document>
EOD
{
	echo '<?xml version="1.0"?><!DOCTYPE lolz ['
	echo '<!ENTITY lol "lol">'
	prev=lol
	for i in 1 2 3 4 5 6 7 8 9; do
		echo "<!ENTITY lol$i \"$(printf '&%s;' $prev $prev $prev $prev $prev $prev $prev $prev $prev $prev)\">"
		prev=lol$i
	done
	echo ']><lolz>&lol9;</lolz>'
} > "$d/laughs.xml"
head -c 100000 /dev/zero | tr '\0' 'x' | sed 's/^/<a>/' > "$d/oversized.xml"
printf 'just some text\n' > "$d/garbage.txt"
# Bytes its declared encoding cannot convert: libxml2 reports these outside the parser context.
printf '<?xml version="1.0" encoding="ISO-2022-JP"?>\n<IODEF-Document xmlns="urn:ietf:params:xml:ns:iodef-2.0">\033$B\377\377</IODEF-Document>\n' \
	> "$d/encoding.xml"
printf '{"src_ip": "192.0.2.1"}\n{"src_ip": "not-an-ip"}\nnot json\n' > "$d/mixed.ndjson"
for i in 1 2 3; do iodef2_doc "good-$i" > "$d/good-$i.xml"; done
bad=(01-wrong-namespace.xml 02-missing-incidentid.xml 03-bad-enum-purpose.xml 04-bad-datetime.xml
	05-v1-bad-enum-purpose.xml 06-v1-missing-incidentid.xml 10-truncated.xml xxe.xml laughs.xml oversized.xml garbage.txt encoding.xml)

gg_start
wait_for 60 no_files_left || fail "files still waiting: $(files_left)"
wait_for 60 spool_drained || fail "spool not drained"
for f in "${bad[@]}"; do
	[ -f "$d/failed/$f" ] || fail "$f not in failed/"
	[ -s "$d/failed/$f.reason" ] || fail "$f has no .reason"
done
grep -qi 'doctype\|dtd\|entit' "$d/failed/xxe.xml.reason" || fail "xxe reason: $(cat "$d/failed/xxe.xml.reason")"
grep -qi 'doctype\|dtd\|entit' "$d/failed/laughs.xml.reason" || fail "laughs reason"
grep -q 'max_file_size' "$d/failed/oversized.xml.reason" || fail "oversized reason"
[ -f "$d/done/mixed.ndjson" ] || fail "mixed.ndjson not in done/"
grep -q '^line 2: ' "$d/done/mixed.ndjson.report" || fail "ndjson report lacks line 2"
grep -q '^line 3: ' "$d/done/mixed.ndjson.report" || fail "ndjson report lacks line 3"
grep -qi 'line [0-9]' "$d/failed/03-bad-enum-purpose.xml.reason" || fail "schema reason lacks a line"
if grep -rq 'root:' "$work/state" "$d/failed" 2>/dev/null; then fail "/etc/passwd content leaked"; fi
for i in 1 2 3; do [ -f "$d/done/good-$i.xml" ] || fail "good-$i.xml not in done/"; done
# 3 good documents + line 1 of mixed.ndjson published; 12 whole files + 2 lines quarantined.
[ "$(gg_spool_stat published)" = 4 ] || fail "published=$(gg_spool_stat published), want 4"
[ "$(gg_spool_stat quarantined)" = 14 ] || fail "quarantined=$(gg_spool_stat quarantined), want 14"
# Every log line is gridgate's own (timestamped), none is raw libxml2 text.
if grep -v '^20[0-9][0-9]-' "$work/gridgate.log" | grep -q .; then
	fail "unformatted lines in the log: $(grep -v '^20[0-9][0-9]-' "$work/gridgate.log" | head -2)"
fi
kill -0 "$gg_pid" || fail "gridgate died"
n=$(read_items)
[ "$n" = 4 ] || fail "topic holds $n items, want 4"
echo "ok: bad files refused with reasons, good ones published"
