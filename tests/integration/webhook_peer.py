#!/usr/bin/env python3
"""webhook_peer.py: webhook senders curl cannot be: a body that stops mid-way, a slowloris,
a flood of connections opened and dropped, and many keep-alive clients that retry every 503
(it_webhook_hostile.sh, it_webhook_load.sh). Standard library only.

  webhook_peer.py truncated PORT CA TOKEN
  webhook_peer.py slowloris PORT CA INTERVAL LIMIT
  webhook_peer.py churn PORT N
  webhook_peer.py load PORT CA TOKEN CLIENTS REQUESTS OBJECTS IDS_FILE
"""
import http.client
import json
import select
import socket
import ssl
import struct
import sys
import threading
import time

HOST = "localhost"


def tls(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=HOST)


def truncated(port, ca, token):
    """Headers promising 1000 bytes, 100 sent, then the connection closed."""
    s = tls(port, ca)
    body = b'[{"a":1},{"b":2},' + b" " * 83
    s.sendall(b"POST /bearer HTTP/1.1\r\nHost: localhost\r\n"
              b"Content-Type: application/json\r\n"
              b"Authorization: Bearer " + token.encode() + b"\r\n"
              b"Content-Length: 1000\r\n\r\n" + body)
    time.sleep(0.2)
    s.close()
    print("truncated: sent 100 of 1000 bytes, closed")


def slowloris(port, ca, interval, limit):
    """Sends a request's head a byte every INTERVAL s (never idle) and says when the server
    cut it off; fails unless that is within LIMIT s and before the head was all sent."""
    s = tls(port, ca)
    head = (b"POST /bearer HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nX-Padding: " + b"a" * 400 + b"\r\n")
    t0 = time.monotonic()
    s.settimeout(interval)
    for i in range(len(head)):
        try:
            s.sendall(head[i:i + 1])
            if s.recv(1) == b"":
                break
        except socket.timeout:
            continue
        except (OSError, ssl.SSLError):
            break
    else:
        print("slowloris: the whole head went through, never cut off")
        return 1
    took = time.monotonic() - t0
    print("slowloris: cut off after %.1f s (%d bytes sent)" % (took, i))
    return 0 if took <= limit else 1


def churn(port, n):
    """N connections opened (the handshake done) and dropped with a reset (no TIME_WAIT left
    behind), 32 at a time, each from its own loopback address (127.0.R.K). A connect whose
    SYN the kernel dropped would wait a second for its retry: it is given up after 0.3 s and
    not counted, so N are really opened in bounded time."""
    linger = struct.pack("ii", 1, 0)
    done = tries = 0
    t0 = time.monotonic()
    while done < n:
        pending = []
        for k in range(min(32, n - done)):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            s.bind(("127.0.%d.%d" % (tries % 250 + 1, k + 1), 0))
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            pending.append(s)
        tries += 1
        opened, end = [], time.monotonic() + 0.3
        while pending and time.monotonic() < end:
            _, ready, _ = select.select([], pending, [], end - time.monotonic())
            for s in ready:
                pending.remove(s)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    opened.append(s)
                else:
                    s.close()
        for s in opened + pending:
            s.close()
        done += len(opened)
    print("churn: %d connections in %.1f s" % (done, time.monotonic() - t0))


def load(port, ca, token, clients, requests, objects, ids_file):
    """CLIENTS keep-alive connections, REQUESTS posts each of OBJECTS objects; a 503 (or a
    dropped connection) is retried after its Retry-After until a 202. Writes every id of every
    202 to IDS_FILE; prints the counts."""
    ctx = ssl.create_default_context(cafile=ca)
    lock = threading.Lock()
    ids, counts = [], {"202": 0, "503": 0, "other": 0, "reconnects": 0}

    def client(c):
        conn = http.client.HTTPSConnection(HOST, port, context=ctx, timeout=30)
        for r in range(requests):
            body = json.dumps([{"client": c, "request": r, "object": o}
                               for o in range(objects)]).encode()
            while True:
                try:
                    conn.request("POST", "/bearer", body, {
                        "Content-Type": "application/json",
                        "Authorization": "Bearer " + token,
                        "Idempotency-Key": "load-%d-%d" % (c, r)})
                    resp = conn.getresponse()
                    answer = resp.read()
                except (OSError, http.client.HTTPException):
                    # The server may close a kept-alive connection; the key makes a resend
                    # of a request that was in fact accepted the same records.
                    conn.close()
                    with lock:
                        counts["reconnects"] += 1
                    time.sleep(0.1)
                    continue
                if resp.status == 202:
                    got = [it["id"] for it in json.loads(answer)["items"]]
                    with lock:
                        counts["202"] += 1
                        ids.extend(got)
                    break
                with lock:
                    counts["503" if resp.status == 503 else "other"] += 1
                if resp.status != 503:
                    print("load: client %d: %d %s" % (c, resp.status, answer[:200]))
                    return
                time.sleep(int(resp.getheader("Retry-After", "1")))
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(ids_file, "w") as f:
        f.write("".join(i + "\n" for i in ids))
    print("load: %d accepted, %d answered 503 and retried, %d other, %d reconnects, "
          "%d ids, %.1f s" % (counts["202"], counts["503"], counts["other"],
                              counts["reconnects"], len(ids), time.monotonic() - t0))
    return 0 if counts["other"] == 0 and counts["202"] == clients * requests else 1


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "truncated":
        return truncated(int(args[0]), args[1], args[2])
    if cmd == "slowloris":
        return slowloris(int(args[0]), args[1], float(args[2]), float(args[3]))
    if cmd == "churn":
        return churn(int(args[0]), int(args[1]))
    if cmd == "load":
        return load(int(args[0]), args[1], args[2], int(args[3]), int(args[4]), int(args[5]),
                    args[6])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv) or 0)
