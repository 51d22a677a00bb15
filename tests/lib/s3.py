#!/usr/bin/env python3
"""A small S3-compatible object store for the tests, standard library only.

PUT, GET, HEAD and DELETE of /BUCKET/KEY with objects kept as files in a
directory. Every request's AWS Signature Version 4 is verified here,
independently of libcurl (hashlib, hmac): credential scope, signed headers
(host, x-amz-date and x-amz-content-sha256 at least), the payload hash
against the body received, the clock, and the signature itself. A refused
request is 403 SignatureDoesNotMatch (or AccessDenied) and a line in the
log. With DIR/.fail-put present every PUT is 500, to test failures.
Listens on 127.0.0.1 only; writes the port to --port-file once listening.

usage: s3.py --dir DIR --bucket B --region R --access-key K --secret-key S
             --port-file FILE [--log FILE]
"""
import argparse
import datetime
import hashlib
import hmac
import os
import re
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
AUTH_RE = re.compile(
    r'^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request,'
    r'\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$')


def log(line):
    if ARGS.log:
        with open(ARGS.log, 'a') as f:
            f.write(line + '\n')


def hmac256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region):
    k = hmac256(('AWS4' + secret).encode(), date)
    k = hmac256(k, region)
    k = hmac256(k, 's3')
    return hmac256(k, 'aws4_request')


def canonical_query(q):
    pairs = urllib.parse.parse_qsl(q, keep_blank_values=True)
    enc = [(urllib.parse.quote(k, safe='-_.~'), urllib.parse.quote(v, safe='-_.~'))
           for k, v in pairs]
    return '&'.join('%s=%s' % kv for kv in sorted(enc))


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body=b'', ctype='application/xml', extra=None):
        self.send_response(code)
        if body or code not in (204, 304):
            self.send_header('Content-Type', ctype)
            self.send_header('Content-Length', str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD' and body:
            self.wfile.write(body)
        log('%s %s %d' % (self.command, self.path, code))

    def error(self, code, s3code, why):
        log('DENY %s %s: %s' % (self.command, self.path, why))
        self.reply(code, ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s'
                          '</Code><Message>%s</Message></Error>' % (s3code, why)).encode())

    def verify(self, body):
        """None when the request is properly signed, else the reason."""
        auth = self.headers.get('Authorization', '')
        m = AUTH_RE.match(auth)
        if not m:
            return 'no AWS4-HMAC-SHA256 authorization'
        access, date, region, signed, sig = m.groups()
        if not hmac.compare_digest(access, ARGS.access_key):
            return 'unknown access key'
        if region != ARGS.region:
            return 'wrong region %s' % region
        amzdate = self.headers.get('x-amz-date', '')
        try:
            t = datetime.datetime.strptime(amzdate, '%Y%m%dT%H%M%SZ').replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            return 'bad x-amz-date'
        if not amzdate.startswith(date):
            return 'x-amz-date does not match the credential scope'
        if abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()) > 900:
            return 'request time too skewed'
        names = signed.split(';')
        if names != sorted(names):
            return 'signed headers not sorted'
        for need in ('host', 'x-amz-date', 'x-amz-content-sha256'):
            if need not in names:
                return '%s is not signed' % need
        payload = self.headers.get('x-amz-content-sha256', '')
        if payload != 'UNSIGNED-PAYLOAD' and payload != hashlib.sha256(body).hexdigest():
            return 'x-amz-content-sha256 does not match the body'
        canon_headers = ''
        for n in names:
            vals = self.headers.get_all(n)
            if vals is None:
                return 'signed header %s is missing' % n
            v = ','.join(' '.join(x.strip().split()) for x in vals)
            canon_headers += '%s:%s\n' % (n, v)
        path, _, query = self.path.partition('?')
        uri = urllib.parse.quote(urllib.parse.unquote(path), safe='/-_.~')
        creq = '\n'.join([self.command, uri, canonical_query(query),
                          canon_headers, signed, payload])
        scope = '%s/%s/s3/aws4_request' % (date, region)
        sts = '\n'.join(['AWS4-HMAC-SHA256', amzdate, scope,
                         hashlib.sha256(creq.encode()).hexdigest()])
        want = hmac.new(signing_key(ARGS.secret_key, date, region), sts.encode(),
                        hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, sig):
            return 'signature does not match'
        return None

    def target(self):
        path = urllib.parse.unquote(self.path.partition('?')[0])
        parts = path.split('/')
        if len(parts) != 3 or parts[0] != '':
            return None, None
        bucket, key = parts[1], parts[2]
        if not re.fullmatch(r'[A-Za-z0-9._-]+', key) or key.startswith('.'):
            return bucket, None
        return bucket, os.path.join(ARGS.dir, key)

    def handle_any(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else b''
        why = self.verify(body)
        if why:
            return self.error(403, 'SignatureDoesNotMatch', why)
        bucket, path = self.target()
        if bucket != ARGS.bucket:
            return self.error(404, 'NoSuchBucket', 'no such bucket')
        if path is None:
            return self.error(400, 'InvalidArgument', 'bad key')
        if self.command == 'PUT':
            if os.path.exists(os.path.join(ARGS.dir, '.fail-put')):
                return self.error(500, 'InternalError', 'failing on purpose')
            tmp = path + '.part'
            with open(tmp, 'wb') as f:
                f.write(body)
            os.replace(tmp, path)
            return self.reply(200, extra={'ETag': '"%s"' % hashlib.md5(body).hexdigest()})
        if self.command in ('GET', 'HEAD'):
            try:
                with open(path, 'rb') as f:
                    data = f.read()
            except FileNotFoundError:
                return self.error(404, 'NoSuchKey', 'no such key')
            return self.reply(200, data, 'application/octet-stream')
        if self.command == 'DELETE':
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            return self.reply(204)
        return self.error(405, 'MethodNotAllowed', 'method not allowed')

    do_PUT = do_GET = do_HEAD = do_DELETE = do_POST = handle_any


def main():
    global ARGS
    p = argparse.ArgumentParser()
    for a in ('--dir', '--bucket', '--region', '--access-key', '--secret-key',
              '--port-file'):
        p.add_argument(a, required=True)
    p.add_argument('--log')
    ARGS = p.parse_args()
    os.makedirs(ARGS.dir, exist_ok=True)
    srv = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    srv.daemon_threads = True
    tmp = ARGS.port_file + '.new'
    with open(tmp, 'w') as f:
        f.write('%d\n' % srv.server_address[1])
    os.replace(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
