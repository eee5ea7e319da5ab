# lib.sh: shared set-up for integration tests: a private state dir, a gridgate config pointing at
# the running embedded controller, a unique topic per test, and helpers to wait and to stop by pid.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GRIDGATE=${GRIDGATE:-$top/build/gridgate}
# shellcheck disable=SC1090
. "$("$top/scripts/controller" env)"

test_name=$(basename "$0" .sh)
work=$(mktemp -d "/tmp/gg-$test_name.XXXXXX")
topic="t-$test_name-$(date +%s)-$$"
gg_pid=""

cleanup() {
	local status=$?
	trap - EXIT
	if [ -n "$gg_pid" ]; then gg_stop || status=1; fi
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
	exit "$status"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $test_name: $*" >&2
	[ -f "$work/gridgate.log" ] && tail -n 30 "$work/gridgate.log" >&2
	exit 1
}

# Writes $work/gridgate.conf; extra lines for [spool] come as arguments.
gg_config() {
	umask 077
	printf '%s\n' "$GG_GATEWAY_PASSWORD" > "$work/gateway.password"
	printf '%s\n' "$GG_SUBSCRIBER_PASSWORD" > "$work/subscriber.password"
	mkdir -p "$work/drop"
	cat > "$work/gridgate.conf" <<EOC
[gridgate]
state_dir = $work/state
schema_dir = $top/schemas
csirt_name = csirt.test.example
log_level = ${GG_LOG_LEVEL:-info}
[spool]
${GG_SPOOL_EXTRA:-}
[xmpp]
jid = $GG_GATEWAY_JID
password_file = $work/gateway.password
host = $GG_XMPP_HOST
port = $GG_XMPP_PORT
ca_file = $GG_CA_FILE
pubsub_service = $GG_PUBSUB_SERVICE
topic = $topic
members = $GG_SUBSCRIBER_JID
max_items = 1000000
reconnect_min = 200ms
reconnect_max = 2s
iq_timeout = 10s
[filedrop:drop]
directory = $work/drop
max_file_size = ${GG_MAX_FILE_SIZE:-1M}
EOC
}

gg_start() {
	"$GRIDGATE" -c "$work/gridgate.conf" run >> "$work/gridgate.log" 2>&1 &
	gg_pid=$!
}

# Stops gridgate with SIGTERM; returns 1 (saying why) for a non-zero exit or a sanitizer report,
# a crash or a hang past 10 s. Tests write `gg_stop || fail`.
gg_stop() {
	local rc=0
	if [ -n "$gg_pid" ] && kill -0 "$gg_pid" 2>/dev/null; then
		kill -TERM "$gg_pid"
		for _ in $(seq 1 100); do kill -0 "$gg_pid" 2>/dev/null || break; sleep 0.1; done
		if kill -KILL "$gg_pid" 2>/dev/null; then
			wait "$gg_pid" 2>/dev/null
			rc=137
		else
			wait "$gg_pid" 2>/dev/null || rc=$?
		fi
	elif [ -n "$gg_pid" ]; then
		wait "$gg_pid" 2>/dev/null || rc=$?
	fi
	gg_pid=""
	if [ "$rc" != 0 ]; then
		echo "FAIL: $test_name: gridgate exited with status $rc" >&2
		tail -n 30 "$work/gridgate.log" >&2
		return 1
	fi
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$work/gridgate.log" 2>/dev/null; then
		echo "FAIL: $test_name: sanitizer report in the log" >&2
		grep -A20 -E 'Sanitizer|runtime error' "$work/gridgate.log" | head -40 >&2
		return 1
	fi
}

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
	local limit=$1; shift
	local end=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}

gg_spool_stat() { # gg_spool_stat KEY -> value from `gridgate spool stats`
	"$GRIDGATE" -c "$work/gridgate.conf" spool stats | tr ' ' '\n' | sed -n "s/^$1=//p"
}

spool_drained() { [ "$(gg_spool_stat pending)" = 0 ]; }
files_left() { find "$work/drop" -maxdepth 1 -type f | wc -l; }
no_files_left() { [ "$(files_left)" = 0 ]; }

# Reads the topic back as the subscriber into $work/items; prints the item count.
read_items() {
	rm -rf "$work/items"; mkdir -p "$work/items"
	"$GRIDGATE" -c "$work/gridgate.conf" topics items --jid "$GG_SUBSCRIBER_JID" \
		--password-file "$work/subscriber.password" --out "$work/items" \
		| sed -n 's/^\([0-9]*\) items.*/\1/p'
}

# An IODEF 2.0 document (RFC 7970 section 7.1 shape, with xml:lang) with incident id $1.
# printf is a builtin: a thousand documents cost no fork each.
iodef2_doc() {
	printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' \
		'<IODEF-Document version="2.00" xml:lang="en" xmlns="urn:ietf:params:xml:ns:iodef-2.0">' \
		'  <Incident purpose="reporting" restriction="private">' \
		"    <IncidentID name=\"csirt.example.com\">$1</IncidentID>" \
		'    <GenerationTime>2015-07-18T09:00:00-05:00</GenerationTime>' \
		"    <Description xml:lang=\"de\">Vorfall $1</Description>" \
		'    <Contact type="organization" role="creator">' \
		'      <Email><EmailTo>contact@csirt.example.com</EmailTo></Email>' \
		'    </Contact>' \
		'  </Incident>' \
		'</IODEF-Document>'
}

# drop_docs N PREFIX: N documents, written in a staging directory and renamed into the drop
# directory (the atomic way), with one mv for all so that dropping is not the slow part.
drop_docs() {
	local i stage=$work/stage-$2
	mkdir -p "$stage"
	for i in $(seq 1 "$1"); do
		iodef2_doc "$2-$i" > "$stage/$2-$i.xml"
	done
	# coreutils mv stats each destination after a multi-file move, and a running gridgate has
	# often moved the file on to done/ by then: mv then complains and exits 1 although every
	# rename happened. What counts is that the staging directory ends up empty.
	find "$stage" -name '*.xml' -exec mv -t "$work/drop" {} + 2> /dev/null || true
	[ -z "$(ls -A "$stage")" ] || fail "drop_docs: files left in $stage"
}
