#!/usr/bin/env bash
# Syslog through the mappings: util-linux logger sends sshd lines (RFC 3164 over TCP, RFC 5424
# over UDP), a Suricata EVE alert as the MSG of an RFC 5424 message, a netfilter kernel line,
# a CEF event, a malformed CEF header and a program no mapping is for, to inputs with
# `mappings = *`. Each arrives as
# the incident its mapping makes; sshd noise is dropped on purpose; the unknown program is the
# generic incident on one input and dropped (and counted) on the other (unmatched = drop).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

tcp_port=$(free_port) || fail "no free port"
udp_port=$(free_port) || fail "no free port"
gg_config
cat >> "$work/gridgate.conf" <<EOC
[syslog:tcp]
listen = 127.0.0.1:$tcp_port
protocol = tcp
mappings = *
[syslog:udp]
listen = 127.0.0.1:$udp_port
protocol = udp
mappings = *
unmatched = drop
[gridgate]
mapping_dir = $top/mappings
EOC
gg_start
listening() { port_bound tcp "$tcp_port" && port_bound udp "$udp_port"; }
wait_for 30 listening || fail "gridgate does not listen"

tcp() { logger -n 127.0.0.1 -P "$tcp_port" -T --octet-count "$@"; }
udp() { logger -n 127.0.0.1 -P "$udp_port" -d "$@"; }
tcp --rfc3164 -t sshd -p auth.info "Failed password for root from 192.0.2.21 port 50001 ssh2"
tcp --rfc3164 -t sshd -p auth.info "pam_unix(sshd:auth): check pass; user unknown"
udp --rfc5424 -t sshd -p auth.info "Invalid user oracle from 2001:db8::22 port 50002"
udp --rfc5424 -t suricata -p local5.warning '{"timestamp":"2026-11-24T10:00:00.000000+0000","event_type":"alert","src_ip":"198.51.100.23","src_port":4444,"dest_ip":"192.0.2.24","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2019401,"rev":3,"signature":"ET SCAN test alert","category":"Attempted Information Leak","severity":2}}'
tcp --rfc3164 -t kernel -p kern.warning "[UFW BLOCK] IN=eth0 OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 SRC=203.0.113.25 DST=192.0.2.26 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=40000 DPT=3389 WINDOW=65535 RES=0x00 SYN URGP=0"
tcp --rfc5424 -t app -p local4.notice "CEF:0|Example|Firewall|1.0|100|Port scan detected|8|src=203.0.113.27 dst=192.0.2.28 dpt=22 proto=TCP act=blocked"
tcp --rfc3164 -t backupd -p daemon.notice "nightly backup finished"
tcp --rfc5424 -t app -p local4.notice "CEF:0|Broken|header only"
udp --rfc3164 -t backupd -p daemon.notice "this one is dropped by unmatched = drop"

want=7
items_now() { read_items > "$work/n"; [ "$(cat "$work/n")" -ge "$want" ]; }
wait_for 60 items_now || fail "topic holds $(cat "$work/n") items, want $want"
sleep 1
[ "$(read_items)" = "$want" ] || fail "topic holds more than $want items"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
has() { grep -l -- "$1" "$work"/items/*.xml > /dev/null || fail "no item with: $1"; }
has 'sshd: failed password for root from 192.0.2.21'
has 'sshd: invalid user oracle from 2001:db8::22'
has 'Suricata alert: ET SCAN test alert'
has '<IANAService>ssh</IANAService>'
has '203.0.113.25'
has 'Port scan detected'
has 'nightly backup finished'
has 'CEF:0|Broken|header only'
# The malformed CEF is no CEF payload: the cef mapping passes it by and the RFC 5424 catch-all
# takes it, keeping the raw line.
grep -l 'CEF:0|Broken' "$work"/items/*.xml | xargs grep -q '<Description>app: CEF:0|Broken' \
	|| fail "malformed CEF not taken by the catch-all"
grep -l 'ET SCAN test alert' "$work"/items/*.xml | xargs grep -q 'category="ipv4-addr">198.51.100.23' \
	|| fail "EVE alert lacks its source address"
grep -l '203.0.113.25' "$work"/items/*.xml | xargs grep -q '<Port>3389</Port>' \
	|| fail "UFW block lacks its target port"
kill -USR1 "$gg_pid"
wait_for 10 grep -q "tcp: mapping: mapped=4 ignored=1 unmatched=1 failed=0 dropped=0" \
	"$work/gridgate.log" || fail "tcp counters: $(grep 'tcp: mapping' "$work/gridgate.log" | tail -1)"
wait_for 10 grep -q "udp: mapping: mapped=2 ignored=0 unmatched=1 failed=0 dropped=1" \
	"$work/gridgate.log" || fail "udp counters: $(grep 'udp: mapping' "$work/gridgate.log" | tail -1)"
gg_stop || fail "gridgate did not stop cleanly"
echo "ok: syslog mapped by sshd, Suricata EVE, UFW and CEF mappings; generic and drop policies"
