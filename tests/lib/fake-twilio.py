#!/usr/bin/env python3
"""A local fake of Twilio's REST API, for the tests (Python 3 stdlib only).

Written from Twilio's published request shapes: HTTP Basic authentication
with the account SID and auth token, form-encoded bodies
(application/x-www-form-urlencoded), JSON answers (the resource, or an
error {"code", "message", "more_info", "status"}); every path is under
/2010-04-01/Accounts/{AccountSid}/:

- Calls/{CallSid}.json (POST, "Update a Call resource"): Twiml, Status ...
- Calls.json (POST, "Create a Call resource": To, From, and Url or Twiml
  required; 201 with a new sid "CA" and 32 hex digits, which the entry
  records as "sid");
- Conferences.json (GET, "Read multiple Conference resources", filtered
  by FriendlyName and Status): {"conferences": [...]};
- Conferences/{ConferenceSid}/Participants.json (POST "Create a
  Participant": From and To required, Label, Muted, Hold, Coaching with
  CallSidToCoach ...; 201 with the participant, its new "call_sid"; GET
  lists them);
- Conferences/{ConferenceSid}/Participants/{CallSid or Label}.json (POST
  "Update a Participant": Muted, Hold, HoldUrl, AnnounceUrl, Coaching,
  CallSidToCoach ...; DELETE removes it, 204);
- Calls/{CallSid}/Recordings.json (POST "Create a Recording":
  RecordingChannels, RecordingStatusCallback ...; 201 with a new sid "RE")
  and Calls/{CallSid}/Recordings/{RecordingSid or Twilio.CURRENT}.json
  (POST Status=stopped|paused|in-progress);
- Recordings/{RecordingSid}.wav (or .mp3: the same WAV here, GET, "Fetch
  a Recording resource"'s media): a small two-channel WAV made from the
  sid, also written to DIR/recordings/{RecordingSid}.wav for the tests to
  compare.

A participant's JSON has Twilio's fields: call_sid, conference_sid,
account_sid, label, muted, hold, coaching, call_sid_to_coach,
end_conference_on_exit, start_conference_on_enter, status (and "to", the
fake's own). A conference's: sid, friendly_name, status (init,
in-progress, completed).

The fake runs just enough of the TwiML it is given to know who is in which
conference: a call whose Twiml (update or create) has a
<Conference>name</Conference> joins that conference (created on the first
join, "CF" and 32 hex digits; started by a participant with
startConferenceOnEnter); a call moved to other TwiML, completed or deleted
as a participant leaves it, and one with endConferenceOnExit ends it (the
other calls completed). A leg created by Calls.json joins at once (as if
answered).

    fake-twilio.py DIR ACCOUNT_SID AUTH_TOKEN

listens on 127.0.0.1 on a port the kernel picks, writes it to DIR/port,
and appends one JSON line per request to DIR/requests.jsonl: method,
path, auth ("ok", "bad" or "none"), the Basic user, the content type,
params (name -> value; a repeated name is a list), unknown (parameter
names the endpoint does not take) and the status answered.

DIR/script steers the answers: each API request takes its first line,
"STATUS [DELAY_SECONDS [RETRY_AFTER]]" (e.g. "503", "429 0 1",
"200 3"); with no line left the fake answers as Twilio would. A request
that fails the checks (auth, path, method, content type, parameters,
booleans other than true/false) is answered as Twilio would answer it
whatever the script says, and takes no line.

Test-only pages, not Twilio's (no authentication, not recorded):
GET /fake/hears?conference=NAME: {"conference", "participants", "hears"},
hears mapping each participant's call sid to the call sids it hears: A
hears B when B is not muted, not on hold, and coaches nobody or coaches A,
and A is not on hold (a held participant hears its hold music). POST
/fake/hangup?call=CALLSID: that call hangs up (leaves its conference).
"""

import base64
import html
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
from urllib.parse import parse_qs, urlsplit

ACC = r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/"
CALL_PATH = re.compile(ACC + r"Calls/(CA[0-9A-Za-z]{1,64})\.json$")
MEDIA_PATH = re.compile(ACC + r"Recordings/(RE[0-9a-fA-F]{32})\.(wav|mp3)$")
CREATE_PATH = re.compile(ACC + r"Calls\.json$")
CONFERENCES_PATH = re.compile(ACC + r"Conferences\.json(\?.*)?$")
PARTICIPANTS_PATH = re.compile(ACC + r"Conferences/(CF[0-9a-fA-F]{32})/Participants\.json$")
PARTICIPANT_PATH = re.compile(
    ACC + r"Conferences/(CF[0-9a-fA-F]{32})/Participants/([0-9A-Za-z_.-]{1,128})\.json$")
RECORDINGS_PATH = re.compile(ACC + r"Calls/(CA[0-9A-Za-z]{1,64})/Recordings\.json$")
RECORDING_PATH = re.compile(
    ACC + r"Calls/(CA[0-9A-Za-z]{1,64})/Recordings/(RE[0-9a-fA-F]{32}|Twilio\.CURRENT)\.json$")
# The parameters of Twilio's Call update.
UPDATE_PARAMS = {"Url", "Method", "Status", "FallbackUrl", "FallbackMethod",
                 "StatusCallback", "StatusCallbackMethod", "Twiml",
                 "TimeLimit"}
# The parameters of Twilio's Call create (those the daemon may send).
CREATE_PARAMS = {"To", "From", "Url", "Method", "Twiml", "StatusCallback",
                 "StatusCallbackMethod", "StatusCallbackEvent", "Timeout",
                 "FallbackUrl", "FallbackMethod", "TimeLimit",
                 "CallerId", "MachineDetection", "Record"}
# "Create a Participant" (the documented parameters the daemon may send).
PARTICIPANT_CREATE_PARAMS = {
    "From", "To", "Label", "Muted", "Hold", "HoldUrl", "HoldMethod",
    "Coaching", "CallSidToCoach", "Beep", "StartConferenceOnEnter",
    "EndConferenceOnExit", "EarlyMedia", "Timeout", "WaitUrl", "WaitMethod",
    "StatusCallback", "StatusCallbackMethod", "StatusCallbackEvent",
    "Record", "CallerId", "JitterBufferSize"}
# "Update a Participant".
PARTICIPANT_UPDATE_PARAMS = {
    "Muted", "Hold", "HoldUrl", "HoldMethod", "AnnounceUrl",
    "AnnounceMethod", "WaitUrl", "WaitMethod", "BeepOnExit",
    "EndConferenceOnExit", "Coaching", "CallSidToCoach"}
# "Create a Recording" of a call, and its update.
RECORDING_CREATE_PARAMS = {
    "RecordingStatusCallbackEvent", "RecordingStatusCallback",
    "RecordingStatusCallbackMethod", "Trim", "RecordingChannels",
    "RecordingTrack"}
RECORDING_UPDATE_PARAMS = {"Status", "PauseBehavior"}
BOOLS = ("Muted", "Hold", "Coaching", "Beep", "StartConferenceOnEnter",
         "EndConferenceOnExit", "EarlyMedia", "BeepOnExit")
CONFERENCE = re.compile(r"<Conference([^>]*)>([^<]*)</Conference>")
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

    def route(self, path):
        """(kind, match, known parameters, methods) of an API path."""
        for kind, rx, known, methods in (
                ("call", CALL_PATH, UPDATE_PARAMS, ("POST",)),
                ("create", CREATE_PATH, CREATE_PARAMS, ("POST",)),
                ("conferences", CONFERENCES_PATH, set(), ("GET",)),
                ("participants", PARTICIPANTS_PATH, PARTICIPANT_CREATE_PARAMS,
                 ("POST", "GET")),
                ("participant", PARTICIPANT_PATH, PARTICIPANT_UPDATE_PARAMS,
                 ("POST", "GET", "DELETE")),
                ("recordings", RECORDINGS_PATH, RECORDING_CREATE_PARAMS, ("POST",)),
                ("recording", RECORDING_PATH, RECORDING_UPDATE_PARAMS, ("POST",))):
            m = rx.match(path)
            if m:
                return kind, m, known, methods
        return None, None, set(), ()

    def handle_any(self):
        if self.path.startswith("/fake/"):
            return self.fake_only()
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
        kind, m, known, methods = self.route(self.path)
        entry = {"method": self.command, "path": self.path, "auth": auth,
                 "user": user, "content_type": ctype, "params": params,
                 "unknown": sorted(set(params) - known),
                 "at": time.time()}
        media = MEDIA_PATH.match(self.path)
        status, obj, retry_after, delay = None, None, None, 0
        if media is not None and auth == "ok" and media.group(1) == user \
                and self.command == "GET":
            return self.serve_media(entry, media.group(2))
        bad = [k for k in BOOLS if k in params and params[k] not in ("true", "false")]
        if auth != "ok":
            status, obj = self.error(401)
        elif m is None:
            status, obj = self.error(404)
        elif m.group(1) != user:
            status, obj = self.error(404)
        elif self.command not in methods:
            status, obj = self.error(405)
        elif self.command == "POST" and \
                not ctype.startswith("application/x-www-form-urlencoded"):
            status, obj = self.error(400, "Content-Type must be form-encoded")
        elif entry["unknown"]:
            status, obj = self.error(400, "unknown parameters: " +
                                     ", ".join(entry["unknown"]))
        elif bad:
            status, obj = self.error(400, "not a boolean: " + ", ".join(bad))
        elif "Twiml" in params and "Url" in params:
            status, obj = self.error(400, "give Url or Twiml, not both")
        elif kind == "create" and not (params.get("To") and params.get("From") and
                                       ("Url" in params or "Twiml" in params)):
            status, obj = self.error(400, "To, From and Url or Twiml are required")
        elif params.get("Status") not in (None, "completed", "canceled") and \
                kind == "call":
            status, obj = self.error(400, "Status must be completed or canceled")
        else:
            line = self.script_line()
            if line:
                status = int(line[0])
                delay = float(line[1]) if len(line) > 1 else 0
                retry_after = line[2] if len(line) > 2 else None
            if status is None or 200 <= status < 300:
                with lock:
                    status, obj = getattr(self, "do_" + kind)(
                        m, user, params, entry, status)
            else:
                status, obj = self.error(status)
        entry["status"] = status
        self.record(entry)
        if delay > 0:
            time.sleep(delay)
        try:
            if status == 204:
                self.send_response(204)
                self.end_headers()
            else:
                self.answer(status, obj, retry_after)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # The model of calls and conferences, under the lock.

    def call(self, sid, to=None):
        calls = self.server.calls
        if sid not in calls:
            calls[sid] = {"sid": sid, "to": to, "status": "in-progress",
                          "conference": None}
        return calls[sid]

    def run_twiml(self, c, twiml):
        """The Conference noun of a call's TwiML: the call joins it."""
        m = CONFERENCE.search(twiml or "")
        name = html.unescape(m.group(2)) if m else None
        if c["conference"] and c["conference"] != name:
            self.leave(c["sid"])
        if not m or c["conference"] == name:
            return
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        conf = self.conference(name, create=True)
        conf["participants"][c["sid"]] = self.participant(
            conf, c["sid"], to=c.get("to"),
            end=attrs.get("endConferenceOnExit") == "true",
            start=attrs.get("startConferenceOnEnter", "true") == "true")
        c["conference"] = name

    def conference(self, name=None, sid=None, create=False):
        for conf in self.server.conferences:
            if conf["status"] != "completed" and (
                    conf["friendly_name"] == name or conf["sid"] == sid):
                return conf
        if not create:
            return None
        conf = {"sid": "CF" + os.urandom(16).hex(), "friendly_name": name,
                "status": "init", "participants": {},
                "account_sid": self.server.account}
        self.server.conferences.append(conf)
        return conf

    def participant(self, conf, sid, to=None, label=None, end=False,
                    start=True, muted=False, hold=False, coaching=False,
                    coach=None):
        if start:
            conf["status"] = "in-progress"
        return {"call_sid": sid, "conference_sid": conf["sid"],
                "account_sid": self.server.account, "label": label,
                "to": to, "muted": muted, "hold": hold,
                "coaching": coaching, "call_sid_to_coach": coach,
                "end_conference_on_exit": end,
                "start_conference_on_enter": start, "status": "connected"}

    def leave(self, sid):
        c = self.server.calls.get(sid)
        if not c or not c["conference"]:
            return
        conf = self.conference(name=c["conference"])
        c["conference"] = None
        if not conf:
            return
        p = conf["participants"].pop(sid, None)
        if p and p["end_conference_on_exit"]:
            for other in list(conf["participants"]):
                conf["participants"].pop(other)
                oc = self.server.calls.get(other)
                if oc:
                    oc["conference"] = None
                    oc["status"] = "completed"
            conf["status"] = "completed"

    def find_participant(self, conf, who):
        for p in conf["participants"].values():
            if p["call_sid"] == who or p["label"] == who:
                return p
        return None

    def coach(self, conf, p, params):
        """Coaching and CallSidToCoach onto p: None, or an error."""
        coaching = params.get("Coaching", "true" if p["coaching"] else "false") == "true"
        target = params.get("CallSidToCoach", p["call_sid_to_coach"] if coaching else None)
        if "CallSidToCoach" in params and not coaching:
            return self.error(400, "CallSidToCoach needs Coaching=true")
        if coaching and (target is None or target == p["call_sid"] or
                         target not in conf["participants"]):
            return self.error(400, "Coaching needs the CallSidToCoach of"
                              " another participant")
        p["coaching"], p["call_sid_to_coach"] = coaching, target if coaching else None
        return None

    def do_call(self, m, user, params, entry, status):
        c = self.call(m.group(2))
        if params.get("Status") in ("completed", "canceled"):
            self.leave(c["sid"])
            c["status"] = "completed"
        elif "Twiml" in params:
            self.run_twiml(c, params["Twiml"])
        return status or 200, {"sid": c["sid"], "account_sid": user,
                               "status": params.get("Status", "in-progress"),
                               "api_version": "2010-04-01", "uri": self.path}

    def do_create(self, m, user, params, entry, status):
        sid = "CA" + os.urandom(16).hex()
        entry["sid"] = sid
        c = self.call(sid, to=params["To"])
        if "Twiml" in params:
            self.run_twiml(c, params["Twiml"])
        return status or 201, {
            "sid": sid, "account_sid": user, "status": "queued",
            "to": params["To"], "from": params["From"],
            "api_version": "2010-04-01",
            "uri": "/2010-04-01/Accounts/%s/Calls/%s.json" % (user, sid)}

    def conference_json(self, conf):
        return {k: v for k, v in conf.items() if k != "participants"}

    def do_conferences(self, m, user, params, entry, status):
        q = parse_qs(urlsplit(self.path).query)
        name = q.get("FriendlyName", [None])[0]
        want = q.get("Status", [None])[0]
        items = [self.conference_json(c) for c in self.server.conferences
                 if (name is None or c["friendly_name"] == name) and
                 (want is None or c["status"] == want)]
        return status or 200, {"conferences": items, "page": 0,
                               "page_size": 50, "next_page_uri": None}

    def do_participants(self, m, user, params, entry, status):
        conf = self.conference(sid=m.group(2))
        if conf is None:
            return self.error(404, "no such conference in progress")
        if self.command == "GET":
            return status or 200, {"participants": list(conf["participants"].values())}
        if not (params.get("From") and params.get("To")):
            return self.error(400, "From and To are required")
        if params.get("Label") and self.find_participant(conf, params["Label"]):
            return self.error(400, "the label is taken")
        sid = "CA" + os.urandom(16).hex()
        entry["sid"] = sid
        p = self.participant(
            conf, sid, to=params["To"], label=params.get("Label"),
            end=params.get("EndConferenceOnExit") == "true",
            start=params.get("StartConferenceOnEnter", "true") == "true",
            muted=params.get("Muted") == "true",
            hold=params.get("Hold") == "true")
        err = self.coach(conf, p, params)
        if err:
            return err
        conf["participants"][sid] = p
        c = self.call(sid, to=params["To"])
        c["conference"] = conf["friendly_name"]
        return status or 201, p

    def do_participant(self, m, user, params, entry, status):
        conf = self.conference(sid=m.group(2))
        p = self.find_participant(conf, m.group(3)) if conf else None
        if p is None:
            return self.error(404, "no such participant")
        if self.command == "DELETE":
            self.leave(p["call_sid"])
            self.server.calls[p["call_sid"]]["status"] = "completed"
            return 204, None
        if self.command == "POST":
            old = dict(p)
            for k in ("Muted", "Hold"):
                if k in params:
                    p[k.lower()] = params[k] == "true"
            err = self.coach(conf, p, params)
            if err:
                p.clear()
                p.update(old)
                return err
        return status or 200, p

    def do_recordings(self, m, user, params, entry, status):
        c = self.server.calls.get(m.group(2))
        if c is None or c["status"] == "completed":
            return self.error(404, "no such call in progress")
        sid = "RE" + os.urandom(16).hex()
        entry["sid"] = sid
        r = {"sid": sid, "call_sid": c["sid"], "account_sid": user,
             "status": "in-progress", "source": "StartCallRecordingAPI",
             "channels": 2 if params.get("RecordingChannels") == "dual" else 1,
             "track": params.get("RecordingTrack", "both")}
        self.server.recordings[sid] = r
        return status or 201, r

    def do_recording(self, m, user, params, entry, status):
        rs = [r for r in self.server.recordings.values()
              if r["call_sid"] == m.group(2) and
              (r["sid"] == m.group(3) or (m.group(3) == "Twilio.CURRENT" and
                                          r["status"] != "stopped"))]
        if not rs:
            return self.error(404, "no such recording")
        if params.get("Status") not in ("stopped", "paused", "in-progress"):
            return self.error(400, "Status must be stopped, paused or in-progress")
        rs[-1]["status"] = params["Status"]
        return status or 200, rs[-1]

    # Test-only: not Twilio's.

    def fake_only(self):
        """GET /fake/hears?conference=NAME: who hears whom (A hears B when
        B is not muted, not on hold, and coaches nobody or coaches A; a
        participant on hold hears its hold music, nobody). POST
        /fake/hangup?call=SID: that call leaves (its phone hung up)."""
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        with lock:
            if u.path == "/fake/hangup":
                sid = q.get("call", [""])[0]
                self.leave(sid)
                if sid in self.server.calls:
                    self.server.calls[sid]["status"] = "completed"
                return self.answer(200, {"ok": True})
            if u.path != "/fake/hears":
                return self.answer(404, {"message": "no such page"})
            conf = self.conference(name=q.get("conference", [None])[0])
            if conf is None:
                return self.answer(404, {"message": "no such conference"})
            ps = list(conf["participants"].values())
            hears = {}
            for a in ps:
                hears[a["call_sid"]] = sorted(
                    b["call_sid"] for b in ps
                    if b is not a and not a["hold"] and not b["muted"] and
                    not b["hold"] and (not b["coaching"] or
                                       b["call_sid_to_coach"] == a["call_sid"]))
            return self.answer(200, {"conference": self.conference_json(conf),
                                     "participants": ps, "hears": hears})

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
    srv.calls, srv.conferences, srv.recordings = {}, [], {}
    with open(os.path.join(d, "port.new"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(os.path.join(d, "port.new"), os.path.join(d, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
