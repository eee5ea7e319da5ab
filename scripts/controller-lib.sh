# controller-lib.sh: what scripts/controller (Prosody) and scripts/controller-ejabberd share:
# loopback probes, the throwaway CA and its certificates, account passwords. Sourced, not run.
# The caller sets XMPP_HOST, C2S_PORT, DOMAIN, STATE and CERTS first.

# True if something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp;
# no netcat dependency). timeout bounds the connect if packets are dropped.
port_open() {
	# shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash, on purpose
	timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$XMPP_HOST" "$1" 2>/dev/null
}

# True once the server answers a client stream header with stream features that
# offer STARTTLS. An open port alone is not enough: Prosody listens while it
# is still loading modules, and a module failing after that (e.g. mod_posix and
# its pidfile) shuts it down again. The main loop, which answers, only runs
# once every host and module is loaded. Tokens are read up to each '>' because
# Prosody sends no newlines.
xmpp_ready() {
	# shellcheck disable=SC2016 # expanded by the inner bash, on purpose
	timeout 3 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		printf "<?xml version='"'1.0'"'?><stream:stream to='"'%s'"' xmlns='"'jabber:client'"' xmlns:stream='"'http://etherx.jabber.org/streams'"' version='"'1.0'"'>" "$2" >&3
		while IFS= read -r -t 2 -d ">" -u 3 tok; do
			[[ "$tok" == *"<starttls"* ]] && exit 0
		done
		exit 1' "$XMPP_HOST" "$C2S_PORT" "$DOMAIN" 2>/dev/null
}

# True if server.pem names DNS:$1 in its subjectAltName.
server_cert_covers() {
	local san
	san="$(openssl x509 -in "$CERTS/server.pem" -noout -ext subjectAltName 2>/dev/null)" || return 1
	[[ "$san" =~ DNS:"$1"(,|$|[[:space:]]) ]]
}

# P-256 keys: instant to generate and supported by every TLS stack involved.
# Private keys must never be readable by others, even for an instant (umask
# 077 in the subshells); certificates are public (644).
cert_ca() (
	umask 077
	cd "$CERTS" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.pem -days 3650 \
		-subj "/O=gridgate test/CN=gridgate throwaway controller CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null || return 1
	chmod 644 ca.pem
)

# cert_sign NAME CN EKU SAN: NAME.key and NAME.pem signed by the CA. Written
# under temporary names and renamed, so an interrupted run leaves no key
# without its certificate (which the checks above would take as complete).
# Errors are checked explicitly: called as `cert_sign ... || die`, set -e is
# not in effect inside.
cert_sign() (
	local name="$1" cn="$2" eku="$3" san="$4"
	umask 077
	cd "$CERTS" || return 1
	trap 'rm -f "$name.tmp.key" "$name.tmp.pem" "$name.csr" "$name.ext"' EXIT
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$name.tmp.key" -out "$name.csr" -subj "/O=gridgate test/CN=$cn" 2>/dev/null || return 1
	cat >"$name.ext" <<-EOF
		basicConstraints=critical,CA:FALSE
		keyUsage=critical,digitalSignature,keyAgreement
		extendedKeyUsage=$eku
		subjectAltName=$san
	EOF
	# A random serial per certificate (no ca.srl to keep in step).
	openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
		-days 825 -extfile "$name.ext" -out "$name.tmp.pem" 2>/dev/null || return 1
	chmod 644 "$name.tmp.pem" && mv -f "$name.tmp.key" "$name.key" && mv -f "$name.tmp.pem" "$name.pem"
)

# Random password per account, created once and reused (also after reset) so
# an env file sourced earlier stays valid.
password_for() {
	local file="$STATE/$1.password"
	if [[ ! -s "$file" ]]; then
		(umask 077; openssl rand -hex 16 >"$file")
	fi
	chmod 600 "$file"
	tr -d '\n' <"$file"
}
