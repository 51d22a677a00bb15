#!/usr/bin/env python3
"""Raw HTTP for tests: bytes no HTTP client would send, and many sockets.

    rawhttp.py send [--unix PATH | --port N] [--timeout S]
                    [--trickle SECS --body-bytes N] [--until-close] REQUEST
    rawhttp.py early [--port N] --body-bytes N REQUEST
    rawhttp.py hold --port N --count N --seconds S [--source ADDR]

send: REQUEST is a Python string literal's body ("\\r\\n", "\\x00" work)
where {c*N} stands for the character c N times. With --trickle, after
REQUEST one body byte goes out every SECS seconds (N at most) until the
server answers. With --until-close, reading goes on after a keep-alive
answer until the server closes (or --timeout). Prints one JSON object:

    {"status": 400, "code": "bad_request", "content_type": "...",
     "closed": true, "elapsed": 0.01, "head": "HTTP/1.1 400 ..."}

status is null when no complete response came (then "error" says why);
closed: the server closed the connection after the response.

early: after REQUEST (a head announcing a body), sends 64 KiB of body,
waits for the answer to arrive without reading it, sends the rest of
--body-bytes, half-closes and reads to the end. Like curl, a client that
is still sending when the server closes gets EPIPE or a reset:
    {"status": 401, "send_error": null, "reset": false}

hold: opens COUNT connections (sending nothing), keeps them SECONDS, and
prints {"open": N, "refused": N, "statuses": {"429": N}, "failed": N}.
"""
import argparse
import json
import re
import resource
import select
import socket
import sys
import time


def expand(spec: str) -> bytes:
    spec = re.sub(r"\{(.)\*(\d+)\}", lambda m: m.group(1) * int(m.group(2)),
                  spec)
    return spec.encode("latin-1").decode("unicode_escape").encode("latin-1")


def connect(a):
    if a.unix:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(a.timeout)
        s.connect(a.unix)
    else:
        s = socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout)
    return s


def parse(buf: bytes):
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buf[:end].decode("latin-1").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    body = buf[end + 4:]
    if len(body) < n:
        return None
    return int(lines[0].split()[1]), hdrs, body[:n], lines[0]


def send(a) -> dict:
    out = {"status": None, "closed": False}
    t0 = time.monotonic()
    s = connect(a)
    buf = b""
    try:
        s.sendall(expand(a.request))
        sent = 0
        while True:
            left = a.timeout - (time.monotonic() - t0)
            if left <= 0:
                out["error"] = "timeout"
                break
            wait = left
            if a.trickle and sent < a.body_bytes:
                wait = min(left, a.trickle)
            r, _, _ = select.select([s], [], [], wait)
            if not r:
                if a.trickle and sent < a.body_bytes:
                    s.sendall(b"x")
                    sent += 1
                continue
            chunk = s.recv(65536)
            if not chunk:
                out["closed"] = True
                break
            buf += chunk
            if out["status"] is None and parse(buf):
                status, hdrs, body, first = parse(buf)
                out.update(status=status, head=first,
                           content_type=hdrs.get("content-type"))
                try:
                    doc = json.loads(body)
                    out["code"], out["detail"] = doc.get("code"), doc.get("detail")
                except ValueError:
                    out["code"] = None
                if (hdrs.get("connection", "").lower() != "close" and
                        not a.until_close):
                    break
    except OSError as e:
        out["error"] = str(e)
    finally:
        s.close()
    if out["status"] is None and buf:
        out["head"] = buf[:120].decode("latin-1")
    out["elapsed"] = round(time.monotonic() - t0, 3)
    return out


def early(a) -> dict:
    out = {"status": None, "send_error": None, "reset": False}
    s = connect(a)
    first = min(65536, a.body_bytes)
    s.sendall(expand(a.request) + b"x" * first)
    select.select([s], [], [], a.timeout)
    try:
        s.sendall(b"x" * (a.body_bytes - first))
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        out["send_error"] = str(e)
    buf = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except ConnectionResetError:
        out["reset"] = True
    except OSError as e:
        out["error"] = str(e)
    s.close()
    r = parse(buf)
    if r:
        out["status"] = r[0]
    return out


def hold(a) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, a.count + 256)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    socks, failed = [], 0
    for _ in range(a.count):
        try:
            s = socket.socket()
            if a.source:
                s.bind((a.source, 0))
            s.settimeout(5)
            s.connect(("127.0.0.1", a.port))
            s.setblocking(False)
            socks.append(s)
        except OSError:
            failed += 1
    statuses, refused = {}, 0
    deadline = time.monotonic() + a.seconds
    pending = list(socks)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        still = []
        for s in pending:
            try:
                chunk = s.recv(4096)
            except BlockingIOError:
                still.append(s)
                continue
            except OSError:
                refused += 1
                continue
            refused += 1
            if chunk.startswith(b"HTTP/1.1 "):
                code = chunk.split()[1].decode()
                statuses[code] = statuses.get(code, 0) + 1
        pending = still
    for s in socks:
        s.close()
    return {"open": len(pending), "refused": refused, "statuses": statuses,
            "failed": failed}


def main() -> int:
    ap = argparse.ArgumentParser(prog="rawhttp.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("send")
    p.add_argument("--unix")
    p.add_argument("--port", type=int)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--trickle", type=float, default=0.0)
    p.add_argument("--body-bytes", type=int, default=0)
    p.add_argument("--until-close", action="store_true")
    p.add_argument("request")
    e = sub.add_parser("early")
    e.add_argument("--unix")
    e.add_argument("--port", type=int)
    e.add_argument("--timeout", type=float, default=10.0)
    e.add_argument("--body-bytes", type=int, required=True)
    e.add_argument("request")
    h = sub.add_parser("hold")
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--count", type=int, required=True)
    h.add_argument("--seconds", type=float, required=True)
    h.add_argument("--source")
    a = ap.parse_args()
    print(json.dumps({"send": send, "early": early, "hold": hold}[a.cmd](a)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
