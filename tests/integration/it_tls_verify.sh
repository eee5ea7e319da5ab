#!/usr/bin/env bash
# The controller's certificate is verified: with a CA that did not sign it, gridgate never
# authenticates and publishes nothing, keeps the records pending, and publishes them once
# restarted with the right CA.
. "$(dirname "$0")/lib.sh"

gg_config
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/other-ca.key" -out "$work/other-ca.pem" \
	-days 1 -subj "/CN=not the grid CA" > /dev/null 2>&1
sed -i "s|^ca_file = .*|ca_file = $work/other-ca.pem|" "$work/gridgate.conf"
drop_docs 5 tls
gg_start
wait_for 30 no_files_left || fail "files not taken in"
sleep 3
[ "$(gg_spool_stat published)" = 0 ] || fail "published over an unverified connection"
[ "$(gg_spool_stat pending)" = 5 ] || fail "records not kept pending"
grep -q 'certificate rejected' "$work/gridgate.log" || fail "no certificate failure logged"
if grep -q 'connected to' "$work/gridgate.log"; then fail "a connection was accepted"; fi
gg_stop || fail "gridgate did not stop cleanly"
sed -i "s|^ca_file = .*|ca_file = $GG_CA_FILE|" "$work/gridgate.conf"
gg_start
wait_for 60 spool_drained || fail "not published with the right CA"
[ "$(read_items)" = 5 ] || fail "topic does not hold the 5 items"
echo "ok: wrong CA refused, right CA publishes"
