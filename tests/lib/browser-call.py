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
"""
import argparse
import functools
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
    def log_message(self, *args):
        pass


def serve(port, cert=None, key=None):
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
    a = ap.parse_args()

    srv = serve(a.port, a.tls_cert, a.tls_key)
    scheme = "https" if a.tls_cert else "http"
    extra = ["--ignore-certificate-errors-spki-list=" + a.spki] if a.spki else []
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
        b.get(page(scheme, a.port, "agent.html", {"ws": a.ws, "token": a.token}))
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
