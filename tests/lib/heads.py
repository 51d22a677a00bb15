#!/usr/bin/env python3
"""Send raw request heads on one connection and print each answer.

    heads.py PORT [--tls] [--one-send | --bytewise] HEAD...

HEAD is a request head as a Python string literal's body ("\\r\\n" works),
sent as is (end it with "\\r\\n\\r\\n"). With --one-send every head goes out in
one send (pipelined); --bytewise sends the first head a byte at a time
(a head that arrives in many reads); by default each head is sent after
the answer before it. --tls speaks TLS (the certificate is not checked).
Prints one JSON line per answer:
{"status": 200, "body": {...} or "text"}. Answers have a Content-Length.
"""
import json
import socket
import ssl
import sys
import time


def read_answer(s, buf):
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("connection closed in a body")
        rest += chunk
    body, buf = rest[:length], rest[length:]
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    print(json.dumps({"status": status, "body": parsed}), flush=True)
    return buf


def main():
    args = sys.argv[1:]
    port = int(args.pop(0))
    mode = "each"
    tls = bool(args) and args[0] == "--tls"
    if tls:
        args.pop(0)
    if args and args[0] in ("--one-send", "--bytewise"):
        mode = args.pop(0)[2:]
    heads = [h.encode("latin-1").decode("unicode_escape").encode("latin-1")
             for h in args]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname="localhost")
    buf = b""
    if mode == "one-send":
        s.sendall(b"".join(heads))
        for _ in heads:
            buf = read_answer(s, buf)
        return 0
    for i, h in enumerate(heads):
        if mode == "bytewise" and i == 0:
            for b in h:
                s.sendall(bytes([b]))
                time.sleep(0.002)
        else:
            s.sendall(h)
        buf = read_answer(s, buf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
