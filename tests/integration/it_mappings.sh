#!/usr/bin/env bash
# Log files dropped into an input with mappings: sshd lines become classified incidents, noise
# is dropped on purpose, a foreign line becomes the generic incident; SIGHUP reloads an edited
# mapping, and a broken one is refused (check-config and SIGHUP name file:line) while the
# running mappings keep working.
. "$(dirname "$0")/lib.sh"

gg_config
mkdir -p "$work/mappings"
cp "$top/mappings/openssh.map" "$work/mappings/"
cat >> "$work/gridgate.conf" <<EOC
mappings = openssh
unmatched = generic
[gridgate]
mapping_dir = $work/mappings
EOC
"$GRIDGATE" -c "$work/gridgate.conf" check-config | grep -q "mappings: openssh (unmatched: generic)" \
	|| fail "check-config does not list the mappings"

stage() { cat > "$work/stage.log"; mv "$work/stage.log" "$work/drop/$1"; }

gg_start
stage auth-1.log <<'EOL'
Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186
Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2
Dec 10 06:55:48 LabSZ sshd[24200]: pam_unix(sshd:auth): check pass; user unknown
Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2
Dec 10 09:32:21 LabSZ cron[24681]: (root) CMD (run-parts /etc/cron.hourly)
EOL
wait_for 60 no_files_left || fail "auth-1.log still waiting"
wait_for 60 spool_drained || fail "spool not drained"
[ -z "$(ls "$work/drop/failed")" ] || fail "failed: $(cat "$work"/drop/failed/*.reason)"
n=$(read_items)
[ "$n" = 4 ] || fail "topic holds $n items, want 4 (3 mapped, 1 generic; 1 dropped on purpose)"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
[ "$(grep -l 'type="breach-credential"' "$work"/items/*.xml | wc -l)" = 2 ] \
	|| fail "want 2 breach-credential incidents"
grep -q 'sshd: accepted password for fztu from 119.137.62.142' "$work"/items/*.xml \
	|| fail "accepted login not described"
grep -l 'run-parts' "$work"/items/*.xml | xargs grep -q 'type="unknown"' \
	|| fail "the cron line is not the generic incident"

# An edited mapping takes effect on SIGHUP, without a restart.
sed -i '/^rule accepted/,/^rule /s/^set severity low$/set severity high/' "$work/mappings/openssh.map"
kill -HUP "$gg_pid"
wait_for 10 grep -q "drop: SIGHUP: 1 mapping(s) reloaded" "$work/gridgate.log" || fail "no reload logged"
echo 'Dec 11 09:32:20 LabSZ sshd[24690]: Accepted publickey for ops from 192.0.2.44 port 50000 ssh2' \
	| stage auth-2.log
wait_for 60 no_files_left || fail "auth-2.log still waiting"
wait_for 60 spool_drained || fail "spool not drained"
read_items > /dev/null
grep -l 'accepted publickey for ops' "$work"/items/*.xml | xargs grep -q 'severity="high"' \
	|| fail "the reloaded mapping was not used"

# A broken mapping: check-config names file and line; SIGHUP keeps the running set.
printf 'rule broken\nset sevrity high\n' >> "$work/mappings/openssh.map"
out=$("$GRIDGATE" -c "$work/gridgate.conf" check-config 2>&1) && fail "check-config accepted a broken mapping"
echo "$out" | grep -q "openssh.map:[0-9]*: unknown slot 'sevrity'" || fail "check-config said: $out"
kill -HUP "$gg_pid"
wait_for 10 grep -q "mappings not reloaded, the running ones stay: .*unknown slot 'sevrity'" \
	"$work/gridgate.log" || fail "broken reload not reported"
echo 'Dec 12 10:00:00 LabSZ sshd[24700]: Failed password for root from 198.51.100.9 port 40000 ssh2' \
	| stage auth-3.log
wait_for 60 no_files_left || fail "auth-3.log still waiting"
wait_for 60 spool_drained || fail "spool not drained"
n=$(read_items)
[ "$n" = 6 ] || fail "topic holds $n items, want 6"
grep -q 'sshd: failed password for root from 198.51.100.9' "$work"/items/*.xml \
	|| fail "mapping stopped working after a refused reload"
# Hostile lines: invalid UTF-8, control characters, a 200 KB line. Each becomes a valid
# document (the raw line in base64 where it is not XML text); nothing stalls or crashes. A file
# with a NUL byte is binary to a log input: refused whole (it_file_outcomes has the rules).
printf 'Dec 12 10:00:02 LabSZ sshd[24702]: Invalid user ro\000ot from 198.51.100.11\n' | stage nul.log
{
	printf 'Dec 12 10:00:01 LabSZ sshd[24701]: Failed password for \xff\xfeadmin from 198.51.100.10 port 40001 ssh2\n'
	printf 'Dec 12 10:00:03 LabSZ sshd[24703]: Invalid user \033[31mred from 198.51.100.12\n'
	printf 'Dec 12 10:00:04 LabSZ sshd[24704]: Invalid user '; head -c 200000 /dev/zero | tr '\0' a
	printf ' from 198.51.100.13\n'
} | stage hostile.log
wait_for 60 no_files_left || fail "hostile.log still waiting"
wait_for 60 spool_drained || fail "spool not drained"
[ "$(ls "$work/drop/failed")" = "$(printf 'nul.log\nnul.log.reason')" ] \
	|| fail "failed/: $(ls "$work/drop/failed")"
grep -q 'NUL byte at offset 50' "$work/drop/failed/nul.log.reason" || fail "nul.log reason"
n=$(read_items)
[ "$n" = 9 ] || fail "topic holds $n items, want 9"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
[ "$(grep -l 'dtype="bytes"' "$work"/items/*.xml | wc -l)" -ge 2 ] \
	|| fail "want the non-text lines kept as base64"
kill -USR1 "$gg_pid"
wait_for 10 grep -q "drop: mapping: mapped=6 ignored=1 unmatched=2 failed=1 dropped=0" \
	"$work/gridgate.log" || fail "mapping counters wrong: $(grep 'mapping:' "$work/gridgate.log" | tail -1)"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: log lines mapped, noise dropped, generic fallback, hostile lines kept valid, SIGHUP reload and refusal"
