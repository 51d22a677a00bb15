#!/usr/bin/env python3
"""Forge and inspect JWTs for the token-attack tests (standard library only).

    jwt.py forge [--from TOKEN] [--secret S] [--alg A] [--sign-alg A]
                 [--set K=JSON]... [--rel K=SECONDS]... [--del K]...
                 [--header K=JSON]... [--tamper payload|signature]
    jwt.py claims TOKEN      print the payload as JSON
    jwt.py header TOKEN      print the header as JSON

forge starts from the claims of --from (or a complete valid set: iss
"calldocker", aud "calldocker-api", fresh jti, iat/nbf now, exp now+900),
applies --set (a JSON value, or a bare string), --rel (now + SECONDS), --del,
and signs with --sign-alg (default: the header's alg): HS256/HS384/HS512 are
HMACs with --secret, "none" gives an empty signature, RS256 gets 256 random
bytes. --tamper changes one claim or one signature character after signing.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import uuid


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jdump(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def parse_value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def sign(alg: str, secret: bytes, signing_input: bytes) -> bytes:
    hashes = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
              "HS512": hashlib.sha512}
    if alg in hashes:
        return hmac.new(secret, signing_input, hashes[alg]).digest()
    if alg.lower() == "none":
        return b""
    return os.urandom(256)


def forge(args) -> str:
    now = int(time.time())
    if args.from_token:
        claims = json.loads(b64d(args.from_token.split(".")[1]))
    else:
        claims = {"iss": "calldocker", "aud": "calldocker-api",
                  "sub": str(uuid.uuid4()), "jti": str(uuid.uuid4()),
                  "sid": str(uuid.uuid4()), "role": "admin", "cid": None,
                  "iat": now, "nbf": now, "exp": now + 900}
    for kv in args.set:
        k, _, v = kv.partition("=")
        claims[k] = parse_value(v)
    for kv in args.rel:
        k, _, v = kv.partition("=")
        claims[k] = now + int(v)
    for k in args.delete:
        claims.pop(k, None)

    header = {"alg": args.alg, "typ": "JWT"}
    for kv in args.header:
        k, _, v = kv.partition("=")
        header[k] = parse_value(v)
    sign_alg = args.sign_alg or header.get("alg", "HS256")

    h, p = b64e(jdump(header)), b64e(jdump(claims))
    sig = b64e(sign(sign_alg, args.secret.encode(), f"{h}.{p}".encode()))
    if args.tamper == "payload":
        claims["role"] = "admin" if claims.get("role") != "admin" else "agent"
        claims["sub"] = str(uuid.uuid4())
        p = b64e(jdump(claims))
    elif args.tamper == "signature":
        raw = bytearray(b64d(sig))
        raw[len(raw) // 2] ^= 0x01
        sig = b64e(bytes(raw))
    return f"{h}.{p}.{sig}"


def main() -> int:
    ap = argparse.ArgumentParser(prog="jwt.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("forge")
    f.add_argument("--from", dest="from_token")
    f.add_argument("--secret", default=os.environ.get("CALLDOCKER_JWT_SECRET", ""))
    f.add_argument("--alg", default="HS256")
    f.add_argument("--sign-alg")
    f.add_argument("--set", action="append", default=[])
    f.add_argument("--rel", action="append", default=[])
    f.add_argument("--del", dest="delete", action="append", default=[])
    f.add_argument("--header", action="append", default=[])
    f.add_argument("--tamper", choices=["payload", "signature"])
    for name in ("claims", "header"):
        s = sub.add_parser(name)
        s.add_argument("token")
    args = ap.parse_args()

    if args.cmd == "forge":
        print(forge(args))
    else:
        part = 1 if args.cmd == "claims" else 0
        print(json.dumps(json.loads(b64d(args.token.split(".")[part])),
                         sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
