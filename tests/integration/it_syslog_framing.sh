#!/usr/bin/env bash
# Syslog TCP framing at the edges of a connection (issue 9): (a) a frame cut by a reset is
# dropped and counted as truncated, whatever its framing, and whole frames before it stand;
# (b) at an orderly close a last LF line without its LF is delivered, an octet-counted frame
# shorter than its count is truncated; (c) a flood of connect-and-close against a small
# max_connections does not refuse the clients that come during it: closed connections free
# their slots at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/syslog_lib.sh"

n_cut=${GG_FRAMING_CUTS:-300} n_flood=${GG_FRAMING_FLOOD:-500} every=50
cut_port=$(free_port) && flood_port=$(free_port) || fail "no free port"
gg_config
cat >> "$work/gridgate.conf" <<EOC
[syslog:cut]
listen = 127.0.0.1:$cut_port
protocol = tcp
max_connections = 64
[syslog:flood]
listen = 127.0.0.1:$flood_port
protocol = tcp
max_connections = 4
EOC
gg_start
listening() { port_bound tcp "$cut_port" && port_bound tcp "$flood_port"; }
wait_for 30 listening || fail "gridgate does not listen"
tag=$$

# The client: Debian's python3 (a pyenv one may shadow it). SO_LINGER {1, 0} makes close()
# send a reset instead of a FIN: the abortive close of a crashing or killed sender.
cat > "$work/client.py" <<'EOP'
import socket, struct, sys

def msg(text):
    return b"<13>1 2026-11-23T10:00:00Z host.test itframe - - - " + text.encode() + b" hello"

def conn(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def close(s, reset):
    if reset:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()

def send(port, data, reset):
    s = conn(port)
    s.sendall(data)
    close(s, reset)

cmd, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if cmd == "cut":
    # Partial frames then a reset: LF-framed without its LF, octet-counted short of its
    # count, and a count cut inside its digits.
    for i in range(int(sys.argv[4])):
        m = msg("cut-%s-%d partial mess" % (tag, i))
        data = [m, b"%d " % (len(m) + 10) + m, b"%d" % len(m)][i % 3]
        send(port, data, True)
    # Whole frames stand when a partial one after them is cut.
    send(port, msg("whole-%s" % tag) + b"\n" + msg("cut-%s-last partial" % tag), True)
elif cmd == "send":
    send(port, msg(sys.argv[4]) + b"\n", False)
elif cmd == "last-lf":
    send(port, msg("lastlf-%s" % tag), False)
elif cmd == "last-octet":
    m = msg("lastoc-%s" % tag)
    send(port, b"%d " % (len(m) + 5) + m, False)
elif cmd == "flood":
    # Connect and close as fast as one client can, half with a FIN, half with a reset;
    # every so often a real client sends one message among them.
    total, every, sent = int(sys.argv[4]), int(sys.argv[5]), 0
    for i in range(total):
        if i % every == every - 1:
            send(port, msg("flood-ok-%s-%d" % (tag, sent)) + b"\n", False)
            sent += 1
        else:
            close(conn(port), i % 2 == 1)
    print(sent)
EOP
py() { /usr/bin/python3 "$work/client.py" "$@"; }

# (a) Partial frames cut by a reset: none is published, each is counted.
py cut "$cut_port" "$tag" "$n_cut" || fail "cut client failed"
py send "$cut_port" "$tag" "after-cut-$tag" || fail "send failed"
counter_reaches cut truncated $((n_cut + 1)) 20 \
	|| fail "cut: truncated=$(counter cut truncated), want $((n_cut + 1))"
[ "$(counter cut truncated)" = $((n_cut + 1)) ] \
	|| fail "cut: truncated=$(counter cut truncated), want $((n_cut + 1))"

# (b) Orderly closes after an unfinished last frame: LF framing delivers it, octet counting
# counts it as truncated.
py last-lf "$cut_port" "$tag" || fail "last-lf client failed"
py last-octet "$cut_port" "$tag" || fail "last-octet client failed"
counter_reaches cut truncated $((n_cut + 2)) 10 \
	|| fail "cut: truncated=$(counter cut truncated) after a short octet frame, want $((n_cut + 2))"

# (c) The flood: every real client among it gets its slot.
start=$SECONDS
ok=$(py flood "$flood_port" "$tag" "$n_flood" "$every") || fail "flood client failed"
flood_secs=$((SECONDS - start))

want=$((1 + 1 + 1 + ok)) # whole, after-cut, lastlf, the flood's real clients
arrived() { [ "$(gg_spool_stat published)" -ge "$want" ]; }
wait_for 30 arrived || fail "$(gg_spool_stat published) of $want messages published"
wait_for 30 spool_drained || fail "spool not drained"
items=$(read_items)
grep -l "cut-$tag-" "$work"/items/*.xml && fail "a frame cut by a reset was published"
grep -l "lastoc-$tag" "$work"/items/*.xml && fail "a truncated octet-counted frame was published"
grep -q "whole-$tag hello" "$work"/items/*.xml || fail "the whole frame before a cut one was lost"
grep -q "after-cut-$tag hello" "$work"/items/*.xml || fail "the message after the resets was lost"
grep -q "lastlf-$tag hello" "$work"/items/*.xml \
	|| fail "a last LF-framed message without LF at an orderly close was lost"
got=$(grep -l "flood-ok-$tag-" "$work"/items/*.xml | wc -l)
[ "$got" = "$ok" ] || fail "$got of the $ok real clients during the flood published"
[ "$items" = "$want" ] || fail "topic holds $items items, want $want"
gg_stop || fail "gridgate did not stop cleanly"
refused=$(counter flood connections_refused)
[ "$refused" = 0 ] || fail "flood: connections_refused=$refused, want 0"
[ "$(counter cut truncated)" = $((n_cut + 2)) ] || fail "cut: truncated=$(counter cut truncated)"
[ "$(counter cut protocol_errors)" = 0 ] || fail "cut: protocol_errors=$(counter cut protocol_errors)"
[ "$(gg_spool_stat quarantined)" = 0 ] || fail "messages were quarantined"
echo "ok: syslog framing: $n_cut resets truncated=$((n_cut + 2)) (with 1 short octet frame" \
	"at a close and the cut tail after a whole frame), last LF line delivered," \
	"$ok of $ok clients through a flood of $n_flood in ${flood_secs}s, refused=$refused"
