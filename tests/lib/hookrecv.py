#!/usr/bin/env python3
"""A webhook receiver for tests (standard library only).

serve --port-file F --log L   listen on 127.0.0.1 (a free port, written to F)
    and append one JSON line per request to L. What it answers depends on
    the path:
      /ok/...                 200
      /status/CODE/...        always CODE
      /flaky/N/...            500 for the first N requests to that path, then 200
      /retry-after/SECS/...   503 with Retry-After: SECS
      /slow/SECS/...          200, after SECS seconds
      /slow-once/SECS/...     200, after SECS seconds the first time
      /redirect/...           302 to /ok/redirected
verify --secret S --log L --path P   check every request to path P against
    the Standard Webhooks signature scheme; exit 0 if there was at least one
    and all verified.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time

counts = {}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n)
        parts = self.path.strip("/").split("/")
        extra = {}
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
            seen = counts[self.path]
        if parts[0] == "status":
            code = int(parts[1])
        elif parts[0] == "flaky":
            code = 500 if seen <= int(parts[1]) else 200
        elif parts[0] == "retry-after":
            code = 503
            extra["Retry-After"] = parts[1]
        elif parts[0] == "slow":
            code = 200
            extra["sleep"] = float(parts[1])
        elif parts[0] == "slow-once":
            code = 200
            extra["sleep"] = int(parts[1]) if seen == 1 else 0
        elif parts[0] == "redirect":
            code = 302
            extra["Location"] = "/ok/redirected"
        else:
            code = 200
        rec = {
            "path": self.path,
            "id": self.headers.get("webhook-id"),
            "timestamp": self.headers.get("webhook-timestamp"),
            "signature": self.headers.get("webhook-signature"),
            "content_type": self.headers.get("content-type"),
            "body": body.decode("utf-8", "replace"),
            "answered": code,
            "at": time.time(),
        }
        with lock:
            with open(self.server.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        time.sleep(extra.pop("sleep", 0))
        reply = b'{"received": true}' if code < 300 else b"nope"
        self.send_response(code)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


def serve(a):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.log = a.log
    open(a.log, "a").close()
    with open(a.port_file + ".new", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".new", a.port_file)
    srv.serve_forever()


def verify(a):
    if not a.secret.startswith("whsec_"):
        print("secret lacks whsec_", file=sys.stderr)
        return 1
    key = base64.b64decode(a.secret[6:])
    n = 0
    for line in open(a.log):
        r = json.loads(line)
        if r["path"] != a.path:
            continue
        n += 1
        signed = "%s.%s.%s" % (r["id"], r["timestamp"], r["body"])
        want = base64.b64encode(hmac.new(key, signed.encode(),
                                         hashlib.sha256).digest()).decode()
        sigs = [s.split(",", 1)[1] for s in (r["signature"] or "").split()
                if s.startswith("v1,")]
        if not any(hmac.compare_digest(want, s) for s in sigs):
            print("bad signature on %s" % r["id"], file=sys.stderr)
            return 1
        if abs(time.time() - int(r["timestamp"])) > 300:
            print("stale timestamp on %s" % r["id"], file=sys.stderr)
            return 1
    if n == 0:
        print("no request to %s" % a.path, file=sys.stderr)
        return 1
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--log", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--secret", required=True)
    v.add_argument("--log", required=True)
    v.add_argument("--path", required=True)
    a = p.parse_args()
    if a.cmd == "serve":
        serve(a)
    else:
        sys.exit(verify(a))


if __name__ == "__main__":
    main()
