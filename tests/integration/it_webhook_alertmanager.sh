#!/usr/bin/env bash
# A real webhook sender: Debian's prometheus-alertmanager, a private process on loopback (its
# own config, storage dir and port, no gossip port; never the packaged service), whose
# receiver is gridgate's /alertmanager route over HTTPS (ca_file) with a bearer token. Alerts
# posted to its API (two in one group through /api/v2/alerts, one more with amtool) arrive on
# the topic as valid IODEF incidents, one per alert. Runs in about 10 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

command -v prometheus-alertmanager > /dev/null && command -v amtool > /dev/null ||
	fail "prometheus-alertmanager missing (scripts/deps installs it)"
port=$(free_port) && am_port=$(free_port) || fail "no free port"
make_certs "$work/certs" || fail "could not make certificates"
c=$work/certs
printf 'am-%s-token\n' "$$" > "$work/token"

gg_config
cat >> "$work/gridgate.conf" <<EOC
[webhook:hooks]
listen = 127.0.0.1:$port
tls_cert = $c/server.crt
tls_key = $c/server.key
[webhook_route:am]
webhook = hooks
path = /alertmanager
auth = bearer
token_file = $work/token
mappings = alertmanager
unmatched = drop
EOC
gg_start
wait_for 30 port_bound tcp "$port" || fail "gridgate does not listen on $port"

# group_by alertname: the two alerts of one name are one notification (alerts[] of two), the
# third alert another. group_wait 1s sends each soon; group_interval and repeat_interval are
# longer than the test, so nothing is sent twice.
am=$work/am
mkdir -p "$am/data"
cat > "$am/am.yml" <<EOC
route:
  receiver: gridgate
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 5m
  repeat_interval: 1h
receivers:
- name: gridgate
  webhook_configs:
  - url: https://localhost:$port/alertmanager
    send_resolved: true
    http_config:
      authorization:
        type: Bearer
        credentials_file: $work/token
      tls_config:
        ca_file: $c/ca.crt
EOC
amtool check-config "$am/am.yml" > "$am/check.out" 2>&1 || fail "alertmanager config: $(cat "$am/check.out")"
prometheus-alertmanager --config.file="$am/am.yml" --storage.path="$am/data" \
	--web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= \
	> "$am/am.log" 2>&1 &
am_pid=$!
stop_am() {
	if kill -0 "$am_pid" 2>/dev/null; then
		kill -TERM "$am_pid"
		wait "$am_pid" 2>/dev/null || true
	fi
}
trap 'status=$?; stop_am; (exit $status); cleanup' EXIT
am_url=http://127.0.0.1:$am_port
am_ready() { curl -sf "$am_url/-/ready"; }
wait_for 30 am_ready || fail "alertmanager not ready: $(tail -n 5 "$am/am.log")"

tag=$$
curl -sf -X POST -H 'Content-Type: application/json' "$am_url/api/v2/alerts" --data-binary "[
 {\"labels\":{\"alertname\":\"GridgateDiskFull$tag\",\"severity\":\"warning\",\"instance\":\"db1.example.org\"},
  \"annotations\":{\"summary\":\"disk 97% full\"}},
 {\"labels\":{\"alertname\":\"GridgateDiskFull$tag\",\"severity\":\"warning\",\"instance\":\"db2.example.org\"},
  \"annotations\":{\"summary\":\"disk 99% full\"}}]" > /dev/null || fail "alertmanager refused the alerts"
amtool --alertmanager.url="$am_url" alert add "GridgateInstanceDown$tag" severity=critical \
	instance=10.0.0.5 || fail "amtool alert add failed"

want=3
arrived() { [ "$(gg_spool_stat published)" -ge "$want" ]; }
wait_for 30 arrived || fail "$(gg_spool_stat published) of $want published; alertmanager said: $(grep -i 'level=error\|level=warn' "$am/am.log" | tail -n 3)"
wait_for 30 spool_drained || fail "spool not drained"
got=$(read_items)
[ "$got" = "$want" ] || fail "topic holds $got items, want $want"
"$GRIDGATE" validate --schema-dir "$top/schemas" "$work"/items/*.xml > /dev/null \
	|| fail "items do not validate"
one() { # one PATTERN: exactly one item matches
	[ "$(grep -l -- "$1" "$work"/items/*.xml | wc -l)" = 1 ] || fail "not one item with $1"
}
one "Alertmanager firing: GridgateDiskFull$tag on db1.example.org: disk 97% full"
one "Alertmanager firing: GridgateDiskFull$tag on db2.example.org: disk 99% full"
one "Alertmanager firing: GridgateInstanceDown$tag on 10.0.0.5"
grep -l "GridgateInstanceDown$tag" "$work"/items/*.xml | xargs grep -q 'severity="high"' \
	|| fail "severity=critical is not high"
stop_am
gg_stop || fail "gridgate did not stop cleanly"
[ "$(counter hooks accepted)" = 2 ] || fail "accepted: $(counter hooks accepted), want 2 notifications"
[ "$(counter hooks auth_failed)" = 0 ] || fail "alertmanager's token was refused"
[ "$(counter hooks dropped)" = 0 ] || fail "alerts the mapping did not take: $(counter hooks dropped)"
echo "ok: alertmanager delivered $want alerts in 2 notifications, all on the topic"
