#!/usr/bin/env python3
"""Does a TLS certificate reload leave open connections alone?

    tlsreload.py PORT CAFILE -- COMMAND...

Opens a verified TLS connection to 127.0.0.1:PORT and asks GET /health on
it (keep-alive), runs COMMAND (which replaces the files and sends SIGHUP),
then opens new connections until one shows another certificate serial (at
most 20 s), and asks GET /health again on the first connection. Prints one
JSON object: the serials seen and the statuses on the old connection.
"""
import json
import socket
import ssl
import subprocess
import sys
import time


def connect(port, ctx):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(s, server_hostname="127.0.0.1")


def get_health(s):
    s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        if not d:
            return 0
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        d = s.recv(65536)
        if not d:
            return 0
        body += d
    return int(head.split(b" ")[1])


def main():
    port, cafile = int(sys.argv[1]), sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    ctx = ssl.create_default_context(cafile=cafile)
    out = {}
    old = connect(port, ctx)
    out["old_serial"] = old.getpeercert()["serialNumber"]
    out["old_before"] = get_health(old)
    subprocess.run(cmd, check=True)
    deadline = time.time() + 20
    out["new_serial"] = out["old_serial"]
    while time.time() < deadline and out["new_serial"] == out["old_serial"]:
        ctx2 = ssl.create_default_context(cafile=cafile)
        with connect(port, ctx2) as s:
            out["new_serial"] = s.getpeercert()["serialNumber"]
        if out["new_serial"] == out["old_serial"]:
            time.sleep(0.1)
    try:
        out["old_after"] = get_health(old)
    except OSError as e:
        out["old_after"] = str(e)
    out["old_serial_after"] = old.getpeercert()["serialNumber"]
    print(json.dumps(out))


main()
