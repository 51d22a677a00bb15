#!/usr/bin/env python3
"""One command on HAProxy's admin socket (the configuration's "stats socket");
its answer on standard output. For scripts/cluster.sh and tests/t0845:

    admin.py SOCKET "show stat"
    admin.py SOCKET "set server rest/node2 state drain"
    admin.py SOCKET status [BACKEND]   # "BACKEND/SERVER STATUS CHECK" per server
"""
import socket
import sys


def ask(path, command):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(command.encode() + b"\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    return out.decode()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, command = sys.argv[1], sys.argv[2]
    if command != "status":
        sys.stdout.write(ask(path, " ".join(sys.argv[2:])))
        return
    lines = ask(path, "show stat").splitlines()
    head = lines[0].lstrip("# ").split(",")
    col = {name: i for i, name in enumerate(head)}
    for line in lines[1:]:
        f = line.split(",")
        if len(f) < len(head) or f[1] in ("FRONTEND", "BACKEND"):
            continue
        if len(sys.argv) > 3 and f[0] != sys.argv[3]:
            continue
        print(f"{f[0]}/{f[1]} {f[col['status']]} {f[col['check_status']] or '-'}")


main()
