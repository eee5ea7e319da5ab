#!/usr/bin/env bash
# SIGHUP builds a whole new configuration and swaps it in: a bad file is refused with file:line
# and the running gridgate goes on; a changed output restarts, a new output and a new input
# start, an input whose options did not change keeps running, a removed input stops. Records go
# to the outputs their input names (`outputs =`), each output to its own topic.
. "$(dirname "$0")/lib.sh"

gg_config
echo "outputs = grid" >> "$work/gridgate.conf" # [filedrop:drop] is the file's last section
gg_start
drop_docs 1 before
wait_for 30 spool_drained || fail "first document not published"

hup_logged() { # hup_logged TEXT: waits for a line with TEXT
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
published() { [ "$(gg_spool_stat published)" -ge "$1" ]; }
wait_for 30 published 2 || fail "not publishing after a refused reload"

# Good again: [xmpp] (the output "grid") changed, a second output on its own topic, and a new
# input delivering to it alone. [filedrop:drop] is unchanged.
sed -i 's/^iq_timeout = .*/iq_timeout = 11s/' "$work/gridgate.conf"
mkdir -p "$work/drop2"
sed -n '/^\[xmpp\]/,/^\[/p' "$work/good.conf" | sed '1d;$d' |
	sed "s/^topic = .*/topic = $topic-2/" > "$work/second.keys"
{
	printf '[out_grid:second]\n'
	cat "$work/second.keys"
	printf '[filedrop:second_in]\ndirectory = %s\noutputs = second\n' "$work/drop2"
} >> "$work/gridgate.conf"
kill -HUP "$gg_pid"
hup_logged "SIGHUP: [out_grid:grid] iq_timeout changed: restarting it" \
	|| fail "changed output not restarted: $(grep SIGHUP "$work/gridgate.log")"
grep SIGHUP "$work/gridgate.log" | grep -qF "[filedrop:drop]" &&
	fail "the unchanged input was touched: $(grep SIGHUP "$work/gridgate.log")"
hup_logged "second_in: watching $work/drop2" ||
	fail "new input not started: $(tail -n 20 "$work/gridgate.log")"

# Routing: drop2's record reaches topic-2 only; drop's (still running) topic 1 only.
iodef2_doc routed-2 > "$work/drop2/routed-2.xml"
iodef2_doc routed-1 > "$work/stage-1.xml" && mv "$work/stage-1.xml" "$work/drop/routed-1.xml"
wait_for 30 published 4 || fail "routed records not published: $("$GRIDGATE" -c "$work/gridgate.conf" spool stats)"
stats=$("$GRIDGATE" -c "$work/gridgate.conf" spool stats)
grep -q '^output second: depth=0 .* delivered=1 ' <<< "$stats" ||
	fail "output second should have delivered one record: $stats"
grep -q '^output grid: depth=0 .* delivered=3 ' <<< "$stats" ||
	fail "output grid should have delivered three records: $stats"
n=$(read_items)
[ "$n" = 3 ] || fail "topic 1 holds $n items, want 3"
grep -l 'routed-2' "$work/items"/*.xml > /dev/null 2>&1 && fail "drop2's record reached topic 1"
sed -i "0,/^topic = .*/s//topic = $topic-2/" "$work/gridgate.conf" # topics items reads [xmpp]
n=$(read_items)
[ "$n" = 1 ] || fail "topic 2 holds $n items, want 1"
grep -l 'routed-2' "$work/items"/*.xml > /dev/null || fail "drop2's record is not on topic 2"

# The new input removed again: stopped.
sed -i "0,/^topic = .*/s//topic = $topic/" "$work/gridgate.conf"
sed -i '/^\[filedrop:second_in\]/,$d' "$work/gridgate.conf"
kill -HUP "$gg_pid"
hup_logged "SIGHUP: [filedrop:second_in] gone from the file: stopping it" \
	|| fail "removed input not stopped: $(grep SIGHUP "$work/gridgate.log")"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: SIGHUP refuses a bad file, restarts what changed, starts what is new, stops what is gone, keeps the rest; records follow their input's outputs"
