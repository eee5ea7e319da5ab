#!/usr/bin/env bash
# The command line: validate's and map's exit codes and messages, check-config's file:line
# errors.
. "$(dirname "$0")/lib.sh"

v() { "$GRIDGATE" validate --schema-dir "$top/schemas" "$@"; }
data=$top/tests/data/iodef
v "$data/rfc7970/rfc7970-s7.1-minimal.xml" > /dev/null || fail "minimal example not valid"
v "$data/rfc5070/rfc5070-s7.1-worm.xml" | grep -q 'after upgrade' || fail "1.0 not upgraded"
set +e
v "$data/invalid/03-bad-enum-purpose.xml" 2> "$work/err"; code=$?
set -e
[ $code = 1 ] || fail "invalid document: exit $code, want 1"
# FILE:LINE: ELEMENT: REASON, once: no line repeated in the reason, no column libxml2 did not
# give; a parse error has its column.
grep -Eq '03-bad-enum-purpose.xml:[0-9]+: Incident: attribute .purpose.' "$work/err" \
	|| fail "message lacks line or element: $(cat "$work/err")"
[ "$(wc -l < "$work/err")" = 1 ] && ! grep -q 'line [0-9]' "$work/err" \
	|| fail "validate message: $(cat "$work/err")"
set +e
v "$data/invalid/10-truncated.xml" 2> "$work/err"
set -e
grep -Eq '10-truncated.xml:[0-9]+:[0-9]+: [^0-9]' "$work/err" \
	|| fail "parse error lacks line:column: $(cat "$work/err")"
set +e
v "$data/rfc7970/rfc7970-s7.1-minimal.xml" "$data/invalid/10-truncated.xml" > /dev/null 2>&1
code=$?
v /nonexistent.xml 2> /dev/null; missing=$?
"$GRIDGATE" nosuchcommand 2> /dev/null; usage=$?
set -e
[ $code = 1 ] || fail "one invalid among several: exit $code, want 1"
[ $missing = 3 ] || fail "missing file: exit $missing, want 3"
[ $usage = 2 ] || fail "unknown command: exit $usage, want 2"

# gridgate map: a line in, a valid document out; --explain names the rule; a broken mapping
# is refused with file:line and exit 2.
m() { "$GRIDGATE" map --schema-dir "$top/schemas" --mapping-dir "$top/mappings" "$@"; }
line='Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for root from 192.0.2.9 port 38926 ssh2'
echo "$line" | m -m openssh > "$work/doc.xml" || fail "map: exit $?"
v "$work/doc.xml" > /dev/null || fail "map made an invalid document"
echo "$line" | m -m openssh --explain | grep -q '^mapped by openssh/failed-auth' \
	|| fail "--explain does not name the rule"
# A line no rule takes: each failed condition, as written, with the value it looked at, cut.
other="Dec 10 06:55:48 LabSZ sshd[24200]: Connection from 192.0.2.9 $(printf 'x%.0s' $(seq 1 200))"
echo "$other" | m -m openssh --explain -q > "$work/explain" 2>&1
grep -q '^    line [0-9]*: match msg ^(?:message repeated \\d+ .*: no match on "Connection from 192\.0\.2\.9 x*\.\.\."$' \
	"$work/explain" || fail "--explain on an unmatched line: $(cat "$work/explain")"
echo 'Dec 10 06:55:48 LabSZ cron[1]: hello' | m -m openssh --explain -q 2>&1 \
	| grep -qF 'when app in sshd sshd(pam_unix): no: app is "cron"' \
	|| fail "--explain on a mapping's selection"
# An unknown mapping name: the mappings there are.
set +e
m -m nosuch < /dev/null 2> "$work/err"; code=$?
set -e
[ $code = 2 ] && grep -q "no mapping 'nosuch' in" "$work/err" && grep -qx '  openssh' "$work/err" \
	|| fail "unknown mapping: exit $code: $(cat "$work/err")"
printf 'rule r\nmatch msg ^(unclosed\n' > "$work/broken.map"
set +e
echo "$line" | m -m "$work/broken.map" > /dev/null 2> "$work/err"; code=$?
set -e
[ $code = 2 ] || fail "broken mapping: exit $code, want 2"
grep -q "broken.map:2: regex: missing closing parenthesis" "$work/err" \
	|| fail "broken mapping message: $(cat "$work/err")"

gg_config
"$GRIDGATE" -c "$work/gridgate.conf" check-config | grep -q 'configuration OK' \
	|| fail "check-config on a good config"
sed -i 's/^\[spool\]$/[spool]\nbatch = lots/' "$work/gridgate.conf"
set +e
"$GRIDGATE" -c "$work/gridgate.conf" check-config 2> "$work/err"; code=$?
set -e
[ $code = 2 ] || fail "bad config: exit $code, want 2"
n=$(grep -n '^batch = lots$' "$work/gridgate.conf" | cut -d: -f1)
grep -qF "gridgate.conf:$n: [spool] batch = lots: not an integer; must be within 1..10000" \
	"$work/err" || fail "bad config message: $(cat "$work/err")"
# A key twice and an input section twice are refused, naming both lines.
sed -i 's/^batch = lots$/batch = 8/' "$work/gridgate.conf"
printf '[spool]\nbatch = 9\n[filedrop:drop]\n' >> "$work/gridgate.conf"
out=$("$GRIDGATE" -c "$work/gridgate.conf" check-config 2>&1) && fail "batch twice passed"
echo "$out" | grep -q "\[spool\] batch set twice (first at line $n)" || fail "batch twice: $out"
sed -i '/^batch = 9$/d' "$work/gridgate.conf"
out=$("$GRIDGATE" -c "$work/gridgate.conf" check-config 2>&1) && fail "a second [filedrop:drop] passed"
echo "$out" | grep -q "\[filedrop:drop\] appears twice (first at line" || fail "second input: $out"

# Help needs no configuration: every command's --help, the sections' options from the tables.
for c in run check-config validate topics spool map help version; do
	"$GRIDGATE" -c /nonexistent "$c" --help | grep -q "^usage: gridgate .*$c" \
		|| fail "$c --help"
done
"$GRIDGATE" help xmpp | grep -q '^  port (integer, 1\.\.65535; default 5222)$' \
	|| fail "help xmpp: $("$GRIDGATE" help xmpp | head -5)"
# spool is a command and a section: help gives both, "[spool]" the section alone.
out=$("$GRIDGATE" help spool)
echo "$out" | grep -q '^usage: gridgate .*spool stats' && echo "$out" | grep -q '^  max_pending (integer' \
	|| fail "help spool: $out"
out=$("$GRIDGATE" help '[spool]')
echo "$out" | grep -q '^  batch (integer, 1\.\.10000; default 64)$' && ! echo "$out" | grep -q '^usage' \
	|| fail "help [spool]: $out"
"$GRIDGATE" help '[webhook]' | grep -q '^  max_body_size ' || fail "help [webhook]"
"$GRIDGATE" --version | grep -q '^gridgate ' || fail "--version"
set +e
"$GRIDGATE" -c /tmp check-config 2> "$work/err"; code=$?
set -e
[ $code = 2 ] && grep -qF '/tmp: is a directory' "$work/err" || fail "-c /tmp: $(cat "$work/err")"
echo "ok: command line"
