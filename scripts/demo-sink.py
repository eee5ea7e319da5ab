#!/usr/bin/python3
"""demo-sink.py: the HTTPS endpoint of scripts/demo, on loopback: what a webhook consumer of
gridgate's [export:NAME] output sees. It answers every POST or PUT 200 and keeps it: the body
in DIR/N.body (N counts requests from 1) and one line per request in DIR/requests.log,
"N<TAB>METHOD PATH<TAB>IDEMPOTENCY-KEY<TAB>CONTENT-TYPE<TAB>BYTES", written after the body so a
reader of the log finds every body it names. It listens on a port the kernel picks (no clash
with a controller or another demo) and writes it to --port-file once it listens.

usage: demo-sink.py --cert CRT --key KEY --dir DIR --port-file FILE
"""
import argparse
import http.server
import itertools
import os
import ssl
import threading

lock = threading.Lock()
numbers = itertools.count(1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the exporter keeps its connections open

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        key = self.headers.get("Idempotency-Key", "")
        with lock:
            n = next(numbers)
            with open(os.path.join(args.dir, f"{n}.body"), "wb") as f:
                f.write(body)
            with open(os.path.join(args.dir, "requests.log"), "a") as f:
                f.write(f"{n}\t{self.command} {self.path}\t{key}\t"
                        f"{self.headers.get('Content-Type', '')}\t{len(body)}\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = do_POST


p = argparse.ArgumentParser()
for opt in ("--cert", "--key", "--dir", "--port-file"):
    p.add_argument(opt, required=True)
args = p.parse_args()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(args.cert, args.key)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(args.port_file + ".tmp", "w") as f:
    f.write(f"{server.server_address[1]}\n")
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
