#!/usr/bin/env bash
# SASL EXTERNAL (XEP-0178) with a client certificate, no password: the gateway logs in to the
# controller's certificate-only domain and publishes; the subscriber (SCRAM, other domain) reads
# the items back. A client certificate from another CA, naming the same JID, is refused: nothing
# is published and the records stay pending.
. "$(dirname "$0")/lib.sh"

[ -n "${GG_EXT_GATEWAY_JID:-}" ] ||
	fail "controller has no SASL EXTERNAL domain (GG_EXT_* unset: is prosody-modules installed?)"
prosody_log=$(dirname "$("$top/scripts/controller" env)")/prosody.log
[ -r "$prosody_log" ] || fail "no Prosody log at $prosody_log"
# The shared controller's log is read for what it did with this run's logins, and the same
# JID logs in from the suite's other build's run of this test: the two take turns.
exec 8> /tmp/gg-it_sasl_external.lock
flock 8

# The usual configuration with the certificate identity instead of the password. Debug level:
# libstrophe's log, which quotes the SASL <auth/> it sends, goes to gridgate's.
GG_LOG_LEVEL=debug gg_config
sed -i -e "s|^jid = .*|jid = $GG_EXT_GATEWAY_JID|" -e '/^password_file = /d' \
	-e "s|^\[xmpp\]\$|[xmpp]\nclient_cert = $GG_EXT_GATEWAY_CERT\nclient_key = $GG_EXT_GATEWAY_KEY|" \
	"$work/gridgate.conf"
grep -q '^password' "$work/gridgate.conf" && fail "config still has a password"
"$GRIDGATE" -c "$work/gridgate.conf" check-config > /dev/null || fail "config refused"

# Negative case first (so the topic does not exist yet): same JID, certificate from another CA.
(
	umask 077
	cd "$work"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue-ca.key \
		-out rogue-ca.pem -days 1 -subj "/CN=not the grid CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key \
		-out rogue.csr -subj "/CN=$GG_EXT_GATEWAY_JID"
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
		'extendedKeyUsage=clientAuth' \
		"subjectAltName=otherName:1.3.6.1.5.5.7.8.5;UTF8:$GG_EXT_GATEWAY_JID" > rogue.ext
	openssl x509 -req -in rogue.csr -CA rogue-ca.pem -CAkey rogue-ca.key -set_serial 1 \
		-days 1 -extfile rogue.ext -out rogue.pem
) > /dev/null 2>&1 || fail "could not make the rogue certificate"
cp "$work/gridgate.conf" "$work/gridgate.good.conf"
sed -i -e "s|^client_cert = .*|client_cert = $work/rogue.pem|" \
	-e "s|^client_key = .*|client_key = $work/rogue.key|" "$work/gridgate.conf"
log_offset=$(stat -c %s "$prosody_log")
drop_docs 3 rogue
gg_start
wait_for 30 no_files_left || fail "files not taken in"
# Several connection attempts (backoff 200 ms .. 2 s), each refused.
wait_for 20 grep -q 'connection failed' "$work/gridgate.log" || fail "no failed login logged"
sleep 3
[ "$(gg_spool_stat published)" = 0 ] || fail "published with a certificate from another CA"
[ "$(gg_spool_stat pending)" = 3 ] || fail "records not kept pending"
if grep -q 'connected to' "$work/gridgate.log"; then fail "a session was established"; fi
grep -q 'SASL EXTERNAL auth failed' "$work/gridgate.log" || fail "EXTERNAL was not tried and refused"
tail -c +"$((log_offset + 1))" "$prosody_log" | grep -q 'Invalid client certificate chain' ||
	fail "Prosody did not log the refused certificate chain"
if tail -c +"$((log_offset + 1))" "$prosody_log" | grep -q "Authenticated as $GG_EXT_GATEWAY_JID"
then fail "Prosody authenticated the rogue certificate"; fi
gg_stop || fail "gridgate did not stop cleanly"

# Right certificate: the pending records and new ones are published.
cp "$work/gridgate.good.conf" "$work/gridgate.conf"
gg_offset=$(wc -l < "$work/gridgate.log")
log_offset=$(stat -c %s "$prosody_log")
drop_docs 4 ext
gg_start
wait_for 30 no_files_left || fail "files not taken in"
wait_for 60 spool_drained || fail "not published with the client certificate"
[ "$(gg_spool_stat published)" = 7 ] || fail "not all 7 records published"
grep -q "connected to .* as $GG_EXT_GATEWAY_JID/" "$work/gridgate.log" ||
	fail "gridgate did not log its session as $GG_EXT_GATEWAY_JID"
tail -n +"$((gg_offset + 1))" "$work/gridgate.log" > "$work/good.log"
grep -q 'SENT: <auth [^>]*mechanism="EXTERNAL"' "$work/good.log" ||
	fail "gridgate did not authenticate with SASL EXTERNAL"
grep -q 'RECV: <success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"' "$work/good.log" ||
	fail "no SASL success received"
if grep -q 'SENT: <auth [^>]*mechanism="\(SCRAM\|PLAIN\)' "$work/gridgate.log"; then
	fail "gridgate tried a password mechanism"
fi
# The domain offers EXTERNAL only (mod_auth_ccert), so a login there is an EXTERNAL login.
# Prosody logs the JID, not the mechanism, at info level.
tail -c +"$((log_offset + 1))" "$prosody_log" | grep -q "Authenticated as $GG_EXT_GATEWAY_JID\$" ||
	fail "Prosody did not log the certificate login"
[ "$(read_items)" = 7 ] || fail "topic does not hold the 7 items for $GG_SUBSCRIBER_JID"
for id in rogue-1 rogue-3 ext-1 ext-4; do
	grep -rqs ">$id</IncidentID>" "$work/items" || fail "item $id not on the topic"
done
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: SASL EXTERNAL publishes without a password; a certificate from another CA is refused"
