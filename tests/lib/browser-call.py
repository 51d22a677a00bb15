#!/usr/bin/env python3
"""Drive one call through calldockerd in headless Chromium (t0620).

Serves tests/browser/ on 127.0.0.1:PORT (the origin the company allows),
opens the agent page, then the caller page; the caller goes through the
entry IVR flow and the queue, the agent accepts, and the two pages set up
a WebRTC call over the daemon's signaling. Waits until both peer
connections are connected and both sides receive audio; with --video the
caller then adds a camera track (renegotiation) and it waits for decoded
video frames at the agent. Prints a JSON summary; exits 1 on a timeout
with both pages' message logs.

With --tls-cert/--tls-key the pages are served over https:// with that
certificate, and Chromium trusts exactly that certificate's public key
(--spki, base64 SHA-256 of the SubjectPublicKeyInfo; the daemon serves the
same certificate for wss://). Certificate checks stay on: any other
certificate is still refused.

With --record SECONDS the agent page records the call (phone.js,
Recorder) and uploads it to the daemon's REST API on the pages' own
origin: this server passes /api/ requests through to the daemon (--api,
checked against --ca), as a deployment's reverse proxy would. Once the
page has recorded that long it hangs up, waits for the upload to
complete, and the summary has "recording": what the page measured and
the recording the daemon made of it. --drop-piece N passes the Nth piece
(PATCH) to the daemon but closes the page's connection without its
answer, as a network failure after the fact would: the page must learn
the offset again and go on from there.
"""
import argparse
import functools
import http.client
import http.server
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import webdriver  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Quiet(http.server.SimpleHTTPRequestHandler):
    """The pages; with api set, /api/... passed through to the daemon."""
    api = None          # (host, port, ssl context)
    drop = 0            # the PATCH whose answer is lost (1-based; 0 none)
    patches = 0
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"
    PASS = ("authorization", "content-type", "content-length",
            "upload-offset", "upload-complete", "recording-duration",
            "recording-channels")
    HOP = ("connection", "keep-alive", "transfer-encoding")

    def log_message(self, *args):
        pass

    def proxy(self):
        host, port, ctx = self.api
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() in self.PASS}
        conn.request(self.command, self.path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        if self.command == "PATCH":
            with self.lock:
                Quiet.patches += 1
                lost = Quiet.patches == self.drop
            if lost:
                self.close_connection = True
                return
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in self.HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def is_api(self):
        return self.api is not None and self.path.startswith("/api/")

    def do_GET(self):
        return self.proxy() if self.is_api() else super().do_GET()

    def do_HEAD(self):
        return self.proxy() if self.is_api() else super().do_HEAD()

    def do_POST(self):
        return self.proxy() if self.is_api() else self.send_error(405)

    def do_PATCH(self):
        return self.proxy() if self.is_api() else self.send_error(405)


def serve(port, cert=None, key=None, api=None, drop=0):
    Quiet.api = api
    Quiet.drop = drop
    handler = functools.partial(Quiet, directory=os.path.join(TOP, "browser"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def page(scheme, port, name, config):
    return "%s://127.0.0.1:%d/%s#%s" % (
        scheme, port, name, urllib.parse.quote(json.dumps(config)))


STATS = ("const done = arguments[arguments.length - 1];"
         "window.phone.stats().then(done, e => done({error: String(e)}));")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True, help="page server port")
    ap.add_argument("--ws", required=True, help="ws(s)://127.0.0.1:N/ws")
    ap.add_argument("--tls-cert", help="serve the pages over https")
    ap.add_argument("--tls-key")
    ap.add_argument("--spki", help="the one public key Chromium trusts")
    ap.add_argument("--token", required=True, help="the agent's access token")
    ap.add_argument("--widget-key", required=True)
    ap.add_argument("--digits", default="1")
    ap.add_argument("--video", action="store_true")
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--record", type=float, help="seconds of talk to record")
    ap.add_argument("--ca", help="the daemon's CA, for the /api/ pass-through")
    ap.add_argument("--drop-piece", type=int, default=0,
                    help="lose the answer to this PATCH (1-based)")
    a = ap.parse_args()

    api = None
    if a.record:
        u = urllib.parse.urlparse(a.ws)
        ctx = ssl.create_default_context(cafile=a.ca)
        api = (u.hostname, u.port, ctx)
    srv = serve(a.port, a.tls_cert, a.tls_key, api, a.drop_piece)
    scheme = "https" if a.tls_cert else "http"
    extra = ["--ignore-certificate-errors-spki-list=" + a.spki] if a.spki else []
    # The recorder's AudioContext runs without a click on the page.
    extra.append("--autoplay-policy=no-user-gesture-required")
    result = {}
    with webdriver.Browser(a.tmp, extra_args=extra) as b:
        tabs = {}

        def stats(who):
            b.switch(tabs[who])
            return b.run_async(STATS)

        def wait(what, cond):
            deadline = time.time() + a.timeout
            while True:
                s = {w: stats(w) for w in tabs}
                if cond(s):
                    return s
                if time.time() > deadline:
                    print(json.dumps({"timeout": what, "stats": s}, indent=1),
                          file=sys.stderr)
                    sys.exit(1)
                time.sleep(0.25)

        tabs["agent"] = b.current()
        b.get(page(scheme, a.port, "agent.html", {"ws": a.ws, "token": a.token,
                                                  "slice": 1000}))
        result["agent_page"] = b.run("return location.protocol + ' ' + "
                                     "String(window.isSecureContext)")
        wait("agent available", lambda s: s["agent"]["state"] == "available")
        tabs["caller"] = b.new_tab()
        b.switch(tabs["caller"])
        b.get(page(scheme, a.port, "caller.html", {
            "ws": a.ws, "widget_key": a.widget_key, "digits": a.digits}))
        s = wait("audio both ways", lambda s: all(
            s[w]["pc"] == "connected" and s[w]["audio_bytes"] > 0
            for w in ("agent", "caller")))
        b.switch(tabs["caller"])
        result["call_id"] = b.run("return window.phone.callId")
        result["audio"] = s
        if a.record:
            b.switch(tabs["agent"])
            deadline = time.time() + a.timeout + a.record
            while True:
                rec = b.run("return window.recording()")
                if rec["state"] == "recording" and rec["elapsed"] >= a.record:
                    break
                if rec["state"] in ("off", "failed") or time.time() > deadline:
                    print(json.dumps({"timeout": "recording", "recording": rec},
                                     indent=1), file=sys.stderr)
                    sys.exit(1)
                time.sleep(0.1)
            rec = b.run_async("const done = arguments[arguments.length - 1];"
                              "window.hangup().then(done,"
                              " e => done({state: 'failed', error: String(e)}));")
            result["recording"] = rec
            result["patches"] = Quiet.patches
            if rec["state"] != "done":
                print(json.dumps({"recording": rec}, indent=1), file=sys.stderr)
                sys.exit(1)
        if a.video:
            b.run_async("const done = arguments[arguments.length - 1];"
                        "window.addVideo().then(() => done(1),"
                        " e => done(String(e)));")
            result["video"] = wait("video frames at the agent",
                                   lambda s: s["agent"]["video_frames"] > 0)
    srv.shutdown()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
