#!/usr/bin/env python3
"""Supervise a browser call in headless Chromium (t0625).

Three pages on one loopback origin (tests/browser/): the agent, a widget
caller and a supervisor (a manager's page subscribed to calls). Each
page's microphone is a WebAudio oscillator of its own frequency (the
caller 440 Hz, the agent 650 Hz, the supervisor 1130 Hz: no tone is a
harmonic or a sum or difference of two others, so codec distortion of
one cannot read as another), and each page measures what it hears with
an AnalyserNode (tests/browser/phone.js, Meter).

The caller reaches the agent; then the supervisor is made the call's
supervisor through the REST API (POST /api/calls/:id/supervise, over the
daemon's Unix socket) in monitor, whisper, barge and off, and each step
waits (bounded, polling the pages) for what the parties must hear. "Does
not hear" is a peak below the threshold over a window of meter samples
taken after the step's positive condition held, so after the audio that
must not be heard is known to be flowing. Prints a JSON summary of each
step; exits 1 on a timeout or a broken expectation, with the pages'
state on stderr.
"""
import argparse
import http.client
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import webdriver  # noqa: E402

browser_call = __import__("browser-call")

CALLER, AGENT, SUPER = 440, 650, 1130
WATCH = [CALLER, AGENT, SUPER]
HEARD = -50.0           # dBFS at a tone's bins: heard above, not below
WINDOW = 20             # meter samples (50 ms each) for "does not hear"

STATS = browser_call.STATS


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=15)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(15)
        self.sock.connect(self.path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True, help="page server port")
    ap.add_argument("--ws", required=True, help="ws(s)://127.0.0.1:N/ws")
    ap.add_argument("--sock", required=True, help="the daemon's Unix socket")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--spki")
    ap.add_argument("--token", required=True, help="the agent's access token")
    ap.add_argument("--super-token", required=True, help="the supervisor's")
    ap.add_argument("--widget-key", required=True)
    ap.add_argument("--digits", default="1")
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()

    srv = browser_call.serve(a.port, a.tls_cert, a.tls_key)
    scheme = "https" if a.tls_cert else "http"
    extra = ["--ignore-certificate-errors-spki-list=" + a.spki] if a.spki else []
    result = {"steps": {}}
    with webdriver.Browser(a.tmp, extra_args=extra) as b:
        tabs = {}

        def stats(who):
            b.switch(tabs[who])
            return b.run_async(STATS)

        def all_stats():
            return {w: stats(w) for w in tabs}

        def fail(what, s):
            for st in s.values():
                st["log"] = st["log"][-30:]
            print(json.dumps({"failed": what, "stats": s}, indent=1),
                  file=sys.stderr)
            sys.exit(1)

        def wait(what, cond):
            deadline = time.time() + a.timeout
            while True:
                s = all_stats()
                if cond(s):
                    return s
                if time.time() > deadline:
                    fail("timeout: " + what, s)
                time.sleep(0.25)

        def now(s, who, f):
            return s[who]["heard"]["now"].get(str(f), -200)

        def peak(s, who, f):
            return s[who]["heard"]["peak"].get(str(f), -200)

        def hears(who, f):
            return lambda s: now(s, who, f) > HEARD

        def silent(whos, f, what):
            """Over a fresh window of samples, none of whos hears f."""
            for w in whos:
                b.switch(tabs[w])
                b.run("window.phone.mix.meter.reset()")
            s = wait(what + " (a window of samples)", lambda s: all(
                s[w]["heard"]["samples"] >= WINDOW for w in whos))
            for w in whos:
                if peak(s, w, f) >= HEARD:
                    fail("%s: %s heard %d Hz at %.1f dB" % (
                        what, w, f, peak(s, w, f)), s)
            return s

        def supervise(mode):
            c = UnixHTTP(a.sock)
            c.request("POST", "/api/calls/%s/supervise" % call,
                      json.dumps({"mode": mode}),
                      {"Authorization": "Bearer " + a.super_token,
                       "Content-Type": "application/json"})
            r = c.getresponse()
            body = r.read().decode()
            c.close()
            if r.status != 200:
                fail("POST supervise %s: %d %s" % (mode, r.status, body),
                     all_stats())
            return json.loads(body)

        def levels(s):
            return {w: {str(f): now(s, w, f) for f in WATCH} for w in s}

        def open_page(who, name, config):
            config = dict(config, ws=a.ws, watch=WATCH)
            if tabs:
                tabs[who] = b.new_tab()
                b.switch(tabs[who])
            else:
                tabs[who] = b.current()
            b.get(browser_call.page(scheme, a.port, name, config))

        open_page("agent", "agent.html", {"token": a.token, "tone": AGENT})
        wait("agent available", lambda s: s["agent"]["state"] == "available")
        open_page("supervisor", "supervisor.html",
                  {"token": a.super_token, "tone": SUPER})
        wait("supervisor subscribed",
             lambda s: s["supervisor"]["state"] == "subscribed")
        open_page("caller", "caller.html", {"widget_key": a.widget_key,
                  "digits": a.digits, "tone": CALLER})
        s = wait("the call: each party hears the other", lambda s:
                 s["agent"]["pc"] == "connected" and
                 s["caller"]["pc"] == "connected" and
                 hears("agent", CALLER)(s) and hears("caller", AGENT)(s))
        b.switch(tabs["caller"])
        call = b.run("return window.phone.callId")
        result["call_id"] = call
        result["steps"]["call"] = levels(s)

        # monitor: the supervisor hears both; her audio reaches the agent's
        # page (bytes) but is played to nobody.
        result["steps"]["monitor_op"] = supervise("monitor")
        s = wait("monitor: the supervisor hears the caller and the agent",
                 lambda s: s["supervisor"]["super_pc"] == "connected" and
                 s["agent"]["super_pc"] == "connected" and
                 s["agent"]["super_audio_bytes"] > 0 and
                 hears("supervisor", CALLER)(s) and
                 hears("supervisor", AGENT)(s))
        result["steps"]["monitor"] = levels(s)
        silent(["caller", "agent"], SUPER, "monitor")

        # whisper: the agent hears the supervisor; the caller does not.
        supervise("whisper")
        s = wait("whisper: the agent hears the supervisor",
                 hears("agent", SUPER))
        result["steps"]["whisper"] = levels(s)
        silent(["caller"], SUPER, "whisper")

        # barge: the caller too.
        supervise("barge")
        s = wait("barge: the caller hears the supervisor", lambda s:
                 hears("caller", SUPER)(s) and hears("agent", SUPER)(s) and
                 hears("supervisor", CALLER)(s) and
                 hears("supervisor", AGENT)(s))
        result["steps"]["barge"] = levels(s)

        # Mode changes renegotiate nothing: one offer in all.
        b.switch(tabs["supervisor"])
        result["offers"] = b.run(
            "return window.phone.log.filter(t => t === 'supervise.answer')"
            ".length")

        # off: the supervisor's connection closes; nobody hears her.
        result["steps"]["off_op"] = supervise("off")
        s = wait("off: the supervisor's connection is closed, her tone gone",
                 lambda s: s["supervisor"]["super_pc"] == "none" and
                 s["agent"]["super_pc"] == "none" and
                 not hears("caller", SUPER)(s) and
                 not hears("agent", SUPER)(s))
        s = silent(["caller", "agent"], SUPER, "off")
        result["steps"]["off"] = levels(s)
        # The call goes on between its two parties.
        s = wait("off: the caller and the agent still hear each other",
                 lambda s: hears("agent", CALLER)(s) and
                 hears("caller", AGENT)(s))
    srv.shutdown()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
