#!/usr/bin/env bash
# rsyslog forwards to gridgate over TCP (octet-counted, RFC 5424) and over TLS (ossl driver,
# client certificate, RFC 3164 format): a private unprivileged-port rsyslogd takes logger's
# datagrams on its own imudp port and both omfwd actions deliver every one to the topic.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

command -v rsyslogd > /dev/null || fail "rsyslogd missing (scripts/deps installs rsyslog)"
[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so ] || [ -n "$(find /usr/lib -name lmnsd_ossl.so 2>/dev/null)" ] \
	|| fail "rsyslog's ossl driver missing (scripts/deps installs rsyslog-openssl)"
tcp_port=$(free_port) && tls_port=$(free_port) && in_port=$(free_port) || fail "no free port"
make_certs "$work/certs" || fail "could not make certificates"
c=$work/certs
gg_config
cat >> "$work/gridgate.conf" <<EOC
[syslog:rtcp]
listen = 127.0.0.1:$tcp_port
protocol = tcp
[syslog:rtls]
listen = 127.0.0.1:$tls_port
protocol = tls
tls_cert = $c/server.crt
tls_key = $c/server.key
tls_client_ca = $c/ca.crt
tls_require_client_cert = yes
EOC
gg_start
listening() { port_bound tcp "$tcp_port" && port_bound tcp "$tls_port"; }
wait_for 30 listening || fail "gridgate does not listen"

# A private rsyslogd: its own config, work directory and pid file; no imuxsock or imklog, so
# it neither takes the system log socket nor reads the kernel's. Actions queue in memory and
# retry for ever, so nothing is lost while a connection is being set up.
rs=$work/rsyslog
mkdir -p "$rs"
cat > "$rs/rsyslog.conf" <<EOC
global(workDirectory="$rs"
       defaultNetstreamDriverCAFile="$c/ca.crt"
       defaultNetstreamDriverCertFile="$c/client.crt"
       defaultNetstreamDriverKeyFile="$c/client.key")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$in_port" ruleset="fwd")
ruleset(name="fwd") {
	action(type="omfwd" target="127.0.0.1" port="$tcp_port" protocol="tcp"
	       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
	       queue.type="LinkedList" action.resumeRetryCount="-1" action.resumeInterval="1")
	action(type="omfwd" target="127.0.0.1" port="$tls_port" protocol="tcp"
	       StreamDriver="ossl" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
	       StreamDriverPermittedPeers="localhost" TCP_Framing="octet-counted"
	       template="RSYSLOG_ForwardFormat"
	       queue.type="LinkedList" action.resumeRetryCount="-1" action.resumeInterval="1")
}
EOC
rsyslogd -N1 -f "$rs/rsyslog.conf" > "$rs/check.out" 2>&1 || fail "rsyslog config: $(cat "$rs/check.out")"
rsyslogd -f "$rs/rsyslog.conf" -i "$rs/rsyslogd.pid" -n > "$rs/rsyslogd.out" 2>&1 &
rs_pid=$!
stop_rsyslog() {
	if kill -0 "$rs_pid" 2>/dev/null; then
		kill -TERM "$rs_pid"
		wait "$rs_pid" 2>/dev/null || true
	fi
}
trap 'status=$?; stop_rsyslog; (exit $status); cleanup' EXIT
rs_listening() { port_bound udp "$in_port"; }
wait_for 30 rs_listening || fail "rsyslogd does not listen: $(cat "$rs/rsyslogd.out")"

tag=$$
n_msgs=20
for i in $(seq 1 $n_msgs); do
	logger -n 127.0.0.1 -P "$in_port" -d --rfc5424 -t itrsys "rsys-$tag-$i hello"
done
# Each message arrives twice: once over TCP, once over TLS.
want=$((2 * n_msgs))
arrived() { [ "$(gg_spool_stat published)" -ge "$want" ]; }
wait_for 60 arrived || fail "$(gg_spool_stat published) of $want published; rsyslogd said: $(tail -n 5 "$rs/rsyslogd.out")"
wait_for 60 spool_drained || fail "spool not drained"
n=$(read_items)
[ "$n" = "$want" ] || fail "topic holds $n items, want $want"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
for i in $(seq 1 $n_msgs); do
	[ "$(grep -l "rsys-$tag-$i hello" "$work"/items/*.xml | wc -l)" = 2 ] \
		|| fail "message $i did not arrive once over TCP and once over TLS"
done
stop_rsyslog
gg_stop || fail "gridgate did not stop cleanly"
[ "$(counter rtcp connections)" -ge 1 ] || fail "no TCP connection counted"
[ "$(counter rtls connections)" -ge 1 ] || fail "no TLS connection counted"
[ "$(counter rtls tls_handshake_failed)" = 0 ] || fail "rsyslog's TLS handshake was refused"
for inst in rtcp rtls; do
	[ "$(counter $inst malformed)" = 0 ] || fail "$inst: malformed messages"
	[ "$(counter $inst protocol_errors)" = 0 ] || fail "$inst: framing errors"
done
[ "$(gg_spool_stat quarantined)" = 0 ] || fail "messages were quarantined"
echo "ok: rsyslog forwarded $n_msgs messages over TCP and TLS, all on the topic"
