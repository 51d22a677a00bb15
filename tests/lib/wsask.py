#!/usr/bin/env python3
"""Ask one question over /ws and print the answer (standard library only).

    wsask.py PORT TOKEN JSON

Connects with calldocker.v1, authenticates with TOKEN, sends the JSON
message (its "id" is set to "q"), and prints the first reply whose id is
"q" (an ack or an error) as one JSON line. Exits 1 if none comes in 10 s.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ws import WS  # noqa: E402


def wait_id(ws, want, deadline):
    while time.time() < deadline:
        for text in ws.poll_messages(0.2):
            m = json.loads(text)
            if isinstance(m, dict) and m.get("id") == want:
                return m
    return None


def main():
    port, token, msg = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    ws = WS(port)
    deadline = time.time() + 10
    ws.send_json({"type": "auth", "id": "auth", "token": token})
    if wait_id(ws, "auth", deadline) is None:
        sys.exit(1)
    msg["id"] = "q"
    ws.send_json(msg)
    reply = wait_id(ws, "q", deadline)
    if reply is None:
        sys.exit(1)
    print(json.dumps(reply, sort_keys=True))


if __name__ == "__main__":
    main()
