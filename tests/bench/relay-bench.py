#!/usr/bin/env python3
"""relay-bench: caller-to-agent relay of an SDP offer with many calls in
progress, for make bench (tests/bench/ws.sh). Standard library only; one
process, one epoll loop.

    relay-bench.py --port P --socket S --token MGR --company CO
                   [--calls 500] [--rounds 4] [--gap-ms 1]

1. Creates a widget key and an allowed origin for the manager's company,
   CALLS agents (users with a password, signed in over REST) and one queue
   with all of them as members (--socket: the daemon's Unix socket, for
   the users).
2. Opens CALLS agent sockets (auth, agent.state available) and CALLS widget
   caller sockets (Origin header, widget_key), then gets every call
   connected: call.request to the queue, call.offer to an agent, which
   sends call.accept.
3. Rounds: each call's caller sends an sdp.offer (a realistic SDP of ~2.5
   KB) to its agent, one call every GAP ms, interleaved with a ping on
   another caller's socket; reports p50/p99 of send -> the agent's receipt,
   and of ping -> pong (the reference, in the same run). Each socket sends
   one relayed message a round: far under the 50/s relay limit.

Results go to stdout as "relay-bench KEY VALUE" lines, progress to stderr.
"""
import argparse
import http.client
import json
import os
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ws import WS  # noqa: E402

ORIGIN = "https://relay-bench.example"


def log(*a):
    print("relay-bench:", *a, file=sys.stderr, flush=True)


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(conn, method, path, body=None, token=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    conn.request(method, path, json.dumps(body) if body is not None else None, h)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise SystemExit(f"relay-bench: {method} {path}: {r.status} {data[:300]!r}")
    return json.loads(data) if data else None


def sdp(n):
    """An audio+video offer as a browser makes it, ~2.5 KB."""
    lines = ["v=0", f"o=- 46117317{n:08d} 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
             "a=group:BUNDLE 0 1", "a=extmap-allow-mixed",
             "a=msid-semantic: WMS stream",
             "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
             "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
             "a=ice-ufrag:Xq3b", "a=ice-pwd:jvRk8W0tq6bXcM1rXoW8M8yb",
             "a=ice-options:trickle",
             "a=fingerprint:sha-256 " + ":".join(["A1"] * 32),
             "a=setup:actpass", "a=mid:0", "a=sendrecv", "a=rtcp-mux",
             "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc",
             "a=fmtp:111 minptime=10;useinbandfec=1",
             "a=rtpmap:63 red/48000/2", "a=fmtp:63 111/111",
             "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
             "a=rtpmap:8 PCMA/8000", "a=rtpmap:13 CN/8000",
             "a=rtpmap:110 telephone-event/48000",
             "a=rtpmap:126 telephone-event/8000",
             "a=ssrc:1001 cname:bench", "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101",
             "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", "a=mid:1",
             "a=sendrecv", "a=rtcp-mux", "a=rtcp-rsize"]
    for pt in (96, 98, 100):
        lines += [f"a=rtpmap:{pt} VP8/90000" if pt == 96 else
                  f"a=rtpmap:{pt} VP9/90000" if pt == 98 else
                  f"a=rtpmap:{pt} H264/90000",
                  f"a=rtcp-fb:{pt} goog-remb", f"a=rtcp-fb:{pt} transport-cc",
                  f"a=rtcp-fb:{pt} ccm fir", f"a=rtcp-fb:{pt} nack",
                  f"a=rtcp-fb:{pt} nack pli",
                  f"a=rtpmap:{pt + 1} rtx/90000", f"a=fmtp:{pt + 1} apt={pt}"]
    lines += ["a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;"
              "profile-level-id=42e01f"]
    lines += [f"a=ssrc-group:FID {2000 + n} {3000 + n}",
              f"a=ssrc:{2000 + n} cname:bench{n}",
              f"a=ssrc:{2000 + n} msid:stream track{n}",
              f"a=ssrc:{3000 + n} cname:bench{n}",
              f"a=ssrc:{3000 + n} msid:stream track{n}"]
    s = "\r\n".join(lines) + "\r\n"
    while len(s) < 2500:
        s += f"a=candidate:{len(s)} 1 udp 2122260223 192.168.1.{n % 250} " \
             f"{50000 + len(s) % 10000} typ host generation 0\r\n"
    return s


class Peer:
    """A socket on the selector: fast masked sends, whole messages out."""

    def __init__(self, port, origin=""):
        self.ws = WS(port, origin=origin)
        if not self.ws.status_line.startswith("HTTP/1.1 101"):
            raise SystemExit("relay-bench: upgrade: " + self.ws.status_line)
        self.ws.s.setblocking(False)
        self.ws.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.call = None
        self.state = None

    def send(self, obj):
        p = json.dumps(obj).encode()
        n = len(p)
        if n < 126:
            hdr = bytes([0x81, 0x80 | n])
        elif n < 65536:
            hdr = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            hdr = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        m = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
        body = (int.from_bytes(p, "big") ^ m).to_bytes(n, "big")
        self.ws.s.setblocking(True)
        self.ws.s.sendall(hdr + mask + body)
        self.ws.s.setblocking(False)

    def messages(self):
        try:
            d = self.ws.s.recv(262144)
        except BlockingIOError:
            return []
        if not d:
            raise SystemExit("relay-bench: a socket closed")
        self.ws.buf += d
        out = []
        while True:
            f = self.ws.pop_frame()
            if f is None:
                return out
            op, fin, payload = f
            if op == 8:
                raise SystemExit(f"relay-bench: closed: {payload[2:]!r}")
            if op == 9:
                self.ws.s.setblocking(True)
                self.ws.send_frame(10, payload)
                self.ws.s.setblocking(False)
                continue
            if op != 1 and op != 0:
                continue
            self.ws.frag = getattr(self.ws, "frag", b"") + payload
            if fin:
                out.append(json.loads(self.ws.frag))
                self.ws.frag = b""


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--socket", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--company", required=True)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--gap-ms", type=float, default=1.0)
    a = ap.parse_args()
    n = a.calls
    tcp = http.client.HTTPConnection("127.0.0.1", a.port)
    unix = UnixHTTP(a.socket)
    co = a.company
    t0 = time.monotonic()

    key = call(tcp, "POST", f"/api/companies/{co}/widget-keys",
               {"name": "relay-bench"}, a.token)["key"]
    call(tcp, "PUT", f"/api/companies/{co}/widget-origins",
         {"origins": [ORIGIN]}, a.token)
    pw = "Relay-Bench-" + os.urandom(9).hex()
    agents, tokens = [], []
    for i in range(n):
        email = f"relay-{i}@bench.test"
        u = call(unix, "POST", "/api/users", {"email": email, "role": "agent",
                 "company_id": co, "password": pw})
        agents.append(call(tcp, "POST", "/api/agents", {"user_id": u["id"]},
                           a.token)["id"])
        tokens.append(call(tcp, "POST", "/api/auth/login",
                           {"email": email, "password": pw})["access_token"])
    q = call(tcp, "POST", "/api/queues", {
        "name": "relay-bench", "strategy": "longest_idle", "wrap_up": 0,
        "ring_timeout": 60,
        "members": [{"agent_id": x} for x in agents]}, a.token)["id"]
    log(f"{n} agents and a queue in {time.monotonic() - t0:.1f} s")

    sel = selectors.DefaultSelector()
    ags, cls = [], []
    for i in range(n):
        p = Peer(a.port)
        p.role = "agent"
        sel.register(p.ws.s, selectors.EVENT_READ, p)
        p.send({"type": "auth", "id": "a", "token": tokens[i]})
        ags.append(p)
    for i in range(n):
        p = Peer(a.port, ORIGIN)
        p.role = "caller"
        sel.register(p.ws.s, selectors.EVENT_READ, p)
        p.send({"type": "auth", "id": "a", "widget_key": key})
        cls.append(p)

    by_call = {}		# call id -> agent Peer
    connected = 0
    deadline = time.monotonic() + 180
    pending_req = 0

    def handle(p, m, stamp):
        nonlocal connected, pending_req
        t = m.get("type")
        if t == "error":
            raise SystemExit(f"relay-bench: {p.role}: {m}")
        if p.role == "agent":
            if t == "authenticated":
                p.send({"type": "agent.state", "id": "s",
                        "state": "available"})
            elif t == "ack" and m.get("id") == "s":
                p.state = "available"
            elif t == "call.offer" and m["call_id"] not in by_call:
                by_call[m["call_id"]] = p
                p.send({"type": "call.accept", "id": "x",
                        "call_id": m["call_id"]})
            elif t == "ack" and m.get("id") == "x":
                connected += 1
            elif t == "sdp.offer":
                stamp(p, m)
        else:
            if t == "authenticated":
                p.state = "authed"
            elif t == "ack" and m.get("id") == "r":
                p.call = m["call_id"]
                pending_req -= 1
            elif t == "pong":
                stamp(p, m)

    def pump(timeout, stamp=None):
        for k, _ in sel.select(timeout):
            for m in k.data.messages():
                handle(k.data, m, stamp)

    # Sign-ins, then the calls, a few requests in flight at a time.
    while sum(p.state == "available" for p in ags) < n or \
            sum(p.state == "authed" for p in cls) < n:
        if time.monotonic() > deadline:
            raise SystemExit("relay-bench: sign-ins did not complete")
        pump(0.5)
    nxt = 0
    while connected < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"relay-bench: {connected}/{n} calls connected")
        while nxt < n and pending_req < 20:
            cls[nxt].send({"type": "call.request", "id": "r", "queue_id": q,
                           "media": "video"})
            pending_req += 1
            nxt += 1
        pump(0.2)
    log(f"{n} calls connected in {time.monotonic() - t0:.1f} s")
    time.sleep(0.5)
    pump(0.1)

    sdps = [sdp(i) for i in range(n)]
    sent, relay, rtt = {}, [], []

    def stamp(p, m):
        tr = time.monotonic()
        if m["type"] == "sdp.offer":
            k = ("s", m["call_id"], m["sdp"][-12:])
        else:
            k = ("p", m.get("id"))
        if k in sent:
            (relay if k[0] == "s" else rtt).append((tr - sent.pop(k)) * 1000)

    gap = a.gap_ms / 1000
    for r in range(a.rounds):
        for i in range(n):
            c = cls[i]
            body = sdps[i] + f"a=x-r:{r:07d}\r\n"
            sent[("s", c.call, body[-12:])] = time.monotonic()
            c.send({"type": "sdp.offer", "call_id": c.call, "sdp": body,
                    "media": ["voice", "video"]})
            pump(0, stamp)
            pid = f"p{r}-{i}"
            sent[("p", pid)] = time.monotonic()
            cls[(i + n // 2) % n].send({"type": "ping", "id": pid})
            end = time.monotonic() + gap
            while time.monotonic() < end:
                pump(max(0, end - time.monotonic()), stamp)
        log(f"round {r + 1}/{a.rounds}")
    end = time.monotonic() + 2
    while sent and time.monotonic() < end:
        pump(0.1, stamp)

    print(f"relay-bench calls {n}")
    print(f"relay-bench sdp_bytes {len(sdps[0])}")
    print(f"relay-bench relayed {len(relay)}")
    print(f"relay-bench missing {sum(1 for k in sent if k[0] == 's')}")
    print(f"relay-bench relay_p50_ms {pct(relay, 50):.3f}")
    print(f"relay-bench relay_p99_ms {pct(relay, 99):.3f}")
    print(f"relay-bench ping_p50_ms {pct(rtt, 50):.3f}")
    print(f"relay-bench ping_p99_ms {pct(rtt, 99):.3f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
