#!/usr/bin/env python3
"""Write several HTTP/1.1 requests in ONE send and report what came back.

    pipeline.py HOST PORT [--timeout S] [--each | --gap S] [--split] REQ...

REQ is "GET /path" or "POST /path JSON" (sent with Content-Type
application/json and a Content-Length). While the batch is in flight a
second client asks GET /health on its own connection. Prints one JSON
object:

    {"sent": 3, "statuses": [200, 401], "close": [false, true], "eof": true,
     "timed_out": false, "partial": false, "elapsed": 0.01, "side": 200}

statuses: the complete responses, in order; close: whether each said
"connection: close". eof: the server closed the connection. timed_out:
neither all answers nor EOF within --timeout. partial: bytes of an
unfinished response were left when it ended. side: status of the
concurrent /health request, or "timeout"/"error: ...".

--each sends each request only once the answer before it is complete (a
keep-alive client, no pipelining); sent counts those that went out.
--gap S sends each request in its own send, S seconds apart, without
waiting for answers (pipelining spread over several reads). --split
sends each request's body in a send of its own, 50 ms after its head.
"""
import argparse
import json
import socket
import sys
import threading
import time


def build(spec: str, host: str) -> tuple:
    """The request's head and body."""
    parts = spec.split(" ", 2)
    method, path = parts[0], parts[1]
    body = parts[2].encode() if len(parts) > 2 else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: pipeline.py\r\n"
    if method in ("POST", "PUT", "PATCH"):
        head += ("Content-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n")
    return (head + "\r\n").encode(), body


def parse_one(buf: bytes):
    """Return (status, close, rest) for one complete response at buf's
    start, or None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    hdrs = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    rest = buf[end + 4:]
    close = hdrs.get("connection", "").lower() == "close"
    if "chunked" in hdrs.get("transfer-encoding", "").lower():
        pos = 0
        while True:
            nl = rest.find(b"\r\n", pos)
            if nl < 0:
                return None
            size = int(rest[pos:nl].split(b";")[0], 16)
            pos = nl + 2
            if size == 0:
                tail = rest.find(b"\r\n", pos)
                if tail < 0:
                    return None
                return status, close, rest[tail + 2:]
            if len(rest) < pos + size + 2:
                return None
            pos += size + 2
    if status in (204, 304) or 100 <= status < 200:
        return status, close, rest
    n = int(hdrs.get("content-length", "0"))
    if len(rest) < n:
        return None
    return status, close, rest[n:]


def side_health(host: str, port: int, timeout: float) -> object:
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(build("GET /health", host)[0])
            buf = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                r = parse_one(buf)
                if r:
                    return r[0]
            r = parse_one(buf)
            return r[0] if r else "incomplete"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return f"error: {e}"


def main() -> int:
    ap = argparse.ArgumentParser(prog="pipeline.py")
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--timeout", type=float, default=5.0)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--each", action="store_true")
    mode.add_argument("--gap", type=float)
    ap.add_argument("--split", action="store_true")
    ap.add_argument("req", nargs="+")
    a = ap.parse_args()

    def send(s, req):
        if a.split and req[1]:
            s.sendall(req[0])
            time.sleep(0.05)
            s.sendall(req[1])
        else:
            s.sendall(req[0] + req[1])

    reqs = [build(r, a.host) for r in a.req]
    result = {"sent": len(a.req), "statuses": [], "close": [], "eof": False,
              "timed_out": False, "partial": False}
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    t0 = time.monotonic()
    if a.each:
        send(s, reqs[0])
        result["sent"] = 1
    elif a.gap is not None:
        try:
            for i, r in enumerate(reqs):
                if i > 0:
                    time.sleep(a.gap)
                send(s, r)
        except OSError:
            pass    # closed early: the recv sees EOF
    else:
        s.sendall(b"".join(h + b for h, b in reqs))

    side = {}
    def probe():
        time.sleep(0.3)
        side["status"] = side_health(a.host, a.port, 3.0)
    th = threading.Thread(target=probe)
    th.start()

    buf = b""
    deadline = t0 + a.timeout
    try:
        while len(result["statuses"]) < len(a.req):
            left = deadline - time.monotonic()
            if left <= 0:
                result["timed_out"] = True
                break
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                result["timed_out"] = True
                break
            except ConnectionResetError:
                result["eof"] = True
                result["reset"] = True
                break
            if not chunk:
                result["eof"] = True
                break
            buf += chunk
            while True:
                r = parse_one(buf)
                if not r:
                    break
                result["statuses"].append(r[0])
                result["close"].append(r[1])
                buf = r[2]
                n = len(result["statuses"])
                if a.each and n == result["sent"] and n < len(reqs):
                    try:
                        send(s, reqs[n])
                        result["sent"] += 1
                    except OSError:
                        # closed after that answer: the recv sees EOF
                        pass
    finally:
        s.close()
    result["partial"] = bool(buf)
    result["elapsed"] = round(time.monotonic() - t0, 3)
    th.join()
    result["side"] = side.get("status")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
