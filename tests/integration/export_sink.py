#!/usr/bin/python3
"""export_sink.py: the HTTPS endpoint of the exporter tests (it_export.sh), on loopback.

Each request it accepts (2xx) appends its Idempotency-Key to --log. It checks what a real
consumer would: the Standard Webhooks signature (--secret, whsec_BASE64: webhook-id must be
the key, the HMAC over "id.timestamp.body" must match), or the bearer token (--token), a
client certificate (--client-ca: the TLS handshake requires one), the content type and an
IODEF document in the body; with --json-dir, an IODEF-JSON document (application/json, an
object with "version" and "Incident"), each body kept as DIR/KEY.json for the test to check;
with --envelope-dir, gridgate's JSON envelope (application/json, an object whose "payload" is
an IODEF document), kept the same way. A request failing a check is answered 401 and written to
--log + ".bad" (the test requires that file to stay empty). Its behaviour is read per request
from --control: empty or missing = 200; "503 N" = 503 with Retry-After: N; "400" = 400.

usage: export_sink.py --port P --cert C --key K --log FILE --control FILE
                      [--client-ca CA] [--secret FILE | --token FILE] [--delay S]
                      [--json-dir DIR | --envelope-dir DIR]
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import ssl
import threading
import time

lock = threading.Lock()


def append(path, line):
    with lock, open(path, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the exporter expects

    def log_message(self, *args):
        pass

    def answer(self, status, extra=()):
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def bad(self, key, why):
        append(args.log + ".bad", f"{key} {why}")
        self.answer(401)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        key = self.headers.get("Idempotency-Key", "").strip('"')
        try:
            with open(args.control) as f:
                mode = f.read().split()
        except FileNotFoundError:
            mode = []
        if args.delay:
            time.sleep(args.delay)
        if mode[:1] == ["503"]:
            return self.answer(503, [("Retry-After", mode[1])])
        if mode[:1] == ["400"]:
            return self.answer(400)
        if not key or self.headers.get("webhook-id") != key:
            return self.bad(key, "no key, or webhook-id differs")
        if args.json_dir:
            try:
                doc = json.loads(body)
            except ValueError:
                doc = None
            if (self.headers.get("Content-Type") != "application/json" or
                    not isinstance(doc, dict) or "Incident" not in doc or "version" not in doc):
                return self.bad(key, "not an IODEF-JSON document")
            with open(os.path.join(args.json_dir, key + ".json"), "wb") as f:
                f.write(body)
        elif args.envelope_dir:
            try:
                doc = json.loads(body)
            except ValueError:
                doc = None
            if (self.headers.get("Content-Type") != "application/json" or
                    not isinstance(doc, dict) or doc.get("id") != key or
                    "IODEF-Document" not in str(doc.get("payload", ""))):
                return self.bad(key, "not an envelope of an IODEF document with its key")
            with open(os.path.join(args.envelope_dir, key + ".json"), "wb") as f:
                f.write(body)
        elif self.headers.get("Content-Type") != "application/xml" or b"IODEF-Document" not in body:
            return self.bad(key, "not an IODEF document")
        if secret is not None:
            ts = self.headers.get("webhook-timestamp", "")
            mac = hmac.new(secret, f"{key}.{ts}.".encode() + body, hashlib.sha256).digest()
            want = "v1," + base64.b64encode(mac).decode()
            if want not in self.headers.get("webhook-signature", "").split():
                return self.bad(key, "bad signature")
            if abs(time.time() - int(ts)) > 300:
                return self.bad(key, "stale timestamp")
        if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
            return self.bad(key, "bad token")
        append(args.log, key)
        self.answer(200)

    do_PUT = do_POST


p = argparse.ArgumentParser()
for opt in ("--cert", "--key", "--log", "--control"):
    p.add_argument(opt, required=True)
p.add_argument("--port", type=int, required=True)
p.add_argument("--client-ca")
p.add_argument("--secret")
p.add_argument("--token")
p.add_argument("--delay", type=float, default=0)
p.add_argument("--json-dir")
p.add_argument("--envelope-dir")
args = p.parse_args()
secret = token = None
if args.secret:
    with open(args.secret) as f:
        secret = base64.b64decode(f.read().strip()[len("whsec_"):])
if args.token:
    with open(args.token) as f:
        token = f.readline().strip()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(args.cert, args.key)
if args.client_ca:
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(args.client_ca)
server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
