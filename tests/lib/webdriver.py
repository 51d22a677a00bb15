"""A small W3C WebDriver client (stdlib only) for the browser tests.

It starts Debian's chromedriver on a free loopback port and drives one
headless Chromium with fake media devices:

    with Browser(tmpdir) as b:
        b.get("http://127.0.0.1:8000/caller.html")
        b.run("return document.title")
        tab = b.new_tab(); b.switch(tab)
        b.wait("return window.state === 'connected'", timeout=20)
"""
import json
import os
import socket
import subprocess
import time
import urllib.request

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",              # tests run as root in CI
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    # WebAudio runs without a click, and in tabs the driver is not looking
    # at (the pages mix and measure audio: tests/browser/phone.js).
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class WebDriverError(Exception):
    pass


class Browser:
    """extra_args: more Chromium flags, e.g. --ignore-certificate-errors-
    spki-list=HASH to trust exactly one test certificate (by its public
    key) without turning certificate checks off."""

    def __init__(self, tmpdir, chromium="/usr/bin/chromium",
                 driver="/usr/bin/chromedriver", extra_args=()):
        self.port = free_port()
        self.log = open(os.path.join(tmpdir, "chromedriver.log"), "w")
        self.proc = subprocess.Popen(
            [driver, "--port=%d" % self.port, "--allowed-ips=127.0.0.1"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (OSError, WebDriverError):
                if time.time() > deadline:
                    raise WebDriverError("chromedriver did not start")
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": CHROMIUM_ARGS + list(extra_args) + [
                    "--user-data-dir=" + os.path.join(tmpdir, "chromium")],
            },
        }}}
        r = self._call("POST", "/session", caps)
        self.session = "/session/" + r["sessionId"]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.load(resp).get("value")
        except urllib.error.HTTPError as e:
            v = json.load(e).get("value", {})
            raise WebDriverError("%s: %s" % (v.get("error"),
                                 v.get("message", "").splitlines()[0]))

    def cmd(self, method, path, body=None):
        return self._call(method, self.session + path, body)

    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    def run(self, script, *args):
        return self.cmd("POST", "/execute/sync",
                        {"script": script, "args": list(args)})

    def run_async(self, script, *args):
        return self.cmd("POST", "/execute/async",
                        {"script": script, "args": list(args)})

    def new_tab(self):
        return self.cmd("POST", "/window/new", {"type": "tab"})["handle"]

    def current(self):
        return self.cmd("GET", "/window")

    def switch(self, handle):
        self.cmd("POST", "/window", {"handle": handle})

    def wait(self, script, timeout=20, interval=0.2):
        """Poll script until it returns something truthy; return it."""
        deadline = time.time() + timeout
        while True:
            v = self.run(script)
            if v:
                return v
            if time.time() > deadline:
                raise WebDriverError("timed out waiting for: " + script)
            time.sleep(interval)

    def close(self):
        try:
            self.cmd("DELETE", "")
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
