#!/usr/bin/env bash
# Privilege drop: started as root with `user = nobody`, gridgate opens its sockets, keys and
# directories, then every thread becomes nobody (real, effective and saved ids, and the groups)
# before it reads any input; what it opened keeps working: a dropped file is published, its
# file moved to done/, and a syslog port below 1024 (bound as root) takes a message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

[ "$(id -u)" = 0 ] || fail "needs root: it starts gridgate as root to see it drop to nobody (CI runs as root)"
uid=$(id -u nobody) && gid=$(id -g nobody) || fail "no user nobody"
# A privileged port no one else uses: 514 may be a system syslog's. The suite runs this test
# with both builds at once: the lock makes them take turns with the few ports there are.
exec 8> /tmp/gg-it_privdrop.lock
flock 8
for p in 610 611 612 613 614 615; do port_bound udp "$p" || { port=$p; break; }; done
[ -n "${port:-}" ] || fail "no free port below 1024"

gg_config
sed -i "/^\[gridgate\]/a user = nobody" "$work/gridgate.conf"
cat >> "$work/gridgate.conf" <<EOC
[syslog:low]
listen = 127.0.0.1:$port
protocol = udp
EOC
# The directories gridgate writes as nobody must be nobody's, the files it reads after the drop
# (the controller's CA, read at each connect) readable by nobody; the work dir traversable.
chmod 755 "$work"
cp "$GG_CA_FILE" "$work/ca.pem" && chmod 644 "$work/ca.pem"
sed -i "s|^ca_file = .*|ca_file = $work/ca.pem|" "$work/gridgate.conf"
mkdir -p "$work/drop/done" "$work/drop/failed"
chown -R nobody "$work/drop"
"$GRIDGATE" -c "$work/gridgate.conf" check-config > /dev/null || fail "check-config refused user = nobody"

gg_start
wait_for 20 grep -q "gridgate running" "$work/gridgate.log" || fail "gridgate did not start"
grep -q "running as nobody (uid $uid)" "$work/gridgate.log" || fail "no privilege drop logged"
for task in /proc/"$gg_pid"/task/*; do
	grep -qP "^Uid:\t$uid\t$uid\t$uid\t$uid$" "$task/status" \
		|| fail "thread ${task##*/} still has $(grep ^Uid: "$task/status")"
	grep -qP "^Gid:\t$gid\t$gid\t$gid\t$gid$" "$task/status" \
		|| fail "thread ${task##*/} still has $(grep ^Gid: "$task/status")"
	grep -qP "^Groups:\t$gid ?$" "$task/status" \
		|| fail "thread ${task##*/} keeps groups: $(grep ^Groups: "$task/status")"
done
umask 022
drop_docs 1 priv
# One nobody may not read: refused with the reason, not skipped in silence.
iodef2_doc secret > "$work/stage-secret.xml" && chmod 600 "$work/stage-secret.xml"
mv "$work/stage-secret.xml" "$work/drop/secret.xml"
logger -n 127.0.0.1 -P "$port" -d --rfc5424 -t itpriv "privdrop-$$ hello"
published_two() { [ "$(gg_spool_stat published)" -ge 2 ]; }
wait_for 30 published_two || fail "not published after the drop: $("$GRIDGATE" -c "$work/gridgate.conf" spool stats)"
[ -e "$work/drop/done/priv-1.xml" ] || fail "the file was not moved to done/"
wait_for 10 test -e "$work/drop/failed/secret.xml.reason" || fail "the unreadable file was not refused"
grep -q "cannot read: Permission denied (gridgate runs as uid $uid)" "$work/drop/failed/secret.xml.reason" \
	|| fail "reason: $(cat "$work/drop/failed/secret.xml.reason")"
[ "$(stat -c %U "$work/state/spool.db")" = nobody ] || fail "the spool is not nobody's"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: started as root, every thread runs as nobody; the file drop and a port below 1024 work"
