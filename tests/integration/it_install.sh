#!/usr/bin/env bash
# it_install: `make install` with Debian's paths (--prefix=/usr --sysconfdir=/etc
# --localstatedir=/var) into a DESTDIR is a working install: the binary, schemas, mappings, the
# example configuration under etc/gridgate/, the systemd unit with real paths (systemd-analyze
# verify), the man pages its Documentation= names, README and docs. The installed binary runs check-config, validate and map with no
# --schema-dir or --mapping-dir: GRIDGATE_DATADIR stands for the DESTDIR's /usr/share/gridgate,
# which is where the binary looks once the package is really installed. An edited gridgate.conf
# survives a second install, and uninstall leaves no file behind.
# Needs no controller: it builds its own tree in a temporary directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
test_name=it_install
work=$(mktemp -d /tmp/gg-it_install.XXXXXX)
trap 'if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $work"; else rm -rf "$work"; fi' EXIT
fail() { echo "FAIL: $test_name: $*" >&2; exit 1; }

# scripts/test runs every integration test once per build (plain, ASan); this one builds its own
# tree and installs the same files either way, so the second pass has nothing to add.
case ${GRIDGATE:-} in
*/build-asan/gridgate) echo "$test_name: install does not depend on the ASan build; not repeated"; exit 0 ;;
esac

[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi > /dev/null 2>&1) || fail "autoreconf"
dest=$work/dest
mkdir -p "$work/build"
cd "$work/build"
"$top/configure" -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var CFLAGS="-O2" \
	> "$work/configure.out" 2>&1 || { tail -n 20 "$work/configure.out"; fail "configure"; }
make -s -j"$(nproc)" > "$work/make.out" 2>&1 || { tail -n 20 "$work/make.out"; fail "make"; }
make -s install DESTDIR="$dest" > "$work/install.out" 2>&1 || { tail -n 20 "$work/install.out"; fail "make install"; }

# What is installed, and where.
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
for f in usr/bin/gridgate etc/gridgate/gridgate.conf "${unitdir#/}/gridgate.service" \
	usr/share/gridgate/schemas/iodef-2.0.xsd usr/share/gridgate/schemas/README.md \
	usr/share/gridgate/mappings/openssh.map usr/share/doc/gridgate/README.md \
	usr/share/doc/gridgate/docs/mappings.md usr/share/man/man8/gridgate.8 \
	usr/share/man/man5/gridgate.conf.5; do
	[ -e "$dest/$f" ] || fail "not installed: /$f (installed: $(cd "$dest" && find . -type f | sort | tr '\n' ' '))"
done
# Every doc of the source tree is installed beside the README (its links stay relative).
for f in "$top"/docs/*.md; do
	[ -f "$dest/usr/share/doc/gridgate/docs/$(basename "$f")" ] || fail "docs/$(basename "$f") not installed"
done
# Every schema the README of schemas/ lists is installed, and it lists every installed one.
for f in "$dest"/usr/share/gridgate/schemas/*.xsd; do
	grep -q "$(basename "$f")" "$dest/usr/share/gridgate/schemas/README.md" \
		|| fail "schemas/README.md does not describe $(basename "$f")"
done

# The unit: no @token@ left, its commands exist in DESTDIR, and systemd accepts it.
unit=$dest/${unitdir#/}/gridgate.service
if grep -n '@[A-Za-z_]*@' "$unit"; then fail "unsubstituted token in the unit"; fi
grep -q '^ExecStart=/usr/bin/gridgate -c /etc/gridgate/gridgate.conf run$' "$unit" \
	|| fail "ExecStart: $(grep '^ExecStart=' "$unit")"
grep -q '^Documentation=man:gridgate(8)' "$unit" || fail "Documentation=: $(grep '^Documentation' "$unit")"
for cmd in $(sed -n 's/^Exec[A-Za-z]*=[-@+!]*\([^ ]*\).*/\1/p' "$unit" | sort -u); do
	case $cmd in
	/usr/bin/gridgate) [ -x "$dest$cmd" ] || fail "unit runs $cmd, not installed in DESTDIR" ;;
	*) [ -x "$cmd" ] || fail "unit runs $cmd, not on this system" ;;
	esac
done
command -v systemd-analyze > /dev/null \
	|| fail "systemd-analyze missing: scripts/deps installs Debian's systemd for it"
{
	# systemd-analyze checks that ExecStart's file exists: verify a copy whose gridgate is the
	# DESTDIR's. It also opens each man: page of Documentation= with man(1), pointed at the
	# DESTDIR's pages (without man-db installed, that check is left out).
	mkdir -p "$work/unit"
	sed "s|/usr/bin/gridgate|$dest/usr/bin/gridgate|g" "$unit" > "$work/unit/gridgate.service"
	man=--man=no
	command -v man > /dev/null && man=--man=yes
	MANPATH=$dest/usr/share/man systemd-analyze verify "$man" "$work/unit/gridgate.service" \
		> "$work/verify.out" 2>&1 || { cat "$work/verify.out"; fail "systemd-analyze verify $man"; }
	[ ! -s "$work/verify.out" ] || { cat "$work/verify.out"; fail "systemd-analyze verify warns"; }
	echo "$test_name: systemd-analyze verify $man: ok"
}

# The installed binary on the installed data, no directory flags. The example configuration
# as installed, with the paths an operator would fill in moved into the work dir.
gg=$dest/usr/bin/gridgate
export GRIDGATE_DATADIR=$dest/usr/share/gridgate
printf 'secret\n' > "$work/xmpp.password"
mkdir -p "$work/spool/incoming"
sed -e "s|/etc/gridgate/xmpp.password|$work/xmpp.password|" -e "s|/var/lib/gridgate|$work/state|" \
	-e "s|/var/spool/gridgate|$work/spool|" "$dest/etc/gridgate/gridgate.conf" > "$work/gridgate.conf"
"$gg" -c "$work/gridgate.conf" check-config > "$work/check.out" 2>&1 \
	|| { cat "$work/check.out"; fail "check-config on the installed example: exit $?"; }
grep -qx "schemas: $dest/usr/share/gridgate/schemas" "$work/check.out" \
	|| fail "check-config did not use the installed schemas: $(cat "$work/check.out")"
"$gg" validate "$top/tests/data/iodef/rfc7970/rfc7970-s7.1-minimal.xml" > "$work/validate.out" 2>&1 \
	|| { cat "$work/validate.out"; fail "validate: exit $?"; }
line='Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for root from 192.0.2.9 port 38926 ssh2'
echo "$line" | "$gg" map -m openssh --explain > "$work/map.out" 2>&1 \
	|| { cat "$work/map.out"; fail "map -m openssh: exit $?"; }
grep -q "mapping openssh ($dest/usr/share/gridgate/mappings/openssh.map)" "$work/map.out" \
	|| fail "map did not use the installed mappings: $(head -n 3 "$work/map.out")"
# Without the override the binary looks where the package puts the files, and says so.
unset GRIDGATE_DATADIR
"$gg" --help > "$work/help.out"
grep -q 'GRIDGATE_DATADIR' "$work/help.out" || fail "gridgate --help does not document GRIDGATE_DATADIR"
grep -q '(default /etc/gridgate/gridgate.conf)' "$work/help.out" \
	|| fail "compiled-in config path: $(head -n 2 "$work/help.out")"
grep -q '/usr/share/gridgate' "$work/help.out" || fail "compiled-in data dir: $(cat "$work/help.out")"

# A second install keeps an edited configuration and puts the new example beside it.
echo '; edited by the operator' >> "$dest/etc/gridgate/gridgate.conf"
make -s install DESTDIR="$dest" > /dev/null 2>&1 || fail "second make install"
tail -n 1 "$dest/etc/gridgate/gridgate.conf" | grep -q 'edited by the operator' || fail "edited gridgate.conf overwritten"
[ -f "$dest/etc/gridgate/gridgate.conf.new" ] || fail "no gridgate.conf.new beside the edited one"
# Uninstall removes what install put there; the edited configuration stays.
make -s uninstall DESTDIR="$dest" > /dev/null 2>&1 || fail "make uninstall"
left=$(cd "$dest" && find . -type f | sort)
[ "$left" = "./etc/gridgate/gridgate.conf" ] || fail "left after uninstall: $left"
echo "$test_name: ok"
