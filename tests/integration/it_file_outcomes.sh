#!/usr/bin/env bash
# A dropped file ends in exactly one place and says what happened: done/ with every record
# spooled (and NAME.report when lines were refused or the file was empty), or failed/ with
# NAME.reason and nothing of it published: a binary file, a gzip file cut short (one whole is
# read as its text), a file with more refused lines than
# max_line_errors although its good lines were committed in several spool slices (one with
# exactly max_line_errors is done), a file whose only line is refused. A SIGKILL in the middle of a many-slice file still ends with its
# records exactly once, and none of them queued before the file ended.
. "$(dirname "$0")/lib.sh"

# batch = 8: a file of more than 8 records is committed in several slices.
GG_SPOOL_EXTRA="batch = 8" gg_config
mkdir -p "$work/mappings" "$work/logs"
cp "$top/mappings/openssh.map" "$work/mappings/"
cat >> "$work/gridgate.conf" <<EOC
[filedrop:logs]
directory = $work/logs
max_file_size = 2M
max_line_errors = 5
mappings = openssh
unmatched = generic
[gridgate]
mapping_dir = $work/mappings
EOC
d=$work/drop l=$work/logs
spool_db=$work/state/spool.db
staged_rows() { sqlite3 "$spool_db" 'SELECT count(*) FROM file_stage' 2>/dev/null; }
all_moved() { [ -z "$(find "$d" "$l" -maxdepth 1 -type f)" ]; }
# put DIR NAME: the file from stdin, renamed in whole.
put() { cat > "$work/put.tmp"; mv "$work/put.tmp" "$1/$2"; }
sshd() { # sshd FIRST LAST: "Failed password" lines, a distinct port each
	for i in $(seq "$1" "$2"); do
		echo "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for root from 198.51.100.9 port $((10000 + i)) ssh2"
	done
}

# Its first byte is fixed: a random "<" would make it an XML document, refused as such.
{ printf R; head -c 1048575 /dev/urandom; } | put "$l" random.log
# 3 mapped + 1 generic + 1 dropped on purpose, 3 refused (at most max_line_errors 5).
put "$l" few-bad.log <<'EOL'
Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186
{"broken": 1
Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2
Dec 10 06:55:48 LabSZ sshd[24200]: pam_unix(sshd:auth): check pass; user unknown
{"broken": 2

Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2
Dec 10 09:32:21 LabSZ cron[24681]: (root) CMD (run-parts /etc/cron.hourly)
{"broken": 3
EOL
# Exactly max_line_errors (5) refused lines, between 2 good ones: done, with a report.
{ echo "Dec 10 06:55:49 LabSZ sshd[24201]: Failed password for root from 203.0.113.5 port 2201 ssh2"
  for i in 1 2 3 4 5; do echo "{\"at-limit\": $i"; done
  echo "Dec 10 06:55:50 LabSZ sshd[24201]: Failed password for root from 203.0.113.5 port 2202 ssh2"
} | put "$l" at-limit.log
# 40 good lines (five slices of 8 committed before the end) and then 6 refused: failed.
{ sshd 1 40; for i in 1 2 3 4 5 6; do echo "{\"broken\": $i"; done; } | put "$l" many-bad.log
cp "$top/tests/fuzz/corpus/ndjson/bad-utf8.ndjson" "$d/"
{ cat "$top/tests/fuzz/corpus/ndjson/bad-utf8.ndjson"; echo '{"src_ip": "192.0.2.7", "description": "good"}'; } \
	| put "$d" bad-utf8-and-good.ndjson
: | put "$d" empty.ndjson
# 150 refused lines against the default max_line_errors 100: reading stops at the 101st.
for i in $(seq 1 150); do echo '{"src_ip": '; done | put "$d" all-bad.ndjson
printf ' \n\t\n' | put "$l" blank.log
# Rotated logs, compressed as logrotate leaves them: read as what they decode to; one cut
# short is refused whole.
rotated() { for i in 1 2 3 4; do echo "Dec 11 07:00:0$i LabSZ sshd[25000]: Failed password for root from 203.0.113.77 port $((20000 + i)) ssh2"; done; }
rotated | gzip | put "$l" auth.log.2.gz
rotated | gzip | head -c 40 | put "$l" cut.log.gz

gg_start
wait_for 30 all_moved || fail "files still waiting: $(find "$d" "$l" -maxdepth 1 -type f)"
wait_for 30 spool_drained || fail "spool not drained"
for f in "$l/failed/random.log" "$l/failed/many-bad.log" "$d/failed/bad-utf8.ndjson" \
	"$d/failed/all-bad.ndjson" \
	"$l/done/few-bad.log" "$l/done/at-limit.log" "$d/done/bad-utf8-and-good.ndjson" \
	"$d/done/empty.ndjson" \
	"$l/done/blank.log" "$l/done/auth.log.2.gz" "$l/failed/cut.log.gz"; do
	[ -f "$f" ] || fail "${f#"$work"/} missing: $(cd "$work" && find drop logs -type f | sort | tr '\n' ' ')"
done
[ -f "$d/failed/empty.ndjson" ] || [ -f "$l/done/random.log" ] && fail "a file in two places"
grep -q 'binary file, not text: NUL byte at offset [0-9]*' "$l/failed/random.log.reason" \
	|| fail "random.log reason: $(cat "$l/failed/random.log.reason")"
r=$l/failed/many-bad.log.reason
grep -q '^failed: more than max_line_errors (5) lines refused; nothing of the file was published' "$r" \
	&& grep -q '^lines read: 46 (0 blank)$' "$r" && grep -q '^records spooled: 0 (40 built' "$r" \
	&& grep -q '^lines refused: 6 ' "$r" && grep -q '^line 41: ' "$r" \
	|| fail "many-bad.log reason: $(cat "$r")"
r=$l/done/few-bad.log.report
grep -q '^done: every record spooled; 3 line(s) refused' "$r" && grep -q '^lines read: 9 (1 blank)$' "$r" \
	&& grep -q '^records spooled: 4$' "$r" && grep -q '^lines dropped by mappings: 1$' "$r" \
	&& grep -q '^lines refused: 3 ' "$r" && grep -q '^line 9: ' "$r" \
	|| fail "few-bad.log report: $(cat "$r")"
r=$l/done/at-limit.log.report
grep -q '^done: every record spooled; 5 line(s) refused' "$r" && grep -q '^records spooled: 2$' "$r" \
	&& grep -q '^lines refused: 5 ' "$r" && grep -q '^line 6: ' "$r" \
	|| fail "at-limit.log report: $(cat "$r" 2> /dev/null || cat "$l/failed/at-limit.log.reason")"
grep -q '^failed: every line was refused' "$d/failed/bad-utf8.ndjson.reason" \
	&& grep -q '^line 1: .*decode byte 0xc3' "$d/failed/bad-utf8.ndjson.reason" \
	|| fail "bad-utf8.ndjson reason: $(cat "$d/failed/bad-utf8.ndjson.reason")"
grep -q '^records spooled: 1$' "$d/done/bad-utf8-and-good.ndjson.report" \
	&& grep -q '^lines refused: 1 ' "$d/done/bad-utf8-and-good.ndjson.report" \
	|| fail "bad-utf8-and-good report: $(cat "$d/done/bad-utf8-and-good.ndjson.report")"
r=$d/failed/all-bad.ndjson.reason
grep -q '^reading stopped at line 101$' "$r" && grep -q '^lines refused: 101 ' "$r" \
	&& grep -q '^and 91 more refused lines$' "$r" && [ "$(grep -c '^line ' "$r")" = 10 ] \
	|| fail "all-bad.ndjson reason: $(cat "$r")"
grep -q '^done: empty file (0 bytes): nothing to spool' "$d/done/empty.ndjson.report" \
	|| fail "empty.ndjson report: $(cat "$d/done/empty.ndjson.report")"
grep -q 'whitespace only' "$l/done/blank.log.report" || fail "blank.log report"
grep -q '^gzip file that does not decode' "$l/failed/cut.log.gz.reason" \
	|| fail "cut.log.gz reason: $(cat "$l/failed/cut.log.gz.reason")"
[ ! -e "$l/done/many-bad.log.report" ] && [ ! -e "$l/failed/few-bad.log.reason" ] \
	&& [ ! -e "$l/failed/at-limit.log" ] || fail "stray texts"
# Published: few-bad 4 + at-limit 2 + the good NDJSON line + auth.log.2.gz 4; random.log,
# many-bad.log and cut.log.gz gave nothing.
[ "$(gg_spool_stat published)" = 11 ] || fail "published=$(gg_spool_stat published), want 11"
# random.log and cut.log.gz whole, 1 + 1 NDJSON lines, 3 + 5 + 6 log lines, the first 101
# lines of all-bad.ndjson.
[ "$(gg_spool_stat quarantined)" = 119 ] || fail "quarantined=$(gg_spool_stat quarantined), want 119"
[ "$(staged_rows)" = 0 ] || fail "staging rows left: $(staged_rows)"
n=$(read_items)
[ "$n" = 11 ] || fail "topic holds $n items, want 11"
grep -l '203.0.113.77' "$work"/items/*.xml | wc -l | grep -qx 4 || fail "auth.log.2.gz's 4 lines not published"
grep -l '198.51.100.9' "$work"/items/*.xml > /dev/null 2>&1 && fail "a line of many-bad.log was published"

# SIGKILL while a 3,000-line file is between slices: none of it is queued yet; after the
# restart the file is read again and its records are there exactly once.
gg_stop || fail "gridgate did not stop cleanly"
sshd 1001 4000 | put "$l" big.log
gg_start
# A tight poll (not wait_for's 0.2 s): the file takes well under a second to read.
for _ in $(seq 1 1000); do [ "$(staged_rows || echo 0)" -gt 0 ] && break; sleep 0.01; done
kill -KILL "$gg_pid"; wait "$gg_pid" 2>/dev/null || true; gg_pid=""
[ -f "$l/big.log" ] || fail "the kill came after big.log was done: nothing tested"
[ "$(gg_spool_stat pending)" = 0 ] && [ "$(gg_spool_stat published)" = 11 ] \
	|| fail "records of an unfinished file were queued: $("$GRIDGATE" -c "$work/gridgate.conf" spool stats)"
echo "killed with $(staged_rows) records of big.log staged"
gg_start
wait_for 30 all_moved || fail "big.log still waiting"
wait_for 60 spool_drained || fail "spool not drained after the restart"
grep -q 'logs: [0-9]* staged records of unfinished files deleted' "$work/gridgate.log" \
	|| fail "leftovers not deleted at start-up"
[ -f "$l/done/big.log" ] && [ ! -e "$l/done/big.log.report" ] || fail "big.log not done/ without a report"
[ "$(gg_spool_stat published)" = 3011 ] || fail "published=$(gg_spool_stat published), want 3011"
[ "$(sqlite3 "$spool_db" "SELECT count(DISTINCT id) FROM records WHERE source = 'logs'")" = 3010 ] \
	|| fail "records of logs: not 4 + 2 + 4 + 3000 distinct ids"
[ "$(staged_rows)" = 0 ] || fail "staging rows left: $(staged_rows)"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: files end in done/ (with reports) or failed/ (nothing published), also across slices and a SIGKILL"
