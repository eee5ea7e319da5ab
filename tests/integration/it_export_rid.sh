#!/usr/bin/env bash
# it_export_rid.sh: two gridgates chained by RID. A subscribes to a topic ([subscribe:sub]) and
# exports with format = rid-report to B's [rid:rid] (RFC 6546: mutual TLS with certificates
# made here, POST, text/xml); B publishes what its [rid_partner:a] sent to its own topic.
#   1. B knows its partner a by another certificate's fingerprint: A's Reports are refused
#      (403, Acknowledgement Denied, Other), retried with the reason kept, nothing lost;
#   2. B is told A's fingerprint (SIGHUP): every Report arrives, and B's topic holds each
#      published document once, its Incident equal to what was published (by namespace URI
#      and local name, as xml_same.py compares);
#   3. all along, A's second exporter `wrong` expects another certificate than B's server
#      certificate: it never sends (the handshake is refused), and says why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

N=${RID_EXPORT_EVENTS:-4}
b_pid=""
stop_b() { # stop_b: B stopped by SIGTERM; 1 when it did not exit 0
	local rc=0
	[ -n "$b_pid" ] || return 0
	kill -TERM "$b_pid" 2> /dev/null || true
	wait "$b_pid" 2> /dev/null || rc=$?
	b_pid=""
	return "$rc"
}
trap 'status=$?; stop_b; (exit $status); cleanup' EXIT

make_certs "$work/certs" || fail "certificates"
fingerprint() { openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//'; }
port=$(free_port) || fail "no free port"
umask 077
printf '%s\n' "$GG_GATEWAY_PASSWORD" > "$work/gateway.password"
printf '%s\n' "$GG_SUBSCRIBER_PASSWORD" > "$work/subscriber.password"
mkdir -p "$work/sent"

# A: the grid subscriber that exports to its RID partner B.
export_section() { # export_section NAME PARTNER_CERT
	cat <<EOC
[export:$1]
url = https://localhost:$port/
format = rid-report
ca_file = $work/certs/ca.crt
client_cert = $work/certs/client.crt
client_key = $work/certs/client.key
partner_cert_sha256 = $(fingerprint "$2")
rid_node = gridgate-a.test
rid_policy_region = PeerToPeer IntraConsortium
rid_traffic_type = Attack
allow_restricted = yes
concurrency = 2
retry_min = 1s
retry_max = 1s
EOC
}
cat > "$work/gridgate.conf" <<EOC
[gridgate]
state_dir = $work/a
schema_dir = $top/schemas
csirt_name = a.test.example
log_level = info
[subscribe:sub]
jid = $GG_SUBSCRIBER_JID
password_file = $work/subscriber.password
host = $GG_XMPP_HOST
port = $GG_XMPP_PORT
ca_file = $GG_CA_FILE
pubsub_service = $GG_PUBSUB_SERVICE
topics = $topic-in
reconnect_min = 100ms
outputs = rid, wrong
$(export_section rid "$work/certs/server.crt")
$(export_section wrong "$work/certs/client.crt")
EOC

# B: the RID system that publishes its partner's Reports.
b_config() { # b_config PARTNER_CERT
	cat > "$work/b.conf" <<EOC
[gridgate]
state_dir = $work/b
schema_dir = $top/schemas
csirt_name = b.test.example
log_level = info
[xmpp]
jid = $GG_GATEWAY_JID
password_file = $work/gateway.password
host = $GG_XMPP_HOST
port = $GG_XMPP_PORT
ca_file = $GG_CA_FILE
pubsub_service = $GG_PUBSUB_SERVICE
topic = $topic-out
members = $GG_SUBSCRIBER_JID
reconnect_min = 200ms
[rid:rid]
listen = 127.0.0.1:$port
tls_cert = $work/certs/server.crt
tls_key = $work/certs/server.key
tls_client_ca = $work/certs/ca.crt
timeout = 2s
[rid_partner:a]
rid = rid
cert_sha256 = $(fingerprint "$1")
message_types = Report
EOC
}
b_config "$work/certs/rogue.crt"
"$GRIDGATE" -c "$work/gridgate.conf" check-config > /dev/null || fail "check-config refuses A"
"$GRIDGATE" -c "$work/b.conf" check-config > /dev/null || fail "check-config refuses B"

"$GRIDGATE" -c "$work/b.conf" run >> "$work/b.log" 2>&1 &
b_pid=$!
wait_for 10 port_bound tcp "$port" || fail "B does not listen"
/usr/bin/python3 "$top/tests/integration/grid_pub.py" --jid "$GG_GATEWAY_JID" \
	--password-file "$work/gateway.password" --host "$GG_XMPP_HOST" --port "$GG_XMPP_PORT" \
	--ca "$GG_CA_FILE" --service "$GG_PUBSUB_SERVICE" --node "$topic-in" --create \
	--count "$N" --prefix rid --out "$work/sent" > /dev/null || fail "grid_pub.py failed"
# Published before A starts: its subscriber catches them up at its first session.
gg_start

a_spool() { sqlite3 "$work/a/spool.db" "$1"; }
# deliveries OUTPUT STATE [REASON-LIKE]: how many of OUTPUT's deliveries are in STATE.
deliveries() {
	a_spool "SELECT count(*) FROM deliveries WHERE output = '$1' AND state = $2
		AND attempts >= ${4:-0} AND coalesce(reason, '') LIKE '%${3:-}%'"
}
is() { [ "$("${@:2}")" = "$1" ]; }

# 1. Not a partner of B: refused, kept, tried again.
wait_for 20 is "$N" deliveries rid 0 "denied the Report (Other, HTTP 403)" 2 ||
	fail "A's Reports were not refused and retried: $(a_spool "SELECT state, attempts, reason
		FROM deliveries WHERE output = 'rid'")"
grep -q "rid: .*refused: certificate 'CN=client'" "$work/b.log" ||
	fail "B logged no refusal of A's certificate"
[ "$(sqlite3 "$work/b/spool.db" "SELECT count(*) FROM records" 2> /dev/null || echo 0)" = 0 ] ||
	fail "B spooled a refused Report"

# 2. B takes A as its partner: every Report arrives, once.
b_config "$work/certs/client.crt"
kill -HUP "$b_pid"
wait_for 20 is "$N" deliveries rid 1 || fail "A delivered $(deliveries rid 1) of $N Reports"
b_published() { sqlite3 "$work/b/spool.db" "SELECT count(*) FROM deliveries WHERE state = 1"; }
wait_for 20 is "$N" b_published || fail "B published $(b_published) of $N"
[ "$(sqlite3 "$work/b/spool.db" "SELECT count(DISTINCT id) FROM records WHERE source = 'a'")" = "$N" ] ||
	fail "B's spool does not hold $N records from a"

# 3. The exporter whose partner is not B never sent a byte, and says why.
[ "$(deliveries wrong 0 "is not the partner_s (partner_cert_sha256)" 1)" = "$N" ] ||
	fail "wrong: $(a_spool "SELECT state, attempts, reason FROM deliveries WHERE output = 'wrong'")"
gg_stop || fail "A did not stop cleanly"
[ "$(counter rid delivered)" = "$N" ] || fail "rid delivered $(counter rid delivered)"
[ "$(counter rid retried)" -ge "$N" ] || fail "rid retried $(counter rid retried)"
[ "$(counter wrong delivered)" = 0 ] || fail "wrong delivered $(counter wrong delivered)"

# B's topic: each published document once, its Incident as it was published.
mkdir -p "$work/items"
got=$("$GRIDGATE" -c "$work/b.conf" topics items --jid "$GG_SUBSCRIBER_JID" \
	--password-file "$work/subscriber.password" --out "$work/items" 2>> "$work/items.log" |
	sed -n 's/^\([0-9]*\) items.*/\1/p')
[ "$got" = "$N" ] || fail "B's topic holds $got items, not $N"
/usr/bin/python3 - "$work/sent" "$work/items" <<'EOP' || fail "B's topic differs from what was published"
import os, sys
import xml.etree.ElementTree as ET

NS = "{urn:ietf:params:xml:ns:iodef-2.0}"

def diff(a, b, path):
    if a.tag != b.tag:
        return f"{path}: element {a.tag} != {b.tag}"
    here = f"{path}/{a.tag}"
    if a.attrib != b.attrib:
        return f"{here}: attributes {sorted(a.attrib.items())} != {sorted(b.attrib.items())}"
    if (a.text or "") != (b.text or "") or (a.tail or "") != (b.tail or ""):
        return f"{here}: text {a.text!r} != {b.text!r}"
    if len(a) != len(b):
        return f"{here}: {len(a)} children != {len(b)}"
    for x, y in zip(a, b):
        d = diff(x, y, here)
        if d:
            return d
    return None

def incidents(path):
    root = ET.parse(path).getroot()
    return {i.find(NS + "IncidentID").text: (i, root) for i in root.findall(NS + "Incident")}

sent, got = {}, {}
for f in os.listdir(sys.argv[1]):
    sent.update(incidents(os.path.join(sys.argv[1], f)))
for f in os.listdir(sys.argv[2]):
    for k, v in incidents(os.path.join(sys.argv[2], f)).items():
        if k in got:
            sys.exit(f"incident {k} twice on B's topic")
        got[k] = v
if sorted(sent) != sorted(got):
    sys.exit(f"incidents sent {sorted(sent)}, on B's topic {sorted(got)}")
for k, (inc, _) in sent.items():
    d = diff(inc, got[k][0], "")
    if d:
        sys.exit(f"{k}: {d}")
    # B names where the document came from (docs/rid.md).
    meanings = {a.get("meaning"): a.text for a in got[k][1].findall(NS + "AdditionalData")}
    if meanings.get("rid-partner") != "a" or meanings.get("rid-msgtype") != "Report" \
            or meanings.get("rid-incident-id") != k:
        sys.exit(f"{k}: RID context {meanings}")
EOP
stop_b || fail "B exited with an error: $(tail -5 "$work/b.log")"
! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$work/b.log" || fail "sanitizer report in B's log"
echo "ok: $test_name: $N Reports refused by B (not its partner) and retried, then delivered once each after B's SIGHUP; B's topic equals what A's topic got; the exporter expecting another certificate sent nothing"
