#!/usr/bin/env python3
"""Write the seeds of fuzz-route and fuzz-wsmsg (tests/fuzz/fuzz-mut.h's
format: header bytes, then fields as a 2-byte little-endian length and
bytes) into tests/fuzz/seeds/. Route numbers are indexes of routes[] in
daemon/api/router.c; a seed whose route moved is still a valid input."""
import json, os, struct, sys

here = os.path.dirname(os.path.abspath(__file__))
GET, POST, PUT, PATCH, DELETE = range(5)
NONE, AGENT, MANAGER, ADMIN = range(4)
U = "11111111-1111-4111-8111-111111111111"
A = "44444444-4444-4444-8444-444444444444"


def rec(hdr, fields):
    out = bytes(hdr)
    for f in fields:
        b = f.encode() if isinstance(f, str) else f
        out += struct.pack("<H", len(b)) + b
    return out


def route(method, role, idx, body=None, query="", path="", ctype="",
          flags=0, ids=0, extra=()):
    b = "" if body is None else body if isinstance(body, str) else \
        json.dumps(body)
    fields = [path, query, ctype, b, U] + list(extra)
    return rec([method, role | flags, idx, ids], fields)


ROUTE = {
    "health": route(GET, NONE, 0),
    "register": route(POST, NONE, 3, {"email": "a@example.com",
        "password": "Passw0rd!Passw0rd", "name": "Ann",
        "company_name": "Acme"}),
    "login": route(POST, NONE, 4, {"email": "a@example.com",
        "password": "x"}),
    "refresh": route(POST, NONE, 5, {"refresh_token": "abc"}),
    "profile": route(PUT, AGENT, 7, {"name": "Ann", "email": "b@example.com",
        "current_password": "x", "password": "Passw0rd!Passw0rd"}),
    "company-create": route(POST, ADMIN, 10, {"name": "Acme",
        "timezone": "Europe/Paris"}),
    "company-update": route(PUT, MANAGER, 12, {"name": "Acme"}),
    "users-list": route(GET, ADMIN, 14, query="limit=10&company_id=" + U),
    "user-create": route(POST, MANAGER, 15, {"email": "c@example.com",
        "password": "Passw0rd!Passw0rd", "name": "Cy", "role": "agent"}),
    "user-update": route(PUT, MANAGER, 18, {"role": "manager"}),
    "agent-create": route(POST, MANAGER, 21, {"user_id": A, "name": "Al",
        "extension": "101", "skills": ["fr", "billing"], "max_calls": 1}),
    "agent-update": route(PUT, MANAGER, 25, {"skills": [], "max_calls": 2}),
    "availability": route(PUT, AGENT, 27, {"state": "away",
        "reason": "lunch"}),
    "queue-create": route(POST, MANAGER, 29, {"name": "sales",
        "strategy": "longest_idle", "sl_threshold": 20, "wrap_up": 10,
        "ring_timeout": 15, "members": [{"agent_id": A, "penalty": 0}],
        "overflow": {"after": 60, "action": "voicemail"}}),
    "queue-update": route(PUT, MANAGER, 31, {"strategy": "ring_all",
        "widen": [{"after": 30, "level_drop": 1}]}),
    "calls-list": route(GET, AGENT, 34, query="state=queued&limit=5"),
    "call-create": route(POST, MANAGER, 35, {"queue_id": U,
        "caller_number": "+15550100", "caller_name": "Bo", "priority": 5,
        "caller_data": {"tier": "gold"}, "tags": ["vip"]}),
    "call-update": route(PUT, AGENT, 38, {"notes": "n", "tags": ["a"],
        "priority": 1}),
    "assign": route(POST, MANAGER, 39, {"agent_id": A, "reason": "r"}),
    "answer": route(POST, AGENT, 40, {"reason": "r"}),
    "transfer": route(POST, AGENT, 44, {"queue_id": U}),
    "wrap": route(POST, AGENT, 46, {"disposition": "sale", "notes": "ok"}),
    "ivr-input": route(POST, MANAGER, 47, {"digits": "12#"}),
    "ivr-validate": route(POST, AGENT, 50,
        "version: 1\nstart: main\nnodes:\n  main:\n    say: hi\n",
        ctype="application/yaml", flags=0x10),
    "ivr-create-json": route(POST, MANAGER, 49, {"name": "main",
        "flow": "x"}),
    "analytics": route(GET, MANAGER, 58, query="from=2026-01-01&to=2026-02-01"),
    "widget-key": route(POST, MANAGER, 64, {"name": "site"}),
    "widget-origins": route(PUT, MANAGER, 68, {"origins":
        ["https://example.com"]}),
    "settings-system": route(PUT, ADMIN, 71, {"registration_open": False,
        "default_language": "fr", "default_timezone": "UTC"}),
    "settings-company": route(PUT, MANAGER, 74, {"sl_threshold": 20,
        "sl_target": 80, "wrap_up": 10, "ring_timeout": 15,
        "timezone": "UTC", "language": "en"}),
    "prefs": route(PUT, AGENT, 76, {"theme": "dark", "language": "en",
        "notifications": True, "timezone": None}),
    "themes": route(GET, AGENT, 77),
    "twilio-put": route(PUT, MANAGER, 85, {"account_sid": "AC" + "0" * 32,
        "auth_token": "t" * 32}),
    "incoming": route(POST, NONE, 90, {"type": "call.create",
        "call_id": U, "caller_number": "+15550100"},
        extra=["", "", "", "msg_1", "1767225600", "v1,abc"]),
    "twilio-hook": route(POST, NONE, 91,
        "CallSid=CA1&From=%2B15550100&CallStatus=ringing",
        extra=["", "", "", "", "", "", "sig="]),
    "webhook-create": route(POST, MANAGER, 93, {"url":
        "https://example.com/hook", "events": ["call.created"],
        "enabled": True, "description": "d"}),
    "webhook-update": route(PUT, MANAGER, 95, {"events": ["*"]}),
    "bad-method": route(PATCH, AGENT, 34),
    "raw-path": route(GET, AGENT, 255, path="/api/calls/" + U + "/",
        query="limit=0"),
}

WS = {
    "ping": rec([0, 0, 0, 255], ['{"id":1}', "", ""]),
    "auth-token": rec([4, 0, 1, 2], ['{"token":"x","id":1}',
        '{"topics":["calls"]}', ""]),
    "subscribe": rec([1, 0, 2, 3], ['{"topics":["queues","agents","calls"],'
        '"company_id":"11111111-1111-4111-8111-111111111111"}',
        '{"topics":["calls"]}', ""]),
    "relay-caller": rec([3, 0x1b, 4, 6], [
        '{"call_id":"66666666-6666-4666-8666-666666666666","sdp":"v=0\\r\\n",'
        '"media":["voice"]}',
        '{"call_id":"66666666-6666-4666-8666-666666666666","candidate":'
        '{"candidate":"candidate:1 1 udp 1 192.0.2.1 1 typ host",'
        '"sdpMid":"0","sdpMLineIndex":0}}', ""]),
    "relay-agent": rec([8, 0x1b, 5, 6], [
        '{"call_id":"66666666-6666-4666-8666-666666666666","sdp":"v=0\\r\\n"}',
        '{"call_id":"66666666-6666-4666-8666-666666666666","candidate":null}',
        ""]),
    "accept": rec([8, 0x02, 7, 9], [
        '{"call_id":"66666666-6666-4666-8666-666666666666"}',
        '{"call_id":"66666666-6666-4666-8666-666666666666","reason":"r"}',
        '{"type":"call.resume","call_id":'
        '"66666666-6666-4666-8666-666666666666"}']),
    "transfer": rec([8, 0x1b, 12, 11], [
        '{"call_id":"66666666-6666-4666-8666-666666666666",'
        '"queue_id":"11111111-1111-4111-8111-111111111111"}',
        '{"call_id":"66666666-6666-4666-8666-666666666666"}', ""]),
    "agent-state": rec([8, 0, 13, 13], ['{"state":"away","reason":"lunch"}',
        '{"state":"busy"}', ""]),
    "widget-request": rec([3, 0, 14, 15], ['{"media":"voice","ivr":true,'
        '"caller_name":"Bo","caller_data":{"a":1}}',
        '{"call_id":"66666666-6666-4666-8666-666666666666","digits":"1#"}',
        ""]),
    "widget-auth": rec([7, 0, 1, 14], ['{"widget_key":"wk_0123"}',
        '{"media":"video"}', ""]),
}

for name, d in (("route", ROUTE), ("wsmsg", WS)):
    out = os.path.join(here, "seeds", name)
    os.makedirs(out, exist_ok=True)
    for k, v in d.items():
        with open(os.path.join(out, k), "wb") as f:
            f.write(v)
