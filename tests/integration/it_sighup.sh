#!/usr/bin/env bash
# SIGHUP reads the configuration file whole: a bad one is refused with file:line and the running
# gridgate goes on publishing; changes other than mappings are named and wait for a restart.
. "$(dirname "$0")/lib.sh"

gg_config
gg_start
drop_docs 1 before
wait_for 30 spool_drained || fail "first document not published"

hup_logged() { # hup_logged TEXT: waits for a line with TEXT after the n-th SIGHUP
	wait_for 10 grep -qF "$1" "$work/gridgate.log"
}
cp "$work/gridgate.conf" "$work/good.conf"
# A bad value: refused with its line; the running configuration stays.
sed -i 's/^window = .*//; /^\[xmpp\]/a window = 0' "$work/gridgate.conf"
line=$(grep -n '^window = 0' "$work/gridgate.conf" | cut -d: -f1)
kill -HUP "$gg_pid"
hup_logged "SIGHUP: $work/gridgate.conf:$line: [xmpp] window = 0: must be within 1..4096; the running configuration stays" \
	|| fail "bad config not refused with file:line: $(grep SIGHUP "$work/gridgate.log")"
kill -0 "$gg_pid" || fail "gridgate died on a bad configuration"
cp "$work/good.conf" "$work/gridgate.conf" # what `gridgate spool stats` below reads
drop_docs 1 after-bad
published_two() { [ "$(gg_spool_stat published)" -ge 2 ]; }
wait_for 30 published_two || fail "not publishing after a refused reload"

# Good again, with a changed key and a new input: named, for the next restart.
cp "$work/good.conf" "$work/gridgate.conf"
sed -i 's/^iq_timeout = .*/iq_timeout = 11s/' "$work/gridgate.conf"
mkdir -p "$work/drop2"
printf '[filedrop:second]\ndirectory = %s\n' "$work/drop2" >> "$work/gridgate.conf"
kill -HUP "$gg_pid"
hup_logged "SIGHUP: [xmpp] iq_timeout changed: it takes effect at the next restart" \
	|| fail "changed key not named: $(grep SIGHUP "$work/gridgate.log")"
hup_logged "SIGHUP: [filedrop:second] is new: it starts at the next restart" \
	|| fail "new input not named: $(grep SIGHUP "$work/gridgate.log")"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: SIGHUP refuses a bad file with file:line and keeps running; other changes are named"
