#!/usr/bin/env bash
# Each way of failing to reach the controller is told apart, with what to check, in the daemon's
# log and as `topics check`'s exit message (exit 3): refused connection (wrong port), a name that
# does not resolve, wrong password (SASL mechanism and condition), wrong CA (OpenSSL's reason),
# a stream error (a JID domain the controller does not serve), a server without STARTTLS, a TLS
# handshake that fails, and an address that accepts TCP but never speaks XMPP (the connect
# watchdog). A cause retrying cannot fix fails `topics check` at once, not after iq_timeout.
# Once connected, an IQ the controller never answers fails it after iq_timeout.
. "$(dirname "$0")/lib.sh"

# Fake servers on loopback, one port per mode: silent (accepts, says nothing), notls (a stream
# without STARTTLS), badtls (STARTTLS, then plain text instead of a TLS handshake).
cat > "$work/fake.py" <<'EOF'
import socket, sys, threading
HDR = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
       b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0' from='localhost' id='x'>")
def talk(c, mode):
    data = b""
    try:
        while True:
            chunk = c.recv(4096)
            if not chunk:
                return
            data += chunk
            if mode in ("notls", "badtls") and b"<stream:stream" in data:
                c.sendall(HDR + (b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:"
                                 b"xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>"
                                 if mode == "notls" else
                                 b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:"
                                 b"xmpp-tls'><required/></starttls>") + b"</stream:features>")
                data, mode = b"", mode + "-sent"
            elif mode == "badtls-sent" and b"<starttls" in data:
                c.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
                c.recv(4096)  # the ClientHello
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                # and close: libstrophe 0.12 would wait for ever for a ServerHello
                return
    except OSError:
        pass
    finally:
        c.close()
def serve(lst, mode):
    while True:
        c, _ = lst.accept()
        threading.Thread(target=talk, args=(c, mode), daemon=True).start()
ports = []
for mode in sys.argv[1:]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    ports.append(str(s.getsockname()[1]))
    threading.Thread(target=serve, args=(s, mode), daemon=True).start()
# A port nothing listens on: bound, then closed.
s = socket.socket()
s.bind(("127.0.0.1", 0))
ports.append(str(s.getsockname()[1]))
s.close()
print(" ".join(ports), flush=True)
threading.Event().wait()
EOF
python3 "$work/fake.py" silent notls badtls > "$work/ports" &
fake_pid=$!
trap 'status=$?; kill "$fake_pid" 2>/dev/null; (exit $status); cleanup' EXIT
wait_for 10 test -s "$work/ports" || fail "fake servers did not start"
read -r silent_port notls_port badtls_port closed_port < "$work/ports"

gg_config
# iq_timeout 5 s: a final cause must fail `topics check` well before it.
sed -i -e 's/^iq_timeout = .*/iq_timeout = 5s/' -e 's/^reconnect_max = .*/reconnect_max = 1s/' \
	"$work/gridgate.conf"
cp "$work/gridgate.conf" "$work/good.conf"
printf 'not the password\n' > "$work/wrong.password"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/other-ca.key" -out "$work/other-ca.pem" \
	-days 1 -subj "/CN=not the grid CA" > /dev/null 2>&1 || fail "openssl req"

# expect_failure NAME MAX_SECONDS PATTERN SED_EXPR...: `topics check` with the good config edited by the
# sed expressions must exit 3 within MAX_SECONDS with PATTERN (grep -E) in its exit message (its
# last line), and `gridgate run` must log "connection failed: " followed by the same text.
n_cases=0
expect_failure() {
	local name=$1 max=$2 pattern=$3 start out rc=0 took
	shift 3
	n_cases=$((n_cases + 1))
	cp "$work/good.conf" "$work/gridgate.conf"
	for expr in "$@"; do sed -i -e "$expr" "$work/gridgate.conf"; done
	start=$(date +%s%N)
	"$GRIDGATE" -c "$work/gridgate.conf" topics check > "$work/$name.out" 2>&1 || rc=$?
	took=$((($(date +%s%N) - start) / 1000000))
	[ "$rc" = 3 ] || fail "$name: topics check exited $rc, not 3: $(cat "$work/$name.out")"
	out=$(tail -n 1 "$work/$name.out")
	[[ $out == "gridgate: cannot connect to the controller as "* ]] ||
		fail "$name: exit message is '$out'"
	grep -qE -- "$pattern" <<< "$out" || fail "$name: exit message '$out' lacks /$pattern/"
	[ "$took" -le $((max * 1000)) ] || fail "$name: topics check took $took ms (over ${max}s)"
	# The daemon's log says the same.
	: > "$work/gridgate.log"
	gg_start
	wait_for 10 grep -qE -- "warning: xmpp: connection failed: .*$pattern" "$work/gridgate.log" ||
		fail "$name: gridgate run did not log /$pattern/"
	gg_stop || fail "$name: gridgate did not stop cleanly"
	if grep -q 'warning: .*\(authentication?\|Cannot authenticate with known methods\)' \
		"$work/gridgate.log"; then
		fail "$name: the old misleading messages are still logged"
	fi
	cp "$work/gridgate.log" "$work/$name.log"
	echo "ok $n_cases: $name (${took} ms): ${out#gridgate: cannot connect to the controller as }"
}

expect_failure refused 2 "connection to 127\.0\.0\.1:$closed_port refused: nothing listens there: check host and port" \
	"s/^port = .*/port = $closed_port/"
expect_failure dns 5 "cannot resolve nosuch\.invalid: .*: check host" \
	"s/^host = .*/host = nosuch.invalid/"
expect_failure password 3 "SASL SCRAM-SHA-(1|256|512) login as $GG_GATEWAY_JID refused: not-authorized( \(\".*\"\))?: check jid and the password \(password_file\)" \
	"s|^password_file = .*|password_file = $work/wrong.password|"
expect_failure wrong_ca 3 "TLS: controller certificate rejected: [a-z].* \(subject .*\): check that ca_file \($work/other-ca\.pem\) holds the CA" \
	"s|^ca_file = .*|ca_file = $work/other-ca.pem|"
grep -q 'connected to' "$work/wrong_ca.log" && fail "wrong_ca: a connection was accepted"
if [ -n "${GG_EXT_GATEWAY_JID:-}" ]; then
	# The certificate-only domain with a password: no mechanism in common.
	expect_failure no_mechanism 3 "no SASL mechanism in common to log in as $GG_EXT_GATEWAY_JID: the controller offers EXTERNAL;" \
		"s/^jid = .*/jid = $GG_EXT_GATEWAY_JID/"
	# A client certificate from another CA naming the JID: Prosody answers account-disabled.
	(
		cd "$work"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue-ca.key \
			-out rogue-ca.pem -days 1 -subj "/CN=not the grid CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key \
			-out rogue.csr -subj "/CN=$GG_EXT_GATEWAY_JID"
		printf '%s\n' 'extendedKeyUsage=clientAuth' \
			"subjectAltName=otherName:1.3.6.1.5.5.7.8.5;UTF8:$GG_EXT_GATEWAY_JID" > rogue.ext
		openssl x509 -req -in rogue.csr -CA rogue-ca.pem -CAkey rogue-ca.key -set_serial 1 \
			-days 1 -extfile rogue.ext -out rogue.pem
	) > /dev/null 2>&1 || fail "could not make the rogue certificate"
	expect_failure external_cert 3 "SASL EXTERNAL login as $GG_EXT_GATEWAY_JID refused: (not-authorized|account-disabled): check client_cert and client_key" \
		"s/^jid = .*/jid = $GG_EXT_GATEWAY_JID/" '/^password_file = /d' \
		"s|^\\[xmpp\\]\$|[xmpp]\\nclient_cert = $work/rogue.pem\\nclient_key = $work/rogue.key|"
else
	echo "skip: no SASL EXTERNAL domain on the controller (prosody-modules)"
fi
expect_failure stream_error 3 "the controller ended the stream: stream error host-unknown: .*: the controller does not serve the JID's domain: check jid" \
	"s/^jid = .*/jid = gateway@no-such-domain.example/"
expect_failure no_starttls 3 "127\.0\.0\.1:$notls_port offers no STARTTLS, and gridgate never talks to a controller in clear" \
	"s/^port = .*/port = $notls_port/"
expect_failure tls_handshake 3 "TLS handshake with 127\.0\.0\.1:$badtls_port failed: [a-z][a-z ]+: check the controller's TLS settings" \
	"s/^port = .*/port = $badtls_port/"
# Not final: `topics check` tries until iq_timeout (2 s here), then says where it got stuck.
expect_failure silent 5 "127\.0\.0\.1:$silent_port accepted the TCP connection but sent no XMPP stream header in [0-9]+ ms: check that port is the controller's client-to-server port" \
	"s/^port = .*/port = $silent_port/" "s/^iq_timeout = .*/iq_timeout = 2s/"
# Connected, but an IQ is never answered: the synchronous one (disco#info on the service)
# gives up after iq_timeout, in milliseconds. The service named is the session's own full JID:
# the IQ get comes back to gridgate, which answers no get.
self="$GG_GATEWAY_JID/iq-timeout-$$"
cp "$work/good.conf" "$work/gridgate.conf"
sed -i -e "s|^jid = .*|jid = $self|" -e "s|^pubsub_service = .*|pubsub_service = $self|" \
	-e 's/^iq_timeout = .*/iq_timeout = 2s/' "$work/gridgate.conf"
start=$(date +%s%N)
rc=0
timeout 15 "$GRIDGATE" -c "$work/gridgate.conf" topics check > "$work/unanswered.out" 2>&1 || rc=$?
took=$((($(date +%s%N) - start) / 1000000))
[ "$rc" = 3 ] || fail "unanswered: topics check exited $rc, not 3: $(cat "$work/unanswered.out")"
grep -qx "gridgate: disco#info on $self failed" "$work/unanswered.out" \
	|| fail "unanswered: $(cat "$work/unanswered.out")"
[ "$took" -ge 2000 ] && [ "$took" -le 8000 ] \
	|| fail "unanswered: topics check took $took ms, want iq_timeout (2 s) and the login"
echo "ok: unanswered disco#info: gave up after $took ms"
echo "ok: each XMPP failure says what it is and what to check, in the log and in topics check"
