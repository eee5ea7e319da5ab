#!/usr/bin/env bash
# check_docs.sh: holds the documentation to the option and command tables. Fails when
# gridgate.conf(5) lacks a key of a table, when groff warns about gridgate(8) or
# gridgate.conf(5), or when etc/gridgate.conf shows a key its section does not take or a
# default the table does not have (a line under a comment saying "example" may differ).
set -uo pipefail
top=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
gridgate=${GRIDGATE:-./gridgate}
conf=${1:-$top/etc/gridgate.conf}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bad=0
complain() { echo "check_docs: $*"; bad=1; }

"$gridgate" help --man8 > "$work/gridgate.8" || complain "help --man8 failed"
"$gridgate" help --man5 > "$work/gridgate.conf.5" || complain "help --man5 failed"
"$gridgate" help --keys > "$work/keys" || complain "help --keys failed"
[ -s "$work/keys" ] || complain "help --keys printed nothing"

if ! command -v groff > /dev/null; then
	complain "groff is missing (scripts/deps installs groff-base)"
else
	for page in gridgate.8 gridgate.conf.5; do
		groff -ww -man -z "$work/$page" > "$work/lint" 2>&1 || complain "$page: groff failed"
		[ -s "$work/lint" ] && complain "$page: groff warns: $(cat "$work/lint")"
	done
fi

# Every key of every table, under its section's heading in gridgate.conf(5).
awk '/^\.SS / { sub(/^\.SS /, ""); gsub(/\\-/, "-"); head = $0 }
     /^\.B / && prev == ".TP" { k = $0; sub(/^\.B /, "", k); print head "|" k }
     { prev = $0 }' "$work/gridgate.conf.5" > "$work/man-keys"
while read -r section key _; do
	case $section in
	gridgate | spool | xmpp) head="[$section]" ;;
	input) head="Every input" ;;
	*) head="[$section:NAME]" ;;
	esac
	grep -qxF "$head|$key" "$work/man-keys" || complain "gridgate.conf(5) lacks $head $key"
done < "$work/keys"

# The example configuration against the tables: same keys, same defaults.
lookup() { # lookup SECTION KEY -> the default ("-": none); fails for an unknown key
	awk -v s="$1" -v k="$2" '$1 == s && $2 == k { $1 = ""; $2 = ""; sub(/^  /, ""); print; f = 1 }
		END { exit !f }' "$work/keys"
}
lineno=0 section= example=0 keys_seen=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	if [[ $line =~ ^\;?\[([a-z_]+)(:[A-Za-z0-9_.-]+)?\]$ ]]; then
		section=${BASH_REMATCH[1]} example=0
		continue
	fi
	if [[ $line =~ ^\;?([a-z_0-9]+)\ =\ (.*)$ ]]; then
		key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
		value=${value%%[[:space:]];*}
		keys_seen=$((keys_seen + 1))
		where="$conf:$lineno: [$section] $key"
		[ -n "$section" ] || { complain "$where: outside any section"; continue; }
		if ! def=$(lookup "$section" "$key") && ! def=$(lookup input "$key"); then
			complain "$where: not a key of [$section] (gridgate help $section)"
			continue
		fi
		if [ -n "${GG_TEST_PKGDATADIR:-}" ]; then
			value=${value//\/usr\/share\/gridgate/$GG_TEST_PKGDATADIR}
		fi
		if [ -n "${GG_TEST_PKGSYSCONFDIR:-}" ]; then
			value=${value//\/etc\/gridgate/$GG_TEST_PKGSYSCONFDIR}
		fi
		if [ "$def" != - ] && [ $example = 0 ] && [ "$value" != "$def" ]; then
			complain "$where = $value: the default is $def (or say \"example\" above it)"
		fi
		continue
	fi
	case $line in
	\;*) case $line in *example*) example=1 ;; *) example=0 ;; esac ;;
	*) example=0 ;;
	esac
done < "$conf"
[ $keys_seen -gt 10 ] || complain "$conf: only $keys_seen key lines found"

[ $bad = 0 ] && echo "check_docs: man pages and $conf agree with the tables"
exit $bad
