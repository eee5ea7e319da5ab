#!/usr/bin/env bash
# The RID input (RFC 6545 messages over RFC 6546 HTTP/TLS) with curl as the partner, with
# certificates from a throwaway CA made here (expired and revoked ones through `openssl ca`, a
# CRL, a foreign CA): the RFC examples and every MsgType answered with the RID reply after
# the commit; partners known by certificate fingerprint, public key, or subject + issuer; a
# retry stored once (also after a SIGKILL, and a quarantined document's); the Content-Type's
# charset deciding the encoding; refusals (certificates, partner, MsgType, XML Signature,
# rate, DTD/XXE/billion laughs, oversize, depth, not RID, unknown IODEF version, method,
# media type, charset, coding) with nothing spooled, logged with the peer and the
# certificate's subject as configured, a flood of them within 5 lines a second; a half-open
# handshake and a slow sender not holding up anyone; a partner disabled by SIGHUP refused
# within a second, the reload line naming every changed key, a signature_trust that does not
# load refused by check-config and SIGHUP; every accepted document on the topic, valid IODEF
# 2.0 with its RID context. Runs in about 20 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

port=$(free_port) || fail "no free port"
data=$top/tests/data/rid
c=$work/ca

# The CA, with `openssl ca` so that certificates can be backdated and revoked.
make_ca() {
	mkdir -p "$c/new"
	: > "$c/index.txt"
	echo 1000 > "$c/serial"
	echo 1000 > "$c/crlnumber"
	cat > "$c/ca.cnf" <<EOC
[ca]
default_ca = gg
[gg]
dir = $c
database = $c/index.txt
new_certs_dir = $c/new
serial = $c/serial
crlnumber = $c/crlnumber
certificate = $c/ca.crt
private_key = $c/ca.key
default_md = sha256
default_days = 2
default_crl_days = 2
policy = any
unique_subject = no
[any]
commonName = supplied
organizationName = optional
EOC
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=gridgate RID test CA" -keyout "$c/ca.key" -out "$c/ca.crt" 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=foreign CA" -keyout "$c/rogue-ca.key" -out "$c/rogue-ca.crt" 2>/dev/null
}
# issue NAME SUBJECT [openssl ca options...]: NAME.key and NAME.crt from the test CA.
issue() {
	local name=$1 subj=$2
	shift 2
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subj" \
		-keyout "$c/$name.key" -out "$c/$name.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n' "${name/server/localhost}" \
		> "$c/$name.ext"
	openssl ca -batch -config "$c/ca.cnf" -extfile "$c/$name.ext" -in "$c/$name.csr" \
		-out "$c/$name.crt" "$@" 2>/dev/null
	[ -s "$c/$name.crt" ] || fail "could not issue $name"
}
make_ca
issue server "/CN=localhost"
for p in alpha beta gamma delta stranger revoked; do issue "$p" "/O=Partner $p/CN=$p"; done
issue expired "/CN=expired" -startdate 20200101000000Z -enddate 20200102000000Z
openssl ca -batch -config "$c/ca.cnf" -revoke "$c/revoked.crt" 2>/dev/null
openssl ca -batch -config "$c/ca.cnf" -gencrl -out "$c/crl.pem" 2>/dev/null
# alpha's subject from a foreign CA, its RDNs in the order `openssl ca` does not make (O first).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/O=Partner alpha/CN=alpha" -keyout "$c/rogue.key" -out "$c/rogue.csr" 2>/dev/null
openssl x509 -req -in "$c/rogue.csr" -CA "$c/rogue-ca.crt" -CAkey "$c/rogue-ca.key" \
	-CAcreateserial -days 2 -out "$c/rogue.crt" 2>/dev/null
# gamma signs its messages (xmlsec1 over the RFC 6545 Report with a whole-message template).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gamma signer" \
	-keyout "$c/signer.key" -out "$c/signer.crt" 2>/dev/null
xmlsec1 --sign --privkey-pem "$c/signer.key,$c/signer.crt" --output "$work/signed.xml" \
	"$data/sign/report-template.xml" 2>/dev/null || fail "xmlsec1 could not sign"
sed 's/192.0.2.130/192.0.2.131/' "$work/signed.xml" > "$work/tampered.xml"

fingerprint() { openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//'; }
spki() { openssl x509 -noout -pubkey -in "$1" | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64; }
dn() { openssl x509 -noout "-$1" -nameopt RFC2253 -in "$2" | sed "s/^$1=//"; }

delta_enabled=yes
delta_types="TraceRequest InvestigationRequest Report Query Acknowledgement Result"
rid_config() {
	gg_config
	sed -i '/^\[gridgate\]/a max_document_size = 16k\nmax_record_size = 4k' "$work/gridgate.conf"
	cat >> "$work/gridgate.conf" <<EOC
[rid:rid]
listen = 127.0.0.1:$port
tls_cert = $c/server.crt
tls_key = $c/server.key
tls_client_ca = $c/ca.crt
tls_crl = $c/crl.pem
max_body_size = 64k
timeout = 2s
# alpha's certificate by its subject, before alpha in the file: alpha's fingerprint names it
# more specifically and wins (a Report from alpha is served as alpha's, not refused as alias's).
[rid_partner:alias]
rid = rid
subject = $(dn subject "$c/alpha.crt")
issuer = $(dn issuer "$c/alpha.crt")
message_types = Query
[rid_partner:alpha]
rid = rid
cert_sha256 = $(fingerprint "$c/alpha.crt")
[rid_partner:beta]
rid = rid
spki_sha256 = $(spki "$c/beta.crt")
message_types = Report
rate_limit = 1
rate_burst = 2
[rid_partner:gamma]
rid = rid
subject = $(dn subject "$c/gamma.crt")
issuer = $(dn issuer "$c/gamma.crt")
require_signature = yes
signature_trust = $c/signer.crt
[rid_partner:delta]
rid = rid
cert_sha256 = $(fingerprint "$c/delta.crt")
message_types = $delta_types
enabled = $delta_enabled
EOC
}
rid_config
"$GRIDGATE" -c "$work/gridgate.conf" check-config > /dev/null || fail "check-config refuses the config"
# A second partner with alpha's fingerprint: one of the two could never be reached.
cp "$work/gridgate.conf" "$work/good.conf"
printf '[rid_partner:twin]\nrid = rid\ncert_sha256 = %s\n' "$(fingerprint "$c/alpha.crt" | tr -d : | tr A-F a-f)" >> "$work/gridgate.conf"
"$GRIDGATE" -c "$work/gridgate.conf" check-config > "$work/twin.out" 2>&1 && fail "check-config took two partners with one fingerprint"
grep -q "gridgate.conf:$(grep -c '' "$work/gridgate.conf"): \[rid_partner:twin\] cert_sha256 = .*\[rid_partner:alpha\] names the same certificate" "$work/twin.out" \
	|| fail "the refusal does not name the line and the other partner: $(cat "$work/twin.out")"
cp "$work/good.conf" "$work/gridgate.conf"
gg_start
wait_for 30 port_bound tcp "$port" || fail "gridgate does not listen on $port"

url=https://localhost:$port/
n=0
# [CT=TYPE] [AS=PARTNER] send EXPECTED FILE [curl options...]: POSTs FILE as PARTNER (its
# certificate; AS=none: no certificate), checks the status; the answer is in $work/out.
send() {
	local want=$1 file=$2 got as=${AS:-alpha}
	shift 2
	local cert=()
	[ "$as" = none ] || cert=(--cert "$c/$as.crt" --key "$c/$as.key")
	n=$((n + 1))
	got=$(curl -s --cacert "$c/ca.crt" "${cert[@]}" -o "$work/out" -D "$work/headers" \
		-w '%{http_code}' -H "Content-Type: ${CT:-text/xml}" --data-binary "@$file" "$@" \
		"$url") || true
	[ "$got" = "$want" ] || fail "request $n ($as, $(basename "$file")): $got, expected $want: $(head -c 300 "$work/out")"
}
# The reply must be a RID Acknowledgement with this AuthorizationStatus (and Justification).
ack() {
	grep -q 'MsgType="Acknowledgement"\|<[a-z:-]*RequestStatus' "$work/out" \
		|| fail "request $n: not an Acknowledgement: $(head -c 300 "$work/out")"
	grep -q "AuthorizationStatus=\"$1\"" "$work/out" \
		|| fail "request $n: not $1: $(head -c 300 "$work/out")"
	[ -z "${2:-}" ] || grep -q "Justification=\"$2\"" "$work/out" \
		|| fail "request $n: Justification is not $2: $(head -c 300 "$work/out")"
}
records() {
	"$GRIDGATE" -c "$work/gridgate.conf" spool stats | head -n 1 | tr ' ' '\n' |
		awk -F= '$1 == "pending" || $1 == "published" { n += $2 } END { print n }'
}
refused_nothing_spooled() { [ "$(records)" = "$before" ] || fail "$1 left records: $before -> $(records)"; }

# Every MsgType, the RFC 6545 examples first: 200 and the Acknowledgement, after the commit.
send 200 "$data/rfc6545/rfc6545-s7.1.1-TraceRequest.xml"; ack Approved
grep -q 'IncidentID name="CERT-FOR-OUR-DOMAIN"' "$work/out" || fail "the reply does not echo the IncidentID"
send 200 "$data/rfc6545/rfc6545-s7.1.2-Acknowledgement.xml"; ack Approved
send 200 "$data/rfc6545/rfc6545-s7.3.1-Report.xml"; ack Approved
cp "$work/out" "$work/report-reply"
send 200 "$data/gridgate/investigation-request-iodef2.xml"; ack Approved
send 200 "$data/gridgate/result.xml"; ack Approved
# A Query: gridgate keeps no incident store to build the Report from.
send 200 "$data/gridgate/query.xml"; ack Denied CannotProcess
[ "$(records)" = 4 ] || fail "4 documents expected in the spool, $(records) there"

# A retry (bytes laid out differently, same canonical message): the same reply, stored once.
before=$(records)
sed "s/MsgType=\"Report\"/MsgType='Report'/" "$data/rfc6545/rfc6545-s7.3.1-Report.xml" > "$work/retry.xml"
send 200 "$work/retry.xml"
cmp -s "$work/out" "$work/report-reply" || fail "the retry got another reply"
refused_nothing_spooled "a retry"

# A document over max_document_size: quarantined, the message answered Denied CannotProcess.
# The partner's retries get the same answer and are quarantined once.
sed "s/Host illicitly accessed admin account/$(head -c 20000 /dev/zero | tr '\0' x)/" \
	"$data/rfc6545/rfc6545-s7.3.1-Report.xml" > "$work/big-doc.xml"
for _ in 1 2 3; do
	send 200 "$work/big-doc.xml"; ack Denied CannotProcess
done
[ "$(gg_spool_stat quarantined)" = 1 ] ||
	fail "a retried message's document was quarantined again: $(gg_spool_stat quarantined) rows"

# The Content-Type's charset decides the encoding (RFC 7303 section 3.2), over the XML
# declaration: a Latin-1 body labelled so is read, unlabelled it is not UTF-8 (400); UTF-8
# bytes labelled Latin-1 are read as Latin-1; a charset gridgate cannot read is 415.
sed 's/207-1/207-7/g; s/at the source.s SP/caf\xc3\xa9 latin1/' "$data/gridgate/result.xml" |
	iconv -f UTF-8 -t ISO-8859-1 > "$work/latin1.xml"
sed 's/207-1/207-8/g; s/at the source.s SP/caf\xc3\xa9 relabelled/' "$data/gridgate/result.xml" \
	> "$work/relabelled.xml"
CT='application/rid+xml; charset=iso-8859-1' send 200 "$work/latin1.xml"; ack Approved
CT='text/xml; charset="ISO-8859-1"' send 200 "$work/relabelled.xml"; ack Approved
before=$(records)
send 400 "$work/latin1.xml"; ack Denied UnrecognizedFormat
CT='text/xml; charset=x-no-such-charset' send 415 "$data/gridgate/result.xml"; ack Denied UnrecognizedFormat
CT='text/xml; charset=' send 415 "$data/gridgate/result.xml"
refused_nothing_spooled "a body in no charset gridgate can read"

# Bad input: 400 with an Acknowledgement Denied, nothing spooled.
before=$(records)
send 400 "$data/gridgate/not-rid-schema.xml"; ack Denied UnrecognizedFormat
send 400 "$data/gridgate/msgtype-foo.xml"; ack Denied UnrecognizedFormat
send 400 "$data/gridgate/unknown-iodef-version.xml"; ack Denied CannotProcess
printf '<?xml version="1.0"?>\n<foo xmlns="urn:example">not RID</foo>\n' > "$work/notrid.xml"
send 400 "$work/notrid.xml"; ack Denied UnrecognizedFormat
printf '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>\n' > "$work/xxe.xml"
send 400 "$work/xxe.xml"
{
	printf '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
	for i in 1 2 3 4 5 6 7 8 9; do
		printf '<!ENTITY lol%d "' "$i"; for _ in 1 2 3 4 5 6 7 8 9 10; do printf '&lol%s;' "$([ "$i" = 1 ] && echo "" || echo $((i - 1)))"; done; printf '">'
	done
	printf ']>\n<lolz>&lol9;</lolz>\n'
} > "$work/laughs.xml"
send 400 "$work/laughs.xml"
{ printf '<a>%.0s' $(seq 1 5000); printf '</a>%.0s' $(seq 1 5000); } > "$work/deep.xml"
send 400 "$work/deep.xml"
head -c 70000 /dev/zero | tr '\0' ' ' > "$work/big.xml"
# Expect: 100-continue lets the 413 come before the body: without it, curl may still be
# sending when the answer closes the connection, and see a reset instead.
send 413 "$work/big.xml" -H 'Expect: 100-continue'
send 413 "$work/big.xml" -H 'Transfer-Encoding: chunked'
send 405 "$data/rfc6545/rfc6545-s7.3.1-Report.xml" -X GET
grep -qi '^Allow: POST' "$work/headers" || fail "405 without Allow: POST"
CT=application/json send 415 "$data/rfc6545/rfc6545-s7.3.1-Report.xml"
# Refusals made from the headers are logged with the peer and the certificate.
alpha_id="certificate '$(dn subject "$c/alpha.crt")', sha256 $(fingerprint "$c/alpha.crt" | tr -d : | tr A-F a-f)"
for line in "refused 405: RID messages are POSTed ($alpha_id)" \
	"refused 415: Content-Type must be text/xml (RFC 6546) ($alpha_id)" \
	"refused 415: the Content-Type's charset is not one gridgate can read ($alpha_id)"; do
	grep -qF "rid: 127.0.0.1: $line" "$work/gridgate.log" || fail "not logged: $line"
done
send 415 "$data/rfc6545/rfc6545-s7.3.1-Report.xml" -H 'Content-Encoding: br'
grep -qi '^Accept-Encoding: gzip, deflate' "$work/headers" || fail "br 415: $(cat "$work/headers")"
# A body that is not in the coding it names: its format is not recognised.
send 400 "$data/rfc6545/rfc6545-s7.3.1-Report.xml" -H 'Content-Encoding: gzip'; ack Denied UnrecognizedFormat
gzip -c "$data/gridgate/result.xml" > "$work/result.xml.gz"
send 200 "$work/result.xml.gz" -H 'Content-Encoding: gzip'; ack Approved
refused_nothing_spooled "bad input"

# Certificates: none, foreign, expired, revoked, valid but no partner's: 403, nothing spooled.
for who in none rogue expired revoked stranger; do
	AS=$who send 403 "$data/gridgate/result.xml"; ack Denied
done
grep -q "subject 'CN=expired'" "$work/gridgate.log" || fail "the expired certificate is not named in the log"
# Subjects are logged as the configuration names them (RFC 4514, as openssl -nameopt RFC2253
# prints them), whatever the order of the certificate's RDNs and whether it verified.
for who in rogue revoked; do
	grep -qF "subject '$(dn subject "$c/$who.crt")'" "$work/gridgate.log" ||
		fail "$who's subject is not logged as $(dn subject "$c/$who.crt")"
done
grep -q "certificate '$(dn subject "$c/stranger.crt")'.*sha256 $(fingerprint "$c/stranger.crt" | tr -d : | tr A-F a-f)" \
	"$work/gridgate.log" || fail "the unknown partner's certificate is not named in the log"
refused_nothing_spooled "refused certificates"

# beta, known by its public key: Report only, one a second with a burst of two.
AS=beta send 200 "$data/rfc6545/rfc6545-s7.3.1-Report.xml"; ack Approved
AS=beta send 403 "$data/rfc6545/rfc6545-s7.1.1-TraceRequest.xml"; ack Denied CannotProcess
AS=beta send 503 "$data/rfc6545/rfc6545-s7.3.1-Report.xml"
grep -qi '^Retry-After: [1-9]' "$work/headers" || fail "503 without Retry-After"
grep -q "rid: 127.0.0.1: refused 503: \[rid_partner:beta\] over its rate_limit, Retry-After [1-9] s (certificate '$(dn subject "$c/beta.crt")'" \
	"$work/gridgate.log" || fail "the rate-limited message is not logged"

# gamma, known by subject and issuer, must sign: unsigned and tampered refused, signed taken.
before=$(records)
AS=gamma send 403 "$data/rfc6545/rfc6545-s7.3.1-Report.xml"; ack Denied Authentication
AS=gamma send 403 "$work/tampered.xml"; ack Denied Authentication
refused_nothing_spooled "unsigned and tampered messages"
AS=gamma send 200 "$work/signed.xml"; ack Approved

# A TLS handshake left half open and a sender that stalls mid-body hold nobody up; both are
# cut at the timeout (2 s), nothing of the stalled message spooled.
before=$(records)
exec 3<>"/dev/tcp/127.0.0.1/$port"
{ printf '<iodef-rid:RID'; sleep 4; } | curl -s -o /dev/null --cacert "$c/ca.crt" \
	--cert "$c/alpha.crt" --key "$c/alpha.key" -H 'Content-Type: text/xml' -X POST -T - \
	"$url" &
slow=$!
AS=delta send 200 "$data/gridgate/result.xml"; ack Approved
AS=alpha send 200 "$data/rfc6545/rfc6545-s7.3.1-Report.xml"; ack Approved
timeout 5 cat <&3 > /dev/null || fail "the half-open handshake was not closed at the timeout"
exec 3>&-
wait "$slow" || true
[ "$(records)" = $((before + 1)) ] || fail "the stalled sender left records: $before -> $(records)"

# SIGHUP disables delta (and narrows its types): refused within a second, without a restart;
# the log names both keys.
delta_enabled=no delta_types=Report rid_config
kill -HUP "$gg_pid"
hup=$(date +%s%N)
# In a subshell: send exits on another status, which here only means "not yet".
until (AS=delta send 403 "$data/gridgate/result.xml") 2>/dev/null; do
	[ $((($(date +%s%N) - hup) / 1000000)) -lt 1000 ] || fail "delta still served 1 s after SIGHUP"
done
ack Denied Other
grep -q 'SIGHUP: \[rid_partner:delta\] message_types, enabled changed: applied in place' "$work/gridgate.log" ||
	fail "the reload line does not name both keys: $(grep 'SIGHUP: \[rid_partner:delta\]' "$work/gridgate.log")"
grep -q 'is disabled' "$work/gridgate.log" || fail "the disabled partner's refusal is not logged"
# A SIGHUP that would give delta alpha's fingerprint is refused whole: delta stays disabled,
# alpha stays alpha.
sed -i "/^\[rid_partner:delta\]/,/^enabled/{s/^cert_sha256 = .*/cert_sha256 = $(fingerprint "$c/alpha.crt")/; s/^enabled = .*/enabled = yes/}" "$work/gridgate.conf"
kill -HUP "$gg_pid"
wait_for 10 grep -q 'names the same certificate' "$work/gridgate.log" || fail "the SIGHUP with a twin fingerprint was not refused"
AS=delta send 403 "$data/gridgate/result.xml"; ack Denied Other
AS=alpha send 200 "$data/gridgate/result.xml"; ack Approved
delta_enabled=no delta_types=Report rid_config
# A signature_trust that does not load: check-config refuses it with its line, and a SIGHUP
# with it changes nothing (gamma keeps its trust, no partner or listener restarts).
sed -i "s|^signature_trust = .*|signature_trust = $work/missing.pem|" "$work/gridgate.conf"
"$GRIDGATE" -c "$work/gridgate.conf" check-config > "$work/trust.out" 2>&1 &&
	fail "check-config took a signature_trust that does not exist"
grep -q "gridgate.conf:$(grep -n '^signature_trust' "$work/gridgate.conf" | cut -d: -f1): \[rid_partner:gamma\] signature_trust = $work/missing.pem: cannot read: " \
	"$work/trust.out" || fail "the refusal does not name the line and the file: $(cat "$work/trust.out")"
kill -HUP "$gg_pid"
wait_for 10 grep -q "signature_trust = .*missing.pem: cannot read: .*the running configuration stays" \
	"$work/gridgate.log" || fail "the SIGHUP with a missing signature_trust was not refused"
! grep -q 'restarting it\|restarts with its group' "$work/gridgate.log" ||
	fail "a SIGHUP restarted partners: $(grep SIGHUP "$work/gridgate.log")"
AS=gamma send 200 "$work/signed.xml"; ack Approved
AS=gamma send 403 "$work/tampered.xml"; ack Denied Authentication
delta_enabled=no delta_types=Report rid_config

# A flood of refusals does not flood the log: at most 5 lines a second, and a line saying
# how many were left out.
logged_405() { grep -c 'refused 405' "$work/gridgate.log"; }
before=$(logged_405)
flood_start=$SECONDS
curl -s -o /dev/null --cacert "$c/ca.crt" --cert "$c/alpha.crt" --key "$c/alpha.key" -X GET \
	$(for _ in $(seq 1 60); do printf '%s ' "$url"; done) > /dev/null || true
sleep 1.1
send 405 "$data/gridgate/result.xml" -X GET
logged=$(($(logged_405) - before))
[ "$logged" -le $((5 * (SECONDS - flood_start + 1) + 1)) ] || fail "$logged of 61 refusals logged"
grep -q 'rid: [0-9]* more line(s) like these not logged (at most 5 a second)' "$work/gridgate.log" ||
	fail "no line says how many refusals were left out"

# A clean stop (the sanitizer build checks this instance, reload included, for leaks), and
# every refusal counted.
gg_stop || fail "gridgate did not stop cleanly"
for k in timeouts:1 bad_certificate:4 unknown_partner:1 not_allowed:1 rate_limited:1 \
	bad_signature:2 disabled:1 malformed:8 too_large:2 bad_method:62 bad_type:3 bad_encoding:2; do
	[ "$(counter rid "${k%%:*}")" -ge "${k##*:}" ] || fail "counter ${k%%:*}: $(counter rid "${k%%:*}")"
done
gg_start
wait_for 30 port_bound tcp "$port" || fail "gridgate does not listen after the restart"

# A message acknowledged, the gateway killed, the message sent again after the restart: the
# same reply, published once.
sed 's/209-1/209-2/g' "$data/rfc6545/rfc6545-s7.3.1-Report.xml" > "$work/again.xml"
send 200 "$work/again.xml"; cp "$work/out" "$work/again-reply"
kill -KILL "$gg_pid"; wait "$gg_pid" 2>/dev/null || true; gg_pid=""
before=$(records)
gg_start
wait_for 30 port_bound tcp "$port" || fail "gridgate does not listen after the SIGKILL"
send 200 "$work/again.xml"
cmp -s "$work/out" "$work/again-reply" || fail "the retry after SIGKILL got another reply"
refused_nothing_spooled "the retry after SIGKILL"

# Every document accepted is on the topic once, valid IODEF 2.0 with its RID context.
wait_for 30 spool_drained || fail "spool not drained: $(gg_spool_stat pending) pending"
want=$(records)
got=$(read_items)
[ "$got" = "$want" ] || fail "topic holds $got items, $want documents were accepted"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/* > /dev/null || fail "an item is not valid IODEF 2.0"
for m in rid-partner rid-msgtype rid-incident-id rid-policy-region; do
	[ "$(grep -l "meaning=\"$m\"" "$work"/items/* | wc -l)" = "$want" ] || fail "not every item has $m"
done
grep -l '>gamma<' "$work"/items/* > /dev/null || fail "no item names partner gamma"
grep -l $'192.0.2.35 caf\xc3\xa9 latin1' "$work"/items/* > /dev/null ||
	fail "the Latin-1 message did not arrive as UTF-8"
grep -l $'192.0.2.35 caf\xc3\x83\xc2\xa9 relabelled' "$work"/items/* > /dev/null ||
	fail "the UTF-8 message labelled ISO-8859-1 was not read as Latin-1"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: $test_name ($want documents, $n requests)"
