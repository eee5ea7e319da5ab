#!/usr/bin/env bash
# The command line: validate's exit codes and messages, check-config's file:line errors.
. "$(dirname "$0")/lib.sh"

v() { "$GRIDGATE" validate --schema-dir "$top/schemas" "$@"; }
data=$top/tests/data/iodef
v "$data/rfc7970/rfc7970-s7.1-minimal.xml" > /dev/null || fail "minimal example not valid"
v "$data/rfc5070/rfc5070-s7.1-worm.xml" | grep -q 'after upgrade' || fail "1.0 not upgraded"
set +e
v "$data/invalid/03-bad-enum-purpose.xml" 2> "$work/err"; code=$?
set -e
[ $code = 1 ] || fail "invalid document: exit $code, want 1"
grep -Eq '03-bad-enum-purpose.xml:[0-9]+:[0-9]+: invalid: .*purpose' "$work/err" \
	|| fail "message lacks line or element: $(cat "$work/err")"
set +e
v "$data/rfc7970/rfc7970-s7.1-minimal.xml" "$data/invalid/10-truncated.xml" > /dev/null 2>&1
code=$?
v /nonexistent.xml 2> /dev/null; missing=$?
"$GRIDGATE" nosuchcommand 2> /dev/null; usage=$?
set -e
[ $code = 1 ] || fail "one invalid among several: exit $code, want 1"
[ $missing = 3 ] || fail "missing file: exit $missing, want 3"
[ $usage = 2 ] || fail "unknown command: exit $usage, want 2"

gg_config
"$GRIDGATE" -c "$work/gridgate.conf" check-config | grep -q 'configuration OK' \
	|| fail "check-config on a good config"
printf '[spool]\nbatch = lots\n' >> "$work/gridgate.conf"
set +e
"$GRIDGATE" -c "$work/gridgate.conf" check-config 2> "$work/err"; code=$?
set -e
[ $code = 2 ] || fail "bad config: exit $code, want 2"
grep -q "gridgate.conf:$(wc -l < "$work/gridgate.conf"): .*batch" "$work/err" \
	|| fail "bad config message: $(cat "$work/err")"
echo "ok: command line"
