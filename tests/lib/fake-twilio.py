#!/usr/bin/env python3
"""A local fake of Twilio's REST API, for the tests (Python 3 stdlib only).

Written from Twilio's published request shapes for "Update a Call
resource": POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json,
and "Create a Call resource": POST .../Accounts/{AccountSid}/Calls.json
(To, From, and Url or Twiml required; answered 201 with a new sid "CA"
and 32 hex digits, which the entry records as "sid"),
HTTP Basic authentication with the account SID and auth token, a
form-encoded body (application/x-www-form-urlencoded) and a JSON answer:
the call resource, or an error {"code", "message", "more_info", "status"}.

    fake-twilio.py DIR ACCOUNT_SID AUTH_TOKEN

listens on 127.0.0.1 on a port the kernel picks, writes it to DIR/port,
and appends one JSON line per request to DIR/requests.jsonl: method,
path, auth ("ok", "bad" or "none"), the Basic user, the content type,
params (name -> value; a repeated name is a list), unknown (parameter
names Twilio's update does not take) and the status answered.

It also serves "Fetch a Recording resource"'s media: GET
/2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.wav (or
.mp3: the same WAV here), a small two-channel WAV made from the sid,
also written to DIR/recordings/{RecordingSid}.wav for the tests to
compare.

DIR/script steers the answers: each API request takes its first line,
"STATUS [DELAY_SECONDS [RETRY_AFTER]]" (e.g. "503", "429 0 1",
"200 3"); with no line left the fake answers as Twilio would. A request
that fails the checks (auth, path, content type, parameters) is answered
as Twilio would answer it whatever the script says, and takes no line.
"""

import base64
import io
import json
import math
import os
import re
import struct
import sys
import threading
import time
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

CALL_PATH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Calls/(CA[0-9A-Za-z]{1,64})\.json$")
MEDIA_PATH = re.compile(
    r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Recordings/(RE[0-9a-fA-F]{32})\.(wav|mp3)$")
# The parameters of Twilio's Call update.
UPDATE_PARAMS = {"Url", "Method", "Status", "FallbackUrl", "FallbackMethod",
                 "StatusCallback", "StatusCallbackMethod", "Twiml",
                 "TimeLimit"}
CREATE_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Calls\.json$")
# The parameters of Twilio's Call create (those the daemon may send).
CREATE_PARAMS = {"To", "From", "Url", "Method", "Twiml", "StatusCallback",
                 "StatusCallbackMethod", "StatusCallbackEvent", "Timeout",
                 "FallbackUrl", "FallbackMethod", "TimeLimit",
                 "CallerId", "MachineDetection", "Record"}
ERRORS = {
    400: (20001, "Bad request"),
    401: (20003, "Authenticate"),
    404: (20404, "The requested resource was not found"),
    405: (20004, "Method not allowed"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    502: (20500, "Bad Gateway"),
    503: (20503, "Service Unavailable"),
}

lock = threading.Lock()


def recording_wav(sid):
    """Half a second of a two-channel 8 kHz tone whose pitch the sid picks."""
    hz = 200 + int(sid[-4:], 16) % 600
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(
            struct.pack("<hh", int(8000 * math.sin(2 * math.pi * hz * i / 8000)),
                        int(4000 * math.sin(2 * math.pi * hz * 2 * i / 8000)))
            for i in range(4000)))
    return out.getvalue()


class Fake(BaseHTTPRequestHandler):
    server_version = "fake-twilio/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, obj, retry_after=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, message=None):
        code, text = ERRORS.get(status, (20500, "Error"))
        return status, {"code": code, "message": message or text,
                        "more_info": "https://www.twilio.com/docs/errors/%d" % code,
                        "status": status}

    def script_line(self):
        path = os.path.join(self.server.dir, "script")
        with lock:
            try:
                with open(path) as f:
                    lines = [l for l in f.read().splitlines() if l.strip()]
            except FileNotFoundError:
                return None
            if not lines:
                return None
            with open(path + ".new", "w") as f:
                f.write("".join(l + "\n" for l in lines[1:]))
            os.replace(path + ".new", path)
            return lines[0].split()

    def record(self, entry):
        with lock:
            with open(os.path.join(self.server.dir, "requests.jsonl"), "a") as f:
                f.write(json.dumps(entry, sort_keys=True) + "\n")

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        ctype = self.headers.get("Content-Type", "")
        params = {}
        for k, v in parse_qs(raw, keep_blank_values=True).items():
            params[k] = v[0] if len(v) == 1 else v
        auth, user = "none", None
        h = self.headers.get("Authorization", "")
        if h.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(h[6:]).decode().partition(":")
            except Exception:
                user, pw = None, None
            auth = "ok" if (user == self.server.account and
                            pw == self.server.token) else "bad"
        create = CREATE_PATH.match(self.path)
        known = CREATE_PARAMS if create else UPDATE_PARAMS
        entry = {"method": self.command, "path": self.path, "auth": auth,
                 "user": user, "content_type": ctype, "params": params,
                 "unknown": sorted(set(params) - known),
                 "at": time.time()}
        m = CALL_PATH.match(self.path) or create
        media = MEDIA_PATH.match(self.path)
        status, obj, retry_after, delay = None, None, None, 0
        if media is not None and auth == "ok" and media.group(1) == user \
                and self.command == "GET":
            return self.serve_media(entry, media.group(2))
        if auth != "ok":
            status, obj = self.error(401)
        elif m is None:
            status, obj = self.error(404)
        elif m.group(1) != user:
            status, obj = self.error(404)
        elif self.command != "POST":
            status, obj = self.error(405)
        elif not ctype.startswith("application/x-www-form-urlencoded"):
            status, obj = self.error(400, "Content-Type must be form-encoded")
        elif entry["unknown"]:
            status, obj = self.error(400, "unknown parameters: " +
                                     ", ".join(entry["unknown"]))
        elif "Twiml" in params and "Url" in params:
            status, obj = self.error(400, "give Url or Twiml, not both")
        elif create and not (params.get("To") and params.get("From") and
                             ("Url" in params or "Twiml" in params)):
            status, obj = self.error(400, "To, From and Url or Twiml are required")
        elif params.get("Status") not in (None, "completed", "canceled"):
            status, obj = self.error(400, "Status must be completed or canceled")
        else:
            line = self.script_line()
            if line:
                status = int(line[0])
                delay = float(line[1]) if len(line) > 1 else 0
                retry_after = line[2] if len(line) > 2 else None
            if create and (status is None or 200 <= status < 300):
                sid = "CA" + os.urandom(16).hex()
                entry["sid"] = sid
                status = status or 201
                obj = {"sid": sid, "account_sid": user, "status": "queued",
                       "to": params["To"], "from": params["From"],
                       "api_version": "2010-04-01",
                       "uri": "/2010-04-01/Accounts/%s/Calls/%s.json" % (user, sid)}
            elif status is None or 200 <= status < 300:
                status = status or 200
                obj = {"sid": m.group(2), "account_sid": user,
                       "status": params.get("Status", "in-progress"),
                       "api_version": "2010-04-01",
                       "uri": self.path}
            else:
                status, obj = self.error(status)
        entry["status"] = status
        self.record(entry)
        if delay > 0:
            time.sleep(delay)
        try:
            self.answer(status, obj, retry_after)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def serve_media(self, entry, sid):
        line = self.script_line()
        status = int(line[0]) if line else 200
        entry["status"] = status
        self.record(entry)
        if status != 200:
            status, obj = self.error(status)
            return self.answer(status, obj, line[2] if len(line) > 2 else None)
        body = recording_wav(sid)
        d = os.path.join(self.server.dir, "recordings")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, sid + ".wav"), "wb") as f:
            f.write(body)
        self.send_response(200)
        self.send_header("Content-Type", "audio/x-wav")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET = do_PUT = do_DELETE = handle_any


def main():
    d, account, token = sys.argv[1:4]
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    srv.daemon_threads = True
    srv.dir, srv.account, srv.token = d, account, token
    with open(os.path.join(d, "port.new"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(os.path.join(d, "port.new"), os.path.join(d, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
