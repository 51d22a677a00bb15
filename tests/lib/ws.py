#!/usr/bin/env python3
"""A tiny RFC 6455 WebSocket client for the test suite (standard library only).

    ws.py upgrade PORT [--path P] [--protocol P]
        Send an upgrade request; print the status line, then the body.

    ws.py listen PORT --out FILE [--token T] [--topics a,b] [--company ID]
                 [--seconds N] [--pause-file F --pause-after N]
                 [--rcvbuf BYTES]
                 [--reauth-after S --reauth-token T] [--send JSON]...
        Connect with Sec-WebSocket-Protocol: calldocker.v1, send auth (unless
        no --token), then each --send, then subscribe (if --topics), and write
        every message received to FILE as one JSON line. --pause S stops
        reading once N snapshots have arrived until file F exists (a slow
        consumer).
        Ends at a close frame (a line {"close": CODE, "reason": "..."}), at
        EOF ({"eof": true}) or after --seconds.

    ws.py peer PORT --out FILE --cmds FILE [--origin O] [--seconds N]
               [--no-pong] [--stamp]
        A scripted party: connect (with an Origin header if given), then
        send each line appended to the --cmds file as it appears (a JSON
        message), while writing every message received to FILE. The line
        "!close" sends a close frame and ends; "!drop" drops the TCP
        connection without one. --no-pong leaves ping frames unanswered
        (each is logged as {"ping": true}); --stamp adds "_t" (receive time,
        seconds) to every line.

With CD_WS_CAFILE set in the environment, every connection is wss://:
TLS verified against that CA file (the name checked is 127.0.0.1).
"""
import argparse
import base64
import json
import os
import select
import socket
import ssl
import struct
import sys
import time


class Closed(Exception):
    pass


class WS:
    def __init__(self, port, path="/ws", protocol="calldocker.v1", rcvbuf=0,
                 origin="", pong=True):
        self.pong = pong
        self.pings = 0
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.connect(("127.0.0.1", port))
        if os.environ.get("CD_WS_CAFILE"):
            ctx = ssl.create_default_context(cafile=os.environ["CD_WS_CAFILE"])
            self.s = ctx.wrap_socket(self.s, server_hostname="127.0.0.1")
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
        if protocol:
            req += f"Sec-WebSocket-Protocol: {protocol}\r\n"
        if origin:
            req += f"Origin: {origin}\r\n"
        self.s.sendall((req + "\r\n").encode())
        head = self._until(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n", 1)[0].decode()
        self.headers = {}
        for line in head.split(b"\r\n")[1:]:
            if b":" in line:
                k, v = line.split(b":", 1)
                self.headers[k.strip().lower().decode()] = v.strip().decode()

    def _recv(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def _until(self, sep):
        while sep not in self.buf:
            self._recv()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _take(self, n):
        while len(self.buf) < n:
            self._recv()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def pop_frame(self):
        """A whole frame from the buffer (op, fin, payload), or None."""
        b = self.buf
        if len(b) < 2:
            return None
        n, i = b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, i = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, i = struct.unpack("!Q", b[2:10])[0], 10
        if len(b) < i + n:
            return None
        self.buf = b[i + n:]
        return b[0] & 0x0F, b[0] & 0x80, b[i:i + n]

    def poll_messages(self, timeout):
        """Text messages that arrived within timeout; Closed at a close."""
        if getattr(self, "closed", None):
            raise self.closed
        pending = getattr(self.s, "pending", lambda: 0)()
        r, _, _ = select.select([self.s], [], [], 0 if pending else timeout)
        if r or pending:
            self._recv()
        out = []
        while True:
            f = self.pop_frame()
            if f is None:
                return out
            op, fin, payload = f
            if op == 8:
                code = struct.unpack("!H", payload[:2])[0] \
                    if len(payload) >= 2 else None
                try:
                    self.send_frame(8, payload[:2])
                except OSError:
                    pass
                self.closed = Closed(code, payload[2:].decode(errors="replace"))
                if out:
                    return out
                raise self.closed
            if op == 9:
                self.pings += 1
                if self.pong:
                    self.send_frame(10, payload)
                continue
            if op == 10:
                continue
            self.frag = getattr(self, "frag", b"") + payload
            if fin:
                out.append(self.frag.decode())
                self.frag = b""

    def send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x80 | opcode])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack("!Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.s.sendall(hdr + mask + body)

    def send_json(self, obj):
        self.send_frame(1, json.dumps(obj).encode())

    def recv_message(self):
        """A text message (str); pings are answered; Closed at a close."""
        data = b""
        while True:
            b0, b1 = self._take(2)
            op, fin = b0 & 0x0F, b0 & 0x80
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._take(8))[0]
            if b1 & 0x80:
                raise ValueError("the server masked a frame")
            payload = self._take(n)
            if op == 8:
                code = struct.unpack("!H", payload[:2])[0] if n >= 2 else None
                try:
                    self.send_frame(8, payload[:2])
                except OSError:
                    pass
                raise Closed(code, payload[2:].decode(errors="replace"))
            if op == 9:
                self.pings += 1
                if self.pong:
                    self.send_frame(10, payload)
                continue
            if op == 10:
                continue
            data += payload
            if fin:
                return data.decode()


def cmd_upgrade(a):
    s = socket.create_connection(("127.0.0.1", a.port))
    key = base64.b64encode(os.urandom(16)).decode()
    req = (f"GET {a.path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
           "Sec-WebSocket-Version: 13\r\n")
    if a.protocol:
        req += f"Sec-WebSocket-Protocol: {a.protocol}\r\n"
    s.sendall((req + "\r\n").encode())
    s.settimeout(5)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
            if b"\r\n\r\n" in data and data.startswith(b"HTTP/1.1 101"):
                break
    except socket.timeout:
        pass
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    print(lines[0] if lines else "")
    for line in lines[1:]:
        print(line)
    print()
    print(body.decode(errors="replace"))


def cmd_listen(a):
    out = open(a.out, "a", buffering=1)

    def emit(obj):
        out.write(json.dumps(obj) + "\n")

    deadline = time.time() + a.seconds
    try:
        ws = WS(a.port, rcvbuf=a.rcvbuf)
    except (OSError, EOFError) as e:
        emit({"connect_error": str(e)})
        return
    if not ws.status_line.startswith("HTTP/1.1 101"):
        emit({"refused": ws.status_line})
        return
    emit({"protocol": ws.headers.get("sec-websocket-protocol")})
    try:
        if a.token:
            ws.send_json({"type": "auth", "token": a.token, "id": "auth"})
        for m in a.send:
            ws.send_frame(1, m.encode())
        if a.topics:
            sub = {"type": "subscribe", "id": "sub",
                   "topics": a.topics.split(",")}
            if a.company:
                sub["company_id"] = a.company
            ws.send_json(sub)
        reauth_at = time.time() + a.reauth_after if a.reauth_token else None
        paused = False
        snapshots = 0
        while True:
            now = time.time()
            if now >= deadline:
                emit({"timeout": True})
                return
            if reauth_at is not None and now >= reauth_at:
                ws.send_json({"type": "auth", "token": a.reauth_token,
                              "id": "reauth"})
                reauth_at = None
            wait = deadline - now
            if reauth_at is not None:
                wait = min(wait, max(0.01, reauth_at - now))
            ws.s.settimeout(wait)
            try:
                msg = ws.recv_message()
            except socket.timeout:
                continue
            obj = json.loads(msg)
            emit(obj)
            if obj.get("type") == "snapshot":
                snapshots += 1
            if a.pause_file and not paused and snapshots >= a.pause_after:
                paused = True
                emit({"paused": True})
                while not os.path.exists(a.pause_file) and \
                        time.time() < deadline:
                    time.sleep(0.05)
    except Closed as c:
        emit({"close": c.args[0], "reason": c.args[1]})
    except (EOFError, ConnectionResetError, BrokenPipeError):
        emit({"eof": True})


def cmd_peer(a):
    out = open(a.out, "a", buffering=1)

    def emit(obj):
        if a.stamp:
            obj["_t"] = time.time()
        out.write(json.dumps(obj) + "\n")

    deadline = time.time() + a.seconds
    try:
        ws = WS(a.port, origin=a.origin, pong=not a.no_pong)
    except (OSError, EOFError) as e:
        emit({"connect_error": str(e)})
        return
    if not ws.status_line.startswith("HTTP/1.1 101"):
        emit({"refused": ws.status_line})
        return
    emit({"protocol": ws.headers.get("sec-websocket-protocol")})
    done = 0
    pings = 0
    try:
        while time.time() < deadline:
            try:
                with open(a.cmds) as f:
                    lines = f.read().split("\n")
            except FileNotFoundError:
                lines = []
            for line in lines[done:-1]:
                done += 1
                if line == "!close":
                    ws.send_frame(8, struct.pack("!H", 1000))
                    emit({"closed_by_client": True})
                    return
                if line == "!drop":
                    ws.s.close()
                    emit({"dropped": True})
                    return
                ws.send_frame(1, line.encode())
            try:
                msgs = ws.poll_messages(0.02)
            finally:
                while pings < ws.pings:
                    pings += 1
                    emit({"ping": True})
            for m in msgs:
                emit(json.loads(m))
        emit({"timeout": True})
    except Closed as c:
        emit({"close": c.args[0], "reason": c.args[1]})
    except (EOFError, ConnectionResetError, BrokenPipeError):
        emit({"eof": True})


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("upgrade")
    u.add_argument("port", type=int)
    u.add_argument("--path", default="/ws")
    u.add_argument("--protocol", default="")
    ls = sub.add_parser("listen")
    ls.add_argument("port", type=int)
    ls.add_argument("--out", required=True)
    ls.add_argument("--token", default="")
    ls.add_argument("--topics", default="")
    ls.add_argument("--company", default="")
    ls.add_argument("--seconds", type=float, default=10)
    ls.add_argument("--pause-file", default="")
    ls.add_argument("--pause-after", type=int, default=1)
    ls.add_argument("--rcvbuf", type=int, default=0)
    ls.add_argument("--reauth-after", type=float, default=0)
    ls.add_argument("--reauth-token", default="")
    ls.add_argument("--send", action="append", default=[])
    pe = sub.add_parser("peer")
    pe.add_argument("port", type=int)
    pe.add_argument("--out", required=True)
    pe.add_argument("--cmds", required=True)
    pe.add_argument("--origin", default="")
    pe.add_argument("--seconds", type=float, default=30)
    pe.add_argument("--no-pong", action="store_true")
    pe.add_argument("--stamp", action="store_true")
    a = p.parse_args()
    if a.cmd == "upgrade":
        cmd_upgrade(a)
    elif a.cmd == "peer":
        cmd_peer(a)
    else:
        cmd_listen(a)


if __name__ == "__main__":
    sys.exit(main())
