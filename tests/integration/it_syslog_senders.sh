#!/usr/bin/env bash
# Syslog as real senders write it over UDP, to inputs with `mappings = *`: a Cisco ASA line
# without a HOSTNAME names its firewall by the sender's address (IPv4 and IPv6), never with
# the port the datagram came from; a message without a PRI, or with a broken one, is <13>
# with its header read (RFC 3164 section 4.3.3) and counted; a datagram ended as a line
# (CRLF, NUL) has no line end in its incident; messages with nothing in them (a zero-byte
# datagram, a PRI alone, blanks, the blank line logger sends) are counted and dropped; a
# frame unfinished at the stop is counted; SIGHUP counts the mappings `*` loaded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

udp_port=$(free_port) || fail "no free port"
udp6_port=$(free_port) || fail "no free port"
tcp_port=$(free_port) || fail "no free port"
gg_config
cat >> "$work/gridgate.conf" <<EOC
[syslog:udp]
listen = 127.0.0.1:$udp_port
protocol = udp
mappings = *
[syslog:udp6]
listen = [::1]:$udp6_port
protocol = udp
mappings = *
[syslog:tcp]
listen = 127.0.0.1:$tcp_port
protocol = tcp
mappings = *
[gridgate]
mapping_dir = $top/mappings
EOC
gg_start
listening() { port_bound udp "$udp_port" && port_bound udp "$udp6_port" && port_bound tcp "$tcp_port"; }
wait_for 30 listening || fail "gridgate does not listen"

# send HOST PORT FORMAT [ARG...]: one datagram, exactly the bytes printf makes of them.
# shellcheck disable=SC2059
send() { printf "$3" "${@:4}" > "/dev/udp/$1/$2"; }
asa='<164>%%ASA-4-106023: Deny udp src outside:198.51.100.30/%s dst inside:10.1.1.9/53 by access-group "outside_in" [0x0, 0x0]'
send 127.0.0.1 "$udp_port" "$asa" 5301
send ::1 "$udp6_port" "$asa" 5302
# No PRI, an out-of-range one, a malformed one: mapped by openssh all the same.
send 127.0.0.1 "$udp_port" 'Dec  7 08:02:02 web01 sshd[5]: Failed password for root from 192.0.2.50 port 5 ssh2'
send 127.0.0.1 "$udp_port" '<192>Dec  7 08:02:03 web01 sshd[6]: Failed password for root from 192.0.2.51 port 6 ssh2'
send 127.0.0.1 "$udp_port" '<013>Dec  7 08:02:04 web01 sshd[7]: Failed password for root from 192.0.2.52 port 7 ssh2'
# Datagrams ended as lines: no program maps "app", so these are generic incidents.
send 127.0.0.1 "$udp_port" '<14>Dec  7 08:01:01 web01 app: udp with trailing CRLF\r\n'
send 127.0.0.1 "$udp_port" '<14>Dec  7 08:01:02 web01 app: udp with trailing NUL\0'
# Nothing in them: dropped and counted, over UDP and TCP.
python3 -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"", ("127.0.0.1", int(sys.argv[1])))' "$udp_port"
send 127.0.0.1 "$udp_port" '<13>'
send 127.0.0.1 "$udp_port" '   \r\n'
printf 'blank-a\n\nblank-b\n' | logger -n 127.0.0.1 -P "$tcp_port" -T --rfc3164 -t blanks

want=9
items_now() { read_items > "$work/n"; [ "$(cat "$work/n")" -ge "$want" ]; }
wait_for 60 items_now || fail "topic holds $(cat "$work/n") items, want $want"
sleep 1
[ "$(read_items)" = "$want" ] || fail "topic holds more than $want items"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
# item TEXT: the one item holding TEXT.
item() {
	local f
	f=$(grep -l -- "$1" "$work"/items/*.xml) || fail "no item with: $1"
	[ "$(echo "$f" | wc -l)" = 1 ] || fail "more than one item with: $1"
	echo "$f"
}
# sensor FILE: the Node of the sensor System, on one line.
sensor() { tr -d '\n' < "$1" | grep -o '<System category="sensor">.*</System>' | head -c 400; }
s4=$(sensor "$(item '198.51.100.30/5301')")
[[ $s4 == *'<Address category="ipv4-addr">127.0.0.1</Address>'* ]] \
	|| fail "IPv4 sender is not the sensor's address: $s4"
s6=$(sensor "$(item '198.51.100.30/5302')")
[[ $s6 == *'<Address category="ipv6-addr">::1</Address>'* ]] \
	|| fail "IPv6 sender is not the sensor's address: $s6"
grep -l -E '127\.0\.0\.1:[0-9]|::1:[0-9]' "$work"/items/*.xml && fail "a sender's port is in an item"
for i in 0 1 2; do
	f=$(item "from 192.0.2.5$i port")
	grep -q "<Description>sshd: failed password for root from 192.0.2.5$i</Description>" "$f" \
		|| fail "message $i without a valid PRI not mapped by openssh: $(grep -o '<Description>[^<]*' "$f")"
	grep -q '<Name>web01</Name>' "$f" || fail "message $i without a valid PRI lost its HOSTNAME"
done
for end in CRLF NUL; do
	f=$(item "udp with trailing $end")
	grep -q "<Description>udp with trailing $end</Description>" "$f" \
		|| fail "$end kept: $(grep -o '<Description>[^<]*</Description>' "$f" | od -c | head -3)"
	grep -q "app: udp with trailing $end</RecordItem>" "$f" || fail "$end kept in the RecordItem"
done
grep -q '<Description>blank-b</Description>' "$(item 'blanks: blank-b')" \
	|| fail "the line after a blank one is missing"
# A frame unfinished when gridgate stops is counted as truncated, not dropped unseen.
exec 3<>"/dev/tcp/127.0.0.1/$tcp_port"
printf '<13>Dec  7 08:09:09 web01 app: no line end before the stop' >&3
sleep 0.5
# SIGHUP names what `mappings = *` loaded, not the one name it is.
maps=$(find "$top/mappings" -maxdepth 1 -name '*.map' | wc -l)
kill -HUP "$gg_pid"
wait_for 10 grep -q "udp: SIGHUP: $maps mapping(s) reloaded" "$work/gridgate.log" \
	|| fail "SIGHUP: $(grep 'udp: SIGHUP' "$work/gridgate.log"), want $maps mapping(s)"
gg_stop || fail "gridgate did not stop cleanly"
exec 3>&-
[ "$(counter tcp truncated)" = 1 ] || fail "tcp: truncated=$(counter tcp truncated), want 1"
[ "$(counter udp empty)" = 3 ] || fail "udp: empty=$(counter udp empty), want 3"
[ "$(counter tcp empty)" = 1 ] || fail "tcp: empty=$(counter tcp empty), want 1"
[ "$(counter udp bad_pri)" = 4 ] || fail "udp: bad_pri=$(counter udp bad_pri), want 4 (3 + the blanks)"
[ "$(counter udp6 bad_pri)" = 0 ] || fail "udp6: bad_pri=$(counter udp6 bad_pri), want 0"
echo "ok: syslog senders: the peer is the sensor's address (IPv4, IPv6) without its port;" \
	"no PRI or a broken one read as <13> with its header, counted; CRLF and NUL trailers dropped; empty messages dropped and counted"
